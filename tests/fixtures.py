"""Shared test helpers: a FunctionGraph-shaped context, canonical credentials and configuration."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

PROJECT = "0123456789abcdef0123456789abcdef"
REGION = "xx-test-1"
TOPIC = f"urn:smn:{REGION}:{PROJECT}:taskwatch"
BUCKET = "taskwatch-state"
AK = "TESTAKTASKWATCH0000001"
SK = "TESTSKtaskwatchSecretValue0000000000001"
TOKEN = "TESTTOKENtaskwatchSessionToken00000000000000001"


@dataclass
class FakeContext:
    """The FunctionGraph context object the handler receives (runtime context, not an HTTP API)."""

    ak: str | None = None
    sk: str | None = None
    token: str | None = None
    budget_ms: float = 60_000
    user_data: dict[str, str] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def getSecurityAccessKey(self) -> str | None:
        return self.ak

    def getSecuritySecretKey(self) -> str | None:
        return self.sk

    def getSecurityToken(self) -> str | None:
        return self.token

    def getRemainingTimeInMilliSeconds(self) -> float:
        return self.budget_ms - (time.monotonic() - self.started) * 1000

    def getUserData(self, key: str, default: Any = None) -> Any:
        return self.user_data.get(key, default)

    def getRequestID(self) -> str:
        return "test-request"


def timer_event(user_event: Any = None, name: str = "every-5-minutes") -> dict[str, Any]:
    event: dict[str, Any] = {"version": "v1.0", "time": "2026-11-23T08:00:00+08:00", "trigger_type": "TIMER",
                             "trigger_name": name}
    if user_event is not None:
        event["user_event"] = user_event
    return event

# Another account watched through an agency (function/taskwatch/agencies.py, tests/emulator/iam.py).
CENTRAL_DOMAIN = "central-account"
MEMBER_DOMAIN = "member-account-1"
MEMBER_PROJECT = "fedcba9876543210fedcba9876543210"
MEMBER_AGENCY = "taskwatch-reader"
