"""Never go quiet: every way a run could fail to report reaches a person (containment, starved sources,
the lease, a state that breaks its own schema, shards, failed runs, in-flight limits)."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from index import handler
from taskwatch.errors import RunFailed
from taskwatch.sources.base import TaskCenter
from taskwatch.state.document import State

from tests.conftest import STATE_KEY, alerted_keys, emulator_with, invoke, published, saved_state
from tests.emulator import Fault
from tests.fixtures import BUCKET, PROJECT, SK, FakeContext, timer_event
from tests.guarantees.clock import Clock, use_clock
from tests.guarantees.failures import add_failure

ALL = {f"xx-test-1/{PROJECT}/{s}" for s in ("taurusdb", "gaussdb", "dds")}


def kinds(emulator) -> list[str]:
    return [m["http"]["kind"] for m in published(emulator)]


# -- 1. containment -------------------------------------------------------------------------------------
def test_a_time_beyond_datetime_range_is_a_violation_and_the_run_goes_on(emulator, env) -> None:
    created = (emulator.now() - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    emulator.raw_item("dds", None, {"id": "far-future", "name": "Restore", "status": "Failed",
                                    "created_at": created, "ended_at": "9999-12-31T23:59:59-0800",
                                    "instance_id": "i", "instance_name": "n", "fail_reason": "r"})
    other = add_failure(emulator, service="gaussdb", age=timedelta(minutes=5))
    summary = invoke()
    assert summary["outcome"] == "degraded", summary["errors"]
    assert any(v["task_id"] == "far-future" and v["path"].startswith("ended") for v in summary["violations"])
    keys = alerted_keys(emulator)
    assert f"dds:{PROJECT}:far-future" in keys and other in keys  # reported, marked, not dropped
    State.from_bytes(emulator.obs_objects[(BUCKET, STATE_KEY)])  # and the state stays readable


def test_an_unexpected_error_in_one_source_is_that_source_s_error(emulator, env, monkeypatch) -> None:
    real = TaskCenter.list_tasks

    def breaks_for_dds(self: TaskCenter, status: str, start: Any, end: Any, *more: Any) -> Any:
        if self.spec.service == "dds":
            raise RuntimeError("unforeseen")
        return real(self, status, start, end, *more)

    monkeypatch.setattr(TaskCenter, "list_tasks", breaks_for_dds)
    other = add_failure(emulator, service="gaussdb", age=timedelta(minutes=5))
    summary = invoke()
    dds = next(s for s in summary["sources"] if s["source"].endswith("/dds"))
    assert summary["outcome"] == "degraded" and not dds["ok"] and "RuntimeError" in dds["error"]
    assert other in alerted_keys(emulator)


# -- 2. every source gets read --------------------------------------------------------------------------
class ListCallBudget(FakeContext):
    """A context whose remaining time drops by `per_call_ms` with every task-center list call the emulator
    answers: how far a run gets is then exact, whatever the machine's speed."""

    def __init__(self, emulator: Any, budget_ms: float, per_call_ms: float) -> None:
        super().__init__(budget_ms=budget_ms)
        self.emulator, self.per_call_ms = emulator, per_call_ms
        self.before = self._lists()

    def _lists(self) -> int:
        return sum(1 for r in self.emulator.requests if (r["call"] or "").endswith(".list"))

    def getRemainingTimeInMilliSeconds(self) -> float:
        return self.budget_ms - self.per_call_ms * (self._lists() - self.before)


