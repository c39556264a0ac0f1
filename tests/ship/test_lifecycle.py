"""Deploy as FunctionGraph behaves: full-replacement config updates, replace, versions/alias/rollback, destroy,
clean-up of old versions. Real SDK against the emulator, whose UpdateFunctionConfig replaces the configuration."""

from __future__ import annotations

import base64
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from huaweicloudsdkfunctiongraph.v2 import (
    CreateFunctionRequest,
    CreateFunctionRequestBody,
    DeleteVersionAliasRequest,
    FuncCode,
    UpdateFunctionConfigRequest,
    UpdateFunctionConfigRequestBody,
)
from ship.fgapi import ApiError, FunctionGraphApi

from tests.fixtures import AK, BUCKET, PROJECT, SK

from .conftest import mutating, run_deploy, small_layer, template_copy


@pytest.fixture
def layer(tmp_path: Path) -> Path:
    return small_layer(tmp_path / "layer-a.zip")


def _names(triggers: list[dict[str, Any]]) -> list[str]:
    return sorted(t["event_data"]["name"] for t in triggers)


def test_a_memory_change_keeps_max_instances_and_what_deploy_does_not_manage(fg_emulator, code_zip, layer, tmp_path,
                                                                             capsys) -> None:
    emu = fg_emulator
    assert emu.functiongraph.update_semantics == "replace"
    assert run_deploy(emu, "apply", template_copy(tmp_path, code_zip, layer), capsys)[0] == 0
    before = emu.functiongraph.function("taskwatch")
    bigger = template_copy(tmp_path, code_zip, layer, lambda p: p.update(MemorySize=256), "big.yaml")
    status, out = run_deploy(emu, "apply", bigger, capsys)
    assert status == 0, out
    assert mutating(emu) == ["functiongraph.update_function_config", "functiongraph.create_function_version",
                             "functiongraph.update_version_alias"]
    after = emu.functiongraph.function("taskwatch")
    assert after["memory_size"] == 256
    assert after["strategy_config"]["concurrency"] == 1  # not reset to the default by the update
    assert (after["log_group_id"], after["log_stream_id"]) == (before["log_group_id"], before["log_stream_id"])
    assert after["xrole"] == "taskwatch-agency" and after["user_data"] == before["user_data"]
    assert run_deploy(emu, "apply", bigger, capsys)[0] == 0 and mutating(emu) == []


def test_the_emulators_update_replaces_the_configuration(fg_emulator, code_zip, layer, tmp_path, capsys) -> None:
    """The guard the test above relies on: a field left out of UpdateFunctionConfig goes back to its default
    (merge keeps it): a deploy that sent only some fields would reset max instances here."""
    emu = fg_emulator
    assert run_deploy(emu, "apply", template_copy(tmp_path, code_zip, layer), capsys)[0] == 0
    api = FunctionGraphApi(emu.endpoints["functiongraph"], PROJECT, AK, SK)
    urn = f"urn:fss:{emu.region}:{PROJECT}:function:default:taskwatch"
    partial = {"func_name": "taskwatch", "runtime": "Python3.10", "handler": "index.handler", "memory_size": 256,
               "timeout": 120}
    api.client.update_function_config(UpdateFunctionConfigRequest(function_urn=urn,
                                                                  body=UpdateFunctionConfigRequestBody(**partial)))
    assert emu.functiongraph.function("taskwatch")["strategy_config"]["concurrency"] == 400
    assert emu.functiongraph.function("taskwatch")["xrole"] == ""
    emu.functiongraph.update_semantics = "merge"
    api.set_max_instances(urn, 1)
    api.client.update_function_config(UpdateFunctionConfigRequest(function_urn=urn,
                                                                  body=UpdateFunctionConfigRequestBody(**partial)))
    assert emu.functiongraph.function("taskwatch")["strategy_config"]["concurrency"] == 1


def test_a_v1_function_takes_only_0_or_minus_1_max_instances(fg_emulator) -> None:
    emu = fg_emulator
    api = FunctionGraphApi(emu.endpoints["functiongraph"], PROJECT, AK, SK)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return {}\n")
    body = CreateFunctionRequestBody(func_name="old", package="default", runtime="Python3.10", timeout=30,
                                     handler="index.handler", memory_size=128, code_type="zip",
                                     func_code=FuncCode(file=base64.b64encode(buffer.getvalue()).decode()))
    api.client.create_function(CreateFunctionRequest(body=body))  # no type: v1
    assert emu.functiongraph.function("old")["type"] == "v1"
    with pytest.raises(ApiError, match="v1 function takes only 0"):
        api.set_max_instances(f"urn:fss:{emu.region}:{PROJECT}:function:default:old", 1)


