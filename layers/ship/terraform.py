"""template.yaml -> Terraform files for the huaweicloud provider (layers/terraform/*.tf): one source of truth.

Why generated: operators who manage their cloud with Terraform, and Huawei's Resource Formation Service (RFS,
which runs Terraform only), cannot use template.yaml; hand-written .tf files would drift from it. So the files
are written from the same normalized model deploy uses (template.load -> Deployment), and the IAM policies
from the same policy files (policy.policies), and a test fails when the committed files differ from what this
writes (`make terraform` rewrites them).

How the parameters become Terraform: the template is loaded with sentinel parameter values (a region, topic,
bucket and account nobody has), and every sentinel in the resolved model is replaced by the Terraform
expression that holds the real value (var.state_bucket, local.region, the topic's URN...). Whatever the
template derives from a parameter (TASKWATCH_STATE_URI, the policies' resources) follows without being known
here; a sentinel left over, or a field of the model this does not map, stops the generation.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import paths, policy
from .alarm import ErrorAlarm, wanted_rule
from .fgapi import FUNCTION_TYPE
from .hcl import Block, Comment, Expr, Template, assignments, document, value
from .planner import DEPLOY_PREFIX, async_config
from .template import Deployment, load, load_raw
from .zipfile_det import ZipReport, sha256_file, write_zip

TERRAFORM = paths.LAYERS / "terraform"
PROVIDER_ARGUMENTS = TERRAFORM / "provider-arguments.json"
FILES = ("versions.tf", "variables.tf", "main.tf", "outputs.tf")
# Two targets: Terraform itself (uploads the local zips), and RFS, which refuses huaweicloud_obs_bucket_object
# and the file functions (filesha256, filemd5, ...) and takes the provider from its own source address
# ("Template Constraints and Limitations", "Supported Provider Versions"): the zips are in OBS beforehand.
TARGETS = {"terraform": TERRAFORM, "rfs": TERRAFORM / "rfs"}
PROVIDER_SOURCES = {"terraform": "huaweicloud/huaweicloud", "rfs": "huawei.com/provider/huaweicloud"}
FUNCTIONGRAPH_AGENCY_DOMAIN = "op_svc_cff"  # IAM: the delegated party of a FunctionGraph cloud-service agency
ROLE_NAMES = {"regional": "taskwatch-regional", "global": "taskwatch-obs-global", "project": "taskwatch-obs-project"}

# Sentinels: valid for every check template.load and policy.values_for make, and found in no real template.
REGION = "zz-tfregion-9"
PROJECT = "0" * 32  # template.load's placeholder project when none is given
TOPIC_NAME = "tftopicsentinel"
TOPIC_URN = f"urn:smn:{REGION}:{PROJECT}:{TOPIC_NAME}"
BUCKET = "tf-bucket-sentinel"
ACCOUNT = "TFACCOUNTSENTINEL0"
ENTERPRISE_PROJECT = "tfenterpriseprojectsentinel"
PARAMETERS = {"TopicUrn": TOPIC_URN, "StateBucket": BUCKET, "Region": REGION,
              "EnterpriseProjectId": ENTERPRISE_PROJECT}
# Longest first: the topic URN holds the region and the topic name.
REPLACEMENTS = (
    (TOPIC_URN, "huaweicloud_smn_topic.alerts.topic_urn"),
    (REGION, "local.region"),
    (BUCKET, "var.state_bucket"),
    (TOPIC_NAME, "var.topic_name"),
    (ACCOUNT, "var.account_id"),
    (ENTERPRISE_PROJECT, "var.enterprise_project_id"),
)
# Every field of the model, and where it goes; a new field fails the test until it is mapped here.
MAPPED = {
    "region": "variable region / local.region", "project_id": "the provider's project (not a variable)",
    "parameters": "variables topic_name, state_bucket, region", "resource": "the function's resource label",
    "func_name": "fgs_function.name", "package": "fgs_function.app", "description": "fgs_function.description",
    "handler": "fgs_function.handler", "runtime": "fgs_function.runtime and dependency version runtime",
    "memory_size": "fgs_function.memory_size", "timeout": "fgs_function.timeout",
    "code_zip": "variable code_zip default", "variables": "fgs_function.user_data",
    "encrypted": "variable encrypted_variables (sensitive) -> fgs_function.encrypted_user_data",
    "agency": "variable agency_name, identity_agency and roles", "max_instances": "variable max_instances",
    "layer_name": "variable layer_name", "layer_zip": "variable layer_zip default",
    "log": "variables log_enabled, log_group_id, log_stream_id", "timers": "variable timers -> triggers",
    "error_alarm": "variables alarm_* -> ces_alarmrule",
    "alias": "variable alias_name -> fgs_function.versions[latest].aliases; the triggers' function_urn <urn>:<alias>",
    "async_retries": "variable async_retry_attempts -> fgs_async_invoke_configuration.max_async_retry_attempts",
    "async_max_age": "variable async_max_event_age -> fgs_async_invoke_configuration.max_async_event_age_in_seconds",
    "async_failure_to_topic": "fgs_async_invoke_configuration.on_failure (SMN, the alerts topic) when true",
    "enterprise_project_id": "variable enterprise_project_id (Parameters.EnterpriseProjectId) -> "
                             "fgs_function.enterprise_project_id (empty: null)",
    "tags": "variable tags -> fgs_function.tags",
}
# Fields deliberately without a Terraform counterpart, and why; a field must be in exactly one of the two.
UNMAPPED = {
    "keep_versions": "deploy's housekeeping of the versions it publishes on each deploy (and the dependency "
                     "versions and zips it uploaded); Terraform publishes no function version (the alias is on "
                     "latest) and replaces the dependency version it manages, so there is nothing to prune",
}


class GenerationError(Exception):
    pass


def deployment(template: Path = paths.TEMPLATE) -> Deployment:
    """The template's model with sentinel parameters (reads Parameters.<name>.x-env to pass them)."""
    declared = load_raw(template).get("Parameters") or {}
    environ = {spec["x-env"]: PARAMETERS[name] for name, spec in declared.items()
               if name in PARAMETERS and spec.get("x-env")}
    unknown = sorted(set(declared) - set(PARAMETERS))
    if unknown:
        raise GenerationError(f"Parameters {', '.join(unknown)}: no Terraform variable maps them (ship/terraform.py)")
    environ[policy.ACCOUNT_ENV] = ACCOUNT
    return load(template, environ)


