"""Which reading of `offset` each task center uses, remembered between runs.

The pager infers it from the answers (pager.py); the state keeps the last reading a complete listing
confirmed, so the next run starts from it and only re-checks it (the second page's usual request does that,
no extra call). TASKWATCH_TAURUSDB_OFFSET_MODE=page|item is only the first reading tried for TaurusDB: the
answers still have the last word.
"""

from __future__ import annotations

from ..state.document import State
from .pager import READINGS


def first_reading(state: State, source: str, service: str, configured: str) -> str | None:
    """The reading to try first: configured (TaurusDB only), else remembered, else None (the documents')."""
    if service == "taurusdb" and configured in READINGS:
        return configured
    remembered = state.sources.get(source, {}).get("offset_reading")
    return remembered if remembered in READINGS else None


def remember_reading(state: State, source: str, reading: str) -> None:
    """Keep a reading a complete listing confirmed; an unchanged one leaves the state untouched."""
    entry = state.sources.setdefault(source, {"consecutive_failures": 0})
    if entry.get("offset_reading") != reading:
        entry["offset_reading"] = reading
