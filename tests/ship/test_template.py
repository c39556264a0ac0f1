"""template.yaml against layers/template.schema.json, parameters, the function's own configuration check, policy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from tests.fixtures import BUCKET, PROJECT, TOPIC

from .conftest import load_tool, paths

ENV = {"TASKWATCH_DEPLOY_TOPIC_URN": TOPIC, "TASKWATCH_DEPLOY_STATE_BUCKET": BUCKET}


def _load(path: Path, env: dict[str, str] | None = None) -> Any:
    from ship.template import load

    return load(path, ENV if env is None else env, PROJECT)


def _edited(tmp_path: Path, edit) -> Path:
    document = yaml.safe_load(paths.TEMPLATE.read_text())
    edit(document)
    target = tmp_path / "template.yaml"
    target.write_text(yaml.safe_dump(document, sort_keys=False))
    return target


def _refusal(path: Path, env: dict[str, str] | None = None) -> str:
    from ship.template import TemplateError

    with pytest.raises(TemplateError) as caught:
        _load(path, env)
    return str(caught.value)


def test_schema_is_draft_2020_12_and_documents_the_template() -> None:
    schema = json.loads(paths.TEMPLATE_SCHEMA.read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("/2020-12/schema")
    for section in ("functionProperties", "extensions", "timer", "parameter"):
        for name, spec in schema["$defs"][section]["properties"].items():
            if section in {"functionProperties", "extensions"}:
                assert spec.get("description") or "$ref" in spec, f"{section}.{name} has no description"


def test_repository_template_is_valid_and_resolves() -> None:
    deployment = _load(paths.TEMPLATE)
    assert deployment.runtime == "Python3.10" and deployment.handler == "index.handler"
    assert deployment.memory_size == 128 and deployment.max_instances == 1
    assert deployment.region == TOPIC.split(":")[2]  # Region empty: taken from the topic
    assert deployment.variables["TASKWATCH_SMN_TOPIC_URN"] == TOPIC
    assert deployment.variables["TASKWATCH_STATE_URI"] == f"obs://{BUCKET}/taskwatch/state.json"
    assert deployment.layer_zip == paths.LAYER_DIR / "taskwatch-deps-python3.10.zip"
    assert deployment.code_zip == paths.CODE_ZIP
    assert {t.name for t in deployment.timers} == {"every-5-minutes", "daily-heartbeat"}
    assert deployment.function_urn == f"urn:fss:{deployment.region}:{PROJECT}:function:default:taskwatch"


def test_a_bad_field_is_refused_naming_it(tmp_path: Path) -> None:
    def bad_memory(doc: dict[str, Any]) -> None:
        doc["Resources"]["taskwatch"]["Properties"]["MemorySize"] = 100

    message = _refusal(_edited(tmp_path, bad_memory))
    assert message.startswith("Resources.taskwatch.Properties.MemorySize: expected one of 128, 256")
    assert "got 100" in message


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda p: p.update(Memory=128), "Resources.taskwatch.Properties.Memory: unknown field"),
    (lambda p: p.pop("Handler"), "Resources.taskwatch.Properties.Handler: required field is missing"),
    (lambda p: p.update(Runtime="Python3.7"), "Resources.taskwatch.Properties.Runtime: expected one of"),
    (lambda p: p.update(Timeout="60"), "Resources.taskwatch.Properties.Timeout: expected an integer"),
    (lambda p: p["x-taskwatch"]["Timers"]["every-5-minutes"].update(Schedule="90m"),
     "Resources.taskwatch.Properties.x-taskwatch.Timers.every-5-minutes.Schedule: expected text matching"),
    (lambda p: p["x-taskwatch"].update(Tags={"_sys_owner": "x"}),
     "Resources.taskwatch.Properties.x-taskwatch.Tags._sys_owner: unknown field"),
    (lambda p: p["x-taskwatch"]["Timers"].update(**{"every-5-minutes-r": {"ScheduleType": "Rate", "Schedule": "5m"}}),
     "x-taskwatch.Timers.every-5-minutes: every-5-minutes-r is also a timer here"),
    (lambda p: p["x-taskwatch"].update(Async={"MaxEventAge": 600}),
     "x-taskwatch.Async.MaxEventAge: 600 s is longer than the shortest timer period (300 s)"),
    (lambda p: p["x-taskwatch"].update(MaxInstances=0),
     "Resources.taskwatch.Properties.x-taskwatch.MaxInstances: expected at least 1"),
    (lambda p: p["Environment"]["Variables"].update(TASKWATCH_NOPE="1"),
     "Resources.taskwatch.Properties.Environment.Variables.TASKWATCH_NOPE: not a taskwatch configuration key"),
    (lambda p: p["Environment"]["Variables"].update(TASKWATCH_LOG_LEVEL="LOUD"),
     "Resources.taskwatch.Properties.Environment.Variables.TASKWATCH_LOG_LEVEL:"),
    (lambda p: p["Environment"]["Variables"].update(TASKWATCH_REGION="${Nowhere}"),
     "Resources.taskwatch.Properties.Environment.Variables.TASKWATCH_REGION: unknown parameter ${Nowhere}"),
    (lambda p: p["x-taskwatch"]["Timers"]["every-5-minutes"].update(UserEvent={"x": "y" * 2100}),
     "Resources.taskwatch.Properties.x-taskwatch.Timers.every-5-minutes.UserEvent:"),
    (lambda p: p["x-taskwatch"]["Timers"]["every-5-minutes"].update(UserEvent={"endpoint_obs": "https://x.example"}),
     "Resources.taskwatch.Properties.x-taskwatch.Timers.every-5-minutes.UserEvent: configuration "
     "TASKWATCH_ENDPOINT_OBS: may not be set by a user_event"),
    (lambda p: p["x-taskwatch"]["Timers"]["daily-heartbeat"].update(UserEvent={"shard": "asia"}),
     "Resources.taskwatch.Properties.x-taskwatch.Timers.daily-heartbeat.UserEvent: configuration user_event shard"),
])
def test_field_errors_name_the_field(tmp_path: Path, edit, expected: str) -> None:
    path = _edited(tmp_path, lambda doc: edit(doc["Resources"]["taskwatch"]["Properties"]))
    assert expected in _refusal(path)


@pytest.mark.parametrize("bucket", ["evil.example/x", "127.0.0.2", "Bucket", "a..b"])
def test_state_bucket_must_be_an_obs_bucket_name(bucket: str) -> None:
    message = _refusal(paths.TEMPLATE, env={**ENV, "TASKWATCH_DEPLOY_STATE_BUCKET": bucket})
    assert message.startswith("Parameters.StateBucket: ")
    assert bucket not in message.removeprefix("Parameters.StateBucket: ")  # never echoed


def test_parameters_come_from_the_environment(tmp_path: Path) -> None:
    message = _refusal(paths.TEMPLATE, env={})
    assert "Parameters.TopicUrn: required: set TASKWATCH_DEPLOY_TOPIC_URN" in message
    assert "Parameters.StateBucket: required: set TASKWATCH_DEPLOY_STATE_BUCKET" in message
    deployment = _load(paths.TEMPLATE, {**ENV, "TASKWATCH_DEPLOY_REGION": "xx-other-2"})
    assert deployment.region == "xx-other-2" and deployment.variables["TASKWATCH_REGION"] == "xx-other-2"


def test_encrypted_variables_need_their_deploy_variable(tmp_path: Path) -> None:
    def secret(doc: dict[str, Any]) -> None:
        doc["Resources"]["taskwatch"]["Properties"]["x-taskwatch"]["EncryptedVariables"] = {
            "CLOUD_SDK_SK": "TASKWATCH_DEPLOY_FUNCTION_SK"}

    path = _edited(tmp_path, secret)
    assert ("x-taskwatch.EncryptedVariables.CLOUD_SDK_SK: set the deploy environment variable "
            "TASKWATCH_DEPLOY_FUNCTION_SK") in _refusal(path)
    deployment = _load(path, {**ENV, "TASKWATCH_DEPLOY_FUNCTION_SK": "value-from-the-environment"})
    assert deployment.encrypted == {"CLOUD_SDK_SK": "value-from-the-environment"}
    assert "value-from-the-environment" not in repr(deployment)


def test_deploy_refuses_a_bad_template_before_anything_else(tmp_path: Path, capsys) -> None:
    path = _edited(tmp_path, lambda doc: doc["Resources"]["taskwatch"]["Properties"].update(MemorySize=100))
    assert load_tool("deploy").main(["plan", "--template", str(path)], environ=ENV) == 2
    err = capsys.readouterr().err
    assert "template.yaml refused:" in err and "Resources.taskwatch.Properties.MemorySize: expected one of" in err
