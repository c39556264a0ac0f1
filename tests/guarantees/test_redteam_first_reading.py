"""The first reading of a source is a baseline even when the source does not answer on the first run: its
history was never read, so the run where it first answers completely baselines it, as a first run does."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import alerted_keys, emulator_with, invoke, published
from tests.emulator import Fault
from tests.guarantees.clock import Clock, use_clock
from tests.guarantees.failures import add_failure


def test_a_source_unreadable_on_the_first_run_is_baselined_when_it_first_answers(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_SERVICES", "taurusdb,dds")
    old = add_failure(emulator, service="taurusdb", age=timedelta(hours=3))
    down = emulator.faults.add(Fault(call="taurusdb.list", kind="403", times=None))
    first = invoke()
    assert [r["ok"] for r in first["sources"] if r["source"].endswith("/taurusdb")] == [False]
    second = invoke()  # still down: a second failing reading changes nothing
    emulator.faults.remove(down)
    recent = add_failure(emulator, service="taurusdb", age=timedelta(minutes=5))
    third = invoke()
    assert old not in alerted_keys(emulator)  # no month of history alerted when the source first answers
    assert third["baselined"] == 1 and second["baselined"] == 0
    assert alerted_keys(emulator).count(recent) == 1  # a recent failure is still alerted, once
    invoke()
    assert old not in alerted_keys(emulator) and alerted_keys(emulator).count(recent) == 1


def test_a_first_reading_that_fails_midway_keeps_its_counts_truthful(emulator, env, monkeypatch) -> None:
    """A listing that fails after its first page counts nothing (its report says it failed): the failures its
    first page held are neither counted as seen nor as baselined, and are baselined when it first answers."""
    monkeypatch.setenv("TASKWATCH_SERVICES", "taurusdb")
    old = [add_failure(emulator, service="taurusdb", age=timedelta(hours=3, minutes=i)) for i in range(120)]
    emulator.faults.add(Fault(call="taurusdb.list", kind="403", times=None, after=1))
    first = invoke()
    assert first["sources"][0]["ok"] is False
    assert (first["tasks_seen"], first["failures_seen"], first["baselined"]) == (0, 0, 0)
    emulator.faults.clear()
    second = invoke()
    assert (second["tasks_seen"], second["failures_seen"], second["baselined"]) == (120, 120, 120)
    assert not set(old) & set(alerted_keys(emulator))


def test_failures_that_end_while_a_never_read_source_is_down_are_alerted_when_it_answers(env, monkeypatch) -> None:
    """Watching began with the first run (the health record's watched_since). A failure that ended during a
    day-long outage is older than TASKWATCH_BACKFILL when the source first answers, yet it happened while the
    source was watched (covered by its blind alert until then): it is alerted, not baselined. What ended
    before watching began (less the backfill) is still baselined."""
    clock = Clock()
    use_clock(monkeypatch, clock)
    monkeypatch.setenv("TASKWATCH_SERVICES", "taurusdb,dds")
    monkeypatch.setenv("TASKWATCH_BLIND_AFTER", "1")
    with emulator_with(monkeypatch, now=clock) as emu:
        before = add_failure(emu, service="taurusdb", age=timedelta(hours=3))
        down = emu.faults.add(Fault(call="taurusdb.list", kind="403", times=None))
        invoke()
        clock.advance(hours=12)
        during = add_failure(emu, service="taurusdb", age=timedelta(hours=2))
        clock.advance(hours=12)
        invoke()
        assert "blind" in [m["http"]["kind"] for m in published(emu)]
        emu.faults.remove(down)
        answered = invoke()
        assert answered["baselined"] == 1, answered
        assert alerted_keys(emu).count(during) == 1 and before not in alerted_keys(emu)
        invoke()
        assert alerted_keys(emu).count(during) == 1