def hcl_value(text: str) -> Any:
    """A resolved string as HCL: sentinels become expressions (a whole-sentinel string is the bare expression)."""
    for sentinel, expression in REPLACEMENTS:
        if text == sentinel:
            return Expr(expression)
    escaped = text.replace("${", "$${").replace("%{", "%%{")
    for sentinel, expression in REPLACEMENTS:
        escaped = escaped.replace(sentinel, "${" + expression + "}")
    _no_sentinel_left(escaped)
    return Template(escaped) if escaped != text.replace("${", "$${").replace("%{", "%%{") else text


def hcl_tree(item: Any) -> Any:
    if isinstance(item, str):
        return hcl_value(item)
    if isinstance(item, Mapping):
        return {key: hcl_tree(element) for key, element in item.items()}
    if isinstance(item, list | tuple):
        return [hcl_tree(element) for element in item]
    return item


def _no_sentinel_left(text: str) -> None:
    for fragment in (PROJECT, REGION, TOPIC_NAME, BUCKET, ACCOUNT, ENTERPRISE_PROJECT):
        if fragment in text:
            raise GenerationError(f"{text!r}: a parameter's value is used in a form Terraform cannot express "
                                  "(e.g. the topic URN's project) - map it in ship/terraform.py")


def generate(template: Path = paths.TEMPLATE, target: str = "terraform") -> dict[str, str]:
    """The Terraform files (name -> text) for the template, for Terraform itself or for RFS."""
    if target not in TARGETS:
        raise GenerationError(f"target {target!r}: one of {', '.join(TARGETS)}")
    rfs = target == "rfs"
    d = deployment(template)
    unmapped = sorted({f.name for f in dataclasses.fields(d)} - set(MAPPED) - set(UNMAPPED))
    if unmapped:
        raise GenerationError(f"Deployment fields not mapped to Terraform: {', '.join(unmapped)}")
    version = json.loads(PROVIDER_ARGUMENTS.read_text(encoding="utf-8"))["provider"]["version"]
    header = (f"Generated from {template.name} by layers/terraform_gen.py (`make terraform`): do not edit by hand.\n"
              "Provider arguments checked against layers/terraform/provider-arguments.json (tests/terraform).")
    if rfs:
        header += ("\nFor Resource Formation Service: the zips go into the state bucket first "
                   "(layers/terraform/README.md).")
    return {
        "versions.tf": document(header, _versions(version, rfs)),
        "variables.tf": document(header, _variables(d, rfs)),
        "main.tf": document(header, _main(d, rfs)),
        "outputs.tf": document(header, _outputs(d)),
    }


