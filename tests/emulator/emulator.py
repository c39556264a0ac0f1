"""CloudEmulator: the test-facing object that owns the data, the faults, the records and the listeners.

Why: tests set up tasks, arm faults, run the real SDK clients against `endpoints`/`env()`, then read
what happened (`requests`, `smn_messages`, `obs_objects`). Two clocks are kept apart on purpose:
`now()` (settable) drives the task data (retention, visibility, seed rebasing, generated times), while
signature freshness (X-Sdk-Date, OBS Date) is checked against the real wall clock the clients sign with.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from .ces import CloudEye
from .data import CANONICAL_FIELDS, TaskStore, check_service
from .dispatch import Dispatcher
from .faults import FaultSet
from .functiongraph import FunctionGraph
from .generate import generate_tasks
from .iam import Accounts, Iam
from .obs import ObjectStore, Obs
from .seeds import rebase, seed_tasks
from .server import Listener
from .service import Service
from .smn import Smn
from .taskcenters import Dds, OpenGauss, Rds, TaurusDB
from .wire import Request, Response

DEFAULT_AK = "TESTAKEMULATOR000001"
DEFAULT_SK = "TESTSKemulatorSecretKey0000000000000001"
DEFAULT_PROJECT = "0123456789abcdef0123456789abcdef"
DEFAULT_REGION = "xx-test-1"
DEFAULT_DOMAIN = "central-account"  # the account name of the emulator's own (central) credentials
HOSTS = ("taurusdb", "gaussdb", "dds", "rds", "smn", "obs")  # plus "functiongraph" / "ces" / "iam" when asked for
# offset counts items from 0, or is a page number from 1 (offset=0 also page 1), or a page number from 1
# where offset=0 is no page at all (an empty answer; total_count still counts every match)
OFFSET_MODES = ("item", "page", "page_strict")
DOCUMENTED_OFFSET_MODES = {"taurusdb": "page", "gaussdb": "item", "dds": "item", "rds": "item"}
# How RDS reads its "UTC timestamp" query times: UNIX milliseconds (its API reference), seconds (refusing
# a value beyond year 9999 with 400), or seconds without complaint (a millisecond value is a window some
# 50,000 years ahead, clamped to the last representable instant: an empty list, the silent variant).
RDS_TIME_UNITS = ("ms", "s", "s_lenient")


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class CloudEmulator:
    """Six emulated hosts (TaurusDB, openGauss, DDS, RDS, SMN, OBS) on 127.0.0.1, one port each; besides,
    FunctionGraph (what `make deploy` calls), with functiongraph=True, and Cloud Eye (the deploy's alarm
    rule), with ces=True."""

    def __init__(
        self,
        ak: str = DEFAULT_AK,
        sk: str = DEFAULT_SK,
        security_token: str | None = None,
        project_id: str = DEFAULT_PROJECT,
        region: str = DEFAULT_REGION,
        topic_urns: list[str] | None = None,
        buckets: list[str] | None = None,
        seed_examples: bool = True,
        now: Callable[[], datetime] | None = None,
        *,
        taurusdb_offset_mode: str = "page",
        offset_modes: dict[str, str] | None = None,
        omit_total_count: Iterable[str] = (),
        rds_time_unit: str = "ms",
        rds_end_time_bounds: str = "created",
        visibility_delay: float = 0.0,
        retention: timedelta = timedelta(days=30),
        max_skew: timedelta = timedelta(minutes=15),
        host: str = "127.0.0.1",
        functiongraph: bool = False,
        obs_encryption: str | None = None,
        ces: bool = False,
        iam: bool = False,
        domain_name: str = DEFAULT_DOMAIN,
    ) -> None:
        # How each list API reads `offset` (see taskcenters.py); the documented readings by default.
        modes = {**DOCUMENTED_OFFSET_MODES, "taurusdb": taurusdb_offset_mode, **(offset_modes or {})}
        for service, mode in modes.items():
            check_service(service)
            if mode not in OFFSET_MODES:
                raise ValueError(f"offset mode of {service} must be one of {OFFSET_MODES}")
        for service in omit_total_count:
            check_service(service)
        if rds_time_unit not in RDS_TIME_UNITS:
            raise ValueError(f"rds_time_unit must be one of {RDS_TIME_UNITS}")
        self.ak = ak
        self.sk = sk
        self.security_token = security_token
        self.project_id = project_id
        self.region = region
        self.topic_urns = list(
            topic_urns if topic_urns is not None else [f"urn:smn:{region}:{project_id}:taskwatch"]
        )
        self.offset_modes = modes
        self.omit_total_count = frozenset(omit_total_count)
        self.rds_time_unit = rds_time_unit
        if rds_end_time_bounds not in ("created", "ended"):
            raise ValueError("rds_end_time_bounds must be created or ended")
        self.rds_end_time_bounds = rds_end_time_bounds  # what RDS end_time bounds (taskcenters.py)
        self.visibility_delay = visibility_delay
        self.retention = retention
        self.max_skew = max_skew
        self.latency = 0.0
        self.host = host
        self.faults = FaultSet()
        self.accounts = Accounts(domain_name)  # member accounts and the agency credentials IAM issued (iam.py)
        self.store = TaskStore()
        self.objects = ObjectStore(list(buckets if buckets is not None else ["taskwatch-state"]), obs_encryption)
        self._now = now or _utcnow
        self._stop = threading.Event()
        self._dispatcher = Dispatcher(self)
        self._smn = Smn(self)
        self._services: dict[str, Service] = {
            "taurusdb": TaurusDB(self),
            "gaussdb": OpenGauss(self),
            "dds": Dds(self),
            "rds": Rds(self),
            "smn": self._smn,
            "obs": Obs(self, self.objects),
        }
        self._functiongraph = FunctionGraph(self)
        if functiongraph:
            self._services["functiongraph"] = self._functiongraph
        self._ces = CloudEye(self)
        if ces:
            self._services["ces"] = self._ces
        if iam:
            self._services["iam"] = Iam(self)
        self._listeners: dict[str, Listener] = {}
        if seed_examples:
            self._load_seeds()

    # ---- lifecycle ------------------------------------------------------------------------------
    def start(self) -> CloudEmulator:
        if self._listeners:
            return self
        self._stop.clear()
        for name, service in self._services.items():
            listener = Listener(self.host, self._dispatch_for(service), name, self._dispatcher.record_error)
            self._listeners[name] = listener
            listener.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        listeners, self._listeners = self._listeners, {}
        # Shut the listeners down in parallel: each shutdown waits for one accept-loop poll.
        stoppers = [threading.Thread(target=listener.stop, daemon=True) for listener in listeners.values()]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join(10)
        for listener in listeners.values():
            listener.join_workers(2.0)

    def connections_accepted(self) -> int:
        """TCP connections accepted so far, over every service."""
        return sum(listener.server.accepted for listener in self._listeners.values())

    def drop_connections(self) -> None:
        """Close every open client connection, as a server's idle timeout does between invocations."""
        for listener in self._listeners.values():
            listener.server.close_connections()

    def __enter__(self) -> CloudEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _dispatch_for(self, service: Service) -> Callable[[Request], Response]:
        def dispatch(request: Request) -> Response:
            return self._dispatcher.dispatch(service, request)

        return dispatch

    def wait(self, seconds: float) -> None:
        """Sleep that stop() interrupts (latency and 'timeout' faults use it)."""
        if seconds and seconds > 0:
            self._stop.wait(seconds)

    def now(self) -> datetime:
        """The emulator's notion of now for task data (aware)."""
        value = self._now()
        if value.tzinfo is None:
            raise ValueError("now() must return an aware datetime")
        return value

    # ---- endpoints --------------------------------------------------------------------------------
    @property
    def endpoints(self) -> dict[str, str]:
        if not self._listeners:
            raise RuntimeError("the emulator is not started")
        return {name: listener.server.url for name, listener in self._listeners.items()}

    def env(self) -> dict[str, str]:
        return {f"TASKWATCH_ENDPOINT_{name.upper()}": url for name, url in self.endpoints.items()}

    # ---- task data --------------------------------------------------------------------------------
    def add_account(self, domain: str, projects: list[str], agencies: dict[str, str] | None = None) -> None:
        """A member account: its projects, and its agencies (agency name -> the account name it trusts; the
        central account is `domain_name`). Its projects answer only its agencies' temporary credentials."""
        self.accounts.add(domain, projects, agencies or {})

    def add_task(
        self,
        service: str,
        project_id: str | None = None,
        *,
        id: str | None = None,
        name: str,
        status: str,
        created: datetime,
        ended: datetime | None = None,
        progress: str = "",
        instance_id: str,
        instance_name: str,
        instance_status: str | None = None,
        fail_reason: str | None = None,
        entities: Any = None,
    ) -> str:
        fields = {
            "id": id,
            "name": name,
            "status": status,
            "created": created,
            "ended": ended,
            "progress": progress,
            "instance_id": instance_id,
            "instance_name": instance_name,
            "instance_status": instance_status,
            "fail_reason": fail_reason,
            "entities": entities,
        }
        return self.store.add(service, project_id or self.project_id, fields, {})

    def update_task(self, service: str, task_id: str, project_id: str | None = None, **fields: Any) -> None:
        self.store.update(service, project_id or self.project_id, task_id, fields)

    def remove_task(self, service: str, task_id: str, project_id: str | None = None) -> None:
        self.store.remove(service, project_id or self.project_id, task_id)

    def tasks(self, service: str, project_id: str | None = None) -> list[dict[str, Any]]:
        check_service(service)
        return self.store.public(service, project_id or self.project_id)

    def generate(
        self,
        service: str,
        count: int,
        failure_rate: float = 0.01,
        running_rate: float = 0.0,
        project_id: str | None = None,
        seed: int = 0,
        span: timedelta = timedelta(days=29),
    ) -> list[str]:
        check_service(service)
        generated = generate_tasks(service, count, self.now(), failure_rate, running_rate, seed, span)
        project = project_id or self.project_id
        return [self.store.add(service, project, fields, {}) for fields in generated]

    def raw_item(self, service: str, project_id: str | None, item_dict: dict[str, Any]) -> None:
        self.store.add_raw(service, project_id or self.project_id, item_dict)

    def _load_seeds(self) -> None:
        for task in rebase(seed_tasks(), self.now()):
            fields = {k: v for k, v in task.fields.items() if k in CANONICAL_FIELDS}
            self.store.add(
                task.service, self.project_id, fields, {"offsets": task.offsets, "omit": task.omit}
            )

    # ---- records ----------------------------------------------------------------------------------
    @property
    def requests(self) -> list[dict[str, Any]]:
        return self._dispatcher.snapshot()

    def request_counts(self) -> Counter[str]:
        return Counter(r["call"] for r in self._dispatcher.snapshot() if r["call"])

    @property
    def smn_messages(self) -> list[dict[str, Any]]:
        return self._smn.snapshot()

    def smn_subscribe(self, topic_urn: str, protocol: str, endpoint: str, status: int = 1) -> str:
        """Add a subscription to a topic (status 1: confirmed, 0: unconfirmed); returns its URN."""
        return self._smn.subscribe(topic_urn, protocol, endpoint, status)

    @property
    def errors(self) -> list[str]:
        """Tracebacks of emulator bugs (should stay empty)."""
        return list(self._dispatcher.errors)

    def reset_records(self) -> None:
        self._dispatcher.reset()
        self._smn.clear()

    @property
    def functiongraph(self) -> FunctionGraph:
        """The FunctionGraph service: .function(name), .triggers(name), .dependency_versions(name)."""
        return self._functiongraph

    @property
    def ces(self) -> CloudEye:
        """The Cloud Eye service: .rules() shows the alarm rules deploy left."""
        return self._ces

    # ---- OBS --------------------------------------------------------------------------------------
    @property
    def obs_objects(self) -> dict[tuple[str, str], bytes]:
        return self.objects.snapshot()

    def obs_put_object(
        self, bucket: str, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> str:
        """Store an object directly (test setup); returns its ETag (quoted MD5, or an opaque tag in an
        encrypted bucket)."""
        return self.objects.put(bucket, key, data, content_type).etag
