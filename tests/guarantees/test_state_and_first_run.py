"""Guarantees 4 and 5: bounded, validated state; unreadable state kept aside; first-run baseline."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import STATE_KEY, alerted_keys, invoke, published, saved_state
from tests.fixtures import BUCKET
from tests.guarantees.failures import add_failure


def test_first_run_baselines_old_failures_with_one_message(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_SERVICES", "taurusdb,gaussdb,dds,rds")
    old = [add_failure(emulator, service=s, age=timedelta(hours=3)) for s in ("dds", "gaussdb", "taurusdb", "rds")]
    summary = invoke()
    assert summary["baselined"] == 4
    assert not set(old) & set(alerted_keys(emulator))  # no storm from history
    notices = [m for m in published(emulator) if m["http"]["kind"] == "notice"]
    assert len(notices) == 1 and "First run: 4 existing failures" in notices[0]["structure"]["email"]
    assert len(alerted_keys(emulator)) == 2  # the seeds failed minutes ago: recent, so alerted
    invoke()
    assert len([m for m in published(emulator) if m["http"]["kind"] == "notice"]) == 1


def test_unreadable_state_is_kept_aside_reported_once_and_rebaselined(emulator, env) -> None:
    invoke()
    good = emulator.obs_objects[(BUCKET, STATE_KEY)]
    emulator.obs_put_object(BUCKET, STATE_KEY, good[: len(good) // 2])  # truncated
    old = add_failure(emulator, age=timedelta(hours=5))
    emulator.reset_records()
    summary = invoke()
    assert any("state unreadable" in e for e in summary["errors"])
    aside = [key for (bucket, key) in emulator.obs_objects if key.startswith(STATE_KEY + ".unreadable-")]
    assert len(aside) == 1 and emulator.obs_objects[(BUCKET, aside[0])] == good[: len(good) // 2]
    kinds = [m["http"]["kind"] for m in published(emulator)]
    assert kinds.count("notice") == 2  # "state was unreadable" and "first run baseline taken"
    # No storm: the 5-hour-old failure is baselined; failures inside TASKWATCH_BACKFILL (the seeds, minutes
    # old) are reported again, since the lost state cannot say whether they were: better twice than never.
    assert old not in alerted_keys(emulator) and kinds.count("alert") == 2
    emulator.reset_records()
    invoke()
    assert published(emulator) == []  # reported once


def test_state_that_fails_its_schema_or_checksum_is_treated_as_unreadable(emulator, env) -> None:
    invoke()
    tampered = emulator.obs_objects[(BUCKET, STATE_KEY)].replace(b'"name":""', b'"name":"x"', 1)
    emulator.obs_put_object(BUCKET, STATE_KEY, tampered)
    summary = invoke()
    assert any("checksum" in e for e in summary["errors"])


def test_state_size_does_not_grow_with_runs_or_history(emulator, env) -> None:
    sizes = []
    for run in range(8):
        add_failure(emulator, age=timedelta(days=40 if run % 2 else 1))  # half of them outside retention
        invoke()
        sizes.append(len(emulator.obs_objects[(BUCKET, STATE_KEY)]))
    tasks = saved_state(emulator)["tasks"]
    assert len(tasks) == 2 + 4  # seeds + the four the task center still holds
    assert sizes[-1] < 2 * sizes[1]
