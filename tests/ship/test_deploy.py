"""plan / apply against the emulator's FunctionGraph (real SDK, signed requests): create, no-op, changes."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from ship import planner
from ship.fgapi import FunctionGraphApi
from ship.planner import layer_description

from tests.fixtures import AK, BUCKET, PROJECT, SK

from .conftest import deploy_env, mutating, template_copy
from .deploy_runs import deploy, run_deploy, small_layer

_small_layer = small_layer
_run = run_deploy

# A changed function: a new version is published and the alias moved to it
PUBLISH = ("functiongraph.create_function_version", "functiongraph.update_version_alias")


@pytest.fixture
def layer(tmp_path: Path) -> Path:
    return _small_layer(tmp_path / "layer-a.zip")


def test_first_deploy_creates_everything_then_nothing_changes(fg_emulator, code_zip, layer, tmp_path, capsys):
    emu = fg_emulator
    template = template_copy(tmp_path, code_zip, layer)

    status, out = _run(emu, "plan", template, capsys)
    assert status == 0 and mutating(emu) == []
    assert emu.functiongraph.function("taskwatch") is None  # plan changes nothing

    status, out = _run(emu, "apply", template, capsys)
    assert status == 0, out
    assert mutating(emu) == ["functiongraph.create_dependency_version", "functiongraph.create_function",
                             "functiongraph.update_function_max_instance_config",
                             "functiongraph.update_function_async_invoke_config", "functiongraph.create_tags",
                             "functiongraph.create_function_version", "functiongraph.create_version_alias",
                             "functiongraph.create_function_trigger", "functiongraph.create_function_trigger",
                             "ces.create_alarm_rules"]
    function = emu.functiongraph.function("taskwatch")
    assert function["type"] == "v2"  # a v1 function (no type sent) takes max instances 0 or -1 only
    (published,) = emu.functiongraph.versions("taskwatch")
    assert emu.functiongraph.aliases("taskwatch")["live"]["version"] == published["version"]
    assert emu.functiongraph.triggers("taskwatch") == []  # nothing bound to latest: timers fire the alias
    assert emu.functiongraph.async_config("taskwatch")["max_async_event_age_in_seconds"] == 300
    assert emu.functiongraph.tags("taskwatch") == {"app": "taskwatch"}
    assert function["handler"] == "index.handler" and function["runtime"] == "Python3.10"
    assert function["memory_size"] == 128 and function["timeout"] == 120 and function["xrole"] == "taskwatch-agency"
    assert function["strategy_config"]["concurrency"] == 1 and function["enable_lts_log"] is True
    variables = json.loads(function["user_data"])
    assert variables["TASKWATCH_STATE_URI"] == f"obs://{BUCKET}/taskwatch/state.json"
    (version,) = emu.functiongraph.dependency_versions("taskwatch-deps")
    assert function["depend_version_list"] == [version["id"]] and "sha256=" in version["description"]
    triggers = {t["event_data"]["name"]: t for t in emu.functiongraph.triggers("taskwatch", qualifier="live")}
    assert set(triggers) == {"every-5-minutes", "daily-heartbeat"}
    assert triggers["daily-heartbeat"]["event_data"]["user_event"] == '{"heartbeat":"20h"}'
    assert all(t["trigger_status"] == "ACTIVE" for t in triggers.values())
    for line in ("create    dependency version taskwatch-deps: Python3.10", "create    function taskwatch: ",
                 "update    max instances taskwatch: default -> 1",
                 "create    timer trigger live every-5-minutes: Rate 5m",
                 "create    alarm rule taskwatch-errors: SYS.FunctionGraph failcount",
                 "apply: 10 changed", "note      agency taskwatch-agency is not managed by deploy"):
        assert line in out, out

    status, out = _run(emu, "plan", template, capsys)
    assert status == 0 and mutating(emu) == []
    body = out.splitlines()[1:-1]
    assert body and all(line.startswith("no change") for line in body), out
    assert out.strip().endswith("plan: no changes")

    status, out = _run(emu, "apply", template, capsys)
    assert status == 0 and mutating(emu) == [], "a second deploy must send no mutating request"
    assert out.strip().endswith("apply: no changes")


def test_removing_a_trigger_deletes_it(fg_emulator, code_zip, layer, tmp_path, capsys) -> None:
    emu = fg_emulator
    assert _run(emu, "apply", template_copy(tmp_path, code_zip, layer), capsys)[0] == 0
    fewer = template_copy(tmp_path, code_zip, layer, lambda p: p["x-taskwatch"]["Timers"].pop("daily-heartbeat"),
                          name="fewer.yaml")
    status, out = _run(emu, "plan", fewer, capsys)
    assert "delete    timer trigger live daily-heartbeat: not in the template" in out
    status, out = _run(emu, "apply", fewer, capsys)
    assert status == 0 and mutating(emu) == ["functiongraph.delete_function_trigger"]
    assert [t["event_data"]["name"] for t in emu.functiongraph.triggers("taskwatch", qualifier="live")] == \
        ["every-5-minutes"]


def test_changing_an_env_var_updates_only_the_configuration(fg_emulator, code_zip, layer, tmp_path, capsys):
    emu = fg_emulator
    assert _run(emu, "apply", template_copy(tmp_path, code_zip, layer), capsys)[0] == 0
    louder = template_copy(tmp_path, code_zip, layer,
                           lambda p: p["Environment"]["Variables"].update(TASKWATCH_LOG_LEVEL="DEBUG"), "debug.yaml")
    status, out = _run(emu, "apply", louder, capsys)
    assert status == 0 and mutating(emu) == ["functiongraph.update_function_config", *PUBLISH]
    assert "update    function configuration taskwatch: Environment.Variables (TASKWATCH_LOG_LEVEL)" in out
    assert json.loads(emu.functiongraph.function("taskwatch")["user_data"])["TASKWATCH_LOG_LEVEL"] == "DEBUG"
    assert _run(emu, "apply", louder, capsys)[0] == 0 and mutating(emu) == []


def test_timer_changes(fg_emulator, code_zip, layer, tmp_path, capsys) -> None:
    emu = fg_emulator
    assert _run(emu, "apply", template_copy(tmp_path, code_zip, layer), capsys)[0] == 0
    disabled = template_copy(tmp_path, code_zip, layer,
                             lambda p: p["x-taskwatch"]["Timers"]["daily-heartbeat"].update(Enabled=False), "off.yaml")
    status, out = _run(emu, "apply", disabled, capsys)
    assert status == 0 and mutating(emu) == ["functiongraph.update_trigger"]
    assert "update    timer trigger live daily-heartbeat: ACTIVE -> DISABLED" in out

    def sharded(p: dict[str, Any]) -> None:
        p["x-taskwatch"]["Timers"]["every-5-minutes"].update(Schedule="10m", UserEvent={"services": "taurusdb"})

    status, out = _run(emu, "apply", template_copy(tmp_path, code_zip, layer, sharded, "shard.yaml"), capsys)
    assert status == 0
    # Replaced (no edit API): the new trigger first, under the timer's other name, then the old one goes (no gap);
    # the shortest period is now 10 minutes, and so is the async event age
    assert mutating(emu) == ["functiongraph.update_function_async_invoke_config",
                             "functiongraph.create_function_trigger", "functiongraph.update_trigger",
                             "functiongraph.delete_function_trigger"]
    names = [t["event_data"]["name"] for t in emu.functiongraph.triggers("taskwatch", qualifier="live")]
    assert sorted(names) == ["daily-heartbeat", "every-5-minutes-r"]
    timer = next(t for t in emu.functiongraph.triggers("taskwatch", qualifier="live")
                 if t["event_data"]["name"] == "every-5-minutes-r")
    assert emu.functiongraph.async_config("taskwatch")["max_async_event_age_in_seconds"] == 600
    assert timer["event_data"]["schedule"] == "10m" and timer["event_data"]["user_event"] == '{"services":"taurusdb"}'


def test_a_new_layer_creates_a_version_and_an_old_one_is_reused(fg_emulator, code_zip, layer, tmp_path, capsys):
    emu = fg_emulator
    assert _run(emu, "apply", template_copy(tmp_path, code_zip, layer), capsys)[0] == 0
    other = _small_layer(tmp_path / "layer-b.zip", "2")
    status, _ = _run(emu, "apply", template_copy(tmp_path, code_zip, other, name="b.yaml"), capsys)
    assert status == 0
    assert mutating(emu) == ["functiongraph.create_dependency_version", "functiongraph.update_function_code",
                             *PUBLISH]
    versions = emu.functiongraph.dependency_versions("taskwatch-deps")
    assert [v["version"] for v in versions] == [1, 2]
    assert emu.functiongraph.function("taskwatch")["depend_version_list"] == [versions[1]["id"]]

    status, _ = _run(emu, "apply", template_copy(tmp_path, code_zip, layer, name="a.yaml"), capsys)
    assert status == 0 and mutating(emu) == ["functiongraph.update_function_code",
                             *PUBLISH]  # version 1 reused
    assert emu.functiongraph.function("taskwatch")["depend_version_list"] == [versions[0]["id"]]


def test_a_planted_version_with_the_layers_description_is_not_reused(fg_emulator, code_zip, layer, tmp_path,
                                                                     capsys) -> None:
    """Whoever may create dependency versions can copy the description (the layer hash is predictable); only
    FunctionGraph's size and etag (MD5) of the stored file decide whether a version is the local zip."""
    emu = fg_emulator
    env = deploy_env(emu)
    api = FunctionGraphApi(env["TASKWATCH_ENDPOINT_FUNCTIONGRAPH"], PROJECT, AK, SK)
    label = layer_description(hashlib.sha256(layer.read_bytes()).hexdigest())
    planted_zip = _small_layer(tmp_path / "planted.zip", "planted code that would run under the agency")
    planted = api.create_dependency_version("taskwatch-deps", "Python3.10", label,
                                            file_b64=base64.b64encode(planted_zip.read_bytes()).decode())
    template = template_copy(tmp_path, code_zip, layer)

    status, out = _run(emu, "plan", template, capsys)
    assert status == 0 and f"ignore    dependency version taskwatch-deps v{planted['version']}: NOT reused" in out
    assert "create    dependency version taskwatch-deps" in out
    status, out = _run(emu, "apply", template, capsys)
    assert status == 0, out
    assert mutating(emu)[0] == "functiongraph.create_dependency_version"
    ours = next(v for v in emu.functiongraph.dependency_versions("taskwatch-deps") if v["id"] != planted["id"])
    assert emu.functiongraph.function("taskwatch")["depend_version_list"] == [ours["id"]]
    assert ours["size"] == layer.stat().st_size and ours["etag"] == hashlib.md5(layer.read_bytes()).hexdigest()
    status, out = _run(emu, "apply", template, capsys)
    assert status == 0 and mutating(emu) == []  # the genuine version is recognised and reused
    assert f"taskwatch-deps v{ours['version']}: size {layer.stat().st_size} and MD5 etag match" in out


