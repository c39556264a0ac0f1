"""Timer schedules as FunctionGraph documents them, checked before any call, and each one's period.

Rate (console "fixed rate"; "Using a Timer Trigger", functiongraph_01_0207): 1-60 minutes, 1-24 hours or 1-30
days, written 5m, 2h, 1d.
Cron ("Cron Expressions for a Function Timer Trigger", functiongraph_01_0908, FunctionGraph user guide):
- "@every N unit", unit ns, µs, ms, s, m or h; the guide's examples are @every 30m, @every 1.5h, @every 2h30m.
- the standard form "seconds minutes hours day-of-month month day-of-week", day-of-week optional (5 or 6 fields,
  one space apart), optionally preceded by CRON_TZ=<zone> (otherwise the region's time zone):
  seconds 0-59, minutes 0-59, hours 0-23 (special characters , - * /); day-of-month 1-31 (, - * ? /);
  month 1-12 or Jan-Dec (, - * /); day-of-week 0-6 or Sun-Sat, 0 = Sunday (, - * ? /); names case-insensitive.
A year field (Quartz's seventh) is not in the guide, so it is refused.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

RATE = re.compile(r"^(?:([1-9]|[1-5][0-9]|60)m|([1-9]|1[0-9]|2[0-4])h|([1-9]|[12][0-9]|30)d)$")
_EVERY_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (label, lowest, highest, names, "?" allowed)
_FIELDS = (("seconds", 0, 59, (), False), ("minutes", 0, 59, (), False), ("hours", 0, 23, (), False),
           ("day-of-month", 1, 31, (), True), ("month", 1, 12, _MONTHS, False),
           ("day-of-week", 0, 6, _DAYS, True))


class ScheduleError(ValueError):
    pass


def check(schedule_type: str, schedule: str) -> None:
    """Raise ScheduleError saying what is wrong with the schedule."""
    if schedule_type == "Rate":
        if not RATE.match(schedule):
            raise ScheduleError("Rate: 1-60m, 1-24h or 1-30d (e.g. 5m)")
        return
    if schedule.startswith("@every"):
        _every_seconds(schedule)
        return
    parts = schedule.split(" ")
    if parts[0].startswith("CRON_TZ="):
        zone = parts.pop(0)[len("CRON_TZ="):]
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ScheduleError(f"CRON_TZ={zone}: not a time zone name (e.g. CRON_TZ=Asia/Shanghai)") from None
    if len(parts) not in (5, 6):
        raise ScheduleError(f"Cron: seconds minutes hours day-of-month month [day-of-week], 5 or 6 fields one "
                            f"space apart (optionally after CRON_TZ=zone), or @every N unit; got {len(parts)}")
    for text, field in zip(parts, _FIELDS, strict=False):
        _field(text, *field)


def period_seconds(schedule_type: str, schedule: str) -> float | None:
    """The fixed period of a Rate or @every schedule; None for a calendar cron (no single period)."""
    if schedule_type == "Rate":
        number, unit = int(schedule[:-1]), schedule[-1]
        return number * {"m": 60, "h": 3600, "d": 86400}[unit]
    if schedule.startswith("@every"):
        return _every_seconds(schedule)
    return None


def _every_seconds(schedule: str) -> float:
    text = schedule[len("@every "):] if schedule.startswith("@every ") else ""
    if not text or _EVERY_PART.sub("", text):
        raise ScheduleError("@every N unit: unit ns, µs, ms, s, m or h, e.g. @every 30m, @every 1.5h, @every 2h30m")
    seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in _EVERY_PART.findall(text))
    if seconds <= 0:
        raise ScheduleError("@every: the period must be positive")
    return seconds


def _field(text: str, label: str, low: int, high: int, names: tuple[str, ...], question: bool) -> None:
    def value(item: str) -> int:
        if item.isdigit() and low <= int(item) <= high:
            return int(item)
        if item.lower() in names:
            return names.index(item.lower()) + low
        raise ScheduleError(f"Cron {label}: {item!r} is outside {low}-{high}"
                            + (f" / {names[0].title()}-{names[-1].title()}" if names else ""))

    for item in text.split(","):
        base, slash, step = item.partition("/")
        if slash and not (step.isdigit() and int(step) > 0):
            raise ScheduleError(f"Cron {label}: {item!r}: / takes a positive step")
        if base == "*":
            continue
        if base == "?":
            if not question or slash:
                raise ScheduleError(f"Cron {label}: ? is allowed only alone in day-of-month and day-of-week")
            continue
        first, dash, last = base.partition("-")
        if dash and value(last) < value(first):
            raise ScheduleError(f"Cron {label}: range {base!r} runs backwards")
        value(first)
