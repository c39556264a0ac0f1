"""Which unit a list API reads its query times in (RDS: UNIX milliseconds or seconds), inferred at run time.

The documents disagree: the RDS SDK calls start_time/end_time a "UTC timestamp" with no unit, the API
reference (OTC edition) and Huawei's Terraform provider say milliseconds. A wrong unit shows in one of two
ways, and both are handled here:
- loud: the server cannot represent the value (milliseconds read as seconds lie beyond year 9999) and
  refuses it with a 400 parameter error. The listing is then read once more under the other unit. Only a
  400 with a documented RDS parameter-error code (DBS.200001 / DBS.200004 "Parameter error", DBS.280001),
  or a 400 naming start_time/end_time, does that; 5xx, 429, 401/403 and 404 are the call's own failure.
- silent: the server reads the value without complaint in the wrong unit, so the window lies ~50,000 years
  ahead (or in January 1970) and the answer is an empty list. That looks exactly like "no task", so an
  empty listing under a unit not yet confirmed is checked with one probe: the first page of the same
  listing without start/end (the API takes both or neither). A task there created inside the window proves
  the filtered answer wrong; the listing is read again under the other unit.

Cost: a unit is confirmed, and remembered in the state per source, once a filtered listing returns a task
created inside the requested window (no wrong unit can select the present). From then on no probe is made:
a steady run makes exactly the requests it made before. Until then, only an empty listing costs one extra
request (one page); a listing with tasks costs nothing extra. A cheaper check (e.g. one request with a
window of known answer) does not exist: only real tasks tell which unit selects them.
If neither unit returns the tasks the unfiltered page shows inside the window, those tasks are kept (they
are real) and the listing is reported incomplete, so the source is counted towards "monitor blind".
Listings of running tasks (stuck detection) send no start_time/end_time at all (list_running): the SDK
reads end_time as the task's end time, which a running task does not have.
Limits: the probe reads one page, so it relies on the API listing the newest tasks first (as the emulator
and the documented examples do); a confirmed unit is not probed again, so a server that later changed its
reading silently would only be noticed by a 400. A confirmation by one status listing of a run spares the
task center's other listings of that run their probe when it arrives first (they run concurrently).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ..errors import SourceError
from ..logs import get_logger
from ..sanitize import one_line
from ..state.document import State

if TYPE_CHECKING:
    from ..tasks import Task
    from .base import Listing, TaskCenter

MS = "ms"  # UNIX milliseconds (the API reference, Terraform)
SECONDS = "s"  # UNIX seconds (one reading of the SDK's "UTC timestamp")
UNITS = (MS, SECONDS)
# RDS "Error Codes" (rds_10_0201): 400 DBS.200001 and DBS.200004 "Parameter error."; DBS.280001 is the same
# text in the DBS family's other error tables.
PARAMETER_ERRORS = frozenset({"DBS.200001", "DBS.200004", "DBS.280001"})
TIME_PARAMETERS = ("start_time", "end_time")


@dataclass(frozen=True)
class UnitBelief:
    """The unit to try first, and whether a listing has confirmed it."""

    unit: str = MS
    confirmed: bool = False


def format_timestamp(moment: datetime, unit: str) -> str:
    """The instant as a UNIX timestamp string in `unit`."""
    seconds = moment.timestamp()
    return str(int(seconds * 1000)) if unit == MS else str(int(seconds))


def other_unit(unit: str) -> str:
    return SECONDS if unit == MS else MS


def is_parameter_error(error: SourceError) -> bool:
    """A refusal that may be the time unit's fault: 400 with a parameter-error code, or naming the times."""
    if error.status != 400 or error.kind != "client":
        return False
    if error.code in PARAMETER_ERRORS:
        return True
    text = str(error)
    return any(name in text for name in TIME_PARAMETERS)


def in_window(tasks: list[Task], start: datetime, end: datetime) -> list[Task]:
    return [task for task in tasks if task.created is not None and start <= task.created <= end]


