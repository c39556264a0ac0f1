"""A simulated cloud on a controlled clock, shared by the multi-run harnesses (random histories, the soak).

Why: a harness that drives many runs needs the same wiring every time: the function's environment pointed at
one emulator, the emulator's data clock and the function's clock (`taskwatch.run.utcnow`, the only place a
run takes its time from) moving together, short server-error back-offs, and a way to read back what SMN
accepted. Request signing keeps the real wall clock (the emulator checks signatures against it).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
import taskwatch.run as run_module
import taskwatch.timeutil as timeutil_module
from taskwatch.retry import RetryPolicy

from tests.emulator import CloudEmulator
from tests.emulator.remote import RemoteEmulator
from tests.fixtures import AK, BUCKET, PROJECT, REGION, SK, TOPIC

STATE_KEY = "taskwatch/state.json"
RUN_EVERY = timedelta(minutes=5)


class Clock:
    """The simulated time: set or moved by the harness, read by the emulator and by the function."""

    def __init__(self, start: datetime) -> None:
        self.value = start

    def __call__(self) -> datetime:
        return self.value


def function_environment(emu: CloudEmulator | RemoteEmulator, **settings: str) -> dict[str, str]:
    """The function's environment against `emu`, with quick throttling back-offs and a 1 s reserve."""
    return {
        **emu.env(), "CLOUD_SDK_AK": AK, "CLOUD_SDK_SK": SK, "TASKWATCH_REGION": REGION,
        "TASKWATCH_PROJECT_ID": PROJECT, "TASKWATCH_SMN_TOPIC_URN": TOPIC,
        "TASKWATCH_STATE_URI": f"obs://{BUCKET}/{STATE_KEY}", "TASKWATCH_THROTTLE_BACKOFF": "0.01-0.02",
        "TASKWATCH_BACKFILL": "30d", "TASKWATCH_RESERVE": "1s", "TASKWATCH_LOG_LEVEL": "WARNING",
        **settings,
    }


@contextmanager
def simulated_function(mp: pytest.MonkeyPatch, environment: dict[str, str], clock: Clock,
                       server_backoff: tuple[float, float] = (0.01, 0.02)) -> Iterator[None]:
    """Point the function at the simulated cloud: its environment only, its clock, short 5xx back-offs
    (0.5 s and 1.5 s in production) so a failing source costs milliseconds."""
    for key in [k for k in os.environ if k.startswith(("TASKWATCH_", "CLOUD_SDK_"))]:
        mp.delenv(key)
    for key, value in environment.items():
        mp.setenv(key, value)
    mp.setattr(run_module, "utcnow", clock)  # run.py imported the name
    mp.setattr(timeutil_module, "utcnow", clock)
    mp.setattr(run_module, "RetryPolicy", functools.partial(RetryPolicy, server_backoff=server_backoff))
    yield


def http_document(message: dict[str, Any]) -> dict[str, Any]:
    """The machine-readable document (the HTTP protocol's text) of one message SMN accepted."""
    return json.loads(json.loads(message["body"]["message_structure"])["http"])


def alert_items(doc: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(key, kind, status as listed) of every task an alert document covers, listed or only counted."""
    if doc.get("kind") != "alert":
        return []
    return [(t["dedup_key"], t["alert"], t["status"]) for t in doc["tasks"]] + \
        [(t["dedup_key"], t["alert"], None) for t in doc["more_tasks"]]


def task_key(service: str, task_id: str) -> str:
    """The dedup key the function gives a task of the default project."""
    return f"{service}:{PROJECT}:{task_id}"
