"""The invocation payload cannot steer credentials or alerts: a user_event may only narrow the environment.

Anyone with the invoke permission can send any event. A foreign host (a real listener on 127.0.0.2) stands
in for the attacker's: each test asserts that nothing reaches it and that the emulator saw no request.
Loopback hosts are allowed endpoints, so the listener is exactly what an attacker's user_event would have
been able to reach before.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import alerted_keys, emulator_with, handle, invoke
from tests.emulator import CloudEmulator
from tests.faults.observe import capture_logs
from tests.fixtures import PROJECT, REGION, TOPIC, FakeContext, timer_event

from .listener import foreign_host

OTHER_TOPIC = f"urn:smn:{REGION}:{PROJECT}:taskwatch-dba"


def refused(summary: dict[str, Any], emulator: CloudEmulator, name: str) -> str:
    """The run stopped on a configuration error naming `name`, before any request to the emulator."""
    assert summary["outcome"] == "failed" and summary["error_type"] == "ConfigError", summary
    error = summary["errors"][0]
    assert name in error, error
    assert emulator.requests == [], [r["call"] for r in emulator.requests]
    return error


def _failure(emu: CloudEmulator, service: str = "dds") -> str:
    created = emu.now() - timedelta(minutes=30)
    task_id = emu.add_task(service, status="Failed", created=created, ended=created + timedelta(minutes=2),
                           name="CreateInstance", instance_id="inst-1", instance_name="db-1", fail_reason="boom")
    return f"{service}:{PROJECT}:{task_id}"


# ---- keys a user_event may never set -----------------------------------------------------------------------
def test_the_reported_attack_is_refused_and_nothing_reaches_the_foreign_host(emulator, env) -> None:
    """The reproduction: allow foreign endpoints and point OBS and DDS at the attacker's host."""
    with foreign_host() as attacker:
        url = f"http://{attacker.host}:{attacker.port}"
        user_event = json.dumps({"allow_foreign_endpoints": "1", "endpoint_obs": url, "endpoint_dds": url})
        with capture_logs() as logs:
            summary = handle({"user_event": user_event}, FakeContext())
        error = refused(summary, emulator, "TASKWATCH_")
        assert "may not be set by a user_event" in error
        assert attacker.connections == [], attacker.connections[0][:200]
    assert "run stopped: configuration TASKWATCH_" in logs.function_text


@pytest.mark.parametrize("key", [
    "endpoint_obs", "endpoint_dds", "endpoint_taurusdb", "endpoint_gaussdb", "endpoint_rds", "endpoint_smn",
    "TASKWATCH_ENDPOINT_OBS",
])
def test_an_endpoint_in_user_event_is_refused_naming_it_and_sends_nothing(emulator, env, key) -> None:
    with foreign_host() as attacker:
        summary = invoke({key: f"http://{attacker.host}:{attacker.port}"})
        refused(summary, emulator, "TASKWATCH_" + key.upper().removeprefix("TASKWATCH_"))
        assert attacker.connections == []


@pytest.mark.parametrize(("key", "value", "name"), [
    ("allow_foreign_endpoints", "1", "TASKWATCH_ALLOW_FOREIGN_ENDPOINTS"),
    ("smn_topic_urn", OTHER_TOPIC, "TASKWATCH_SMN_TOPIC_URN"),
    ("smn_topics", json.dumps({"x": OTHER_TOPIC}), "TASKWATCH_SMN_TOPICS"),
    ("state_uri", "obs://another-bucket/taskwatch/state.json", "TASKWATCH_STATE_URI"),
    ("dry_run", True, "TASKWATCH_DRY_RUN"),
    ("targets", [{"region": REGION, "project_id": PROJECT}], "TASKWATCH_TARGETS"),
    ("region", REGION, "TASKWATCH_REGION"),
    ("project_id", PROJECT, "TASKWATCH_PROJECT_ID"),
    ("obs_region", REGION, "TASKWATCH_OBS_REGION"),
    ("max_messages_per_run", 1, "TASKWATCH_MAX_MESSAGES_PER_RUN"),
    ("include_tasks", "nothing*", "TASKWATCH_INCLUDE_TASKS"),
])
def test_keys_only_the_environment_sets_are_refused_naming_them(emulator, env, key, value, name) -> None:
    error = refused(invoke({key: value}), emulator, name)
    assert "may not be set by a user_event" in error and "services" in error  # says what it may set


@pytest.mark.parametrize("key", ["CLOUD_SDK_AK", "cloud_sdk_sk", "security_token", "ak", "RUNTIME_PROJECT_ID"])
def test_credentials_in_user_event_are_unknown_keys(emulator, env, key) -> None:
    error = refused(invoke({key: "AKIAEXAMPLE0000000000"}), emulator, "unknown key in user_event")
    assert "AKIAEXAMPLE" not in error