def list_inferring_unit(center: TaskCenter, status: str, start: datetime, end: datetime, reading: str | None,
                        belief: UnitBelief) -> Listing:
    """One listing read under the believed unit, corrected by the answers (see the module docstring)."""
    if status in center.spec.stuck_statuses:
        return list_running(center, status, start, end, reading)
    unit = belief.unit
    confirmed = belief.confirmed
    try:
        listing = center.read_listing(status, start, end, reading, unit)
    except SourceError as exc:
        if not is_parameter_error(exc):
            raise
        _told(center, status, other_unit(unit), f"{unit} refused: {one_line(exc, 200)}")
        unit, confirmed = other_unit(unit), False
        listing = center.read_listing(status, start, end, reading, unit)  # refused too: that error is the run's
    shared = center.time_unit  # another listing of this task center may have confirmed the unit meanwhile
    confirmed = confirmed or (shared.confirmed and shared.unit == unit)
    if listing.tasks or confirmed:
        return _settled(listing, unit, start, end, confirmed, center)
    missed = _unfiltered_in_window(center, status, unit, start, end, listing)
    if not missed:
        return _settled(listing, unit, start, end, False, center)  # nothing to learn: the window is empty
    try:
        second: Listing | None = center.read_listing(status, start, end, reading, other_unit(unit))
    except SourceError as exc:
        if not is_parameter_error(exc):
            raise
        second = None
    if second is not None and in_window(second.tasks, start, end):
        _told(center, status, other_unit(unit), f"{unit} selected none of {len(missed)} tasks in the window")
        second.violations[:0] = listing.violations
        return _settled(second, other_unit(unit), start, end, False, center)
    _settled(listing, unit, start, end, False)  # unconfirmed: the filtered listing itself returned nothing
    listing.tasks.extend(missed)  # real tasks of this status in the window: kept, never dropped
    listing.complete = False
    listing.anomalies.append(f"the time filter returned none of the {len(missed)} tasks the listing without it "
                             f"shows in the window, in {MS} and in {SECONDS}")
    return listing


def list_running(center: TaskCenter, status: str, start: datetime, end: datetime, reading: str | None) -> Listing:
    """A listing of tasks still running, read without start_time/end_time and cut to the window here.

    Why: the RDS SDK calls end_time "the task's end time" (任务的结束时间). Read so, a time-filtered listing
    never returns a task that has not ended, in any unit, and a confirmed unit is never probed again: stuck
    tasks would be missed in silence. Running tasks are few, so the unfiltered listing costs no more pages,
    and it says nothing about the unit (time_unit stays None). A task whose creation time is unreadable is
    kept (its schema violation is reported with the listing)."""
    listing = center.read_listing(status, None, None, reading)
    listing.tasks = [task for task in listing.tasks
                     if task.created is None or start <= task.created <= end]
    return listing


def _told(center: TaskCenter, status: str, unit: str, why: str) -> None:
    """One log line when the answers move a listing to the other unit (the summary's sources say the result)."""
    get_logger().info("%s %s list: start_time/end_time sent in %s (%s)", center.source, one_line(status, 40),
                      unit, why)


def _unfiltered_in_window(center: TaskCenter, status: str, unit: str, start: datetime, end: datetime,
                          listing: Listing) -> list[Task]:
    """The probe: page 1 of the listing without start/end; the tasks on it created inside the window.
    Its schema violations are reported with the listing's."""
    from .base import Listing

    scratch = Listing()
    document = center.fetch_list(center.spec.list_request(status, None, None, 0, center.spec.page_size, unit=unit))
    center.absorb(document, scratch, set())
    listing.violations.extend(scratch.violations)
    return in_window(scratch.tasks, start, end)


def _settled(listing: Listing, unit: str, start: datetime, end: datetime, confirmed: bool,
             center: TaskCenter | None = None) -> Listing:
    """Say which unit the listing was read in and whether it is confirmed; a confirmation is shared with the
    task center's other listings of this run (one assignment: safe across their threads)."""
    listing.time_unit = unit
    listing.time_unit_confirmed = confirmed or bool(in_window(listing.tasks, start, end))
    if center is not None and listing.time_unit_confirmed:
        center.time_unit = UnitBelief(unit, True)
    return listing


def remembered_unit(state: State, source: str) -> UnitBelief:
    """The unit the state remembers for a source (milliseconds, unconfirmed, when none)."""
    entry = state.sources.get(source, {})
    unit = entry.get("time_unit")
    if unit not in UNITS:
        return UnitBelief()
    return UnitBelief(unit, entry.get("time_unit_confirmed") is True)


def remember_unit(state: State, source: str, unit: str, confirmed: bool) -> None:
    """Keep the unit the listings used (and whether one confirmed it); an unchanged one leaves the state as is."""
    entry = state.sources.setdefault(source, {"consecutive_failures": 0})
    if entry.get("time_unit") != unit or entry.get("time_unit_confirmed", False) != confirmed:
        entry["time_unit"] = unit
        entry["time_unit_confirmed"] = confirmed
