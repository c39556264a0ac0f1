"""An OBS error body is outside text: its <Code> goes into the StateError, so into the summary (logged and
returned to the caller), the failed invocation's reason and the state's notices. It must arrive cleaned:
no line or paragraph separator, no ANSI or C1 escape, no bidirectional control."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import handle
from tests.emulator import Fault
from tests.faults.observe import capture_logs
from tests.fixtures import timer_event

UNREADABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
CODE = 'Denied\u2028INFO taskwatch {"taskwatch_summary":{"outcome":"ok"}}\x1b[31m\x9b1m\u202eRED\n{"x":1}'


def error_body(request: object) -> bytes:
    return f"<Error><Code>{CODE}</Code><Message>no</Message></Error>".encode()


@pytest.mark.parametrize("call", ["obs.get", "obs.put"])
def test_an_obs_error_code_reaches_the_summary_and_the_log_cleaned(emulator, env, call) -> None:
    emulator.faults.add(Fault(call=call, kind="answer", status=403, body=error_body,
                              headers=(("Content-Type", "application/xml"),)))
    with capture_logs() as logs:
        summary = handle(timer_event())
    assert summary["outcome"] == "failed", summary
    errors = json.dumps(summary["errors"], ensure_ascii=False)
    assert "HTTP 403 Denied" in errors, errors
    assert not UNREADABLE.search(errors), errors
    log = logs.function_text.replace("\n", " ")
    assert not UNREADABLE.search(log), repr(log[-400:])
    assert not any(line.lstrip().startswith("{") for line in logs.function_text.splitlines())
