"""Decisions against state: which failures are new, which tasks are stuck, what waits, what is given up.

A failure is "new" until SMN has accepted a message about it, whenever it was created: the run lists every
failure the task centers still hold, so a task created ten days ago that fails today is caught, and so is
one that appears late or sat on a page that shifted. Nothing here talks to the network.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .config import Config
from .messages import Alert, AlertItem
from .messages.console import task_center_url
from .sanitize import clean
from .secrets_scrub import SCRUBBER
from .sources import SPECS
from .state.document import SHARED_FIELDS, State, entry_source, settled_entry
from .tasks import Task
from .timeutil import from_iso, iso

ENTITIES_KEEP = 2000  # characters of a detail's entities kept in state while its alert is pending


@dataclass
class Observations:
    """What a run learned from the listings."""

    failures_seen: int = 0
    new_failures: list[str] = field(default_factory=list)
    new_stuck: list[str] = field(default_factory=list)
    baselined: int = 0
    filtered: int = 0


def stuck_statuses(service: str) -> tuple[str, ...]:
    """The statuses of a task of `service` that is still running, as its spec says what each status means
    (a TaurusDB Pending task has not started: it waits for its time, and is never stuck)."""
    spec = SPECS.get(service)
    return spec.stuck_statuses if spec else ()


def passes_filters(task: Task, config: Config) -> bool:
    """Include/exclude globs on task name and on instance ID or name."""
    def any_match(patterns: Iterable[str], *values: str | None) -> bool:
        return any(fnmatch.fnmatchcase(v, p) for p in patterns for v in values if v)

    if config.include_tasks and not any_match(config.include_tasks, task.name):
        return False
    if any_match(config.exclude_tasks, task.name):
        return False
    if config.include_instances and not any_match(config.include_instances, task.instance_id, task.instance_name):
        return False
    return not any_match(config.exclude_instances, task.instance_id, task.instance_name)


def _entry_fields(task: Task) -> dict[str, Any]:
    """The task's fields as the state keeps them: scrubbed whole, then cut (see secrets_scrub)."""
    def text(value: str | None, limit: int) -> str:
        return clean(SCRUBBER(value), limit)

    def optional(value: str | None, limit: int) -> str | None:
        return text(value, limit) if value is not None else None

    entities = SCRUBBER.data(task.entities)
    if entities is not None and len(json.dumps(entities, default=str)) > ENTITIES_KEEP:
        entities = {"note": "entities too large to keep; see the task center"}
    return {
        "service": task.service, "region": task.region, "project_id": task.project_id,
        "id": text(task.id, 200), "name": text(task.name, 400), "status": text(task.status, 64),
        "created": iso(task.created), "ended": iso(task.ended),
        "instance_id": optional(task.instance_id, 400), "instance_name": optional(task.instance_name, 400),
        "fail_reason": optional(task.fail_reason, 3000), "entities": entities,
        "schema_errors": [text(e, 400) for e in task.schema_errors[:10]], "detailed": task.detailed,
    }


def unread_sources(state: State, watched: Iterable[str]) -> set[str]:
    """The watched sources this state has never seen (no health record, no task): their first reading is a
    baseline, as a first run's is. Shard triggers share one state, so after a first run or a reset only
    the first shard's run finds no state: the others' sources are baselined by this, not alerted in full.
    A source is seen once it has answered completely (its health record has last_ok): one that failed or was
    cut short on every reading so far has a health record, and maybe some tasks, but its month of history
    was never read, and is baselined when it first answers. A source without a health record (its target
    removed and added again) is seen if the state holds its tasks."""
    known = {source for source, health in state.sources.items() if isinstance(health, dict) and health.get("last_ok")}
    known |= {source for source in map(entry_source, state.tasks.values()) if source not in state.sources}
    return {source for source in watched if source not in known}


