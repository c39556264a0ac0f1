"""Structures and identifiers from the task centers made safe for messages, logs and the state.

sanitize.clean() handles one text; this applies it to what the APIs return as structures (a task's
`entities`: every string inside, keys too) and decides how a task ID is shown.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from .sanitize import clean

MAX_DEPTH = 32  # deeper than any real entities object; below it a placeholder stands in
SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_UNSAFE_ID_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]")
STAND_IN_MARK = "~"  # outside the safe alphabet: a stand-in never equals a real (safe) ID


def clean_structure(value: Any, limit: int = 2000, depth: int = 0) -> Any:
    """A JSON value with every string, and every object key, passed through clean(); shape kept."""
    if depth >= MAX_DEPTH:
        return "(nested too deeply)"
    if isinstance(value, str):
        return clean(value, limit)
    if isinstance(value, dict):
        return {clean(key, 200): clean_structure(item, limit, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [clean_structure(item, limit, depth + 1) for item in value]
    return value


def display_id(raw: str) -> str:
    """How a task ID appears in the dedup key, the state, every message and log line.

    Task IDs are UUIDs or similar (letters, digits, `-`, `_`, `.`; at most 128 characters) and are shown as
    they are. Any other ID is caller-controlled text as far as we know: it could carry a newline, a
    bidirectional override or a forged line. It is replaced by a stable stand-in, its safe characters
    (others as `_`, at most 64) then `~` and 24 hex digits of its SHA-256. The same raw ID always gives
    the same stand-in, so deduplication still holds; the raw ID is kept only for the API calls.
    """
    if SAFE_ID.match(raw):
        return raw
    digest = hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()
    return f"{_UNSAFE_ID_CHARACTERS.sub('_', raw[:64])}{STAND_IN_MARK}{digest[:24]}"
