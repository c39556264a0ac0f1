"""`make doctor` against the emulator: every check's row, permission-denied answers, wrong hosts and buckets,
and the two promises: nothing is published and the state object is never touched."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import STATE_KEY, emulator_with
from tests.doctor.conftest import LAYERS, Outcome
from tests.emulator import CloudEmulator
from tests.emulator.faults import Fault
from tests.fixtures import AK, BUCKET, PROJECT, SK, TOKEN, TOPIC

STATE = b'{"the": "state object, which the preflight must never read or write"}'
SERVICES = ("taurusdb", "gaussdb", "dds", "rds")


@pytest.fixture
def env(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The shared environment, watching every service: RDS is opt-in, and the preflight checks only what the
    function watches."""
    monkeypatch.setenv("TASKWATCH_SERVICES", ",".join(SERVICES))
    return {**env, "TASKWATCH_SERVICES": ",".join(SERVICES)}


def row_name(service: str, step: str) -> str:
    return f"{service} xx-test-1/{PROJECT}: {step}"


def populate(emu: CloudEmulator, tasks: int = 35, subscribed: bool = True) -> None:
    for service in SERVICES:
        emu.generate(service, tasks, seed=3)
    if subscribed:
        emu.smn_subscribe(TOPIC, "email", "ops@example.com")
    emu.obs_put_object(BUCKET, STATE_KEY, STATE, "application/json")
    emu.obs_put_object(BUCKET, STATE_KEY + ".lease", b'{"holder": "x"}', "application/json")


def assert_read_only(emu: CloudEmulator) -> None:
    """No publish; no request for the state object or the lease; only the probe object was ever written."""
    assert emu.smn_messages == []
    assert "smn.publish" not in emu.request_counts()
    for record in emu.requests:
        if record["service"] != "obs":
            assert record["method"] == "GET", record
            continue
        if record["call"] == "obs.head_bucket":
            continue
        assert record["path"].startswith(f"/{BUCKET}/{STATE_KEY}.doctor-probe-"), record
    objects = emu.obs_objects
    assert objects[(BUCKET, STATE_KEY)] == STATE
    assert not [key for (_, key) in objects if ".doctor-probe-" in key], "probe object left behind"


def assert_no_secret(outcome: Outcome) -> None:
    for secret in (AK, SK, TOKEN):
        assert secret not in outcome.text


@pytest.mark.parametrize("mode", ["page", "item"])
def test_every_check_passes_and_the_offset_reading_is_told(mode: str, env: dict[str, str],
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           run_doctor: Callable[[], Outcome]) -> None:
    monkeypatch.setenv("TASKWATCH_TAURUSDB_OFFSET_MODE", mode)
    with emulator_with(monkeypatch, taurusdb_offset_mode=mode) as emu:
        populate(emu)
        outcome = run_doctor()
        assert outcome.code == 0, outcome.text
        for service in SERVICES:
            [row] = outcome.rows(row_name(service, "list"))
            assert row.startswith("OK") and emu.endpoints[service].split("//")[1] in row
            assert "total_count 3" in row
        expected = {"taurusdb": mode, "gaussdb": "item", "dds": "item", "rds": "item"}
        for service, reading in expected.items():
            [row] = outcome.rows(row_name(service, "offset"))
            meaning = "an item offset from 0" if reading == "item" else "a page number from 1"
            assert row.startswith("OK") and meaning in row, row
        assert outcome.status("smn topic taskwatch") == "OK"
        assert "1 receiving (email)" in outcome.rows("smn topic")[0]
        for step in ("head", "write", "read", "delete"):
            assert outcome.status(f"state bucket {BUCKET}: {step}") == "OK"
        assert "not encrypted" in outcome.rows(": write")[0]
        assert "How the offset reading is told" in outcome.text
        counts = emu.request_counts()
        assert all(counts[f"{service}.list"] == 3 for service in SERVICES)
        assert counts["smn.subscriptions"] == 1 and counts["obs.head_bucket"] == 1
        assert counts["obs.put"] == counts["obs.get"] == counts["obs.delete"] == 1
        assert_read_only(emu)
        assert_no_secret(outcome)
        assert emu.errors == []


