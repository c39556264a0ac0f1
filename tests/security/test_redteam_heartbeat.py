"""A user_event's heartbeat may only narrow: it can turn the heartbeat off for its trigger, or set a period of
at least an hour (and not shorter than the environment's own). Otherwise anyone allowed to invoke the
function could send one SMN message (an SMS, an email to the on-call) per invocation: a heartbeat of a
millisecond is due on every run."""

from __future__ import annotations

import json

import pytest

from tests.conftest import invoke
from tests.emulator import CloudEmulator


def heartbeats(emulator: CloudEmulator) -> int:
    kinds = [json.loads(json.loads(m["body"]["message_structure"])["http"])["kind"] for m in emulator.smn_messages]
    return kinds.count("heartbeat")


@pytest.mark.parametrize("period", [0.001, "1s", "59m"])
def test_a_user_event_cannot_make_the_heartbeat_flood_the_topic(emulator, env, period) -> None:
    summaries = [invoke({"heartbeat": period}) for _ in range(3)]
    assert heartbeats(emulator) == 0, "a heartbeat per invocation reached the topic"
    assert all(s["outcome"] == "failed" for s in summaries), summaries[0]
    assert "TASKWATCH_HEARTBEAT" in summaries[0]["errors"][0] and "at least" in summaries[0]["errors"][0]


def test_a_user_event_heartbeat_may_not_be_shorter_than_the_environments(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_HEARTBEAT", "24h")
    summary = invoke({"heartbeat": "2h"})
    assert summary["outcome"] == "failed" and "TASKWATCH_HEARTBEAT" in summary["errors"][0], summary
    assert heartbeats(emulator) == 0
    assert invoke({"heartbeat": "48h"})["outcome"] == "ok"


def test_a_user_event_may_turn_the_heartbeat_off_or_set_an_hourly_one(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_HEARTBEAT", "24h")
    assert invoke({"heartbeat": 0})["outcome"] == "ok"
    assert heartbeats(emulator) == 0
    monkeypatch.delenv("TASKWATCH_HEARTBEAT")
    assert invoke({"heartbeat": "1h"})["outcome"] == "ok"
    assert heartbeats(emulator) == 1