# ---- the files ----------------------------------------------------------------------------------------------
def _versions(version: str, rfs: bool) -> list[Block]:
    # RFS picks the newest provider it offers within the constraint (its docs advise >=); Terraform gets
    # exactly the version whose documented arguments the tests check against.
    providers = Block("required_providers").set("huaweicloud", {
        "source": PROVIDER_SOURCES["rfs" if rfs else "terraform"], "version": f">= {version}" if rfs else version})
    terraform = Block("terraform").add(providers)
    provider = Block("provider", ("huaweicloud",)).add(Comment(
        "Empty region: the provider's own (HW_REGION_NAME), as the template's empty Region means the topic's."))
    provider.set("region", Expr('var.region != "" ? var.region : null'))
    return [terraform, provider]


def _variable(name: str, kind: str, description: str, default: Any = ..., sensitive: bool = False,
              validation: tuple[str, str] | None = None) -> Block:
    block = Block("variable", (name,)).set("type", Expr(kind)).set("description", description)
    if default is not ...:
        block.set("default", default)
    if sensitive:
        block.set("sensitive", True)
    if validation:
        condition, message = validation
        block.add(Block("validation").set("condition", Expr(condition)).set("error_message", message))
    return block


def _pattern(variable: str, pattern: re.Pattern[str], what: str) -> tuple[str, str]:
    # Terraform before 1.2 wants an error message that starts with a capital and ends with a period.
    return (f"can(regex({json.dumps(pattern.pattern)}, var.{variable}))", f"Variable {variable}: {what}.")


