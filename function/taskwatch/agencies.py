"""Other accounts: a target that names an agency is read with that agency's temporary credentials.

A member account creates an agency that trusts the central account (layers/README.md, "Other accounts").
The function turns its own credentials (in FunctionGraph themselves temporary: AK/SK and security token of
its agency) into the member agency's temporary credentials through IAM's CreateTemporaryAccessKeyByAgency
(POST /v3.0/OS-CREDENTIAL/securitytokens, auth.identity.methods ["assume_role"]). IAM accepts the call on
its global endpoint and on every regional one; the function asks the IAM endpoint of its own home region
(the state's region: where it runs), TASKWATCH_ENDPOINT_IAM overriding it.

Why one exchange per agency per run: every source of every target naming the agency uses the result, and
IAM's throttling is account-wide. A failed exchange is remembered for the run too: that agency's sources all
fail with the same error (source errors, so they go blind after TASKWATCH_BLIND_AFTER runs like any other
unreadable source) and the other targets are untouched.

The credentials are registered with the scrubber before anything else looks at them, are never logged or
stored, and live only as long as the run (this object is the run's; nothing is kept across invocations).

huaweicloudsdkiam is imported here only, and only when a target names an agency (`_iam`).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from . import sdk
from .credentials import Credentials, registered
from .deadline import Deadline
from .errors import OutOfTime, SourceError, TaskwatchError
from .retry import BadResponse, RetryPolicy, call_with_retry
from .sdk import build_client
from .sdk_loader import sdk_class
from .secrets_scrub import SCRUBBER
from .tasks import Agency
from .timeutil import parse_instant

MIN_DURATION = 900  # seconds: the shortest lifetime IAM issues (15 min); at most 24 h
MAX_DURATION = 86400
RENEW_MARGIN = 60.0  # seconds: credentials closer than this to their expiry are exchanged again
EXCHANGE_WORKERS = 4  # agencies exchanged at once before the listings start


@dataclass(frozen=True)
class Issued:
    """Temporary credentials and when they stop working (time.time() seconds)."""

    credentials: Credentials
    expires: float


class _IamModels:
    """The IAM request models by name, each loaded on first use (sdk_loader: no package-wide imports)."""

    def __getattr__(self, name: str) -> Any:
        return sdk_class("huaweicloudsdkiam.v3", name)


def _iam() -> tuple[Any, Any]:
    """The IAM client class and its request models, imported on first use only."""
    return sdk_class("huaweicloudsdkiam.v3", "IamClient"), _IamModels()


def assume_role_request(agency: Agency, duration: int) -> Any:
    """The SDK's request for one exchange: identity methods ["assume_role"], the agency's account and name."""
    _client, model = _iam()
    identity = model.AgencyAuthIdentity(
        methods=["assume_role"],
        assume_role=model.IdentityAssumerole(domain_name=agency.domain, agency_name=agency.name,
                                             duration_seconds=duration))
    body = model.CreateTemporaryAccessKeyByAgencyRequestBody(auth=model.AgencyAuth(identity=identity))
    return model.CreateTemporaryAccessKeyByAgencyRequest(body=body)


def read_credential(raw: bytes) -> Issued:
    """The `credential` object of IAM's answer: access, secret, securitytoken, expires_at. Its secrets are
    registered with the scrubber first, so no error below (and nothing after) can show them."""
    try:
        document = json.loads(raw)
    except ValueError:
        raise BadResponse("answer is not JSON") from None
    credential = document.get("credential") if isinstance(document, dict) else None
    if not isinstance(credential, dict):
        raise BadResponse("answer has no credential object")
    fields = {name: credential.get(name) for name in ("access", "secret", "securitytoken")}
    SCRUBBER.register(*(value for value in fields.values() if isinstance(value, str)))
    missing = [name for name, value in fields.items() if not isinstance(value, str) or not value]
    if missing:
        raise BadResponse(f"credential without {', '.join(missing)}")
    text = credential.get("expires_at")
    try:
        expires = parse_instant(text) if isinstance(text, str) else None
    except ValueError:
        expires = None
    if expires is None:
        raise BadResponse("credential without a readable expires_at")
    issued = Credentials(fields["access"], fields["secret"], fields["securitytoken"])
    return Issued(registered(issued), expires.timestamp())


class AgencyCredentials:
    """The run's agency credentials: exchanged once per agency, kept for their lifetime within the run."""

    def __init__(self, own: Credentials, endpoint: str, policy: RetryPolicy, deadline: Deadline,
                 read_timeout: float, clock: Any = time.time) -> None:
        self.own = own
        self.endpoint = endpoint.rstrip("/")
        self.policy = policy
        self.deadline = deadline
        self.read_timeout = read_timeout
        self.clock = clock
        self.exchanges = 0  # calls made (a test and the summary can see one per agency)
        self._lock = threading.Lock()
        self._agency_locks: dict[Agency, threading.Lock] = {}
        self._results: dict[Agency, Issued | TaskwatchError] = {}
        self._client: Any = None

    def for_agency(self, agency: Agency | None) -> Credentials:
        """The credentials to read a target with: the function's own when it names no agency; SourceError
        (or OutOfTime) when the exchange failed in this run."""
        if agency is None:
            return self.own
        with self._lock:
            agency_lock = self._agency_locks.setdefault(agency, threading.Lock())
        with agency_lock:  # one exchange per agency, however many sources ask at once
            result = self._results.get(agency)
            if isinstance(result, TaskwatchError):
                raise result
            if result is None or result.expires - RENEW_MARGIN <= self.clock():
                try:
                    result = self._exchange(agency)
                except (SourceError, OutOfTime) as exc:
                    self._results[agency] = exc
                    raise
                self._results[agency] = result
            return result.credentials

    def expiry(self, agency: Agency) -> float:
        """When the agency's credentials of this run stop working (time.time() seconds); 0 when there are none."""
        result = self._results.get(agency)
        return result.expires if isinstance(result, Issued) else 0.0

    def prepare(self, agencies: Iterable[Agency | None]) -> None:
        """Exchange every named agency up front, a few at once (failures are kept for for_agency)."""
        wanted = list(dict.fromkeys(a for a in agencies if a is not None))
        if not wanted:
            return

        def one(agency: Agency) -> None:
            with contextlib.suppress(TaskwatchError):  # remembered: every source of that agency reports it
                self.for_agency(agency)

        with ThreadPoolExecutor(max_workers=min(EXCHANGE_WORKERS, len(wanted)), thread_name_prefix="agency") as pool:
            list(pool.map(one, wanted))

    def _exchange(self, agency: Agency) -> Issued:
        duration = self._duration()
        request = assume_role_request(agency, duration)
        client = self._iam_client()
        what = f"agency {agency.label}"

        def once() -> Issued:
            with self._lock:
                self.exchanges += 1
            response = sdk.invoke(client, "create_temporary_access_key_by_agency", request)  # the one SDK door
            return read_credential(response.raw_content)

        try:
            return call_with_retry(once, self.policy, self.deadline, what)
        except SourceError as exc:
            raise SourceError(f"{what}: credentials not obtained ({exc})", kind=exc.kind, status=exc.status,
                              code=exc.code) from None

    def _duration(self) -> int:
        """Long enough for the rest of the run (never renewed mid-run then), within IAM's 15 min to 24 h."""
        remaining = self.deadline.remaining()
        wanted = MIN_DURATION if remaining == float("inf") else int(remaining + 2 * RENEW_MARGIN)
        return max(MIN_DURATION, min(MAX_DURATION, wanted))

    def _iam_client(self) -> Any:
        with self._lock:
            if self._client is None:
                client_class, _model = _iam()
                self._client = build_client(client_class, self.endpoint, None, self.own, self.read_timeout,
                                            pool_size=EXCHANGE_WORKERS, deadline=self.deadline)
            return self._client
