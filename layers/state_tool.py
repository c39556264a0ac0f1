"""`make state`, `make state-forget`, `make state-reset`: look at and repair the function's state object.

    python layers/state_tool.py [--shard LABEL | --state URI] [--wait SECONDS] show | forget TASK |
        reset [--drop-pending]

The state object is the one the function would use, found by the function's own configuration loader from
the environment of `make run` (TASKWATCH_STATE_URI, the OBS endpoint and region, CLOUD_SDK_AK/SK): obs://
or file://. `--shard` picks the state of a timer whose user_event names that shard, `--state` any state URI.
It is read and written through the function's own stores (state/obs.py with its signature, state/local_file.py)
and document (state/document.py: schema, checksum, migrations), so the tool reads every version the function
reads and writes only what the function can read back.

The two that change the state take the function's lease first (lease.py), as a run does before it publishes:
a run holding it makes the tool wait up to --wait seconds, then refuse, naming the holder; a run that starts
while the tool holds it stands aside, as for overlapping runs. A run saves only under the lease too (also
one with nothing to publish), after checking the state's ETag, so a tool change made meanwhile makes it
stand aside, and a save of its still in flight cannot land after the tool's change.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import socket
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ship.paths import import_function_package

import_function_package()

from taskwatch.config import Config, load_config  # noqa: E402
from taskwatch.credentials import resolve_credentials  # noqa: E402
from taskwatch.deadline import Deadline  # noqa: E402
from taskwatch.errors import StateError, TaskwatchError  # noqa: E402
from taskwatch.lease import Lease  # noqa: E402
from taskwatch.sanitize import one_line  # noqa: E402
from taskwatch.secrets_scrub import SCRUBBER  # noqa: E402
from taskwatch.state import LocalFileStore, ObsStore, StateStore, open_store  # noqa: E402
from taskwatch.state.document import State  # noqa: E402
from taskwatch.state.migrations import VERSION as STATE_VERSION  # noqa: E402
from taskwatch.timeutil import utcnow  # noqa: E402

LEASE_TERM = timedelta(minutes=2)  # the tool's work takes seconds; a crashed tool blocks runs this long at most
POLL = 1.0  # seconds between tries for a held lease
VERIFY_PAUSE = 0.5  # seconds before reading a change back (a run that checked the ETag just before may write)
EXIT_REFUSED = 3
PENDING_SHOWN = 20  # pending alerts named when a reset is refused


class Refused(Exception):
    """The tool will not do it (the lease is held, the state is unreadable, no such task): why, in one line."""


def target_config(environ: Mapping[str, str], shard: str | None = None, state_uri: str | None = None) -> Config:
    """The configuration a run would have: with `shard` that of a timer whose user_event names it."""
    values = dict(environ)
    if state_uri:
        values["TASKWATCH_STATE_URI"] = state_uri
    if not values.get("TASKWATCH_SMN_TOPIC_URN") and not values.get("TASKWATCH_SMN_TOPICS"):
        values["TASKWATCH_DRY_RUN"] = "1"  # the tool never publishes: no topic needed to find the state
    return load_config(values, {"shard": shard} if shard else None)


def open_state_store(config: Config, environ: Mapping[str, str]) -> StateStore:
    """The function's own store for the state URI; a file needs no credentials."""
    if config.state_uri.startswith("file://"):
        return LocalFileStore(config.state_uri)
    return open_store(config, resolve_credentials(None, environ), Deadline(None, config.reserve))


