"""The timer trigger's event: which trigger fired, and its user_event overrides (a JSON object)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .errors import EventError
from .jsontext import loads_strict
from .sanitize import one_line

MAX_USER_EVENT = 64 * 1024  # FunctionGraph caps user_event far lower (2 KB); anything bigger is not ours.


@dataclass(frozen=True)
class TimerEvent:
    trigger_name: str | None = None
    time: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)


def parse_event(event: Any) -> TimerEvent:
    """Accept the FunctionGraph timer event (or nothing, for a manual test invocation)."""
    if event is None or event == "" or event == {}:
        return TimerEvent()
    if isinstance(event, (bytes, str)):
        try:
            event = loads_strict(event, allow_constants=True)
        except ValueError:
            raise EventError("event is not JSON (or nested too deeply)") from None
    if not isinstance(event, dict):
        raise EventError("event is not a JSON object")
    user_event = event.get("user_event")
    overrides: Any = {}
    if isinstance(user_event, str):
        if len(user_event) > MAX_USER_EVENT:
            raise EventError(f"user_event is larger than {MAX_USER_EVENT} characters")
        if user_event.strip():
            try:
                overrides = loads_strict(user_event, allow_constants=True)
            except ValueError:
                raise EventError("user_event is not JSON (expected a JSON object of configuration keys)") from None
    elif user_event is not None:
        # An object (an API invocation): the same cap as for the text, measured on its JSON, so that its size
        # cannot cost the run its time in the checks that follow.
        try:
            size = len(json.dumps(user_event, default=str))
        except (TypeError, ValueError, RecursionError):
            raise EventError("user_event is not a JSON object of configuration keys (or nested too deeply)") from None
        if size > MAX_USER_EVENT:
            raise EventError(f"user_event is larger than {MAX_USER_EVENT} characters")
        overrides = user_event
    if not isinstance(overrides, dict):
        raise EventError("user_event is not a JSON object of configuration keys")
    name = event.get("trigger_name")
    when = event.get("time")
    # Caller text: the trigger name goes into the summary (logged and returned), so it is cleaned to one line.
    return TimerEvent(
        trigger_name=one_line(name, 128) if name is not None else None,
        time=one_line(when, 64) if when is not None else None,
        overrides=overrides,
    )
