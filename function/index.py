"""FunctionGraph entry point: parse the event, load the configuration, run, return the summary.

A run that could not do its job ends with outcome "failed": the handler logs the summary, then raises
RunFailed, so FunctionGraph counts an error (a returned summary would count as a success)."""

from __future__ import annotations

import os
import traceback
from typing import Any

from taskwatch.config import config_keys
from taskwatch.config_cache import cached_config
from taskwatch.credentials import resolve_credentials
from taskwatch.deadline import Deadline
from taskwatch.errors import RunFailed, TaskwatchError
from taskwatch.event import parse_event
from taskwatch.logs import get_logger, log_summary
from taskwatch.run import run
from taskwatch.sanitize import one_line
from taskwatch.secrets_scrub import SCRUBBER


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Timer trigger handler. Configuration errors end the run with a message naming the key."""
    log = get_logger()
    try:
        # First: from here on the scrubber knows the secrets, even in a configuration error's text.
        credentials = resolve_credentials(context, os.environ)
        timer = parse_event(event)
        config = cached_config(_environment(context), timer.overrides)  # parsed once per warm container
        log.setLevel(config.log_level)
        summary = run(config, credentials, Deadline(context, config.reserve), trigger=timer.trigger_name)
    except TaskwatchError as exc:
        summary = {"outcome": "failed", "errors": [str(exc)], "error_type": type(exc).__name__}
        log.error("run stopped: %s", one_line(exc, 600))  # may quote caller text (a user_event key): one line
    except Exception as exc:  # a defect: report it in the summary rather than as a raw traceback
        # Indented and cleaned line by line: an exception text quoting outside data cannot forge a log line.
        trace = "\n".join("  " + one_line(line, 2000) for line in SCRUBBER(traceback.format_exc()).splitlines())
        log.error("run crashed:\n%s", trace)
        text = one_line(SCRUBBER(str(exc)), 300)
        summary = {"outcome": "failed", "errors": [f"internal error: {type(exc).__name__}: {text}"],
                   "error_type": type(exc).__name__}
    summary = SCRUBBER.data(summary)  # what is logged is what is returned
    log_summary(log, summary)
    if summary.get("outcome") == "failed":
        raise RunFailed(_failure_reason(summary), summary)
    return summary


def _failure_reason(summary: dict[str, Any]) -> str:
    """The one line FunctionGraph shows for the failed invocation: why the run could not do its job."""
    errors = [str(e) for e in summary.get("errors") or []]
    reason = next((e for e in errors if e.startswith(("state not saved", "alerts not published"))),
                  errors[0] if errors else "run failed")
    return one_line(SCRUBBER(reason), 300)


def _environment(context: Any) -> dict[str, str]:
    """Process environment; FunctionGraph also serves (encrypted) variables through getUserData, and the
    function's name through getFunctionName: a context that names the function means the run is inside
    FunctionGraph even when RUNTIME_FUNC_NAME is not in the environment (a local state is refused there)."""
    environ = dict(os.environ)
    get = getattr(context, "getUserData", None)
    if callable(get):
        for key in config_keys():
            value = get(key)
            if value:
                environ[key] = value
    name = getattr(context, "getFunctionName", None)
    if not environ.get("RUNTIME_FUNC_NAME") and callable(name):
        value = name()
        if isinstance(value, str) and value.strip():
            environ["RUNTIME_FUNC_NAME"] = value
    return environ