def observe(state: State, tasks: Iterable[Task], config: Config, now: datetime,
            first_reading: set[str] | None = None) -> Observations:
    """Record what the listings returned; mark alerts pending. Returns what changed. A failure is baselined
    (recorded without alerting, when older than TASKWATCH_BACKFILL) on a fresh state, and in a source of
    `first_reading` (see unread_sources)."""
    result = Observations()
    backfill = timedelta(seconds=config.backfill)
    stuck_horizon = now - timedelta(seconds=config.stuck_after) if config.stuck_after > 0 else None
    alert_statuses = {s.lower() for s in config.alert_statuses}
    for task in tasks:
        failed = task.status.lower() in alert_statuses
        stuck = (stuck_horizon is not None and task.status in stuck_statuses(task.service)
                 and task.created is not None and task.created < stuck_horizon)
        if not failed and not stuck:
            continue
        if not passes_filters(task, config):
            result.filtered += 1
            continue
        entry = state.tasks.get(task.key)
        if failed:
            result.failures_seen += 1
            if entry is None:
                if _to_baseline(state, task, now, backfill, first_reading):
                    state.tasks[task.key] = baseline_entry(task, iso(now) or "")
                    result.baselined += 1
                    continue
                entry = state.tasks[task.key] = {**_entry_fields(task), "first_seen": iso(now)}
                entry.update(alert="failed", pending_since=iso(now), attempts=0)
                result.new_failures.append(task.key)
            elif not (entry.get("notified_at") or entry.get("baselined_at") or entry.get("gave_up_at")):
                # Not yet reported (pending, or only reported as stuck): refresh and make it a failure alert.
                detailed = entry.get("detailed", False)
                entry.update({k: v for k, v in _entry_fields(task).items() if v is not None})
                entry["detailed"] = detailed or task.detailed
                if entry.get("alert") != "failed":
                    entry.update(alert="failed", pending_since=iso(now), attempts=0)
                    result.new_failures.append(task.key)
        elif entry is None:
            entry = state.tasks[task.key] = {**_entry_fields(task), "first_seen": iso(now)}
            entry.update(alert="stuck", pending_since=iso(now), attempts=0)
            result.new_stuck.append(task.key)
    return result


def _to_baseline(state: State, task: Task, now: datetime, backfill: timedelta,
                 first_reading: set[str] | None) -> bool:
    """A failure the state has never seen, recorded without an alert: it ended before TASKWATCH_BACKFILL, on
    a fresh state or in a source read for the first time (see unread_sources)."""
    finished = task.ended or task.created
    if finished is None or not (state.fresh or (first_reading is not None and task.source in first_reading)):
        return False
    return finished < _watch_horizon(state, task.source, now, backfill)


def _watch_horizon(state: State, source: str, now: datetime, backfill: timedelta) -> datetime:
    """The baseline's horizon for a source. A source watched but never read completely (its health record's
    watched_since, no last_ok) was covered only by its blind alert meanwhile: what ended while it was watched
    is alerted when it first answers, and only what ended before watching began (less the backfill, as on
    a first run) is baselined. A month of history is not alerted, and a day of outage is not dropped."""
    health = state.sources.get(source) if not state.fresh else None
    try:
        since = from_iso(health.get("watched_since")) if isinstance(health, dict) else None
    except (TypeError, ValueError):
        since = None
    return now - backfill if since is None else min(now, since) - backfill


def baseline_entry(task: Task, stamp: str, shared: dict[str, str] | None = None) -> dict[str, Any]:
    """The state's entry for a baselined failure: compact (nothing is pending). `shared` gives one string
    object per repeated value (status, region, the run's time...) across a first run's thousands of entries."""
    entry = settled_entry({**_entry_fields(task), "first_seen": stamp, "baselined_at": stamp})
    if shared is not None:
        for key, value in entry.items():
            if type(value) is str and key in SHARED_FIELDS:
                entry[key] = shared.setdefault(value, value)
    return entry


def settled_outcome(state: State, task: Task, config: Config, now: datetime,
                    first_reading: set[str] | None = None) -> str | None:
    """What observe() would do with a listed task when it would need nothing more than a count, or a compact
    entry, so the listing can let it go as its page arrives: "failure" (a failure already reported,
    baselined or given up), "baseline" (a failure observe() would baseline: the caller keeps its
    baseline_entry, so a first run over a month of failures holds entries, not 30,000 Tasks), "filtered",
    "ignored" (neither failed nor stuck, not in the state), "known" (not failed, in the state: its key still
    counts as listed, see drop_ended_stuck). None: observe() must see it."""
    failed = task.status.lower() in {s.lower() for s in config.alert_statuses}
    stuck = (config.stuck_after > 0 and task.status in stuck_statuses(task.service) and task.created is not None
             and task.created < now - timedelta(seconds=config.stuck_after))
    entry = state.tasks.get(task.key)
    if not failed and not stuck:
        return "known" if entry is not None else "ignored"
    if not passes_filters(task, config):
        return "filtered"
    if entry is None:
        backfill = timedelta(seconds=config.backfill)
        return "baseline" if failed and _to_baseline(state, task, now, backfill, first_reading) else None
    if failed:
        return "failure" if (entry.get("notified_at") or entry.get("baselined_at") or entry.get("gave_up_at")) \
            else None
    return "known"


def drop_ended_stuck(state: State, seen: set[str], complete_sources: set[str]) -> list[str]:
    """A stuck alert still waiting to be published is dropped once its task has left the listing of running
    tasks of a source that answered completely: the task ended (had it failed, it would have been seen
    as a failure). Saying "stuck" about a finished task would only mislead."""
    dropped = [key for key, entry in state.tasks.items()
               if entry.get("alert") == "stuck" and key not in seen
               and f"{entry['region']}/{entry['project_id']}/{entry['service']}" in complete_sources]
    for key in dropped:
        del state.tasks[key]
    return dropped


