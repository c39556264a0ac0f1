"""Each shard keeps a state object of its own, and the first run of a shard starts from the shared one.

Why: shards exist for fleets of hundreds of sources; on one state object every shard reads and writes the
whole fleet's state, and their saves make each other decide again (run.py's commit attempts). So a timer
whose user_event selects a shard uses its own object:

- TASKWATCH_STATE_URI with a `{shard}` placeholder: the placeholder becomes the shard's label
  (obs://bucket/taskwatch/state-{shard}.json). Such a URI needs every trigger to select a shard; deploy.py
  refuses one whose shards could reach the deploy prefix (taskwatch/{shard}/... could be taskwatch/deploy/).
- without the placeholder, the shard's label goes before the key's extension:
  obs://bucket/taskwatch/state.json -> obs://bucket/taskwatch/state-<shard>.json (a key without an
  extension gets -<shard> at its end). A trigger that selects no shard keeps the URI as it is.

Upgrading (shards used to share the URI's object): the first run of a shard whose own object does not exist
yet starts from the shared object (the URI as written), kept to the shard's own sources: their task entries
(notified failures stay notified, pending alerts stay pending), their health and their reading of `offset`.
Nothing is baselined again, nothing is alerted twice. The shared object's notices (pending "baseline",
"given up" and folded notices) go to one shard only, the first label in name order, so they are not sent
once per shard. The shared object itself is only read, never changed or deleted. A URI with `{shard}`
has no shared object to start from: introducing it starts each shard fresh (a first run's baseline).
"""

from __future__ import annotations

from posixpath import splitext

from .errors import ConfigError

PLACEHOLDER = "{shard}"


def shard_uri(uri: str, shard: str | None) -> str:
    """The state URI a trigger uses: its shard's own object, or the URI as written when it selects none."""
    if PLACEHOLDER in uri:
        if shard is None:
            raise ConfigError("TASKWATCH_STATE_URI", f"has {PLACEHOLDER}, so every trigger's user_event must "
                                                     "select a shard (this one selects none)")
        return uri.replace(PLACEHOLDER, shard)
    if shard is None:
        return uri
    scheme, _, rest = uri.partition("://")
    head, _, key = rest.partition("/") if scheme == "obs" else ("", "", rest)
    folder, _, name = key.rpartition("/")
    stem, extension = splitext(name)
    if not stem:  # a name that is all extension (".json"): the label goes at its end
        stem, extension = name, ""
    derived = f"{folder}/{stem}-{shard}{extension}" if folder else f"{stem}-{shard}{extension}"
    return f"{scheme}://{head}/{derived}" if scheme == "obs" else f"{scheme}://{derived}"


def shared_uri(uri: str, shard: str | None) -> str | None:
    """The object the shards shared before they had their own (None when there is none to start from)."""
    if shard is None or PLACEHOLDER in uri:
        return None
    return uri


def key_pattern(key: str) -> str:
    """Every shard's object key (and its siblings), as an IAM resource pattern: `*` where the label goes."""
    if PLACEHOLDER in key:
        return key.replace(PLACEHOLDER, "*")
    return shard_uri("file://" + key, "*")[len("file://"):]