def _variables(d: Deployment, rfs: bool) -> list[Block]:
    alarm = ErrorAlarm.from_template(d.error_alarm)
    unknown_log = sorted(set(d.log) - {"Enabled", "GroupId", "StreamId"})
    if unknown_log:
        raise GenerationError(f"x-taskwatch.Log {', '.join(unknown_log)}: not mapped to Terraform")
    here = TERRAFORM
    blocks = [
        _variable("topic_name", "string", "SMN topic to create for the alerts (the template's TopicUrn names an "
                  "existing one).", validation=_pattern("topic_name", policy._TOPIC,
                                                        "letters, digits, _ and -, up to 255")),
        _variable("state_bucket", "string", "OBS bucket for the state object and the uploaded zips (the "
                  "template's StateBucket).", validation=_pattern("state_bucket", policy._BUCKET,
                                                                  "an OBS bucket name")),
        None if rfs else _variable("create_state_bucket", "bool", "Create the state bucket (false: it exists "
                                   "already).", True),
        _variable("region", "string", "Region to deploy to and to watch; empty means the provider's region "
                  "(the template's Region).", "",
                  validation=('var.region == "" || can(regex(' + json.dumps(policy._REGION.pattern)
                              + ", var.region))", "Variable region: a region name such as cn-north-4, or empty.")),
        _variable("account_id", "string", "Account (domain) ID: the SMN resource in the agency's policy names "
                  "the topic's account (deploy: TASKWATCH_DEPLOY_ACCOUNT_ID).",
                  validation=_pattern("account_id", policy._ACCOUNT, "the account ID (IAM: My Credentials)")),
        *(_objects() if rfs else [
            _variable("code_zip", "string", "Local code zip (`make package`); empty: "
                      f"{_relative(d.code_zip, here)} next to this module.", ""),
            _variable("layer_zip", "string", "Local dependency layer zip (`make layer`); empty: "
                      f"{_relative(d.layer_zip, here)} next to this module.", ""),
            _variable("code_object", "string", "Key of the code zip already in the state bucket; empty: upload "
                      "code_zip.", ""),
            _variable("layer_object", "string", "Key of the layer zip already in the state bucket; empty: upload "
                      "layer_zip.", "")]),
        _variable("enterprise_project_id", "string", "Enterprise project of the function "
                  "(the template's EnterpriseProjectId); empty: none sent, the provider's own if it sets one.",
                  _parameter_default(d.enterprise_project_id)),
        _variable("encrypted_variables", "map(string)", "Encrypted environment variables (the template's "
                  "x-taskwatch.EncryptedVariables, by value).", {}, sensitive=True),
        _variable("agency_name", "string", "Agency the function runs with (x-taskwatch.Agency).", d.agency or ""),
        _variable("max_instances", "number", "Maximum instances; 1 keeps timer runs from overlapping "
                  "(x-taskwatch.MaxInstances).", d.max_instances),
        _variable("layer_name", "string", "Dependency package name (x-taskwatch.Layer.Name).", d.layer_name),
        _variable("tags", "map(string)", "Function tags (x-taskwatch.Tags).", dict(d.tags)),
        _variable("alias_name", "string", "Alias the timers fire through, on the latest version "
                  "(x-taskwatch.Alias).", d.alias, validation=_pattern("alias_name", _ALIAS,
                                                                       "a letter first, then letters, digits, _ "
                                                                       "and -, up to 63")),
        _variable("async_retry_attempts", "number", "Retries of a failed asynchronous invocation, 0-3 "
                  "(x-taskwatch.Async.RetryAttempts).", d.async_retries,
                  validation=("var.async_retry_attempts >= 0 && var.async_retry_attempts <= 3",
                              "Variable async_retry_attempts: 0 to 3.")),
        _variable("async_max_event_age", "number", "Seconds an asynchronous event waits at most, 1-86400; keep "
                  "it at most the shortest timer period (x-taskwatch.Async.MaxEventAge).", d.async_max_age,
                  validation=("var.async_max_event_age >= 1 && var.async_max_event_age <= 86400",
                              "Variable async_max_event_age: 1 to 86400.")),
        _variable("log_enabled", "bool", "LTS logging (x-taskwatch.Log.Enabled).", bool(d.log.get("Enabled"))),
        _variable("log_group_id", "string", "LTS group ID (x-taskwatch.Log.GroupId); empty: FunctionGraph's.",
                  str(d.log.get("GroupId") or "")),
        _variable("log_stream_id", "string", "LTS stream ID (x-taskwatch.Log.StreamId); empty: FunctionGraph's.",
                  str(d.log.get("StreamId") or "")),
        _variable("timers", "map(object({\n    schedule_type = string\n    schedule      = string\n"
                  "    user_event    = string\n    enabled       = bool\n  }))",
                  "Timer triggers by name (x-taskwatch.Timers); user_event is the JSON text the function gets.",
                  {t.name: {"schedule_type": t.schedule_type, "schedule": t.schedule, "user_event": t.user_event,
                            "enabled": t.enabled} for t in d.timers}),
    ]
    if alarm is not None:
        blocks += [
            _variable("alarm_name", "string", "Cloud Eye alarm rule on the function's errors "
                      "(x-taskwatch.ErrorAlarm.Name).", alarm.name),
            _variable("alarm_threshold", "number", "Errors in one period that raise the alarm (Threshold).",
                      alarm.threshold),
            _variable("alarm_period", "number", "Seconds per period (Period).", alarm.period),
            _variable("alarm_count", "number", "Consecutive periods (Count).", alarm.count),
            _variable("alarm_suppress_duration", "number", "Seconds between repeated notifications "
                      "(SuppressDuration).", alarm.suppress_duration),
            _variable("alarm_level", "number", "Severity 1-4 (Level).", alarm.level),
            _variable("alarm_enabled", "bool", "Whether the rule is enabled (Enabled).", alarm.enabled),
        ]
    return [block for block in blocks if block is not None]


