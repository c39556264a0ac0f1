"""Guarantee 3: a publish that keeps failing is given up after TASKWATCH_GIVE_UP_AFTER, in one summary."""

from __future__ import annotations

from tests.conftest import emulator_with, invoke, published, saved_state
from tests.emulator import Fault
from tests.guarantees.clock import Clock, use_clock


def test_given_up_after_the_configured_time_and_reported_once(env, monkeypatch) -> None:
    clock = Clock()
    use_clock(monkeypatch, clock)
    monkeypatch.setenv("TASKWATCH_GIVE_UP_AFTER", "2h")
    with emulator_with(monkeypatch, now=clock) as emu:
        outage = emu.faults.add(Fault(call="smn.publish", kind="500", times=None))
        for _ in range(5):
            invoke()
            clock.advance(minutes=30)
        assert all(v.get("alert") == "failed" for v in saved_state(emu)["tasks"].values())
        clock.advance(minutes=40)
        summary = invoke()
        assert summary["given_up"] == 2
        assert all(v.get("gave_up_at") for v in saved_state(emu)["tasks"].values())
        emu.faults.remove(outage)
        clock.advance(minutes=5)
        invoke()
        invoke()
        messages = published(emu)
        assert [m["http"]["kind"] for m in messages] == ["notice"]  # one summary, no late alerts
        assert "2 alerts could not be published" in messages[0]["structure"]["email"]