def test_a_configured_offset_reading_that_differs_is_a_warning(env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                                               run_doctor: Callable[[], Outcome]) -> None:
    monkeypatch.setenv("TASKWATCH_TAURUSDB_OFFSET_MODE", "page")
    with emulator_with(monkeypatch, taurusdb_offset_mode="item") as emu:
        populate(emu)
        outcome = run_doctor()
    [row] = outcome.rows(row_name("taurusdb", "offset"))
    assert row.startswith("WARN") and "fix: set TASKWATCH_TAURUSDB_OFFSET_MODE=item" in row
    assert outcome.code == 0


def test_one_page_of_tasks_is_listed_once_and_the_offset_is_not_probed(
        env: dict[str, str], emulator: CloudEmulator, run_doctor: Callable[[], Outcome]) -> None:
    populate(emulator, tasks=3)
    outcome = run_doctor()
    assert outcome.code == 0
    for service in SERVICES:
        assert outcome.status(row_name(service, "offset")) == "SKIP"
        assert emulator.request_counts()[f"{service}.list"] == 1
    assert "How the offset reading is told" not in outcome.text
    assert_read_only(emulator)


DENIALS = [
    # (call denied, row, status, IAM action, exit code)
    ("taurusdb.list", row_name("taurusdb", "list"), "FAIL", "gaussdb:instance:list", 1),
    ("gaussdb.list", row_name("gaussdb", "list"), "FAIL", "gaussdb:instance:list", 1),
    ("dds.list", row_name("dds", "list"), "FAIL", "dds:task:list", 1),
    ("rds.list", row_name("rds", "list"), "FAIL", "rds:task:list", 1),
    ("smn.subscriptions", "smn topic", "WARN", "smn:topic:listSubscriptionsByTopic", 0),
    ("obs.head_bucket", f"state bucket {BUCKET}: head", "WARN", "obs:bucket:HeadBucket", 0),
    ("obs.put", f"state bucket {BUCKET}: write", "FAIL", "obs:object:PutObject", 1),
    ("obs.get", f"state bucket {BUCKET}: read", "FAIL", "obs:object:GetObject", 1),
    ("obs.delete", f"state bucket {BUCKET}: delete", "WARN", "obs:object:DeleteObject", 0),
]


@pytest.mark.parametrize(("call", "row", "status", "action", "code"), DENIALS, ids=[d[0] for d in DENIALS])
def test_a_denied_call_names_the_missing_iam_action(call: str, row: str, status: str, action: str, code: int,
                                                    env: dict[str, str], emulator: CloudEmulator,
                                                    run_doctor: Callable[[], Outcome]) -> None:
    populate(emulator)
    emulator.faults.add(Fault(call, "403"))
    outcome = run_doctor()
    [found] = outcome.rows(row)
    assert found.startswith(status) and "HTTP 403" in found and f"grant IAM action {action}" in found, found
    assert outcome.code == code
    others = [line for line in outcome.text.splitlines() if line.startswith(("WARN", "FAIL")) and row not in line]
    if call == "obs.get":
        assert outcome.status(f"state bucket {BUCKET}: delete") == "OK"  # the probe is still cleaned up
    else:
        assert others == [], others
    if call != "obs.delete":
        assert_read_only(emulator)
    else:
        assert [k for (_, k) in emulator.obs_objects if ".doctor-probe-" in k] and "by hand" in found
    assert_no_secret(outcome)