_ALIAS = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,62}$")  # the provider's (and the template's) alias name rule


def _parameter_default(resolved: str | None) -> str:
    """A template value that is the parameter's sentinel: the variable defaults to the parameter's Default
    (empty); a literal in the template is the variable's default."""
    if resolved in (None, ENTERPRISE_PROJECT):
        return ""
    _no_sentinel_left(resolved)  # a part of the parameter has no variable to go into
    return resolved


def _objects() -> list[Block]:
    """RFS: the keys of the zips uploaded beforehand (`make terraform` prints them), under the deploy prefix."""
    pattern = f"^{re.escape(DEPLOY_PREFIX)}[A-Za-z0-9._-]+\\.zip$"
    return [_variable(name, "string", f"Key of the {what} zip in the state bucket (`make terraform` prints it).",
                      validation=(f"can(regex({json.dumps(pattern)}, var.{name}))",
                                  f"Variable {name}: a key under {DEPLOY_PREFIX} ending in .zip."))
            for name, what in (("code_object", "code"), ("layer_object", "dependency layer"))]


def _main(d: Deployment, rfs: bool) -> list[Block]:
    code_rel, layer_rel = _relative(d.code_zip, TERRAFORM), _relative(d.layer_zip, TERRAFORM)
    locals_ = Block("locals").set("region",
                                  Expr('var.region != "" ? var.region : huaweicloud_smn_topic.alerts.region'))
    if rfs:
        locals_.set("code_object", Expr("var.code_object")).set("layer_object", Expr("var.layer_object"))
    else:
        (locals_
         .set("code_zip", Expr(f'var.code_zip != "" ? var.code_zip : "${{path.module}}/{code_rel}"'))
         .set("layer_zip", Expr(f'var.layer_zip != "" ? var.layer_zip : "${{path.module}}/{layer_rel}"'))
         .set("code_object", Expr("coalesce(var.code_object, one(huaweicloud_obs_bucket_object.code[*].key))"))
         .set("layer_object", Expr("coalesce(var.layer_object, one(huaweicloud_obs_bucket_object.layer[*].key))")))
    locals_.set("obs_host", Template("${var.state_bucket}.obs.${local.region}.myhuaweicloud.com"))
    topic = Block("resource", ("huaweicloud_smn_topic", "alerts")).set("name", Expr("var.topic_name")) \
        .set("display_name", "taskwatch")
    blocks = [locals_, topic]
    if not rfs:
        blocks += [Block("resource", ("huaweicloud_obs_bucket", "state"))
                   .set("count", Expr("var.create_state_bucket ? 1 : 0"))
                   .set("bucket", Expr("var.state_bucket")).set("acl", "private"),
                   _upload("code", "local.code_zip", Path(code_rel).stem, "var.code_object"),
                   _upload("layer", "local.layer_zip", Path(layer_rel).stem, "var.layer_object")]
    blocks += [Block("resource", ("huaweicloud_fgs_dependency_version", "layer"))
              .set("name", Expr("var.layer_name")).set("runtime", d.runtime)
              .set("link", Template("https://${local.obs_host}/${local.layer_object}"))
              .set("description", Template(f"{d.func_name} layer obs://${{var.state_bucket}}/${{local.layer_object}}"))
              .add(Comment("A new zip replaces this version (link is ForceNew): the new one first, then the "
                           "function moves to it, then the old one goes, as deploy orders it."))
              .add(_create_before_destroy())]
    if d.agency:
        blocks += _agency(d)
    blocks.append(_function(d))
    blocks.append(_async(d))
    blocks.append(_timers(d))
    alarm = ErrorAlarm.from_template(d.error_alarm)
    if alarm is not None:
        blocks.append(_alarm(d, alarm))
    return blocks


