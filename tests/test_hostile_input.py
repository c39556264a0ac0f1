"""Hostile input against the real handler: malformed timer events, every configuration key given a wrong
type or value, and task records that try to break the messages (control characters, ANSI escapes, 1 MB
strings, invalid UTF-8, right-to-left marks, HTML, [] and 【】, 10,000 detail entities).

What must hold: nothing crashes (no "internal error" summary); a bad event or key ends the run with a clear
error naming it and before any request; SMN messages stay within SMN's limits (subject <= 512 bytes,
message_structure <= 256 KB, SMS under 490 characters without [] or 【】; the emulator records a warning per
message that breaks the SMS advice) and readable (no control or bidirectional characters, bounded lines).
Tests marked xfail(strict) show a DEFECT of the function; their reason says what happens and the fix.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from index import handler
from taskwatch.errors import RunFailed
from taskwatch.state.document import State

from tests.conftest import STATE_KEY, alerted_keys, invoke, published
from tests.emulator import CloudEmulator
from tests.faults.observe import capture_logs, observe
from tests.fixtures import BUCKET, PROJECT, FakeContext, timer_event

CONFIG_SCHEMA = Path(__file__).resolve().parents[1] / "function/taskwatch/schemas/config.schema.json"
CONFIG_KEYS = sorted(json.loads(CONFIG_SCHEMA.read_text(encoding="utf-8"))["properties"])

_UNREADABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
SMN_SUBJECT_BYTES = 512
SMN_MESSAGE_BYTES = 256 * 1024
SMS_CHARS = 490


def refused_before_any_request(summary: dict[str, Any], emulator: CloudEmulator, *, key: str | None = None,
                               error_type: str | tuple[str, ...] = ("EventError", "ConfigError")) -> str:
    """The run failed with a clear error (naming `key`), sent nothing, and did not crash."""
    assert summary["outcome"] == "failed", summary
    error = summary["errors"][0]
    assert not error.startswith("internal error"), error
    types = (error_type,) if isinstance(error_type, str) else error_type
    assert summary.get("error_type") in types, summary
    if key is not None:
        assert key in error, error
    assert len(error) < 400, f"the error should say what is wrong, not echo the input: {error[:200]}..."
    assert emulator.requests == [], [r["call"] for r in emulator.requests]
    return error


def assert_messages_fit_smn(emulator: CloudEmulator) -> list[dict[str, Any]]:
    """Every accepted message within SMN's limits and SMS advice, and readable."""
    messages = emulator.smn_messages
    assert messages
    for message in messages:
        body = message["body"]
        structure = json.loads(body["message_structure"])
        assert len(body["subject"].encode("utf-8")) <= SMN_SUBJECT_BYTES
        assert len(body["message_structure"].encode("utf-8")) <= SMN_MESSAGE_BYTES
        assert len(structure["sms"]) < SMS_CHARS and not set("[]【】") & set(structure["sms"])
        assert message["warnings"] == [], message["warnings"]
        for text in (body["subject"], structure["sms"]):
            assert "\n" not in text and not _UNREADABLE.search(text), repr(text[:200])
        for text in (structure["email"], structure["default"]):
            assert not _UNREADABLE.search(text), repr(_UNREADABLE.search(text))
            assert max(len(line) for line in text.splitlines()) <= 4000
        json.loads(structure["http"])  # the http document stays JSON
    return messages


# ---- malformed timer events ---------------------------------------------------------------------------------
MALFORMED_EVENTS = {
    "text that is not JSON": "this is {not json",
    "bytes that are not UTF-8": b"\xff\xfe\x00\x81",
    "a JSON list": "[1, 2, 3]",
    "a JSON number": "42",
    "a list object": [{"trigger_type": "TIMER"}],
    "user_event a number": timer_event(42),
    "user_event a list": timer_event(["services", "dds"]),
    "user_event JSON text of a list": timer_event("[1, 2]"),
    "user_event JSON text of a string": timer_event('"dds"'),
    "user_event text that is not JSON": timer_event("services=dds"),
    "user_event true": timer_event(True),
    "user_event larger than 64 KB": timer_event(json.dumps({"services": "dds", "pad": "x" * 70_000})),
}


