"""Guarantee 1: every failure the task centers hold is published at least once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import alerted_keys, invoke
from tests.fixtures import PROJECT, FakeContext
from tests.guarantees.failures import add_failure
from tests.guarantees.offset_variants import FAILURES, VARIANTS, Variant, add_failures, variant_emulator


def test_a_task_created_ten_days_ago_that_fails_today_is_caught(emulator, env) -> None:
    created = emulator.now() - timedelta(days=10)
    task_id = emulator.add_task("dds", name="RestoreMongoDB", status="Running", created=created,
                                instance_id="i", instance_name="restore-target")
    invoke()
    key = f"dds:{PROJECT}:{task_id}"
    assert key not in alerted_keys(emulator)
    emulator.update_task("dds", task_id, status="Failed", ended=emulator.now(), fail_reason="backup missing")
    invoke()
    assert alerted_keys(emulator).count(key) == 1


def test_a_task_that_appears_late_is_caught_by_the_next_run(emulator, env) -> None:
    invoke()  # baseline the seeds
    emulator.visibility_delay = 3600.0  # the task center shows it only later
    key = add_failure(emulator, age=timedelta(minutes=1))
    invoke()
    assert key not in alerted_keys(emulator)
    emulator.visibility_delay = 0.0
    invoke()
    assert alerted_keys(emulator).count(key) == 1


def test_a_failure_on_a_page_that_shifted_while_paging_is_caught(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_BACKFILL", "30d")
    monkeypatch.setenv("TASKWATCH_SERVICES", "dds")
    monkeypatch.setenv("TASKWATCH_MAX_MESSAGES_PER_RUN", "100")
    keys = [add_failure(emulator, age=timedelta(hours=1, minutes=n)) for n in range(180)]
    arrived: list[str] = []

    def new_tasks_at_the_head(call: str, query: dict) -> None:
        if call == "dds.list" and query.get("offset") == "99" and not arrived:  # the second page (pager.py)
            arrived.extend(add_failure(emulator, age=timedelta(seconds=n + 1)) for n in range(30))

    emulator.before_answer = new_tasks_at_the_head
    invoke()
    emulator.before_answer = None
    assert arrived  # the second page was asked for, and the head grew before it was answered
    published = alerted_keys(emulator)
    assert set(keys) <= set(published)  # the shift pushed old tasks down: nothing skipped
    assert len(published) == len(set(published))
    invoke()
    assert set(alerted_keys(emulator)) >= set(keys) | set(arrived)  # the late arrivals in the next run
    assert len(alerted_keys(emulator)) == len(set(alerted_keys(emulator)))


def test_a_run_cut_short_loses_nothing(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_RESERVE", "1")
    emulator.latency = 0.3
    short = invoke(context=FakeContext(budget_ms=1_400))  # time runs out before everything is done
    assert short["outcome"] != "ok" and any("time" in e for e in short["errors"])
    assert short["messages_published"] < 2
    emulator.latency = 0.0
    invoke()
    keys = alerted_keys(emulator)
    assert sorted(set(keys)) == sorted(keys) and len(keys) == 2  # the two seed failures, once each


def test_skipped_runs_are_caught_up(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_SERVICES", "taurusdb,gaussdb,dds,rds")
    invoke()
    later = [add_failure(emulator, service=s, age=timedelta(minutes=3)) for s in ("dds", "gaussdb", "taurusdb", "rds")]
    # no run happens for a while (timer disabled, function throttled...): the next run sees everything.
    invoke()
    assert all(alerted_keys(emulator).count(k) == 1 for k in later)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_failure_is_found_whatever_offset_means(env, monkeypatch, variant: Variant) -> None:
    """120 TaurusDB/RDS or 250 openGauss/DDS failures, under every reading of `offset` and with or without
    total_count: one run publishes every one, and says which reading the answers showed."""
    with variant_emulator(monkeypatch, variant) as emu:
        keys = add_failures(emu, variant.service, FAILURES[variant.service])
        summary = invoke()
        published = alerted_keys(emu)
        assert set(published) == keys
        assert len(published) == len(keys)
        assert summary["outcome"] == "ok", summary
        assert [s["offset_reading"] for s in summary["sources"]] == [variant.offset_mode]
        if variant.service == "rds":  # the unit of the query times the answers showed (time_units.py)
            unit = "ms" if variant.rds_time_unit == "ms" else "s"
            assert [(s["time_unit"], s["time_unit_confirmed"]) for s in summary["sources"]] == [(unit, True)]
