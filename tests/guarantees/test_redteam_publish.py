"""SMN refusing every message is a run that cannot do its job: after TASKWATCH_BLIND_AFTER runs the
invocation fails, so the platform's error metric shows what no message can say."""

from __future__ import annotations

from datetime import timedelta

import pytest
from index import handler
from taskwatch.errors import RunFailed

from tests.conftest import alerted_keys, invoke
from tests.emulator import Fault
from tests.fixtures import FakeContext, timer_event
from tests.guarantees.failures import add_failure


def test_alerts_refused_by_smn_for_blind_after_runs_fail_the_invocation(emulator, env) -> None:
    invoke()  # the baseline
    key = add_failure(emulator, service="dds", age=timedelta(minutes=5))
    outage = emulator.faults.add(Fault(call="smn.publish", kind="403", times=None))  # publish permission lost
    assert [invoke()["outcome"] for _ in range(2)] == ["degraded", "degraded"]  # retried: not yet an error
    with pytest.raises(RunFailed, match="not accepted by SMN"):
        handler(timer_event(), FakeContext())
    emulator.faults.remove(outage)
    assert invoke()["outcome"] == "ok"
    assert alerted_keys(emulator).count(key) == 1


def test_one_refused_publish_is_not_yet_an_error(emulator, env) -> None:
    invoke()
    add_failure(emulator, service="dds", age=timedelta(minutes=5))
    emulator.faults.add(Fault(call="smn.publish", kind="500", times=1))
    assert invoke()["outcome"] == "degraded"
    assert invoke()["outcome"] == "ok"
