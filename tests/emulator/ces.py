"""Cloud Eye (CES) v2 alarm rules: exactly the calls `make deploy` makes, behind the API gateway.

Why: the deploy's alarm rule on the function's error count must be tested through the real SDK
(huaweicloudsdkces, signed requests, real HTTP), and a second deploy must be provably a no-op.

Calls (paths as in the SDK's generated client; names are "ces.<sdk operation>"):
  GET  /v2/{project_id}/alarms               list_alarm_rules (filters alarm_id, name, namespace; offset, limit)
  POST /v2/{project_id}/alarms               create_alarm_rules -> {"alarm_id": "al" + 22 letters/digits}
  POST /v2/{project_id}/alarms/batch-delete  batch_delete_alarm_rules {"alarm_ids": [...]}

Validation, from the API reference "Creating an Alarm Rule (Recommended)" and the SDK models' documented
ranges: name 1-128 of letters, digits, _ and - ; description at most 256 characters; namespace required
(service.item); type one of the documented rule types, MULTI_INSTANCE needs resources (each a non-empty list
of {name, value}, value 1-256 characters, at most 1000); policies required, each with metric_name (a letter,
then letters, digits, _ ; 1-64), period in {0, 1, 300, 1200, 3600, 14400, 86400}, filter in {average,
variance, min, max, sum}, comparison_operator in {>, >=, <, <=, =, !=, cycle_decrease, cycle_increase,
cycle_wave}, a number value, count in {1, 2, 3, 4, 5, 10, 15, 30, 60, 90, 120, 180}, suppress_duration in
{0, 300, 600, 900, 1800, 3600, 10800, 21600, 43200, 86400}, level 1-4; notifications at most 10 each,
type "notification" with a non-empty notification_list of SMN topic URNs; notification_enabled true needs
alarm or OK notifications. limit 1-100, offset 0-10000 on the list.

Decisions where the documents are unclear (the emulator's own choices):
- Errors are {"error_code", "error_msg"} with 400 ces.0014 (invalid parameter) and 404 ces.0015 (an id to
  delete that does not exist).
- Names need not be unique (the documents state no uniqueness); the list filters on the exact name.
- A notification_list entry must be a topic the emulator's SMN knows (emu.topic_urns).
"""

from __future__ import annotations

import json
import random
import re
import string
import threading
from typing import Any

from .service import GatewayService, Route
from .wire import Request, Response, api_error, json_response

RULE_TYPES = frozenset({"ALL_INSTANCE", "RESOURCE_GROUP", "MULTI_INSTANCE", "EVENT.SYS", "EVENT.CUSTOM",
                        "DNSHealthCheck"})
PERIODS = frozenset({0, 1, 300, 1200, 3600, 14400, 86400})
FILTERS = frozenset({"average", "variance", "min", "max", "sum"})
OPERATORS = frozenset({">", ">=", "<", "<=", "=", "!=", "cycle_decrease", "cycle_increase", "cycle_wave"})
COUNTS = frozenset({1, 2, 3, 4, 5, 10, 15, 30, 60, 90, 120, 180})
SUPPRESS = frozenset({0, 300, 600, 900, 1800, 3600, 10800, 21600, 43200, 86400})
NOTIFICATION_TYPES = frozenset({"notification", "contact", "contactGroup", "autoscaling"})
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_METRIC = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_NAMESPACE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z0-9_]+$")
_ALARM_ID = re.compile(r"^al[0-9A-Za-z]{22}$")


class CesError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _bad(message: str) -> CesError:
    return CesError(400, "ces.0014", f"Invalid request parameter: {message}")


