"""No secret leaves through any output, whatever an external answer echoes.

The AK, SK and security token are planted in every place an external answer can carry text: error bodies
(error_msg, error_code, nested JSON, odd shapes), request headers echoed back in an error page, a 2xx body
that is not JSON, an OBS error code, task fields (name, fail_reason, entities, instance name), each also
URL-encoded, base64-encoded (standard and URL-safe, at every byte alignment) and placed so that a cut at
160 characters lands inside it. Then every output is scanned: the function's log lines and every other
logger, stdout/stderr, the returned summaries, every OBS object, every SMN subject and message body, and the
texts of the exceptions the run makes.

The scan does not reuse the scrubber: it looks for any 10-character piece of a secret, in the text, in
its percent-decoded form, and in everything that decodes as base64 at any offset.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from huaweicloudsdkcore.exceptions import exceptions as sdk
from taskwatch.run import PUBLISH_STALLED

from tests.conftest import STATE_KEY, emulator_with
from tests.emulator import CloudEmulator, Fault
from tests.fixtures import AK, BUCKET, SK, TOKEN
from tests.security.scan import PIECE, SECRETS, Runs, everything, leaks


# ---- what is planted ------------------------------------------------------------------------------------------
def _b64_variants(text: str) -> list[str]:
    """base64 of the text at the three byte alignments, standard and URL-safe."""
    out = []
    for lead in ("", "a", "ab"):
        encoded = base64.b64encode((lead + text).encode())
        out += [encoded.decode(), base64.urlsafe_b64encode((lead + text).encode()).decode()]
    return out


def planted(echo: str = "") -> str:
    """One text holding every secret in every form, plus `echo` (headers an error page echoes back)."""
    raw = f"ak={AK} sk={SK} token={TOKEN}"
    # raw first: an error text is clamped (400 characters in the state and the blind alert), and an echoed
    # request line with its query alone can fill that, which made the blind-alert check depend on which error
    # the alert happened to carry
    parts = [raw, echo, quote(raw, safe=""), quote_plus(raw), *_b64_variants(raw),
             "debug " + "x" * 150 + SK + " and " + "y" * 140 + TOKEN]  # a cut at 160 lands inside a secret
    return "\n".join(p for p in parts if p)


def echoed_headers(request: Any) -> str:
    """What a proxy's error page shows: the request line and the headers the client sent."""
    lines = [f"{request.method} {request.target}"]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    return "\n".join(lines)


def error_page(status: int, shape: str) -> Fault:
    def body(request: Any) -> bytes:
        text = planted(echoed_headers(request))
        if shape == "error_msg":
            document: Any = {"error_code": "DBS.280001", "error_msg": text}
        elif shape == "error_code":
            document = {"error_code": ["APIG.0308", text], "error_msg": {"detail": text}}
        elif shape == "nested":
            document = {"error": {"code": f"E.{AK}", "message": [text, {"deeper": text}]}}
        elif shape == "html":
            return f"<html><body><h1>{status}</h1><pre>{text}</pre></body></html>".encode()
        else:
            raise ValueError(shape)
        return json.dumps(document).encode()

    content_type = "text/html" if shape == "html" else "application/json"
    return Fault(call="", kind="answer", status=status, body=body, headers=(("Content-Type", content_type),))


def armed(call: str, fault: Fault, times: int | None = None) -> Fault:
    fault.call, fault.times = call, times
    return fault


def text_200(request: Any) -> bytes:
    return ("Welcome to the gateway\n" + planted(echoed_headers(request))).encode()


def obs_error(request: Any) -> bytes:
    token = request.headers.get("x-obs-security-token", "")
    return (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{TOKEN[:30]}{token}</Code>'
            f"<Message>{planted(echoed_headers(request))}</Message></Error>").encode()

