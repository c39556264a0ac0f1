"""A clock the tests move, shared by the emulator (task data) and the function (its `utcnow`)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest


class Clock:
    def __init__(self) -> None:
        self.moment = datetime.now(timezone.utc).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


def use_clock(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    """The function reads the time once per run through taskwatch.run.utcnow."""
    monkeypatch.setattr("taskwatch.run.utcnow", clock)
