"""A state that exists when OBS answers one read badly: the matrix's OBS cells start without a state, these
start from a saved one. One bad read must neither re-alert what was already published nor replace the state
with a fresh baseline (the set-aside copy and the ETag re-check before publishing are what protect it)."""

from __future__ import annotations

import json

import pytest
from taskwatch.state.document import State

from tests.conftest import STATE_KEY, alerted_keys, invoke
from tests.emulator import Fault
from tests.fixtures import BUCKET


@pytest.mark.parametrize("kind", ["html200", "malformed_json", "truncated", "500", "reset"])
def test_one_bad_read_of_an_existing_state_repeats_nothing(emulator, env, kind) -> None:
    first = invoke()
    assert first["outcome"] == "ok" and len(alerted_keys(emulator)) == 2
    saved = emulator.obs_objects[(BUCKET, STATE_KEY)]

    emulator.faults.add(Fault(call="obs.get", kind=kind, times=1))  # the run's first read: the state itself
    troubled = invoke()
    assert troubled["outcome"] in ("skipped", "failed", "degraded"), troubled
    assert troubled.get("messages_published", 0) == 0
    state = emulator.obs_objects[(BUCKET, STATE_KEY)]
    assert state == saved, "a bad read must not replace the saved state"
    assert all(entry.get("notified_at") for entry in State.from_bytes(state).tasks.values())

    again = invoke()
    assert again["outcome"] == "ok" and again["messages_published"] == 0, again
    assert len(alerted_keys(emulator)) == 2
    for (bucket, key), data in emulator.obs_objects.items():
        if key.startswith(STATE_KEY + ".unreadable-"):  # what was set aside is the bad answer, never the state
            assert bucket == BUCKET and data != saved
            with pytest.raises(ValueError):
                json.loads(data)
