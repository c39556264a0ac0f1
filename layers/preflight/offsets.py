"""Which reading of `offset` a list API uses, told apart with three small pages.

Method (three list calls with the same small limit L, no status filter, newest first):
  page 1   = offset 0
  offset 2 = under an item offset: page 1 shifted by two tasks (it starts with page 1's third task);
             under a page number from 1: the second page (none of page 1's tasks)
  offset L = under an item offset: the second page (none of page 1's tasks);
             under a page number: page L (further on, often empty)
The answer to offset 2 decides; offset L confirms an item offset. It needs more than one page of tasks
(at least L+1 in the window), and tasks arriving between the calls can blur it (run it again then).
"""

from __future__ import annotations

from dataclasses import dataclass

ITEM, PAGE = "item", "page"
MEANING = {ITEM: "an item offset from 0", PAGE: "a page number from 1"}


@dataclass(frozen=True)
class OffsetReading:
    """What the probe concluded (None: it could not tell) and why, in words an operator can check."""

    reading: str | None
    explanation: str


def infer_reading(first: list[str], at_two: list[str], at_limit: list[str], limit: int) -> OffsetReading:
    """Compare the task IDs of the three pages (see the module docstring)."""
    if len(first) < limit:
        return OffsetReading(None, f"page 1 holds {len(first)} of {limit} tasks: one page only, nothing to tell")
    on_first = set(first)
    shifted = bool(at_two) and at_two[: limit - 2] == first[2:]
    fresh = bool(at_two) and not on_first & set(at_two)
    if shifted:
        second_page = bool(at_limit) and not on_first & set(at_limit)
        tail = at_two[limit - 2:] == at_limit[: len(at_two) - (limit - 2)]
        if second_page and tail:
            return OffsetReading(ITEM, f"offset=2 returned page 1 shifted by two tasks and offset={limit} "
                                       f"continued right after page 1: {MEANING[ITEM]}")
        return OffsetReading(None, f"offset=2 returned page 1 shifted by two tasks, but offset={limit} did not "
                                   "continue after page 1: inconsistent paging")
    if fresh:
        return OffsetReading(PAGE, f"offset=2 returned {len(at_two)} tasks, none of them on page 1 "
                                   f"(offset={limit} returned {len(at_limit)}): {MEANING[PAGE]}")
    if at_two == first:
        return OffsetReading(None, "offset=2 returned page 1 again: the API seems to ignore offset")
    if not at_two:
        return OffsetReading(None, "offset=2 returned no tasks although page 1 was full: cannot tell")
    return OffsetReading(None, "offset=2 overlapped page 1 in no recognisable way (tasks arriving meanwhile?): "
                               "run the preflight again")
