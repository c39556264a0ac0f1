"""A shard's first run on its own state object starts from the shared one (see state_uri.py for the URIs).

What it takes: the shared state cut down to the shard's own sources: their task entries (notified failures
stay notified, pending alerts stay pending), their health and their reading of `offset`; the notices only
for the first shard label in name order, so they are not sent once per shard. Not fresh: nothing is
baselined again.
"""

from __future__ import annotations

from dataclasses import replace

from ..config import Config
from ..credentials import Credentials
from ..deadline import Deadline
from ..errors import StateError
from . import open_store
from .document import State, entry_source


def shard_part(shared: State, now_iso: str, sources: set[str], inherit_notices: bool) -> State:
    """The shared state cut down to one shard's sources: what its first run on its own object starts from."""
    tasks = {key: entry for key, entry in shared.tasks.items() if entry_source(entry) in sources}
    return State(
        created_at=shared.created_at or now_iso, updated_at=shared.updated_at or now_iso, tasks=tasks,
        sources={name: value for name, value in shared.sources.items() if name in sources},
        notices=list(shared.notices) if inherit_notices else [], heartbeat_at=shared.heartbeat_at,
        cursors={}, writer=shared.writer, fresh=False, extra=dict(shared.extra),
    )


def inherits_notices(shard: str, labels: set[str | None]) -> bool:
    """The one shard that takes over the shared object's notices: the first label in name order."""
    named = sorted(label for label in labels if label is not None)
    return bool(named) and named[0] == shard



def start_from_shared(config: Config, credentials: Credentials, deadline: Deadline, sources: set[str],
                      now_iso: str) -> State | None:
    """The shard's part of the shared object, when the trigger selects a shard whose own object does not exist
    yet; None when there is no shared object to start from. An unreachable shared object raises StateError
    (the run fails and the next one tries again: starting fresh instead could alert twice); an unreadable one
    is left to the normal first run (None)."""
    if config.shared_state_uri is None or config.shard is None:
        return None
    stored = open_store(replace(config, state_uri=config.shared_state_uri), credentials, deadline).read()
    if stored is None:
        return None
    try:
        shared = State.from_bytes(stored.data)
    except StateError:
        return None
    labels = {t.shard for t in (config.all_targets or config.targets)}
    return shard_part(shared, now_iso, sources, inherits_notices(config.shard, labels))
