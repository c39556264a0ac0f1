"""One run, end to end: state in, task centers queried, decisions, messages out, state saved.

The order is the guarantee: a failure is marked notified only after SMN accepted its message, and the
state is saved last. A run that dies between an accepted publish and the save repeats that message on the
next run (the one duplicate the design allows; the message's dedup key identifies it).

Containment: an exception while handling one record, page, task or source is recorded against it (a
violation with its path, or a source error) and the rest goes on. Shards: a run changes per-source data
(health, pending alerts, give-up, pruning) only for the sources it watches, and for sources no longer
configured at all; another trigger's sources on the same state are left as they are.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import decide, health
from .agencies import AgencyCredentials
from .config import Config
from .credentials import Credentials, registered
from .deadline import OBS_CALL, Deadline
from .errors import OutOfTime, PublishError, SourceError, StateError, TaskwatchError
from .lease import Lease, lease_term
from .logs import get_logger
from .messages import Message, alert_message, notice_message
from .publish import SmnPublisher
from .retry import RetryPolicy
from .sanitize import one_line, scrub
from .sources import SPECS, Listing, TaskCenter, Violation, detail_wanted
from .sources.readings import first_reading, remember_reading
from .sources.time_units import remember_unit, remembered_unit
from .state import StateStore, open_store
from .state.document import State, entry_source, fold_notices, size_notice
from .state.shards import start_from_shared
from .tasks import SERVICE_TITLES, Target, Task
from .timeutil import iso, utcnow
from .warm import SHELF

VIOLATION_SAMPLES = 20
PUBLISH_WORKERS = 4  # SMN publishes in flight at once
CLOCK_SKEW = timedelta(minutes=5)
MAX_CURSORS = 100  # reading-order cursors kept (one per set of watched sources)
GIVEN_UP_TEXT = 3000  # characters of task keys listed in a "given up" notice (its text holds 4000)
COMMIT_ATTEMPTS = 3  # decisions and commit tried again when another run saved the state or held the lease
RETRY_PAUSE = 0.5  # seconds before trying again: the other run's commit (publish and save) is under way
PUBLISH_STALLED = "alerts not published"  # an error line that fails the invocation (see stalled_alerts)
CUT_SHORT = "not read completely: the run's time ran out first (cut short by the deadline)"


@dataclass
class SourceReport:
    source: str
    ok: bool = True
    complete: bool = True
    tasks: int = 0
    pages: int = 0
    error: str | None = None
    skipped: bool = False  # cut short by the deadline: counts towards "monitor blind" like a failure
    anomalies: list[str] = field(default_factory=list)
    offset_reading: str | None = None  # what `offset` means there, as a complete listing confirmed
    time_unit: str | None = None  # RDS: the unit of the query times the listings used (time_units.py)
    time_unit_confirmed: bool = False  # ... and whether a task inside the window confirmed it


@dataclass
class Settled:
    """Listed tasks that needed no decision, counted and let go as their pages arrived (Listing.settle):
    how many per reason, and the keys the state holds (still "listed" for drop_ended_stuck)."""

    counts: dict[str, int] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)
    baselines: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> entry, for "baseline"

    def add(self, listing: Listing) -> None:
        for reason, count in listing.settled.items():
            self.counts[reason] = self.counts.get(reason, 0) + count
        self.known.update(listing.known)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class RunContext:
    config: Config
    credentials: Credentials
    deadline: Deadline
    run_id: str
    now: datetime  # the run's start: every decision of the run uses this one instant
    policy: RetryPolicy
    log: Any
    clock: Callable[[], datetime] = utcnow  # the time now (the lease is stamped with it, not with `now`)
    slots: threading.Semaphore = field(default_factory=lambda: threading.BoundedSemaphore(8))
    agencies: AgencyCredentials | None = None  # other accounts' credentials, exchanged once per run (agencies.py)
    from_shared: bool = False  # this shard's state was started from the shared object (state/shards.py)

    @property
    def watched(self) -> list[str]:
        """The sources this trigger watches, in name order."""
        return sorted(source_name(t, s) for t in self.config.targets for s in t.services)

    def owns(self, source: str) -> bool:
        """May this run change `source`'s per-source data? Yes when it watches it, or when no trigger
        watches it any more (not configured at all); never for another shard's source."""
        if source in self._watched:
            return True
        configured = self.config.all_targets
        if configured is None:
            return False  # the full list is unknown: leave every other source alone
        return source not in {source_name(t, s) for t in configured for s in t.services}

    def __post_init__(self) -> None:
        self._watched = set(self.watched)


