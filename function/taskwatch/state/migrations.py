"""Moving a state object written by an older version to the current one, one version at a time.

Rules that keep a rollback by one version from resetting anything:
- a new version only adds fields (optional ones, with a default); readers keep fields they do not know;
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

VERSION = 2
Document = dict[str, Any]


def _v1_to_v2(document: Document) -> Document:
    """Version 2 adds the reading-order cursors (one per set of watched sources)."""
    document.setdefault("cursors", {})
    return document


MIGRATIONS: dict[int, Callable[[Document], Document]] = {1: _v1_to_v2}


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
