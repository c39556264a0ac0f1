"""Notices waiting for SMN are never dropped to fit the state: the oldest are folded, not forgotten."""

from __future__ import annotations

from taskwatch.state.document import State

from tests.conftest import STATE_KEY, emulator_with, invoke, published
from tests.emulator import Fault
from tests.fixtures import BUCKET
from tests.guarantees.clock import Clock, use_clock

KEPT = 50  # the state schema's notices maxItems


def test_given_up_notices_of_a_long_smn_outage_all_reach_subscribers(env, monkeypatch) -> None:
    """SMN refuses messages for more than a day: every run gives up the alerts that have waited longer than
    TASKWATCH_GIVE_UP_AFTER, one notice each. Once SMN answers again, every given-up alert is named or
    counted in what is published (guarantee 3), however many notices piled up."""
    clock = Clock()
    use_clock(monkeypatch, clock)
    monkeypatch.setenv("TASKWATCH_GIVE_UP_AFTER", "1h")
    # The state below has never seen the dds source: its first reading would baseline a failure that ended
    # more than TASKWATCH_BACKFILL ago (guarantee 5). The generated failure may be up to 29 days old.
    monkeypatch.setenv("TASKWATCH_BACKFILL", "30d")
    with emulator_with(monkeypatch, now=clock, seed_examples=False) as emu:
        state = State.new(clock())
        state.fresh = False
        state.notices = [{"kind": "given_up", "since": state.created_at,
                          "text": f"1 alerts could not be published for 1 h and were given up: earlier-{i}"}
                         for i in range(KEPT)]
        emu.obs_put_object(BUCKET, STATE_KEY, state.to_bytes(clock(), "earlier-run"))
        outage = emu.faults.add(Fault(call="smn.publish", kind="500", times=None))
        emu.generate("dds", 1, failure_rate=1.0, seed=3)
        invoke()  # the failure is pending
        clock.advance(hours=2)
        assert invoke()["given_up"] == 1  # a 51st notice
        emu.faults.remove(outage)
        clock.advance(minutes=5)
        invoke()
        texts = "\n".join(m["structure"]["email"] for m in published(emu))
        missing = [i for i in range(KEPT) if f"earlier-{i}" not in texts]
        assert not missing, f"given-up alerts never reported: earlier-{missing}"