def source_name(target: Target, service: str) -> str:
    return f"{target.region}/{target.project_id}/{service}"


def shard_sources(ctx: RunContext) -> set[str]:
    """Every source of the selected shard, whatever services this trigger's user_event narrowed to: all
    triggers of a shard share its state object, and the first of them starts it for all of them."""
    configured = ctx.config.all_targets
    if configured is None or ctx.config.shard is None:
        return set(ctx.watched)
    return {source_name(t, s) for t in configured if t.shard == ctx.config.shard for s in t.services}


def statuses_to_list(config: Config, service: str) -> list[str]:
    """Alerting statuses the service knows, plus its running statuses when stuck detection is on; nothing
    else (a TaurusDB Pending task is neither a failure nor stuck, so it is not listed unless alerted on)."""
    spec = SPECS[service]
    wanted = [s for s in config.alert_statuses if s in spec.statuses]
    if config.stuck_after > 0:
        wanted += [s for s in spec.stuck_statuses if s not in wanted]
    return wanted


def load_state(store: StateStore, ctx: RunContext, summary: dict[str, Any]) -> tuple[State, str | None]:
    """Read the state (and its ETag); an unreadable one is kept aside, reported once, and replaced by a
    fresh baseline."""
    stored = store.read()
    ctx.from_shared = False
    if stored is None:
        # -- a shard's own state, first run: start from the shard's part of the shared object (state/shards.py)
        part = start_from_shared(ctx.config, ctx.credentials, ctx.deadline, shard_sources(ctx), iso(ctx.now) or "")
        if part is not None:
            ctx.from_shared = True
            ctx.log.info("no state at %s yet: starting from shard %s's part of %s (%d tasks)", store.uri,
                         ctx.config.shard, ctx.config.shared_state_uri, len(part.tasks))
            return part, None
        ctx.log.info("no state at %s: first run, existing failures will be baselined", store.uri)
        return State.new(ctx.now), None
    try:
        state = State.from_bytes(stored.data)
    except StateError as exc:
        label = "unreadable-" + ctx.now.strftime("%Y%m%dT%H%M%SZ")
        aside = store.keep_aside(stored.data, label) if not ctx.config.dry_run else "(dry run: not copied)"
        ctx.log.warning("state unreadable (%s); kept aside as %s, starting a fresh baseline", one_line(exc, 400),
                        one_line(aside))
        summary["errors"].append(f"state unreadable: {exc}")
        state = State.new(ctx.now)
        state.notices.append({"kind": "state_reset", "since": iso(ctx.now),
                              "text": f"The state object could not be used ({exc}). It was kept aside as {aside} "
                                      "and a fresh baseline was taken: failures older than TASKWATCH_BACKFILL "
                                      "were recorded without alerting."})
    return state, stored.etag


