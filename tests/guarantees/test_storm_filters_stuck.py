"""Guarantees 7, 8, 9: storm control, filters, stuck tasks — over consecutive runs."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import alerted_keys, invoke, published
from tests.guarantees.failures import add_failure


def test_one_message_per_target_and_service_capped_per_run_rest_waits_oldest_first(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_MAX_ALERTS_PER_MESSAGE", "5")
    monkeypatch.setenv("TASKWATCH_MAX_MESSAGES_PER_RUN", "2")
    invoke()  # seeds: two messages (gaussdb, dds)
    emulator.reset_records()
    keys = {s: [add_failure(emulator, service=s, age=timedelta(minutes=30 - n), name=f"Task{n % 3}")
                for n in range(12)] for s in ("dds", "gaussdb", "taurusdb")}
    first = invoke()
    assert first["messages_published"] == 2 and first["alerts_waiting"] == 1
    messages = published(emulator)
    for message in messages:
        doc = message["http"]
        assert len(doc["tasks"]) == 5 and sum(m["count"] for m in doc["more"]) == 7
        assert "... and 7 more, not listed here:" in message["structure"]["email"]
    emulator.reset_records()
    second = invoke()
    assert second["messages_published"] == 1 and second["alerts_waiting"] == 0
    every = [k for ks in keys.values() for k in ks]
    assert sorted(alerted_keys(emulator)) == sorted(keys[published(emulator)[0]["http"]["service"]])
    assert len(every) == 36


def test_filters_by_task_name_instance_and_status(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_EXCLUDE_TASKS", "*Backup*")
    monkeypatch.setenv("TASKWATCH_INCLUDE_INSTANCES", "prod-*")
    monkeypatch.setenv("TASKWATCH_ALERT_STATUSES", "Failed,Canceled")
    invoke()
    emulator.reset_records()
    wanted = add_failure(emulator, service="taurusdb", name="ResizeGaussDBforMySQLFlavor", instance_name="prod-db",
                         status="Canceled")
    add_failure(emulator, service="taurusdb", name="CreateBackup", instance_name="prod-db")
    add_failure(emulator, service="dds", name="Create_MongoDB", instance_name="test-db")
    add_failure(emulator, service="dds", name="Create_MongoDB", instance_name="staging", instance_id="prod-7")
    summary = invoke()
    keys = alerted_keys(emulator)  # publishes run in parallel: compare as a set
    assert wanted in keys and len(keys) == 2
    assert summary["filtered"] == 4  # the two new ones and the two seed failures (instances not prod-*)


def test_stuck_task_alerted_once_and_again_once_when_it_fails(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_STUCK_AFTER", "6h")
    invoke()
    created = emulator.now() - timedelta(hours=7)
    task_id = emulator.add_task("gaussdb", name="RestoreInstance", status="Running", created=created,
                                instance_id="i", instance_name="restore-1", progress="40%")
    emulator.reset_records()
    invoke()
    invoke()
    stuck = [t for m in published(emulator) for t in m["http"].get("tasks", [])]
    assert [(t["task_id"], t["alert"]) for t in stuck] == [(task_id, "stuck")]
    assert "STUCK" in published(emulator)[0]["subject"].upper()
    emulator.update_task("gaussdb", task_id, status="Failed", ended=emulator.now(), fail_reason="restore timeout")
    emulator.reset_records()
    invoke()
    invoke()
    failed = [t for m in published(emulator) for t in m["http"].get("tasks", [])]
    assert [(t["task_id"], t["alert"], t["fail_reason"]) for t in failed] == [(task_id, "failed", "restore timeout")]


def test_a_waiting_stuck_alert_is_dropped_when_the_task_ends_meanwhile(emulator, env, monkeypatch) -> None:
    from tests.emulator import Fault

    monkeypatch.setenv("TASKWATCH_STUCK_AFTER", "1h")
    invoke()
    created = emulator.now() - timedelta(hours=2)
    task_id = emulator.add_task("dds", name="RestoreMongoDB", status="Running", created=created,
                                instance_id="i", instance_name="restore-2")
    outage = emulator.faults.add(Fault(call="smn.publish", kind="500", times=None))
    invoke()  # the stuck alert cannot be published and waits
    emulator.faults.remove(outage)
    emulator.update_task("dds", task_id, status="Completed", ended=emulator.now())
    emulator.reset_records()
    invoke()
    assert published(emulator) == []  # no "stuck" message about a task that has finished


def test_a_pending_taurusdb_task_is_not_stuck_but_a_running_one_is(emulator, env) -> None:
    """TaurusDB Pending is a delayed task that has not run yet (e.g. waiting for a maintenance window), not
    a task that hangs: after 8 h (default TASKWATCH_STUCK_AFTER 6h) only the Running one is alerted."""
    invoke()
    created = emulator.now() - timedelta(hours=8)
    emulator.add_task("taurusdb", name="UpgradeGaussDBforMySQLVersion", status="Pending", created=created,
                      instance_id="i-pending", instance_name="upgrade-in-window")
    running = emulator.add_task("taurusdb", name="ResizeGaussDBforMySQLFlavor", status="Running", created=created,
                                instance_id="i-running", instance_name="resize-1", progress="30%")
    emulator.reset_records()
    summary = invoke()
    invoke()
    assert summary["outcome"] == "ok" and summary["new_stuck"] == 1, summary
    stuck = [t for m in published(emulator) for t in m["http"].get("tasks", [])]
    assert [(t["task_id"], t["alert"]) for t in stuck] == [(running, "stuck")]
    listed = {r["query"].get("status") for r in emulator.requests if r["call"] == "taurusdb.list"}
    assert listed == {"Failed", "Running"}  # Pending is neither alerted nor stuck: not even listed
