"""Fixtures: the local cloud emulator on 127.0.0.1, and the function's environment pointed at it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from index import handler
from taskwatch.errors import RunFailed

from tests.emulator import CloudEmulator
from tests.fixtures import AK, BUCKET, PROJECT, REGION, SK, TOPIC, FakeContext, timer_event

STATE_KEY = "taskwatch/state.json"


@pytest.fixture
def emulator() -> Iterator[CloudEmulator]:
    with CloudEmulator(ak=AK, sk=SK, project_id=PROJECT, region=REGION, topic_urns=[TOPIC],
                       buckets=[BUCKET]) as emu:
        yield emu


@pytest.fixture
def env(emulator: CloudEmulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The function's environment for a local run against the emulator (credentials from CLOUD_SDK_*)."""
    for key in [k for k in __import__("os").environ if k.startswith(("TASKWATCH_", "CLOUD_SDK_"))]:
        monkeypatch.delenv(key)
    values = {
        **emulator.env(), "CLOUD_SDK_AK": AK, "CLOUD_SDK_SK": SK, "TASKWATCH_REGION": REGION,
        "TASKWATCH_PROJECT_ID": PROJECT, "TASKWATCH_SMN_TOPIC_URN": TOPIC,
        "TASKWATCH_STATE_URI": f"obs://{BUCKET}/{STATE_KEY}", "TASKWATCH_THROTTLE_BACKOFF": "0.05-0.1",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


@contextmanager
def emulator_with(monkeypatch: pytest.MonkeyPatch, **options: Any) -> Iterator[CloudEmulator]:
    """An emulator with its own options (a clock, a security token, item offsets...), the function's
    endpoints pointed at it; the `env` fixture's other settings stay."""
    settings: dict[str, Any] = dict(ak=AK, sk=SK, project_id=PROJECT, region=REGION, topic_urns=[TOPIC],
                                    buckets=[BUCKET])
    settings.update(options)
    with CloudEmulator(**settings) as emu:
        for key, value in emu.env().items():
            monkeypatch.setenv(key, value)
        yield emu


def handle(event: Any, context: Any = None) -> dict[str, Any]:
    """The real handler with any event; its summary, also when it raised RunFailed (a failed run raises so
    FunctionGraph counts an error; tests/guarantees/test_failed_runs.py checks that)."""
    try:
        return handler(event, context if context is not None else FakeContext())
    except RunFailed as failed:
        return failed.summary


def invoke(user_event: Any = None, context: FakeContext | None = None) -> dict[str, Any]:
    """One timer invocation of the real handler; its summary (see handle())."""
    return handle(timer_event(user_event), context)


def published(emulator: CloudEmulator) -> list[dict[str, Any]]:
    """What SMN accepted: subject, the per-protocol texts, the HTTP document and the attributes."""
    out = []
    for message in emulator.smn_messages:
        body = message["body"]
        structure = json.loads(body["message_structure"])
        out.append({"subject": body["subject"], "structure": structure, "http": json.loads(structure["http"]),
                    "attributes": body.get("message_attributes") or []})
    return out


def alerted_keys(emulator: CloudEmulator, alert: str = "failed") -> list[str]:
    """Every task key an accepted alert covered (listed or counted), for failures (or "stuck")."""
    keys: list[str] = []
    for message in published(emulator):
        doc = message["http"]
        if doc.get("kind") == "alert":
            keys += [t["dedup_key"] for t in doc["tasks"] + doc["more_tasks"] if t["alert"] == alert]
    return keys


def saved_state(emulator: CloudEmulator) -> dict[str, Any]:
    return json.loads(emulator.obs_objects[(BUCKET, STATE_KEY)])