def query_sources(ctx: RunContext, state: State) -> tuple[list[Task], list[SourceReport], list[Violation],
                                                           dict[str, TaskCenter], Settled]:
    """List every (target, service, status) concurrently, within the connection pool and the deadline.

    Each page is taken as it arrives: tasks that need no decision on the state as read (a failure already
    reported, a task filtered out) are counted into `Settled` and let go, so a month of 30,000 remembered
    failures costs a count, not 30,000 Task objects. Should a retried commit decide on a state saved
    meanwhile by another run, that run has seen these tasks; one it had not would be decided by the next
    run, which lists it again."""
    centers: dict[str, TaskCenter] = {}
    jobs: list[tuple[TaskCenter, str, str | None]] = []
    reports: dict[str, SourceReport] = {}
    end = ctx.now + CLOCK_SKEW
    start = end - timedelta(seconds=ctx.config.lookback)
    by_name = {source_name(t, s): (t, s) for t in ctx.config.targets for s in t.services}
    if ctx.agencies is not None:  # other accounts: each agency's credentials once, before any listing
        ctx.agencies.prepare(t.agency for t in ctx.config.targets)
    for source in reading_order(ctx, state):
        target, service = by_name[source]
        reports[source] = SourceReport(source)
        try:
            center = make_center(ctx, target, service)
        except OutOfTime as exc:  # no time left even to obtain its agency's credentials: cut short
            reports[source].skipped, reports[source].complete, reports[source].error = True, False, str(exc)
            continue
        except TaskwatchError as exc:
            reports[source].ok, reports[source].error = False, str(exc)
            continue
        except Exception as exc:  # a defect in building one client: that source failed, the others go on
            reports[source].ok, reports[source].error = False, internal_error(exc, ctx)
            continue
        centers[source] = center
        center.time_unit = remembered_unit(state, source)
        reading = first_reading(state, source, service, ctx.config.taurusdb_offset_mode)
        jobs.extend((center, status, reading) for status in statuses_to_list(ctx.config, service))

    settled = Settled()
    unread = decide.unread_sources(state, ctx.watched)
    stamp, shared = iso(ctx.now) or "", {}
    Baselines = dict[str, dict[str, Any]]

    def list_one(job: tuple[TaskCenter, str, str | None]) -> tuple[str, Listing | None, Exception | None, Baselines]:
        center, status, reading = job
        kept: dict[str, dict[str, Any]] = {}  # this listing's own: a listing that fails counts none of them

        def settle(task: Task) -> str | None:
            verdict = decide.settled_outcome(state, task, ctx.config, ctx.now, unread)
            if verdict == "baseline":
                kept[task.key] = decide.baseline_entry(task, stamp, shared)
            return verdict

        try:
            listing = center.list_tasks(status, start, end, reading, settle)
        except (SourceError, OutOfTime) as exc:
            return center.source, None, exc, {}
        except Exception as exc:  # contained: recorded against this source, the others go on
            return center.source, None, SourceError(internal_error(exc, ctx), kind="internal"), {}
        return center.source, listing, None, kept

    tasks: list[Task] = []
    violations: list[Violation] = []
    with ThreadPoolExecutor(max_workers=ctx.config.concurrency, thread_name_prefix="list") as pool:
        for source, listing, error, kept in pool.map(list_one, jobs):
            report = reports[source]
            if error is not None:
                if isinstance(error, OutOfTime):
                    report.skipped, report.complete = True, False
                    report.error = report.error or str(error)
                else:
                    report.ok = False
                    report.error = report.error or str(error)
                continue
            assert listing is not None
            tasks.extend(listing.tasks)
            settled.add(listing)
            settled.baselines.update(kept)
            violations.extend(listing.violations)
            report.tasks += listing.listed
            report.pages += listing.pages
            report.complete = report.complete and listing.complete
            report.anomalies.extend(listing.anomalies)
            if listing.complete and listing.reading:
                report.offset_reading = listing.reading
            if listing.time_unit and (listing.time_unit_confirmed or not report.time_unit_confirmed):
                report.time_unit, report.time_unit_confirmed = listing.time_unit, listing.time_unit_confirmed
    # reported in configured order
    return tasks, [reports[source] for source in by_name], violations, centers, settled


def internal_error(exc: BaseException, ctx: RunContext) -> str:
    """One scrubbed line for an unforeseen exception contained to one source, task or detail."""
    return f"internal error: {type(exc).__name__}: {one_line(scrub(str(exc)), 200)}"


def shard_key(ctx: RunContext) -> str:
    """Names the set of sources this trigger watches (shards on one state keep separate cursors)."""
    return hashlib.sha256(",".join(ctx.watched).encode("utf-8")).hexdigest()[:16]


def reading_order(ctx: RunContext, state: State) -> list[str]:
    """The watched sources, rotated to start at this shard's cursor: jobs are started in this order, so
    when time runs short a different source waits each time rather than the same one every run."""
    watched = ctx.watched
    if not watched:
        return []
    start = state.cursors.get(shard_key(ctx), 0) % len(watched)
    return watched[start:] + watched[:start]