def handle(event: Any) -> dict[str, Any]:
    """The handler's summary; a refused run raises RunFailed (FunctionGraph counts an error) and carries it."""
    try:
        return handler(event, FakeContext())
    except RunFailed as failed:
        return failed.summary


@pytest.mark.parametrize("event", list(MALFORMED_EVENTS.values()), ids=list(MALFORMED_EVENTS))
def test_malformed_timer_event_is_refused_clearly(emulator, env, event) -> None:
    with capture_logs() as logs:
        summary = handle(event)
    error = refused_before_any_request(summary, emulator, error_type="EventError")
    assert "event" in error
    assert '"taskwatch_summary"' in logs.function_text and "run stopped" in logs.function_text


@pytest.mark.parametrize("user_event", [
    {"bogus": 1},
    {"TASKWATCH_NOT_A_KEY": "x"},
    {"k" * 60_000: 1},
    json.dumps({"services": "dds", "colour": "blue"}),
], ids=["short unknown key", "unknown full name", "60k-character key", "one unknown among known keys"])
def test_unknown_user_event_keys_are_refused_naming_the_key(emulator, env, user_event) -> None:
    error = refused_before_any_request(invoke(user_event), emulator, error_type="ConfigError")
    assert "unknown key in user_event" in error


def test_a_huge_user_event_object_is_refused_without_echoing_it(emulator, env) -> None:
    summary = invoke({"include_tasks": "x" * 5_000_000, "services": "dds"})
    error = refused_before_any_request(summary, emulator, error_type="EventError")
    assert "larger than" in error, error


def test_huge_and_odd_event_fields_outside_user_event_do_not_matter(emulator, env) -> None:
    event = {**timer_event(), "trigger_name": "t" * 100_000, "time": {"not": "a time"}, "padding": "p" * 2_000_000,
             "nested": [[[[{"deep": True}]]]]}
    summary = handle(event)
    assert summary["outcome"] == "ok", summary
    assert len(summary["trigger"]) <= 128


@pytest.mark.parametrize("event", [None, "", {}, "{}"], ids=["None", "empty text", "empty object", "'{}'"])
def test_an_empty_event_is_a_manual_run(emulator, env, event) -> None:
    assert handle(event)["outcome"] == "ok"


DEEP = "[" * 50_000  # within the 64 KB user_event limit


@pytest.mark.parametrize("event", [
    DEEP,
    timer_event(DEEP),
    timer_event(json.dumps({"targets": DEEP})),
], ids=["event", "user_event", "targets in user_event"])
def test_deeply_nested_json_is_refused_clearly(emulator, env, event) -> None:
    refused_before_any_request(handle(event), emulator)