class CloudEye(GatewayService):
    name = "ces"

    def __init__(self, emu: Any) -> None:
        super().__init__(emu)
        self._lock = threading.Lock()
        self._rules: dict[str, dict[str, Any]] = {}  # alarm_id -> rule (with "project")
        self._random = random.Random(7)

    def route(self, req: Request) -> Route | None:
        s = req.segments
        if len(s) < 3 or s[0] != "v2" or not s[1] or s[2] != "alarms":
            return None
        params = {"project_id": s[1]}
        if len(s) == 3 and req.method == "GET":
            return Route("ces.list_alarm_rules", params)
        if len(s) == 3 and req.method == "POST":
            return Route("ces.create_alarm_rules", params)
        if len(s) == 4 and s[3] == "batch-delete" and req.method == "POST":
            return Route("ces.batch_delete_alarm_rules", params)
        return None

    def is_list(self, call: str) -> bool:
        return call == "ces.list_alarm_rules"

    def malformed_body(self, route: Route) -> bytes:
        return b'{"alarms": ['

    def handle(self, req: Request, route: Route) -> Response:
        operation = route.call.split(".", 1)[1]
        try:
            body = _json_body(req) if req.method == "POST" else {}
            with self._lock:
                payload = getattr(self, f"_{operation}")(route.params["project_id"], body, req.query())
        except CesError as exc:
            return api_error(exc.status, exc.code, exc.message)
        return json_response(201 if operation == "create_alarm_rules" else 200, payload)

    # ---- test-facing view (copies) -------------------------------------------------------------------
    def rules(self, project_id: str | None = None) -> list[dict[str, Any]]:
        project = project_id or self.emu.project_id
        with self._lock:
            return [json.loads(json.dumps(r)) for r in self._rules.values() if r["project"] == project]

    # ---- calls ---------------------------------------------------------------------------------------
    def _list_alarm_rules(self, project: str, _body: Any, query: dict[str, Any]) -> dict[str, Any]:
        offset = _int_query(query, "offset", 0, 0, 10000)
        limit = _int_query(query, "limit", 10, 1, 100)
        found = [r for r in self._rules.values() if r["project"] == project and all(
            query.get(key) in (None, r[key]) for key in ("alarm_id", "name", "namespace"))]
        page = [{k: v for k, v in r.items() if k != "project"} for r in found[offset:offset + limit]]
        return {"alarms": page, "count": len(found)}

    def _create_alarm_rules(self, project: str, body: dict[str, Any], _q: Any) -> dict[str, Any]:
        rule = self._validated(body)
        alarm_id = "al" + "".join(self._random.choices(string.ascii_letters + string.digits, k=22))
        rule.update(alarm_id=alarm_id, project=project)
        self._rules[alarm_id] = rule
        return {"alarm_id": alarm_id}

    def _batch_delete_alarm_rules(self, project: str, body: dict[str, Any], _q: Any) -> dict[str, Any]:
        ids = body.get("alarm_ids")
        if not isinstance(ids, list) or not ids or len(ids) > 100 or \
                not all(isinstance(i, str) and _ALARM_ID.match(i) for i in ids):
            raise _bad("alarm_ids: 1 to 100 alarm rule ids (al + 22 letters or digits)")
        missing = [i for i in ids if self._rules.get(i, {}).get("project") != project]
        if missing:
            raise CesError(404, "ces.0015", f"Alarm rule not found: {missing[0]}")
        for alarm_id in ids:
            del self._rules[alarm_id]
        return {"alarm_ids": ids}

    # ---- validation ----------------------------------------------------------------------------------
    def _validated(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise _bad("name: 1 to 128 letters, digits, _ or -")
        description = body.get("description", "")
        if not isinstance(description, str) or len(description) > 256:
            raise _bad("description: at most 256 characters")
        namespace = body.get("namespace")
        if not isinstance(namespace, str) or not _NAMESPACE.match(namespace):
            raise _bad("namespace: required, service.item (e.g. SYS.FunctionGraph)")
        rule_type = body.get("type")
        if rule_type not in RULE_TYPES:
            raise _bad(f"type: one of {sorted(RULE_TYPES)}")
        resources = body.get("resources")
        if not isinstance(resources, list) or len(resources) > 1000:
            raise _bad("resources: required, a list of at most 1000 resources")
        if rule_type == "MULTI_INSTANCE" and not resources:
            raise _bad("resources: MULTI_INSTANCE needs at least one resource")
        for resource in resources:
            if not isinstance(resource, list) or not resource or not all(_dimension(d) for d in resource):
                raise _bad("resources: each resource is a non-empty list of {name, value}")
        policies = body.get("policies")
        if not isinstance(policies, list) or not policies:
            raise _bad("policies: required, at least one policy")
        for policy in policies:
            _check_policy(policy)
        alarm_notifications = self._notifications(body, "alarm_notifications")
        ok_notifications = self._notifications(body, "ok_notifications")
        enabled = body.get("enabled", True)
        notification_enabled = body.get("notification_enabled", True)
        if not isinstance(enabled, bool) or not isinstance(notification_enabled, bool):
            raise _bad("enabled / notification_enabled: booleans")
        if notification_enabled and not (alarm_notifications or ok_notifications):
            raise _bad("notification_enabled needs alarm_notifications or ok_notifications")
        return {
            "name": name, "description": description, "namespace": namespace, "type": rule_type,
            "resources": [{"resource_group_id": "", "resource_group_name": "", "dimensions": resource}
                          for resource in resources],
            "policies": [_policy_answer(p) for p in policies], "enabled": enabled,
            "notification_enabled": notification_enabled, "alarm_notifications": alarm_notifications,
            "ok_notifications": ok_notifications, "notification_begin_time": "00:00",
            "notification_end_time": "23:59", "enterprise_project_id": "0",
        }

    def _notifications(self, body: dict[str, Any], key: str) -> list[dict[str, Any]]:
        value = body.get(key) or []
        if not isinstance(value, list) or len(value) > 10:
            raise _bad(f"{key}: at most 10 notifications")
        for item in value:
            if not isinstance(item, dict) or item.get("type") not in NOTIFICATION_TYPES:
                raise _bad(f"{key}: type one of {sorted(NOTIFICATION_TYPES)}")
            targets = item.get("notification_list")
            if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
                raise _bad(f"{key}: notification_list is a list of topic URNs")
            if item["type"] == "notification":
                if not targets:
                    raise _bad(f"{key}: notification_list must not be empty for type notification")
                unknown = [t for t in targets if t not in self.emu.topic_urns]
                if unknown:
                    raise _bad(f"{key}: no such SMN topic {unknown[0]}")
        return [{"type": i["type"], "notification_list": list(i["notification_list"])} for i in value]


def _dimension(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("name"), str) and bool(value["name"]) and \
        isinstance(value.get("value"), str) and 1 <= len(value["value"]) <= 256


def _check_policy(policy: Any) -> None:
    if not isinstance(policy, dict):
        raise _bad("policies: each policy is an object")
    if not isinstance(policy.get("metric_name"), str) or not _METRIC.match(policy["metric_name"]):
        raise _bad("policies.metric_name: a letter, then letters, digits or _, 1-64 characters")
    checks = (("period", PERIODS), ("filter", FILTERS), ("comparison_operator", OPERATORS), ("count", COUNTS))
    for key, allowed in checks:
        if policy.get(key) not in allowed or isinstance(policy.get(key), bool):
            raise _bad(f"policies.{key}: one of {sorted(map(str, allowed))}")
    value = policy.get("value")
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _bad("policies.value: a number")
    if policy.get("suppress_duration", 0) not in SUPPRESS:
        raise _bad(f"policies.suppress_duration: one of {sorted(SUPPRESS)}")
    if policy.get("level", 2) not in (1, 2, 3, 4):
        raise _bad("policies.level: 1, 2, 3 or 4")


def _policy_answer(policy: dict[str, Any]) -> dict[str, Any]:
    return {"metric_name": policy["metric_name"], "period": policy["period"], "filter": policy["filter"],
            "comparison_operator": policy["comparison_operator"], "value": policy["value"],
            "unit": policy.get("unit", ""), "count": policy["count"],
            "suppress_duration": policy.get("suppress_duration", 0), "level": policy.get("level", 2)}


def _int_query(query: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    text = query.get(key)
    if text is None:
        return default
    if not isinstance(text, str) or not text.isdigit() or not low <= int(text) <= high:
        raise _bad(f"{key}: an integer from {low} to {high}")
    return int(text)


def _json_body(req: Request) -> dict[str, Any]:
    try:
        body = json.loads(req.body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _bad("the request body is not JSON") from None
    if not isinstance(body, dict):
        raise _bad("the request body is not a JSON object")
    return body
