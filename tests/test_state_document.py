"""The state document: schema, checksum, pruning."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from taskwatch.errors import StateError
from taskwatch.state.document import State
from taskwatch.state.migrations import VERSION
from taskwatch.timeutil import iso

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


def entry(created: datetime, **extra: object) -> dict[str, object]:
    return {"service": "dds", "region": "r", "project_id": "p", "id": "i", "name": "n", "status": "Failed",
            "created": iso(created), "first_seen": iso(created), **extra}


def test_round_trip_keeps_everything() -> None:
    state = State.new(NOW)
    state.tasks["dds:p:i"] = entry(NOW, notified_at=iso(NOW), alert=None)
    state.sources["r/p/dds"] = {"consecutive_failures": 2, "blind": False}
    again = State.from_bytes(state.to_bytes(NOW, "run1"))
    assert again.tasks == state.tasks and again.sources == state.sources and again.writer == "run1"
    assert not again.fresh and state.fresh


@pytest.mark.parametrize(("mangle", "reason"), [
    (lambda data: data[: len(data) // 2], "not JSON"),
    (lambda data: data.replace(b'"name":"n"', b'"name":"m"'), "checksum"),
    (lambda data: data.replace(b'"version":%d' % VERSION, b'"version":9'), "format version 9"),
    (lambda data: b'{"hello": "world"}', "schema"),
    (lambda data: b"\xff\xfe", "not JSON"),
])
def test_truncated_tampered_or_foreign_objects_are_refused(mangle, reason: str) -> None:  # type: ignore[no-untyped-def]
    state = State.new(NOW)
    state.tasks["dds:p:i"] = entry(NOW)
    with pytest.raises(StateError, match=reason):
        State.from_bytes(mangle(state.to_bytes(NOW, "run1")))


def test_prune_forgets_what_the_task_centers_no_longer_hold_but_keeps_pending() -> None:
    state = State.new(NOW)
    old = NOW - timedelta(days=40)
    state.tasks["old-notified"] = entry(old, notified_at=iso(old))
    state.tasks["old-pending"] = entry(old, alert="failed", pending_since=iso(NOW))
    state.tasks["recent"] = entry(NOW - timedelta(days=20), notified_at=iso(NOW))
    assert state.prune(NOW, lookback_seconds=30 * 86400) == 1
    assert set(state.tasks) == {"old-pending", "recent"}


def test_state_size_does_not_grow_with_runs() -> None:
    state = State.new(NOW)
    state.tasks["k"] = entry(NOW, notified_at=iso(NOW))
    sizes = []
    for run in range(50):
        moment = NOW + timedelta(minutes=5 * run)
        state = State.from_bytes(state.to_bytes(moment, f"run{run}"))
        sizes.append(len(state.to_bytes(moment, f"run{run}")))
    assert max(sizes) - min(sizes) <= 2  # only the run id's digits change
    assert json.loads(state.to_bytes(NOW, "x"))["format"] == "taskwatch-state"
