"""IAM CreateTemporaryAccessKeyByAgency (POST /v3.0/OS-CREDENTIAL/securitytokens), and the accounts behind it.

Why: a target in another account must be read with that account's temporary credentials, and a test must be
able to prove it. So the emulator knows accounts (a domain name, its projects, its agencies and whom each
trusts), IAM issues temporary credentials for an agency only to a caller of the account the agency trusts,
and the API-gateway services (service.py) accept those credentials for that account's projects only, while
the central credentials are refused on a member account's projects.

From the API reference ("Obtaining Temporary Access Keys and Security Tokens of an Agency"): body
{"auth": {"identity": {"methods": ["assume_role"], "assume_role": {"domain_name" or "domain_id",
"agency_name", "duration_seconds" (900-86400, default 900), "session_user": {"name"}}, "policy"}}};
answer 201 {"credential": {"access", "secret", "securitytoken", "expires_at"}}. The global endpoint and the
regional ones answer alike (one host here).

The emulator's choices where the reference gives no body: errors use IAM's Keystone form
{"error": {"code", "message", "title"}}: 400 for a body that is not an assume_role request, 404 for an
account or agency that does not exist, 403 when the agency does not trust the caller's account.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .service import GatewayService, Route
from .wire import Request, Response, json_response

if TYPE_CHECKING:
    from .emulator import CloudEmulator

PATH = ("v3.0", "OS-CREDENTIAL", "securitytokens")
MIN_DURATION, MAX_DURATION, DEFAULT_DURATION = 900, 86400, 900


@dataclass
class Account:
    """A member account: its projects, and its agencies (agency name -> the account name it trusts)."""

    domain: str
    projects: set[str] = field(default_factory=set)
    agencies: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Session:
    """Temporary credentials IAM issued for an agency of `domain`."""

    access: str
    secret: str
    token: str
    domain: str
    agency: str
    expires: float  # wall-clock seconds (clients sign with the real clock; expiry is checked against it)

    @property
    def expired(self) -> bool:
        return time.time() >= self.expires


class Accounts:
    """Every account the emulator knows besides the central one (thread-safe)."""

    def __init__(self, central: str) -> None:
        self.central = central
        self._lock = threading.Lock()
        self._accounts: dict[str, Account] = {}
        self._sessions: dict[str, Session] = {}

    def add(self, domain: str, projects: list[str], agencies: dict[str, str]) -> None:
        with self._lock:
            self._accounts[domain] = Account(domain, set(projects), dict(agencies))

    def account(self, domain: str) -> Account | None:
        with self._lock:
            return self._accounts.get(domain)

    def owner_of(self, project_id: str) -> str | None:
        """The member account a project belongs to (None: the central account's, or unknown)."""
        with self._lock:
            return next((a.domain for a in self._accounts.values() if project_id in a.projects), None)

    def issue(self, domain: str, agency: str, duration: int) -> Session:
        session = Session(access="TMP" + secrets.token_hex(10).upper(), secret=secrets.token_urlsafe(30),
                          token="TOKEN" + secrets.token_urlsafe(120), domain=domain, agency=agency,
                          expires=time.time() + duration)
        with self._lock:
            self._sessions[session.access] = session
        return session

    def session(self, access: str | None) -> Session | None:
        with self._lock:
            return self._sessions.get(access or "")

    def sessions(self) -> list[Session]:
        with self._lock:
            return list(self._sessions.values())

    def expire_all(self) -> None:
        """Every issued credential stops working now (a test of renewal or of an expired credential)."""
        with self._lock:
            self._sessions = {k: Session(**{**s.__dict__, "expires": 0.0}) for k, s in self._sessions.items()}


def iam_error(status: int, title: str, message: str) -> Response:
    return json_response(status, {"error": {"code": status, "message": message, "title": title}})


class Iam(GatewayService):
    name = "iam"

    def __init__(self, emu: CloudEmulator) -> None:
        super().__init__(emu)

    def route(self, req: Request) -> Route | None:
        if req.method == "POST" and tuple(req.segments) == PATH:
            return Route("iam.assume")
        return None

    def is_list(self, call: str) -> bool:
        return False

    def malformed_body(self, route: Route) -> bytes:
        return b'{"credential": {"access": '

    def handle(self, req: Request, route: Route) -> Response:
        accounts: Accounts = self.emu.accounts
        caller = accounts.session(self.access_key(req))
        caller_domain = caller.domain if caller is not None else accounts.central
        try:
            request = _read_body(req.body)
        except ValueError as exc:
            return iam_error(400, "Bad Request", str(exc))
        domain = request.get("domain_name") or request.get("domain_id")
        account = accounts.account(domain)
        if account is None or request["agency_name"] not in account.agencies:
            return iam_error(404, "Not Found", "Could not find agency.")
        if account.agencies[request["agency_name"]] != caller_domain:
            return iam_error(403, "Forbidden", "The agency does not trust this account.")
        session = accounts.issue(account.domain, request["agency_name"], request["duration_seconds"])
        expires = datetime.fromtimestamp(session.expires, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return json_response(201, {"credential": {"access": session.access, "secret": session.secret,
                                                  "securitytoken": session.token, "expires_at": expires}})


def _read_body(body: bytes) -> dict[str, Any]:
    """The assume_role parameters of a request body; ValueError says what is wrong."""
    try:
        document = json.loads(body or b"null")
    except ValueError:
        raise ValueError("The request body is not JSON.") from None
    identity = (document.get("auth") or {}).get("identity") if isinstance(document, dict) else None
    if not isinstance(identity, dict) or identity.get("methods") != ["assume_role"]:
        raise ValueError("auth.identity.methods must be [\"assume_role\"].")
    assume = identity.get("assume_role")
    if not isinstance(assume, dict) or not isinstance(assume.get("agency_name"), str):
        raise ValueError("auth.identity.assume_role.agency_name is required.")
    if not isinstance(assume.get("domain_name") or assume.get("domain_id"), str):
        raise ValueError("auth.identity.assume_role needs domain_name or domain_id.")
    duration = assume.get("duration_seconds", DEFAULT_DURATION)
    if not isinstance(duration, int) or isinstance(duration, bool) or not MIN_DURATION <= duration <= MAX_DURATION:
        raise ValueError(f"duration_seconds must be {MIN_DURATION}-{MAX_DURATION}.")
    return {**assume, "duration_seconds": duration}
