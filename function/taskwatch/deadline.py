"""The run's time budget: FunctionGraph's remaining time, less what must be kept for the later steps.

Querying stops when only `reserve` seconds are left (publishing and saving state need them); publishing
stops when only SAVE_RESERVE seconds are left (saving state needs them).
"""

from __future__ import annotations

import time
from typing import Any

from .errors import OutOfTime

SAVE_RESERVE = 4.0


class Deadline:
    """Asks the context for the remaining time (it is live), or runs unbounded outside FunctionGraph."""

    def __init__(self, context: Any = None, reserve: float = 15.0) -> None:
        method = getattr(context, "getRemainingTimeInMilliSeconds", None)
        self._remaining_ms = method if callable(method) else None
        self.reserve = reserve

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