def test_the_reading_order_rotates_so_every_source_is_read(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_CONCURRENCY", "1")
    monkeypatch.setenv("TASKWATCH_RESERVE", "20")
    read: set[str] = set()
    for _ in range(3):  # time for four list calls a run (an empty listing is asked twice): one source and a bit
        summary = invoke(context=ListCallBudget(emulator, budget_ms=23_500, per_call_ms=1_000))
        read |= {s["source"] for s in summary["sources"] if s["ok"] and s["complete"]}
    assert read == ALL


def test_a_source_cut_short_every_run_raises_blind(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_RESERVE", "20")
    for _ in range(3):  # no time for any list call
        summary = invoke(context=ListCallBudget(emulator, budget_ms=19_000, per_call_ms=1_000))
        assert all(s["skipped"] for s in summary["sources"])
    blind = [m for m in published(emulator) if m["http"]["kind"] == "blind"]
    assert len(blind) == 3 and "cut short" in blind[0]["structure"]["email"]


# -- 4. lease -------------------------------------------------------------------------------------------
class ClockContext(FakeContext):
    """Remaining time by the test clock (the run's own clock), so a test can 'spend' budget instantly."""

    def __init__(self, clock: Clock, budget_ms: float) -> None:
        super().__init__(budget_ms=budget_ms)
        self.clock, self.start = clock, clock()

    def getRemainingTimeInMilliSeconds(self) -> float:
        return self.budget_ms - (self.clock() - self.start).total_seconds() * 1000


def test_a_run_that_used_most_of_its_budget_still_holds_its_lease(env, monkeypatch) -> None:
    clock = Clock()
    use_clock(monkeypatch, clock)
    with emulator_with(monkeypatch, now=clock) as emu:
        keys = [add_failure(emu, service=s, age=timedelta(minutes=5)) for s in ("dds", "gaussdb", "taurusdb")]
        inner: list[dict] = []

        def hook(call: str, query: dict) -> None:
            if call == "dds.list" and not inner and not getattr(hook, "spent", False):
                hook.spent = True  # type: ignore[attr-defined]
                clock.advance(seconds=40)  # run A has used 40 of its 60 s when it takes the lease
            if call == "smn.publish" and not inner:
                inner.append(invoke(context=ClockContext(clock, 60_000)))  # run B starts meanwhile

        emu.before_answer = hook
        first = invoke(context=ClockContext(clock, 60_000))
        emu.before_answer = None
        assert "another run" in inner[0].get("skipped", ""), inner[0]
        assert first["messages_published"] == 3
        published_keys = alerted_keys(emu)
        assert set(keys) <= set(published_keys)
        assert sorted(published_keys) == sorted(set(published_keys))  # each failure once, not twice


# -- 5. state -------------------------------------------------------------------------------------------
def test_a_text_over_its_limit_is_clamped_before_the_write_so_the_next_read_works() -> None:
    from datetime import datetime, timezone
    now = datetime(2026, 11, 23, tzinfo=timezone.utc)
    state = State.new(now)
    state.notices.append({"kind": "given_up", "since": "2026-11-23T00:00:00Z", "text": "k" * 9000})
    state.sources["r/p/dds"] = {"consecutive_failures": 1, "last_error": "e" * 5000}
    data = state.to_bytes(now, "run")
    back = State.from_bytes(data)  # before: "does not match its schema", and the whole state reset
    assert len(back.notices[0]["text"]) == 4000 and state.repairs


def test_the_given_up_notice_fits_its_field(env, monkeypatch) -> None:
    clock = Clock()
    use_clock(monkeypatch, clock)
    monkeypatch.setenv("TASKWATCH_GIVE_UP_AFTER", "60s")
    with emulator_with(monkeypatch, now=clock) as emu:
        for n in range(60):
            add_failure(emu, service="dds", age=timedelta(minutes=5), name=f"Task{n}", id="x" * 100 + f"-{n}")
        emu.faults.add(Fault(call="smn.publish", kind="500", times=None))
        invoke()
        clock.advance(minutes=2)
        summary = invoke()
        assert summary["given_up"] >= 60 and summary["state"]["written"], summary["errors"]
        notice = next(n for n in saved_state(emu)["notices"] if n["kind"] == "given_up")
        assert len(notice["text"]) <= 4000 and notice["text"].endswith("more")
        again = invoke()
        assert not any("state unreadable" in e for e in again["errors"]), again["errors"]


def _stored(document: dict[str, Any]) -> bytes:
    from taskwatch.state.document import _checksum
    body = {k: v for k, v in document.items() if k != "checksum"}
    return json.dumps({**body, "checksum": _checksum(body)}).encode()


def test_a_state_one_version_newer_with_new_fields_is_read_and_its_fields_kept() -> None:
    from datetime import datetime, timezone

    from taskwatch.state.migrations import VERSION
    now = datetime(2026, 11, 23, tzinfo=timezone.utc)
    state = State.new(now)
    state.tasks["dds:p:i"] = {"service": "dds", "region": "r", "project_id": "p", "id": "i", "name": "n",
                              "status": "Failed", "first_seen": "2026-11-23T00:00:00Z", "alert": "failed",
                              "future_task_field": 1}
    state.sources["r/p/dds"] = {"consecutive_failures": 2, "offset_reading": "page"}
    document = json.loads(state.to_bytes(now, "run"))
    document.update(version=VERSION + 1, future_top_field={"x": 1})
    back = State.from_bytes(_stored(document))  # a rollback by one version: nothing is reset
    assert back.tasks["dds:p:i"]["alert"] == "failed" and back.sources["r/p/dds"]["consecutive_failures"] == 2
    rewritten = json.loads(back.to_bytes(now, "older"))
    assert rewritten["future_top_field"] == {"x": 1} and rewritten["tasks"]["dds:p:i"]["future_task_field"] == 1
    assert rewritten["sources"]["r/p/dds"]["offset_reading"] == "page"


def test_a_version_1_state_is_migrated() -> None:
    document = {"format": "taskwatch-state", "version": 1, "created_at": "2026-11-23T00:00:00Z",
                "updated_at": "2026-11-23T00:00:00Z", "writer": "w", "heartbeat_at": None, "tasks": {},
                "sources": {"r/p/dds": {"consecutive_failures": 1}}, "notices": []}
    back = State.from_bytes(_stored(document))
    assert back.cursors == {} and back.sources["r/p/dds"]["consecutive_failures"] == 1


# -- 6. shards ------------------------------------------------------------------------------------------
def test_two_shards_on_one_state_keep_each_other_s_health_and_blind_is_raised(emulator, env) -> None:
    emulator.faults.add(Fault(call="taurusdb.list", kind="500", times=None))
    for _ in range(3):
        invoke({"services": "taurusdb"})
        invoke({"services": "dds"})
    assert kinds(emulator).count("blind") == 1
    assert "TaurusDB" in next(m for m in published(emulator) if m["http"]["kind"] == "blind")["subject"]
    assert set(saved_state(emulator)["sources"]) >= {f"xx-test-1/{PROJECT}/taurusdb", f"xx-test-1/{PROJECT}/dds"}


def test_a_shard_leaves_another_shard_s_pending_alerts_alone(emulator, env) -> None:
    invoke()  # baseline
    emulator.reset_records()
    key = add_failure(emulator, service="taurusdb", age=timedelta(minutes=5))
    emulator.faults.add(Fault(call="smn.publish", kind="500", times=1))
    invoke({"services": "taurusdb"})  # its publish fails: the alert stays pending
    invoke({"services": "dds"})
    assert key not in alerted_keys(emulator)
    assert saved_state(emulator)["tasks"][key]["alert"] == "failed"
    invoke({"services": "taurusdb"})
    assert alerted_keys(emulator).count(key) == 1


def test_sources_no_longer_configured_are_forgotten(emulator, env, monkeypatch) -> None:
    invoke()
    assert set(saved_state(emulator)["sources"]) == ALL
    monkeypatch.setenv("TASKWATCH_SERVICES", "dds")
    invoke()
    assert set(saved_state(emulator)["sources"]) == {f"xx-test-1/{PROJECT}/dds"}


# -- 7. the platform sees a failed run ------------------------------------------------------------------
def test_an_unreadable_state_store_makes_the_invocation_fail(emulator, env) -> None:
    emulator.faults.add(Fault(call="obs.get", kind="403", times=None))
    with pytest.raises(RunFailed) as failed:
        handler(timer_event(), FakeContext())
    assert "OBS GET" in str(failed.value) and "\n" not in str(failed.value) and SK not in str(failed.value)
    assert failed.value.summary["outcome"] == "failed"


def test_a_state_that_cannot_be_saved_makes_the_invocation_fail(emulator, env) -> None:
    emulator.faults.add(Fault(call="obs.put", kind="500", times=None))
    with pytest.raises(RunFailed, match="state not saved"):
        handler(timer_event(), FakeContext())


def test_invalid_configuration_makes_the_invocation_fail(emulator, env) -> None:
    with pytest.raises(RunFailed, match="TASKWATCH_CONCURRENCY"):
        handler(timer_event({"concurrency": 0}), FakeContext())


def test_a_good_run_returns_its_summary(emulator, env) -> None:
    assert handler(timer_event(), FakeContext())["outcome"] == "ok"


# -- 8. requests in flight ------------------------------------------------------------------------------
def test_requests_in_flight_never_exceed_the_configured_concurrency(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_CONCURRENCY", "2")
    monkeypatch.setenv("TASKWATCH_SERVICES", "taurusdb,gaussdb,dds,rds")
    for service in ("dds", "gaussdb", "taurusdb", "rds"):
        emulator.generate(service, 400, failure_rate=1.0)
    lock = threading.Lock()
    state = {"now": 0, "most": 0}

    def hook(call: str, query: dict) -> None:
        if not call.endswith(".list"):
            return
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1

    emulator.before_answer = hook
    summary = invoke()
    emulator.before_answer = None
    assert sum(s["pages"] for s in summary["sources"]) > 10, summary["sources"]
    assert 1 <= state["most"] <= 2, state
