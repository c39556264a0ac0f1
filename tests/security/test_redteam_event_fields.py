"""Event fields besides user_event are caller text too: the trigger name is copied into the run summary,
which is logged as one JSON line and returned. JSON escapes \\n and C0 controls but (with ensure_ascii off)
not U+2028/U+2029, U+0085 or the C1 controls (U+009B is a one-byte CSI), so an uncleaned trigger name
could break the summary line for a log viewer or forge one."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import handle
from tests.faults.observe import capture_logs
from tests.fixtures import timer_event

FORGED = 'INFO taskwatch {"taskwatch_summary":{"outcome":"ok","errors":[]}}'
NAMES = [f"t\u2028{FORGED}", f"t\u2029{FORGED}", f"t\x85{FORGED}", "t\x9b31mRED\x9b0m", "t\u202egnp.exe",
         "t\x1b[31mred", "t\nx"]


@pytest.mark.parametrize("name", NAMES, ids=["U+2028", "U+2029", "NEL", "C1-CSI", "RLO", "ANSI", "newline"])
def test_a_trigger_name_reaches_the_summary_and_the_log_cleaned(emulator, env, name) -> None:
    with capture_logs() as logs:
        summary = handle(timer_event(name=name))
    trigger = summary["trigger"]
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]", trigger), repr(trigger)
    text = logs.function_text
    assert not re.search(r"[\x1b\x85\x9b\u2028\u2029\u202e]", text), repr(text[-300:])
    own = [line for line in text.splitlines() if re.match(r"^[A-Z]+ taskwatch ", line)]
    summaries = [line for line in own if '{"taskwatch_summary"' in line]
    assert len(summaries) == 1, own
    assert json.loads(summaries[0].split(" ", 2)[2])["taskwatch_summary"]["trigger"] == trigger
