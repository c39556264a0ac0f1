"""The fewest requests a run can make, worked out from the emulator's request log and its tasks (never from
the function's own counts), and the SDK's own CPU floor for the task-center requests of a run.

Minimum per run: every listing the run made (service, project, status) needs the pages that hold its tasks
under the reading of `offset` the task center uses (item: later pages start one item early, so pages meet;
page: page numbers), until a short page ends it; plus the detail calls that add something (TaurusDB: every
new failure; GaussDB and DDS: a new failure whose list item lacks a reason or an instance); plus one OBS
read; plus writes only when the state changed.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

PAGE_SIZE = {"taurusdb": 50, "gaussdb": 100, "dds": 100}
SERVICES = ("taurusdb", "gaussdb", "dds")


def pages_needed(count: int, size: int, reading: str) -> int:
    """Requests to read `count` tasks: page 0 holds the first `size`; page i starts at item i * size - 1
    (item reading: one item of overlap, so pages meet) or i * size (page reading); a page with fewer than
    `size` items is the last one."""
    pages = 0
    while True:
        start = 0 if pages == 0 else pages * size - (1 if reading == "item" else 0)
        pages += 1
        if max(0, min(size, count - start)) < size:
            return pages


def listings(records: list[dict[str, Any]]) -> Counter[tuple[str, str, str]]:
    """List calls per listing (service, project, status), from the request log."""
    found: Counter[tuple[str, str, str]] = Counter()
    for record in records:
        call = record.get("call") or ""
        if call.endswith(".list"):
            found[(call.split(".")[0], project_of(record), record["query"].get("status"))] += 1
    return found


def project_of(record: dict[str, Any]) -> str:
    parts = [p for p in str(record.get("path", "")).split("/") if p]
    return next((p for p in parts if len(p) == 32), "")


def minimum_lists(emu: Any, records: list[dict[str, Any]], readings: dict[str, str]) -> tuple[int, int]:
    """(list calls made, the fewest that read the same listings), from the log and the emulator's tasks."""
    made = listings(records)
    fewest = 0
    for (service, project, status) in made:
        count = sum(1 for task in emu.tasks(service, project or None) if task["status"] == status)
        fewest += pages_needed(count, PAGE_SIZE[service], readings.get(service, "item"))
    return sum(made.values()), fewest


def useful_details(failed: list[dict[str, Any]], service: str) -> int:
    """Detail calls that add something for these new failures (see sources.base.detail_wanted)."""
    if service == "taurusdb":
        return len(failed)
    return sum(1 for task in failed if not task.get("fail_reason") or not task.get("instance_id"))


def readings_of(summary: dict[str, Any]) -> dict[str, str]:
    """The reading of `offset` each service's listing confirmed, as the run reported it."""
    found: dict[str, str] = {}
    for source in summary.get("sources", []):
        if source.get("offset_reading"):
            found[source["source"].split("/")[-1]] = source["offset_reading"]
    return found