# ---- the runs ---------------------------------------------------------------------------------------------------
@pytest.fixture
def cloud(env, monkeypatch) -> Iterator[CloudEmulator]:
    """Agency credentials with a security token; "monitor blind" after one failed run, so the error texts
    reach SMN at once."""
    with emulator_with(monkeypatch, security_token=TOKEN) as emu:
        monkeypatch.delenv("CLOUD_SDK_AK")
        monkeypatch.delenv("CLOUD_SDK_SK")
        monkeypatch.setenv("TASKWATCH_BLIND_AFTER", "1")
        monkeypatch.setenv("TASKWATCH_BACKFILL", "30d")
        monkeypatch.setenv("TASKWATCH_LOG_LEVEL", "DEBUG")
        created = emu.now() - timedelta(hours=3)
        secret_text = planted()
        emu.add_task("dds", name=f"Restore {AK} {TOKEN}"[:200], status="Failed", created=created,
                     ended=created + timedelta(minutes=2), instance_id="i-planted",
                     instance_name=f"db-{quote(SK, safe='')}", fail_reason=secret_text,
                     entities={"echo": secret_text,
                               "nested": [{"token": TOKEN}, base64.b64encode(SK.encode()).decode()]})
        yield emu


def test_secrets_planted_in_every_answer_reach_no_output(cloud: CloudEmulator, capfd) -> None:
    runs = Runs(cloud)
    faults = cloud.faults
    # Run 1: the list calls fail with different error bodies, the detail answers 200 with a text page (a
    # failure with no reason in its listing is there so that the detail is asked for), the first publish is
    # refused with an HTML page echoing its headers.
    created = cloud.now() - timedelta(hours=2)
    cloud.add_task("dds", name="Resize", status="Failed", created=created, ended=created + timedelta(minutes=1),
                   instance_id="i-reasonless", instance_name="db-reasonless", fail_reason=None)
    faults.add(armed("taurusdb.list", error_page(400, "error_msg")))
    faults.add(armed("gaussdb.list", error_page(500, "nested")))
    detail_page = faults.add(armed("dds.detail", Fault(call="", kind="answer", status=200, body=text_200,
                                                       headers=(("Content-Type", "text/plain"),))))
    faults.add(armed("smn.publish", error_page(502, "html"), times=1))
    first = runs.run()
    assert detail_page.fired >= 1, "the detail was never asked for: its text page was not scanned"
    # Publishes go out in parallel, so the refusal falls on the blind alert or on a task alert. A task alert
    # refused once is stalled here (TASKWATCH_BLIND_AFTER=1), which fails the invocation; a refused blind
    # alert leaves the run degraded.
    refused = [e for e in first["errors"] if e.startswith("publish ")]
    assert len(refused) == 1 and "HTTP 502" in refused[0], first["errors"]
    stalled = any(e.startswith(PUBLISH_STALLED) for e in first["errors"])
    assert stalled == refused[0].startswith("publish alert"), first["errors"]
    assert first["outcome"] == ("failed" if stalled else "degraded"), first
    # Run 2: other shapes (a list-valued error_code, an HTML page); the detail answers now, so the alert
    # carries the planted fail_reason and entities. SMN accepts everything here: publishes go out in
    # parallel, and a refusal could fall on the blind alert this run raises (see run 4).
    faults.clear()
    faults.add(armed("taurusdb.list", error_page(403, "error_code")))
    faults.add(armed("gaussdb.list", error_page(503, "html")))
    runs.run()
    # Run 3: the task centers recover, and OBS refuses every write with the token in its error code.
    faults.clear()
    faults.add(armed("obs.put", Fault(call="", kind="answer", status=403, body=obs_error,
                                      headers=(("Content-Type", "application/xml"),))))
    third = runs.run()
    # Run 4: the task centers and OBS are clean, and a new failure (its reason planted too) is there to
    # publish whatever runs 1-3 left pending; SMN refuses the first publish of the run with a JSON echo of
    # the request.
    faults.clear()
    created = cloud.now() - timedelta(minutes=10)
    cloud.add_task("dds", name="Backup", status="Failed", created=created, ended=created + timedelta(minutes=2),
                   instance_id="i-run4", instance_name="db-run4", fail_reason=planted())
    refusal = faults.add(armed("smn.publish", error_page(400, "error_msg"), times=1))
    fourth = runs.run()
    assert refusal.fired == 1, "SMN's JSON-echo refusal never fired: run 4 published nothing"
    refused = [e for e in fourth["errors"] if e.startswith("publish ")]
    assert len(refused) == 1 and "HTTP 400" in refused[0], fourth["errors"]  # its text is in the scan below

    texts = everything(runs, capfd)
    found = leaks(texts)
    assert not found, found[:20]

    # The planted texts reached every kind of output, scrubbed: the scan above was not vacuous.
    def scrubbed_in(what: str) -> list[str]:
        return [name for name, text in texts.items() if what in name and "***" in text]

    assert scrubbed_in("function log") and scrubbed_in("summary"), "no error text reached logs or summary"
    assert any("***" in e for e in first["errors"]) and any("***" in e for e in third["errors"]), third
    assert scrubbed_in(f"OBS object {BUCKET}/{STATE_KEY}"), "no error text reached the state (last_error)"
    blind = [t for name, t in texts.items() if name.endswith(" default") and "Last error" in t]
    assert any("***" in t for t in blind), "no blind alert carried the scrubbed error"
    alerts = [t for name, t in texts.items() if name.endswith(" default") and "Restore" in t]
    assert any("***" in t for t in alerts), "the planted task fields never reached a message"
    assert any(name.endswith(" subject") and "***" in t for name, t in texts.items()), "no subject scrubbed"