def needs_detail(state: State) -> list[str]:
    """Pending failures whose detail (fail_reason, entities) has not been fetched yet."""
    return [key for key, entry in state.tasks.items() if entry.get("alert") == "failed" and not entry.get("detailed")]


def apply_detail(state: State, task: Task) -> None:
    entry = state.tasks.get(task.key)
    if entry is None:
        return
    first_seen = entry["first_seen"]
    keep = {k: entry.get(k) for k in ("alert", "pending_since", "attempts", "last_error", "stuck_notified_at")}
    entry.update({k: v for k, v in _entry_fields(task).items() if v not in (None, "", [])})
    entry.update(keep, first_seen=first_seen, detailed=True)


def give_up(state: State, config: Config, now: datetime, owns: Callable[[str], bool] | None = None) -> list[str]:
    """Alerts that kept failing to publish for longer than TASKWATCH_GIVE_UP_AFTER (of `owns` sources)."""
    horizon = now - timedelta(seconds=config.give_up_after)
    given: list[str] = []
    for key, entry in state.tasks.items():
        since = from_iso(entry.get("pending_since"))
        if owns is not None and not owns(entry_source(entry)):
            continue
        if entry.get("alert") and since is not None and since < horizon:
            given.append(key)
    for key in given:  # the notice lists them; the entry keeps only what stops them from coming back
        state.tasks[key] = settled_entry({**state.tasks[key], "gave_up_at": iso(now)})
    return given


def _item(key: str, entry: dict[str, Any]) -> AlertItem:
    return AlertItem(
        key=key, kind=entry["alert"], service=entry["service"], region=entry["region"],
        project_id=entry["project_id"], id=entry["id"], name=entry["name"], status=entry["status"],
        created=entry.get("created"), ended=entry.get("ended"), instance_id=entry.get("instance_id"),
        instance_name=entry.get("instance_name"), fail_reason=entry.get("fail_reason"),
        entities=entry.get("entities"), schema_errors=tuple(entry.get("schema_errors") or ()),
    )


def plan_alerts(state: State, config: Config, run_id: str,
                owns: Callable[[str], bool] | None = None) -> tuple[list[Alert], int]:
    """One alert per (target, service), oldest first, at most TASKWATCH_MAX_MESSAGES_PER_RUN; within one,
    TASKWATCH_MAX_ALERTS_PER_MESSAGE listed and the rest counted. Returns (alerts, groups left waiting).
    Only alerts of `owns` sources (None: all): a shard publishes its own sources' alerts, not another's."""
    groups: dict[tuple[str, str, str], list[tuple[str, dict[str, Any]]]] = {}
    for key, entry in state.tasks.items():
        if owns is not None and not owns(entry_source(entry)):
            continue
        if entry.get("alert") in ("failed", "stuck"):
            groups.setdefault((entry["region"], entry["project_id"], entry["service"]), []).append((key, entry))

    def age(pair: tuple[str, dict[str, Any]]) -> tuple[str, str]:
        return (pair[1].get("pending_since") or "", pair[1].get("created") or "")

    ordered = sorted(groups.items(), key=lambda kv: min(age(p) for p in kv[1]))
    alerts: list[Alert] = []
    for (region, project_id, service), members in ordered[: config.max_messages_per_run]:
        members.sort(key=lambda p: (p[1].get("created") or "", p[0]))
        items = tuple(_item(key, entry) for key, entry in members)
        limit = config.max_alerts_per_message
        alerts.append(Alert(service=service, region=region, project_id=project_id, items=items[:limit],
                            overflow=items[limit:], console_url=task_center_url(service, region), run_id=run_id))
    return alerts, max(0, len(ordered) - config.max_messages_per_run)


def mark_published(state: State, keys: Iterable[str], now: datetime) -> None:
    """SMN accepted the message: only now are its tasks marked notified, and their entries made compact
    (key, times, kind: what deduplication and pruning need; the message carried the rest)."""
    stamp = iso(now)
    for key in keys:
        entry = state.tasks.get(key)
        if entry is None:
            continue
        if entry.get("alert") == "failed":
            entry["notified_at"] = stamp
        elif entry.get("alert") == "stuck":
            entry["stuck_notified_at"] = stamp
        entry["alert"] = None
        state.tasks[key] = settled_entry(entry)


def mark_failed(state: State, keys: Iterable[str], error: str) -> None:
    """SMN did not accept the message: its tasks stay pending for the next run."""
    for key in keys:
        entry = state.tasks.get(key)
        if entry is not None:
            entry["attempts"] = int(entry.get("attempts") or 0) + 1
            entry["last_error"] = clean(SCRUBBER(error), 400)