# ---- every configuration key, wrong ---------------------------------------------------------------------------
BAD_ENVIRONMENT = {
    "TASKWATCH_TARGETS": '[{"region": "xx-test-1"}]',
    "TASKWATCH_REGION": "Not A Region",
    "TASKWATCH_PROJECT_ID": "abc",
    "TASKWATCH_SERVICES": "taurusdb,mysql",
    "TASKWATCH_SMN_TOPIC_URN": "arn:aws:sns:eu-west-1:123456789012:taskwatch",
    "TASKWATCH_SMN_TOPICS": '{"dba": "arn:aws:sns:eu-west-1:123456789012:taskwatch"}',
    "TASKWATCH_STATE_URI": "s3://bucket/state.json",
    "TASKWATCH_ENDPOINT_TAURUSDB": "ftp://gaussdb.xx-test-1.myhuaweicloud.com",
    "TASKWATCH_ENDPOINT_GAUSSDB": "https://gaussdb.attacker.example",
    "TASKWATCH_ENDPOINT_DDS": "http://dds.xx-test-1.myhuaweicloud.com",
    "TASKWATCH_ENDPOINT_RDS": "https://rds.xx-test-1.myhuaweicloud.com.attacker.example",
    "TASKWATCH_ENDPOINT_SMN": "not a url",
    "TASKWATCH_ENDPOINT_OBS": "https://{bucket}.obs.attacker.example",
    "TASKWATCH_ENDPOINT_IAM": "https://iam.attacker.example",
    "TASKWATCH_ALLOW_FOREIGN_ENDPOINTS": "maybe",
    "TASKWATCH_OBS_REGION": "XX_TEST",
    "TASKWATCH_DRY_RUN": "perhaps",
    "TASKWATCH_LOOKBACK": "60d",
    "TASKWATCH_BACKFILL": "soon",
    "TASKWATCH_ALERT_STATUSES": "Failed,Exploded",
    "TASKWATCH_INCLUDE_TASKS": "x" * 300,
    "TASKWATCH_EXCLUDE_TASKS": ",".join(f"t{i}" for i in range(101)),
    "TASKWATCH_INCLUDE_INSTANCES": "y" * 257,
    "TASKWATCH_EXCLUDE_INSTANCES": ",".join(f"i{i}" for i in range(101)),
    "TASKWATCH_STUCK_AFTER": "-1h",
    "TASKWATCH_BLIND_AFTER": "0",
    "TASKWATCH_HEARTBEAT": "daily",
    "TASKWATCH_GIVE_UP_AFTER": "30s",
    "TASKWATCH_MAX_ALERTS_PER_MESSAGE": "0",
    "TASKWATCH_MAX_MESSAGES_PER_RUN": "1001",
    "TASKWATCH_TAURUSDB_OFFSET_MODE": "bytes",
    "TASKWATCH_THROTTLE_BACKOFF": "5-2",
    "TASKWATCH_HTTP_TIMEOUT": "0",
    "TASKWATCH_CONCURRENCY": "0",
    "TASKWATCH_RESERVE": "0",
    "TASKWATCH_LOG_LEVEL": "LOUD",
    "RUNTIME_PROJECT_ID": "short",
    "RUNTIME_FUNC_NAME": "two words",
    "TASKWATCH_ALLOW_LOCAL_STATE": "maybe",
}


def test_every_configuration_key_has_a_wrong_value_case() -> None:
    assert sorted(BAD_ENVIRONMENT) == CONFIG_KEYS


@pytest.mark.parametrize("key", CONFIG_KEYS)
def test_wrong_environment_value_is_refused_naming_the_key(emulator, env, monkeypatch, key) -> None:
    monkeypatch.setenv(key, BAD_ENVIRONMENT[key])
    refused_before_any_request(invoke(), emulator, key=key, error_type="ConfigError")


@pytest.mark.parametrize("key", CONFIG_KEYS)
def test_wrong_json_type_in_user_event_is_refused_naming_the_key(emulator, env, key) -> None:
    refused_before_any_request(invoke({key: {"an": ["object"]}}), emulator, key=key, error_type="ConfigError")


@pytest.mark.parametrize(("user_event", "key"), [
    ({"heartbeat": True}, "TASKWATCH_HEARTBEAT"),
    ({"heartbeat": "yes please"}, "TASKWATCH_HEARTBEAT"),
    ({"heartbeat": 1e308}, "TASKWATCH_HEARTBEAT"),
    ({"services": ["dds", "dds"]}, "TASKWATCH_SERVICES"),
    ({"services": {"region": "xx-test-1"}}, "TASKWATCH_SERVICES"),
    ({"services": "dds,mysql"}, "TASKWATCH_SERVICES"),
    ({"shard": ["a"]}, "shard"),
    ({"shard": "a b"}, "shard"),
    ({"topic": 42}, "topic"),
    ({"topic": "x" * 65}, "topic"),
], ids=["boolean for a duration", "text for a duration", "huge number", "repeated service", "object for a list",
        "unknown service", "list for a shard", "shard with a space", "number for a topic", "long topic name"])
