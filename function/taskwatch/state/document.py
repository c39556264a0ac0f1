"""The state document: versioned JSON with its own schema and a checksum, pruned to what can still matter.

It is checked against its schema both when read and before it is written: a run never writes what the next
run could not read. What does not fit (a text over its length, a list over its count) is clamped, and the
repair is reported; nothing pending is dropped to make it fit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..errors import StateError
from ..schema_files import load_schema
from ..secrets_scrub import SCRUBBER
from ..timeutil import from_iso, iso
from ..validation import MapValidator, map_validator
from .migrations import VERSION, check_version, migrate

FORMAT = "taskwatch-state"
PRUNE_MARGIN = timedelta(days=2)
MAX_NOTICES = 50  # the schema's notices maxItems
NOTICE_TEXT = 4000  # the schema's notice text maxLength
KNOWN = ("format", "version", "created_at", "updated_at", "writer", "heartbeat_at", "tasks", "sources",
         "notices", "cursors", "checksum")


def state_validator() -> MapValidator:
    """Built once per process; the task entries are checked record by record (fast)."""
    return map_validator("state", "tasks")


def _checksum(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def entry_source(entry: dict[str, Any]) -> str:
    """The source (region/project/service) a task entry belongs to."""
    return f"{entry.get('region')}/{entry.get('project_id')}/{entry.get('service')}"


@dataclass
class State:
    """What the function remembers. `fresh` is True when no previous state could be used (first run)."""

    created_at: str
    updated_at: str
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    notices: list[dict[str, Any]] = field(default_factory=list)
    heartbeat_at: str | None = None
    cursors: dict[str, int] = field(default_factory=dict)
    writer: str = ""
    fresh: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # top-level fields of a newer version, kept as read
    repairs: list[str] = field(default_factory=list)  # what had to be clamped before the last write

    @classmethod
    def new(cls, now: datetime) -> State:
        stamp = iso(now) or ""
        return cls(created_at=stamp, updated_at=stamp, fresh=True)

    @classmethod
    def from_bytes(cls, data: bytes) -> State:
        """Parse, check and migrate the stored object; StateError says why it cannot be used."""
        try:
            document = json.loads(data)
        except ValueError:
            raise StateError("state object is not JSON (truncated or overwritten?)") from None
        problem = state_validator().first_error(document)
        if problem is not None:
            path, _, reason = problem.partition(": ")
            raise StateError(f"state object does not match its schema at {path}: {reason}")
        check_version(document)
        body = {k: v for k, v in document.items() if k != "checksum"}
        if _checksum(body) != document["checksum"]:
            raise StateError("state object checksum does not match (edited or corrupted)")
        document = migrate(document)
        return cls(
            created_at=document["created_at"], updated_at=document["updated_at"], tasks=document["tasks"],
            sources=document["sources"], notices=document.get("notices", []),
            heartbeat_at=document.get("heartbeat_at"), cursors=document.get("cursors", {}),
            writer=document.get("writer", ""), extra={k: v for k, v in document.items() if k not in KNOWN},
        )

    def fingerprint(self) -> str:
        """The content that matters, without the save stamp: equal fingerprints need no write."""
        body = {"tasks": self.tasks, "sources": self.sources, "notices": self.notices,
                "heartbeat_at": self.heartbeat_at, "created_at": self.created_at, "cursors": self.cursors}
        return _checksum(body)

    def document(self) -> dict[str, Any]:
        """The object to store, without its checksum."""
        return {
            **self.extra,
            "format": FORMAT, "version": VERSION, "created_at": self.created_at, "updated_at": self.updated_at,
            "writer": self.writer, "heartbeat_at": self.heartbeat_at, "tasks": self.tasks, "sources": self.sources,
            "notices": self.notices, "cursors": self.cursors,
        }

    def to_bytes(self, now: datetime, writer: str) -> bytes:
        """The stored form, checked against the schema first; what does not fit is clamped (and listed in
        `repairs`). StateError when it still would not be readable: nothing is written then."""
        self.updated_at = iso(now) or self.updated_at
        self.writer = writer[:200]
        self.repairs = []
        # Scrubbed before the checksum, so the stored object is both secret-free and intact; the scrubbed
        # parts replace the in-memory ones (no secret to compare or write again).
        self.tasks, self.sources, self.notices = SCRUBBER.data([self.tasks, self.sources, self.notices])
        body = self.document()
        problem = state_validator().first_error({**body, "checksum": "sha256:" + "0" * 64})
        if problem is not None:
            self.repairs.append(problem)
            schema = load_schema("state")
            clamp_to_schema(body, schema, schema.get("$defs", {}))
            self.tasks, self.sources, self.notices = body["tasks"], body["sources"], body["notices"]
            self.cursors = body["cursors"]
            still = state_validator().first_error({**body, "checksum": "sha256:" + "0" * 64})
            if still is not None:
                raise StateError(f"state would not match its schema at {still}; not written")
        body["checksum"] = _checksum(body)
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def prune(self, now: datetime, lookback_seconds: float, owns: Callable[[str], bool] | None = None) -> int:
        """Forget tasks the task centers can no longer return; keep anything still pending publication.
        Only entries of `owns` sources (None: all) are touched: another shard's are its own business."""
        horizon = now - timedelta(seconds=lookback_seconds) - PRUNE_MARGIN
        stale = [
            key for key, entry in self.tasks.items()
            if not entry.get("alert") and (owns is None or owns(entry_source(entry)))
            and (from_iso(entry.get("created") or entry["first_seen"]) or now) < horizon
        ]
        for key in stale:
            del self.tasks[key]
        return len(stale)


