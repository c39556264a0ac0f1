"""Time formats of the task-center APIs, parsed strictly and rendered exactly.

Why a module of its own: the three task centers disagree on time formats (offset strings for TaurusDB
and DDS, UNIX milliseconds for openGauss), and the emulator must reject what the documents do not allow
while always rendering a numeric offset (+0800), never "Z".
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta, timezone

# "yyyy-mm-ddThh:mm:ssZ" where Z is a numeric offset such as +0800 (the documents' own definition).
_OFFSET_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})([+-])(\d{2})(\d{2})$")
_DIGITS = re.compile(r"^\d{1,15}$")

UTC = timezone.utc


def parse_offset_time(text: str) -> datetime:
    """Parse 'yyyy-mm-ddThh:mm:ss+hhmm' strictly; raise ValueError on anything else (incl. 'Z')."""
    match = _OFFSET_TIME.match(text or "")
    if not match:
        raise ValueError(f"not a yyyy-mm-ddThh:mm:ss+hhmm time: {text!r}")
    year, month, day, hour, minute, second, sign, off_h, off_m = match.groups()
    offset = timedelta(hours=int(off_h), minutes=int(off_m))
    if offset >= timedelta(hours=24):
        raise ValueError(f"offset out of range: {text!r}")
    if sign == "-":
        offset = -offset
    return datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=timezone(offset)
    )


def offset_of(text: str) -> timedelta:
    """The numeric offset a time string was written with (to render a rebased time the same way)."""
    offset = parse_offset_time(text).utcoffset()
    assert offset is not None
    return offset


@functools.lru_cache(maxsize=65536)
def format_offset_time(value: datetime, offset: timedelta) -> str:
    """Render an aware datetime as 'yyyy-mm-ddThh:mm:ss+hhmm' in the given offset (remembered: every list
    call renders each task it returns, and the same tasks are listed again on every call)."""
    local = value.astimezone(timezone(offset))
    return local.strftime("%Y-%m-%dT%H:%M:%S") + _offset_text(offset)


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}{minutes % 60:02d}"


def parse_unix_ms(text: str) -> datetime:
    """Parse a UNIX timestamp in milliseconds (digits only, as the openGauss list API takes it)."""
    if not _DIGITS.match(text or ""):
        raise ValueError(f"not a UNIX millisecond timestamp: {text!r}")
    return datetime.fromtimestamp(int(text) / 1000.0, tz=UTC)


def to_unix_ms(value: datetime) -> int:
    """Aware datetime to UNIX milliseconds (handy for tests and for raw items)."""
    return round(value.timestamp() * 1000)


def parse_any_time(value: object) -> datetime | None:
    """Best effort for raw (injected) items: offset string, ISO 8601, or UNIX ms; None if unusable."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000.0, tz=UTC)
    if not isinstance(value, str):
        return None
    for parse in (parse_offset_time, parse_unix_ms):
        try:
            return parse(value)
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def require_aware(name: str, value: object) -> datetime:
    """Reject naive datetimes early: every time the emulator stores is an instant."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")
    return value
