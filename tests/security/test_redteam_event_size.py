"""The user_event size cap holds whatever form the user_event arrives in. A timer delivers it as JSON text,
capped at MAX_USER_EVENT characters; an invocation through the API can deliver it as a JSON object, which was
not capped: a `services` list of 300,000 small lists (2.9 MB) kept the schema check busy for about 30 s
before it was refused, time taken from the run and from the function's instances."""

from __future__ import annotations

import time

from taskwatch.event import MAX_USER_EVENT

from tests.conftest import handle
from tests.fixtures import timer_event


def test_a_user_event_object_larger_than_the_cap_is_refused_before_it_is_read(emulator, env) -> None:
    started = time.monotonic()
    summary = handle(timer_event({"services": [[i] for i in range(100_000)]}))
    assert summary["outcome"] == "failed" and summary["error_type"] == "EventError", summary
    assert f"larger than {MAX_USER_EVENT}" in summary["errors"][0], summary["errors"]
    assert time.monotonic() - started < 10
    assert emulator.requests == [], "refused before any request"


def test_a_user_event_object_nested_too_deeply_is_refused(emulator, env) -> None:
    deep: list = []
    node = deep
    for _ in range(5000):
        node.append([])
        node = node[0]
    summary = handle(timer_event({"services": deep}))
    assert summary["outcome"] == "failed" and summary["error_type"] in ("EventError", "ConfigError"), summary


def test_a_small_user_event_object_is_read_as_before(emulator, env) -> None:
    assert handle(timer_event({"services": ["dds"]}))["outcome"] == "ok"
