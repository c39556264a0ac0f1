"""A simulated month: the real handler on 5-minute timers against the emulator, with random faults every run.

Why: each guarantee has its own test, but a month of runs is where they meet: an outage that starts while a
publish is pending, a crash right after a state reset, shards while a source is down. The soak drives the
real handler (so a raised invocation, the platform's error count, is observable) over real HTTP, on a
simulated clock (tests/simulation.py), and keeps a ledger (ledger.py) of every failure the fake task centers
produced and of everything SMN accepted. Reproducible: one seed draws the whole month.

Faults a run may draw (`SoakOptions.faults`, one per run, some lasting several runs):
  throttle          429 on a service's list calls, 1-3 times (within the retries)
  server_error      a task-center outage: 500/503 on every call of one service for 1-12 runs
  timeout           one list call answered after the HTTP timeout (shortened for that invocation, as a
                    FunctionGraph variable, so the retry after it costs a fraction of a second)
  slow              every API slow (latency) under a short invocation budget
  obs_outage        OBS answers 503 for 1-8 runs (state unreadable and unsavable)
  encrypted_bucket  the state bucket's default encryption changes (SSE-KMS, SSE-OBS or none)
  crash_after_publish  the state write after accepted publishes fails (the lease written before succeeds)
  smn_answer_lost   SMN accepts a message but its answer is cut off
  smn_down          SMN answers 500 for 1-4 runs
  overlap           two invocations of the same timer at once, on one state
  shards            two timers narrowed by user_event {"services": ...}, on one state
  bad_values        a Failed record with an out-of-range ended time or wrong types, left in the listing
The TaurusDB `offset` reading the emulator follows is a parameter of the whole soak (`offset_reading`).
"""

from __future__ import annotations

import cProfile
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import taskwatch.lease as lease_module
from index import handler

from tests.emulator import Fault, render
from tests.emulator.remote import RemoteEmulator
from tests.fixtures import AK, BUCKET, PROJECT, REGION, SK, TOPIC, FakeContext, timer_event
from tests.simulation import RUN_EVERY, Clock, function_environment, simulated_function, task_key

from .ledger import Invocation, Ledger

SERVICES = ("taurusdb", "gaussdb", "dds")
FAULTS = ("throttle", "server_error", "timeout", "slow", "obs_outage", "encrypted_bucket", "crash_after_publish",
          "smn_answer_lost", "smn_down", "overlap", "shards", "bad_values")
# Relative weights: the kinds that wait in real time (a timeout about 0.5 s, a slow run up to its 1.6 s budget)
# are drawn less often.
WEIGHTS = {"timeout": 0.1, "slow": 0.5}
SHARD_EVENTS = ({"services": "taurusdb"}, {"services": "gaussdb,dds"})
HTTP_TIMEOUT = 2.0  # seconds, TASKWATCH_HTTP_TIMEOUT of every run: ample for the emulator on a loaded machine
# A "timeout" run gets a short TASKWATCH_HTTP_TIMEOUT through the context's user data (FunctionGraph's
# encrypted variables, which override the environment), and the delayed answer comes just after it: the
# read timeout fires on the wire and the call is retried, in well under a second of real time.
TIMEOUT_RUN_HTTP_TIMEOUT = 0.4
TIMEOUT_DELAY = 0.55
SLOW_LATENCY = 0.03
# Waits that only stretch the month, shortened where nothing depends on their length (README "Time"):
# - 5xx back-offs (0.5 s and 1.5 s in production, 10-20 ms in tests/simulation.py): an outage retries every
#   list call twice, about 2,000 back-offs a month;
# - the lease's settle floor (lease.SETTLE_FLOOR, 50 ms): waited on every save, a third of the runs, but it
#   only matters when another invocation may write the lease meanwhile, so it is kept in the runs where two
#   invocations overlap; the others wait 3 x their lease PUT's round trip with a 5 ms floor.
SERVER_BACKOFF = (0.002, 0.004)
SETTLE_FLOOR_ALONE = 0.005
# Three days, not the default month: tasks leave the listings and their entries are pruned during the month
# (with a 30-day lookback nothing would, in 30 days), and each run lists three days of tasks rather than up to
# a month's (README "Time"). A task is listed by its creation time, so one that fails after leaving the
# window is never seen (the documented limit of TASKWATCH_LOOKBACK): the soak's Running tasks settle in 3-5 h
# on average, at most 38 h (seeds 1-3), well inside. `--set TASKWATCH_LOOKBACK=30d` runs the default.
LOOKBACK = "3d"
START = datetime(2026, 11, 1, tzinfo=timezone.utc)
PRODUCTION_SETTLE_FLOOR = lease_module.SETTLE_FLOOR


