"""What a timer's user_event may do: narrow the environment's configuration, never widen or redirect it.

Anyone with the invoke permission can send any event, and that permission is far weaker than the agency
whose credentials every request carries. So the keys a user_event may set are declared in
schemas/config.schema.json (properties marked `x-user-event`, and the user_event-only keys under
`x-user-event-only`), and each of them can only select from what the environment already allows:

- `shard`: only the targets of TASKWATCH_TARGETS with that shard label (a label no target has is refused);
- `services`: each selected target keeps only these of its services; targets left with none are skipped,
  and a service that no selected target watches is refused, since the override could not apply;
- `heartbeat`: how often this trigger sends a heartbeat: 0 (off), or at least MIN_HEARTBEAT and not shorter
  than the environment's own (a shorter one would let every invocation send a message);
- `topic`: a name from TASKWATCH_SMN_TOPICS, whose URN the environment lists.

Every other key (endpoints, allow_foreign_endpoints, smn_topic_urn, state_uri, dry_run, credentials,
anything unknown) is refused with an error that names the key; the key is caller text, so it is shown
cleaned, reduced to a safe alphabet and cut.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from .config import PREFIX, parse_value, schema_properties, validate_values
from .errors import ConfigError
from .sanitize import one_line
from .schema_files import describe_error, load_schema
from .tasks import Target

KEY_LABEL = 64  # characters of a refused key shown in the error
MIN_HEARTBEAT = 3600.0  # seconds: the shortest heartbeat a user_event may ask for (at most 24 messages a day)
_UNSAFE_KEY_CHARACTERS = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class Narrowing:
    """A user_event, read: each field None when the user_event does not set it."""

    shard: str | None = None
    services: tuple[str, ...] | None = None
    heartbeat: float | None = None
    topic: str | None = None

    def narrow_targets(self, watched: tuple[Target, ...]) -> tuple[Target, ...]:
        """The environment's targets, narrowed to the shard and the services."""
        selected = watched
        if self.shard is not None:
            selected = tuple(t for t in watched if t.shard == self.shard)
            if not selected:
                raise ConfigError("user_event shard", "no target in TASKWATCH_TARGETS has this shard label")
        if self.services is None:
            return selected
        watched_services = {service for target in selected for service in target.services}
        missing = [service for service in self.services if service not in watched_services]
        if missing:
            raise ConfigError("user_event services", f"{', '.join(missing)} not watched by the selected targets; "
                                                      "a user_event can only narrow TASKWATCH_TARGETS or "
                                                      "TASKWATCH_SERVICES")
        narrowed = tuple(replace(t, services=tuple(s for s in t.services if s in self.services))
                         for t in selected)
        return tuple(t for t in narrowed if t.services)

    def pick_heartbeat(self, environment: float) -> float:
        """The trigger's heartbeat period: the user_event's when it sets one that narrows, else the environment's."""
        if self.heartbeat is None:
            return environment
        if self.heartbeat == 0:
            return 0.0
        floor = max(MIN_HEARTBEAT, environment)
        if self.heartbeat < floor:
            raise ConfigError("user_event TASKWATCH_HEARTBEAT", f"expected 0 (off) or at least {floor:g} seconds "
                                                                "(a user_event may only make the heartbeat rarer)")
        return self.heartbeat

    def pick_topic(self, topics: Mapping[str, str]) -> str | None:
        """The URN of the topic the user_event names, from TASKWATCH_SMN_TOPICS; None when it names none."""
        if self.topic is None:
            return None
        if self.topic not in topics:
            raise ConfigError("user_event topic", "not a topic name listed in TASKWATCH_SMN_TOPICS")
        return topics[self.topic]


def key_label(key: object) -> str:
    """A caller's key made fit for an error and a log line: one line, letters, digits, `_.-` only, cut."""
    text = _UNSAFE_KEY_CHARACTERS.sub("?", one_line(key, KEY_LABEL * 2))
    return text if len(text) <= KEY_LABEL else text[: KEY_LABEL - 1] + "…"


def settable_keys() -> dict[str, str]:
    """Short user_event name -> environment key, for the properties marked x-user-event."""
    return {name[len(PREFIX):].lower(): name for name, spec in schema_properties().items() if "x-user-event" in spec}


def read_user_event(overrides: Mapping[str, Any]) -> Narrowing:
    """Read and check a user_event object; refuses any key it may not set, naming it."""
    settable = settable_keys()
    only = load_schema("config")["x-user-event-only"]
    fields: dict[str, Any] = {}
    for key, value in overrides.items():
        text = str(key)
        short = text.lower()
        full = text.upper() if text.upper().startswith(PREFIX) else PREFIX + text.upper()
        if short in only:
            _check_only(short, value)
            fields[short] = value
        elif full in settable.values():
            fields[full[len(PREFIX):].lower()] = _read_settable(full, value)
        elif full in schema_properties():
            raise ConfigError(full, "may not be set by a user_event (it may only narrow: "
                                    f"{', '.join(sorted([*settable, *only]))}); set it in the function's "
                                    "environment")
        else:
            raise ConfigError(key_label(key), "unknown key in user_event")
    services = fields.get("services")
    heartbeat = fields.get("heartbeat")
    return Narrowing(shard=fields.get("shard"), services=tuple(services) if services is not None else None,
                     heartbeat=float(heartbeat) if heartbeat is not None else None, topic=fields.get("topic"))


def _read_settable(name: str, value: Any) -> Any:
    """A settable key's value, read and validated exactly as the environment's would be."""
    parsed = parse_value(name, schema_properties()[name].get("x-parse", "string"), value)
    validate_values({name: parsed}, where="user_event ")
    return parsed


def _check_only(name: str, value: Any) -> None:
    errors = list(_only_validator(name).iter_errors(value))
    if errors:
        raise ConfigError(f"user_event {name}", describe_error(errors[0]))


@cache
def _only_validator(name: str) -> Draft202012Validator:
    schema = load_schema("config")
    return Draft202012Validator({"$defs": schema["$defs"], **schema["x-user-event-only"][name]})