def test_typed_user_event_values_are_checked(emulator, env, user_event, key) -> None:
    refused_before_any_request(invoke(user_event), emulator, key=key, error_type="ConfigError")


NON_FINITE = [
    ("user_event", '{"lookback": NaN}', "TASKWATCH_LOOKBACK"),
    ("user_event", '{"backfill": NaN}', "TASKWATCH_BACKFILL"),
    ("user_event", '{"reserve": NaN}', "TASKWATCH_RESERVE"),
    ("user_event", '{"http_timeout": NaN}', "TASKWATCH_HTTP_TIMEOUT"),
    ("user_event", '{"stuck_after": Infinity}', "TASKWATCH_STUCK_AFTER"),
    ("user_event", '{"give_up_after": Infinity}', "TASKWATCH_GIVE_UP_AFTER"),
    ("user_event", '{"heartbeat": Infinity}', "TASKWATCH_HEARTBEAT"),
    ("env", "nan-nan", "TASKWATCH_THROTTLE_BACKOFF"),
    ("env", "99999999999d", "TASKWATCH_STUCK_AFTER"),
    ("env", "99999999999d", "TASKWATCH_GIVE_UP_AFTER"),
    ("env", "99999999999d", "TASKWATCH_HEARTBEAT"),
]


@pytest.mark.parametrize(("where", "value", "key"), NON_FINITE, ids=[f"{k} {v}" for _, v, k in NON_FINITE])
def test_non_finite_or_huge_numbers_are_refused_naming_the_key(emulator, env, monkeypatch, where, value, key) -> None:
    if where == "env":
        monkeypatch.setenv(key, value)
        summary = invoke()
    else:
        summary = invoke(value)
    if summary["outcome"] != "failed":
        summary = invoke(value if where == "user_event" else None)  # a heartbeat goes wrong on the next run
    refused_before_any_request(summary, emulator, key=key, error_type="ConfigError")


# ---- task records that try to break the messages --------------------------------------------------------------
EVIL = ("\x1b[31mRED\x1b[0m\x00\x07\x08\x7f\u202eRTL-override\u200f\u2066isolate\u2069 "
        "<script>alert('x')</script> <b>bold</b> &amp; [bracket] 【CJK】")
MEGABYTE = "M" * 1_000_000


@pytest.fixture
def no_seeds(env, monkeypatch):
    """An emulator without the seed examples, pointed at by the environment."""
    with CloudEmulator(ak=env["CLOUD_SDK_AK"], sk=env["CLOUD_SDK_SK"], project_id=PROJECT,
                       region=env["TASKWATCH_REGION"], topic_urns=[env["TASKWATCH_SMN_TOPIC_URN"]], buckets=[BUCKET],
                       seed_examples=False) as emu:
        for key, value in emu.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("TASKWATCH_BACKFILL", "30d")
        yield emu


def _failed(emu: CloudEmulator, service: str, minutes: int = 60, **fields: Any) -> str:
    created = emu.now() - timedelta(minutes=minutes)
    values = {"name": "CreateInstance", "instance_id": "inst-1", "instance_name": "db-1", "fail_reason": "boom",
              **fields}
    return emu.add_task(service, status="Failed", created=created, ended=created + timedelta(minutes=2), **values)


