"""The four task centers' list and detail APIs: routing, query validation, paging.

Why: each API documents its own paging and time filters (TaurusDB: limit 10/20/50 and an offset of
unclear meaning; openGauss: item offset, UNIX ms times; DDS: a mandatory time window of at most 30 days;
RDS: item offset, limit 1-50, "UTC timestamp" times whose unit only one document names);
the emulator enforces them so the function is tested against the documented contract.

Decisions where the documents are unclear (see also the package docstring):
- `offset`: every contested reading is a switch, per service (CloudEmulator(offset_modes={...})): "item"
  (items skipped, from 0) or "page" (page number from 1; offset=0 also means page 1), or "page_strict"
  (page number from 1; offset=0 answers an empty page). Defaults are the
  documented readings: TaurusDB page (its SDK's "default 1", the Terraform provider's paging), openGauss,
  DDS and RDS item (their documents and SDKs; RDS's own example sends offset=1&limit=3, so "page" is a
  reading there too).
- RDS start_time/end_time: the SDK says "UTC timestamp" (no unit), the API reference (OTC edition) says
  UNIX milliseconds and its example sends 13 digits. CloudEmulator(rds_time_unit="ms" | "s" | "s_lenient")
  reads them either way (default "ms"); under "s" a millisecond value lies beyond year 9999 and is refused
  with 400, as a server that cannot represent the instant would; under "s_lenient" it is taken without
  complaint as the last instant the server can represent (a window far in the future: an empty list, no
  error). start_time without end_time is refused (the SDK: when start_time is given, end_time is required).
  What end_time bounds: the API reference's example reads it as a creation-time window (default,
  rds_end_time_bounds="created"); the SDK calls it "任务的结束时间" (the task's end time), so under
  rds_end_time_bounds="ended" a task lists only once it has ended by end_time: a running task never does.
- `total_count`: present by default (as documented); CloudEmulator(omit_total_count={...}) leaves it out of
  a service's list answers (Terraform's DDS data source says it is "actual not in return").
- Invalid query parameters: 400 {"error_code": "DBS.200001", ...} on all four services.
- Unknown (or expired / not yet visible) task id on a detail call: 400 {"error_code": "DBS.200022",
  "error_msg": "The job does not exist."}.
- An empty query value (?status=) counts as absent.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from .data import ListQuery
from .render import DETAIL, LIST_ITEM
from .service import GatewayService, Route
from .timefmt import parse_offset_time, parse_unix_ms
from .wire import Request, Response, api_error, json_response

INVALID_PARAMETER = "DBS.200001"
JOB_NOT_FOUND = "DBS.200022"
_DIGITS = re.compile(r"^\d+$")
_MAX_OFFSET = 2_147_483_647


class ParamError(ValueError):
    """A query parameter the API would refuse with 400."""


def _single(query: dict[str, Any], name: str) -> str | None:
    value = query.get(name)
    if isinstance(value, list):
        raise ParamError(f"Parameter {name} must be given once.")
    return value or None


def _int_param(query: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    text = _single(query, name)
    if text is None:
        return default
    if not _DIGITS.match(text) or not low <= int(text) <= high:
        raise ParamError(f"Invalid parameter {name}: {text!r} (allowed {low}-{high}).")
    return int(text)


def _offset_time(query: dict[str, Any], name: str, required: bool = False) -> datetime | None:
    text = _single(query, name)
    if text is None:
        if required:
            raise ParamError(f"Parameter {name} is required.")
        return None
    try:
        return parse_offset_time(text)
    except ValueError:
        raise ParamError(f"Invalid parameter {name}: {text!r} (format yyyy-mm-ddThh:mm:ss+hhmm).") from None


def _ms_time(query: dict[str, Any], name: str) -> datetime | None:
    text = _single(query, name)
    if text is None:
        return None
    try:
        return parse_unix_ms(text)
    except ValueError:
        raise ParamError(f"Invalid parameter {name}: {text!r} (UNIX timestamp in milliseconds).") from None


class TaskCenter(GatewayService):
    """Shared list/detail behaviour; subclasses give routes, the list key and query parsing."""

    list_key = "jobs"
    # (path prefix segments, version segment, resource segment, "list" | "detail")
    routes: tuple[tuple[tuple[str, ...], str, str, str], ...] = ()

    def route(self, req: Request) -> Route | None:
        if req.method != "GET":
            return None
        segments = req.segments
        for prefix, version, resource, kind in self.routes:
            expected = len(prefix) + 3
            if len(segments) != expected or tuple(segments[: len(prefix)]) != prefix:
                continue
            rest = segments[len(prefix) :]
            if rest[0] == version and rest[2] == resource and rest[1]:
                return Route(
                    call=f"{self.name}.{kind}",
                    params={"project_id": rest[1], "prefix": "".join("/" + p for p in prefix)},
                )
        return None

    def handle(self, req: Request, route: Route) -> Response:
        if route.call.endswith(".list"):
            return self._list(req, route)
        return self._detail(req, route)

    def parse_list(self, query: dict[str, Any]) -> tuple[ListQuery, int, int]:
        """Return (filters, item offset, limit) or raise ParamError."""
        raise NotImplementedError

    def _list(self, req: Request, route: Route) -> Response:
        try:
            filters, offset, limit = self.parse_list(req.query())
        except ParamError as exc:
            return api_error(400, INVALID_PARAMETER, str(exc))
        total, page = self.emu.store.query(
            self.name,
            route.params["project_id"],
            filters,
            now=self.emu.now(),
            retention=self.emu.retention,
            visibility_delay=self.emu.visibility_delay,
            offset=offset,
            limit=limit,
            render=LIST_ITEM[self.name],
        )
        items = [item for _kind, item in page]
        body = self.list_body(items)
        if self.name not in self.emu.omit_total_count:
            body["total_count"] = total
        return json_response(200, body, self.list_key)

    def list_body(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """The list answer without total_count (added by _list unless the switch leaves it out)."""
        return {self.list_key: items}

    def item_offset(self, query: dict[str, Any], limit: int) -> int:
        """The items to skip, from `offset` as this service's switch reads it (see the module docstring)."""
        text = _single(query, "offset")
        if text is None:
            return 0
        if not _DIGITS.match(text) or int(text) > _MAX_OFFSET:
            raise ParamError(f"Invalid parameter offset: {text!r} (allowed 0-{_MAX_OFFSET}).")
        if self.emu.offset_modes[self.name] == "page_strict" and int(text) == 0:
            return _MAX_OFFSET  # page 0 does not exist: nothing on it
        if self.emu.offset_modes[self.name] in ("page", "page_strict"):
            return (max(int(text), 1) - 1) * limit
        return int(text)

    def _detail(self, req: Request, route: Route) -> Response:
        try:
            task_id = _single(req.query(), "id")
        except ParamError as exc:
            return api_error(400, INVALID_PARAMETER, str(exc))
        if task_id is None:
            return api_error(400, INVALID_PARAMETER, "Parameter id is required.")
        record = self.emu.store.get(self.name, route.params["project_id"], task_id)
        if record is None or not self._visible(record["created"]):
            return api_error(400, JOB_NOT_FOUND, "The job does not exist.")
        return json_response(200, DETAIL[self.name](record))

    def _visible(self, created: datetime) -> bool:
        now = self.emu.now()
        return now - self.emu.retention <= created <= now - timedelta(seconds=self.emu.visibility_delay)


