"""Guarantee 6: overlapping runs (timer overlap, retried async invocations) never publish a failure twice."""

from __future__ import annotations

import threading
from datetime import timedelta

from tests.conftest import alerted_keys, invoke
from tests.emulator import Fault
from tests.guarantees.failures import add_failure


def run_together(count: int) -> list[dict]:
    results: list[dict] = [{}] * count
    barrier = threading.Barrier(count)

    def one(index: int) -> None:
        barrier.wait()
        results[index] = invoke()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_two_runs_at_the_same_time_publish_each_failure_once(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_SERVICES", "taurusdb,gaussdb,dds,rds")
    emulator.latency = 0.02
    keys = [add_failure(emulator, service=s, age=timedelta(minutes=5)) for s in ("dds", "gaussdb", "taurusdb", "rds")]
    results = run_together(2)
    published = alerted_keys(emulator)
    assert sorted(published) == sorted(set(published))
    assert set(keys) <= set(published)
    assert sorted(r["outcome"] for r in results)[1] in ("ok", "skipped")
    # One of them stood aside, or decided again on the other's saved state: it published nothing.
    assert min(r["messages_published"] for r in results) == 0, results


def test_many_overlapping_runs_over_time(emulator, env) -> None:
    emulator.latency = 0.01
    for round_ in range(3):
        add_failure(emulator, age=timedelta(minutes=round_ + 1))
        run_together(3)
    invoke()  # a last lone run catches whatever a skipped round left
    published = alerted_keys(emulator)
    assert sorted(published) == sorted(set(published)) and len(published) == 2 + 3


def test_a_run_that_read_the_state_before_another_saved_it_stands_aside(emulator, env) -> None:
    """Run B starts and finishes while run A is still listing: A must not publish B's failures again. A
    decides again on B's state (what it listed is reused), so it neither repeats B nor stands aside."""
    inner: list[dict] = []

    def run_b_inside_a(call: str, query: dict) -> None:
        if call == "dds.list" and not inner:
            inner.append({})
            inner[0] = invoke()  # B: reads, publishes, saves, all before A gets its answer

    emulator.before_answer = run_b_inside_a
    a = invoke()
    emulator.before_answer = None
    b = inner[0]
    assert b["messages_published"] == 2
    assert a["messages_published"] == 0 and not a.get("skipped")
    dds_first_pages = [r for r in emulator.requests if r["call"] == "dds.list" and r["query"].get("offset") == "0"]
    assert len(dds_first_pages) == 4  # Failed and Running, once per run: A listed nothing again
    keys = alerted_keys(emulator)
    assert sorted(keys) == sorted(set(keys)) and len(keys) == 2


def test_a_lease_that_cannot_be_read_back_is_expired_not_left_blocking(emulator, env) -> None:
    # obs.get #1 reads the state, #2 the lease, #3 reads the lease back: that one fails.
    emulator.faults.add(Fault(call="obs.get", kind="500", times=1, after=2))
    first = invoke()
    assert first["messages_published"] == 0 and first["outcome"] == "failed"
    second = invoke()  # not blocked by a lease left behind
    assert second["messages_published"] == 2 and not second.get("skipped")


def test_a_first_run_that_baselined_while_listing_decides_again_on_the_state_another_run_saved(
        emulator, env, monkeypatch) -> None:
    """A first run lets the failures it baselines go as their pages arrive (kept as state entries, not
    Tasks). When run B saves the first state meanwhile, A decides again on B's state: it publishes nothing
    B published, baselines nothing twice, and the state it saves still holds every failure."""
    monkeypatch.setenv("TASKWATCH_BACKFILL", "1h")
    old = [add_failure(emulator, service=s, age=timedelta(hours=6)) for s in ("dds", "gaussdb", "taurusdb")]
    inner: list[dict] = []

    def run_b_inside_a(call: str, query: dict) -> None:
        if call == "dds.list" and not inner:
            inner.append({})
            inner[0] = invoke()

    emulator.before_answer = run_b_inside_a
    a = invoke()
    emulator.before_answer = None
    b = inner[0]
    assert b["baselined"] == 3 and b["messages_published"] >= 1, b
    assert a["messages_published"] == 0 and a["baselined"] == 0 and a["outcome"] == "ok", a
    third = invoke()
    assert third["messages_published"] == 0 and third["new_failures"] == 0 and third["baselined"] == 0, third
    assert third["failures_seen"] == b["failures_seen"]
    keys = alerted_keys(emulator)
    assert sorted(keys) == sorted(set(keys)) and not set(old) & set(keys)


def test_a_first_run_alone_baselines_while_listing_and_the_next_run_sees_them_known(emulator, env,
                                                                                   monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_BACKFILL", "1h")
    old = [add_failure(emulator, service=s, age=timedelta(hours=6)) for s in ("dds", "gaussdb", "taurusdb")]
    first = invoke()
    assert first["baselined"] == 3 and first["state"]["tasks"] == first["failures_seen"], first
    second = invoke()
    assert second["baselined"] == 0 and second["new_failures"] == 0 and second["messages_published"] == 0
    assert not set(old) & set(alerted_keys(emulator))


def test_a_first_run_retried_on_the_state_of_a_run_that_could_not_read_the_source_still_baselines(
        emulator, env, monkeypatch) -> None:
    """Run B, inside A's first run, cannot read the task center and saves only its health. A decides again on
    B's state: the source has a health record but was never read, so A's baselines still count, and no
    later run alerts the history (before: A dropped them as 'seen by B', and the next run alerted them all)."""
    monkeypatch.setenv("TASKWATCH_BACKFILL", "1h")
    monkeypatch.setenv("TASKWATCH_SERVICES", "dds")
    # One request in flight: A's other dds listing waits for the slot while B runs, so only B meets the 403.
    monkeypatch.setenv("TASKWATCH_CONCURRENCY", "1")
    old = [add_failure(emulator, service="dds", age=timedelta(hours=6, minutes=i)) for i in range(3)]
    inner: list[dict] = []

    def run_b_inside_a(call: str, query: dict) -> None:
        if call == "dds.list" and not inner:
            inner.append({})
            down = emulator.faults.add(Fault(call="dds.list", kind="403", times=None))
            inner[0] = invoke()
            emulator.faults.remove(down)

    emulator.before_answer = run_b_inside_a
    a = invoke()
    emulator.before_answer = None
    b = inner[0]
    assert b["sources"][0]["ok"] is False and b["state"]["written"], b
    assert a["baselined"] == 3 and a["state"]["tasks"] >= 3, a
    later = invoke()
    assert later["baselined"] == 0 and later["new_failures"] == 0, later
    assert not set(old) & set(alerted_keys(emulator))
