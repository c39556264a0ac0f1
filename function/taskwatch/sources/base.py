"""One task center, whatever the service: paging, validation of the raw body, normalisation.

Each service module (taurusdb, gaussdb, dds) only declares how its API differs: operations, field names,
paging and time formats. Everything else lives here once.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ..clean_data import clean_structure, display_id
from ..credentials import Credentials
from ..deadline import Deadline
from ..errors import SourceError
from ..jsontext import loads_strict
from ..retry import BadResponse, RetryPolicy, call_with_retry
from ..sanitize import one_line
from ..sdk import build_client, invoke, split_endpoint
from ..secrets_scrub import SCRUBBER
from ..tasks import Target, Task
from ..timeutil import parse_instant
from ..validation import PageValidator, detail_validator, page_validator
from .pager import READINGS, Pager
from .time_units import UnitBelief, list_inferring_unit

MAX_ID = 128  # task IDs are UUIDs (36 characters); anything far longer is shortened to a stable stand-in
CONNECTIONS = 10  # requests in flight per client: the SDK's connection pool size


@dataclass(frozen=True)
class ServiceSpec:
    """How one service's task center API looks."""

    service: str
    statuses: Mapping[str, str]  # every status the list API knows -> what it means (in the SDK's words)
    stuck_statuses: tuple[str, ...]  # a task still running: stuck once older than TASKWATCH_STUCK_AFTER
    client_class: Callable[[], Any]  # imported lazily: each SDK costs ~0.3 s and 60 MB to import
    list_operation: str
    list_request: Callable[..., Any]  # (status, start, end, offset, limit) -> request
    detail_operation: str
    detail_request: Callable[[str], Any]
    items_key: str
    page_size: int
    item_fields: Callable[[dict[str, Any]], dict[str, Any]]  # raw list item -> Task fields
    detail_fields: Callable[[dict[str, Any]], dict[str, Any]]  # raw detail job -> Task fields
    offset_reading: str = "item"  # what the documents say `offset` means; the answers have the last word
    # The unit of the query times is contested (RDS): list_request takes unit= and the answers decide
    # (time_units.py).
    infer_time_unit: bool = False
    detail_adds: tuple[str, ...] = ()  # Task fields only the detail call gives (see detail_wanted)

    def __post_init__(self) -> None:
        if self.offset_reading not in READINGS:
            raise ValueError(f"offset_reading must be one of {READINGS}")


@dataclass
class Violation:
    """A record or page that did not match its schema: reported, never dropped."""

    source: str
    call: str
    path: str
    reason: str
    task_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "call": self.call, "path": self.path, "reason": self.reason,
                "task_id": self.task_id}


@dataclass
class Listing:
    """What one list query returned, and whether it is known to be complete.

    Pages are taken as they arrive and let go: each item becomes a Task, and a Task the run has nothing to
    do with (`settle` says why: a failure already reported, say) is only counted, in `settled`, with its key
    kept in `known` when the state holds it. Only the tasks the decisions need stay in `tasks`."""

    tasks: list[Task] = field(default_factory=list)
    pages: int = 0
    complete: bool = True
    anomalies: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    reading: str | None = None  # the reading of `offset` the answers confirmed (None: one page, no test)
    time_unit: str | None = None  # the query-time unit the listing was read in (infer_time_unit only)
    time_unit_confirmed: bool = False  # a task inside the window came back: the unit is the server's
    settle: Callable[[Task], str | None] | None = None  # a task -> why it needs no decision (None: it does)
    settled: dict[str, int] = field(default_factory=dict)  # tasks counted and let go, by reason
    known: list[str] = field(default_factory=list)  # keys of tasks let go that the state holds

    @property
    def listed(self) -> int:
        """Distinct tasks listed: kept and let go."""
        return len(self.tasks) + sum(self.settled.values())