def _upload(name: str, source: str, stem: str, given: str) -> Block:
    """A zip uploaded into the state bucket under a content-addressed key (as deploy does), unless `given`."""
    key = Template(f"{DEPLOY_PREFIX}{stem}-${{substr(filesha256({source}), 0, 16)}}.zip")
    return (Block("resource", ("huaweicloud_obs_bucket_object", name))
            .add(Comment("A new key per content: FunctionGraph takes new code or a new dependency version."))
            .set("count", Expr(f'{given} == "" ? 1 : 0')).set("bucket", Expr("var.state_bucket")).set("key", key)
            .set("source", Expr(source)).set("etag", Expr(f"filemd5({source})"))
            .set("content_type", "application/zip").set("depends_on", [Expr("huaweicloud_obs_bucket.state")])
            .add(_create_before_destroy()))


def _create_before_destroy() -> Block:
    return Block("lifecycle").set("create_before_destroy", True)


def _agency(d: Deployment) -> list[Block]:
    documents = policy.policies(policy.values_for(d, {policy.ACCOUNT_ENV: ACCOUNT}))
    roles = []
    for label, kind, source, text in (
            ("regional", "XA", "regional", "task center listings and the SMN publish (project-level services)"),
            ("obs_global", "AX", "global", "the state object in OBS (global services)"),
            ("obs_project", "XA", "global", "the state object in OBS (project-level services)")):
        role = (Block("resource", ("huaweicloud_identity_role", label))
                .set("name", ROLE_NAMES["project" if label == "obs_project" else source])
                .set("description", f"taskwatch function: {text}").set("type", kind)
                .set("policy", Expr("jsonencode(" + _json_hcl(hcl_tree(documents[source]), 1) + ")")))
        roles.append(role)
    agency = (Block("resource", ("huaweicloud_identity_agency", "function"))
              .set("name", Expr("var.agency_name"))
              .set("description", "taskwatch function: FunctionGraph's agency (layers/README.md)")
              .set("delegated_domain_name", FUNCTIONGRAPH_AGENCY_DOMAIN)
              .set("domain_roles", [Expr("huaweicloud_identity_role.obs_global.name")])
              .add(Block("project_role").set("project", Expr("local.region"))
                   .set("roles", [Expr("huaweicloud_identity_role.regional.name"),
                                  Expr("huaweicloud_identity_role.obs_project.name")])))
    return [*roles, agency]


def _function(d: Deployment) -> Block:
    block = (Block("resource", ("huaweicloud_fgs_function", d.resource))
             .set("name", d.func_name).set("app", d.package).set("description", d.description)
             .set("handler", d.handler).set("runtime", d.runtime).set("memory_size", d.memory_size)
             .set("timeout", d.timeout).set("code_type", "obs")
             .set("code_url", Template("https://${local.obs_host}/${local.code_object}"))
             .set("depend_list", [Expr("huaweicloud_fgs_dependency_version.layer.version_id")])
             .set("user_data", Expr("jsonencode(" + _json_hcl(hcl_tree(dict(d.variables)), 1) + ")"))
             .set("encrypted_user_data",
                  Expr("length(var.encrypted_variables) > 0 ? jsonencode(var.encrypted_variables) : null")))
    if d.agency:
        block.set("agency", Expr("huaweicloud_identity_agency.function.name"))
    alias = Block("versions").add(Comment(
        "No version is published: the alias is on latest, so it runs what the last apply wrote (README.md)."))
    alias.set("name", "latest").add(Block("aliases").set("name", Expr("var.alias_name")))
    return (block.set("functiongraph_version", FUNCTION_TYPE)
            .set("max_instance_num", Expr("tostring(var.max_instances)"))
            .set("enterprise_project_id",
                 Expr('var.enterprise_project_id != "" ? var.enterprise_project_id : null'))
            .set("tags", Expr("var.tags"))
            .set("enable_lts_log", Expr("var.log_enabled"))
            .set("log_group_id", Expr('var.log_group_id != "" ? var.log_group_id : null'))
            .set("log_stream_id", Expr('var.log_stream_id != "" ? var.log_stream_id : null'))
            .add(alias))