class TaurusDB(TaskCenter):
    """GaussDB for MySQL: /v3/{project_id}/immediate-jobs and /v3/{project_id}/jobs (also under /mysql)."""

    name = "taurusdb"
    list_key = "jobs"
    routes = (
        ((), "v3", "immediate-jobs", "list"),
        (("mysql",), "v3", "immediate-jobs", "list"),
        ((), "v3", "jobs", "detail"),
        (("mysql",), "v3", "jobs", "detail"),
    )

    def parse_list(self, query: dict[str, Any]) -> tuple[ListQuery, int, int]:
        limit_text = _single(query, "limit") or "10"
        if limit_text not in ("10", "20", "50"):
            raise ParamError(f"Invalid parameter limit: {limit_text!r} (allowed 10, 20, 50).")
        limit = int(limit_text)
        offset = self.item_offset(query, limit)
        filters = ListQuery(
            status=_single(query, "status"),
            name=_single(query, "job_name"),
            task_id=_single(query, "job_id"),
            start=_offset_time(query, "start_time"),
            end=_offset_time(query, "end_time"),
        )
        return filters, offset, limit


class OpenGauss(TaskCenter):
    """GaussDB (openGauss): /v3/{project_id}/tasks (also under /opengauss) and /v3/{project_id}/jobs."""

    name = "gaussdb"
    list_key = "tasks"
    routes = (
        ((), "v3", "tasks", "list"),
        (("opengauss",), "v3", "tasks", "list"),
        ((), "v3", "jobs", "detail"),
        (("opengauss",), "v3", "jobs", "detail"),
    )

    def parse_list(self, query: dict[str, Any]) -> tuple[ListQuery, int, int]:
        limit = _int_param(query, "limit", 100, 1, 100)
        offset = self.item_offset(query, limit)
        filters = ListQuery(
            status=_single(query, "status"),
            name=_single(query, "name"),
            start=_ms_time(query, "start_time"),
            end=_ms_time(query, "end_time"),
        )
        return filters, offset, limit


