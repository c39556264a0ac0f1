"""The state document: versioned JSON with its own schema and a checksum, pruned to what can still matter.

It is checked against its schema both when read and before it is written: a run never writes what the next
run could not read. What does not fit (a text over its length, a list over its count) is clamped, and the
repair is reported; nothing pending is dropped to make it fit.

Size: a settled entry keeps only identity and times (migrations.settled_entry), so a month of 30,000
failures is about 7 MB. A run parses the object once and serializes it once: the stored bytes are the
canonical JSON the checksum covers (checksum first), so reading checks the checksum on the bytes as stored,
and "nothing changed, no write" compares the canonical text with the checksum read.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from ..errors import StateError
from ..schema_files import load_schema
from ..secrets_scrub import SCRUBBER
from ..timeutil import from_iso, iso
from ..validation import MapValidator, map_validator
from .migrations import SETTLED_KEEP, VERSION, check_version, migrate, settled_entry

__all__ = ["FORMAT", "SIZE_NOTICE_BYTES", "State", "entry_source", "fold_notices", "settled_entry",
           "state_problem", "state_validator"]

FORMAT = "taskwatch-state"
PRUNE_MARGIN = timedelta(days=2)
MAX_NOTICES = 50  # the schema's notices maxItems
NOTICE_TEXT = 4000  # the schema's notice text maxLength
KNOWN = ("format", "version", "created_at", "updated_at", "writer", "heartbeat_at", "tasks", "sources",
         "notices", "cursors", "size_notice_at", "checksum")
# A state object past this size gets a notice (once per crossing): parsed, it takes about 5 times its size
# in memory, and the function has 128 MB (template.yaml); 16 MiB of state is a third of a year of
# failures at today's rates, and leaves room to act before memory runs out.
SIZE_NOTICE_BYTES = 16 * 1024 * 1024
SIZE_NOTICE_CLEAR = 0.9  # the notice is armed again once the state is back under 90 % of the threshold
_CHECKSUM_HEAD = b'{"checksum":"sha256:'
_HEAD_LENGTH = len(_CHECKSUM_HEAD) + 64 + 2  # ...<64 hex>",
SHARED_FIELDS = ("service", "region", "project_id", "status", "first_seen", "notified_at", "stuck_notified_at",
                 "baselined_at", "gave_up_at", "pending_since", "name", "instance_id", "instance_name")


def state_validator() -> MapValidator:
    """Built once per process; the task entries are checked record by record (fast)."""
    return map_validator("state", "tasks")


class SettledCheck:
    """The schema's verdict on a settled entry (settled_entry's shape), without jsonschema: each of its
    fields is a string of at most maxLength characters, one of an enum, or an instant (the schema's own
    pattern), all read from the state schema, so the two cannot drift apart. An entry of any other shape is
    left to jsonschema (accepts() says False). 30,000 entries, each with its own id and creation time, took
    seconds through jsonschema (its verdicts are remembered per value, and these values are all distinct)."""

    def __init__(self) -> None:
        schema = load_schema("state")
        defs = schema.get("$defs", {})
        record = schema["properties"]["tasks"]["additionalProperties"]
        self.required = frozenset(record.get("required", ()))
        instant = re.compile(defs["instant"]["pattern"])
        self.fields: dict[str, Callable[[Any], bool]] = {}
        for name in (*SETTLED_KEEP, "name"):
            rule = record["properties"].get(name, {})
            ref = rule.get("$ref", "")
            if ref in ("#/$defs/instant", "#/$defs/maybe_instant"):
                nullable = ref.endswith("maybe_instant")
                self.fields[name] = (lambda value, nullable=nullable: (value is None and nullable) or
                                     (isinstance(value, str) and instant.search(value) is not None))
            elif isinstance(rule.get("enum"), list):
                allowed = frozenset(v for v in rule["enum"] if isinstance(v, str))
                self.fields[name] = lambda value, allowed=allowed: isinstance(value, str) and value in allowed
            elif rule.get("type") == "string" and set(rule) <= {"type", "maxLength", "description"}:
                limit = rule.get("maxLength", 1 << 62)
                self.fields[name] = lambda value, limit=limit: isinstance(value, str) and len(value) <= limit

    def accepts(self, entry: Any) -> bool:
        if not isinstance(entry, dict) or not self.required <= entry.keys():
            return False
        fields = self.fields
        for name, value in entry.items():
            check = fields.get(name)
            if check is None or not check(value):
                return False
        return True


@cache
def settled_check() -> SettledCheck:
    return SettledCheck()


class CheckedDigests:
    """Checksums of state documents this process found to match the schema: read and checked, or checked
    before being written. A warm instance reads back, run after run, the object it wrote: bytes whose
    stored checksum holds and is one of these are that very document, so its schema check (a pass over
    every entry) is not repeated. Bounded; a miss only means the check is made."""

    LIMIT = 8

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._digests: OrderedDict[str, None] = OrderedDict()

    def add(self, checksum: str) -> None:
        with self._lock:
            self._digests[checksum] = None
            self._digests.move_to_end(checksum)
            while len(self._digests) > self.LIMIT:
                self._digests.popitem(last=False)

    def __contains__(self, checksum: object) -> bool:
        with self._lock:
            return checksum in self._digests


CHECKED = CheckedDigests()


def state_problem(document: Any) -> str | None:
    """The first schema error of a state document ('path: what was expected'), or None. Settled entries
    are checked by SettledCheck, every other entry and the envelope by jsonschema."""
    tasks = document.get("tasks") if isinstance(document, dict) else None
    if isinstance(tasks, dict):
        check = settled_check()
        document = {**document, "tasks": {key: entry for key, entry in tasks.items() if not check.accepts(entry)}}
    return state_validator().first_error(document)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _checksum(body: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(_canonical(body).encode("utf-8")).hexdigest()


TASKS_CHUNK = 2000  # task entries serialized per piece: the text is built once, in pieces, never copied whole


def _tasks_parts(tasks: dict[str, Any]) -> list[bytes]:
    """The canonical JSON of the tasks map, in pieces (joined, they are _canonical(tasks) encoded)."""
    keys = sorted(tasks)
    parts = []
    for start in range(0, len(keys), TASKS_CHUNK):
        text = _canonical({key: tasks[key] for key in keys[start:start + TASKS_CHUNK]})
        parts.append((("," if start else "") + text[1:-1]).encode("utf-8"))
    return [b"{", *parts, b"}"]


def _body_parts(body: dict[str, Any], tasks_parts: list[bytes]) -> list[bytes]:
    """_canonical(body) encoded, in pieces, with the tasks map's pieces given (serialized once per run)."""
    parts: list[bytes] = [b"{"]
    for index, (key, value) in enumerate(sorted(body.items())):
        head = ("," if index else "") + json.dumps(key, ensure_ascii=False) + ":"
        if key == "tasks":
            parts.append(head.encode("utf-8"))
            parts.extend(tasks_parts)
        else:
            parts.append((head + _canonical(value)).encode("utf-8"))
    parts.append(b"}")
    return parts