def _async(d: Deployment) -> Block:
    """The function's asynchronous invocation settings (its timers invoke asynchronously), as deploy sends
    them (planner.async_config): on latest, which the alias is on."""
    wanted = async_config(d)
    block = (Block("resource", ("huaweicloud_fgs_async_invoke_configuration", "function"))
             .set("function_urn", Expr(f"huaweicloud_fgs_function.{d.resource}.urn"))
             .set("max_async_retry_attempts", Expr("var.async_retry_attempts"))
             .set("max_async_event_age_in_seconds", Expr("var.async_max_event_age")))
    unknown = sorted(set(wanted) - {"max_async_retry_attempts", "max_async_event_age_in_seconds",
                                    "destination_config"})
    if unknown:
        raise GenerationError(f"async invocation {', '.join(unknown)}: not mapped to Terraform")
    for kind, destination in (wanted.get("destination_config") or {}).items():
        param = hcl_tree(json.loads(destination["param"]))
        block.add(Block(kind).set("destination", destination["destination"])
                  .set("param", Expr("jsonencode(" + _json_hcl(param, 2) + ")")))
    return block


def _timers(d: Deployment) -> Block:
    event = {"name": Expr("each.key"), "schedule_type": Expr("each.value.schedule_type"),
             "schedule": Expr("each.value.schedule"), "user_event": Expr("each.value.user_event")}
    return (Block("resource", ("huaweicloud_fgs_function_trigger", "timer"))
            .set("for_each", Expr("var.timers"))
            .add(Comment("On the alias (the provider sends function_urn as given: the qualified URN)."))
            .set("function_urn", Template(f"${{huaweicloud_fgs_function.{d.resource}.urn}}:${{var.alias_name}}"))
            .set("type", "TIMER")
            .set("event_data", Expr("jsonencode(" + _json_hcl(event, 1) + ")"))
            .set("status", Expr('each.value.enabled ? "ACTIVE" : "DISABLED"')))


def _alarm(d: Deployment, alarm: ErrorAlarm) -> Block:
    rule = wanted_rule(d, alarm)
    (dimension,), = rule["resources"]
    condition = rule["policies"][0]
    notify = hcl_tree(rule["alarm_notifications"][0])
    actions = [Block(kind).set("type", notify["type"]).set("notification_list", notify["notification_list"])
               for kind in ("alarm_actions", "ok_actions")]
    block = (Block("resource", ("huaweicloud_ces_alarmrule", "errors"))
             .set("alarm_name", Expr("var.alarm_name")).set("alarm_description", hcl_value(rule["description"]))
             .set("alarm_type", rule["type"]).set("alarm_enabled", Expr("var.alarm_enabled"))
             .set("alarm_action_enabled", rule["notification_enabled"])
             .add(Block("metric").set("namespace", rule["namespace"]))
             .add(Block("resources").add(Block("dimensions").set("name", dimension["name"])
                                         .set("value", hcl_value(dimension["value"]))))
             .add(Block("condition").set("metric_name", condition["metric_name"])
                  .set("period", Expr("var.alarm_period")).set("filter", condition["filter"])
                  .set("comparison_operator", condition["comparison_operator"])
                  .set("value", Expr("var.alarm_threshold")).set("count", Expr("var.alarm_count"))
                  .set("suppress_duration", Expr("var.alarm_suppress_duration"))
                  .set("alarm_level", Expr("var.alarm_level"))))
    for action in actions:
        block.add(action)
    return block.set("depends_on", [Expr(f"huaweicloud_fgs_function.{d.resource}")])


