"""Shards with state objects of their own (taskwatch/state_uri.py, taskwatch/state/shards.py).

Two shards run side by side, concurrently, on the emulator: every failure is alerted once (none lost, none
twice), each state object holds only its shard's sources, and neither shard waits for the other's lease.
Upgrading from one shared object: each shard's first run starts from its part of the shared object, so
nothing notified is alerted again, nothing pending is lost, and the shared notices are sent once.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from taskwatch.config import load_config
from taskwatch.errors import ConfigError
from taskwatch.state_uri import key_pattern, shard_uri

from tests.conftest import STATE_KEY, alerted_keys, invoke, published
from tests.emulator import CloudEmulator, Fault
from tests.fixtures import BUCKET, PROJECT, REGION

PROJECT_B = "00112233445566778899aabbccddeeff"
SHARDS = {"a": PROJECT, "b": PROJECT_B}
STATE_A, STATE_B = "taskwatch/state-a.json", "taskwatch/state-b.json"


@pytest.fixture
def sharded(emulator, env, monkeypatch) -> CloudEmulator:
    monkeypatch.delenv("TASKWATCH_REGION")
    monkeypatch.delenv("TASKWATCH_PROJECT_ID")
    monkeypatch.setenv("TASKWATCH_TARGETS", json.dumps(
        [{"region": REGION, "project_id": project, "shard": shard} for shard, project in SHARDS.items()]))
    return emulator


def failure(emu: CloudEmulator, project: str, service: str = "dds", age: timedelta = timedelta(minutes=5)) -> str:
    created = emu.now() - age
    task_id = emu.add_task(service, project, name="Resize", status="Failed", created=created,
                           ended=created + timedelta(minutes=1), instance_id=f"i-{project[:4]}",
                           instance_name="db", fail_reason="no capacity")
    return f"{service}:{project}:{task_id}"


def side_by_side(*user_events: dict[str, Any]) -> list[dict[str, Any]]:
    """One timer tick: every shard's invocation starts at the same moment."""
    results: list[dict[str, Any]] = [{} for _ in user_events]
    barrier = threading.Barrier(len(user_events))

    def one(index: int) -> None:
        barrier.wait()
        results[index] = invoke(user_events[index])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(user_events))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def stored(emu: CloudEmulator, key: str) -> dict[str, Any]:
    return json.loads(emu.obs_objects[(BUCKET, key)])


def projects_in(document: dict[str, Any]) -> set[str]:
    return {name.split("/")[1] for name in document["sources"]} | {
        entry["project_id"] for entry in document["tasks"].values()}


# -- the URI of a shard's own state ----------------------------------------------------------------------
@pytest.mark.parametrize(("uri", "shard", "expected"), [
    ("obs://b/taskwatch/state.json", "eu", "obs://b/taskwatch/state-eu.json"),
    ("obs://b/state", "eu", "obs://b/state-eu"),
    ("obs://b/taskwatch/{shard}/state.json", "eu", "obs://b/taskwatch/eu/state.json"),
    ("file:///tmp/taskwatch/state.json", "eu", "file:///tmp/taskwatch/state-eu.json"),
    ("obs://b/taskwatch/state.json", None, "obs://b/taskwatch/state.json"),
])
def test_a_shard_s_state_uri(uri, shard, expected) -> None:
    assert shard_uri(uri, shard) == expected
    key = uri.split("/", 3)[3] if uri.startswith("obs://") else uri
    if shard is not None:  # the IAM resource pattern of the deploy's policy covers every shard's object
        from fnmatch import fnmatchcase
        assert fnmatchcase(expected.split("/", 3)[3] if expected.startswith("obs://") else expected,
                           key_pattern(key))


