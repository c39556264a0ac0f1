"""Deploy under what real accounts and real failures do to it: a deploy cut off halfway and run again, versions
in use by more than deploy's own alias, the version list in either order. Real SDK against the emulator."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path

import pytest
from huaweicloudsdkfunctiongraph.v2 import (
    CreateFunctionRequest,
    CreateFunctionRequestBody,
    CreateVersionAliasRequest,
    CreateVersionAliasRequestBody,
    FuncCode,
    UpdateFunctionConfigRequest,
    UpdateFunctionConfigRequestBody,
)
from ship.fgapi import FunctionGraphApi

from tests.emulator.faults import Fault
from tests.fixtures import AK, PROJECT, SK

from .conftest import mutating, run_deploy, small_layer, template_copy


def _deploy_layer(emu, code_zip: Path, tmp_path: Path, capsys, n: int, *flags: str) -> tuple[int, str]:
    """A deploy whose dependency zip differs with n (so the function changes and a version is published)."""
    layer = tmp_path / f"layer-{n}.zip"
    if not layer.exists():  # built once: a rebuilt zip has new timestamps, so other content
        small_layer(layer, str(n))
    return run_deploy(emu, "apply", template_copy(tmp_path, code_zip, layer, name=f"t{n}.yaml"), capsys, *flags)


def test_a_retry_after_a_failed_alias_update_publishes_no_second_version(fg_emulator, code_zip, tmp_path,
                                                                       capsys) -> None:
    emu = fg_emulator
    assert _deploy_layer(emu, code_zip, tmp_path, capsys, 0)[0] == 0
    emu.faults.add(Fault(call="functiongraph.update_version_alias", kind="500", times=1))
    status, out = _deploy_layer(emu, code_zip, tmp_path, capsys, 1)
    assert status == 1, out
    assert len(emu.functiongraph.versions("taskwatch")) == 2  # published, the alias not moved
    status, out = _deploy_layer(emu, code_zip, tmp_path, capsys, 1)
    assert status == 0, out
    versions = emu.functiongraph.versions("taskwatch")
    assert len(versions) == 2, [v["version"] for v in versions]  # the published one is used, not published again
    assert emu.functiongraph.aliases("taskwatch")["live"]["version"] == versions[-1]["version"]
    assert "functiongraph.create_function_version" not in mutating(emu)
    assert _deploy_layer(emu, code_zip, tmp_path, capsys, 1)[0] == 0 and mutating(emu) == []


def test_versions_other_aliases_use_are_kept_by_the_clean_up(fg_emulator, code_zip, tmp_path, capsys) -> None:
    """An alias made elsewhere (a canary in the console) and a traffic-shifting weight both use a version: the
    clean-up keeps it, and deploy goes on working (FunctionGraph refuses to delete a version an alias uses)."""
    emu = fg_emulator
    assert _deploy_layer(emu, code_zip, tmp_path, capsys, 0)[0] == 0
    api = FunctionGraphApi(emu.endpoints["functiongraph"], PROJECT, AK, SK)
    urn = f"urn:fss:{emu.region}:{PROJECT}:function:default:taskwatch"
    first = emu.functiongraph.versions("taskwatch")[0]["version"]
    api.create_alias(urn, "canary", first, "made by hand")
    assert _deploy_layer(emu, code_zip, tmp_path, capsys, 1)[0] == 0
    second = emu.functiongraph.versions("taskwatch")[-1]["version"]
    api.client.create_version_alias(CreateVersionAliasRequest(function_urn=urn, body=CreateVersionAliasRequestBody(
        name="shifted", version=first, additional_version_weights={second: 10})))
    for n in range(2, 6):
        status, out = _deploy_layer(emu, code_zip, tmp_path, capsys, n)
        assert status == 0, out
    names = [v["version"] for v in emu.functiongraph.versions("taskwatch")]
    assert first in names and second in names, names
    assert len(names) == 3 + 2  # the newest 3, and the two the other aliases use
    assert emu.functiongraph.aliases("taskwatch")["canary"]["version"] == first


@pytest.mark.parametrize("order", ["oldest_first", "newest_first"])
def test_clean_up_and_rollback_follow_publish_order_whatever_the_list_order(fg_emulator, code_zip, tmp_path,
                                                                           capsys, order: str) -> None:
    """ListFunctionVersions' order is not documented: the newest kept, and rollback going one back, must not
    depend on it."""
    emu = fg_emulator
    emu.functiongraph.version_order = order
    published = []
    for n in range(5):
        status, out = _deploy_layer(emu, code_zip, tmp_path, capsys, n)
        assert status == 0, out
        published.append(emu.functiongraph.aliases("taskwatch")["live"]["version"])
    assert sorted(v["version"] for v in emu.functiongraph.versions("taskwatch")) == sorted(published[-3:])
    status, out = run_deploy(emu, "rollback", tmp_path / "t4.yaml", capsys)
    assert status == 0, out
    assert emu.functiongraph.aliases("taskwatch")["live"]["version"] == published[-2]


def _every_5(schedule: str):
    def edit(p: dict) -> None:
        p["x-taskwatch"]["Timers"]["every-5-minutes"]["Schedule"] = schedule
    return edit


def _active_schedules(emu) -> list[str]:
    return sorted(t["event_data"]["schedule"] for t in emu.functiongraph.triggers("taskwatch", qualifier="live")
                  if t["event_data"]["name"].startswith("every-5-minutes") and t["trigger_status"] == "ACTIVE")


def test_a_schedule_change_cut_off_before_the_old_timer_went_then_changed_again_converges(fg_emulator, code_zip,
                                                                                        tmp_path, capsys) -> None:
    """The first change leaves both <name> and <name>-r (the delete failed); the next deploy, with yet another
    schedule, has no free name: it must still replace them, and never leave the timer without a trigger."""
    emu = fg_emulator
    layer = small_layer(tmp_path / "layer.zip")
    assert run_deploy(emu, "apply", template_copy(tmp_path, code_zip, layer), capsys)[0] == 0
    emu.faults.add(Fault(call="functiongraph.delete_function_trigger", kind="500", times=1))
    status, out = run_deploy(emu, "apply", template_copy(tmp_path, code_zip, layer, _every_5("10m"), "t10.yaml"),
                             capsys)
    assert status == 1, out
    assert _active_schedules(emu) == ["10m", "5m"]  # both fire: no gap, for now one too many
    status, out = run_deploy(emu, "apply", template_copy(tmp_path, code_zip, layer, _every_5("15m"), "t15.yaml"),
                             capsys)
    assert status == 0, out
    assert _active_schedules(emu) == ["15m"]
    calls = [(r["call"], r["path"]) for r in emu.requests if r["method"] != "GET"]
    creates = [i for i, (c, _) in enumerate(calls) if c == "functiongraph.create_function_trigger"]
    deletes = [i for i, (c, _) in enumerate(calls) if c == "functiongraph.delete_function_trigger"]
    assert len(creates) == 1 and len(deletes) == 2 and deletes[0] < creates[0] < deletes[1], calls  # one always fires
    assert run_deploy(emu, "apply", tmp_path / "t15.yaml", capsys)[0] == 0 and mutating(emu) == []


def test_versions_other_aliases_keep_never_push_a_publish_over_functiongraphs_10(fg_emulator, code_zip, tmp_path,
                                                                                capsys) -> None:
    """KeepVersions 9 plus two old versions other aliases use would make 11 with the new one: the clean-up keeps
    fewer of the newest instead, so the publish stays within FunctionGraph's 10."""
    emu = fg_emulator
    api = FunctionGraphApi(emu.endpoints["functiongraph"], PROJECT, AK, SK)
    urn = f"urn:fss:{emu.region}:{PROJECT}:function:default:taskwatch"

    def keep_9(n: int) -> tuple[int, str]:
        layer = tmp_path / f"layer-{n}.zip"
        small_layer(layer, str(n))
        template = template_copy(tmp_path, code_zip, layer, lambda p: p["x-taskwatch"].update(KeepVersions=9),
                                 f"k{n}.yaml")
        return run_deploy(emu, "apply", template, capsys)

    for n in range(2):
        assert keep_9(n)[0] == 0
        api.create_alias(urn, f"pinned-{n}", emu.functiongraph.versions("taskwatch")[-1]["version"], "by hand")
    for n in range(2, 12):
        status, out = keep_9(n)
        assert status == 0, out
    names = [v["version"] for v in emu.functiongraph.versions("taskwatch")]
    assert len(names) == 10
    assert {a["version"] for a in emu.functiongraph.aliases("taskwatch").values()} <= set(names)