@dataclass(frozen=True)
class SoakOptions:
    runs: int = 8640  # 30 days of 5-minute timers
    seed: int = 1
    offset_reading: str = "page"  # the emulator's TaurusDB `offset` reading
    faults: tuple[str, ...] = FAULTS
    fault_rate: float = 0.3  # share of runs that draw a fault
    new_task_rate: float = 0.04  # chance, per run and service, that a task starts
    tail_runs: int = 6  # fault-free runs after the month, so what the last faults delayed can go out
    blind_after: int = 3
    environment: dict[str, str] = field(default_factory=dict)  # extra TASKWATCH_* settings
    sharded: bool = False  # every tick fires the shard timers (SHARD_EVENTS) instead of one full timer
    profile_runs: tuple[int, int] | None = None  # (first, last) run to profile with cProfile
    profile_out: str = "soak.prof"  # where the profile of those runs is written (pstats format)
    # Runs before this one only move the world (tasks, faults) and invoke nothing: a quick way to time or
    # profile late-month runs. The ledger then finds problems (what the skipped runs did not publish).
    first_invoked: int = 1


@dataclass
class Outage:
    fault: Fault
    until: int  # last run it lasts through
    name: str


class Month:
    """The world of one soak: emulator, clock, the tasks the soak made, the faults in force, the ledger."""

    def __init__(self, emu: RemoteEmulator, clock: Clock, options: SoakOptions) -> None:
        self.emu, self.clock, self.options = emu, clock, options
        self.rng = random.Random(options.seed)
        self.ledger = Ledger(blind_after=options.blind_after)
        self.running: list[tuple[str, str]] = []  # (service, id) of Running tasks
        self.outages: list[Outage] = []
        self.serial = 0
        self.weights = [WEIGHTS.get(name, 1.0) for name in options.faults]

    # ---- the task centers -----------------------------------------------------------------------------
    def produce(self, run: int) -> None:
        """New tasks and settling ones: what the task centers do in the 5 minutes before a run."""
        now = self.clock()
        for service in SERVICES:
            if self.rng.random() < self.options.new_task_rate:
                status = self.rng.choice(["Failed", "Failed", "Running", "Completed"])
                created = now - timedelta(seconds=self.rng.randint(0, 240))
                task_id = self.add(service, status, created)
                key = task_key(service, task_id)
                if status == "Failed":
                    self.ledger.failure(key, source(service), now, run)
                else:
                    self.ledger.other_keys.add(key)
                if status == "Running":
                    self.running.append((service, task_id))
        if self.running and self.rng.random() < 0.05:
            service, task_id = self.running.pop(self.rng.randrange(len(self.running)))
            status = self.rng.choice(["Failed", "Completed"])
            self.emu.update_task(service, task_id, status=status, ended=now,
                                 fail_reason="settled: failed" if status == "Failed" else None)
            if status == "Failed":
                self.ledger.failure(task_key(service, task_id), source(service), now, run)

    def add(self, service: str, status: str, created: datetime) -> str:
        self.serial += 1
        n = self.serial
        ended = None if status == "Running" else min(created + timedelta(minutes=2), self.clock())
        return self.emu.add_task(service, name=f"Task{n % 7}", status=status, created=created, ended=ended,
                                 instance_id=f"inst-{n}", instance_name=f"db-{n}",
                                 fail_reason=f"reason {n}" if status == "Failed" else None)

    def bad_record(self, run: int) -> None:
        """A Failed record the schema must reject: an instant out of range, or a value of the wrong type."""
        service = self.rng.choice(SERVICES)
        task_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        now = self.clock()
        canonical = {"id": task_id, "name": "CreateInstance", "status": "Failed", "created": now - timedelta(minutes=1),
                     "ended": now, "progress": "", "instance_id": f"bad-{task_id[:8]}", "instance_name": "db-bad",
                     "instance_status": None, "fail_reason": "bad value", "entities": None}
        item = getattr(render, f"{service}_list_item")(canonical)
        ended_field = {"taurusdb": "ended_time", "gaussdb": "ended_at", "dds": "ended_at"}[service]
        variant = self.rng.choice(["far_future", "wrong_type_reason", "wrong_type_ended"])
        if variant == "far_future":
            item[ended_field] = "9999-12-31T23:59:59-0800"
        elif variant == "wrong_type_reason":
            item["fail_reason"] = {"code": 7}
        else:
            item[ended_field] = 1_700_000_000
        self.emu.raw_item(service, None, item)
        self.ledger.bad_records[task_id] = run

    # ---- faults ---------------------------------------------------------------------------------------
    def draw(self, run: int) -> str | None:
        if not self.options.faults or self.rng.random() >= self.options.fault_rate:
            return None
        name = self.rng.choices(self.options.faults, weights=self.weights)[0]
        self.ledger.fault_counts[name] += 1
        self.ledger.fault_by_run[run] = name
        return name

    def arm(self, run: int, name: str | None) -> tuple[list[Any], float, bool, dict[str, str]]:
        """Arm this run's faults; returns (user events to invoke, invocation budget in ms, concurrently,
        settings the invocation's context serves as user data)."""
        faults: list[Fault] = []
        latency = 0.0
        self.outages = [o for o in self.outages if o.until >= run]
        service = self.rng.choice(SERVICES)
        events: list[Any] = list(SHARD_EVENTS) if self.options.sharded else [None]
        budget, together = 60_000.0, False
        settings: dict[str, str] = {}
        if name == "throttle":
            faults.append(Fault(call=f"{service}.list", kind="429", times=self.rng.randint(1, 3)))
        elif name == "server_error":
            fault = Fault(call=f"{service}.*", kind=self.rng.choice(["500", "503"]), times=None)
            self.outages.append(Outage(fault, run + self.rng.randint(0, 11), name))
        elif name == "timeout":
            faults.append(Fault(call=f"{service}.list", kind="timeout", times=1, delay=TIMEOUT_DELAY))
            settings["TASKWATCH_HTTP_TIMEOUT"] = str(TIMEOUT_RUN_HTTP_TIMEOUT)
        elif name == "slow":
            latency = SLOW_LATENCY
            budget = float(self.rng.randint(1050, 1600))  # TASKWATCH_RESERVE is 1 s
        elif name == "obs_outage":
            self.outages.append(Outage(Fault(call="obs.*", kind="503", times=None), run + self.rng.randint(0, 7), name))
        elif name == "encrypted_bucket":
            self.encrypt_bucket()
        elif name == "crash_after_publish":
            faults.append(Fault(call="obs.put", kind="500", times=None, after=1))
        elif name == "smn_answer_lost":
            faults.append(Fault(call="smn.publish", kind="truncated", times=1))
        elif name == "smn_down":
            fault = Fault(call="smn.publish", kind="500", times=None)
            self.outages.append(Outage(fault, run + self.rng.randint(0, 3), name))
        elif name == "overlap":
            events, together = events + events, True
        elif name == "shards":
            events = list(SHARD_EVENTS)
        elif name == "bad_values":
            self.bad_record(run)
        for outage in self.outages:
            faults.append(outage.fault)
            if outage.name == "smn_down":
                self.ledger.smn_down_runs.add(run)
        self.emu.arm(faults, latency)  # one round trip; it also brings the emulator's clock to this run
        return events, budget, together, settings

    def encrypt_bucket(self) -> None:
        """The owner switches the state bucket's default encryption (SSE-KMS or SSE-OBS, or back to none):
        from this run on the ETags of the state and the lease are no longer their MD5."""
        modes = [None, "kms", "obs"]
        modes.remove(self.emu.objects.encryption)
        self.emu.objects.set_encryption(self.rng.choice(modes))

    # ---- runs -----------------------------------------------------------------------------------------
    def run(self, run: int, name: str | None, invoked: bool = True) -> None:
        self.clock.value += RUN_EVERY
        self.produce(run)
        events, budget, together, settings = self.arm(run, name)
        if not invoked:
            events, together = [], False
        lease_module.SETTLE_FLOOR = PRODUCTION_SETTLE_FLOOR if together else SETTLE_FLOOR_ALONE
        now = self.clock()
        results: list[Invocation] = []

        def invoke(user_event: Any) -> None:
            context = FakeContext(budget_ms=budget, user_data=dict(settings))
            try:
                summary = handler(timer_event(user_event), context)
                results.append(Invocation(run, now, summary))
            except Exception as exc:  # the platform counts an error: the Cloud Eye alarm's signal
                results.append(Invocation(run, now, None, raised=f"{type(exc).__name__}: {exc}"[:300]))

        if together:
            threads = [threading.Thread(target=invoke, args=(e,)) for e in events]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        else:
            for user_event in events:
                invoke(user_event)
        # Only the SMN publish records are read; taken and reset in one round trip (each run's records stay small).
        messages, requests = self.emu.take_records(calls=("smn.publish",))
        if any(r["call"] == "smn.publish" and r["fault"] in ("truncated", "timeout") for r in requests):
            self.ledger.answer_lost_runs.add(run)
        self.ledger.messages(run, now, messages)
        for invocation in results:
            self.ledger.invocation(invocation)
        self.ledger.runs = run


