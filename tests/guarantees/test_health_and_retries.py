"""Guarantees 10 and 11: the monitor tells when it is blind, and retries stay inside the run's time."""

from __future__ import annotations

import random
import time
from datetime import timedelta

from taskwatch.retry import RetryPolicy

from tests.conftest import alerted_keys, emulator_with, invoke, published
from tests.emulator import Fault
from tests.fixtures import FakeContext
from tests.guarantees.clock import Clock, use_clock


def kinds(emulator) -> list[str]:
    return [m["http"]["kind"] for m in published(emulator)]


def test_blind_after_three_failing_runs_once_then_recovered_once(emulator, env) -> None:
    invoke()
    emulator.reset_records()
    outage = emulator.faults.add(Fault(call="dds.list", kind="401", times=None))
    for _ in range(5):
        invoke()
    assert kinds(emulator) == ["blind"]
    blind = published(emulator)[0]
    assert "DDS task center" in blind["subject"] and "NOT being reported" in blind["structure"]["email"]
    assert {"name": "kind", "type": "STRING", "value": "blind"} in blind["attributes"]
    emulator.faults.remove(outage)
    invoke()
    invoke()
    assert kinds(emulator) == ["blind", "recovered"]


def test_schema_invalid_pages_count_as_blind(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_BLIND_AFTER", "2")
    invoke()
    emulator.reset_records()
    emulator.faults.add(Fault(call="gaussdb.list", kind="html200", times=None))
    invoke()
    summary = invoke()
    assert kinds(emulator) == ["blind"]
    assert any("gaussdb" in e for e in summary["errors"])


def test_heartbeat_once_a_day(env, monkeypatch) -> None:
    clock = Clock()
    use_clock(monkeypatch, clock)
    monkeypatch.setenv("TASKWATCH_HEARTBEAT", "24h")
    with emulator_with(monkeypatch, now=clock) as emu:
        for _ in range(4):  # 4 runs over 18 hours
            invoke()
            clock.advance(hours=6)
        invoke()  # 24 h after the first
        assert kinds(emu).count("heartbeat") == 2


def test_throttling_is_retried_with_backoff_and_the_run_succeeds(emulator, env) -> None:
    emulator.faults.add(Fault(call="taurusdb.list", kind="429", times=2))
    created = emulator.now() - timedelta(minutes=30)  # no reason in its listing: its detail is asked for
    emulator.add_task("dds", name="Resize", status="Failed", created=created, instance_id="i-2",
                      instance_name="db-2", fail_reason=None)
    unavailable = emulator.faults.add(Fault(call="dds.detail", kind="503", times=1))
    summary = invoke()
    assert summary["outcome"] == "ok", summary
    assert unavailable.fired == 1 and emulator.request_counts()["dds.detail"] == 2  # the 503, then the retry
    assert len(alerted_keys(emulator)) == 3


def test_client_errors_are_not_retried(emulator, env) -> None:
    emulator.faults.add(Fault(call="gaussdb.list", kind="403", times=None))
    summary = invoke()
    failed_lists = [r for r in emulator.requests if r["call"] == "gaussdb.list" and r["query"]["status"] == "Failed"]
    assert len(failed_lists) == 1
    assert any("gaussdb" in e and "403" in e for e in summary["errors"])


def test_server_errors_are_retried_a_few_times_then_reported(emulator, env) -> None:
    emulator.faults.add(Fault(call="dds.list", kind="500", times=None))
    summary = invoke()
    failed_lists = [r for r in emulator.requests if r["call"] == "dds.list" and r["query"]["status"] == "Failed"]
    assert len(failed_lists) == 3  # first try + 2 retries
    assert summary["outcome"] == "degraded"


def test_default_throttle_backoff_is_two_to_five_seconds_with_jitter() -> None:
    policy = RetryPolicy(rng=random.Random(7))
    waits = [policy.rng.uniform(*policy.throttle_backoff) for _ in range(200)]
    assert min(waits) >= 2.0 and max(waits) <= 5.0 and len({round(w, 3) for w in waits}) > 150


def test_the_run_stops_querying_in_time_to_publish_and_save(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_RESERVE", "2")
    monkeypatch.setenv("TASKWATCH_THROTTLE_BACKOFF", "1-1.2")
    invoke()  # baseline
    emulator.reset_records()
    emulator.faults.add(Fault(call="*.list", kind="429", times=None))
    started = time.monotonic()
    summary = invoke(context=FakeContext(budget_ms=4_000))
    elapsed = time.monotonic() - started
    assert elapsed < 4.0, elapsed  # never past the function's remaining time
    assert summary["outcome"] == "degraded" and "no time left to retry" in summary["errors"][0]
    assert summary["state"]["written"] is True  # the failed runs count towards "monitor blind"
