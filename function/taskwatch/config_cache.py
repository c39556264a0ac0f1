"""The configuration of the last few (environment, user_event) pairs, kept across warm invocations.

A timer fires every few minutes into the same warm container with the same variables and the same event,
and parsing plus validating every key against the schema is a measurable part of a steady run. The result
depends only on the declared keys' values and on the user_event, so it is reused when both are identical.
Anything else (credentials, the deadline, the clock) is per invocation and never cached here. A
configuration that fails is not cached: the next invocation raises the same ConfigError again.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .config import Config, config_keys, load_config

KEPT = 16  # distinct (environment, user_event) pairs remembered: one per timer and shard, with room
_lock = threading.Lock()
_kept: OrderedDict[tuple[tuple[tuple[str, str], ...], str], Config] = OrderedDict()


def cached_config(environ: Mapping[str, str], overrides: Mapping[str, Any] | None = None) -> Config:
    """load_config(environ, overrides), reused when the declared keys and the user_event are unchanged."""
    declared = set(config_keys())
    try:
        event = json.dumps(overrides, sort_keys=True, allow_nan=False) if overrides else ""
    except (TypeError, ValueError, RecursionError):
        return load_config(environ, overrides)  # not canonical JSON: decide afresh (load_config says why)
    key = (tuple(sorted((k, v) for k, v in environ.items() if k in declared)), event)
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
    config = _frozen(load_config(environ, overrides))
    with _lock:
        _kept[key] = config
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return config


def _frozen(config: Config) -> Config:
    """The shared copy: its mappings read-only, so no run can change what the next one is given."""
    return dataclasses.replace(config, raw=MappingProxyType(dict(config.raw)),
                               endpoints=MappingProxyType(dict(config.endpoints)))