def test_control_ansi_bidi_html_brackets_and_megabyte_fields_stay_within_smn_limits(no_seeds) -> None:
    emu = no_seeds
    keys = {
        f"dds:{PROJECT}:" + _failed(emu, "dds", name=EVIL + MEGABYTE, instance_id=EVIL, instance_name=MEGABYTE,
                                    fail_reason=EVIL + MEGABYTE, entities={"note": EVIL, "blob": MEGABYTE}),
        f"taurusdb:{PROJECT}:" + _failed(emu, "taurusdb", name="【扩容】[resize]", instance_name="实例[1]【主】",
                                         fail_reason="磁盘已满【紧急】[code 42]"),
        f"gaussdb:{PROJECT}:" + _failed(emu, "gaussdb", name=EVIL, fail_reason="\u202egnp.exe\u202c ok"),
    }
    with capture_logs() as logs:
        summary = invoke()
    assert summary["outcome"] == "ok", summary
    assert set(alerted_keys(emu)) == keys
    for message in assert_messages_fit_smn(emu):
        structure = json.loads(message["body"]["message_structure"])
        assert "\x1b" not in structure["http"] and "\\u001b" not in structure["http"]
    texts = {m["http"]["service"]: m for m in published(emu)}
    dds = texts["dds"]["http"]["tasks"][0]
    assert "<script>alert('x')</script>" in dds["task_name"]  # HTML stays text, as data
    assert "[bracket] 【CJK】" in texts["dds"]["subject"] and "(bracket) (CJK)" in texts["dds"]["structure"]["sms"]
    assert "磁盘已满" in texts["taurusdb"]["structure"]["sms"]
    state = emu.obs_objects[(BUCKET, STATE_KEY)]
    State.from_bytes(state)
    assert len(state) < 64 * 1024, "a megabyte field must not be kept whole in the state"
    assert "\x1b" not in logs.text and "\u202e" not in logs.text
    assert max(len(line) for line in logs.function_text.splitlines()) < 64 * 1024


def test_ten_thousand_detail_entities_keep_the_message_readable_and_within_limits(no_seeds) -> None:
    emu = no_seeds
    entities = {f"resource_{n}": {"id": f"{n:08d}-volume", "size_gb": n % 500, "tags": ["a", "b"]}
                for n in range(10_000)}
    task_id = _failed(emu, "taurusdb", name="EnlargeGaussDBforMySQLProxy", entities=entities)
    summary = invoke()
    assert summary["outcome"] == "ok", summary
    assert alerted_keys(emu) == [f"taurusdb:{PROJECT}:{task_id}"]
    (message,) = assert_messages_fit_smn(emu)
    email = json.loads(message["body"]["message_structure"])["email"]
    assert "EnlargeGaussDBforMySQLProxy" in email and task_id in email and len(email) < 20_000
    State.from_bytes(emu.obs_objects[(BUCKET, STATE_KEY)])