def _digest(parts: list[bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.hexdigest()


def _stored_checksum_holds(data: bytes) -> bool:
    """The checksum checked on the bytes as stored: true when they are the canonical body with the checksum
    put first (how every version writes it), so the document needs no second serialization to be checked.
    False says nothing: the caller then checks the canonical form of what it parsed."""
    if not data.startswith(_CHECKSUM_HEAD) or data[_HEAD_LENGTH - 2:_HEAD_LENGTH] != b'",':
        return False
    digest = hashlib.sha256(b"{")
    digest.update(memoryview(data)[_HEAD_LENGTH:])
    return digest.hexdigest().encode("ascii") == data[len(_CHECKSUM_HEAD):_HEAD_LENGTH - 2]


def _encodable(document: Any) -> bool:
    """Whether the document's texts can be written as UTF-8 (no lone surrogate)."""
    try:
        _canonical(document).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse(data: bytes) -> Any:
    """json.loads, with one string object per distinct region, project, status, run time...: parsing makes
    a new one for every entry, and 30,000 entries repeat a few dozen values (done while parsing, so the
    copies never exist all at once)."""
    shared: dict[str, str] = {}
    names = frozenset(SHARED_FIELDS)

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        return {key: shared.setdefault(value, value) if key in names and type(value) is str else value
                for key, value in pairs}

    return json.loads(data, object_pairs_hook=pairs_hook)


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
    size_notice_at: str | None = None  # when a "state is large" notice was raised (None: under the threshold)
    stored_checksum: str | None = None  # the checksum as read: equal canonical text means nothing changed
    stored_bytes: int = 0  # the size of the object as read

    @classmethod
    def new(cls, now: datetime) -> State:
        stamp = iso(now) or ""
        return cls(created_at=stamp, updated_at=stamp, fresh=True)

    @classmethod
    def from_bytes(cls, data: bytes) -> State:
        """Parse, check and migrate the stored object; StateError says why it cannot be used."""
        try:
            document = _parse(data)
        except ValueError:
            raise StateError("state object is not JSON (truncated or overwritten?)") from None
        if (b"\\ud" in data or b"\\uD" in data) and not _encodable(document):
            # An escaped lone surrogate (another writer's ASCII escapes): no text this function writes holds
            # one, and it could neither checksum nor save it. Checked only when the bytes hold such an escape.
            raise StateError("state object holds text that is not Unicode (edited?)")
        # The bytes are the canonical body their leading checksum covers, and that checksum is the one parsed
        # (a second "checksum" key further on would be the one json.loads keeps).
        holds = (_stored_checksum_holds(data) and isinstance(document, dict)
                 and document.get("checksum") == "sha256:" + data[len(_CHECKSUM_HEAD):_HEAD_LENGTH - 2].decode())
        if not (holds and document.get("checksum") in CHECKED):
            problem = state_problem(document)
            if problem is not None:
                path, _, reason = problem.partition(": ")
                raise StateError(f"state object does not match its schema at {path}: {reason}")
        check_version(document)
        if not holds:
            body = {k: v for k, v in document.items() if k != "checksum"}
            if _checksum(body) != document["checksum"]:
                raise StateError("state object checksum does not match (edited or corrupted)")
        checksum = document["checksum"]
        CHECKED.add(checksum)
        document = migrate(document)
        return cls(
            created_at=document["created_at"], updated_at=document["updated_at"], tasks=document["tasks"],
            sources=document["sources"], notices=document.get("notices", []),
            heartbeat_at=document.get("heartbeat_at"), cursors=document.get("cursors", {}),
            writer=document.get("writer", ""), extra={k: v for k, v in document.items() if k not in KNOWN},
            size_notice_at=document.get("size_notice_at"), stored_checksum=checksum, stored_bytes=len(data),
        )

    def fingerprint(self) -> str:
        """The content that matters, without the save stamp: equal fingerprints need no write."""
        body = {"tasks": self.tasks, "sources": self.sources, "notices": self.notices,
                "heartbeat_at": self.heartbeat_at, "created_at": self.created_at, "cursors": self.cursors,
                "size_notice_at": self.size_notice_at}
        return _checksum(body)

    def document(self) -> dict[str, Any]:
        """The object to store, without its checksum."""
        return {
            **self.extra,
            "format": FORMAT, "version": VERSION, "created_at": self.created_at, "updated_at": self.updated_at,
            "writer": self.writer, "heartbeat_at": self.heartbeat_at, "tasks": self.tasks, "sources": self.sources,
            "notices": self.notices, "cursors": self.cursors, "size_notice_at": self.size_notice_at,
        }

    def tasks_parts(self) -> list[bytes]:
        """The canonical JSON of the task entries, in pieces: the bulk of the object, serialized once per
        run (to compare with what was read, then, when it differs, to write)."""
        return _tasks_parts(self.tasks)

    def unchanged(self, tasks_parts: list[bytes] | None = None) -> bool:
        """Whether saving now would store what was read (save stamp and all): then no write is needed."""
        if self.stored_checksum is None:
            return False
        parts = _body_parts(self.document(), self.tasks_parts() if tasks_parts is None else tasks_parts)
        return "sha256:" + _digest(parts) == self.stored_checksum

    def to_bytes(self, now: datetime, writer: str, tasks_parts: list[bytes] | None = None) -> bytes:
        """The stored form, checked against the schema first; what does not fit is clamped (and listed in
        `repairs`). StateError when it still would not be readable: nothing is written then. `tasks_parts`
        are the tasks' pieces when the caller has them already (no change since)."""
        self.updated_at = iso(now) or self.updated_at
        self.writer = writer[:200]
        self.repairs = []
        parts = self.tasks_parts() if tasks_parts is None else tasks_parts
        body = self.document()
        rest = _canonical({k: v for k, v in body.items() if k != "tasks"})
        if SCRUBBER.found_in(rest) or any(SCRUBBER.found_in(part.decode("utf-8")) for part in parts):
            # Scrubbed before the checksum, so the stored object is both secret-free and intact; the scrubbed
            # parts replace the in-memory ones (no secret to compare or write again).
            self.tasks, self.sources, self.notices = SCRUBBER.data([self.tasks, self.sources, self.notices])
            body = self.document()
            parts = self.tasks_parts()
        problem = state_problem({**body, "checksum": "sha256:" + "0" * 64})
        if problem is not None:
            self.repairs.append(problem)
            schema = load_schema("state")
            clamp_to_schema(body, schema, schema.get("$defs", {}))
            self.tasks, self.sources, self.notices = body["tasks"], body["sources"], body["notices"]
            self.cursors = body["cursors"]
            still = state_problem({**body, "checksum": "sha256:" + "0" * 64})
            if still is not None:
                raise StateError(f"state would not match its schema at {still}; not written")
            parts = self.tasks_parts()
        pieces = _body_parts(body, parts)
        del parts
        checksum = _digest(pieces)
        # The checksum first, then the canonical body without its opening brace: what _stored_checksum_holds
        # reads back (and what sorting the keys, checksum included, gives: versions 1 and 2 wrote the same).
        pieces[0] = _CHECKSUM_HEAD + checksum.encode("ascii") + b'",'
        CHECKED.add("sha256:" + checksum)  # checked above: read back as stored, it needs no second check
        return b"".join(pieces)

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


def size_notice(state: State, now: datetime) -> bool:
    """Queue a notice when the object read was past SIZE_NOTICE_BYTES, once per crossing: the crossing is
    remembered (size_notice_at) until the object is back under SIZE_NOTICE_CLEAR of it. Returns True when
    a notice was queued. Measured on the object as read: the last save's size."""
    size = state.stored_bytes
    if size > SIZE_NOTICE_BYTES and not state.size_notice_at:
        state.size_notice_at = iso(now)
        state.notices.append({"kind": "state_large", "since": iso(now), "text": (
            f"The state object is {size / 1048576:.1f} MiB, past {SIZE_NOTICE_BYTES / 1048576:g} MiB. Parsed, "
            "it takes several times that in memory, and the function has 128 MB: at this size a run may run "
            "out of memory and report nothing. Shorten TASKWATCH_LOOKBACK, split the targets between "
            "triggers with their own state objects, or raise the function's MemorySize.")})
        return True
    if state.size_notice_at and size < SIZE_NOTICE_BYTES * SIZE_NOTICE_CLEAR:
        state.size_notice_at = None
    return False


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