@pytest.mark.parametrize(("etag", "expected"), [
    ("0123456789abcdef0123456789ABCDEF", "0123456789abcdef0123456789abcdef"),
    ('"0123456789abcdef0123456789abcdef"', "0123456789abcdef0123456789abcdef"),
    (base64.b64encode(bytes.fromhex("0123456789abcdef0123456789abcdef")).decode(), "0123456789abcdef0123456789abcdef"),
    ("", None), ("not-an-md5", None), (None, None), (42, None), ("AAAA", None),
])
def test_etag_forms(etag: object, expected: str | None) -> None:
    assert planner.normalized_etag(etag) == expected


def test_a_version_is_reused_only_with_the_same_size_md5_and_runtime(tmp_path: Path) -> None:
    data = b"zip bytes"
    art = planner.Artifacts(tmp_path / "c.zip", "0", tmp_path / "l.zip", "0" * 64, len(data),
                            hashlib.md5(data).hexdigest(), b"k" * 32)
    good = {"id": "a", "version": 1, "runtime": "Python3.10", "size": len(data), "etag": hashlib.md5(data).hexdigest()}

    class D:
        runtime = "Python3.10"

    assert planner.reusable_version(D, [good], art) == good  # type: ignore[arg-type]
    for change in ({"size": len(data) + 1}, {"size": str(len(data))}, {"etag": hashlib.md5(b"x").hexdigest()},
                   {"runtime": "Python3.12"}, {"etag": None}):
        assert planner.reusable_version(D, [{**good, **change}], art) is None, change  # type: ignore[arg-type]