def tool_owner() -> str:
    """Who holds the lease, as a run would read it: readable, and unique to this invocation."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"state-tool {user}@{socket.gethostname()} {uuid.uuid4().hex[:8]}"


@contextmanager
def lease_held(store: StateStore, wait: float, clock: Any = utcnow) -> Iterator[Lease]:
    """Take the function's lease, waiting up to `wait` seconds while a run holds it; Refused after that.
    Released (expired) on the way out, whatever happened."""
    lease = Lease(store, tool_owner())
    give_up = time.monotonic() + max(0.0, wait)
    while not lease.acquire(clock(), LEASE_TERM):
        if time.monotonic() >= give_up:
            holder = lease.holder or "another run"
            raise Refused(f"the lease on {store.uri} is held by {holder}{_expiry(store)}: a run is under way. "
                          "Nothing was changed; try again when it has finished (a run ends within its timeout).")
        time.sleep(POLL)
    try:
        yield lease
    finally:
        try:
            lease.release(clock())
        except StateError as exc:
            print(f"warning: lease not released ({one_line(exc, 300)}); it expires by itself within "
                  f"{int(LEASE_TERM.total_seconds())} s", file=sys.stderr)


def _expiry(store: StateStore) -> str:
    try:
        stored = store.get(store.sibling("lease"))
        expires = json.loads(stored.data).get("expires") if stored else None
    except (StateError, ValueError, AttributeError):
        return ""
    return f" until {one_line(str(expires), 40)}" if expires else ""


def read_state(store: StateStore) -> tuple[State, bytes, str] | None:
    """The stored state (parsed, migrated), its bytes and ETag; None when there is none. Refused when the
    function could not read it either (a run would keep it aside and take a fresh baseline)."""
    stored = store.read()
    if stored is None:
        return None
    try:
        return State.from_bytes(stored.data), stored.data, stored.etag
    except StateError as exc:
        refuse_if_newer(store, stored.data)
        raise Refused(f"the state at {store.uri} is unreadable ({exc}); the next run keeps it aside and takes "
                      "a fresh baseline, or `make state-reset` does that now") from None


def refuse_if_newer(store: StateStore, data: bytes) -> None:
    """Refused when the state is in a format version newer than this checkout reads: the deployed function
    may well be newer than the checkout, and read it fine, so it is neither unreadable nor a case for reset."""
    try:
        version = json.loads(data).get("version")
    except (ValueError, AttributeError):
        return
    if isinstance(version, int) and not isinstance(version, bool) and version > STATE_VERSION + 1:
        raise Refused(f"the state at {store.uri} is in format version {version}, written by a newer taskwatch; "
                      f"this checkout reads up to {STATE_VERSION + 1}: update this checkout and try again. "
                      "Nothing was changed.")


# --- show -------------------------------------------------------------------------------------------------

def describe(store: StateStore) -> str:
    """A readable summary of the state object and its lease (reads only)."""
    found = read_state(store)
    lines = [f"state: {store.uri}"]
    if found is None:
        lines.append("no state object: the next run takes a first baseline (failures older than "
                     "TASKWATCH_BACKFILL are recorded without alerting)")
        return "\n".join([*lines, lease_line(store)])
    state, data, etag = found
    raw = json.loads(data)
    tasks = state.tasks
    pending = {k: e for k, e in tasks.items() if e.get("alert")}
    notified = sum(1 for e in tasks.values() if e.get("notified_at"))
    baselined = sum(1 for e in tasks.values() if e.get("baselined_at"))
    given_up = sum(1 for e in tasks.values() if e.get("gave_up_at"))
    lines += [
        f"format {raw.get('format')} version {raw.get('version')}, {len(data):,} bytes, ETag {etag}",
        f"created {state.created_at}, last written {state.updated_at} by {state.writer or '?'}",
        f"tasks remembered: {len(tasks)} (notified {notified}, baselined {baselined}, given up {given_up}, "
        f"pending {len(pending)})",
        f"heartbeat last sent: {state.heartbeat_at or 'never'}; notices waiting: {len(state.notices)}",
        "", f"sources ({len(state.sources)}):",
    ]
    for source, health in sorted(state.sources.items()):
        word = "BLIND" if health.get("blind") else ("failing" if health.get("consecutive_failures") else "ok")
        detail = f", {health.get('consecutive_failures')} failed run(s) in a row" \
            if health.get("consecutive_failures") else ""
        error = f"; last error: {one_line(str(health['last_error']), 200)}" if health.get("last_error") else ""
        lines.append(f"  {source}: {word}{detail}, last read completely {health.get('last_ok') or 'never'}{error}")
    lines += ["", f"pending alerts ({len(pending)}):"]
    for key, entry in sorted(pending.items(), key=lambda item: str(item[1].get("pending_since"))):
        lines.append(f"  {key} {entry.get('alert')} {one_line(str(entry.get('name')), 80)} since "
                     f"{entry.get('pending_since')}, {entry.get('attempts') or 0} failed publish(es)")
    for notice in state.notices:
        lines.append(f"  notice {notice.get('kind')} since {notice.get('since')}")
    lines += ["", lease_line(store)]
    return "\n".join(lines)


def lease_line(store: StateStore) -> str:
    stored = store.get(store.sibling("lease"))
    try:
        lease = json.loads(stored.data) if stored else None
    except ValueError:
        lease = None
    if not isinstance(lease, dict):
        return "lease: none"
    return f"lease: {one_line(str(lease.get('owner')), 80)}, expires {lease.get('expires')}"


# --- forget -----------------------------------------------------------------------------------------------

def matching_keys(state: State, task: str) -> list[str]:
    """The dedup keys `task` names: a dedup key itself, or a task ID (any service and project)."""
    keys = set()
    for records in _keyed_records(state):
        keys |= {key for key in records if key == task or str(key).endswith(f":{task}")}
    return sorted(keys)


def _keyed_records(state: State) -> list[dict[str, Any]]:
    """Every mapping of the state keyed by dedup key (`tasks`, and any other a newer format keeps, such as a
    separate record of notified tasks): a task is forgotten only when no record of it is left."""
    mappings = [getattr(state, f.name) for f in fields(state)] + list(state.extra.values())
    return [m for m in mappings if isinstance(m, dict) and any(isinstance(k, str) and k.count(":") >= 2 for k in m)]


def forget(store: StateStore, task: str, wait: float) -> list[str]:
    """Remove every record of the task, under the lease: the next run finds it failed in its listing with no
    record of it and, the state not being fresh, alerts it as a new failure (no baseline applies)."""
    with lease_held(store, wait):
        found = read_state(store)
        if found is None:
            raise Refused(f"no state at {store.uri}: nothing to forget")
        state, _, etag = found
        keys = matching_keys(state, task)
        if not keys:
            raise Refused(f"no task {one_line(task, 200)} in the state (give a dedup key service:project:id, or a "
                          "task ID; `make state` lists the pending ones)")
        for records in _keyed_records(state):
            for key in keys:
                records.pop(key, None)
        write_checked(store, state, etag)
    return keys


def write_checked(store: StateStore, state: State, etag: str) -> None:
    """Write `state` only if the stored one is still the one read, then read it back: a run with nothing to
    publish writes without the lease, so its write could land just after ours."""
    current = store.read()
    if (current.etag if current else None) != etag:
        raise Refused("a run saved the state meanwhile; nothing was changed, run the command again")
    data = state.to_bytes(utcnow(), tool_owner())
    store.write(data)
    time.sleep(VERIFY_PAUSE)
    back = store.read()
    if back is None or back.data != data:
        raise Refused("a run overwrote the change just after it was written; run the command again")


# --- reset ------------------------------------------------------------------------------------------------

def reset(store: StateStore, wait: float, now: datetime | None = None,
          drop_pending: bool = False) -> tuple[str | None, int]:
    """Keep the state aside as <key>.reset-<time>, then remove it, under the lease: the next run finds no
    state and takes a new baseline. Returns the backup's name (None: there was no state) and how many pending
    alerts were dropped. Alerts never published (SMN refused them; runs retry them) live only in the state,
    and the new baseline records failures older than TASKWATCH_BACKFILL without alerting: so a state holding
    any is refused, naming them, unless `drop_pending` says to drop them."""
    with lease_held(store, wait):
        stored = store.read()
        if stored is None:
            return None, 0
        pending = _pending_keys(store, stored.data)
        if pending and not drop_pending:
            shown = ", ".join(pending[:PENDING_SHOWN]) + (" ..." if len(pending) > PENDING_SHOWN else "")
            raise Refused(f"{len(pending)} alert(s) never published are pending in {store.uri}: {shown}. After a "
                          "reset, those that ended more than TASKWATCH_BACKFILL ago would never be alerted. Nothing "
                          "was changed; fix publishing and let a run send them, or reset with --drop-pending "
                          "(make state-reset DROP_PENDING=1) to drop them")
        label = "reset-" + (now or utcnow()).strftime("%Y%m%dT%H%M%SZ")
        backup = store.keep_aside(stored.data, label)
        current = store.read()
        if current is None or current.etag != stored.etag:
            raise Refused(f"a run saved the state meanwhile (the old one is kept as {backup}); nothing was "
                          "removed, run the command again")
        delete(store, store.key)
    return backup, len(pending)


def _pending_keys(store: StateStore, data: bytes) -> list[str]:
    """The dedup keys of alerts waiting to be published (none when the state is unreadable: a run could not
    read them either, and keeps such a state aside itself). Refused for a newer format: it is not ours."""
    try:
        state = State.from_bytes(data)
    except StateError:
        refuse_if_newer(store, data)
        return []
    return sorted(key for key, entry in state.tasks.items() if entry.get("alert"))


def delete(store: StateStore, name: str) -> None:
    """Remove one object; only the tool deletes (the function's store interface is read and write only)."""
    if isinstance(store, LocalFileStore):
        try:
            os.unlink(name)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StateError(f"cannot remove {name}: {exc.strerror}") from None
        return
    if isinstance(store, ObsStore):
        response = store._send("DELETE", name)
        if response.status_code not in (200, 204, 404):
            raise StateError(f"OBS DELETE {store.bucket}/{name}: HTTP {response.status_code}")
        return
    raise StateError(f"cannot remove objects from {type(store).__name__}")


# --- command line -----------------------------------------------------------------------------------------

def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None, out: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(prog="state_tool", description=__doc__.split("\n\n")[0])
    parser.add_argument("--shard", help="the state of the timer whose user_event names this shard")
    parser.add_argument("--state", help="a state URI (obs://bucket/key or file:///path) instead of the configured one")
    parser.add_argument("--wait", type=float, default=10.0, help="seconds to wait for a run's lease (default 10)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("show", help="print a readable summary")
    forget_parser = commands.add_parser("forget", help="make one task alert again on the next run")
    forget_parser.add_argument("task", help="dedup key (service:project:task id) or task ID")
    reset_parser = commands.add_parser("reset", help="keep the state aside and let the next run take a new baseline")
    reset_parser.add_argument("--drop-pending", action="store_true",
                              help="reset even when alerts never published are pending (they are dropped)")
    args = parser.parse_args(argv)
    environ = os.environ if environ is None else environ
    out = out or sys.stdout

    def say(text: str) -> None:
        print(SCRUBBER(text), file=out)

    try:
        config = target_config(environ, args.shard, args.state)
        store = open_state_store(config, environ)
        if args.command == "show":
            say(describe(store))
        elif args.command == "forget":
            keys = forget(store, args.task, args.wait)
            say(f"forgotten in {store.uri}: {', '.join(keys)}\nThe next run alerts "
                f"{'it' if len(keys) == 1 else 'them'} again if the task center still lists "
                f"{'it' if len(keys) == 1 else 'them'} as failed within TASKWATCH_LOOKBACK.")
        else:
            backup, dropped = reset(store, args.wait, drop_pending=args.drop_pending)
            say(f"no state at {store.uri}: nothing to reset; the next run takes a first baseline" if backup is None
                else f"state {store.uri} kept aside as {backup} and removed: the next run takes a new baseline "
                     "(failures older than TASKWATCH_BACKFILL are recorded without alerting)"
                     + (f"; {dropped} pending alert(s) dropped" if dropped else ""))
    except Refused as exc:
        say(f"refused: {exc}")
        return EXIT_REFUSED
    except TaskwatchError as exc:
        say(f"error: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
