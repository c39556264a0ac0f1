"""Protection against overlapping runs, on a store that has no compare-and-swap write (OBS PUT).

Timer runs overlap when one runs longer than the period, and FunctionGraph retries failed asynchronous
invocations. Two runs that both publish the same failure would send it twice. Before publishing, a run:

1. takes a lease: reads the lease object next to the state; if another run holds an unexpired lease, it
   stops. Otherwise it writes its own (owner = run ID, expiry = the clock when the lease is taken plus the
   invocation's remaining time: the moment FunctionGraph stops this run), waits a moment for a
   concurrent writer to land (settle_time), and reads the lease back: only the run whose lease is read
   back goes on;
2. re-checks the state: the state's ETag must still be the one this run started from; if another run has
   saved in between, this run does not publish what it decided; it decides again on that state (run.py),
   or stops when it has tried enough.

What it cannot do, on a store without compare-and-swap: two runs whose lease writes land within the settle
time of each other's read-back can both read their own lease back; and a run that takes the lease after
another's expired one (a run frozen past its invocation's end) can overlap it. The ETag re-check narrows
both; MaxInstances 1 on the function (template.yaml) is the first guard, the lease the second.

A run writes the state only when its content changed, and every write (with or without messages) is made
under the lease after the same ETag check: the state tools (layers/state_tool.py) change the state under the
lease, and a save-only run's PUT still in flight could otherwise land after their change and undo it. A
steady run still costs one OBS read and no write.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import StateError
from .secrets_scrub import SCRUBBER
from .state.store import StateStore
from .timeutil import from_iso, iso

SETTLE_FLOOR = 0.05
SETTLE_CEILING = 1.0
DEFAULT_TERM = timedelta(minutes=15)


@dataclass
class Lease:
    store: StateStore
    owner: str
    held: bool = False
    holder: str | None = None  # who holds it when we could not take it

    @property
    def name(self) -> str:
        return self.store.sibling("lease")

    def acquire(self, now: datetime, term: timedelta) -> bool:
        current = self._read()
        if current and current.get("owner") != self.owner:
            expires = from_iso(current.get("expires"))
            if expires is not None and expires > now:
                self.holder = SCRUBBER(str(current.get("owner")))[:64]
                return False
        started = time.monotonic()
        self.store.put(self.name, self._body(now + term))
        time.sleep(settle_time(time.monotonic() - started))
        try:
            back = self._read()
        except StateError:
            self._expire_quietly(now)  # we wrote it: do not leave it blocking later runs
            raise
        self.held = bool(back) and back.get("owner") == self.owner
        if not self.held and back:
            self.holder = SCRUBBER(str(back.get("owner")))[:64]
        return self.held

    def release(self, now: datetime) -> None:
        """Expire our lease (a PUT, so the store interface stays read/write only)."""
        if self.held:
            current = self._read()
            if current and current.get("owner") == self.owner:
                self.store.put(self.name, self._body(now))
            self.held = False

    def _expire_quietly(self, now: datetime) -> None:
        with contextlib.suppress(StateError):  # if this fails too, it expires by itself at the end of its term
            self.store.put(self.name, self._body(now))

    def _body(self, expires: datetime) -> bytes:
        return json.dumps({"owner": self.owner, "expires": iso(expires)}).encode("utf-8")

    def _read(self) -> dict[str, str] | None:
        stored = self.store.get(self.name)
        if stored is None:
            return None
        try:
            value = json.loads(stored.data)
        except ValueError:
            return None  # an unreadable lease protects nothing: treat it as free
        return value if isinstance(value, dict) else None


def settle_time(put_seconds: float) -> float:
    """How long to wait before reading the lease back. A competing run writes its lease about one round
    trip after it read the lease free; waiting three times our own write's round trip (at least 50 ms,
    at most 1 s) lets such a write land before we read back."""
    return min(SETTLE_CEILING, max(SETTLE_FLOOR, 3 * put_seconds))


def lease_term(remaining_seconds: float) -> timedelta:
    """Hold the lease for the rest of this invocation (FunctionGraph stops it then), 15 min locally."""
    if remaining_seconds == float("inf"):
        return DEFAULT_TERM
    return timedelta(seconds=max(5.0, remaining_seconds))
