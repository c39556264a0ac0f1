"""Property: over random histories of many runs, the alert guarantees hold (issue 3).

Each example drives the real handler, over real HTTP, against one local cloud emulator, for 3-8 runs with
random task events and one random fault per run, then 4 fault-free runs. Runs are 5 minutes apart on a
controlled clock: the emulator gets it as `now`, and the function reads it through taskwatch's clock
(`taskwatch.run.utcnow`, the only place the run takes its time from). Request signing keeps the real clock.

Guarantees checked, from the dedup keys of every alert SMN accepted:
- nothing missed: every task that is Failed at the end (and inside the lookback window) got a failed alert;
- once: no key is alerted twice, except in the documented crash window: an alert SMN accepted in a run
  whose state was then not saved ("state not saved" error, state not written) may be repeated later;
- no failed alert for a task that is not Failed (a Completed or Running task is never alerted as failed);
- the state object, whenever present, parses and validates (schema and checksum).

Not a guarantee, so counted (hypothesis statistics) rather than failed: a stuck alert that had to wait (its
publish failed, or the per-run cap) still goes out after the task has ended.

Test-side knobs (no function code is changed): the clock above, and the run's RetryPolicy built with short
server-error back-offs (0.5 s and 1.5 s in production) so a failing source costs milliseconds, the same way
TASKWATCH_THROTTLE_BACKOFF shortens the throttling waits. The lease's settle wait is left as it is.
Reproducible: derandomized, no example database; about 20-25 s on 2 cores.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from taskwatch.state.document import State

from tests.conftest import STATE_KEY, invoke
from tests.emulator import CloudEmulator, Fault
from tests.fixtures import AK, BUCKET, PROJECT, REGION, SK, TOPIC, FakeContext
from tests.simulation import (
    RUN_EVERY,
    Clock,
    alert_items,
    function_environment,
    http_document,
    simulated_function,
    task_key,
)

SERVICES = ("taurusdb", "gaussdb", "dds", "rds")
PAGE_SIZE = {"taurusdb": 50, "gaussdb": 100, "dds": 100, "rds": 50}
TAIL_RUNS = 4  # fault-free runs at the end: visibility (<= 10 min) + up to 3 groups at one message per run
LOOKBACK = timedelta(days=30)
CLOCK_SKEW = timedelta(minutes=5)  # the run lists up to now + 5 min


# ---- the history: what happens before each run ---------------------------------------------------------

@dataclass(frozen=True)
class NewTasks:
    """`count` tasks created `age` before the run (an age above 5 min: it appears late)."""

    service: str
    status: str
    count: int
    age: timedelta


@dataclass(frozen=True)
class Settle:
    """A Running task (the pick-th, modulo) ends, now: Failed or Completed."""

    pick: int
    status: str


@dataclass(frozen=True)
class ArriveWhilePaging:
    """While the run lists the service's Failed tasks (at its nth list call), `count` new tasks appear at
    the head of the listing and `remove` old ones leave it (retention)."""

    service: str
    nth_call: int
    count: int
    status: str
    remove: int


@dataclass(frozen=True)
class SmnDown:
    after: int  # messages SMN accepts before it fails (500) for the rest of the run


@dataclass(frozen=True)
class ObsPutFails:
    after: int  # 0: the lease write fails; 1: the state write (and the lease release) fails; 2: release only


@dataclass(frozen=True)
class ObsGetFails:
    after: int  # 0: the state read fails; 1-3: the lease / ETag re-check reads fail


@dataclass(frozen=True)
class SourceFails:
    service: str
    call: str  # list or detail
    kind: str  # 500 or 429; on a list also a page that is empty, repeats the last one, or a growing total
    after: int  # calls that succeed first


@dataclass(frozen=True)
class CutShort:
    budget_ms: int  # the invocation's remaining time at start; TASKWATCH_RESERVE is 1 s


Event = NewTasks | Settle
RunFault = SmnDown | ObsPutFails | ObsGetFails | SourceFails | CutShort


@dataclass(frozen=True)
class Step:
    events: tuple[Event, ...] = ()
    arrival: ArriveWhilePaging | None = None
    fault: RunFault | None = None


@dataclass(frozen=True)
class History:
    visibility_delay: int  # seconds before a new task shows in the listings
    stuck: bool  # TASKWATCH_STUCK_AFTER 1h (else 0: off)
    max_messages: int  # TASKWATCH_MAX_MESSAGES_PER_RUN
    max_alerts: int  # TASKWATCH_MAX_ALERTS_PER_MESSAGE
    initial: tuple[NewTasks, ...]
    burst: tuple[int, NewTasks] | None  # (step index, tasks): more failures than one page holds
    steps: tuple[Step, ...]


services = st.sampled_from(SERVICES)
ages = st.one_of(
    st.integers(0, 4).map(lambda m: timedelta(minutes=m)),  # just created
    st.integers(6, 90).map(lambda m: timedelta(minutes=m)),  # appears late
    st.integers(1, 20).map(lambda d: timedelta(days=d, minutes=7)),  # created days ago
)
new_tasks = st.builds(NewTasks, service=services, status=st.sampled_from(["Failed", "Running", "Completed"]),
                      count=st.integers(1, 3), age=ages)
settles = st.builds(Settle, pick=st.integers(0, 50), status=st.sampled_from(["Failed", "Failed", "Completed"]))
arrivals = st.builds(ArriveWhilePaging, service=services, nth_call=st.integers(1, 2), count=st.integers(1, 12),
                     status=st.sampled_from(["Failed", "Completed"]), remove=st.integers(0, 3))
faults = st.one_of(
    st.builds(SmnDown, after=st.integers(0, 2)),
    st.builds(ObsPutFails, after=st.integers(0, 2)),
    st.builds(ObsGetFails, after=st.integers(0, 3)),
    st.builds(SourceFails, service=services, call=st.just("list"), after=st.integers(0, 1),
              kind=st.sampled_from(["500", "429", "500", "429", "empty_page", "repeat_page", "total_changes"])),
    st.builds(SourceFails, service=services, call=st.just("detail"), kind=st.sampled_from(["500", "429"]),
              after=st.integers(0, 1)),
    # 1 s is kept back: a budget just above it stops the listings part way; one above 5 s lets the run
    # publish some messages before the publish reserve (4 s) stops it.
    st.builds(CutShort, budget_ms=st.one_of(st.integers(950, 1150), st.integers(4000, 6000))),
)
steps = st.builds(Step, events=st.lists(st.one_of(new_tasks, settles), max_size=4).map(tuple),
                  arrival=st.none() | arrivals, fault=st.none() | faults)


@st.composite
def histories(draw: st.DrawFn) -> History:
    run_steps = tuple(draw(st.lists(steps, min_size=3, max_size=8)))
    stuck = draw(st.booleans())
    burst = None
    if draw(st.booleans()):
        service = draw(services)
        count = PAGE_SIZE[service] + draw(st.integers(1, 12))
        age = draw(st.sampled_from([timedelta(minutes=1), timedelta(days=3)]))
        burst = (draw(st.integers(-1, len(run_steps) - 1)), NewTasks(service, "Failed", count, age))
    return History(
        visibility_delay=draw(st.sampled_from([0, 0, 30, 400])),
        stuck=stuck,
        max_messages=draw(st.sampled_from([100, 1])),
        max_alerts=draw(st.sampled_from([3, 10])),
        initial=tuple(draw(st.lists(new_tasks, max_size=6))),
        burst=burst,
        steps=run_steps,
    )


# ---- the world: emulator, clock and what the test knows about every task ---------------------------------

@dataclass
class Known:
    service: str
    id: str
    created: datetime
    status: str
    removed: bool = False


@dataclass
class RunRecord:
    index: int
    now: datetime
    step: Step
    summary: dict[str, Any]
    statuses: dict[str, str]  # key -> status during the run
    seconds: float = 0.0
    alerts: list[tuple[str, str, str | None]] = field(default_factory=list)  # (key, kind, listed status)

    @property
    def state_lost(self) -> bool:
        """The documented crash window: the state was not saved after publishing."""
        return self.summary.get("state", {}).get("written") is False and any(
            e.startswith("state not saved") for e in self.summary.get("errors", []))

    def line(self) -> str:
        s = self.summary
        return (f"run {self.index} {self.now:%H:%M} ({self.seconds:.2f} s) {self.step} -> outcome={s.get('outcome')} "
                f"written={s.get('state', {}).get('written')} published={s.get('messages_published')} "
                f"failed={s.get('messages_failed')} errors={s.get('errors')} alerts={self.alerts}")


class World:
    def __init__(self, emu: CloudEmulator, clock: Clock, history: History) -> None:
        self.emu, self.clock, self.history = emu, clock, history
        self.tasks: dict[str, Known] = {}
        self.serial = 0
        for service in SERVICES:  # the emulator's seeded example tasks
            for task in emu.tasks(service):
                self.tasks[self.key(service, task["id"])] = Known(service, task["id"], task["created"],
                                                                  task["status"])

    @staticmethod
    def key(service: str, task_id: str) -> str:
        return task_key(service, task_id)

    def add(self, service: str, status: str, created: datetime) -> None:
        self.serial += 1
        n = self.serial
        ended = None if status == "Running" else min(created + timedelta(minutes=2), self.clock())
        task_id = self.emu.add_task(service, name=f"Task{n % 7}", status=status, created=created, ended=ended,
                                    instance_id=f"inst-{n}", instance_name=f"db-{n}",
                                    fail_reason=f"reason {n}" if status == "Failed" else None)
        self.tasks[self.key(service, task_id)] = Known(service, task_id, created, status)

    def apply(self, change: Event) -> None:
        now = self.clock()
        if isinstance(change, NewTasks):
            for _ in range(change.count):
                self.add(change.service, change.status, now - change.age)
            return
        running = sorted(k for k, t in self.tasks.items() if t.status == "Running" and not t.removed)
        if running:
            task = self.tasks[running[change.pick % len(running)]]
            self.emu.update_task(task.service, task.id, status=change.status, ended=now,
                                 fail_reason="settled: failed" if change.status == "Failed" else None)
            task.status = change.status

    def arm_arrival(self, arrival: ArriveWhilePaging) -> None:
        calls = [0]
        lock = threading.Lock()  # pages may be fetched in parallel

        def before_answer(call: str, query: dict[str, str]) -> None:
            if call != f"{arrival.service}.list" or query.get("status") != "Failed":
                return
            with lock:
                calls[0] += 1
                if calls[0] != arrival.nth_call:
                    return
                visible = self.clock() - timedelta(seconds=self.history.visibility_delay + 1)
                for _ in range(arrival.count):
                    self.add(arrival.service, arrival.status, visible)
                present = sorted(k for k, t in self.tasks.items() if t.service == arrival.service and not t.removed)
                for key in present[: arrival.remove]:
                    self.emu.remove_task(arrival.service, self.tasks[key].id)
                    self.tasks[key].removed = True

        self.emu.before_answer = before_answer

    def arm_fault(self, fault: RunFault | None) -> FakeContext:
        if isinstance(fault, SmnDown):
            self.emu.faults.add(Fault(call="smn.publish", kind="500", times=None, after=fault.after))
        elif isinstance(fault, ObsPutFails):
            self.emu.faults.add(Fault(call="obs.put", kind="500", times=None, after=fault.after))
        elif isinstance(fault, ObsGetFails):
            self.emu.faults.add(Fault(call="obs.get", kind="500", times=None, after=fault.after))
        elif isinstance(fault, SourceFails):
            self.emu.faults.add(Fault(call=f"{fault.service}.{fault.call}", kind=fault.kind, times=None,
                                      after=fault.after))
        elif isinstance(fault, CutShort):
            return FakeContext(budget_ms=fault.budget_ms)
        return FakeContext()

    def run(self, index: int, step: Step) -> RunRecord:
        self.clock.value += RUN_EVERY
        for change in step.events:
            self.apply(change)
        if step.arrival is not None:
            self.arm_arrival(step.arrival)
        context = self.arm_fault(step.fault)
        before = len(self.emu.smn_messages)
        started = time.monotonic()
        try:
            summary = invoke(context=context)
        finally:
            self.seconds = time.monotonic() - started
            self.emu.faults.clear()
            self.emu.before_answer = None
        record = RunRecord(index, self.clock(), step, summary, {k: t.status for k, t in self.tasks.items()},
                           seconds=self.seconds)
        for message in self.emu.smn_messages[before:]:
            record.alerts += alert_items(http_document(message))
        return record

    def state_problem(self) -> str | None:
        data = self.emu.obs_objects.get((BUCKET, STATE_KEY))
        if data is None:
            return None
        try:
            State.from_bytes(data)
        except Exception as exc:  # StateError, or anything else the parser lets escape
            return f"{type(exc).__name__}: {exc}"
        return None


# ---- the property ----------------------------------------------------------------------------------------

def environment(emu: CloudEmulator, history: History) -> dict[str, str]:
    return function_environment(
        emu, TASKWATCH_SERVICES=",".join(SERVICES),  # RDS is opt-in
        TASKWATCH_MAX_MESSAGES_PER_RUN=str(history.max_messages),
        TASKWATCH_MAX_ALERTS_PER_MESSAGE=str(history.max_alerts),
        TASKWATCH_STUCK_AFTER="1h" if history.stuck else "0")


def check(world: World, records: list[RunRecord]) -> list[str]:
    """Every broken guarantee, as one line each."""
    problems: list[str] = []
    publications: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)
    for record in records:
        seen_in_run: set[tuple[str, str]] = set()
        for key, kind, listed_status in record.alerts:
            status = record.statuses.get(key)
            if status is None:
                problems.append(f"run {record.index}: alert for unknown task {key}")
            elif kind == "failed" and status != "Failed":
                problems.append(f"run {record.index}: {status} task {key} alerted as failed")
            elif kind == "stuck" and status != "Running":
                # Not one of the guarantees: a stuck alert that waited (publish failed, or the per-run cap)
                # goes out even if the task has ended meanwhile. Counted, not failed.
                event("a stuck alert went out for a task that had ended meanwhile")
            if kind == "failed" and listed_status not in (None, "Failed"):
                problems.append(f"run {record.index}: failed alert for {key} lists status {listed_status}")
            if (key, kind) in seen_in_run:
                problems.append(f"run {record.index}: {key} alerted twice ({kind}) in one run")
                continue
            seen_in_run.add((key, kind))
            publications[(key, kind)].append(record)
    for (key, kind), runs in publications.items():
        for earlier, later in itertools.pairwise(runs):
            event("a key alerted again after its state was lost (the crash window)")
            if not earlier.state_lost:
                problems.append(f"{key} alerted ({kind}) again in run {later.index} after run {earlier.index}, "
                                "which saved its state")
    end = world.clock()
    horizon = max(end + CLOCK_SKEW - LOOKBACK, end - world.emu.retention)
    visible_until = end - timedelta(seconds=world.history.visibility_delay)
    for key, task in sorted(world.tasks.items()):
        if task.status == "Failed" and not task.removed and horizon <= task.created <= visible_until \
                and (key, "failed") not in publications:
            problems.append(f"missed: Failed task {key} (created {task.created:%m-%d %H:%M}) never alerted")
    return problems


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(history=histories())
def test_alert_guarantees_hold_over_random_histories(history: History) -> None:
    clock = Clock(datetime.now(timezone.utc).replace(microsecond=0))
    with pytest.MonkeyPatch.context() as mp, \
            CloudEmulator(ak=AK, sk=SK, project_id=PROJECT, region=REGION, topic_urns=[TOPIC], buckets=[BUCKET],
                          now=clock, visibility_delay=history.visibility_delay) as emu, \
            simulated_function(mp, environment(emu, history), clock):
        world = World(emu, clock, history)
        for change in history.initial:
            world.apply(change)
        plan = list(history.steps) + [Step()] * TAIL_RUNS
        if history.burst is not None:
            at, tasks = history.burst
            if at < 0:
                world.apply(tasks)
            else:
                plan[at] = Step((*plan[at].events, tasks), plan[at].arrival, plan[at].fault)
        records: list[RunRecord] = []
        problems: list[str] = []
        for index, step in enumerate(plan, start=1):
            records.append(world.run(index, step))
            if (problem := world.state_problem()) is not None:
                problems.append(f"run {index}: saved state does not parse: {problem}")
        for record in records:
            for source in record.summary.get("sources", []):
                if source["pages"] > 1:
                    event("a listing spanned several pages")
                if source.get("skipped"):
                    event("the deadline cut a listing short")
                if not source["complete"]:
                    event("a listing was incomplete (pages shifted, or a list fault)")
            if record.state_lost and record.alerts:
                event("SMN accepted alerts, then the state was not saved")
        problems += check(world, records)
        problems += [f"emulator error: {e.splitlines()[-1]}" for e in emu.errors]
        assert not problems, "\n".join(problems + ["", "history:"] + [r.line() for r in records])