def advance_cursor(ctx: RunContext, state: State, cut_short: list[SourceReport]) -> None:
    """Move the cursor on after a run that the deadline cut short (steady runs leave the state unchanged)."""
    if not cut_short or not ctx.watched:
        return
    key = shard_key(ctx)
    state.cursors[key] = (state.cursors.get(key, 0) + 1) % len(ctx.watched)
    while len(state.cursors) > MAX_CURSORS:
        del state.cursors[next(iter(state.cursors))]


def make_center(ctx: RunContext, target: Target, service: str) -> TaskCenter:
    spec = SPECS[service]
    # A target in another account is read with its agency's temporary credentials (SourceError if not obtained).
    credentials = ctx.agencies.for_agency(target.agency) if ctx.agencies is not None else ctx.credentials
    return TaskCenter(spec, target, ctx.config.endpoint(service, target.region), credentials, ctx.policy,
                      ctx.deadline, ctx.config.http_timeout, slots=ctx.slots)


def observe_each(ctx: RunContext, state: State, tasks: list[Task], violations: list[Violation],
                 settled: Settled | None = None) -> decide.Observations:
    """decide.observe, one task at a time: a task that cannot be handled is reported, the others go on.
    The tasks let go while listing count as observe() would have counted them."""
    total = decide.Observations()
    first_reading = decide.unread_sources(state, ctx.watched)  # before this run records any task
    if settled is not None:
        total.failures_seen = settled.counts.get("failure", 0)
        total.filtered = settled.counts.get("filtered", 0)
        for key, entry in settled.baselines.items():
            # Decided while listing, on the state as read. A retried commit's state, saved meanwhile by
            # another run, may hold the task or have read its source: that run has seen it (as with the
            # other settled tasks), and the next run lists it again.
            total.failures_seen += 1
            if key not in state.tasks and (state.fresh or entry_source(entry) in first_reading):
                state.tasks[key] = dict(entry)
                total.baselined += 1
    for task in tasks:
        try:
            found = decide.observe(state, (task,), ctx.config, ctx.now, first_reading)
        except Exception as exc:
            violations.append(Violation(task.source, "handle", f"task {task.key}"[:300], internal_error(exc, ctx),
                                        task.id))
            continue
        total.failures_seen += found.failures_seen
        total.new_failures += found.new_failures
        total.new_stuck += found.new_stuck
        total.baselined += found.baselined
        total.filtered += found.filtered
    return total


def fetch_details(ctx: RunContext, state: State, tasks_by_key: dict[str, Task], centers: dict[str, TaskCenter],
                  details: dict[str, Task | None]) -> tuple[int, list[Violation], list[str]]:
    """The detail call, once per new failure (not for tasks already notified or already detailed), and only
    where it adds something the list item lacks (sources.detail_wanted: TaurusDB's entities, or a missing
    reason or instance); for the others the list item is the detail. `details` keeps what earlier attempts
    of this run fetched (None: the call failed): applied again, never re-asked."""
    needed = [key for key in decide.needs_detail(state) if key in tasks_by_key]
    for key in [key for key in needed if not detail_wanted(SPECS[tasks_by_key[key].service], tasks_by_key[key])]:
        decide.apply_detail(state, tasks_by_key[key])  # the list item said all the detail would
    needed = [key for key in needed if detail_wanted(SPECS[tasks_by_key[key].service], tasks_by_key[key])]
    for key in needed:
        earlier = details.get(key)
        if earlier is not None:
            decide.apply_detail(state, earlier)
    wanted = [(key, centers[tasks_by_key[key].source]) for key in needed
              if key not in details and tasks_by_key[key].source in centers]

    def one(job: tuple[str, TaskCenter]) -> tuple[str, Task | None, list[Violation], str | None]:
        key, center = job
        try:
            task, found = center.detail(tasks_by_key[key])
            return key, task, found, None
        except (SourceError, OutOfTime) as exc:
            return key, None, [], f"detail of {key}: {exc}"
        except Exception as exc:  # contained: the alert goes out with what the list said
            return key, None, [], f"detail of {key}: {internal_error(exc, ctx)}"

    violations: list[Violation] = []
    errors: list[str] = []
    done = 0
    with ThreadPoolExecutor(max_workers=ctx.config.concurrency, thread_name_prefix="detail") as pool:
        for _key, task, found, error in pool.map(one, wanted):
            violations.extend(found)
            details[_key] = task
            if task is not None:
                try:
                    decide.apply_detail(state, task)
                except Exception as exc:
                    errors.append(f"detail of {_key}: {internal_error(exc, ctx)}")
                    continue
                done += 1
            elif error:
                errors.append(error)
    return done, violations, errors


