"""A task center: one small list call through the function's own TaskCenter client, and, where it holds
more than one page of tasks, the offset probe (offsets.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from taskwatch.config import Config
from taskwatch.credentials import Credentials
from taskwatch.deadline import Deadline
from taskwatch.jsontext import loads_strict
from taskwatch.retry import BadResponse, RetryPolicy
from taskwatch.sanitize import one_line
from taskwatch.sdk import invoke
from taskwatch.sources import SPECS, TaskCenter
from taskwatch.tasks import Target
from taskwatch.timeutil import utcnow
from taskwatch.validation import page_validator

from .diagnose import api_error
from .hosts import shown
from .offsets import MEANING, PAGE, infer_reading
from .rows import FAIL, OK, WARN, Row

PROBE_LIMIT = 10  # TaurusDB accepts 10, 20 or 50 only; RDS 1-50; the others 1-100
MAX_WINDOW = timedelta(days=30)  # DDS refuses a wider window; the others keep a month of tasks anyway
SKIP = "SKIP"


class _Pages:
    """Fetches one page of every task (no status filter) in the function's window."""

    def __init__(self, center: TaskCenter, lookback: float) -> None:
        self.center = center
        self.end = utcnow() + timedelta(minutes=5)
        self.start = self.end - min(timedelta(seconds=lookback), MAX_WINDOW)

    def fetch(self, offset: int) -> Any:
        spec = self.center.spec
        request = spec.list_request(None, self.start, self.end, offset, PROBE_LIMIT)
        response = invoke(self.center.client, spec.list_operation, request, self.center.path_prefix)
        raw = response.raw_content or b""
        try:
            return loads_strict(raw)
        except ValueError:
            raise BadResponse(f"not JSON: {one_line(raw[:60].decode('utf-8', 'replace'))!r}") from None

    def ids(self, document: Any) -> list[str]:
        items = document.get(self.center.spec.items_key) if isinstance(document, dict) else None
        if not isinstance(items, list):
            return []
        return [str(self.center.spec.item_fields(item).get("id")) for item in items if isinstance(item, dict)]


def check_task_center(config: Config, credentials: Credentials, target: Target, service: str) -> list[Row]:
    """Rows for one (target, service): the list call, then the offset reading (or why it was not probed)."""
    spec = SPECS[service]
    endpoint = config.endpoint(service, target.region)
    host = shown(endpoint)
    name = f"{service} {target.region}/{target.project_id}"
    endpoint_key = f"TASKWATCH_ENDPOINT_{service.upper()}"
    center = TaskCenter(spec, target, endpoint, credentials, RetryPolicy(), Deadline(None, 0.0), config.http_timeout)
    pages = _Pages(center, config.lookback)
    try:
        first = pages.fetch(0)
    except Exception as exc:  # the SDK raises many types; api_error classifies them as the function does
        verdict = api_error(f"{service}.list", exc, endpoint_key)
        return [Row(verdict.status, f"{name}: list", host, verdict.detail, verdict.fix)]
    envelope, _ = page_validator(f"{service}_list", spec.items_key).check(first)
    if envelope:
        return [Row(FAIL, f"{name}: list", host, f"the answer does not match the list schema: {envelope[0]}",
                    "the function would lose this listing: the API answers in a shape it does not expect")]
    count = len(first[spec.items_key])
    total = first.get("total_count") if isinstance(first.get("total_count"), int) else None
    rows = [Row(OK, f"{name}: list", host, f"{count} task(s) on page 1 (limit {PROBE_LIMIT}), total_count "
                                           f"{'absent' if total is None else total}")]
    if count < PROBE_LIMIT or (total is not None and total <= PROBE_LIMIT):
        rows.append(Row(SKIP, f"{name}: offset", host, f"not probed: the window holds one page of tasks or fewer "
                                                       f"(needs more than {PROBE_LIMIT})"))
        return rows
    rows.append(_probe(pages, first, config, service, name, host, endpoint_key))
    return rows


def _probe(pages: _Pages, first: Any, config: Config, service: str, name: str, host: str,
           endpoint_key: str) -> Row:
    try:
        at_two = pages.fetch(2)
        at_limit = pages.fetch(PROBE_LIMIT)
    except Exception as exc:  # as above
        verdict = api_error(f"{service}.list", exc, endpoint_key)
        return Row(verdict.status, f"{name}: offset", host, verdict.detail, verdict.fix)
    found = infer_reading(pages.ids(first), pages.ids(at_two), pages.ids(at_limit), PROBE_LIMIT)
    if found.reading is None:
        return Row(WARN, f"{name}: offset", host, found.explanation,
                   "run the preflight again; if it persists, the API pages in neither documented way")
    configured = config.taurusdb_offset_mode  # "auto" (the default): the run infers it from the answers too
    if service == "taurusdb" and configured != "auto" and configured != found.reading:
        return Row(WARN, f"{name}: offset", host,
                   f"{found.explanation}; TASKWATCH_TAURUSDB_OFFSET_MODE says {config.taurusdb_offset_mode}",
                   f"set TASKWATCH_TAURUSDB_OFFSET_MODE={found.reading}, or auto (the run's own check corrects it)")
    detail = found.explanation if found.reading != PAGE or service == "taurusdb" else \
        f"{found.explanation} (the documents say {MEANING['item']})"
    return Row(OK, f"{name}: offset", host, detail)
