"""The Cloud Eye alarm rule on the function's error count: read, plan and apply, with huaweicloudsdkces (v2).

Why: a run that cannot do its job raises, so FunctionGraph counts an error; this rule turns that count into
a message on the same SMN topic the alerts use, so a function that keeps failing is never silent.

The rule (API V2 "Creating an Alarm Rule (Recommended)", POST /v2/{project_id}/alarms): namespace
SYS.FunctionGraph, metric `failcount` ("Errors": number of invocation errors), dimension
`package-functionname` = "{Package}-{FuncName}" (FunctionGraph's metrics page: "App name-Function name",
e.g. default-myfunction_Python); type MULTI_INSTANCE (that one resource); policy: sum over Period >=
Threshold, Count consecutive periods; alarm and OK notifications to the template's TopicUrn.

Identity: the rule's name (template x-taskwatch.ErrorAlarm.Name), found with ListAlarmRules filtered on name
and namespace, among the rules that watch this function or the one it replaces (`watching`: a rule of that
name on another function is not ours). What deploy sets is compared with what the list returns; when anything
differs the rule is replaced (batch-delete, then create: the v2 API edits policies, resources and
notifications through three separate calls, and a replace keeps deploy to the two it already needs). Our
rules with the same name beyond the first are deleted. Unchanged: no mutating request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from huaweicloudsdkces.v2 import (
    AlarmRulePolicy,
    BatchDeleteAlarmRulesRequest,
    BatchDeleteAlarmsRequestBody,
    CesClient,
    CreateAlarmRulesRequest,
    Dimension,
    ListAlarmRulesRequest,
    Notification,
    PostAlarmsReqV2,
)
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig

from .fgapi import call_json
from .planner import Action
from .template import Deployment

DEFAULT_ENDPOINT = "https://ces.{region}.myhuaweicloud.com"
NAMESPACE = "SYS.FunctionGraph"
METRIC = "failcount"
DIMENSION = "package-functionname"
RULE_TYPE = "MULTI_INSTANCE"
FILTER = "sum"
OPERATOR = ">="


@dataclass(frozen=True)
class ErrorAlarm:
    """The template's x-taskwatch.ErrorAlarm, defaults applied."""

    name: str
    threshold: int = 1
    period: int = 300
    count: int = 1
    suppress_duration: int = 3600
    level: int = 2
    enabled: bool = True

    @classmethod
    def from_template(cls, block: Mapping[str, Any] | None) -> ErrorAlarm | None:
        if block is None:
            return None
        keys = {"Name": "name", "Threshold": "threshold", "Period": "period", "Count": "count",
                "SuppressDuration": "suppress_duration", "Level": "level", "Enabled": "enabled"}
        return cls(**{field: block[key] for key, field in keys.items() if key in block})


def wanted_rule(d: Deployment, alarm: ErrorAlarm) -> dict[str, Any]:
    """The rule as CreateAlarmRules takes it (and as ListAlarmRules is compared against)."""
    topic = d.parameters.get("TopicUrn", "")
    notify = [{"type": "notification", "notification_list": [topic]}]
    return {
        "name": alarm.name,
        "description": f"taskwatch: invocation errors of FunctionGraph function {d.package}/{d.func_name}",
        "namespace": NAMESPACE,
        "type": RULE_TYPE,
        "resources": [[{"name": DIMENSION, "value": f"{d.package}-{d.func_name}"}]],
        "policies": [{"metric_name": METRIC, "period": alarm.period, "filter": FILTER,
                      "comparison_operator": OPERATOR, "value": alarm.threshold, "count": alarm.count,
                      "suppress_duration": alarm.suppress_duration, "level": alarm.level}],
        "alarm_notifications": notify,
        "ok_notifications": notify,
        "enabled": alarm.enabled,
        "notification_enabled": True,
    }


def differences(wanted: dict[str, Any], have: dict[str, Any]) -> list[str]:
    """Fields of the rule that differ, by name (ListAlarmRules' shape normalised to CreateAlarmRules')."""
    found = []
    resources = [list(r.get("dimensions") or []) for r in have.get("resources") or []]
    if [[dict(d) for d in r] for r in resources] != wanted["resources"]:
        found.append("resources")
    keys = ("metric_name", "period", "filter", "comparison_operator", "value", "count", "suppress_duration",
            "level")
    policies = [{k: p.get(k) for k in keys} for p in have.get("policies") or []]
    if [{k: _number(v) for k, v in p.items()} for p in policies] != \
            [{k: _number(v) for k, v in p.items()} for p in wanted["policies"]]:
        found.append("policies")
    for key in ("description", "namespace", "type", "enabled", "notification_enabled"):
        if have.get(key) != wanted[key]:
            found.append(key)
    for key in ("alarm_notifications", "ok_notifications"):
        simple = [{"type": n.get("type"), "notification_list": list(n.get("notification_list") or [])}
                  for n in have.get(key) or []]
        if simple != wanted[key]:
            found.append(key)
    return found


