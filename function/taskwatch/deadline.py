"""The run's time budget: FunctionGraph's remaining time, less what must be kept for the later steps.

Querying stops when only `reserve` seconds are left (publishing and saving state need them); publishing
stops when only SAVE_RESERVE seconds are left (saving state needs them); the save itself keeps FINAL_MARGIN
for the handler to log its summary and return. Every HTTP call gets its connect and read timeouts from the
time left before the part it must not touch (call_timeouts), when the request is sent: no call that starts
just before a reserve can outlive it.

What the commit needs, in calls (each bounded by the time left, see run.commit):
lease GET + PUT + settle (<= 1 s) + GET back, the state's ETag re-check GET, the SMN publishes, the state
PUT, then the lease release (GET + PUT, skipped when time is short: the lease then expires by itself).
COMMIT_RESERVE is that sum at a few seconds per call; the default TASKWATCH_RESERVE (15 s) covers it.
A smaller TASKWATCH_RESERVE shrinks the time the lease calls keep for the save in proportion (`scale`); the
final margin stays 1 s (half the reserve below 2 s). The save is still attempted last and bounded.
"""

from __future__ import annotations

import time
from typing import Any

from .errors import OutOfTime

OBS_CALL = 1.5  # seconds allowed for one OBS GET or PUT of the state or lease (a few KB to a few MB)
PUBLISH_CALL = 2.0  # seconds for one round of SMN publishes (they run in parallel)
SETTLE = 1.0  # lease.SETTLE_CEILING: the wait between writing the lease and reading it back
FINAL_MARGIN = 1.0  # kept after the save: the handler logs its summary and returns
SAVE_RESERVE = FINAL_MARGIN + 2 * OBS_CALL  # the state PUT (and room for a slow one)
COMMIT_RESERVE = SAVE_RESERVE + 4 * OBS_CALL + SETTLE + PUBLISH_CALL  # lease, re-check, publish, save: 13 s
CONNECT_TIMEOUT = 5.0
MIN_CALL = 0.1  # a call never gets less than this (it is only started while time is left)


class Deadline:
    """Asks the context for the remaining time (it is live), or runs unbounded outside FunctionGraph."""

    def __init__(self, context: Any = None, reserve: float = 15.0) -> None:
        method = getattr(context, "getRemainingTimeInMilliSeconds", None)
        self._remaining_ms = method if callable(method) else None
        self.reserve = reserve
        # What state-store calls keep untouched: room for the save while the lease is taken and the state
        # re-checked (lease_keep), the final margin otherwise (set by run.commit; the commit is one thread).
        self.store_keep = self.final_margin

    @property
    def scale(self) -> float:
        """1 with the default reserve; less when TASKWATCH_RESERVE is below what the commit's calls need."""
        return min(1.0, self.reserve / COMMIT_RESERVE)

    @property
    def final_margin(self) -> float:
        """Kept after the save, for the handler to log its summary and return (never scaled below 1 s,
        unless the whole reserve is under 2 s)."""
        return min(FINAL_MARGIN, self.reserve / 2)

    @property
    def lease_keep(self) -> float:
        """Kept by the lease and state re-check calls: the save's PUT and the final margin."""
        return self.final_margin + OBS_CALL * self.scale

    def remaining(self) -> float:
        """Seconds until the platform stops the invocation (infinite locally)."""
        if self._remaining_ms is None:
            return float("inf")
        return float(self._remaining_ms()) / 1000.0

    def time_left(self, keep: float | None = None) -> float:
        """Seconds available before `keep` (default: the query reserve) must be left untouched."""
        return self.remaining() - (self.reserve if keep is None else keep)

    def check(self, what: str, keep: float | None = None) -> None:
        if self.time_left(keep) <= 0:
            raise OutOfTime(f"stopped {what}: time kept for the remaining steps")

    def sleep(self, seconds: float, what: str, keep: float | None = None) -> None:
        """Back off, unless the wait would eat into the time that must be kept."""
        if seconds >= self.time_left(keep):
            raise OutOfTime(f"no time left to wait {seconds:.1f}s before retrying {what}")
        time.sleep(seconds)

    def read_timeout(self, wanted: float, keep: float | None = None) -> float:
        """A read timeout that cannot outlive the budget."""
        return max(0.5, min(wanted, self.time_left(keep)))

    def call_timeouts(self, wanted: float, keep: float | None = None) -> tuple[float, float]:
        """(connect, read) timeouts for a call sent now: together they fit in the time left before `keep`.

        The read timeout bounds each wait for data (requests' semantics), so a server that trickles a body
        byte by byte could still take longer; the APIs answer in one piece, and the SDK reads small bodies."""
        left = self.time_left(keep)
        if left == float("inf"):
            return CONNECT_TIMEOUT, wanted
        connect = max(MIN_CALL, min(CONNECT_TIMEOUT, left / 3))
        read = max(MIN_CALL, min(wanted, left - connect))
        return connect, read