def health_messages(ctx: RunContext, state: State, reports: list[SourceReport]) -> list[Message]:
    """Health of each watched source. A source cut short by the deadline counts like a failing one: a source
    that is never read completely is as unwatched as one that answers with errors."""
    messages: list[Message] = []
    for report in reports:
        failed = not report.ok or not report.complete
        error = report.error or ("; ".join(report.anomalies) or None)
        if report.skipped and report.ok:
            error = f"{CUT_SHORT} ({error})" if error else CUT_SHORT
        event = health.record_source(state, report.source, not failed, error, ctx.now, ctx.config.blind_after)
        if event is None:
            continue
        region, project_id, service = report.source.split("/")
        title = SERVICE_TITLES[service]
        if event == "blind":
            runs = state.sources[report.source]["consecutive_failures"]
            headline = f"monitor blind: {title} task center in {region} unreadable for {runs} runs"
            text = (f"taskwatch could not read the {title} task center of project {project_id} in {region} "
                    f"completely for {runs} consecutive runs. Failures there are NOT being reported until it "
                    "recovers.\n"
                    f"Last error: {one_line(error or 'unknown', 400)}")
        else:
            headline = f"recovered: {title} task center in {region} readable again"
            text = (f"taskwatch reads the {title} task center of project {project_id} in {region} again. "
                    "Failures that happened meanwhile are reported now, if the task center still holds them.")
        messages.append(notice_message(event, headline, text, source=report.source, service=service,
                                       region=region, run_id=ctx.run_id))
    return messages


def notice_messages(ctx: RunContext, state: State) -> list[Message]:
    titles = {"state_reset": "state was unreadable, fresh baseline taken", "baseline": "first run baseline taken",
              "given_up": "alerts given up after repeated publish failures",
              "state_large": "state object is large",
              "folded": "earlier notices, folded into one"}
    return [notice_message("notice", titles.get(n["kind"], n["kind"]), n["text"], run_id=ctx.run_id,
                           notice_index=i) for i, n in enumerate(state.notices)]


def publish_all(ctx: RunContext, state: State, messages: list[Message], summary: dict[str, Any]) -> None:
    """Publish (a few at a time); mark each message's tasks only after SMN accepted it; failures stay pending."""
    if ctx.config.dry_run:
        for message in messages:
            ctx.log.info("dry run, would publish: %s", message.subject)
            ctx.log.info("dry run, text:\n%s", message.text)
        summary["messages_would_publish"] = len(messages)
        return
    publisher = SmnPublisher(ctx.config, ctx.credentials, ctx.deadline, ctx.policy)

    def attempt(message: Message) -> tuple[str | None, PublishError | None]:
        try:
            return publisher.publish(message), None
        except PublishError as exc:
            return None, exc

    with ThreadPoolExecutor(max_workers=PUBLISH_WORKERS, thread_name_prefix="publish") as pool:
        outcomes = list(pool.map(attempt, messages))
    done_notices: list[int] = []
    for message, (message_id, exc) in zip(messages, outcomes, strict=True):
        if exc is not None:
            summary["messages_failed"] += 1
            summary["errors"].append(f"publish {message.kind}: {exc}")
            ctx.log.warning("publish failed, will retry next run: %s (%s)", one_line(message.subject, 600),
                            one_line(exc, 400))
            decide.mark_failed(state, message.keys, str(exc))
            continue
        summary["messages_published"] += 1
        ctx.log.info("published %s %s: %s", message.kind, one_line(message_id, 100), one_line(message.subject, 600))
        decide.mark_published(state, message.keys, ctx.now)
        if message.kind in ("blind", "recovered") and message.source:
            health.mark_health_published(state, message.source, message.kind)
        elif message.kind == "heartbeat":
            state.heartbeat_at = iso(ctx.now)
        elif message.notice_index is not None:
            done_notices.append(message.notice_index)
    published_notices = set(done_notices)
    state.notices = [n for i, n in enumerate(state.notices) if i not in published_notices]