def test_ten_thousand_entities_on_many_tasks_in_one_message(no_seeds, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_MAX_ALERTS_PER_MESSAGE", "100")
    emu = no_seeds
    entities = {f"r{n}": "v" * 20 for n in range(10_000)}
    ids = [_failed(emu, "dds", minutes=60 + n, name=f"Task{n}", entities=entities) for n in range(100)]
    summary = invoke()
    assert summary["outcome"] == "ok", summary
    assert sorted(alerted_keys(emu)) == sorted(f"dds:{PROJECT}:{i}" for i in ids)
    assert_messages_fit_smn(emu)


def test_odd_raw_records_are_reported_and_nothing_crashes(no_seeds) -> None:
    emu = no_seeds
    created = (emu.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    emu.raw_item("dds", None, {"name": MEGABYTE, "status": "Failed", "created_at": created,
                               "instance_id": ["not", "text"], "fail_reason": {"nested": EVIL}})  # no id at all
    emu.raw_item("dds", None, {"id": "x" * 300, "name": None, "status": "Failed", "created_at": "yesterday",
                               "instance_name": 12345})
    emu.raw_item("dds", None, {"id": "ok-1", "name": EVIL, "status": "Failed", "created_at": created,
                               "instance_id": "i", "instance_name": "n", "fail_reason": EVIL})
    summary = invoke()
    assert summary["outcome"] == "degraded" and summary["schema_violations"] >= 2, summary
    assert len(alerted_keys(emu)) == 3
    assert_messages_fit_smn(emu)
    assert len(json.dumps(summary)) < 64 * 1024
    State.from_bytes(emu.obs_objects[(BUCKET, STATE_KEY)])


def _rewriting(emu: CloudEmulator, placeholder: bytes, replacement: bytes) -> None:
    observe(emu, lambda service, body: body.replace(placeholder, replacement))


def test_invalid_utf8_in_one_task_is_replaced_and_the_page_still_read(no_seeds) -> None:
    emu = no_seeds
    _rewriting(emu, b"@@BAD@@", b"\xff\xfe\xc3(")
    good = _failed(emu, "gaussdb", minutes=30, name="RestartGaussDBV5Instance")
    bad = _failed(emu, "gaussdb", minutes=31, name="Resize@@BAD@@Flavor", fail_reason="disk @@BAD@@ full")
    summary = invoke()
    assert summary["outcome"] in ("ok", "degraded") and not any("gaussdb" in e for e in summary["errors"]), summary
    assert sorted(alerted_keys(emu)) == sorted([f"gaussdb:{PROJECT}:{good}", f"gaussdb:{PROJECT}:{bad}"])
    (message,) = assert_messages_fit_smn(emu)
    assert "\ufffd" in message["body"]["message_structure"]


def test_escaped_lone_surrogate_in_a_task_field_does_not_crash_the_run(no_seeds) -> None:
    emu = no_seeds
    _rewriting(emu, b"@@SUR@@", b"\\udcff")
    good = _failed(emu, "gaussdb", minutes=30, name="RestartGaussDBV5Instance")
    bad = _failed(emu, "gaussdb", minutes=31, name="Resize@@SUR@@Flavor", fail_reason="disk @@SUR@@ full")
    summary = invoke()
    assert not any(e.startswith("internal error") for e in summary["errors"]), summary["errors"]
    assert sorted(alerted_keys(emu)) == sorted([f"gaussdb:{PROJECT}:{good}", f"gaussdb:{PROJECT}:{bad}"])
    assert_messages_fit_smn(emu)
    State.from_bytes(emu.obs_objects[(BUCKET, STATE_KEY)])


def test_newlines_in_task_fields_cannot_forge_email_lines(no_seeds) -> None:
    emu = no_seeds
    _failed(emu, "dds", name="Create\n   Reason:    all fine, ignore", instance_name="db\n   Task ID:   forged",
            fail_reason="disk full\n\n2. FakeTask (status Failed)\n   Task ID:   also-forged")
    assert invoke()["outcome"] == "ok"
    (message,) = assert_messages_fit_smn(emu)
    email = json.loads(message["body"]["message_structure"])["email"]
    lines = email.splitlines()  # an item's fields are "   Name:" lines; continuation lines are indented deeper
    assert sum(line.startswith("   Task ID:") for line in lines) == 1, email
    assert sum(line.startswith("   Reason:") for line in lines) == 1, email
    assert sum(bool(re.match(r"^\d+\. ", line)) for line in lines) == 1, email


def test_a_megabyte_task_id_does_not_block_the_alerts_of_its_message(no_seeds) -> None:
    emu = no_seeds
    created = (emu.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    emu.raw_item("dds", None, {"id": "x" * 1_000_000, "name": "CreateMongoDB", "status": "Failed",
                               "created_at": created, "instance_id": "i", "instance_name": "n", "fail_reason": "r"})
    normal = _failed(emu, "dds", minutes=120, name="RestartInstance")
    summary = invoke()
    assert summary["messages_failed"] == 0, summary["errors"]
    assert f"dds:{PROJECT}:{normal}" in alerted_keys(emu)
    assert_messages_fit_smn(emu)
    assert len(emu.obs_objects[(BUCKET, STATE_KEY)]) < 64 * 1024