def test_a_new_name_and_runtime_is_a_replace_refused_unless_asked(fg_emulator, code_zip, layer, tmp_path,
                                                                  capsys) -> None:
    emu = fg_emulator
    assert run_deploy(emu, "apply", template_copy(tmp_path, code_zip, layer), capsys)[0] == 0

    def renamed(p: dict[str, Any]) -> None:
        p.update(FuncName="taskwatch-py312", Runtime="Python3.12")

    moved = template_copy(tmp_path, code_zip, layer, renamed, "moved.yaml")
    status, out = run_deploy(emu, "plan", moved, capsys)
    assert status == 0 and mutating(emu) == []
    assert "replace   function default/taskwatch: by default/taskwatch-py312 (Python3.10 -> Python3.12)" in out
    status, out = run_deploy(emu, "apply", moved, capsys)
    assert status == 1 and mutating(emu) == [] and "make deploy REPLACE=1" in out
    assert emu.functiongraph.functions() == ["default:taskwatch"]

    status, out = run_deploy(emu, "apply", moved, capsys, "--replace")
    assert status == 0, out
    calls = mutating(emu)
    created = [i for i, c in enumerate(calls) if c == "functiongraph.create_function_trigger"]
    deleted = [i for i, c in enumerate(calls) if c == "functiongraph.delete_function_trigger"]
    assert len(created) == 2 and len(deleted) == 2 and max(created) < min(deleted)  # new timers first: no gap
    assert calls.index("functiongraph.delete_function") > max(deleted)  # the old function after its timers
    assert emu.functiongraph.functions() == ["default:taskwatch-py312"]
    assert _names(emu.functiongraph.triggers("taskwatch-py312", qualifier="live")) == ["daily-heartbeat",
                                                                                       "every-5-minutes"]
    assert run_deploy(emu, "apply", moved, capsys)[0] == 0 and mutating(emu) == []


def test_a_runtime_change_under_the_same_name_is_refused_even_with_replace(fg_emulator, code_zip, layer, tmp_path,
                                                                           capsys) -> None:
    emu = fg_emulator
    assert run_deploy(emu, "apply", template_copy(tmp_path, code_zip, layer), capsys)[0] == 0
    newer = template_copy(tmp_path, code_zip, layer, lambda p: p.update(Runtime="Python3.12"), "312.yaml")
    status, out = run_deploy(emu, "plan", newer, capsys)
    assert status == 0 and "replace   function taskwatch: runtime Python3.10 -> Python3.12" in out
    assert "give FuncName a new name" in out
    for flags in ((), ("--replace",)):
        status, out = run_deploy(emu, "apply", newer, capsys, *flags)
        assert status == 1 and mutating(emu) == [], out
    assert emu.functiongraph.function("taskwatch")["runtime"] == "Python3.10"


def test_rollback_moves_the_alias_to_the_previous_version(fg_emulator, code_zip, layer, tmp_path, capsys) -> None:
    emu = fg_emulator
    template = template_copy(tmp_path, code_zip, layer)
    assert run_deploy(emu, "apply", template, capsys)[0] == 0
    louder = template_copy(tmp_path, code_zip, layer,
                           lambda p: p["Environment"]["Variables"].update(TASKWATCH_LOG_LEVEL="DEBUG"), "debug.yaml")
    assert run_deploy(emu, "apply", louder, capsys)[0] == 0
    first, second = (v["version"] for v in emu.functiongraph.versions("taskwatch"))
    assert emu.functiongraph.aliases("taskwatch")["live"]["version"] == second

    status, out = run_deploy(emu, "rollback", louder, capsys)
    assert status == 0, out
    assert mutating(emu) == ["functiongraph.update_version_alias"]
    assert f"rollback  alias live: {second} -> {first}" in out
    assert emu.functiongraph.aliases("taskwatch")["live"]["version"] == first
    status, out = run_deploy(emu, "rollback", louder, capsys)
    assert status == 1 and "no earlier published version" in out and mutating(emu) == []
    # the next deploy moves the alias forward again: to the newest version, which is latest (nothing republished)
    status, out = run_deploy(emu, "apply", louder, capsys)
    assert status == 0 and "latest differs from" in out
    assert mutating(emu) == ["functiongraph.update_version_alias"]
    assert emu.functiongraph.aliases("taskwatch")["live"]["version"] == second


