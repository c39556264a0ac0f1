"""Test-side observation of one run, without changing the emulator or the function.

- observe(emu): wraps one emulator instance's dispatcher to keep what every request carried in its
  authentication headers (and its body), and optionally rewrites response bodies just before they are sent
  (bytes the emulator's JSON encoder cannot produce, such as invalid UTF-8).
- RunOutput: everything a run wrote through logging (the function's own handler, after its secret filter,
  and every other logger at DEBUG, as a platform with root logging configured would show it).

Why here and not in the emulator: the emulator's request records deliberately leave headers out, and other
helpers are editing it; the hooks here touch one emulator instance, nothing global.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tests.emulator import CloudEmulator

AUTH_HEADERS = ("Authorization", "X-Security-Token", "x-obs-security-token")
# the function's clients
SDK_CLIENTS = ("GaussDBClient", "GaussDBforopenGaussClient", "DdsClient", "RdsClient", "SmnClient", "IamClient")


class RequestRecorder:
    """The authentication headers and body of every request the emulator received, in arrival order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seen: list[dict[str, Any]] = []

    def add(self, service: str, request: Any) -> None:
        values = {name: str(request.headers.get(name)) for name in AUTH_HEADERS if request.headers.get(name)}
        with self._lock:
            self.seen.append({"service": service, "method": request.method, "path": request.target,
                              "body": bytes(request.body or b""), **values})

    def values(self, name: str) -> list[str]:
        with self._lock:
            return [entry[name] for entry in self.seen if name in entry]

    def bodies(self, service: str) -> list[bytes]:
        with self._lock:
            return [entry["body"] for entry in self.seen if entry["service"] == service]

    def signatures(self) -> list[str]:
        """The signature part of every Authorization header (SDK-HMAC-SHA256 ... Signature=x; OBS ak:x)."""
        out = []
        for value in self.values("Authorization"):
            if "Signature=" in value:
                out.append(value.rsplit("Signature=", 1)[1].split(",")[0].strip())
            elif value.startswith("OBS ") and ":" in value:
                out.append(value.rsplit(":", 1)[1])
        return out


def observe(emu: CloudEmulator, rewrite: Callable[[str, bytes], bytes] | None = None) -> RequestRecorder:
    """Record every request's authentication headers and body; optionally rewrite response bodies
    (rewrite(service_name, body) -> body) just before they are sent."""
    recorder = RequestRecorder()
    dispatcher = emu._dispatcher
    original = dispatcher.dispatch

    def dispatch(service: Any, request: Any) -> Any:
        recorder.add(service.name, request)
        response = original(service, request)
        if rewrite is not None and response.body:
            response.body = rewrite(service.name, response.body)
        return response

    dispatcher.dispatch = dispatch  # type: ignore[method-assign]  # the listeners look it up per request
    return recorder


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception as exc:  # a record that cannot even be formatted is itself a finding
            self.lines.append(f"(unformattable record from {record.name}: {exc!r})")


class RunOutput:
    """What the function's logger printed (its own stdout handler, after the secret filter) and what every
    other logger emitted at any level."""

    def __init__(self) -> None:
        self.function_stream = io.StringIO()
        self.others = _Lines()

    @property
    def function_text(self) -> str:
        return self.function_stream.getvalue()

    @property
    def text(self) -> str:
        return self.function_text + "\n".join(self.others.lines)


@contextmanager
def capture_logs() -> Iterator[RunOutput]:
    """Point the taskwatch logger's own handler at a buffer, and listen to every other logger at DEBUG
    (root, the SDK's non-propagating HuaweiCloud-SDK-* loggers, urllib3)."""
    from taskwatch.logs import get_logger

    output = RunOutput()
    logger = get_logger()
    streams = [h for h in logger.handlers if isinstance(h, logging.StreamHandler)]
    previous = [h.stream for h in streams]
    for handler in streams:  # not setStream(): it flushes the old stream, which pytest may have closed
        handler.stream = output.function_stream
    root = logging.getLogger()
    root_level = root.level
    root.addHandler(output.others)
    root.setLevel(logging.DEBUG)
    names = {name for name in list(logging.root.manager.loggerDict) if name.startswith("HuaweiCloud-SDK")}
    names |= {f"HuaweiCloud-SDK-{client}" for client in SDK_CLIENTS}  # created on first use of a client
    sdk_loggers = [logging.getLogger(name) for name in sorted(names)]
    for sdk in sdk_loggers:
        sdk.addHandler(output.others)
    try:
        yield output
    finally:
        for sdk in sdk_loggers:
            sdk.removeHandler(output.others)
        root.removeHandler(output.others)
        root.setLevel(root_level)
        for handler, stream in zip(streams, previous, strict=True):
            handler.stream = stream
