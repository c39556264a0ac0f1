"""settled_outcome (the decision taken while listing, so a task can be let go as its page arrives) agrees
with observe's own decision for the same task on the same state: a task let go as "baseline" is one that
observe baselines into the same entry, and one let go for any other reason is one observe leaves alone."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from taskwatch import decide
from taskwatch.config import load_config
from taskwatch.state.document import State
from taskwatch.tasks import Task

from tests.fixtures import PROJECT, REGION, TOPIC

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
BASE = {"TASKWATCH_REGION": REGION, "TASKWATCH_PROJECT_ID": PROJECT, "TASKWATCH_SMN_TOPIC_URN": TOPIC}

CONFIGS = {
    "plain": load_config(BASE),
    "filtered": load_config({**BASE, "TASKWATCH_EXCLUDE_TASKS": "*Backup", "TASKWATCH_INCLUDE_INSTANCES": "prod-*",
                             "TASKWATCH_ALERT_STATUSES": "Failed,Canceled", "TASKWATCH_STUCK_AFTER": "2h"}),
}
ENTRIES = {
    "none": None,
    "notified": {"notified_at": "2026-11-22T08:00:00Z"},
    "baselined": {"baselined_at": "2026-11-22T08:00:00Z"},
    "pending": {"alert": "failed", "pending_since": "2026-11-23T07:00:00Z", "attempts": 1},
    "stuck": {"alert": "stuck", "pending_since": "2026-11-23T07:00:00Z", "attempts": 0},
}


@settings(max_examples=300, deadline=None)
@given(config=st.sampled_from(sorted(CONFIGS)), fresh=st.booleans(), first_reading=st.booleans(),
       status=st.sampled_from(["Failed", "Canceled", "Running", "Completed"]),
       age_minutes=st.integers(0, 60 * 24 * 3), ended=st.booleans(),
       name=st.sampled_from(["Create", "Nightly_Backup"]), instance=st.sampled_from(["prod-1", "test-1"]),
       entry=st.sampled_from(sorted(ENTRIES)))
def test_settled_outcome_agrees_with_observe(config: str, fresh: bool, first_reading: bool, status: str,
                                            age_minutes: int, ended: bool, name: str, instance: str,
                                            entry: str) -> None:
    cfg = CONFIGS[config]
    created = NOW - timedelta(minutes=age_minutes)
    task = Task(service="dds", region=REGION, project_id=PROJECT, id="t1", name=name, status=status,
                created=created, ended=created + timedelta(minutes=1) if ended else None,
                instance_id=instance + "-id", instance_name=instance, fail_reason="boom")
    state = State.new(NOW - timedelta(days=1))
    state.fresh = fresh
    if ENTRIES[entry] is not None:
        state.tasks[task.key] = {"service": "dds", "region": REGION, "project_id": PROJECT, "id": "t1",
                                 "name": name, "status": status, "first_seen": "2026-11-22T08:00:00Z",
                                 "created": "2026-11-22T07:00:00Z", **ENTRIES[entry]}
    reading = {task.source} if first_reading else set()
    before = copy.deepcopy(state.tasks)
    verdict = decide.settled_outcome(state, task, cfg, NOW, reading)
    assert state.tasks == before  # deciding while listing changes nothing
    found = decide.observe(state, [task], cfg, NOW, reading)
    if verdict == "baseline":
        assert found.baselined == 1 and found.failures_seen == 1 and not found.new_failures
        assert state.tasks == {**before, task.key: decide.baseline_entry(task, "2026-11-23T08:00:00Z")}
    elif verdict is not None:
        assert state.tasks == before and not found.new_failures and not found.new_stuck and not found.baselined
        assert (found.failures_seen, found.filtered) == {"failure": (1, 0), "filtered": (0, 1)}.get(verdict, (0, 0))