def test_a_replace_cut_off_anywhere_converges_on_retry_without_extra_versions(fg_emulator, code_zip, tmp_path,
                                                                             capsys) -> None:
    """A replace fails while creating the new timers, deleting the old ones, deleting the old function; each
    retry finishes it. The old function's timers fire until the new ones exist, and the new function gets one
    version: a retry has nothing of its own to publish."""
    emu = fg_emulator
    layer = small_layer(tmp_path / "layer.zip")
    assert run_deploy(emu, "apply", template_copy(tmp_path, code_zip, layer), capsys)[0] == 0
    moved = template_copy(tmp_path, code_zip, layer, lambda p: p.update(FuncName="taskwatch-b"), "moved.yaml")
    for call, after in (("functiongraph.create_function_trigger", 1), ("functiongraph.delete_function_trigger", 1),
                        ("functiongraph.delete_function", 0)):
        emu.faults.add(Fault(call=call, kind="500", times=1, after=after))
        status, out = run_deploy(emu, "apply", moved, capsys, "--replace")
        assert status == 1, out
        timers = [t for name in ("taskwatch", "taskwatch-b")
                  for t in emu.functiongraph.triggers(name, qualifier="live")]
        assert {t["event_data"]["name"] for t in timers} == {"every-5-minutes", "daily-heartbeat"}  # never a gap
    status, out = run_deploy(emu, "apply", moved, capsys, "--replace")
    assert status == 0, out
    assert emu.functiongraph.functions() == ["default:taskwatch-b"]
    assert len(emu.functiongraph.versions("taskwatch-b")) == 1
    assert run_deploy(emu, "apply", moved, capsys)[0] == 0 and mutating(emu) == []