class TaskCenter:
    """The task center of one service in one target (region and project)."""

    def __init__(self, spec: ServiceSpec, target: Target, endpoint_url: str, credentials: Credentials,
                 policy: RetryPolicy, deadline: Deadline, read_timeout: float,
                 slots: threading.Semaphore | None = None) -> None:
        self.spec = spec
        self.target = target
        self.policy = policy
        self.deadline = deadline
        self.source = f"{target.region}/{target.project_id}/{spec.service}"
        endpoint, self.path_prefix = split_endpoint(endpoint_url)
        self.client = build_client(spec.client_class(), endpoint, target.project_id, credentials,
                                   read_timeout, pool_size=CONNECTIONS, deadline=deadline)
        # Shared by every task center of a run when given: TASKWATCH_CONCURRENCY requests in flight in all.
        self._slots = slots if slots is not None else threading.BoundedSemaphore(CONNECTIONS)
        self.time_unit = UnitBelief()  # infer_time_unit only: the unit to try first (the run sets the state's)

    # -- raw calls -------------------------------------------------------------------------------------
    def _fetch(self, call: str, operation: str, request: Any) -> Any:
        def once() -> Any:
            with self._slots:  # never more requests in flight than the client's connection pool
                response = invoke(self.client, operation, request, self.path_prefix, models=False)
            return _parse_body(response.raw_content)
        return call_with_retry(once, self.policy, self.deadline, f"{self.source} {call}")

    # -- list ------------------------------------------------------------------------------------------
    def list_tasks(self, status: str, start: datetime, end: datetime, reading: str | None = None,
                   settle: Callable[[Task], str | None] | None = None) -> Listing:
        """Every task with `status` created in [start, end], following every page (see pager.py).

        `reading` is what `offset` is believed to mean (item or page); the answers confirm or correct it and
        the listing says which reading they confirmed. A task listed twice (new tasks arriving at the head
        shift the pages) is kept once; a listing that does not add up is reported incomplete, and the next
        run reads it all again.
        """
        if self.spec.infer_time_unit:
            # every task kept (no settle): the unit checks read the listed tasks' creation times
            return list_inferring_unit(self, status, start, end, reading, self.time_unit)
        return self.read_listing(status, start, end, reading, settle=settle)

    def read_listing(self, status: str, start: datetime | None, end: datetime | None, reading: str | None = None,
                     unit: str | None = None, settle: Callable[[Task], str | None] | None = None) -> Listing:
        """One listing under one reading of `offset` (and, with `unit`, one unit of the query times); start and
        end None: no time filter (RDS running tasks, time_units.list_running)."""
        size = self.spec.page_size
        units = {} if unit is None else {"unit": unit}

        def request(offset: int) -> Any:
            return self.spec.list_request(status, start, end, offset, size, **units)

        return Pager(self, request, reading or self.spec.offset_reading, Listing(settle=settle)).read()

    def fetch_list(self, request: Any) -> Any:
        return self._fetch("list", self.spec.list_operation, request)

    def absorb(self, document: Any, listing: Listing, seen: set[str],
               schema: PageValidator | None = None) -> tuple[int, int]:
        """Take one page into the listing; returns (items on the page, tasks not seen before)."""
        listing.pages += 1
        items, item_errors = self._check_page(schema or self._schema(), document, listing)
        fresh = 0
        for index, item in enumerate(items):
            task = self._normalise(item, listing, item_errors.get(index, []), index)
            if task.id in seen:
                continue
            seen.add(task.id)
            fresh += 1
            verdict = listing.settle(task) if listing.settle is not None and not task.schema_errors else None
            if verdict is None:
                listing.tasks.append(task)
                continue
            listing.settled[verdict] = listing.settled.get(verdict, 0) + 1
            if verdict == "known":
                listing.known.append(task.key)
        return len(items), fresh

    def peek_ids(self, document: Any, listing: Listing) -> list[str]:
        """The task IDs a page holds, without taking it (to tell the readings of `offset` apart). Only its
        envelope is checked here: its records are checked when the page is taken (absorb), or never count."""
        items, _errors = self._check_page(self._schema(), document, listing, records=False)
        return [self._task(_lenient(self.spec.item_fields, item, []), item, []).id for item in items]

    def _schema(self) -> PageValidator:
        return page_validator(f"{self.spec.service}_list", self.spec.items_key)

    def _check_page(self, schema: PageValidator, document: Any, listing: Listing,
                    records: bool = True) -> tuple[list[Any], dict[int, list[str]]]:
        """Validate the page; an envelope that does not match fails the call, a bad record is kept."""
        envelope, record_errors = schema.check(document, records)
        if envelope:
            for reason in envelope:
                listing.violations.append(Violation(self.source, "list", reason.split(":")[0], reason))
            raise SourceError(f"{self.source} list: response does not match its schema ({envelope[0]})",
                              kind="schema")
        return document[self.spec.items_key], record_errors

    def _normalise(self, item: Any, listing: Listing, errors: list[str], index: int | None = None) -> Task:
        try:
            fields = _lenient(self.spec.item_fields, item, errors)
            task = self._task(fields, item, errors)
        except Exception as exc:  # a record no rule foresaw: reported against it, the page goes on
            path = f"{self.spec.items_key}[{'?' if index is None else index}]"
            errors.append(f"{path}: could not be read ({type(exc).__name__}: {one_line(str(exc), 120)})")
            task = self._task({}, item, errors)
        for reason in errors:
            listing.violations.append(Violation(self.source, "list", reason.split(":")[0], reason, task.id))
        return task

    def _task(self, fields: dict[str, Any], raw: Any, errors: list[str]) -> Task:
        task_id = fields.get("id")
        api_id = None
        if not isinstance(task_id, str) or not task_id:
            digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()
            task_id = "unidentified-" + digest[:16]
        elif len(task_id) > MAX_ID:
            # A stable, bounded stand-in: the dedup key and every message must stay small. No real ID is
            # this long, so the detail call gets the stand-in too (and reports what the API says).
            task_id = display_id(task_id)
            errors.append(f"id: longer than {MAX_ID} characters, shortened")
        elif display_id(task_id) != task_id:
            # Outside the safe alphabet: a stand-in in the key and every text, the raw ID for the API calls.
            api_id, task_id = task_id, display_id(task_id)
            errors.append("id: characters other than letters, digits, '.', '_' and '-', shown as a stand-in")
        created = _instant(fields.get("created"), "created", errors)
        ended = _instant(fields.get("ended"), "ended", errors)
        instance_id = fields.get("instance_id")
        instance_name = fields.get("instance_name")
        return Task(
            service=self.spec.service, region=self.target.region, project_id=self.target.project_id,
            id=task_id, name=_text(fields.get("name")) or "(unnamed task)", status=_text(fields.get("status")) or "",
            created=created, ended=ended, progress=_text(fields.get("progress")),
            instance_id=_text(instance_id), instance_name=_text(instance_name),
            fail_reason=_text(fields.get("fail_reason")), entities=clean_structure(fields.get("entities")),
            schema_errors=list(errors), api_id=api_id,
        )

    # -- detail ----------------------------------------------------------------------------------------
    def detail(self, task: Task) -> tuple[Task, list[Violation]]:
        """The task's detail (fail_reason, entities, instance), merged over what the list said."""
        document = self._fetch("detail", self.spec.detail_operation, self.spec.detail_request(task.api_id or task.id))
        violations: list[Violation] = []
        errors = detail_validator(f"{self.spec.service}_detail").errors(document)
        for reason in errors:
            violations.append(Violation(self.source, "detail", reason.split(":")[0], reason, task.id))
        job = document.get("job") if isinstance(document, dict) else None
        if not isinstance(job, dict):
            raise SourceError(f"{self.source} detail: response has no job object", kind="schema")
        fields = _lenient(self.spec.detail_fields, job, errors)
        merged = replace(task)
        for name in ("fail_reason", "entities", "instance_id", "instance_name", "progress"):
            value = fields.get(name)
            if value not in (None, "", {}):
                setattr(merged, name, clean_structure(value) if name == "entities" else _text(value))
        ended = _instant(fields.get("ended"), "ended", errors)
        if ended and not merged.ended:
            merged.ended = ended
        merged.schema_errors = list(task.schema_errors) + errors
        merged.detailed = True
        return merged, violations


