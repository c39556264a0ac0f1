"""The state document: versioned JSON with its own schema and a checksum, pruned to what can still matter."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..errors import StateError
from ..secrets_scrub import SCRUBBER
from ..timeutil import from_iso, iso
from ..validation import MapValidator, map_validator

FORMAT = "taskwatch-state"
VERSION = 1
PRUNE_MARGIN = timedelta(days=2)


def state_validator() -> MapValidator:
    """Built once per process; the task entries are checked record by record (fast)."""
    return map_validator("state", "tasks")


def _checksum(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class State:
    """What the function remembers. `fresh` is True when no previous state could be used (first run)."""

    created_at: str
    updated_at: str
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    notices: list[dict[str, Any]] = field(default_factory=list)
    heartbeat_at: str | None = None
    writer: str = ""
    fresh: bool = False

    @classmethod
    def new(cls, now: datetime) -> State:
        stamp = iso(now) or ""
        return cls(created_at=stamp, updated_at=stamp, fresh=True)

    @classmethod
    def from_bytes(cls, data: bytes) -> State:
        """Parse and check the stored object; StateError says why it cannot be used."""
        try:
            document = json.loads(data)
        except ValueError:
            raise StateError("state object is not JSON (truncated or overwritten?)") from None
        problem = state_validator().first_error(document)
        if problem is not None:
            path, _, reason = problem.partition(": ")
            raise StateError(f"state object does not match its schema at {path}: {reason}")
        body = {k: v for k, v in document.items() if k != "checksum"}
        if _checksum(body) != document["checksum"]:
            raise StateError("state object checksum does not match (edited or corrupted)")
        return cls(
            created_at=document["created_at"], updated_at=document["updated_at"], tasks=document["tasks"],
            sources=document["sources"], notices=document.get("notices", []),
            heartbeat_at=document.get("heartbeat_at"), writer=document.get("writer", ""),
        )

    def fingerprint(self) -> str:
        """The content that matters, without the save stamp: equal fingerprints need no write."""
        body = {"tasks": self.tasks, "sources": self.sources, "notices": self.notices,
                "heartbeat_at": self.heartbeat_at, "created_at": self.created_at}
        return _checksum(body)

    def to_bytes(self, now: datetime, writer: str) -> bytes:
        self.updated_at = iso(now) or self.updated_at
        self.writer = writer
        # Scrubbed before the checksum, so the stored object is both secret-free and intact; the scrubbed
        # parts replace the in-memory ones (no secret to compare or write again).
        self.tasks, self.sources, self.notices = SCRUBBER.data([self.tasks, self.sources, self.notices])
        body: dict[str, Any] = {
            "format": FORMAT, "version": VERSION, "created_at": self.created_at, "updated_at": self.updated_at,
            "writer": writer, "heartbeat_at": self.heartbeat_at, "tasks": self.tasks, "sources": self.sources,
            "notices": self.notices,
        }
        body["checksum"] = _checksum(body)
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def prune(self, now: datetime, lookback_seconds: float) -> int:
        """Forget tasks the task centers can no longer return; keep anything still pending publication."""
        horizon = now - timedelta(seconds=lookback_seconds) - PRUNE_MARGIN
        stale = [
            key for key, entry in self.tasks.items()
            if not entry.get("alert") and (from_iso(entry.get("created") or entry["first_seen"]) or now) < horizon
        ]
        for key in stale:
            del self.tasks[key]
        return len(stale)