def test_a_layer_over_10_mb_goes_through_the_state_bucket(fg_emulator, code_zip, tmp_path, capsys) -> None:
    emu = fg_emulator
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("blob/data.bin", os.urandom(11 * 1024 * 1024))
    status, out = _run(emu, "apply", template_copy(tmp_path, code_zip, big), capsys)
    assert status == 0, out
    assert mutating(emu)[:2] == ["obs.put", "functiongraph.create_dependency_version"]
    (version,) = emu.functiongraph.dependency_versions("taskwatch-deps")
    key = next(k for b, k in emu.obs_objects if b == BUCKET and k.startswith("taskwatch/deploy/"))
    assert version["link"].endswith(f"/{BUCKET}/{key}") and version["size"] == big.stat().st_size
    assert "through OBS" in out


def test_encrypted_variables_are_set_never_printed_and_compared_by_fingerprint(fg_emulator, code_zip, layer,
                                                                                tmp_path, capsys) -> None:
    emu = fg_emulator
    secret = "FunctionSecretValue-do-not-print-1234"

    def encrypted(p: dict[str, Any]) -> None:
        p["x-taskwatch"]["EncryptedVariables"] = {"CLOUD_SDK_SK": "TASKWATCH_DEPLOY_FUNCTION_SK"}

    template = template_copy(tmp_path, code_zip, layer, encrypted)
    status, out = _run(emu, "apply", template, capsys, TASKWATCH_DEPLOY_FUNCTION_SK=secret)
    assert status == 0, out
    function = emu.functiongraph.function("taskwatch")
    assert json.loads(function["encrypted_user_data"]) == {"CLOUD_SDK_SK": secret}
    assert secret not in function["description"] and "[taskwatch-secrets hmac-sha256:" in function["description"]

    status, out2 = _run(emu, "apply", template, capsys, TASKWATCH_DEPLOY_FUNCTION_SK=secret)
    assert status == 0 and mutating(emu) == []
    status, out3 = _run(emu, "apply", template, capsys, TASKWATCH_DEPLOY_FUNCTION_SK=secret + "-rotated")
    assert status == 0 and mutating(emu) == ["functiongraph.update_function_config", *PUBLISH]
    assert "EncryptedVariables (CLOUD_SDK_SK)" in out3
    for text in (out, out2, out3):
        assert secret not in text and SK not in text and AK not in text


