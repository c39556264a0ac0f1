"""Shards on one state whose timers fire together: one shard's saves never starve the other's alerts."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

from tests.conftest import alerted_keys, invoke
from tests.emulator import Fault
from tests.guarantees.failures import add_failure


def shards_together(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One timer tick: every shard's invocation starts at the same moment (no MaxInstances queueing)."""
    results: list[dict[str, Any]] = [{} for _ in events]
    barrier = threading.Barrier(len(events))

    def one(index: int) -> None:
        barrier.wait()
        results[index] = invoke(events[index])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(events))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_a_shard_with_a_failing_source_does_not_starve_the_other_shard(emulator, env) -> None:
    """The TaurusDB shard's source is down, so it saves its health every run; the DDS shard reads a slower
    task center. Overlapping on one state, the DDS shard's new failure is still published within a few
    ticks, and its runs do not all stand aside."""
    invoke()  # the baseline
    key = add_failure(emulator, service="dds", age=timedelta(minutes=5))
    emulator.faults.add(Fault(call="taurusdb.list", kind="403", times=None))

    def slow_dds(call: str, _query: dict[str, str]) -> None:
        if call.startswith("dds."):
            time.sleep(0.3)

    emulator.before_answer = slow_dds
    dds_outcomes = []
    for _ in range(4):
        _taurusdb, dds = shards_together([{"services": "taurusdb"}, {"services": "dds"}])
        dds_outcomes.append(dds.get("outcome"))
    assert key in alerted_keys(emulator), dds_outcomes
    assert alerted_keys(emulator).count(key) == 1
