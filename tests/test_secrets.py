"""No credential and no signature ever leaves a run: planted, recognisable secrets (AK, SK, security token)
are searched for in EVERYTHING a run writes.

Scanned, for successful and failing runs (bad OBS credentials, a wrong security token, 401 from the task
centers, configuration errors, a crash inside the run):
- captured stdout/stderr and every log record (the function's own handler after its secret filter, and every
  other logger at DEBUG: root, urllib3, the SDK's HuaweiCloud-SDK-* loggers);
- the returned summary (with its error texts);
- every OBS object (state, lease, set-aside copies) and every OBS request body;
- every SMN request body, accepted or refused;
and, besides the secrets themselves, the signatures the emulator received (the signature of every
Authorization header, SDK-HMAC-SHA256 and OBS) and the whole Authorization / token header values.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from index import handler
from taskwatch.errors import RunFailed

from tests.emulator import CloudEmulator, Fault
from tests.faults.observe import RequestRecorder, RunOutput, capture_logs, observe
from tests.fixtures import BUCKET, PROJECT, REGION, TOPIC, FakeContext, timer_event

# Recognisable, realistic in shape: a 20-character AK, a 40-character SK, a long token with base64 characters.
PLANTED_AK = "PLANTEDAKQ7W2E9R4T6Y"
PLANTED_SK = "PLANTEDskZx81Qw93Er57Ty20Ui46Op13As68Df"
PLANTED_TOKEN = "PLANTEDtoken+gQ0vM3s/Lr8Xk2Jh5Wp9Ze1Nc4Bv7Ty6Ui0Op3As=" + "Hq2Fw8Rt5Yu1Io4Pa7Sd0" * 20
CHUNK = 12  # pieces of 12 characters every 4: any 15 consecutive characters of a secret are found (cut texts)
STATE_URI = f"obs://{BUCKET}/taskwatch/state.json"


@dataclass
class Cloud:
    emu: CloudEmulator
    recorder: RequestRecorder


def _start(monkeypatch: pytest.MonkeyPatch, *, ak: str = PLANTED_AK, sk: str = PLANTED_SK,
           token: str | None = PLANTED_TOKEN) -> CloudEmulator:
    emu = CloudEmulator(ak=ak, sk=sk, security_token=token, project_id=PROJECT, region=REGION, topic_urns=[TOPIC],
                        buckets=[BUCKET]).start()
    for key in [k for k in __import__("os").environ if k.startswith(("TASKWATCH_", "CLOUD_SDK_"))]:
        monkeypatch.delenv(key)
    for key, value in {**emu.env(), "TASKWATCH_REGION": REGION, "TASKWATCH_PROJECT_ID": PROJECT,
                       "TASKWATCH_SMN_TOPIC_URN": TOPIC, "TASKWATCH_STATE_URI": STATE_URI,
                       "TASKWATCH_THROTTLE_BACKOFF": "0.05-0.1", "TASKWATCH_BACKFILL": "30d",
                       "TASKWATCH_LOG_LEVEL": "DEBUG", "TASKWATCH_HTTP_TIMEOUT": "2"}.items():
        monkeypatch.setenv(key, value)
    created = emu.now() - timedelta(hours=2)
    for service in ("taurusdb", "gaussdb", "dds"):
        emu.add_task(service, name="CreateInstance", status="Failed", created=created, instance_id="i-1",
                     instance_name="db-1", fail_reason="quota exceeded",
                     entities={"note": "entities are copied into messages and state"})
    return emu


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    """An emulator that expects the planted agency credentials (AK, SK and security token)."""
    emu = _start(monkeypatch)
    try:
        yield Cloud(emu, observe(emu))
    finally:
        emu.stop()


def agency() -> FakeContext:
    return FakeContext(ak=PLANTED_AK, sk=PLANTED_SK, token=PLANTED_TOKEN)


def _run(context: Any, user_event: Any = None) -> tuple[dict[str, Any], RunOutput]:
    with capture_logs() as output:
        try:
            summary = handler(timer_event(user_event), context)
        except RunFailed as failed:  # what FunctionGraph records as the error is scanned too
            summary = {**failed.summary, "raised": str(failed)}
    return summary, output


def _needles(recorder: RequestRecorder) -> dict[str, str]:
    """What must never appear: the secrets (whole and in CHUNK-long pieces), every signature and every
    Authorization / token header value the emulator received."""
    needles: dict[str, str] = {}
    for name, secret in (("AK", PLANTED_AK), ("SK", PLANTED_SK), ("security token", PLANTED_TOKEN)):
        needles[name] = secret
        for start in range(0, len(secret) - CHUNK + 1, 4):
            needles[f"{name}[{start}:{start + CHUNK}]"] = secret[start:start + CHUNK]
    for index, signature in enumerate(recorder.signatures()):
        needles[f"signature #{index}"] = signature
    for header in ("Authorization", "X-Security-Token", "x-obs-security-token"):
        for index, value in enumerate(recorder.values(header)):
            needles[f"{header} header #{index}"] = value
    return needles


def assert_nothing_leaked(cloud: Cloud, capfd: pytest.CaptureFixture[str], summary: dict[str, Any],
                          *outputs: RunOutput) -> None:
    captured = capfd.readouterr()
    texts: dict[str, str] = {
        "stdout": captured.out, "stderr": captured.err, "summary": json.dumps(summary, ensure_ascii=False),
    }
    for number, output in enumerate(outputs):
        texts[f"function log (run {number + 1})"] = output.function_text
        texts[f"other loggers (run {number + 1})"] = "\n".join(output.others.lines)
    for (bucket, key), data in cloud.emu.obs_objects.items():
        texts[f"OBS object {bucket}/{key}"] = data.decode("utf-8", "replace")
    for service in ("obs", "smn"):
        for index, body in enumerate(cloud.recorder.bodies(service)):
            texts[f"{service} request body #{index}"] = body.decode("utf-8", "replace")
    for index, message in enumerate(cloud.emu.smn_messages):
        texts[f"SMN message #{index}"] = json.dumps(message["body"], ensure_ascii=False)
    assert cloud.recorder.signatures(), "the emulator saw no signed request: nothing was checked"
    leaks = [f"{name} in {where}" for name, needle in _needles(cloud.recorder).items()
             for where, text in texts.items() if needle and needle in text]
    assert not leaks, leaks[:20]


# ---- successful runs ------------------------------------------------------------------------------------------
def test_agency_credentials_never_leave_a_successful_run(cloud: Cloud, capfd) -> None:
    first, out1 = _run(agency())
    assert first["outcome"] == "ok" and first["messages_published"] == 3, first
    second, out2 = _run(agency())
    assert second["outcome"] == "ok"
    assert_nothing_leaked(cloud, capfd, {"first": first, "second": second}, out1, out2)


def test_environment_credentials_never_leave_a_run(monkeypatch, capfd) -> None:
    emu = _start(monkeypatch, token=None)
    try:
        cloud = Cloud(emu, observe(emu))
        monkeypatch.setenv("CLOUD_SDK_AK", PLANTED_AK)
        monkeypatch.setenv("CLOUD_SDK_SK", PLANTED_SK)
        summary, output = _run(FakeContext())
        assert summary["outcome"] == "ok", summary
        assert_nothing_leaked(cloud, capfd, summary, output)
    finally:
        emu.stop()


def test_runs_with_errors_everywhere_leak_nothing(cloud: Cloud, capfd) -> None:
    """Server errors, throttling, resets and bad bodies put SDK and transport error texts in logs and summary."""
    faults = cloud.emu.faults
    created = cloud.emu.now() - timedelta(hours=1)  # no reason in its listing: its detail is asked for
    cloud.emu.add_task("dds", name="Resize", status="Failed", created=created, instance_id="i-2",
                       instance_name="db-2", fail_reason=None)
    faults.add(Fault(call="taurusdb.list", kind="500"))
    faults.add(Fault(call="gaussdb.list", kind="reset"))
    detail = faults.add(Fault(call="dds.detail", kind="html200"))
    throttled = faults.add(Fault(call="smn.publish", kind="429", times=3))  # 3 retries, then the 4th try:
    malformed = faults.add(Fault(call="smn.publish", kind="malformed_json", times=1))
    summary, output = _run(agency())
    assert detail.fired, "the detail was never asked for: its HTML page was not scanned"
    assert throttled.fired == 3 and malformed.fired == 1, "SMN's throttling and malformed answer were not both met"
    assert summary["outcome"] == "degraded" and summary["errors"], summary
    assert_nothing_leaked(cloud, capfd, summary, output)


# ---- failing runs ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("wrong", ["sk", "ak", "token"])
def test_rejected_credentials_leak_nothing(monkeypatch, capfd, wrong) -> None:
    """The emulator expects other credentials than the function sends: OBS answers 403 with bodies that echo
    the AK (InvalidAccessKeyId), the signature and the string to sign (SignatureDoesNotMatch); the task
    centers and SMN answer 401. The function sends the planted ones."""
    expected = {"ak": PLANTED_AK, "sk": PLANTED_SK, "token": PLANTED_TOKEN}
    expected[wrong] = "OTHER" + expected[wrong][5:][::-1]
    emu = _start(monkeypatch, ak=expected["ak"], sk=expected["sk"], token=expected["token"])
    try:
        cloud = Cloud(emu, observe(emu))
        summary, output = _run(agency())
        assert summary["outcome"] == "failed", summary
        assert any(code in summary["errors"][0] for code in ("403", "401")), summary["errors"]
        assert_nothing_leaked(cloud, capfd, summary, output)
    finally:
        emu.stop()


def test_401_from_every_task_center_and_smn_leaks_nothing(cloud: Cloud, capfd, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_BLIND_AFTER", "1")  # so the run has a blind alert to send, and SMN refuses it
    cloud.emu.faults.add(Fault(call="*.list", kind="401"))
    refused = cloud.emu.faults.add(Fault(call="smn.publish", kind="401"))
    summary, output = _run(agency())
    assert summary["outcome"] == "degraded" and any("401" in e for e in summary["errors"]), summary
    assert refused.fired, "nothing was published: SMN's 401 text was not scanned"
    assert_nothing_leaked(cloud, capfd, summary, output)


@pytest.mark.parametrize("bad", [
    {"max_alerts_per_message": "lots"},
    {"smn_topic_urn": PLANTED_SK},
    {"endpoint_obs": f"https://{PLANTED_AK}:{PLANTED_SK}@obs.example.com"},
    {"state_uri": f"obs://{BUCKET}/{PLANTED_SK} {PLANTED_TOKEN}"},
], ids=["bad integer", "the SK pasted as topic", "credentials in an endpoint URL", "secrets in the state URI"])
def test_configuration_errors_do_not_echo_secrets(cloud: Cloud, capfd, bad) -> None:
    summary, output = _run(agency(), bad)
    assert summary["outcome"] == "failed" and summary["error_type"] == "ConfigError", summary
    # Nothing was sent, so only the planted secrets themselves can leak here.
    cloud.emu.faults.clear()
    ok, ok_output = _run(agency())  # and a good run afterwards, so the scan also covers signed requests
    assert ok["outcome"] == "ok"
    assert_nothing_leaked(cloud, capfd, {"bad": summary, "ok": ok}, output, ok_output)


@pytest.mark.parametrize("where", ["plan_alerts", "observe"])
def test_a_crash_inside_the_run_is_scrubbed(cloud: Cloud, capfd, monkeypatch, where: str) -> None:
    """A library error that quotes credentials (as some HTTP stacks do with headers) ends the run (or, per
    task, is recorded against that task): the summary's error text, the violation and the logged traceback
    must not carry them."""
    import taskwatch.run as run_module

    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"header X-Security-Token: {PLANTED_TOKEN}; Authorization: SDK-HMAC-SHA256 "
                           f"Access={PLANTED_AK}, secret {PLANTED_SK}")

    monkeypatch.setattr(run_module.decide, where, explode)
    summary, output = _run(agency())
    if where == "plan_alerts":
        assert summary["outcome"] == "failed" and summary["errors"][0].startswith("internal error"), summary
        assert "RuntimeError" in output.function_text and "internal error" in summary["raised"]
    else:  # contained: recorded against each task, the run goes on
        assert summary["outcome"] == "degraded" and "RuntimeError" in summary["violations"][0]["reason"], summary
    assert_nothing_leaked(cloud, capfd, summary, output)


def test_credentials_do_not_show_in_reprs() -> None:
    from taskwatch.credentials import Credentials

    credentials = Credentials(PLANTED_AK, PLANTED_SK, PLANTED_TOKEN)
    for text in (repr(credentials), str(credentials), f"{credentials}", f"{credentials!r}"):
        assert PLANTED_AK not in text and PLANTED_SK not in text and PLANTED_TOKEN[:CHUNK] not in text


def test_the_scan_finds_a_planted_leak(cloud: Cloud, capfd) -> None:
    """The scan itself works: a signature copied into an OBS object, and a token piece in a log, are found."""
    summary, output = _run(agency())
    assert output.function_text and output.others.lines, "nothing captured: the scan would prove nothing"
    signature = cloud.recorder.signatures()[-1]
    cloud.emu.obs_put_object(BUCKET, "taskwatch/copy.txt", f"sig={signature}".encode())
    output.others.lines.append("token tail " + PLANTED_TOKEN[40:40 + CHUNK])
    with pytest.raises(AssertionError) as failure:
        assert_nothing_leaked(cloud, capfd, summary, output)
    assert "OBS object taskwatch-state/taskwatch/copy.txt" in str(failure.value)
    assert "other loggers (run 1)" in str(failure.value)
