"""One task center, whatever the service: paging, validation of the raw body, normalisation.

Each service module (taurusdb, gaussdb, dds) only declares how its API differs: operations, field names,
paging and time formats. Everything else lives here once.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..credentials import Credentials
from ..deadline import Deadline
from ..errors import SourceError
from ..jsontext import loads_strict
from ..retry import BadResponse, RetryPolicy, call_with_retry
from ..sanitize import one_line
from ..sdk import build_client, invoke, split_endpoint
from ..tasks import Target, Task
from ..timeutil import parse_instant
from ..validation import PageValidator, detail_validator, page_validator

MAX_PAGES = 400  # a month of tasks at 50-100 per page; more means the listing is not converging
MAX_ID = 128  # task IDs are UUIDs (36 characters); anything far longer is shortened to a stable stand-in
PAGE_WORKERS = 4  # pages of one listing fetched together once total_count is known
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
    """What one list query returned, and whether it is known to be complete."""

    tasks: list[Task] = field(default_factory=list)
    pages: int = 0
    complete: bool = True
    anomalies: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)


class TaskCenter:
    """The task center of one service in one target (region and project)."""

    def __init__(self, spec: ServiceSpec, target: Target, endpoint_url: str, credentials: Credentials,
                 policy: RetryPolicy, deadline: Deadline, read_timeout: float,
                 offset_mode: str = "item") -> None:
        self.spec = spec
        self.target = target
        self.policy = policy
        self.deadline = deadline
        self.offset_mode = offset_mode
        self.source = f"{target.region}/{target.project_id}/{spec.service}"
        endpoint, self.path_prefix = split_endpoint(endpoint_url)
        self.client = build_client(spec.client_class(), endpoint, target.project_id, credentials,
                                   deadline.read_timeout(read_timeout), pool_size=CONNECTIONS)
        self._slots = threading.BoundedSemaphore(CONNECTIONS)

    # -- raw calls -------------------------------------------------------------------------------------
    def _fetch(self, call: str, operation: str, request: Any) -> Any:
        def once() -> Any:
            with self._slots:  # never more requests in flight than the client's connection pool
                response = invoke(self.client, operation, request, self.path_prefix)
            return _parse_body(response.raw_content)
        return call_with_retry(once, self.policy, self.deadline, f"{self.source} {call}")

    def _offset(self, page: int) -> int:
        return page + 1 if self.offset_mode == "page" else page * self.spec.page_size

    # -- list ------------------------------------------------------------------------------------------
    def list_tasks(self, status: str, start: datetime, end: datetime) -> Listing:
        """Every task with `status` created in [start, end], following every page.

        The first page says how many there are (total_count): the other pages are then fetched together.
        Pages are read in order; a task seen twice (new tasks arriving at the head shift the pages) is kept
        once, and a listing that does not add up (an empty page while total_count says more, a page that
        only repeats earlier tasks) stops and is reported incomplete: the next run reads it all again.
        """
        listing = Listing()
        seen: set[str] = set()
        schema = page_validator(f"{self.spec.service}_list", self.spec.items_key)
        size = self.spec.page_size

        def fetch(page: int) -> tuple[int, Any]:
            request = self.spec.list_request(status, start, end, self._offset(page), size)
            return page, self._fetch("list", self.spec.list_operation, request)

        fetched, more, total = self._absorb(schema, *fetch(0), listing, seen, 0)
        next_page = 1
        if more and total is not None:
            planned = min(-(-total // size), MAX_PAGES)
            pages = list(range(1, planned))
            if pages:
                with ThreadPoolExecutor(max_workers=min(PAGE_WORKERS, len(pages)), thread_name_prefix="page") as pool:
                    for page, document in pool.map(fetch, pages):
                        fetched, more, total = self._absorb(schema, page, document, listing, seen, fetched)
                        if not more:
                            break
            next_page = planned
        while more:  # no total_count, or the listing grew while it was read
            if next_page >= MAX_PAGES:
                listing.complete = False
                listing.anomalies.append(f"stopped after {MAX_PAGES} pages")
                break
            fetched, more, total = self._absorb(schema, *fetch(next_page), listing, seen, fetched)
            next_page += 1
        return listing

    def _absorb(self, schema: PageValidator, page: int, document: Any, listing: Listing, seen: set[str],
                fetched: int) -> tuple[int, bool, int | None]:
        """Take one page into the listing; returns (items so far, whether to read on, total_count)."""
        listing.pages += 1
        items, item_errors = self._check_page(schema, document, listing)
        total = document.get("total_count") if isinstance(document.get("total_count"), int) else None
        fresh = 0
        for index, item in enumerate(items):
            task = self._normalise(item, listing, item_errors.get(index, []))
            if task.id in seen:
                continue
            seen.add(task.id)
            fresh += 1
            listing.tasks.append(task)
        fetched += len(items)
        offset = self._offset(page)
        if not items:
            if total is not None and fetched < total:
                listing.complete = False
                listing.anomalies.append(f"empty page at offset {offset} while total_count is {total}")
            return fetched, False, total
        if fresh == 0:
            listing.complete = False
            listing.anomalies.append(f"page at offset {offset} repeated earlier tasks only")
            return fetched, False, total
        more = len(items) >= self.spec.page_size and (total is None or fetched < total)
        return fetched, more, total

    def _check_page(self, schema: PageValidator, document: Any,
                    listing: Listing) -> tuple[list[Any], dict[int, list[str]]]:
        """Validate the page; an envelope that does not match fails the call, a bad record is kept."""
        envelope, record_errors = schema.check(document)
        if envelope:
            for reason in envelope:
                listing.violations.append(Violation(self.source, "list", reason.split(":")[0], reason))
            raise SourceError(f"{self.source} list: response does not match its schema ({envelope[0]})",
                              kind="schema")
        return document[self.spec.items_key], record_errors

    def _normalise(self, item: Any, listing: Listing, errors: list[str]) -> Task:
        fields = _lenient(self.spec.item_fields, item, errors)
        task = self._task(fields, item, errors)
        for reason in errors:
            listing.violations.append(Violation(self.source, "list", reason.split(":")[0], reason, task.id))
        return task

    def _task(self, fields: dict[str, Any], raw: Any, errors: list[str]) -> Task:
        task_id = fields.get("id")
        if not isinstance(task_id, str) or not task_id:
            digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()
            task_id = "unidentified-" + digest[:16]
        elif len(task_id) > MAX_ID:
            # A stable, bounded stand-in: the dedup key and every message must stay small.
            digest = hashlib.sha256(task_id.encode("utf-8", "replace")).hexdigest()
            task_id = f"{task_id[:64]}~{digest[:24]}"
            errors.append(f"id: longer than {MAX_ID} characters, shortened")
        created = _instant(fields.get("created"), "created", errors)
        ended = _instant(fields.get("ended"), "ended", errors)
        instance_id = fields.get("instance_id")
        instance_name = fields.get("instance_name")
        return Task(
            service=self.spec.service, region=self.target.region, project_id=self.target.project_id,
            id=task_id, name=_text(fields.get("name")) or "(unnamed task)", status=_text(fields.get("status")) or "",
            created=created, ended=ended, progress=_text(fields.get("progress")),
            instance_id=_text(instance_id), instance_name=_text(instance_name),
            fail_reason=_text(fields.get("fail_reason")), entities=fields.get("entities"),
            schema_errors=list(errors),
        )

    # -- detail ----------------------------------------------------------------------------------------
    def detail(self, task: Task) -> tuple[Task, list[Violation]]:
        """The task's detail (fail_reason, entities, instance), merged over what the list said."""
        document = self._fetch("detail", self.spec.detail_operation, self.spec.detail_request(task.id))
        violations: list[Violation] = []
        errors = detail_validator(f"{self.spec.service}_detail").errors(document)
        for reason in errors:
            violations.append(Violation(self.source, "detail", reason.split(":")[0], reason, task.id))
        job = document.get("job") if isinstance(document, dict) else None
        if not isinstance(job, dict):
            raise SourceError(f"{self.source} detail: response has no job object", kind="schema")
        fields = _lenient(self.spec.detail_fields, job, errors)
        merged = Task(**{**task.__dict__})
        for name in ("fail_reason", "entities", "instance_id", "instance_name", "progress"):
            value = fields.get(name)
            if value not in (None, "", {}):
                setattr(merged, name, value if name == "entities" else _text(value))
        ended = _instant(fields.get("ended"), "ended", errors)
        if ended and not merged.ended:
            merged.ended = ended
        merged.schema_errors = list(task.schema_errors) + errors
        merged.detailed = True
        return merged, violations


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
        snippet = raw[:60].decode("utf-8", "replace")
        raise BadResponse(f"not JSON: {one_line(snippet, 60)!r}") from None


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
