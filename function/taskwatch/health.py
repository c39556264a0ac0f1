"""The monitor's own health: a task center that cannot be queried for TASKWATCH_BLIND_AFTER consecutive
runs raises one "monitor blind" alert, and one "recovered" alert when it answers again; an optional
heartbeat tells subscribers the function itself still runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from .sanitize import clean
from .secrets_scrub import SCRUBBER
from .state.document import State
from .timeutil import from_iso, iso


def record_source(state: State, source: str, ok: bool, error: str | None, now: datetime,
                  blind_after: int) -> str | None:
    """Update one source's health; returns "blind" or "recovered" when a message is due."""
    entry = state.sources.setdefault(source, {"consecutive_failures": 0, "blind": False})
    if ok:
        if entry.get("consecutive_failures") or entry.get("last_error") or "last_ok" not in entry:
            # Only on a change, so a steady run leaves the state untouched (and unwritten).
            entry.update(consecutive_failures=0, last_ok=iso(now), last_error=None)
            entry.pop("watched_since", None)  # read completely: decided by the state's tasks from now on
        return "recovered" if entry.get("blind") else None
    if "last_ok" not in entry:  # never read completely: when watching began (see decide._watch_horizon)
        entry.setdefault("watched_since", iso(now))
    entry["consecutive_failures"] = int(entry.get("consecutive_failures", 0)) + 1
    entry["last_error"] = clean(SCRUBBER(error or "unknown error"), 400)
    if entry["consecutive_failures"] >= blind_after and not entry.get("blind"):
        return "blind"
    return None


def mark_health_published(state: State, source: str, event: str) -> None:
    entry = state.sources.setdefault(source, {"consecutive_failures": 0})
    entry["blind"] = event == "blind"


def heartbeat_due(state: State, every_seconds: float, now: datetime) -> bool:
    if every_seconds <= 0:
        return False
    last = from_iso(state.heartbeat_at)
    return last is None or now - last >= timedelta(seconds=every_seconds)


def forget_unowned(state: State, owns: Callable[[str], bool], watched: set[str]) -> None:
    """Drop the health of sources no longer configured at all, so the state does not grow with old targets.
    Sources another trigger watches (a shard on the same state) are kept: only their own runs change them."""
    for source in [s for s in state.sources if s not in watched and owns(s)]:
        del state.sources[source]
