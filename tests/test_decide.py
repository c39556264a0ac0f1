"""Decisions against state, without the network: new, baseline, stuck, filters, storm control, give-up."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from taskwatch import decide
from taskwatch.config import load_config
from taskwatch.state.document import State
from taskwatch.tasks import Task

from tests.fixtures import PROJECT, REGION, TOPIC

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
BASE = {"TASKWATCH_REGION": REGION, "TASKWATCH_PROJECT_ID": PROJECT, "TASKWATCH_SMN_TOPIC_URN": TOPIC}


def task(n: int, status: str = "Failed", age: timedelta = timedelta(minutes=10), service: str = "dds",
         name: str = "Create_MongoDB", instance: str = "dds-prod-1") -> Task:
    created = NOW - age
    return Task(service=service, region=REGION, project_id=PROJECT, id=f"t{n}", name=name, status=status,
                created=created, ended=created + timedelta(minutes=1) if status == "Failed" else None,
                instance_id=f"{instance}-id", instance_name=instance, fail_reason="boom")


def known_state() -> State:
    state = State.new(NOW - timedelta(days=1))
    state.fresh = False
    return state


def test_a_failure_is_new_once_and_old_failures_created_long_ago_still_count() -> None:
    config = load_config(BASE)
    state = known_state()
    created_ten_days_ago = task(1, age=timedelta(days=10))
    result = decide.observe(state, [created_ten_days_ago], config, NOW)
    assert result.new_failures == [created_ten_days_ago.key]
    decide.mark_published(state, result.new_failures, NOW)
    assert decide.observe(state, [created_ten_days_ago], config, NOW).new_failures == []


def test_first_run_baselines_old_failures_and_alerts_recent_ones() -> None:
    config = load_config(BASE)
    state = State.new(NOW)
    old, recent = task(1, age=timedelta(hours=5)), task(2, age=timedelta(minutes=5))
    result = decide.observe(state, [old, recent], config, NOW)
    assert result.baselined == 1 and result.new_failures == [recent.key]
    assert state.tasks[old.key]["baselined_at"] and state.tasks[old.key].get("alert") is None


def test_failed_publish_stays_pending_and_counts_attempts() -> None:
    config = load_config(BASE)
    state = known_state()
    result = decide.observe(state, [task(1)], config, NOW)
    decide.mark_failed(state, result.new_failures, "HTTP 500")
    entry = state.tasks[task(1).key]
    assert entry["alert"] == "failed" and entry["attempts"] == 1 and entry["last_error"] == "HTTP 500"
    assert decide.observe(state, [task(1)], config, NOW).new_failures == []  # pending, not new again
    alerts, _ = decide.plan_alerts(state, config, "run")
    assert [item.key for a in alerts for item in a.all_items] == [task(1).key]


def test_give_up_after_the_configured_time() -> None:
    config = load_config({**BASE, "TASKWATCH_GIVE_UP_AFTER": "1h"})
    state = known_state()
    decide.observe(state, [task(1)], config, NOW - timedelta(hours=2))
    assert decide.give_up(state, config, NOW) == [task(1).key]
    assert state.tasks[task(1).key].get("alert") is None and state.tasks[task(1).key]["gave_up_at"]


def test_stuck_task_alerts_once_then_again_once_when_it_fails() -> None:
    config = load_config({**BASE, "TASKWATCH_STUCK_AFTER": "6h"})
    state = known_state()
    running = task(1, status="Running", age=timedelta(hours=7))
    assert decide.observe(state, [running], config, NOW).new_stuck == [running.key]
    decide.mark_published(state, [running.key], NOW)
    assert decide.observe(state, [running], config, NOW).new_stuck == []
    failed = task(1, status="Failed", age=timedelta(hours=8))
    assert decide.observe(state, [failed], config, NOW).new_failures == [failed.key]
    decide.mark_published(state, [failed.key], NOW)
    assert decide.observe(state, [failed], config, NOW).new_failures == []
    young = task(2, status="Running", age=timedelta(hours=1))
    assert decide.observe(state, [young], config, NOW).new_stuck == []


def test_filters_on_names_instances_and_statuses() -> None:
    config = load_config({**BASE, "TASKWATCH_EXCLUDE_TASKS": "Mongodb*Backup",
                          "TASKWATCH_INCLUDE_INSTANCES": "prod-*,*-prod-*",
                          "TASKWATCH_ALERT_STATUSES": "Failed,Canceled"})
    state = known_state()
    tasks = [task(1), task(2, name="MongodbSnapshotBackup"), task(3, instance="dds-test-1"),
             task(4, status="Canceled", service="taurusdb"), task(5, status="Completed")]
    result = decide.observe(state, tasks, config, NOW)
    assert sorted(result.new_failures) == sorted([tasks[0].key, tasks[3].key])
    assert result.filtered == 2


def test_storm_control_one_message_per_target_service_capped_per_run() -> None:
    config = load_config({**BASE, "TASKWATCH_MAX_ALERTS_PER_MESSAGE": "3", "TASKWATCH_MAX_MESSAGES_PER_RUN": "2"})
    state = known_state()
    tasks = [task(n, service=s, age=timedelta(minutes=60 - n)) for s in ("dds", "gaussdb", "taurusdb")
             for n in range(10)]
    decide.observe(state, tasks, config, NOW)
    alerts, waiting = decide.plan_alerts(state, config, "run")
    assert len(alerts) == 2 and waiting == 1
    assert all(len(a.items) == 3 and len(a.overflow) == 7 for a in alerts)
    assert [i.id for i in alerts[0].items] == ["t0", "t1", "t2"]  # oldest first


def test_waiting_groups_go_first_next_run() -> None:
    config = load_config({**BASE, "TASKWATCH_MAX_MESSAGES_PER_RUN": "1"})
    state = known_state()
    decide.observe(state, [task(1, service="gaussdb")], config, NOW - timedelta(minutes=10))
    decide.observe(state, [task(2, service="dds")], config, NOW)
    alerts, waiting = decide.plan_alerts(state, config, "run")
    assert [a.service for a in alerts] == ["gaussdb"] and waiting == 1


def test_every_status_has_a_written_meaning_and_only_running_ones_can_be_stuck() -> None:
    from taskwatch.sources import SPECS

    for spec in SPECS.values():
        assert all(meaning.strip() for meaning in spec.statuses.values()), spec.service
        assert set(spec.stuck_statuses) <= set(spec.statuses), spec.service
        assert spec.stuck_statuses == ("Running",), spec.service
    assert "has not run yet" in SPECS["taurusdb"].statuses["Pending"]


def test_a_delayed_taurusdb_task_is_never_stuck_a_running_one_is() -> None:
    config = load_config({**BASE, "TASKWATCH_STUCK_AFTER": "6h"})
    pending = task(1, status="Pending", age=timedelta(hours=8), service="taurusdb")
    running = task(2, status="Running", age=timedelta(hours=8), service="taurusdb")
    assert decide.observe(known_state(), [pending, running], config, NOW).new_stuck == [running.key]


def test_listed_statuses_follow_the_specs() -> None:
    from taskwatch.run import statuses_to_list

    config = load_config({**BASE, "TASKWATCH_STUCK_AFTER": "6h"})
    assert statuses_to_list(config, "taurusdb") == ["Failed", "Running"]
    assert statuses_to_list(load_config({**BASE, "TASKWATCH_STUCK_AFTER": "0"}), "dds") == ["Failed"]
    alerted = load_config({**BASE, "TASKWATCH_ALERT_STATUSES": "Failed,Canceled"})
    assert statuses_to_list(alerted, "taurusdb") == ["Failed", "Canceled", "Running"]  # never Pending
    assert statuses_to_list(alerted, "gaussdb") == ["Failed", "Running"]  # openGauss knows no Canceled
