"""Retries inside one run: throttling waits 2-5 s with jitter, server and connection errors a few short
retries, client errors none. Every wait is bounded by the run's deadline."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from huaweicloudsdkcore.exceptions import exceptions as sdk

from .deadline import Deadline
from .errors import OutOfTime, SourceError
from .sanitize import one_line
from .secrets_scrub import SCRUBBER

T = TypeVar("T")
THROTTLE_CODES = {"APIG.0308"}
RETRYABLE = {"server", "timeout", "connection", "bad_response", "transport"}


class BadResponse(Exception):
    """The server answered 2xx with a body that is not the JSON document the API describes."""


@dataclass
class RetryPolicy:
    throttle_backoff: tuple[float, float] = (2.0, 5.0)
    throttle_retries: int = 3
    server_retries: int = 2
    server_backoff: tuple[float, ...] = (0.5, 1.5)
    rng: random.Random = field(default_factory=random.Random)


def answer_text(value: object) -> str:
    """Any value an error body can hold, as text: the SDK passes error_code and error_msg through from the
    JSON as they came (a string, but also a list, an object, a number, true or null)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError, RecursionError):
        return f"({type(value).__name__})"


def _short(value: object, limit: int) -> str:
    """External text scrubbed whole, then folded and cut (never the other way round: a cut secret is harder
    to recognise)."""
    return one_line(SCRUBBER(answer_text(value)), limit)


def classify(exc: BaseException) -> SourceError:
    """Turn whatever the SDK or the transport raised into a SourceError with a kind the policy knows."""
    if isinstance(exc, sdk.ServiceResponseException):
        code = _short(exc.error_code, 64) or None
        status = exc.status_code if isinstance(exc.status_code, int) else None
        text = f"HTTP {status} {code or ''} {_short(exc.error_msg, 160)}".strip()
        if status == 429 or code in THROTTLE_CODES:
            kind = "throttled"
        elif status is not None and status >= 500:
            kind = "server"
        elif status in (401, 403):
            kind = "auth"
        else:
            kind = "client"
        return SourceError(text, kind=kind, status=status, code=code)
    if isinstance(exc, sdk.RequestTimeoutException):
        return SourceError("timed out", kind="timeout")
    if isinstance(exc, sdk.ConnectionException):
        return SourceError(f"connection failed: {_short(_text_of(exc), 160)}", kind="connection")
    if isinstance(exc, BadResponse):
        return SourceError(f"bad response: {_short(str(exc), 160)}", kind="bad_response")
    return SourceError(f"{type(exc).__name__}: {_short(_text_of(exc), 160)}", kind="transport")


def _text_of(exc: BaseException) -> str:
    """str(exc), which for SDK exceptions formats error_msg with %s (any type) and may itself fail."""
    try:
        return str(exc)
    except Exception:  # a broken __str__ must not end the run
        return ""


def call_with_retry(fn: Callable[[], T], policy: RetryPolicy, deadline: Deadline, what: str,
                    retry_server_errors: bool = True, keep: float | None = None) -> T:
    """Run fn; retry as the policy says; raise SourceError (or OutOfTime) when it gives up.
    `keep` is the time that must stay untouched (default: the query reserve)."""
    throttled = server = 0
    while True:
        deadline.check(what, keep)
        try:
            return fn()
        except OutOfTime:
            raise
        except Exception as exc:  # the SDK and requests raise many types; classify() sorts them
            error = classify(exc)
        if error.kind == "throttled" and throttled < policy.throttle_retries:
            throttled += 1
            wait = policy.rng.uniform(*policy.throttle_backoff)
        elif retry_server_errors and error.kind in RETRYABLE and server < policy.server_retries:
            wait = policy.server_backoff[min(server, len(policy.server_backoff) - 1)] * policy.rng.uniform(0.8, 1.2)
            server += 1
        else:
            raise error
        if wait >= deadline.time_left(keep):
            # Out of time to retry: the call failed (it counts towards "monitor blind"), it was not skipped.
            raise SourceError(f"{error} (no time left to retry)", kind=error.kind, status=error.status,
                              code=error.code)
        deadline.sleep(wait, what, keep)