def _offline_guesses(description: str, urn: str, candidates: list[str]) -> list[str]:
    """What a reader of the description (function:get) can confirm offline: every construction the project
    ever published, under every key such a reader could know (none, the AK, the project, the URN)."""
    import hmac as hmac_module
    import re

    found = []
    legacy = re.search(r"pbkdf2-sha256\$(\d+)\$([^$]+)\$([^\]]+)\]", description)
    modern = re.search(r"hmac-sha256:([A-Za-z0-9_-]{43})\]", description)
    for value in candidates:
        canonical = json.dumps({"CLOUD_SDK_SK": value}, sort_keys=True, separators=(",", ":"))
        if legacy:
            digest = hashlib.pbkdf2_hmac("sha256", canonical.encode(), base64.b64decode(legacy.group(2)),
                                         int(legacy.group(1)))
            found += [value] if base64.b64encode(digest).decode() == legacy.group(3) else []
        if modern:
            for known in ("", AK, PROJECT, urn, "taskwatch"):
                for key in (known.encode(), hashlib.sha256(known.encode()).digest()):
                    mac = hmac_module.new(key, f"{urn}\n{canonical}".encode(), hashlib.sha256).digest()
                    found += [value] if base64.urlsafe_b64encode(mac).decode().rstrip("=") == modern.group(1) else []
    return found


