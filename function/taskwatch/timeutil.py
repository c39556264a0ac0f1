"""Times as the task centers write them, and the durations operators write in configuration.

The APIs write instants with a numeric offset (+0800, +0000, sometimes Z); they are compared as instants,
never as strings.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_INSTANT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6})\d*)?(Z|[+-]\d{2}:?\d{2})$"
)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_instant(text: str | None) -> datetime | None:
    """Parse an API time ("2018-08-06T10:41:14+0800") into an aware datetime; None for empty values."""
    if text is None or text == "":
        return None
    match = _INSTANT.match(text)
    if not match:
        raise ValueError(f"not a time with an offset: {text[:40]!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0").ljust(6, "0"))
    try:
        if zone == "Z":
            tz = timezone.utc
        else:
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz)
        # Every instant is later written in UTC (iso()); one whose UTC form leaves datetime's range
        # (9999-12-31T23:59:59-0800) is as unreadable as month 13, and is rejected here, not later.
        moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise ValueError(f"time out of range: {text[:40]!r}") from None
    return moment


def format_offset(moment: datetime) -> str:
    """yyyy-mm-ddThh:mm:ss+hhmm, the query format of the TaurusDB and DDS list APIs (UTC)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def format_unix_ms(moment: datetime) -> str:
    """UNIX milliseconds as a string, the query format of the openGauss list API."""
    return str(int(moment.timestamp() * 1000))


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC for state, logs and messages."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def from_iso(text: str | None) -> datetime | None:
    """Inverse of iso()."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_duration(text: str) -> float:
    """'90s', '15m', '6h', '2d' or a bare number of seconds -> seconds."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError("expected a duration such as 90s, 15m, 6h or 2d")
    return float(match.group(1)) * _UNITS[match.group(2)]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