def test_wrong_secret_key_is_told_apart_from_a_missing_permission(
        env: dict[str, str], emulator: CloudEmulator, monkeypatch: pytest.MonkeyPatch,
        run_doctor: Callable[[], Outcome]) -> None:
    populate(emulator)
    wrong = "TESTSKwrongSecretValue00000000000000000001"
    monkeypatch.setenv("CLOUD_SDK_SK", wrong)
    outcome = run_doctor()
    assert outcome.code == 1
    for service in SERVICES:
        [row] = outcome.rows(row_name(service, "list"))
        assert row.startswith("FAIL") and "HTTP 401" in row and "credentials refused" in row
    [head] = outcome.rows(f"state bucket {BUCKET}: head")
    assert head.startswith("WARN") and "HTTP 403" in head  # a HEAD answer has no body to say why
    [write] = outcome.rows(f"state bucket {BUCKET}: write")
    assert "SignatureDoesNotMatch" in write and "CLOUD_SDK_SK does not belong to CLOUD_SDK_AK" in write
    assert wrong not in outcome.text and AK not in outcome.text
    assert_read_only(emulator)


def test_security_token_and_secrets_in_configuration_never_reach_the_output(
        env: dict[str, str], monkeypatch: pytest.MonkeyPatch, run_doctor: Callable[[], Outcome]) -> None:
    monkeypatch.setenv("CLOUD_SDK_SECURITY_TOKEN", TOKEN)
    monkeypatch.setenv("TASKWATCH_STATE_URI", f"obs://{BUCKET}/{SK}/state.json")  # a secret pasted by mistake
    with emulator_with(monkeypatch, security_token=TOKEN) as emu:
        populate(emu)
        outcome = run_doctor()
        assert outcome.code == 0, outcome.text
        assert "with a security token" in outcome.text and "***/state.json.doctor-probe-" in outcome.text
        assert_no_secret(outcome)
        assert [key for (_, key) in emu.obs_objects if ".doctor-probe-" in key] == []


def test_missing_bucket_stops_before_any_write(env: dict[str, str], emulator: CloudEmulator,
                                               monkeypatch: pytest.MonkeyPatch,
                                               run_doctor: Callable[[], Outcome]) -> None:
    monkeypatch.setenv("TASKWATCH_STATE_URI", f"obs://no-such-bucket/{STATE_KEY}")
    outcome = run_doctor()
    [row] = outcome.rows("state bucket no-such-bucket: head")
    assert row.startswith("FAIL") and "the bucket does not exist" in row
    assert outcome.code == 1 and not outcome.rows(": write")
    assert "obs.put" not in emulator.request_counts()


def test_bucket_in_another_region_names_the_setting(env: dict[str, str], emulator: CloudEmulator,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    run_doctor: Callable[[], Outcome]) -> None:
    monkeypatch.setenv("TASKWATCH_OBS_REGION", "xx-other-2")
    outcome = run_doctor()
    [row] = outcome.rows(f"state bucket {BUCKET}: head")
    assert row.startswith("FAIL") and "fix: set TASKWATCH_OBS_REGION=xx-test-1" in row
    assert outcome.code == 1


def test_unknown_topic_and_a_topic_nobody_receives(env: dict[str, str], emulator: CloudEmulator,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   run_doctor: Callable[[], Outcome]) -> None:
    emulator.smn_subscribe(TOPIC, "email", "pending@example.com", status=0)
    unreceived = run_doctor()
    [row] = unreceived.rows("smn topic")
    assert row.startswith("WARN") and "0 receiving" in row and "nobody receives the alerts" in row
    monkeypatch.setenv("TASKWATCH_SMN_TOPIC_URN", TOPIC + "-gone")
    missing = run_doctor()
    [row] = missing.rows("smn topic")
    assert row.startswith("FAIL") and "SMN.0006" in row and "TASKWATCH_SMN_TOPIC_URN" in row
    assert missing.code == 1
    assert emulator.smn_messages == []