def _timestamp(query: dict[str, Any], name: str, unit: str) -> datetime | None:
    """RDS's "UTC timestamp": digits, read as milliseconds or seconds (see the module docstring)."""
    text = _single(query, name)
    if text is None:
        return None
    try:
        if unit == "ms":
            return parse_unix_ms(text)
        if not _DIGITS.match(text):
            raise ValueError(text)
        try:
            return datetime.fromtimestamp(int(text), tz=timezone.utc)
        except (ValueError, OverflowError, OSError):
            if unit != "s_lenient":
                raise
            return datetime.max.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise ParamError(f"Invalid parameter {name}: {text!r} (UTC timestamp).") from None


class Dds(TaskCenter):
    """DDS: /v3.1/{project_id}/jobs (list, mandatory time window) and /v3/{project_id}/jobs (detail)."""

    name = "dds"
    list_key = "jobs"
    routes = (
        ((), "v3.1", "jobs", "list"),
        ((), "v3", "jobs", "detail"),
    )
    max_window = timedelta(days=30)

    def parse_list(self, query: dict[str, Any]) -> tuple[ListQuery, int, int]:
        start = _offset_time(query, "start_time", required=True)
        end = _offset_time(query, "end_time", required=True)
        assert start is not None and end is not None
        if end <= start:
            raise ParamError("Parameter end_time must be later than start_time.")
        if end - start > self.max_window:
            raise ParamError("The time span between start_time and end_time cannot exceed 30 days.")
        limit = _int_param(query, "limit", 100, 1, 100)
        offset = self.item_offset(query, limit)
        filters = ListQuery(
            status=_single(query, "status"),
            name=_single(query, "name"),
            task_id=_single(query, "id"),
            start=start,
            end=end,
        )
        return filters, offset, limit


class Rds(TaskCenter):
    """RDS (MySQL, PostgreSQL, SQL Server): /v3/{project_id}/tasklist (list) and /v3/{project_id}/jobs (detail).

    The list answer also carries `actions`, the names of the tasks it lists (the documented example)."""

    name = "rds"
    list_key = "tasks"
    routes = (
        ((), "v3", "tasklist", "list"),
        ((), "v3", "jobs", "detail"),
    )

    def parse_list(self, query: dict[str, Any]) -> tuple[ListQuery, int, int]:
        limit = _int_param(query, "limit", 10, 1, 50)
        offset = self.item_offset(query, limit)
        unit = self.emu.rds_time_unit
        start = _timestamp(query, "start_time", unit)
        end = _timestamp(query, "end_time", unit)
        if start is not None and end is None:
            raise ParamError("Parameter end_time is required when start_time is given.")
        filters = ListQuery(
            status=_single(query, "status"),
            name=_single(query, "name"),
            task_id=_single(query, "id"),
            start=start,
            end=end,
            end_bounds=self.emu.rds_end_time_bounds,
        )
        return filters, offset, limit

    def list_body(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        names = [item["name"] for item in items if isinstance(item, dict) and isinstance(item.get("name"), str)]
        return {self.list_key: items, "actions": sorted(set(names))}
