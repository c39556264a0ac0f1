"""One row per check: what was checked, against which host, the verdict, and what to do about a problem."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

OK, WARN, FAIL = "OK", "WARN", "FAIL"


@dataclass(frozen=True)
class Row:
    """The outcome of one check. `fix` says what to change (an IAM action to grant, a setting) on WARN/FAIL."""

    status: str
    check: str
    host: str
    detail: str
    fix: str = ""


def render(rows: Iterable[Row], scrub: Callable[[str], str]) -> list[str]:
    """Aligned text lines, every one passed through `scrub` so no secret is ever printed."""
    rows = list(rows)
    check_width = max([len(r.check) for r in rows] + [5])
    host_width = max([len(r.host) for r in rows] + [4])
    lines = [f"{'STATUS':<6}  {'CHECK':<{check_width}}  {'HOST':<{host_width}}  DETAIL"]
    for row in rows:
        line = f"{row.status:<6}  {row.check:<{check_width}}  {row.host:<{host_width}}  {row.detail}"
        if row.fix:
            line += f"\n{'':<6}  {'':<{check_width}}  {'':<{host_width}}  fix: {row.fix}"
        lines.append(scrub(line))
    return lines


def exit_code(rows: Iterable[Row]) -> int:
    """1 when any check failed; warnings alone do not fail the preflight."""
    return 1 if any(r.status == FAIL for r in rows) else 0
