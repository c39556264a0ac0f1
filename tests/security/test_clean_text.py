"""Text from outside is cleaned before it reaches a message or a log line: task IDs, entities, keys.

Line and paragraph separators (U+2028/9) and bidirectional controls would let a task center's record forge a
line or reorder text in an email; a newline in a log message would let it forge a `taskwatch_summary` line.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from taskwatch.clean_data import clean_structure, display_id
from taskwatch.sanitize import clean, one_line

from tests.conftest import STATE_KEY, alerted_keys, emulator_with, invoke, published
from tests.faults.observe import capture_logs
from tests.fixtures import BUCKET, PROJECT

INVISIBLE = ["\u2028", "\u2029", "\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
             "\u2066", "\u2067", "\u2068", "\u2069"]
UNREADABLE = re.compile("[" + "".join(INVISIBLE) + r"\x00-\x08\x0b-\x1f\x7f-\x9f]")
FORGED = '\n{"taskwatch_summary":{"outcome":"ok","errors":[]}}\n'


@pytest.mark.parametrize("character", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_clean_drops_line_separators_and_bidirectional_controls(character: str) -> None:
    assert clean(f"a{character}b") == "ab"
    assert one_line(f"a{character}b") == "ab"


def test_clean_structure_cleans_every_string_and_key_and_keeps_the_shape() -> None:
    value = {"k\u2028ey\u202e": ["v\u2029", {"x\x1b[31m": "\u2066y"}], "n": 3, "none": None, "ok": True}
    assert clean_structure(value) == {"key": ["v", {"x": "y"}], "n": 3, "none": None, "ok": True}
    deep: list = []
    node = deep
    for _ in range(100):
        node.append([])
        node = node[0]
    assert "(nested too deeply)" in json.dumps(clean_structure(deep))


@pytest.mark.parametrize("raw", ["f85104b5-4a9c-4e0f-9505-fc5409d8f7ae", "d87f5b33049144ec95f0cab0a5f22cfbin02",
                                 "job_1.2"])
def test_ordinary_task_ids_are_shown_as_they_are(raw: str) -> None:
    assert display_id(raw) == raw


@pytest.mark.parametrize("raw", ["a\nb", "id\u202egnp", "id with space", "x:y", "x" * 129, FORGED, "é"])
def test_other_task_ids_get_a_stable_safe_stand_in(raw: str) -> None:
    shown = display_id(raw)
    assert shown == display_id(raw)  # stable: the same task keeps its dedup key run after run
    assert re.fullmatch(r"[A-Za-z0-9._-]{0,64}~[0-9a-f]{24}", shown), shown
    assert display_id(raw + "!") != shown  # distinct raw IDs stay distinct


def assert_one_real_summary_line(text: str) -> None:
    """No log line starts a JSON document, and the function's own handler wrote exactly one summary line."""
    lines = text.splitlines()
    assert not any(line.lstrip().startswith("{") for line in lines), lines
    own = [line for line in lines if re.match(r"^[A-Z]+ taskwatch ", line)]  # not pytest's own capture
    summaries = [line for line in own if '{"taskwatch_summary"' in line]
    assert len(summaries) == 1 and summaries[0].startswith('INFO taskwatch {"taskwatch_summary"'), own


# ---- through the real handler -------------------------------------------------------------------------------
@pytest.fixture
def no_seeds(env, monkeypatch):
    with emulator_with(monkeypatch, seed_examples=False) as emu:
        yield emu


def test_a_forged_task_id_reaches_no_message_and_no_log_line_raw(no_seeds) -> None:
    """The raw ID printed in the dedup key and the schema-violation warning could forge an email line and a
    summary line in the log. It is shown as its stand-in everywhere; the detail call still uses the raw ID."""
    emu = no_seeds
    raw_id = "job-1" + FORGED + "\u202e   Task ID:   forged\x1b[31m"
    emu.add_task("dds", id=raw_id, status="Failed", created=emu.now() - timedelta(minutes=30),
                 ended=emu.now() - timedelta(minutes=28), name="CreateInstance", instance_id="inst-1",
                 instance_name="db-1", fail_reason="detail reached with the raw id")
    with capture_logs() as logs:
        summary = invoke()
    shown = display_id(raw_id)
    assert alerted_keys(emu) == [f"dds:{PROJECT}:{shown}"], alerted_keys(emu)
    (message,) = published(emu)
    email = message["structure"]["email"]
    assert "detail reached with the raw id" in email  # the detail call used the raw ID
    assert sum(line.startswith("   Task ID:") for line in email.splitlines()) == 1, email
    assert not UNREADABLE.search(email) and '{"taskwatch_summary"' not in email
    assert any(v["task_id"] == shown and v["path"] == "id" for v in summary["violations"]), summary["violations"]
    state = json.loads(emu.obs_objects[(BUCKET, STATE_KEY)])
    assert list(state["tasks"]) == [f"dds:{PROJECT}:{shown}"]
    assert_one_real_summary_line(logs.function_text)
    assert "\x1b" not in logs.function_text and "\u202e" not in logs.function_text
    assert "schema violation" in logs.function_text


def test_entities_are_cleaned_before_the_email_text(no_seeds) -> None:
    emu = no_seeds
    entities = {"na\u2028me\u202e": "gnp.exe\u2029\u2066line\x1b[31m", "list": ["\u202ex", {"\u2067k": "v\u061c"}]}
    emu.add_task("taurusdb", status="Failed", created=emu.now() - timedelta(minutes=30),
                 ended=emu.now() - timedelta(minutes=28), name="Resize", instance_id="i", instance_name="n",
                 fail_reason="disk full", entities=entities)
    assert invoke()["outcome"] == "ok"
    (message,) = published(emu)
    email = message["structure"]["email"]
    assert "Details:" in email and "gnp.exeline" in email, email
    assert not UNREADABLE.search(email), repr(UNREADABLE.search(email))
    doc = message["http"]["tasks"][0]["entities"]
    assert doc == {"name": "gnp.exeline", "list": ["x", {"k": "v"}]}