def detail_wanted(spec: ServiceSpec, task: Task) -> bool:
    """Whether the detail call adds something to what the list item said. Each message carries the
    instance, the task ID and the reason; the list items of all three services already hold them (the SDK
    models: TaurusDB TaskDetailInfo, openGauss TaskDetailResult, DDS JobInfo all have fail_reason and the
    instance), so the detail call is made only where it gives more:

    | service  | the detail adds                 | detail call for a new failure              |
    | -------- | ------------------------------- | ------------------------------------------ |
    | TaurusDB | `entities` (GetJobEntitiesInfo) | always                                     |
    | GaussDB  | nothing the list item lacks     | only when the item has no fail_reason or   |
    | DDS      | nothing the list item lacks     | instance ID (null or missing in the item)  |
    """
    return bool(spec.detail_adds) or not task.fail_reason or not task.instance_id


def field_map(**paths: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Task fields read from an API record by (dotted) key: field_map(id="job_id",
    instance_id="instance_info.instance_id"). The APIs name the same facts differently; this says how."""
    split = [(name, path.split(".")) for name, path in paths.items()]

    def extract(record: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for name, keys in split:
            value: Any = record
            for key in keys:
                value = value.get(key) if isinstance(value, dict) else None
            fields[name] = value
        return fields

    return extract


def job_detail_fields(progress_key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The detail APIs of all three services share one shape: job{..., instance{id, name}}; only the
    progress field is named differently (TaurusDB `process`, openGauss and DDS `progress`)."""
    return field_map(id="id", name="name", status="status", created="created", ended="ended",
                     progress=progress_key, instance_id="instance.id", instance_name="instance.name",
                     fail_reason="fail_reason", entities="entities")


def _parse_body(raw: bytes | None) -> Any:
    if raw is None or raw == b"":
        raise BadResponse("empty body")
    try:
        return loads_strict(raw)
    except ValueError:
        text = SCRUBBER(raw.decode("utf-8", "replace"))  # the whole body: a secret cut first is harder to find
        raise BadResponse(f"not JSON: {one_line(text, 60)!r}") from None


def _lenient(extract: Callable[[dict[str, Any]], dict[str, Any]], raw: Any, errors: list[str]) -> dict[str, Any]:
    """Field extraction that survives odd records: what cannot be read is left out and noted."""
    if not isinstance(raw, dict):
        errors.append("(record): not an object")
        return {}
    try:
        return extract(raw)
    except (AttributeError, TypeError, KeyError) as exc:
        errors.append(f"(record): unreadable fields ({type(exc).__name__})")
        return {}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _instant(value: Any, name: str, errors: list[str]) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return parse_instant(value) if isinstance(value, str) else None
    except ValueError:
        errors.append(f"{name}: unreadable time")
        return None