def test_old_versions_beyond_keep_versions_are_deleted_with_their_uploads(fg_emulator, code_zip, tmp_path,
                                                                         capsys) -> None:
    emu = fg_emulator
    for n in range(5):
        layer = small_layer(tmp_path / f"layer-{n}.zip", str(n))
        template = template_copy(tmp_path, code_zip, layer, name=f"t{n}.yaml")
        status, out = run_deploy(emu, "apply", template, capsys)
        assert status == 0, out
    versions = emu.functiongraph.versions("taskwatch")
    assert len(versions) == 3 and emu.functiongraph.aliases("taskwatch")["live"]["version"] == versions[-1]["version"]
    deps = emu.functiongraph.dependency_versions("taskwatch-deps")
    assert [v["version"] for v in deps] == [3, 4, 5]
    assert emu.functiongraph.function("taskwatch")["depend_version_list"] == [deps[-1]["id"]]
    assert "delete    dependency version taskwatch-deps v2: older than the newest 3 and unused" in out
    assert run_deploy(emu, "apply", template, capsys)[0] == 0 and mutating(emu) == []


def test_destroy_lists_then_removes_everything_deploy_created(fg_emulator, code_zip, tmp_path, capsys) -> None:
    emu = fg_emulator
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("blob/data.bin", os.urandom(11 * 1024 * 1024))
    template = template_copy(tmp_path, code_zip, big)
    assert run_deploy(emu, "apply", template, capsys)[0] == 0
    uploads = [k for b, k in emu.obs_objects if b == BUCKET and k.startswith("taskwatch/deploy/")]
    assert len(uploads) == 1 and emu.ces.rules()

    status, out = run_deploy(emu, "destroy", template, capsys)
    assert status == 1 and "make destroy CONFIRM=1" in out and mutating(emu) == []  # no terminal, no --yes
    for line in ("delete    timer trigger every-5-minutes of ", "delete    function urn:fss:",
                 "delete    dependency version taskwatch-deps v1", f"delete    uploaded zip obs://{BUCKET}/{uploads[0]}",
                 "delete    alarm rule taskwatch-errors"):
        assert line in out, out

    status, out = run_deploy(emu, "destroy", template, capsys, "--yes")
    assert status == 0, out
    calls = mutating(emu)
    assert calls[:2] == ["functiongraph.delete_function_trigger"] * 2  # nothing fires any more, first
    assert emu.functiongraph.functions() == [] and emu.functiongraph.all_triggers() == []
    assert emu.functiongraph.dependency_versions("taskwatch-deps") == []
    assert not [k for b, k in emu.obs_objects if b == BUCKET and k.startswith("taskwatch/deploy/")]
    assert emu.ces.rules() == []
    status, out = run_deploy(emu, "destroy", template, capsys, "--yes")
    assert status == 0 and "destroy: nothing to delete" in out and mutating(emu) == []


def test_async_invocation_config_is_explicit(fg_emulator, code_zip, layer, tmp_path, capsys) -> None:
    emu = fg_emulator

    def failure_to_topic(p: dict[str, Any]) -> None:
        p["x-taskwatch"]["Async"] = {"RetryAttempts": 1, "MaxEventAge": 120, "OnFailureToTopic": True}

    template = template_copy(tmp_path, code_zip, layer, failure_to_topic)
    assert run_deploy(emu, "apply", template, capsys)[0] == 0
    config = emu.functiongraph.async_config("taskwatch")
    assert (config["max_async_retry_attempts"], config["max_async_event_age_in_seconds"]) == (1, 120)
    target = config["destination_config"]["on_failure"]
    assert target["destination"] == "SMN" and json.loads(target["param"])["topic_urn"].startswith("urn:smn:")
    assert run_deploy(emu, "apply", template, capsys)[0] == 0 and mutating(emu) == []


def test_the_enterprise_project_is_sent_at_creation_and_kept(fg_emulator, code_zip, layer, tmp_path, capsys) -> None:
    emu = fg_emulator
    template = template_copy(tmp_path, code_zip, layer)
    project = "0f9e8d7c-0000-4000-8000-000000000001"
    status, out = run_deploy(emu, "apply", template, capsys, TASKWATCH_DEPLOY_ENTERPRISE_PROJECT_ID=project)
    assert status == 0, out
    assert emu.functiongraph.function("taskwatch")["enterprise_project_id"] == project
    louder = template_copy(tmp_path, code_zip, layer,
                           lambda p: p["Environment"]["Variables"].update(TASKWATCH_LOG_LEVEL="DEBUG"), "debug.yaml")
    assert run_deploy(emu, "apply", louder, capsys)[0] == 0  # parameter unset now: the update keeps the project
    assert emu.functiongraph.function("taskwatch")["enterprise_project_id"] == project
    assert run_deploy(emu, "apply", louder, capsys, TASKWATCH_DEPLOY_ENTERPRISE_PROJECT_ID=project)[0] == 0
    assert mutating(emu) == []


