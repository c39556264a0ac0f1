"""The Cloud Eye alarm rule on the function's error count: deploy creates it, keeps it, replaces it when it
differs (real huaweicloudsdkces client, signed requests, the emulator's CES host validating the documents)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.emulator import CloudEmulator
from tests.fixtures import AK, PROJECT, SK, TOPIC

from .conftest import load_tool, mutating, run_deploy, small_layer, template_copy

_run = run_deploy
_small_layer = small_layer

deploy = load_tool("deploy")
from ship.alarm import CesApi  # noqa: E402  (layers/ is on sys.path once conftest ran)
from ship.fgapi import ApiError  # noqa: E402


@pytest.fixture
def layer(tmp_path: Path) -> Path:
    return _small_layer(tmp_path / "layer-a.zip")


def _alarm(edit: dict[str, Any] | None = None, remove: bool = False):
    def change(props: dict[str, Any]) -> None:
        if remove:
            del props["x-taskwatch"]["ErrorAlarm"]
        else:
            props["x-taskwatch"]["ErrorAlarm"].update(edit or {})
    return change


def test_deploy_creates_the_error_count_rule_to_the_topic_then_changes_nothing(fg_emulator, code_zip, layer,
                                                                               tmp_path, capsys) -> None:
    emu = fg_emulator
    template = template_copy(tmp_path, code_zip, layer)
    status, out = _run(emu, "plan", template, capsys)
    assert status == 0 and mutating(emu) == [] and emu.ces.rules() == []
    assert "create    alarm rule taskwatch-errors" in out

    status, out = _run(emu, "apply", template, capsys)
    assert status == 0, out
    (rule,) = emu.ces.rules()
    assert rule["name"] == "taskwatch-errors" and rule["namespace"] == "SYS.FunctionGraph"
    assert rule["type"] == "MULTI_INSTANCE" and rule["enabled"] is True and rule["notification_enabled"] is True
    assert rule["resources"][0]["dimensions"] == [{"name": "package-functionname", "value": "default-taskwatch"}]
    (policy,) = rule["policies"]
    assert (policy["metric_name"], policy["filter"], policy["comparison_operator"], policy["value"],
            policy["period"], policy["count"]) == ("failcount", "sum", ">=", 1, 300, 1)
    notify = [{"type": "notification", "notification_list": [TOPIC]}]
    assert rule["alarm_notifications"] == notify and rule["ok_notifications"] == notify

    for command in ("plan", "apply"):
        status, out = _run(emu, command, template, capsys)
        assert status == 0 and mutating(emu) == [], out
        assert "no change alarm rule taskwatch-errors" in out
    assert [r["alarm_id"] for r in emu.ces.rules()] == [rule["alarm_id"]]


def test_a_changed_threshold_replaces_the_rule(fg_emulator, code_zip, layer, tmp_path, capsys) -> None:
    emu = fg_emulator
    assert _run(emu, "apply", template_copy(tmp_path, code_zip, layer), capsys)[0] == 0
    changed = template_copy(tmp_path, code_zip, layer, _alarm({"Threshold": 3, "Count": 2}), name="t2.yaml")

    status, out = _run(emu, "apply", changed, capsys)
    assert status == 0, out
    assert mutating(emu) == ["ces.batch_delete_alarm_rules", "ces.create_alarm_rules"]
    assert "update    alarm rule taskwatch-errors: replace (policies changed)" in out
    (rule,) = emu.ces.rules()
    assert (rule["policies"][0]["value"], rule["policies"][0]["count"]) == (3, 2)
    status, out = _run(emu, "apply", changed, capsys)
    assert status == 0 and mutating(emu) == [], out


def test_rules_with_the_same_name_are_reduced_to_one(fg_emulator, code_zip, layer, tmp_path, capsys) -> None:
    emu = fg_emulator
    template = template_copy(tmp_path, code_zip, layer)
    assert _run(emu, "apply", template, capsys)[0] == 0
    (kept,) = emu.ces.rules()
    api = CesApi(emu.endpoints["ces"], PROJECT, AK, SK)
    api.create_rule({k: v for k, v in kept.items() if k not in ("alarm_id", "project")} | {
        "resources": [[{"name": "package-functionname", "value": "default-taskwatch"}]]})
    assert len(emu.ces.rules()) == 2

    status, out = _run(emu, "apply", template, capsys)
    assert status == 0, out
    assert mutating(emu) == ["ces.batch_delete_alarm_rules"] and "duplicate name" in out
    assert [r["alarm_id"] for r in emu.ces.rules()] == [kept["alarm_id"]]


def test_without_an_error_alarm_block_cloud_eye_is_not_called(fg_emulator, code_zip, layer, tmp_path, capsys):
    emu = fg_emulator
    template = template_copy(tmp_path, code_zip, layer, _alarm(remove=True))
    status, out = _run(emu, "apply", template, capsys)
    assert status == 0, out
    assert [r for r in emu.requests if r["service"] == "ces"] == [] and "alarm rule" not in out


def test_the_template_refuses_a_period_cloud_eye_does_not_offer(fg_emulator, code_zip, layer, tmp_path, capsys):
    emu = fg_emulator
    template = template_copy(tmp_path, code_zip, layer, _alarm({"Period": 60}))
    status, out = _run(emu, "plan", template, capsys)
    assert status == 2 and emu.requests == []
    assert "Resources.taskwatch.Properties.x-taskwatch.ErrorAlarm.Period: expected one of 1, 300" in out


@pytest.mark.parametrize(("change", "complaint"), [
    ({"policies": [{"metric_name": "failcount", "period": 60, "filter": "sum", "comparison_operator": ">=",
                    "value": 1, "count": 1}]}, "policies.period"),
    ({"policies": [{"metric_name": "failcount", "period": 300, "filter": "total", "comparison_operator": ">=",
                    "value": 1, "count": 1}]}, "policies.filter"),
    ({"policies": [{"metric_name": "failcount", "period": 300, "filter": "sum", "comparison_operator": ">=",
                    "value": 1, "count": 7}]}, "policies.count"),
    ({"resources": []}, "MULTI_INSTANCE needs at least one resource"),
    ({"name": "taskwatch errors!"}, "name"),
    ({"alarm_notifications": [{"type": "notification", "notification_list": ["urn:smn:xx:1:nope"]}],
      "ok_notifications": []}, "no such SMN topic"),
    ({"alarm_notifications": [], "ok_notifications": []}, "notification_enabled needs"),
])
def test_the_emulator_refuses_what_the_documents_refuse(change: dict[str, Any], complaint: str) -> None:
    good = {"name": "r", "description": "", "namespace": "SYS.FunctionGraph", "type": "MULTI_INSTANCE",
            "resources": [[{"name": "package-functionname", "value": "default-taskwatch"}]],
            "policies": [{"metric_name": "failcount", "period": 300, "filter": "sum", "comparison_operator": ">=",
                          "value": 1, "count": 1, "suppress_duration": 0, "level": 2}],
            "alarm_notifications": [{"type": "notification", "notification_list": [TOPIC]}],
            "ok_notifications": [], "enabled": True, "notification_enabled": True}
    with CloudEmulator(ak=AK, sk=SK, project_id=PROJECT, topic_urns=[TOPIC], ces=True) as emu:
        api = CesApi(emu.endpoints["ces"], PROJECT, AK, SK)
        assert api.create_rule(good).startswith("al")
        with pytest.raises(ApiError) as refused:
            api.create_rule(good | change)
        assert "HTTP 400 ces.0014" in str(refused.value) and complaint in str(refused.value)
        assert len(emu.ces.rules()) == 1 and emu.errors == []


def test_a_rule_of_the_same_name_on_another_function_is_neither_taken_over_nor_destroyed(fg_emulator, code_zip,
                                                                                        layer, tmp_path,
                                                                                        capsys) -> None:
    """Rule names are not unique, and another deployment in the project may use the default name for its own
    function: deploy keeps its own rule beside it, destroy deletes only its own."""
    emu = fg_emulator
    api = CesApi(emu.endpoints["ces"], PROJECT, AK, SK)
    other = {"name": "taskwatch-errors", "description": "errors of default/billing", "namespace": "SYS.FunctionGraph",
             "type": "MULTI_INSTANCE", "resources": [[{"name": "package-functionname", "value": "default-billing"}]],
             "policies": [{"metric_name": "failcount", "period": 300, "filter": "sum", "comparison_operator": ">=",
                           "value": 1, "count": 1, "suppress_duration": 0, "level": 2}],
             "alarm_notifications": [{"type": "notification", "notification_list": [TOPIC]}],
             "ok_notifications": [], "enabled": True, "notification_enabled": True}
    other_id = api.create_rule(other)
    template = template_copy(tmp_path, code_zip, layer)
    status, out = _run(emu, "apply", template, capsys)
    assert status == 0, out
    rules = {r["alarm_id"]: r for r in emu.ces.rules()}
    assert len(rules) == 2 and rules[other_id]["resources"][0]["dimensions"][0]["value"] == "default-billing"
    status, out = _run(emu, "apply", template, capsys)
    assert status == 0 and mutating(emu) == [], out
    status, out = run_deploy(emu, "destroy", template, capsys, "--yes")
    assert status == 0, out
    assert [r["alarm_id"] for r in emu.ces.rules()] == [other_id]