def test_the_description_allows_no_offline_guess_of_encrypted_values(fg_emulator, code_zip, layer, tmp_path,
                                                                     capsys) -> None:
    """A weak encrypted value must not be confirmable from the description anyone with function:get reads; the
    deployer (who holds the key) still recognises it, so a second deploy changes nothing."""
    from ship import redact

    emu = fg_emulator
    weak = "hunter2"
    template = template_copy(tmp_path, code_zip, layer, lambda p: p["x-taskwatch"].update(
        EncryptedVariables={"CLOUD_SDK_SK": "TASKWATCH_DEPLOY_FUNCTION_SK"}))
    assert _run(emu, "apply", template, capsys, TASKWATCH_DEPLOY_FUNCTION_SK=weak)[0] == 0
    function = emu.functiongraph.function("taskwatch")
    urn = function["func_urn"].removesuffix(":latest")  # the URN deploy addresses the function by
    dictionary = ["123456", "password", weak, "letmein", "qwerty"]
    assert _offline_guesses(function["description"], urn, dictionary) == []
    _, stored = redact.split_description(function["description"])
    assert redact.matches(stored, {"CLOUD_SDK_SK": weak}, redact.fingerprint_key(SK), urn)  # the deployer can
    assert not redact.matches(stored, {"CLOUD_SDK_SK": weak}, redact.fingerprint_key("another-deployer-sk"), urn)

    team_key = "a-team-wide-fingerprint-key-of-32-chars!"
    status, out = _run(emu, "apply", template, capsys, TASKWATCH_DEPLOY_FUNCTION_SK=weak,
                       TASKWATCH_DEPLOY_FINGERPRINT_KEY=team_key)
    assert status == 0 and mutating(emu) == ["functiongraph.update_function_config", *PUBLISH]  # another key
    assert _run(emu, "apply", template, capsys, TASKWATCH_DEPLOY_FUNCTION_SK=weak,
                TASKWATCH_DEPLOY_FINGERPRINT_KEY=team_key)[0] == 0 and mutating(emu) == []
    assert team_key not in out and weak not in out
    status, out = _run(emu, "plan", template, capsys, TASKWATCH_DEPLOY_FUNCTION_SK=weak,
                       TASKWATCH_DEPLOY_FINGERPRINT_KEY="short")
    assert status == 1 and "TASKWATCH_DEPLOY_FINGERPRINT_KEY: at least 32 characters" in out


def test_refusals_send_nothing(fg_emulator, code_zip, layer, tmp_path, capsys) -> None:
    emu = fg_emulator
    template = template_copy(tmp_path, code_zip, layer)
    emu.reset_records()
    env = deploy_env(emu)
    no_keys = {k: v for k, v in env.items() if k != "CLOUD_SDK_SK"}
    assert deploy.main(["plan", "--template", str(template)], environ=no_keys) == 1
    assert "set CLOUD_SDK_AK and CLOUD_SDK_SK" in capsys.readouterr().err
    missing = template_copy(tmp_path, code_zip, tmp_path / "nope.zip", name="missing.yaml")
    assert deploy.main(["plan", "--template", str(missing)], environ=env) == 1
    assert "run `make layer` first" in capsys.readouterr().err
    foreign = {**env, "TASKWATCH_ENDPOINT_FUNCTIONGRAPH": "http://functiongraph.example.com"}
    assert deploy.main(["plan", "--template", str(template)], environ=foreign) == 1
    assert "TASKWATCH_ENDPOINT_FUNCTIONGRAPH" in capsys.readouterr().err
    assert emu.requests == []


def test_a_wrong_secret_key_is_reported_without_printing_it(fg_emulator, code_zip, layer, tmp_path, capsys):
    emu = fg_emulator
    wrong = "WrongSecretKeyValue000000000000000000001"
    status, out = _run(emu, "plan", template_copy(tmp_path, code_zip, layer), capsys, CLOUD_SDK_SK=wrong)
    assert status == 1 and "HTTP 401 APIG.0301" in out and wrong not in out


def test_an_api_error_text_reaches_the_terminal_clean(fg_emulator, code_zip, layer, tmp_path, capsys) -> None:
    """FunctionGraph's error_msg is the server's text: ANSI, line breaks and bidi controls never reach the
    deployer's terminal, and the error stays one line."""
    from tests.emulator import Fault

    body = json.dumps({"error_code": "FSS.0400",
                       "error_msg": "bad\x1b[31m red\u2028forged line\nsecond\u202e line"}).encode()
    fg_emulator.faults.add(Fault(call="functiongraph.*", kind="answer", status=400, body=body,
                                 headers=(("Content-Type", "application/json"),)))
    status, out = _run(fg_emulator, "plan", template_copy(tmp_path, code_zip, layer), capsys)
    error = [line for line in out.splitlines() if line.startswith("deploy: ")]
    assert status == 1 and len(error) == 1, out
    assert "FSS.0400" in error[0] and "forged line" in error[0]
    assert not any(ch in out for ch in ("\x1b", "\u2028", "\u202e")), out