def test_tags_from_the_template_are_set_and_others_left_alone(fg_emulator, code_zip, layer, tmp_path, capsys) -> None:
    emu = fg_emulator
    assert run_deploy(emu, "apply", template_copy(tmp_path, code_zip, layer), capsys)[0] == 0
    api = FunctionGraphApi(emu.endpoints["functiongraph"], PROJECT, AK, SK)
    urn = f"urn:fss:{emu.region}:{PROJECT}:function:default:taskwatch"
    api.set_tags(urn, {"cost-center": "ops"})  # set elsewhere (e.g. TMS): not the template's business
    owned = template_copy(tmp_path, code_zip, layer,
                          lambda p: p["x-taskwatch"].update(Tags={"app": "taskwatch", "env": "prod"}), "tags.yaml")
    status, out = run_deploy(emu, "apply", owned, capsys)
    assert status == 0 and mutating(emu) == ["functiongraph.create_tags"], out
    assert "update    tags taskwatch: env=prod" in out
    assert emu.functiongraph.tags("taskwatch") == {"app": "taskwatch", "env": "prod", "cost-center": "ops"}
    changed = template_copy(tmp_path, code_zip, layer,
                            lambda p: p["x-taskwatch"].update(Tags={"app": "taskwatch", "env": "test"}), "t2.yaml")
    assert run_deploy(emu, "apply", changed, capsys)[0] == 0
    assert mutating(emu) == ["functiongraph.delete_tags", "functiongraph.create_tags"]
    assert emu.functiongraph.tags("taskwatch")["env"] == "test"
    assert run_deploy(emu, "apply", changed, capsys)[0] == 0 and mutating(emu) == []


def test_timers_an_earlier_deploy_bound_to_latest_move_to_the_alias_without_a_gap(fg_emulator, code_zip, layer,
                                                                                   tmp_path, capsys) -> None:
    emu = fg_emulator
    template = template_copy(tmp_path, code_zip, layer)
    assert run_deploy(emu, "apply", template, capsys)[0] == 0
    api = FunctionGraphApi(emu.endpoints["functiongraph"], PROJECT, AK, SK)
    urn = f"urn:fss:{emu.region}:{PROJECT}:function:default:taskwatch"
    for trigger in api.triggers(f"{urn}:live"):  # what an earlier deploy left: timers on latest, no alias
        api.delete_trigger(f"{urn}:live", "TIMER", trigger["trigger_id"])
    api.client.delete_version_alias(DeleteVersionAliasRequest(function_urn=urn, alias_name="live"))
    api.create_timer(urn, "every-5-minutes", "Rate", "5m", "{}", True)
    api.create_timer(urn, "daily-heartbeat", "Cron", "0 0 9 * * ?", '{"heartbeat":"20h"}', True)

    status, out = run_deploy(emu, "apply", template, capsys)
    assert status == 0, out
    calls = mutating(emu)
    assert calls.index("functiongraph.create_version_alias") < calls.index("functiongraph.create_function_trigger")
    creates = [i for i, c in enumerate(calls) if c == "functiongraph.create_function_trigger"]
    deletes = [i for i, c in enumerate(calls) if c == "functiongraph.delete_function_trigger"]
    assert len(creates) == 2 and len(deletes) == 2 and max(creates) < min(deletes)
    assert "delete    timer trigger latest every-5-minutes: bound to latest; timers fire through alias live" in out
    assert emu.functiongraph.triggers("taskwatch") == []
    assert _names(emu.functiongraph.triggers("taskwatch", qualifier="live")) == ["daily-heartbeat",
                                                                                 "every-5-minutes"]
    assert run_deploy(emu, "apply", template, capsys)[0] == 0 and mutating(emu) == []


def test_destroy_keeps_a_dependency_version_another_function_uses(fg_emulator, code_zip, layer, tmp_path,
                                                                  capsys) -> None:
    """Someone attached taskwatch's dependency version to their own function: destroy removes the rest, keeps
    that version (and its function working), and says so."""
    emu = fg_emulator
    template = template_copy(tmp_path, code_zip, layer)
    assert run_deploy(emu, "apply", template, capsys)[0] == 0
    api = FunctionGraphApi(emu.endpoints["functiongraph"], PROJECT, AK, SK)
    (version,) = emu.functiongraph.dependency_versions("taskwatch-deps")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return {}\n")
    api.client.create_function(CreateFunctionRequest(body=CreateFunctionRequestBody(
        func_name="reporting", package="default", runtime="Python3.10", timeout=30, handler="index.handler",
        memory_size=128, code_type="zip", type="v2", depend_version_list=[version["id"]],
        func_code=FuncCode(file=base64.b64encode(buffer.getvalue()).decode()))))

    status, out = run_deploy(emu, "destroy", template, capsys, "--yes")
    assert status == 0, out
    assert "keep      dependency version taskwatch-deps v1: used by default/reporting" in out
    assert emu.functiongraph.functions() == ["default:reporting"]
    assert [v["id"] for v in emu.functiongraph.dependency_versions("taskwatch-deps")] == [version["id"]]
    assert emu.ces.rules() == []
