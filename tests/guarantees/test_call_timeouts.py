"""Time: every call's connect and read timeouts come from the time left, so with slow APIs and a short
budget the state is still saved before the invocation ends, in every run."""

from __future__ import annotations

import time

from taskwatch.deadline import Deadline
from taskwatch.sdk import DeadlineHttpConfig

from tests.conftest import invoke
from tests.emulator import Fault
from tests.fixtures import FakeContext

BUDGET_S = 8.0


def test_slow_task_centers_and_a_short_budget_still_save_the_state_every_run(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_RESERVE", "3")
    monkeypatch.setenv("TASKWATCH_CONCURRENCY", "1")  # one call after the other: the last starts late
    invoke()  # a warm container (the SDK imports are not what this measures)
    emulator.latency = 0.05
    emulator.faults.add(Fault(call="dds.list", kind="timeout", delay=4.0, times=None))
    for _ in range(3):
        started = time.monotonic()
        summary = invoke(context=FakeContext(budget_ms=BUDGET_S * 1000))
        elapsed = time.monotonic() - started
        assert summary["state"]["written"] is True, (elapsed, summary["errors"], summary["duration_ms"])
        assert elapsed < BUDGET_S, elapsed  # saved (and returned) before FunctionGraph would stop it


def test_the_sdk_reads_the_timeout_per_request() -> None:
    """DeadlineHttpConfig relies on huaweicloudsdkcore reading HttpConfig.timeout on every request."""
    remaining = [60_000.0]

    class Context:
        def getRemainingTimeInMilliSeconds(self) -> float:
            return remaining[0]

    deadline = Deadline(Context(), reserve=10)  # the invocation, held by its run while its calls go out
    config = DeadlineHttpConfig(deadline, wanted=30)
    assert config.timeout == (5.0, 30)
    remaining[0] = 13_000.0  # 3 s left before the reserve
    connect, read = config.timeout
    assert connect + read <= 3.0 and read > 0
    import inspect

    from huaweicloudsdkcore.http.http_client import HttpClient
    assert "timeout=self._config.timeout" in inspect.getsource(HttpClient.do_request_sync)