def new_summary(ctx: RunContext, trigger: str | None) -> dict[str, Any]:
    return {
        "run_id": ctx.run_id, "trigger": trigger, "dry_run": ctx.config.dry_run, "started": iso(ctx.now),
        "targets": len(ctx.config.targets), "sources": [], "tasks_seen": 0, "failures_seen": 0,
        "new_failures": 0, "new_stuck": 0, "baselined": 0, "filtered": 0, "details_fetched": 0,
        "messages_published": 0, "messages_failed": 0, "alerts_waiting": 0, "pending": 0, "given_up": 0,
        "schema_violations": 0, "violations": [], "errors": [],
        "state": {"uri": ctx.config.state_uri, "bytes": 0, "bytes_read": 0},
    }


def run(config: Config, credentials: Credentials, deadline: Deadline, *, trigger: str | None = None,
        now: datetime | None = None, run_id: str | None = None) -> dict[str, Any]:
    """Execute one run and return its summary (also logged as one JSON line by the caller).

    `now` injects the run's start instant (a simulated clock); the time later in the run is then that
    instant plus the time elapsed since, so the lease is stamped consistently with it."""
    started = time.monotonic()
    registered(credentials)  # callers that built the credentials themselves get scrubbed outputs too
    clock: Callable[[], datetime] = utcnow if now is None else (
        lambda: now + timedelta(seconds=time.monotonic() - started))
    ctx = RunContext(config, credentials, deadline, run_id or uuid.uuid4().hex[:12], now or utcnow(),
                     RetryPolicy(throttle_backoff=config.throttle_backoff), get_logger(), clock=clock,
                     slots=threading.BoundedSemaphore(config.concurrency))
    if any(t.agency is not None for t in config.targets):  # other accounts: IAM's host only when needed
        ctx.agencies = AgencyCredentials(credentials, config.endpoint("iam", config.obs_region), ctx.policy,
                                         deadline, config.http_timeout)
    try:
        return _run(ctx, started, trigger)
    finally:
        SHELF.give_back(deadline)  # the clients this run borrowed, for the next invocation (warm.py)


