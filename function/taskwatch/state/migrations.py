"""Moving a state object written by an older version to the current one, one version at a time.

Rules that keep a rollback by one version from resetting anything:
- a new version only adds fields (optional ones, with a default), or leaves out optional ones (version 3:
  settled task entries keep only identity and times), never one an older version requires; readers keep
  fields they do not know;
- every step N -> N+1 is registered here and fills defaults only where a field is missing, so it is
  harmless on a document that already has them (written by N+1, then by N after a rollback, then read by
  N+1 again);
- a reader accepts its own version, older ones (migrated here), and one version newer (read as is).
A change that an older reader cannot ignore (a field changing meaning) needs a new field instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import StateError

VERSION = 3
Document = dict[str, Any]

# What a settled task entry (nothing pending) keeps: its identity (the fields every reader since version 1
# requires), its times, and which of them says how it was settled (its kind). Names, reasons, instances
# and entities are kept only while an alert is pending: the message needs them, deduplication does not.
SETTLED_KEEP = ("service", "region", "project_id", "id", "status", "first_seen", "created", "notified_at",
                "stuck_notified_at", "baselined_at", "gave_up_at")
SETTLED_BY = ("notified_at", "stuck_notified_at", "baselined_at", "gave_up_at")


def settled_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """The compact form of a task entry with nothing pending. `name` stays, empty: version 2 readers (a
    rollback by one version) require it; every other field they need is kept as it was."""
    compact = {key: entry[key] for key in SETTLED_KEEP if entry.get(key) is not None}
    compact["name"] = ""
    return compact


def is_settled(entry: dict[str, Any]) -> bool:
    """Nothing pending, and a time that says how it was settled."""
    return not entry.get("alert") and any(entry.get(key) for key in SETTLED_BY)


def _v1_to_v2(document: Document) -> Document:
    """Version 2 adds the reading-order cursors (one per set of watched sources)."""
    document.setdefault("cursors", {})
    return document


def _v2_to_v3(document: Document) -> Document:
    """Version 3 keeps settled task entries compact (settled_entry). Harmless on a compact entry, and on a
    document a version 2 writer saved after a rollback (its settled entries are compacted again)."""
    tasks = document.get("tasks")
    if isinstance(tasks, dict):
        for key, entry in tasks.items():
            if isinstance(entry, dict) and is_settled(entry) and entry.keys() - set(SETTLED_KEEP) - {"name"}:
                tasks[key] = settled_entry(entry)
    return document


MIGRATIONS: dict[int, Callable[[Document], Document]] = {1: _v1_to_v2, 2: _v2_to_v3}


def check_version(document: Document) -> int:
    """The document's version, if this version can read it; StateError otherwise."""
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StateError(f"state object has no usable version ({str(version)[:20]})")
    if version > VERSION + 1:
        raise StateError(f"state object was written by format version {version}; this version reads "
                         f"up to {VERSION + 1}")
    return version


def migrate(document: Document) -> Document:
    """The document at VERSION (or VERSION + 1, read as is); StateError for versions it cannot read."""
    version = check_version(document)
    while version < VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise StateError(f"no migration from state format version {version}")
        document = step(document)
        version += 1
        document["version"] = version
    return document
