"""The task centers' data: canonical task records per (service, project), queried like the list APIs.

Why: one neutral record per task (id, name, status, created, ended, progress, instance, fail_reason,
entities) lets render.py produce each API's own field names and time formats, while the list rules the
documents state (one-month retention, visibility a few seconds after creation, filters, newest first)
live in one place.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .timefmt import parse_any_time, require_aware

SERVICES = ("taurusdb", "gaussdb", "dds", "rds")

# Public canonical fields (what add_task takes and tasks() returns, plus project_id and service).
CANONICAL_FIELDS = (
    "id",
    "name",
    "status",
    "created",
    "ended",
    "progress",
    "instance_id",
    "instance_name",
    "instance_status",
    "fail_reason",
    "entities",
)
UPDATABLE_FIELDS = frozenset(CANONICAL_FIELDS) - {"id"}


@dataclass(frozen=True)
class RawFields:
    """Where a raw (injected) list item of a service keeps the fields the list filters look at."""

    created: str
    status: str
    name: str
    id: str


RAW_FIELDS = {
    "taurusdb": RawFields(created="created_time", status="status", name="job_name", id="job_id"),
    "gaussdb": RawFields(created="created_at", status="status", name="name", id="job_id"),
    "dds": RawFields(created="created_at", status="status", name="name", id="id"),
    "rds": RawFields(created="create_time", status="status", name="name", id="id"),
}


@dataclass(frozen=True)
class ListQuery:
    """The filters a list call asked for; None means 'not filtered'."""

    status: str | None = None
    name: str | None = None
    task_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    # Which time `end` bounds: the task's creation ("created", the API references) or its end ("ended", the
    # RDS SDK's reading of end_time, "任务的结束时间": a task still running has none and never matches).
    end_bounds: str = "created"


def check_service(service: str) -> None:
    if service not in SERVICES:
        raise ValueError(f"unknown task service {service!r}; expected one of {SERVICES}")


class TaskStore:
    """Thread-safe task records and raw items, keyed by service and project."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._tasks: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        # Raw items with the created time the filters read in them (parsed once, when the item is added).
        self._raw: dict[tuple[str, str], list[tuple[dict[str, Any], datetime | None]]] = {}
        self._seq = 0

    # ---- mutation -------------------------------------------------------------------------------
    def add(self, service: str, project_id: str, fields: dict[str, Any], private: dict[str, Any]) -> str:
        check_service(service)
        record = _validated(fields)
        record.setdefault("id", str(uuid.uuid4()))
        record["_offsets"] = dict(private.get("offsets", {}))
        record["_omit"] = frozenset(private.get("omit", ()))
        with self._lock:
            bucket = self._tasks.setdefault((service, project_id), {})
            if record["id"] in bucket:
                raise ValueError(f"{service} task {record['id']!r} already exists in project {project_id}")
            self._seq += 1
            record["_seq"] = self._seq
            bucket[record["id"]] = record
        return str(record["id"])

    def update(self, service: str, project_id: str, task_id: str, fields: dict[str, Any]) -> None:
        check_service(service)
        unknown = set(fields) - UPDATABLE_FIELDS
        if unknown:
            raise TypeError(f"cannot update fields {sorted(unknown)}; updatable: {sorted(UPDATABLE_FIELDS)}")
        with self._lock:
            record = self._find(service, project_id, task_id)
            merged = {k: v for k, v in record.items() if not k.startswith("_")}
            merged.update(fields)
            checked = _validated(merged)
            record.update(checked)
            for key in fields:
                if key in record["_offsets"] and key in ("created", "ended"):
                    # A new time is rendered in the service's default offset, not the seed's.
                    record["_offsets"] = {k: v for k, v in record["_offsets"].items() if k != key}
            record["_omit"] = frozenset(record["_omit"] - set(fields))

    def remove(self, service: str, project_id: str, task_id: str) -> None:
        check_service(service)
        with self._lock:
            self._find(service, project_id, task_id)
            del self._tasks[(service, project_id)][task_id]

    def add_raw(self, service: str, project_id: str, item: dict[str, Any]) -> None:
        check_service(service)
        if not isinstance(item, dict):
            raise TypeError("a raw item must be a dict (it is sent verbatim as one list element)")
        stored = copy.deepcopy(item)
        created = parse_any_time(stored.get(RAW_FIELDS[service].created))
        with self._lock:
            self._raw.setdefault((service, project_id), []).append((stored, created))

    # ---- reading --------------------------------------------------------------------------------
    def get(self, service: str, project_id: str, task_id: str) -> dict[str, Any] | None:
        with self._lock:
            record = self._tasks.get((service, project_id), {}).get(task_id)
            return copy.deepcopy(record) if record is not None else None

    def public(self, service: str, project_id: str) -> list[dict[str, Any]]:
        """Canonical copies (no private keys), newest created first."""
        with self._lock:
            records = list(self._tasks.get((service, project_id), {}).values())
            out = []
            for record in sorted(records, key=_newest_first):
                item = {k: copy.deepcopy(v) for k, v in record.items() if not k.startswith("_")}
                item["project_id"] = project_id
                item["service"] = service
                out.append(item)
            return out

    def query(
        self,
        service: str,
        project_id: str,
        query: ListQuery,
        now: datetime,
        retention: timedelta,
        visibility_delay: float,
        offset: int = 0,
        limit: int | None = None,
        render: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> tuple[int, list[tuple[str, dict[str, Any]]]]:
        """(total matching, the requested slice) of what a list call may return, newest first.

        Entries are ("task", record) or ("raw", item), copied. With `render`, a record is given to it
        (under the lock, so never half updated) instead of copied: a list call renders each record into an
        API item, a new object, so the copy would only be thrown away. Raw items are filtered on whichever
        of the service's fields they carry in a usable form; a raw item without a usable created time
        sorts first (as if newest) and ignores the time filters and retention.
        """
        oldest = now - retention
        newest = now - timedelta(seconds=visibility_delay)
        fields = RAW_FIELDS[service]
        with self._lock:
            keyed: list[tuple[tuple[int, float, int, str], str, dict[str, Any]]] = []
            for record in self._tasks.get((service, project_id), {}).values():
                created: datetime = record["created"]
                if not oldest <= created <= newest:
                    continue
                if not _matches(query, record["status"], record["name"], record["id"], created):
                    continue
                if query.end_bounds == "ended" and query.end is not None and (
                        record["ended"] is None or record["ended"] > query.end):
                    continue
                keyed.append(((1, -created.timestamp(), -record["_seq"], record["id"]), "task", record))
            for index, (item, created_raw) in enumerate(self._raw.get((service, project_id), [])):
                if created_raw is not None and not oldest <= created_raw <= newest:
                    continue
                if not _matches(
                    query, item.get(fields.status), item.get(fields.name), item.get(fields.id), created_raw
                ):
                    continue
                if created_raw is None:
                    key = (0, float(index), 0, "")
                else:
                    key = (1, -created_raw.timestamp(), 0, str(item.get(fields.id, "")))
                keyed.append((key, "raw", item))
            keyed.sort(key=lambda entry: entry[0])
            end = len(keyed) if limit is None else offset + limit
            own = _record_copy if render is None else render
            page = [(kind, own(entry) if kind == "task" else _item_copy(entry))
                    for _, kind, entry in keyed[offset:end]]
            return len(keyed), page

    def _find(self, service: str, project_id: str, task_id: str) -> dict[str, Any]:
        record = self._tasks.get((service, project_id), {}).get(task_id)
        if record is None:
            raise KeyError(f"no {service} task {task_id!r} in project {project_id}")
        return record


def _record_copy(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of a canonical record as deep as it needs to be: most values are immutable (text, numbers,
    aware datetimes, a frozenset); the containers among them (`entities`, `_offsets`, anything a test
    stored) are deep-copied. Every list call copies each record it returns, so copy.deepcopy's generic
    walk over the immutable values was most of a long listing's cost."""
    return {key: copy.deepcopy(value) if isinstance(value, (dict, list, set, bytearray)) else value
            for key, value in record.items()}


_ATOMS = (str, int, float, bool, type(None))


def _item_copy(value: Any) -> Any:
    """A deep copy of a raw item, which is JSON-shaped data (it is sent as one list element): dicts and lists
    are rebuilt, text, numbers, booleans and None shared, anything else deep-copied. Every list call copies
    each raw item that matches, and copy.deepcopy's generic walk (its memo, a dispatch per value) was a
    quarter of a long-running harness's emulator CPU once bad records had piled up in the listings."""
    if isinstance(value, dict):
        return {key: _item_copy(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_item_copy(inner) for inner in value]
    if isinstance(value, _ATOMS):
        return value
    return copy.deepcopy(value)


def _newest_first(record: dict[str, Any]) -> tuple[float, int]:
    return (-record["created"].timestamp(), -record["_seq"])


def _matches(
    query: ListQuery, status: object, name: object, task_id: object, created: datetime | None
) -> bool:
    if query.status is not None and isinstance(status, str) and status != query.status:
        return False
    if query.name is not None and isinstance(name, str) and name != query.name:
        return False
    if query.task_id is not None and isinstance(task_id, str) and task_id != query.task_id:
        return False
    if created is not None:
        if query.start is not None and created < query.start:
            return False
        if query.end is not None and query.end_bounds == "created" and created > query.end:
            return False
    return True


def _validated(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(CANONICAL_FIELDS)
    if unknown:
        raise TypeError(f"unknown task fields {sorted(unknown)}")
    record = dict(fields)
    for required in ("name", "status", "created", "instance_id", "instance_name"):
        if record.get(required) is None:
            raise ValueError(f"task field {required!r} is required")
    require_aware("created", record["created"])
    if record.get("ended") is not None:
        require_aware("ended", record["ended"])
    record.setdefault("ended", None)
    record.setdefault("instance_status", None)
    record.setdefault("fail_reason", None)
    record.setdefault("entities", None)
    if record.get("progress") is None:
        record["progress"] = ""
    if record.get("id") is None:
        record.pop("id", None)
    record["entities"] = copy.deepcopy(record["entities"])
    return record