def test_the_scan_finds_every_planted_form() -> None:
    """Each form planted above is found by the scan when it is not scrubbed."""
    for name, secret in SECRETS.items():
        for form in [secret, quote(secret, safe=""), *_b64_variants(f"x {secret} y"),
                     ("x" * 150 + secret)[:160]]:
            assert leaks({"text": f"before {form} after"}), (name, form)
    assert not leaks({"text": "nothing secret here: 0000000000 and QUJDREVGR0g="})


# ---- exceptions -------------------------------------------------------------------------------------------------
def _service_exception(status: int, code: Any, message: Any) -> sdk.ServiceResponseException:
    """What the SDK raises for an error answer (its own classes, as its exception handler builds them)."""
    error = sdk.SdkError(request_id="r-1", error_code=code, error_msg=message)
    return (sdk.ClientRequestException if status < 500 else sdk.ServerResponseException)(status, error)


@pytest.mark.parametrize(("code", "message"), [
    ("DBS.1", planted()),
    ([planted(), "APIG.0308"], {"detail": planted()}),
    ({"k": TOKEN}, [1, None, planted()]),
    (f"CODE{TOKEN}", 3.5),
    (True, None),
], ids=["text", "list code, object message", "object code, list message", "token in the code", "odd scalars"])
def test_classified_errors_carry_no_secret(code: Any, message: Any) -> None:
    from taskwatch.credentials import Credentials, registered
    from taskwatch.retry import classify

    registered(Credentials(AK, SK, TOKEN))
    for status in (400, 401, 429, 500):
        error = classify(_service_exception(status, code, message))
        assert not leaks({"error": str(error), "code": str(error.code), "args": repr(error.args)})
        assert error.kind in ("client", "auth", "throttled", "server")
    assert not leaks({"connection": str(classify(sdk.ConnectionException(planted())))})
    assert not leaks({"other": str(classify(RuntimeError(planted())))})


def test_errors_made_from_external_text_are_scrubbed() -> None:
    from taskwatch.credentials import Credentials, registered
    from taskwatch.errors import ConfigError, PublishError, SourceError, StateError

    registered(Credentials(AK, SK, TOKEN))
    for error in (SourceError(planted(), code=TOKEN), StateError(planted()), PublishError(planted()),
                  ConfigError("TASKWATCH_SMN_TOPIC_URN", f"not a URN: {SK}")):
        assert not leaks({"str": str(error), "repr": repr(error), "attributes": json.dumps(vars(error))})


def test_the_deploy_redactor_is_the_same_scrubber() -> None:
    from tests.ship.conftest import LAYERS  # importing it puts layers/ on sys.path, as for the deploy tests

    assert (LAYERS / "ship" / "redact.py").exists()
    from ship.redact import Redactor

    encrypted = "FunctionSecretValue-do-not-print-1234"
    say = Redactor([AK, SK, TOKEN, encrypted, None])
    for secret in (AK, SK, TOKEN, encrypted):
        line = say(planted(f"Authorization: Access={AK} X-Security-Token: {TOKEN} value {secret}"))
        assert not leaks({"line": line}) and encrypted[:PIECE] not in line
        assert say(f"cut: {secret[:9]}") == "cut: ***"
