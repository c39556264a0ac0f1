"""The Terraform files describe the same deployment as template.yaml: compared through the template's normalized
model (ship.template.load -> Deployment, loaded with an operator's parameters), not its YAML keys, with the
files' expressions evaluated for the same operator's Terraform variables. And the committed files are what
`make terraform` writes, so a template change without regenerating fails here."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from ship import policy, terraform
from ship.alarm import ErrorAlarm, wanted_rule
from ship.planner import async_config
from ship.template import Deployment, load, load_raw

from .conftest import ACCOUNT, ENTERPRISE_PROJECT, TOPIC_URN, bindings, operator_environment
from .hclcheck import blocks, evaluate, parse_folder, parse_text, resources


def _resource(files: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    return resources(files)[(kind, name)]


def _defaults(files: dict[str, Any]) -> dict[str, Any]:
    return {labels[0]: evaluate(content.get("default"), {}) for labels, content in blocks(files, "variable")}


def test_the_committed_files_are_what_make_terraform_writes() -> None:
    assert terraform.check() == []


def test_every_field_of_the_model_is_mapped_to_terraform_or_says_why_not() -> None:
    """A field added to the template's model fails here until ship/terraform.py maps it, or lists it as
    deliberately unmapped with the reason (KeepVersions: deploy's own housekeeping of what it publishes)."""
    assert {field.name for field in dataclasses.fields(Deployment)} == set(terraform.MAPPED) | set(terraform.UNMAPPED)
    assert set(terraform.MAPPED) & set(terraform.UNMAPPED) == set()
    assert set(terraform.UNMAPPED) == {"keep_versions"} and "publishes no function version" in \
        terraform.UNMAPPED["keep_versions"]


def test_a_field_neither_mapped_nor_listed_as_unmapped_stops_the_generation(monkeypatch) -> None:
    monkeypatch.setattr(terraform, "UNMAPPED", {})
    with pytest.raises(terraform.GenerationError, match="not mapped to Terraform: keep_versions"):
        terraform.generate()


def test_the_function_is_the_templates(files, deployment) -> None:
    d = deployment
    function = evaluate(_resource(files, "huaweicloud_fgs_function", d.resource), bindings() | {
        "local.obs_host": "h", "local.code_object": "k", "huaweicloud_fgs_dependency_version.layer.version_id": "v",
        "huaweicloud_identity_agency.function.name": "agency",
        "length(var.encrypted_variables) > 0 ? jsonencode(var.encrypted_variables) : null": None,
        "tostring(var.max_instances)": "max", "var.log_enabled": "log", "var.tags": dict(d.tags),
        "var.alias_name": d.alias,
        'var.enterprise_project_id != "" ? var.enterprise_project_id : null': d.enterprise_project_id,
        'var.log_group_id != "" ? var.log_group_id : null': None,
        'var.log_stream_id != "" ? var.log_stream_id : null': None})
    assert (function["name"], function["app"], function["description"], function["handler"], function["runtime"],
            function["memory_size"], function["timeout"]) == \
        (d.func_name, d.package, d.description, d.handler, d.runtime, d.memory_size, d.timeout)
    assert function["user_data"] == dict(d.variables)  # every variable, with the parameters filled in
    assert function["agency"] == "agency" and function["depend_list"] == ["v"]
    assert function["functiongraph_version"] == "v2"  # as deploy creates it (max instances need v2)
    assert function["enterprise_project_id"] == d.enterprise_project_id == ENTERPRISE_PROJECT
    assert function["tags"] == dict(d.tags) == {"app": "taskwatch"}
    # The alias on latest: Terraform publishes no version (layers/terraform/README.md).
    assert function["versions"] == [{"name": "latest", "aliases": [{"name": d.alias}]}]
    defaults = _defaults(files)
    assert defaults["tags"] == dict(d.tags) and defaults["alias_name"] == d.alias == "live"
    assert defaults["agency_name"] == d.agency and defaults["max_instances"] == d.max_instances
    assert defaults["log_enabled"] == bool(d.log.get("Enabled"))
    assert defaults["log_group_id"] == str(d.log.get("GroupId") or "")
    assert defaults["encrypted_variables"] == dict(d.encrypted) == {}


def test_the_layer_and_code_are_the_templates(files, terraform_files, deployment) -> None:
    d = deployment
    layer = _resource(files, "huaweicloud_fgs_dependency_version", "layer")
    assert evaluate(layer["runtime"], {}) == d.runtime and layer["name"] == "${var.layer_name}"
    assert _defaults(files)["layer_name"] == d.layer_name
    (local,) = [content for _, content in blocks(terraform_files, "locals")]  # RFS has no local zips
    for name, want in (("code_zip", d.code_zip), ("layer_zip", d.layer_zip)):
        default = re.search(r'("\$\{path\.module\}/[^"]+")', local[name]).group(1)
        assert Path(evaluate(default, bindings())).resolve() == want


def test_a_new_zip_replaces_the_dependency_version_and_the_upload_new_one_first(files, target) -> None:
    """Replacing (link, key: ForceNew) destroys first by default, i.e. the layer the function still lists."""
    replaced = [("huaweicloud_fgs_dependency_version", "layer")]
    if target == "terraform":
        replaced += [("huaweicloud_obs_bucket_object", "code"), ("huaweicloud_obs_bucket_object", "layer")]
    for kind, name in replaced:
        assert _resource(files, kind, name)["lifecycle"] == [{"create_before_destroy": True, "__is_block__": True}]


def test_the_keys_printed_for_rfs_are_the_keys_terraform_uploads_under(terraform_files, tmp_path) -> None:
    files = terraform_files
    zip_path = tmp_path / "taskwatch-code.zip"
    zip_path.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    digest = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    upload = _resource(files, "huaweicloud_obs_bucket_object", "code")
    assert evaluate(upload["key"], {"substr(filesha256(local.code_zip), 0, 16)": digest[:16]}) == \
        terraform.object_key(zip_path) == f"taskwatch/deploy/taskwatch-code-{digest[:16]}.zip"


def test_the_timers_are_the_templates(files, deployment) -> None:
    want = {t.name: {"schedule_type": t.schedule_type, "schedule": t.schedule, "user_event": t.user_event,
                     "enabled": t.enabled} for t in deployment.timers}
    assert _defaults(files)["timers"] == want
    trigger = _resource(files, "huaweicloud_fgs_function_trigger", "timer")
    assert trigger["for_each"] == "${var.timers}" and evaluate(trigger["type"], {}) == "TIMER"
    urn = {"huaweicloud_fgs_function.taskwatch.urn": deployment.function_urn, "var.alias_name": deployment.alias}
    assert evaluate(trigger["function_urn"], urn) == deployment.alias_urn  # bound to the alias, as deploy binds them
    for name, timer in want.items():
        each = {"each.key": name, **{f"each.value.{key}": value for key, value in timer.items()}}
        assert evaluate(trigger["event_data"], each) == {"name": name, **{k: v for k, v in timer.items()
                                                                           if k != "enabled"}}
    assert trigger["status"] == '${each.value.enabled ? "ACTIVE" : "DISABLED"}'


def test_the_error_alarm_is_the_templates(files, deployment) -> None:
    d = deployment
    alarm = ErrorAlarm.from_template(d.error_alarm)
    assert alarm is not None
    defaults = _defaults(files)
    assert (defaults["alarm_name"], defaults["alarm_threshold"], defaults["alarm_period"], defaults["alarm_count"],
            defaults["alarm_suppress_duration"], defaults["alarm_level"], defaults["alarm_enabled"]) == \
        (alarm.name, alarm.threshold, alarm.period, alarm.count, alarm.suppress_duration, alarm.level, alarm.enabled)
    rule = wanted_rule(d, alarm)
    values = {f"var.alarm_{key}": getattr(alarm, key) for key in ("name", "period", "count", "suppress_duration",
                                                                  "level", "enabled")}
    values |= {"var.alarm_threshold": alarm.threshold}
    content = _resource(files, "huaweicloud_ces_alarmrule", "errors")
    assert content["depends_on"] == ["${huaweicloud_fgs_function.taskwatch}"]
    got = evaluate({k: v for k, v in content.items() if k != "depends_on"}, bindings() | values)
    assert got["alarm_name"] == rule["name"] and got["alarm_type"] == rule["type"]
    assert got["alarm_description"] == rule["description"] and got["alarm_enabled"] == rule["enabled"]
    assert got["metric"] == [{"namespace": rule["namespace"]}]
    assert got["resources"] == [{"dimensions": rule["resources"][0]}]
    (condition,) = got["condition"]
    (want,) = rule["policies"]
    assert condition == {"metric_name": want["metric_name"], "period": want["period"], "filter": want["filter"],
                         "comparison_operator": want["comparison_operator"], "value": want["value"],
                         "count": want["count"], "suppress_duration": want["suppress_duration"],
                         "alarm_level": want["level"]}
    assert got["alarm_actions"] == got["ok_actions"] == rule["alarm_notifications"] == rule["ok_notifications"]
    assert rule["alarm_notifications"][0]["notification_list"] == [TOPIC_URN]


def test_the_async_invocation_is_the_templates(files, deployment) -> None:
    d = deployment
    wanted = async_config(d)
    # the template: ErrorAlarm reports failures, no destination (deploy sends it empty, so turning it off clears it)
    assert not wanted.pop("destination_config", None)
    defaults = _defaults(files)
    assert (defaults["async_retry_attempts"], defaults["async_max_event_age"]) == (d.async_retries, d.async_max_age)
    content = _resource(files, "huaweicloud_fgs_async_invoke_configuration", "function")
    got = evaluate(content, {"huaweicloud_fgs_function.taskwatch.urn": d.function_urn,
                             "var.async_retry_attempts": defaults["async_retry_attempts"],
                             "var.async_max_event_age": defaults["async_max_event_age"]})
    # On the function (latest), as deploy sets it; the alias is on latest.
    assert got == {"function_urn": d.function_urn, **wanted} == {
        "function_urn": d.function_urn, "max_async_retry_attempts": 0, "max_async_event_age_in_seconds": 300}


def test_on_failure_to_the_topic_becomes_the_smn_destination(template_copy, tmp_path) -> None:
    def edit(props: dict[str, Any]) -> None:
        props["x-taskwatch"]["Async"]["OnFailureToTopic"] = True
        props["x-taskwatch"]["Async"]["RetryAttempts"] = 2

    _change(template_copy, edit)
    assert terraform.check(template_copy) == ["variables.tf", "main.tf", "rfs/variables.tf", "rfs/main.tf"]
    d = load(template_copy, operator_environment(template_copy))
    (on_failure,) = [{"destination": v["destination"], "param": json.loads(v["param"])}
                     for k, v in async_config(d)["destination_config"].items() if k == "on_failure"]
    folders = {target: tmp_path / target for target in terraform.TARGETS}
    terraform.write(template_copy, folders)
    for folder in folders.values():
        files = parse_folder(folder)
        content = evaluate(_resource(files, "huaweicloud_fgs_async_invoke_configuration", "function"),
                           bindings() | {"huaweicloud_fgs_function.taskwatch.urn": d.function_urn,
                                         "var.async_retry_attempts": 2, "var.async_max_event_age": 300})
        assert content["on_failure"] == [on_failure] == [{"destination": "SMN", "param": {"topic_urn": TOPIC_URN}}]
        assert "on_success" not in content and _defaults(files)["async_retry_attempts"] == 2


def test_the_enterprise_project_is_the_templates_parameter(files) -> None:
    """Empty (the parameter's Default) sends none, as deploy does; a value goes to the function."""
    assert _defaults(files)["enterprise_project_id"] == load_raw(terraform.paths.TEMPLATE)["Parameters"][
        "EnterpriseProjectId"]["Default"] == ""
    function = _resource(files, "huaweicloud_fgs_function", "taskwatch")
    assert function["enterprise_project_id"] == '${var.enterprise_project_id != "" ? var.enterprise_project_id : null}'
    assert terraform.hcl_value(terraform.ENTERPRISE_PROJECT) == terraform.Expr("var.enterprise_project_id")


@pytest.mark.parametrize(("value", "default"), [("0", "0"), ("eps-${EnterpriseProjectId}", None)])
def test_an_enterprise_project_written_in_the_template(template_copy, value: str, default: str | None) -> None:
    """A literal becomes the variable's default; a parameter inside other text has no variable to go into."""
    def edit(props: dict[str, Any]) -> None:
        props["x-taskwatch"]["EnterpriseProjectId"] = value

    _change(template_copy, edit)
    if default is None:
        with pytest.raises(terraform.GenerationError, match="cannot express"):
            terraform.generate(template_copy)
        return
    files = {name: parse_text(text) for name, text in terraform.generate(template_copy).items()}
    assert _defaults(files)["enterprise_project_id"] == default


def test_the_agency_and_its_policies_are_the_templates(files, deployment) -> None:
    d = deployment
    documents = policy.policies(policy.values_for(d, {policy.ACCOUNT_ENV: ACCOUNT}))
    roles = {name: evaluate(content, bindings()) for (kind, name), content in resources(files).items()
             if kind == "huaweicloud_identity_role"}
    assert {name: (role["type"], role["policy"]) for name, role in roles.items()} == {
        "regional": ("XA", documents["regional"]), "obs_global": ("AX", documents["global"]),
        "obs_project": ("XA", documents["global"])}
    agency = _resource(files, "huaweicloud_identity_agency", "function")
    assert agency["name"] == "${var.agency_name}" and _defaults(files)["agency_name"] == d.agency
    assert evaluate(agency["delegated_domain_name"], {}) == "op_svc_cff"
    assert agency["domain_roles"] == ["${huaweicloud_identity_role.obs_global.name}"]
    (project_role,) = agency["project_role"]
    assert evaluate(project_role["project"], bindings()) == d.region
    assert project_role["roles"] == ["${huaweicloud_identity_role.regional.name}",
                                     "${huaweicloud_identity_role.obs_project.name}"]


@pytest.fixture
def template_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "template.yaml"
    shutil.copy(terraform.paths.TEMPLATE, copy)
    return copy


def _change(template: Path, edit) -> None:
    document = yaml.safe_load(template.read_text(encoding="utf-8"))
    (resource,) = document["Resources"].values()
    edit(resource["Properties"])
    template.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def test_a_template_change_shows_as_drift_and_the_regenerated_files_follow_it(template_copy, tmp_path) -> None:
    def edit(props: dict[str, Any]) -> None:
        props["MemorySize"] = 256
        props["Environment"]["Variables"]["TASKWATCH_LOG_LEVEL"] = "DEBUG"
        props["x-taskwatch"]["Timers"]["every-5-minutes"]["Schedule"] = "10m"
        props["x-taskwatch"]["ErrorAlarm"]["Threshold"] = 3

    _change(template_copy, edit)
    assert terraform.check(template_copy) == ["variables.tf", "main.tf", "rfs/variables.tf", "rfs/main.tf"]
    folders = {target: tmp_path / target for target in terraform.TARGETS}
    terraform.write(template_copy, folders)
    for folder in folders.values():
        files = parse_folder(folder)
        function = _resource(files, "huaweicloud_fgs_function", "taskwatch")
        assert function["memory_size"] == 256
        assert '"TASKWATCH_LOG_LEVEL"' in function["user_data"] and '"DEBUG"' in function["user_data"]
        defaults = _defaults(files)
        assert defaults["timers"]["every-5-minutes"]["schedule"] == "10m" and defaults["alarm_threshold"] == 3


def test_a_parameter_value_terraform_cannot_express_stops_the_generation() -> None:
    """Only whole parameters map to Terraform; a part of one (the topic URN's project, as the model's function
    URN would carry) has no variable, so it is refused rather than written as a sentinel."""
    assert terraform.hcl_value(f"obs://{terraform.BUCKET}/k") == terraform.Template("obs://${var.state_bucket}/k")
    assert terraform.hcl_value(terraform.TOPIC_URN) == terraform.Expr("huaweicloud_smn_topic.alerts.topic_urn")
    with pytest.raises(terraform.GenerationError, match="cannot express"):
        terraform.hcl_value(f"urn:fss:{terraform.REGION}:{terraform.PROJECT}:function:default:taskwatch")