def test_encrypted_variables_set_outside_the_template_are_never_dropped_silently(fg_emulator, code_zip, tmp_path,
                                                                                capsys) -> None:
    """UpdateFunctionConfig replaces the configuration and deploy sends the template's encrypted variables only:
    one added in the console would vanish with the next memory change. The plan names it, the deploy refuses
    and changes nothing, and its value is printed nowhere."""
    emu = fg_emulator
    layer = small_layer(tmp_path / "layer.zip")
    assert run_deploy(emu, "apply", template_copy(tmp_path, code_zip, layer), capsys)[0] == 0
    api = FunctionGraphApi(emu.endpoints["functiongraph"], PROJECT, AK, SK)
    urn = f"urn:fss:{emu.region}:{PROJECT}:function:default:taskwatch"
    current = api.show_function(urn)
    body = {k: current[k] for k in UpdateFunctionConfigRequestBody.openapi_types if current.get(k) is not None}
    body["encrypted_user_data"] = json.dumps({"EXTRA_TOKEN": "console-secret-0123456789"})
    api.client.update_function_config(UpdateFunctionConfigRequest(function_urn=urn,
                                                                  body=UpdateFunctionConfigRequestBody(**body)))
    bigger = template_copy(tmp_path, code_zip, layer, lambda p: p.update(MemorySize=256), "big.yaml")
    status, out = run_deploy(emu, "plan", bigger, capsys)
    assert status == 0 and "EXTRA_TOKEN" in out, out
    status, out = run_deploy(emu, "apply", bigger, capsys)
    assert status == 1 and mutating(emu) == [], out
    assert "EXTRA_TOKEN" in out and "EncryptedVariables" in out
    for text in (out,):
        assert "console-secret" not in text
    function = emu.functiongraph.function("taskwatch")
    assert json.loads(function["encrypted_user_data"]) == {"EXTRA_TOKEN": "console-secret-0123456789"}
    assert function["memory_size"] == 128


def test_the_clean_up_keeps_a_dependency_version_another_function_uses(fg_emulator, code_zip, tmp_path,
                                                                       capsys) -> None:
    """Another function uses an old dependency version of taskwatch's: the clean-up passes over it (FunctionGraph
    refuses, or the other function would break), and deploy goes on working."""
    emu = fg_emulator
    assert _deploy_layer(emu, code_zip, tmp_path, capsys, 0)[0] == 0
    (first,) = emu.functiongraph.dependency_versions("taskwatch-deps")
    api = FunctionGraphApi(emu.endpoints["functiongraph"], PROJECT, AK, SK)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return {}\n")
    api.client.create_function(CreateFunctionRequest(body=CreateFunctionRequestBody(
        func_name="reporting", package="default", runtime="Python3.10", timeout=30, handler="index.handler",
        memory_size=128, code_type="zip", type="v2", depend_version_list=[first["id"]],
        func_code=FuncCode(file=base64.b64encode(buffer.getvalue()).decode()))))
    for n in range(1, 6):
        status, out = _deploy_layer(emu, code_zip, tmp_path, capsys, n)
        assert status == 0, out
    kept = [v["version"] for v in emu.functiongraph.dependency_versions("taskwatch-deps")]
    assert kept == [1, 4, 5, 6], kept