def fold_notices(notices: list[dict[str, Any]], limit: int = MAX_NOTICES) -> list[dict[str, Any]]:
    """At most `limit` notices, none dropped: the oldest are folded into one (a "given up" notice is the
    only report its failures get, so dropping it would lose them). The folded text is cut at the state's
    limit; `folded` counts the notices it holds."""
    if len(notices) <= limit:
        return notices
    spill, rest = notices[: len(notices) - limit + 1], notices[len(notices) - limit + 1:]
    count = sum(int(n.get("folded") or 1) for n in spill)
    text = f"{count} earlier notices, folded into one to fit: " + " | ".join(
        str(n.get("text", "")).removeprefix(f"{n.get('folded')} earlier notices, folded into one to fit: ")
        for n in spill)
    if len(text) > NOTICE_TEXT:
        text = text[: NOTICE_TEXT - 1] + "…"
    return [{"kind": "folded", "since": spill[0].get("since"), "text": text, "folded": count}, *rest]


def clamp_to_schema(value: Any, schema: Any, defs: dict[str, Any]) -> Any:
    """Cut strings to their maxLength and lists to their maxItems, in place where the value is a container.
    Only limits are repaired: a value of the wrong kind is not invented or dropped here."""
    if not isinstance(schema, dict):
        return value
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        value = clamp_to_schema(value, defs.get(ref.split("/")[-1]), defs)
    for branch in schema.get("anyOf", []) + schema.get("allOf", []):
        value = clamp_to_schema(value, branch, defs)
    if isinstance(value, str) and isinstance(schema.get("maxLength"), int) and len(value) > schema["maxLength"]:
        return value[: schema["maxLength"] - 1] + "…"
    if isinstance(value, list):
        limit = schema.get("maxItems")
        if isinstance(limit, int) and len(value) > limit:
            del value[: len(value) - limit]  # keep the newest
        for index, item in enumerate(value):
            value[index] = clamp_to_schema(item, schema.get("items"), defs)
    elif isinstance(value, dict):
        properties = schema.get("properties", {})
        others = schema.get("additionalProperties")
        for key in list(value):
            sub = properties.get(key, others if isinstance(others, dict) else None)
            value[key] = clamp_to_schema(value[key], sub, defs)
    return value