def function_dimension(package: Any, func_name: Any) -> str:
    return f"{package}-{func_name}"


def watching(rules: list[dict[str, Any]], functions: set[str]) -> list[dict[str, Any]]:
    """The rules that watch only these functions (package-functionname values). Rule names are not unique, and
    another deployment in the project may give its rule the same name for its own function: that rule is
    neither taken over by a deploy nor deleted by a destroy."""
    found = []
    for rule in rules:
        values = {str(dim.get("value")) for resource in rule.get("resources") or []
                  for dim in (resource.get("dimensions") or [] if isinstance(resource, dict) else resource)
                  if isinstance(dim, dict) and dim.get("name") == DIMENSION}
        if values and values <= functions:
            found.append(rule)
    return found


def plan_alarm(d: Deployment, alarm: ErrorAlarm, existing: list[dict[str, Any]]) -> list[Action]:
    """Actions for the alarm rule: create, replace, delete extras, or no change (pure: no calls)."""
    wanted = wanted_rule(d, alarm)
    extras = [Action("delete", "alarm rule", f"{alarm.name} ({rule.get('alarm_id')})", "duplicate name",
                     "delete_alarm", {"rule": rule}) for rule in existing[1:]]
    topic = d.parameters.get("TopicUrn", "")
    summary = (f"{NAMESPACE} {METRIC} of {d.package}-{d.func_name}: sum >= {alarm.threshold} over "
               f"{alarm.period} s, {alarm.count}x -> {topic}")
    if not existing:
        return [Action("create", "alarm rule", alarm.name, summary, "create_alarm", {"rule": wanted})]
    changed = differences(wanted, existing[0])
    if changed:
        return [*extras, Action("update", "alarm rule", alarm.name, f"replace ({', '.join(changed)} changed): "
                                f"{summary}", "replace_alarm", {"rule": wanted, "old": existing[0]})]
    return [*extras, Action("no change", "alarm rule", alarm.name, summary)]


def apply_alarm(api: CesApi, actions: list[Action], say: Callable[[str], None]) -> None:
    for action in actions:
        say(action.line())
        if action.step in ("delete_alarm", "replace_alarm"):
            old = action.data["rule"] if action.step == "delete_alarm" else action.data["old"]
            api.delete_rules([str(old["alarm_id"])])
        if action.step in ("create_alarm", "replace_alarm"):
            alarm_id = api.create_rule(action.data["rule"])
            say(f"          alarm rule id {alarm_id}")


class CesApi:
    """The three Cloud Eye v2 calls deploy makes, through the SDK's client and request models."""

    def __init__(self, endpoint: str, project_id: str, ak: str, sk: str, token: str | None = None) -> None:
        credentials = BasicCredentials(ak, sk, project_id)
        if token:
            credentials = credentials.with_security_token(token)
        config = HttpConfig.get_default_config()
        config.timeout = (10, 60)
        config.retry_times = 0
        self.client = (CesClient.new_builder().with_credentials(credentials).with_endpoints([endpoint])
                       .with_http_config(config).build())

    def rules_named(self, name: str) -> list[dict[str, Any]]:
        """The alarm rules with exactly this name in SYS.FunctionGraph (all pages)."""
        found: list[dict[str, Any]] = []
        offset = 0
        while True:
            answer = self._call("list_alarm_rules", ListAlarmRulesRequest(name=name, namespace=NAMESPACE,
                                                                          offset=offset, limit=100))
            page = answer.get("alarms") or []
            found += [rule for rule in page if rule.get("name") == name]
            offset += len(page)
            if not page or offset >= int(answer.get("count") or 0):
                return found

    def create_rule(self, rule: dict[str, Any]) -> str:
        body = PostAlarmsReqV2(
            name=rule["name"], description=rule["description"], namespace=rule["namespace"], type=rule["type"],
            resources=[[Dimension(name=d["name"], value=d["value"]) for d in r] for r in rule["resources"]],
            policies=[AlarmRulePolicy(**p) for p in rule["policies"]],
            alarm_notifications=[Notification(**n) for n in rule["alarm_notifications"]],
            ok_notifications=[Notification(**n) for n in rule["ok_notifications"]],
            enabled=rule["enabled"], notification_enabled=rule["notification_enabled"])
        answer = self._call("create_alarm_rules", CreateAlarmRulesRequest(body=body))
        return str(answer.get("alarm_id"))

    def delete_rules(self, alarm_ids: list[str]) -> None:
        body = BatchDeleteAlarmsRequestBody(alarm_ids=alarm_ids)
        self._call("batch_delete_alarm_rules", BatchDeleteAlarmRulesRequest(body=body))

    def _call(self, operation: str, request: Any) -> Any:
        return call_json(self.client, "Cloud Eye", operation, request)


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
