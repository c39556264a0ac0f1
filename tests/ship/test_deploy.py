"""plan / apply against the emulator's FunctionGraph (real SDK, signed requests): create, no-op, changes."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.emulator import CloudEmulator
from tests.fixtures import AK, BUCKET, SK

from .conftest import deploy_env, load_tool, mutating, template_copy

deploy = load_tool("deploy")


def _small_layer(path: Path, marker: str = "1") -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("fakedep/__init__.py", f"VERSION = {marker!r}\n")
    return path


def _run(emu: CloudEmulator, command: str, template: Path, capsys, **env: str) -> tuple[int, str]:
    emu.reset_records()
    status = deploy.main([command, "--template", str(template)], environ=deploy_env(emu, **env))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


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
                             "functiongraph.create_function_trigger", "functiongraph.create_function_trigger",
                             "ces.create_alarm_rules"]
    function = emu.functiongraph.function("taskwatch")
    assert function["handler"] == "index.handler" and function["runtime"] == "Python3.10"
    assert function["memory_size"] == 128 and function["timeout"] == 120 and function["xrole"] == "taskwatch-agency"
    assert function["strategy_config"]["concurrency"] == 1 and function["enable_lts_log"] is True
    variables = json.loads(function["user_data"])
    assert variables["TASKWATCH_STATE_URI"] == f"obs://{BUCKET}/taskwatch/state.json"
    (version,) = emu.functiongraph.dependency_versions("taskwatch-deps")
    assert function["depend_version_list"] == [version["id"]] and "sha256=" in version["description"]
    triggers = {t["event_data"]["name"]: t for t in emu.functiongraph.triggers("taskwatch")}
    assert set(triggers) == {"every-5-minutes", "daily-heartbeat"}
    assert triggers["daily-heartbeat"]["event_data"]["user_event"] == '{"heartbeat":"20h"}'
    assert all(t["trigger_status"] == "ACTIVE" for t in triggers.values())
    for line in ("create    dependency version taskwatch-deps: Python3.10", "create    function taskwatch: ",
                 "update    max instances taskwatch: default -> 1", "create    timer trigger every-5-minutes: Rate 5m",
                 "create    alarm rule taskwatch-errors: SYS.FunctionGraph failcount", "apply: 6 changed"):
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
    assert "delete    timer trigger daily-heartbeat: not in the template" in out
    status, out = _run(emu, "apply", fewer, capsys)
    assert status == 0 and mutating(emu) == ["functiongraph.delete_function_trigger"]
    assert [t["event_data"]["name"] for t in emu.functiongraph.triggers("taskwatch")] == ["every-5-minutes"]


def test_changing_an_env_var_updates_only_the_configuration(fg_emulator, code_zip, layer, tmp_path, capsys):
    emu = fg_emulator
    assert _run(emu, "apply", template_copy(tmp_path, code_zip, layer), capsys)[0] == 0
    louder = template_copy(tmp_path, code_zip, layer,
                           lambda p: p["Environment"]["Variables"].update(TASKWATCH_LOG_LEVEL="DEBUG"), "debug.yaml")
    status, out = _run(emu, "apply", louder, capsys)
    assert status == 0 and mutating(emu) == ["functiongraph.update_function_config"]
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
    assert "update    timer trigger daily-heartbeat: ACTIVE -> DISABLED" in out

    def sharded(p: dict[str, Any]) -> None:
        p["x-taskwatch"]["Timers"]["every-5-minutes"].update(Schedule="10m", UserEvent={"services": "taurusdb"})

    status, out = _run(emu, "apply", template_copy(tmp_path, code_zip, layer, sharded, "shard.yaml"), capsys)
    assert status == 0
    assert mutating(emu) == ["functiongraph.delete_function_trigger", "functiongraph.create_function_trigger",
                             "functiongraph.update_trigger"]  # replaced (no edit API); heartbeat re-enabled
    timer = next(t for t in emu.functiongraph.triggers("taskwatch") if t["event_data"]["name"] == "every-5-minutes")
    assert timer["event_data"]["schedule"] == "10m" and timer["event_data"]["user_event"] == '{"services":"taurusdb"}'


def test_a_new_layer_creates_a_version_and_an_old_one_is_reused(fg_emulator, code_zip, layer, tmp_path, capsys):
    emu = fg_emulator
    assert _run(emu, "apply", template_copy(tmp_path, code_zip, layer), capsys)[0] == 0
    other = _small_layer(tmp_path / "layer-b.zip", "2")
    status, _ = _run(emu, "apply", template_copy(tmp_path, code_zip, other, name="b.yaml"), capsys)
    assert status == 0
    assert mutating(emu) == ["functiongraph.create_dependency_version", "functiongraph.update_function_code"]
    versions = emu.functiongraph.dependency_versions("taskwatch-deps")
    assert [v["version"] for v in versions] == [1, 2]
    assert emu.functiongraph.function("taskwatch")["depend_version_list"] == [versions[1]["id"]]

    status, _ = _run(emu, "apply", template_copy(tmp_path, code_zip, layer, name="a.yaml"), capsys)
    assert status == 0 and mutating(emu) == ["functiongraph.update_function_code"]  # version 1 reused
    assert emu.functiongraph.function("taskwatch")["depend_version_list"] == [versions[0]["id"]]


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
    assert secret not in function["description"] and "[taskwatch-secrets pbkdf2-sha256$" in function["description"]

    status, out2 = _run(emu, "apply", template, capsys, TASKWATCH_DEPLOY_FUNCTION_SK=secret)
    assert status == 0 and mutating(emu) == []
    status, out3 = _run(emu, "apply", template, capsys, TASKWATCH_DEPLOY_FUNCTION_SK=secret + "-rotated")
    assert status == 0 and mutating(emu) == ["functiongraph.update_function_config"]
    assert "EncryptedVariables (CLOUD_SDK_SK)" in out3
    for text in (out, out2, out3):
        assert secret not in text and SK not in text and AK not in text


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