def source(service: str) -> str:
    return f"{REGION}/{PROJECT}/{service}"


@contextmanager
def simulated_month(options: SoakOptions) -> Iterator[Month]:
    """The emulator (in a child process: README "Time") on the simulated clock, the function pointed at it, no
    seeded example tasks."""
    clock = Clock(START)
    with pytest.MonkeyPatch.context() as mp, \
            RemoteEmulator(ak=AK, sk=SK, project_id=PROJECT, region=REGION, topic_urns=[TOPIC], buckets=[BUCKET],
                           now=clock, seed_examples=False, taurusdb_offset_mode=options.offset_reading) as emu:
        settings = {"TASKWATCH_HTTP_TIMEOUT": str(HTTP_TIMEOUT), "TASKWATCH_BLIND_AFTER": str(options.blind_after),
                    "TASKWATCH_LOOKBACK": LOOKBACK, **options.environment}
        mp.setattr(lease_module, "SETTLE_FLOOR", PRODUCTION_SETTLE_FLOOR)  # set per run (Month.run), restored after
        with simulated_function(mp, function_environment(emu, **settings), clock, server_backoff=SERVER_BACKOFF):
            yield Month(emu, clock, options)


@dataclass
class SoakResult:
    totals: dict[str, Any]
    problems: list[str]
    seconds: float
    ledger: Ledger = field(repr=False)


def soak(options: SoakOptions, progress: Callable[[int, float], None] | None = None) -> SoakResult:
    """Run the month (and the fault-free tail), then check the ledger."""
    started = time.monotonic()
    profiler = cProfile.Profile() if options.profile_runs else None
    with simulated_month(options) as month:
        for run in range(1, options.runs + 1):
            profiling = profiler is not None and options.profile_runs[0] <= run <= options.profile_runs[1]
            if profiling:
                profiler.enable()
            month.run(run, month.draw(run), invoked=run >= options.first_invoked)
            if profiling:
                profiler.disable()
            if progress is not None and run % 500 == 0:
                progress(run, time.monotonic() - started)
        month.outages.clear()
        for run in range(options.runs + 1, options.runs + options.tail_runs + 1):
            month.run(run, None)
        end = month.clock()
        problems = month.ledger.problems(end)
        problems += [f"emulator error: {e.strip().splitlines()[-1]}" for e in month.emu.errors]
        totals = month.ledger.totals(end)
    if profiler is not None:
        profiler.dump_stats(options.profile_out)
    totals["runs"] = options.runs
    totals["tail runs"] = options.tail_runs
    return SoakResult(totals, problems, time.monotonic() - started, month.ledger)