def test_unreachable_host_and_a_host_that_serves_another_api(env: dict[str, str], emulator: CloudEmulator,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             run_doctor: Callable[[], Outcome]) -> None:
    monkeypatch.setenv("TASKWATCH_ENDPOINT_DDS", "http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setenv("TASKWATCH_ENDPOINT_TAURUSDB", emulator.endpoints["smn"])
    monkeypatch.setenv("TASKWATCH_ENDPOINT_OBS", "http://127.0.0.1:9")
    outcome = run_doctor()
    [bucket] = outcome.rows(f"state bucket {BUCKET}")
    assert bucket.startswith("FAIL") and "ConnectionError" in bucket and "fix: cannot connect" in bucket
    [dds] = outcome.rows(row_name("dds", "list"))
    assert dds.startswith("FAIL") and "127.0.0.1:9" in dds and "fix: cannot connect" in dds
    [taurus] = outcome.rows(row_name("taurusdb", "list"))
    assert taurus.startswith("FAIL") and "APIG.0101" in taurus and "TASKWATCH_ENDPOINT_TAURUSDB" in taurus
    assert outcome.code == 1


def test_an_answer_that_is_not_json_is_reported(env: dict[str, str], emulator: CloudEmulator,
                                                run_doctor: Callable[[], Outcome]) -> None:
    emulator.faults.add(Fault("gaussdb.list", "html200"))
    outcome = run_doctor()
    [row] = outcome.rows(row_name("gaussdb", "list"))
    assert row.startswith("FAIL") and "not the API's JSON" in row


def test_bad_configuration_names_the_key(env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                         run_doctor: Callable[[], Outcome]) -> None:
    monkeypatch.delenv("TASKWATCH_REGION")
    outcome = run_doctor()
    [row] = outcome.rows("configuration")
    assert row.startswith("FAIL") and "TASKWATCH_REGION" in row and outcome.code == 1


def test_the_script_runs_as_make_doctor_runs_it(env: dict[str, str], emulator: CloudEmulator) -> None:
    populate(emulator, tasks=3)
    emulator.faults.add(Fault("dds.list", "403"))
    result = subprocess.run([sys.executable, str(LAYERS / "doctor.py")], env=dict(os.environ), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "read-only preflight" in result.stdout and "grant IAM action dds:task:list" in result.stdout
    assert SK not in result.stdout + result.stderr
    assert_read_only(emulator)


def test_every_function_call_s_action_is_in_the_agency_policy(doctor: Any) -> None:
    """The actions the preflight names for the function's own calls are the ones the deploy grants."""
    from preflight.diagnose import IAM_ACTIONS, PREFLIGHT_ONLY

    policy = "".join((LAYERS / name).read_text() for name in ("agency-policy-regional.json",
                                                             "agency-policy-global.json"))
    for call, action in IAM_ACTIONS.items():
        if call not in PREFLIGHT_ONLY:
            assert f'"{action}"' in policy, call


def test_make_doctor_exists_and_the_readme_says_how_to_read_it() -> None:
    makefile = (LAYERS.parent / "Makefile").read_text()
    phony = next(line for line in makefile.splitlines() if line.startswith(".PHONY:"))
    assert "\ndoctor: venv\n\t$(PY) layers/doctor.py\n" in makefile and "doctor" in phony.split()
    readme = (LAYERS / "README.md").read_text()  # the deploy detail lives there; the README links it
    assert "## Preflight: `make doctor`" in readme and "fix:" in readme
    assert "make doctor" in (LAYERS.parent / "README.md").read_text()


def test_a_local_state_file_is_a_warning_and_no_bucket_is_called(env: dict[str, str], emulator: CloudEmulator,
                                                                 monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
                                                                 run_doctor: Callable[[], Outcome]) -> None:
    monkeypatch.setenv("TASKWATCH_STATE_URI", f"file://{tmp_path}/state.json")
    outcome = run_doctor()
    [row] = outcome.rows("a local file (")
    assert row.startswith("WARN") and "fix: use obs://bucket/key" in row
    assert not [r for r in emulator.requests if r["service"] == "obs"] and list(tmp_path.iterdir()) == []