def _run(ctx: RunContext, started: float, trigger: str | None) -> dict[str, Any]:
    config, credentials, deadline = ctx.config, ctx.credentials, ctx.deadline
    summary = new_summary(ctx, trigger)
    store = open_store(config, credentials, deadline)
    state, etag = load_state(store, ctx, summary)

    tasks, reports, violations, centers, settled = query_sources(ctx, state)
    tasks_by_key = {task.key: task for task in tasks}
    details: dict[str, Task | None] = {}  # detail calls made so far (None: failed), kept for a retried commit
    for attempt in range(COMMIT_ATTEMPTS):
        if attempt:
            # Another run saved the state, or holds the lease, meanwhile: decide again on its state with
            # what this run read (no listing is repeated), so a shard whose neighbour saves every run is
            # not made to stand aside run after run.
            summary.pop("skipped", None)
            time.sleep(RETRY_PAUSE)
            state, etag = load_state(store, ctx, summary)
        summary["state"].update(bytes=state.stored_bytes, bytes_read=state.stored_bytes)
        decided = list(violations)
        observations, given_up, waiting, pruned, messages = decide_run(ctx, state, tasks, tasks_by_key, reports,
                                                                       decided, centers, details, summary, settled)
        if not commit(ctx, store, state, etag, messages, summary):
            break
        if ctx.deadline.time_left() <= 0:
            break  # no time for another try: the next run starts from the other run's state
    violations = decided

    summary.update(
        sources=[r.__dict__ for r in reports], tasks_seen=len(tasks) + settled.total,
        failures_seen=observations.failures_seen,
        new_failures=len(observations.new_failures), new_stuck=len(observations.new_stuck),
        baselined=observations.baselined, filtered=observations.filtered, alerts_waiting=waiting,
        pending=sum(1 for e in state.tasks.values() if e.get("alert")), given_up=len(given_up),
        schema_violations=len(violations), violations=[v.as_dict() for v in violations[:VIOLATION_SAMPLES]],
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    summary["state"].update(tasks=len(state.tasks), pruned=pruned)
    summary["errors"] += [f"{r.source}: {r.error}" for r in reports if r.error]
    stalled = stalled_alerts(ctx, state) if summary["messages_failed"] else 0
    if stalled:
        summary["errors"].append(f"{PUBLISH_STALLED}: {stalled} alerts not accepted by SMN for "
                                 f"{config.blind_after} runs or more (check the topic and smn:topic:publish)")
    summary["outcome"] = outcome(summary, reports)
    for v in violations[:VIOLATION_SAMPLES]:
        # Paths and task IDs come from the API's records: one line each, never a forged log line.
        ctx.log.warning("schema violation in %s %s%s: %s", v.source, v.call,
                        f" task {one_line(v.task_id)}" if v.task_id else "", one_line(v.reason, 400))
    return summary


def decide_run(ctx: RunContext, state: State, tasks: list[Task], tasks_by_key: dict[str, Task],
               reports: list[SourceReport], violations: list[Violation], centers: dict[str, TaskCenter],
               details: dict[str, Task | None], summary: dict[str, Any], settled: Settled | None = None,
               ) -> tuple[decide.Observations, list[str], int, int, list[Message]]:
    """Everything a run decides from what it read, on one state: what is new, details, health, notices,
    alerts, pruning. Returns (observations, given up, alert groups waiting, pruned, messages)."""
    config = ctx.config
    advance_cursor(ctx, state, [r for r in reports if r.skipped])
    observations = observe_each(ctx, state, tasks, violations, settled)  # every listing's tasks, as listed
    listed = set(tasks_by_key) | (settled.known if settled is not None else set())
    decide.drop_ended_stuck(state, listed, {r.source for r in reports if r.ok and r.complete})
    fetched, detail_violations, detail_errors = fetch_details(ctx, state, tasks_by_key, centers, details)
    summary["details_fetched"] += fetched
    violations += detail_violations
    summary["errors"] += detail_errors

    size_notice(state, ctx.now)
    if observations.baselined:  # a first run, or the first reading of a source (a shard's, a new target's)
        first = "First run" if state.fresh else "First reading of a source"
        state.notices.append({"kind": "baseline", "since": iso(ctx.now),
                              "text": f"{first}: {observations.baselined} existing failures that ended more than "
                                      f"{config.backfill / 3600:g} h ago were recorded without alerting. "
                                      "From now on every new failure is reported once."})
    given_up = decide.give_up(state, config, ctx.now, owns=ctx.owns)
    if given_up:
        state.notices.append({"kind": "given_up", "since": iso(ctx.now), "text": given_up_text(config, given_up)})
    state.notices = fold_notices(state.notices)

    messages = health_messages(ctx, state, reports) + notice_messages(ctx, state)
    alerts, waiting = decide.plan_alerts(state, config, ctx.run_id, owns=ctx.owns)
    messages += [alert_message(alert) for alert in alerts]
    if health.heartbeat_due(state, config.heartbeat, ctx.now):
        watched = ", ".join(r.source for r in reports)
        messages.append(notice_message("heartbeat", "heartbeat: still watching",
                                       f"taskwatch ran at {iso(ctx.now)} and watches: {watched}.",
                                       run_id=ctx.run_id))
    health.forget_unowned(state, ctx.owns, set(ctx.watched))
    for report in reports:
        if report.offset_reading:
            remember_reading(state, report.source, report.offset_reading)
        if report.time_unit:
            remember_unit(state, report.source, report.time_unit, report.time_unit_confirmed)
    pruned = state.prune(ctx.now, config.lookback, owns=ctx.owns)
    return observations, given_up, waiting, pruned, messages


def given_up_text(config: Config, given_up: list[str]) -> str:
    """The notice lists as many keys as fit its text (the state keeps 4,000 characters), then counts."""
    listed: list[str] = []
    length = 0
    for key in (one_line(key) for key in given_up):
        if length + len(key) + 2 > GIVEN_UP_TEXT:
            break
        listed.append(key)
        length += len(key) + 2
    rest = len(given_up) - len(listed)
    return (f"{len(given_up)} alerts could not be published for {config.give_up_after / 3600:g} h and were "
            f"given up: " + ", ".join(listed) + (f" and {rest} more" if rest else ""))


def commit(ctx: RunContext, store: StateStore, state: State, etag: str | None, messages: list[Message],
           summary: dict[str, Any]) -> bool:
    """Publish and save, guarded against overlapping runs (see lease.py); a steady run writes nothing.
    Returns True when it stood aside for another run (its lease, or a state saved meanwhile): the caller
    may decide again on the newer state.

    Time: the lease and the state re-check keep time for the save (deadline.lease_keep), publishing keeps
    SAVE_RESERVE, the save only the final margin (deadline.store_keep tells the store which applies); every
    call's timeouts come from that time, so the save is reached, and done or failed, before the end."""
    summary["state"]["written"] = False
    if ctx.config.dry_run:
        publish_all(ctx, state, messages, summary)
        return False
    lease = Lease(store, ctx.run_id)
    ctx.deadline.store_keep = ctx.deadline.lease_keep
    tasks_parts: list[bytes] | None = None  # the tasks' text, serialized once: to compare, then to write
    try:
        if not messages:
            tasks_parts = state.tasks_parts()  # serialized once: to compare, then to write
            if not ctx.from_shared and state.unchanged(tasks_parts):  # from the shared object: always saved
                return False  # nothing changed: no write, no lease
        # Every write is made under the lease, not only a publishing run's: a save-only run's PUT still in
        # flight could otherwise land after a state tool's change (made under the lease) and undo it.
        # The expiry is the clock now plus the time this invocation has left: when FunctionGraph stops it.
        if not lease.acquire(ctx.clock(), lease_term(ctx.deadline.remaining())):
            what = "it publishes instead" if messages else "this run's changes wait for the next run"
            summary["skipped"] = f"another run ({lease.holder}) holds the lease; {what}"
            ctx.log.warning("not %s: %s", "publishing" if messages else "saving", summary["skipped"])
            return True
        if not _state_unchanged(store, etag):
            summary["skipped"] = "another run saved the state meanwhile; the next run starts from its state"
            ctx.log.warning("not publishing or saving: %s", summary["skipped"])
            return True
        publish_all(ctx, state, messages, summary)
        ctx.deadline.store_keep = ctx.deadline.final_margin
        data = state.to_bytes(ctx.now, ctx.run_id, tasks_parts)
        tasks_parts = None
        if state.repairs:
            summary["errors"].append(f"state repaired before saving (clamped to its schema): {state.repairs[0]}")
            ctx.log.warning("state repaired before saving: %s", "; ".join(state.repairs))
        store.write(data)
        summary["state"].update(written=True, bytes=len(data))
    except StateError as exc:
        summary["errors"].append(f"state not saved: {exc}")
        ctx.log.error("state not saved (%s): the next run repeats this run's messages", one_line(exc, 400))
    finally:
        ctx.deadline.store_keep = ctx.deadline.final_margin
        try:
            if lease.held and ctx.deadline.time_left(ctx.deadline.final_margin) < 2 * OBS_CALL * ctx.deadline.scale:
                ctx.log.info("lease left to expire by itself: no time to release it")
            else:
                lease.release(ctx.clock())
        except StateError as exc:
            ctx.log.warning("lease not released (%s); it expires by itself", one_line(exc, 400))
    return False


def _state_unchanged(store: StateStore, etag: str | None) -> bool:
    current = store.read()
    return (current.etag if current else None) == etag


def stalled_alerts(ctx: RunContext, state: State) -> int:
    """This run's own alerts that SMN refused in TASKWATCH_BLIND_AFTER runs or more. SMN carries every alert,
    blind ones included, so only a failed invocation (the platform's error metric) can say it then."""
    return sum(1 for entry in state.tasks.values()
               if entry.get("alert") and int(entry.get("attempts") or 0) >= ctx.config.blind_after
               and ctx.owns(entry_source(entry)))


def outcome(summary: dict[str, Any], reports: list[SourceReport]) -> str:
    """One word for the run: ok, degraded (something to look at), or failed (nothing useful happened)."""
    if summary.get("skipped"):
        return "skipped"
    if any(e.startswith(("state not saved", PUBLISH_STALLED)) for e in summary["errors"]):
        return "failed"
    if summary["errors"] or summary["messages_failed"] or summary["schema_violations"] or \
            any(not r.ok or not r.complete for r in reports):
        return "degraded"
    return "ok"
