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


# -- version 3: settled entries are compact, and still what a version 2 reader requires ---------------------
V2_REQUIRED = ("service", "region", "project_id", "id", "name", "status", "first_seen")  # version 2's schema


def test_a_notified_entry_keeps_only_identity_and_times_and_stays_readable_by_version_2() -> None:
    from taskwatch.decide import mark_published
    state = State.new(NOW)
    state.tasks["dds:p:i"] = entry(NOW, alert="failed", pending_since=iso(NOW), attempts=1, last_error="x",
                                   fail_reason="disk full", instance_id="inst", instance_name="db",
                                   entities={"a": 1}, schema_errors=[], detailed=True)
    mark_published(state, ["dds:p:i"], NOW)
    kept = State.from_bytes(state.to_bytes(NOW, "run")).tasks["dds:p:i"]
    assert set(kept) == {*V2_REQUIRED, "created", "notified_at"} and kept["name"] == ""
    assert kept["notified_at"] == iso(NOW) and "fail_reason" not in kept and "alert" not in kept


def test_version_2_entries_are_migrated_to_compact_and_pending_ones_keep_everything() -> None:
    from taskwatch.state.document import _checksum
    notified = entry(NOW, notified_at=iso(NOW), alert=None, fail_reason="r", instance_id="i", detailed=True)
    pending = entry(NOW, alert="failed", pending_since=iso(NOW), fail_reason="r", instance_id="i")
    body = {"format": "taskwatch-state", "version": 2, "created_at": iso(NOW), "updated_at": iso(NOW),
            "writer": "w", "heartbeat_at": None, "cursors": {}, "sources": {}, "notices": [],
            "tasks": {"dds:p:n": notified, "dds:p:q": pending}}
    state = State.from_bytes(json.dumps({**body, "checksum": _checksum(body)}).encode())
    assert set(state.tasks["dds:p:n"]) == {*V2_REQUIRED, "created", "notified_at"}
    assert state.tasks["dds:p:q"] == pending


def test_the_quick_check_of_settled_entries_never_accepts_what_the_schema_refuses() -> None:
    from taskwatch.state.document import settled_check, state_validator
    check, schema = settled_check(), state_validator().records
    good = {**entry(NOW, notified_at=iso(NOW)), "name": ""}
    variants = [good, {**good, "service": "rds?"}, {**good, "created": "2026-11-23"}, {**good, "region": "r" * 65},
                {**good, "created": None}, {**good, "first_seen": None}, {**good, "id": 5}, {**good, "more": 1},
                {k: v for k, v in good.items() if k != "id"}, {**good, "created": iso(NOW) + "\n"},
                {**good, "name": "n" * 401}, {**good, "status": ["Failed"]}]
    verdicts = [(check.accepts(v), schema.is_valid(v)) for v in variants]
    assert all(valid for accepted, valid in verdicts if accepted)
    assert verdicts[0] == (True, True) and sum(accepted for accepted, _ in verdicts) >= 3


def test_a_large_state_gets_one_notice_per_crossing() -> None:
    from taskwatch.state.document import SIZE_NOTICE_BYTES, size_notice
    state = State.new(NOW)
    state.stored_bytes = SIZE_NOTICE_BYTES + 1
    assert size_notice(state, NOW) and [n["kind"] for n in state.notices] == ["state_large"]
    again = State.from_bytes(state.to_bytes(NOW, "run"))
    again.stored_bytes = SIZE_NOTICE_BYTES + 2
    assert not size_notice(again, NOW) and again.size_notice_at  # still past it: no second notice
    again.stored_bytes = SIZE_NOTICE_BYTES // 2
    assert not size_notice(again, NOW) and again.size_notice_at is None  # back under: armed again
    again.stored_bytes = SIZE_NOTICE_BYTES + 1
    assert size_notice(again, NOW)


def test_nothing_changed_is_told_from_the_checksum_read() -> None:
    state = State.new(NOW)
    state.tasks["dds:p:i"] = {**entry(NOW, notified_at=iso(NOW)), "name": ""}
    again = State.from_bytes(state.to_bytes(NOW, "run"))
    assert again.unchanged()
    again.tasks["dds:p:i"]["created"] = iso(NOW - timedelta(minutes=1))
    assert not again.unchanged()


def test_reading_back_what_this_instance_wrote_skips_the_schema_pass_and_nothing_else(monkeypatch) -> None:
    """A warm instance reads back the object it wrote: its schema check is not repeated (CheckedDigests).
    Any other bytes are checked: an object edited by hand, or one whose parsed checksum is not the one its
    bytes lead with (a second "checksum" key)."""
    import taskwatch.state.document as document

    checks: list[int] = []
    real = document.state_problem
    monkeypatch.setattr(document, "state_problem", lambda doc: checks.append(1) or real(doc))
    monkeypatch.setattr(document, "CHECKED", document.CheckedDigests())
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    state = State.new(now)
    state.tasks["dds:t1"] = entry(now)
    data = state.to_bytes(now, "w")
    checks.clear()
    assert State.from_bytes(data).tasks == state.tasks
    assert checks == []  # the very bytes written (and checked) just before

    edited = json.loads(data)
    edited["tasks"]["dds:t1"]["status"] = 7  # breaks the schema
    with pytest.raises(StateError, match="schema"):
        State.from_bytes(json.dumps(edited).encode())
    assert checks == [1]

    # Bytes whose leading checksum covers the rest, while json.loads keeps a later "checksum" key that was
    # checked before: the body is not the one checked, so it is checked (and refused).
    import hashlib

    checked = json.loads(data)["checksum"]
    head = b'{"checksum":"sha256:'
    rest = data[len(head) + 64 + 2:].replace(b'"status":"Failed"', b'"status":7')
    rest = rest[:-1] + b',"checksum":"' + checked.encode() + b'"}'
    forged = head + hashlib.sha256(b"{" + rest).hexdigest().encode() + b'",' + rest
    assert json.loads(forged)["checksum"] == checked
    checks.clear()
    with pytest.raises(StateError, match="schema"):
        State.from_bytes(forged)
    assert checks == [1]