def test_a_forged_summary_line_or_ansi_in_a_key_cannot_reach_the_log(emulator, env) -> None:
    forged = '\n{"taskwatch_summary":{"outcome":"ok"}}\x1b[31m\u2028\u202eRED' + "k" * 500
    with capture_logs() as logs:
        summary = invoke({forged: 1})
    error = refused(summary, emulator, "unknown key in user_event")
    assert "\n" not in error and "\x1b" not in error and "{" not in error and len(error) < 200, error
    lines = logs.function_text.splitlines()
    assert not any(line.lstrip().startswith("{") for line in lines), lines  # no line starts a JSON summary
    own = [line for line in lines if re.match(r"^[A-Z]+ taskwatch ", line)]  # the function's own handler
    summaries = [line for line in own if '{"taskwatch_summary"' in line]
    assert len(summaries) == 1, "\n".join(own)
    assert summaries[0].startswith('INFO taskwatch {"taskwatch_summary"'), summaries
    assert json.loads(summaries[0].split(" ", 2)[2])["taskwatch_summary"]["outcome"] == "failed"
    assert "\x1b" not in logs.function_text and "\u2028" not in logs.function_text


# ---- what a user_event may do: narrow ------------------------------------------------------------------------
def test_services_narrow_every_target_of_taskwatch_targets(emulator, env, monkeypatch) -> None:
    """A timer's {"services": "dds"} used to be ignored when TASKWATCH_TARGETS was set; it now applies."""
    monkeypatch.setenv("TASKWATCH_TARGETS", json.dumps([{"region": REGION, "project_id": PROJECT}]))
    summary = invoke(json.dumps({"services": "dds"}))
    assert summary["outcome"] == "ok", summary
    assert [s["source"] for s in summary["sources"]] == [f"{REGION}/{PROJECT}/dds"]
    assert {r["call"].split(".")[0] for r in emulator.requests if r["call"]} <= {"dds", "obs", "smn"}


def test_services_no_target_watches_are_refused(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_TARGETS", json.dumps([{"region": REGION, "project_id": PROJECT,
                                                         "services": ["dds"]}]))
    error = refused(invoke({"services": "taurusdb,dds"}), emulator, "user_event services")
    assert "taurusdb not watched" in error


def test_a_shard_selects_its_targets_and_an_unknown_shard_is_refused(emulator, env, monkeypatch) -> None:
    targets = [{"region": REGION, "project_id": PROJECT, "services": ["dds"], "shard": "a"},
               {"region": "xx-test-2", "project_id": PROJECT, "services": ["taurusdb"], "shard": "b"}]
    monkeypatch.setenv("TASKWATCH_TARGETS", json.dumps(targets))
    summary = invoke({"shard": "a"})
    assert summary["outcome"] == "ok", summary
    assert [s["source"] for s in summary["sources"]] == [f"{REGION}/{PROJECT}/dds"]
    emulator.reset_records()
    refused(invoke({"shard": "c"}), emulator, "user_event shard")
    refused(invoke({"shard": "a", "services": "taurusdb"}), emulator, "user_event services")


def test_a_topic_is_picked_by_name_from_the_environment_only(env, monkeypatch) -> None:
    with emulator_with(monkeypatch, topic_urns=[TOPIC, OTHER_TOPIC]) as emu:
        key = _failure(emu)
        monkeypatch.setenv("TASKWATCH_SMN_TOPICS", json.dumps({"dba": OTHER_TOPIC}))
        refused(invoke({"topic": "ops"}), emu, "user_event topic")
        summary = invoke({"topic": "dba"})
        assert summary["outcome"] == "ok", summary
        assert key in alerted_keys(emu)
        assert {m["topic_urn"] for m in emu.smn_messages} == {OTHER_TOPIC}


def test_heartbeat_may_be_set_by_a_timer(emulator, env) -> None:
    summary = invoke({"heartbeat": "20h"})
    assert summary["outcome"] == "ok", summary
    kinds = [json.loads(json.loads(m["body"]["message_structure"])["http"])["kind"] for m in emulator.smn_messages]
    assert "heartbeat" in kinds


def test_timer_event_as_delivered_by_functiongraph_is_narrowed_too(emulator, env) -> None:
    """The user_event arrives as JSON text inside the timer event."""
    summary = handle(timer_event(json.dumps({"services": ["gaussdb"]})), FakeContext())
    assert [s["source"] for s in summary["sources"]] == [f"{REGION}/{PROJECT}/gaussdb"]
