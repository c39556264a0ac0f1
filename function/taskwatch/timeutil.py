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


_ZONES: dict[str, timezone] = {"Z": timezone.utc}  # offset text -> tzinfo: a handful of distinct offsets
_ZONES_LIMIT = 256
# Parsed instants by text. A run lists the same tasks with the same times run after run (a warm container
# too), and parsing costs several microseconds each; bounded, and emptied when full.
_PARSED: dict[str, datetime] = {}
PARSED_LIMIT = 4096
PARSED_TEXT_LIMIT = 40  # an API time is 20-32 characters; a longer one (endless fraction digits) is not kept


def parse_instant(text: str | None) -> datetime | None:
    """Parse an API time ("2018-08-06T10:41:14+0800") into an aware datetime; None for empty values."""
    if text is None or text == "":
        return None
    moment = _PARSED.get(text)
    if moment is None:
        moment = _parse_instant(text)
        if len(text) <= PARSED_TEXT_LIMIT:
            if len(_PARSED) >= PARSED_LIMIT:
                _PARSED.clear()
            _PARSED[text] = moment
    return moment


def _parse_instant(text: str) -> datetime:
    match = _INSTANT.match(text)
    if not match:
        raise ValueError(f"not a time with an offset: {text[:40]!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                          int(fraction.ljust(6, "0")) if fraction else 0, tzinfo=_zone(zone))
        # Every instant is later written in UTC (iso()); one whose UTC form leaves datetime's range
        # (9999-12-31T23:59:59-0800) is as unreadable as month 13, and is rejected here, not later. Only
        # the first and the last year can leave it (an offset is less than a day).
        if moment.year in (1, 9999):
            moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise ValueError(f"time out of range: {text[:40]!r}") from None
    return moment


def _zone(text: str) -> timezone:
    """The tzinfo of an offset ("+0800", "-05:30", "Z"), built once per distinct offset."""
    tz = _ZONES.get(text)
    if tz is None:
        sign = -1 if text[0] == "-" else 1
        digits = text[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        if len(_ZONES) < _ZONES_LIMIT:
            _ZONES[text] = tz
    return tz


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
