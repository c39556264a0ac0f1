"""The timer event: user_event overrides, and clear errors for anything else."""

from __future__ import annotations

import pytest
from taskwatch.errors import EventError
from taskwatch.event import parse_event

from tests.fixtures import timer_event


def test_timer_event_with_user_event_object() -> None:
    event = parse_event(timer_event('{"services": "dds", "region": "ap-southeast-1"}'))
    assert event.trigger_name == "every-5-minutes"
    assert event.overrides == {"services": "dds", "region": "ap-southeast-1"}


@pytest.mark.parametrize("event", [None, {}, "", timer_event(""), timer_event("  ")])
def test_empty_events_mean_no_overrides(event: object) -> None:
    assert parse_event(event).overrides == {}


def test_event_given_as_json_text() -> None:
    assert parse_event('{"trigger_name": "t", "user_event": "{}"}').trigger_name == "t"


@pytest.mark.parametrize(("event", "message"), [
    ("not json", "event is not JSON"),
    ([1, 2], "event is not a JSON object"),
    (timer_event("{not json"), "user_event is not JSON"),
    (timer_event("[1, 2]"), "user_event is not a JSON object"),
    (timer_event('"text"'), "user_event is not a JSON object"),
    (timer_event("x" * 70_000), "larger than"),
])
def test_malformed_events_are_refused_clearly(event: object, message: str) -> None:
    with pytest.raises(EventError, match=message):
        parse_event(event)