def _outputs(d: Deployment) -> list[Block]:
    return [
        Block("output", ("function_urn",)).set("description", "The function's URN.")
        .set("value", Expr(f"huaweicloud_fgs_function.{d.resource}.urn")),
        Block("output", ("alias_urn",)).set("description", "The alias the timers fire through.")
        .set("value", Template(f"${{huaweicloud_fgs_function.{d.resource}.urn}}:${{var.alias_name}}")),
        Block("output", ("topic_urn",)).set("description", "Subscribe to this topic to receive the alerts.")
        .set("value", Expr("huaweicloud_smn_topic.alerts.topic_urn")),
        Block("output", ("dependency_version",)).set("description", "The layer's dependency version ID.")
        .set("value", Expr("huaweicloud_fgs_dependency_version.layer.version_id")),
    ]


# ---- helpers ------------------------------------------------------------------------------------------------
def _json_hcl(item: Any, indent: int) -> str:
    """A JSON-like value as an HCL object/tuple expression (keys kept exactly, quoted)."""
    if isinstance(item, Mapping):
        if not item:
            return "{}"
        pairs = [(json.dumps(key), _json_hcl(element, indent + 1)) for key, element in item.items()]
        return "{\n" + assignments(pairs, indent + 1) + "  " * indent + "}"
    if isinstance(item, list):
        pad = "  " * indent
        inner = [_json_hcl(element, indent + 1) for element in item]
        if all("\n" not in text for text in inner) and sum(len(text) + 2 for text in inner) < 80:
            return "[" + ", ".join(inner) + "]"
        return "[\n" + "".join(f"{pad}  {text},\n" for text in inner) + f"{pad}]"
    return value(item, indent)


def _relative(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path, start)).as_posix()


def check(template: Path = paths.TEMPLATE, folders: dict[str, Path] | None = None) -> list[str]:
    """The generated files that differ from the committed ones (paths under layers/terraform), empty when in
    step."""
    stale = []
    for target, folder in (folders or TARGETS).items():
        for name, text in generate(template, target).items():
            if not (folder / name).is_file() or (folder / name).read_text(encoding="utf-8") != text:
                stale.append(f"{target}/{name}" if target != "terraform" else name)
    return stale


RFS_ZIP = paths.BUILD / "terraform" / "taskwatch-terraform.zip"
RFS_MAX_BYTES = 1024 * 1024  # RFS: a template zip holds at most 1 MB (packed and unpacked) and 100 files
RFS_MAX_FILES = 100


def rfs_package(folder: Path = TARGETS["rfs"], destination: Path = RFS_ZIP) -> ZipReport:
    """The .tf files as one zip for an RFS stack (only .tf: RFS refuses .tfvars, and needs nothing else)."""
    entries = [(path.name, path) for path in sorted(folder.glob("*.tf"))]
    report = write_zip(destination, entries)
    if report.size > RFS_MAX_BYTES or report.unzipped > RFS_MAX_BYTES or report.files > RFS_MAX_FILES:
        raise GenerationError(f"{report.describe()}: over RFS's template limits (1 MB, 100 files)")
    return report


def object_key(zip_path: Path) -> str:
    """The state-bucket key the .tf files give a zip (content-addressed, as deploy names large layers)."""
    return f"{DEPLOY_PREFIX}{zip_path.stem}-{sha256_file(zip_path)[:16]}.zip"


def write(template: Path = paths.TEMPLATE, folders: dict[str, Path] | None = None) -> list[Path]:
    written = []
    for target, folder in (folders or TARGETS).items():
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in generate(template, target).items():
            (folder / name).write_text(text, encoding="utf-8")
            written.append(folder / name)
    return written
