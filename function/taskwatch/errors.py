"""Errors that end a run with a clear message. None of them ever carries a credential: every message is
scrubbed when the error is made (many are built from text an external answer chose)."""

from __future__ import annotations

from typing import Any

from .secrets_scrub import SCRUBBER


class TaskwatchError(Exception):
    """Base of the errors this package raises on purpose."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*(SCRUBBER(a) if isinstance(a, str) else a for a in args))

    def __str__(self) -> str:  # args may be replaced after construction: scrub on the way out too
        return SCRUBBER(super().__str__())


class ConfigError(TaskwatchError):
    """A configuration key is missing or wrong; the message names the key and what was expected."""

    def __init__(self, key: str, expected: str) -> None:
        super().__init__(f"configuration {key}: {expected}")
        self.key = key
        self.expected = SCRUBBER(expected)


class EventError(TaskwatchError):
    """The trigger event cannot be read."""


class CredentialsError(TaskwatchError):
    """No usable credentials in the context or the environment."""


class SourceError(TaskwatchError):
    """A task center could not be queried (after the retries the policy allows)."""

    def __init__(self, message: str, *, kind: str = "error", status: int | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.code = SCRUBBER(code) if code is not None else None


class OutOfTime(TaskwatchError):
    """The run must stop querying to keep time for publishing and saving state."""


class PublishError(TaskwatchError):
    """SMN did not accept a message."""


class StateError(TaskwatchError):
    """The state object could not be read or written."""


class RunFailed(TaskwatchError):
    """The run could not do its job (state unreadable or unsaved, configuration invalid, an internal error).

    The handler raises it after logging the summary, so FunctionGraph counts the invocation as an error: the
    platform's error metric (and an alarm on it) then shows what no message of the run itself could say.
    The text is one scrubbed line; `summary` is the run's summary, for local callers and tests."""

    def __init__(self, reason: str, summary: dict) -> None:
        super().__init__(reason)
        self.summary = summary
