"""Retries inside one run: throttling waits 2-5 s with jitter, server and connection errors a few short
retries, client errors none. Every wait is bounded by the run's deadline."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from huaweicloudsdkcore.exceptions import exceptions as sdk

from .deadline import Deadline
from .errors import OutOfTime, SourceError
from .sanitize import one_line

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


def classify(exc: BaseException) -> SourceError:
    """Turn whatever the SDK or the transport raised into a SourceError with a kind the policy knows."""
    if isinstance(exc, sdk.ServiceResponseException):
        code = exc.error_code or None
        status = exc.status_code
        text = f"HTTP {status} {code or ''} {one_line(exc.error_msg or '', 160)}".strip()
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
        return SourceError(f"connection failed: {one_line(str(exc), 160)}", kind="connection")
    if isinstance(exc, BadResponse):
        return SourceError(f"bad response: {one_line(str(exc), 160)}", kind="bad_response")
    return SourceError(f"{type(exc).__name__}: {one_line(str(exc), 160)}", kind="transport")


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