def test_every_configuration_field_set_elsewhere_survives_a_deploys_update(fg_emulator, code_zip, tmp_path,
                                                                           capsys) -> None:
    """Read-modify-write carries back every field the update takes, including those set only in the console
    (VPC, mounts, initializer, app agency, KMS key of the encrypted variables, ephemeral storage, LTS tags...)."""
    emu = fg_emulator
    layer = small_layer(tmp_path / "layer.zip")
    assert run_deploy(emu, "apply", template_copy(tmp_path, code_zip, layer), capsys)[0] == 0
    api = FunctionGraphApi(emu.endpoints["functiongraph"], PROJECT, AK, SK)
    urn = f"urn:fss:{emu.region}:{PROJECT}:function:default:taskwatch"
    current = api.show_function(urn)
    body = {k: current[k] for k in UpdateFunctionConfigRequestBody.openapi_types if current.get(k) is not None}
    console = {"func_vpc": {"vpc_id": "vpc-1", "subnet_id": "subnet-1"}, "app_xrole": "app-agency",
               "mount_config": {"mount_user": {"user_id": 1000, "user_group_id": 1000}, "func_mounts": []},
               "initializer_handler": "index.init", "initializer_timeout": 30, "ephemeral_storage": 1024,
               "user_data_encrypt_kms_key_id": "kms-key-1", "lts_custom_tag": {"team": "ops"},
               "enable_dynamic_memory": True, "peering_cidr": "10.0.0.0/24"}
    body.pop("log_config", None)
    api.client.update_function_config(UpdateFunctionConfigRequest(
        function_urn=urn, body=UpdateFunctionConfigRequestBody(**{**body, **console})))
    bigger = template_copy(tmp_path, code_zip, layer, lambda p: p.update(MemorySize=256), "big.yaml")
    status, out = run_deploy(emu, "apply", bigger, capsys)
    assert status == 0 and "functiongraph.update_function_config" in mutating(emu), out
    after = emu.functiongraph.function("taskwatch")
    assert after["memory_size"] == 256
    assert {k: after[k] for k in console} == console
    # the emulator's guard: the same update without those fields unsets them (it replaces)
    plain = {k: v for k, v in body.items() if k not in console}
    api.client.update_function_config(UpdateFunctionConfigRequest(
        function_urn=urn, body=UpdateFunctionConfigRequestBody(**plain)))
    assert emu.functiongraph.function("taskwatch")["ephemeral_storage"] is None


@pytest.mark.parametrize("semantics", ["replace", "merge"])
def test_turning_the_failure_destination_off_clears_it_under_either_reading(fg_emulator, code_zip, tmp_path,
                                                                            capsys, semantics: str) -> None:
    """UpdateFunctionAsyncInvokeConfig's documents do not say whether a field left out is cleared or kept:
    deploy sends the destinations explicitly, so OnFailureToTopic false removes the SMN target either way, and
    the next deploy changes nothing."""
    emu = fg_emulator
    emu.functiongraph.async_semantics = semantics
    layer = small_layer(tmp_path / "layer.zip")

    def to_topic(on: bool):
        return lambda p: p["x-taskwatch"]["Async"].update(OnFailureToTopic=on)

    assert run_deploy(emu, "apply", template_copy(tmp_path, code_zip, layer, to_topic(True), "on.yaml"),
                      capsys)[0] == 0
    assert emu.functiongraph.async_config("taskwatch")["destination_config"]["on_failure"]["destination"] == "SMN"
    off = template_copy(tmp_path, code_zip, layer, to_topic(False), "off.yaml")
    status, out = run_deploy(emu, "apply", off, capsys)
    assert status == 0, out
    assert not (emu.functiongraph.async_config("taskwatch")["destination_config"] or {}).get("on_failure")
    assert run_deploy(emu, "apply", off, capsys)[0] == 0 and mutating(emu) == []
