"""Guarantee 3: a publish that keeps failing is given up after TASKWATCH_GIVE_UP_AFTER, in one summary."""

from __future__ import annotations

from tests.conftest import invoke, published, saved_state
from tests.emulator import CloudEmulator, Fault
from tests.fixtures import AK, BUCKET, PROJECT, REGION, SK, TOPIC
from tests.guarantees.clock import Clock, use_clock


def test_given_up_after_the_configured_time_and_reported_once(env, monkeypatch) -> None:
    clock = Clock()
    use_clock(monkeypatch, clock)
    monkeypatch.setenv("TASKWATCH_GIVE_UP_AFTER", "2h")
    with CloudEmulator(ak=AK, sk=SK, project_id=PROJECT, region=REGION, topic_urns=[TOPIC], buckets=[BUCKET],
                       now=clock) as emu:
        for key, value in emu.env().items():
            monkeypatch.setenv(key, value)
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