def test_a_placeholder_uri_needs_every_trigger_to_select_a_shard(sharded, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_STATE_URI", f"obs://{BUCKET}/taskwatch/{{shard}}/state.json")
    environ = dict(__import__("os").environ)
    assert load_config(environ, {"shard": "b"}).state_uri == f"obs://{BUCKET}/taskwatch/b/state.json"
    with pytest.raises(ConfigError, match="TASKWATCH_STATE_URI"):
        load_config(environ)
    config = load_config(dict(__import__("os").environ, TASKWATCH_STATE_URI=f"obs://{BUCKET}/{STATE_KEY}"),
                         {"shard": "a"})
    assert (config.state_uri, config.shared_state_uri) == (f"obs://{BUCKET}/{STATE_A}", f"obs://{BUCKET}/{STATE_KEY}")


# -- side by side ----------------------------------------------------------------------------------------
def test_two_shards_side_by_side_keep_their_own_state_and_lose_or_repeat_nothing(sharded) -> None:
    emu = sharded
    expected: list[str] = []
    outcomes: list[str] = []
    slow = threading.Event()

    def slow_answers(call: str, _query: dict[str, str]) -> None:
        if slow.is_set() and call.endswith(".list"):
            threading.Event().wait(0.02)  # the runs overlap for most of their length

    emu.before_answer = slow_answers
    for round_ in range(4):
        if round_:
            expected += [failure(emu, PROJECT, "dds"), failure(emu, PROJECT_B, "gaussdb")]
        if round_ == 2:
            expected.append(failure(emu, PROJECT_B, "taurusdb"))
            slow.set()
        results = side_by_side({"shard": "a"}, {"shard": "b"})
        outcomes += [r.get("outcome") for r in results]
    assert "skipped" not in outcomes and "failed" not in outcomes, outcomes
    keys = alerted_keys(emu)
    assert all(keys.count(key) == 1 for key in expected), (expected, keys)
    assert len(keys) == len(set(keys)), keys  # no failure twice (the seeded ones included)
    assert projects_in(stored(emu, STATE_A)) == {PROJECT}
    assert projects_in(stored(emu, STATE_B)) == {PROJECT_B}
    assert (BUCKET, STATE_KEY) not in emu.obs_objects  # no shard touches the shared object


# -- upgrading from one shared object --------------------------------------------------------------------
def test_upgrading_from_one_shared_state_alerts_nothing_twice_and_loses_nothing(sharded) -> None:
    emu = sharded
    old = failure(emu, PROJECT, "taurusdb", age=timedelta(hours=5))  # before the first run: baselined
    invoke()  # the shared object: seeded failures of project A notified, the old one baselined
    notified = alerted_keys(emu)
    assert notified and old not in notified
    pending_b = failure(emu, PROJECT_B, "dds")
    pending_a = failure(emu, PROJECT, "gaussdb")
    refused = emu.faults.add(Fault(call="smn.publish", kind="500", times=None))
    invoke()  # both new failures are pending in the shared object
    emu.faults.remove(refused)
    shared_before = emu.obs_objects[(BUCKET, STATE_KEY)]
    assert {pending_a, pending_b} <= {k for k, e in json.loads(shared_before)["tasks"].items() if e.get("alert")}

    results = side_by_side({"shard": "a"}, {"shard": "b"})  # the upgraded function's first shard runs
    assert all(r["outcome"] in ("ok", "degraded") for r in results), results
    keys = alerted_keys(emu)
    assert keys.count(pending_a) == 1 and keys.count(pending_b) == 1, keys
    assert len(keys) == len(set(keys)) and old not in keys, keys  # nothing notified before is sent again
    assert emu.obs_objects[(BUCKET, STATE_KEY)] == shared_before  # the shared object is only read
    a, b = stored(emu, STATE_A), stored(emu, STATE_B)
    assert projects_in(a) == {PROJECT} and projects_in(b) == {PROJECT_B}
    assert old in a["tasks"] and all(key in a["tasks"] for key in notified)
    side_by_side({"shard": "a"}, {"shard": "b"})  # steady afterwards: nothing more
    assert alerted_keys(emu) == keys


def test_the_shared_notices_are_sent_by_one_shard_only(sharded) -> None:
    emu = sharded
    failure(emu, PROJECT, "taurusdb", age=timedelta(hours=5))
    refused = emu.faults.add(Fault(call="smn.publish", kind="500", times=None))
    invoke()  # first run: its "baseline" notice waits in the shared object
    emu.faults.remove(refused)
    side_by_side({"shard": "a"}, {"shard": "b"})
    notices = [m for m in published(emu) if "baseline" in m["subject"]]
    assert len(notices) == 1, [m["subject"] for m in published(emu)]
    assert stored(emu, STATE_A)["notices"] == [] and stored(emu, STATE_B)["notices"] == []
