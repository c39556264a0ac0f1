"""SMN PublishMessage: POST /v2/{project_id}/notifications/topics/{topic_urn}/publish, and
ListSubscriptionsByTopic: GET /v2/{project_id}/notifications/topics/{topic_urn}/subscriptions (read-only).

Why: the function's notifications must respect the documented limits (subject <= 512 bytes, message
<= 256 KB, message_structure a JSON object with "default", valid message attributes); the emulator
refuses what SMN refuses and records what it accepts so tests can read the published messages.
SMS advice (under 490 characters, no [] or 【】) is not enforced by SMN: it is recorded as a warning.

Error bodies follow SMN's documented exception response {"request_id", "code", "message"} (the SDK
reads "code"/"message" into error_code/error_msg). Codes: SMN.0006 topic not found (404), SMN.0021
message_structure invalid and SMN.0024 content invalid come from SMN's error-code table; SMN.0007
(subject), SMN.0009 (time_to_live) and SMN.0010 (message_attributes) are the emulator's own choices.

ListSubscriptionsByTopic (API reference "Querying Subscriptions of a Specified Topic"): offset from 0
(default 0), limit 1-100 (default 100), answer {"request_id", "subscription_count", "subscriptions": [
{topic_urn, protocol, subscription_urn, owner, endpoint, remark, status}]}, in the order they were added.
status: 0 unconfirmed, 1 confirmed, 2 no confirmation needed, 3 canceled, 4 deleted. A topic has no
subscriptions until a test adds some with CloudEmulator.smn_subscribe(). Bad offset/limit: 400 SMN.0024
(the emulator's choice of code).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from typing import Any

from .service import GatewayService, Route
from .wire import Request, Response, json_response

MAX_SUBJECT_BYTES = 512
MAX_MESSAGE_BYTES = 256 * 1024
SMS_ADVISED_MAX_CHARS = 490
MAX_TTL_SECONDS = 3600 * 24
PROTOCOLS = frozenset(
    {
        "email",
        "sms",
        "http",
        "https",
        "functiongraph",
        "functionstage",
        "dingding",
        "wechat",
        "feishu",
        "welink",
        "welinkRed",
        "dingTalkBot",
        "application",
        "callnotify",
    }
)
_ATTR_NAME = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")
# Letters (Latin and CJK), digits and underscore, 1-32 characters.
_ATTR_VALUE = re.compile(r"^[A-Za-z0-9_\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{1,32}$")


class SmnError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def smn_error(status: int, code: str, message: str) -> Response:
    return json_response(status, {"request_id": uuid.uuid4().hex, "code": code, "message": message})


class Smn(GatewayService):
    name = "smn"

    def __init__(self, emu: Any) -> None:
        super().__init__(emu)
        self._lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []
        self.subscriptions: dict[str, list[dict[str, Any]]] = {}

    def route(self, req: Request) -> Route | None:
        segments = req.segments
        if (
            req.method == "POST"
            and len(segments) == 6
            and segments[0] == "v2"
            and segments[2:4] == ["notifications", "topics"]
            and segments[5] == "publish"
            and segments[1]
            and segments[4]
        ):
            return Route("smn.publish", {"project_id": segments[1], "topic_urn": segments[4]})
        if (
            req.method == "GET"
            and len(segments) == 6
            and segments[0] == "v2"
            and segments[2:4] == ["notifications", "topics"]
            and segments[5] == "subscriptions"
            and segments[1]
            and segments[4]
        ):
            return Route("smn.subscriptions", {"project_id": segments[1], "topic_urn": segments[4]})
        return None

    def is_list(self, call: str) -> bool:
        return False

    def malformed_body(self, route: Route) -> bytes:
        return b'{"request_id": "'

    def handle(self, req: Request, route: Route) -> Response:
        if route.call == "smn.subscriptions":
            return self._subscriptions(req, route)
        project_id = route.params["project_id"]
        topic_urn = route.params["topic_urn"]
        try:
            self._check_topic(project_id, topic_urn)
            body = _parse_body(req.body)
            warnings = validate_publish(body)
        except SmnError as exc:
            return smn_error(exc.status, exc.code, exc.message)
        request_id = uuid.uuid4().hex
        message_id = uuid.uuid4().hex
        with self._lock:
            self.messages.append(
                {
                    "topic_urn": topic_urn,
                    "project_id": project_id,
                    "body": body,
                    "message_id": message_id,
                    "request_id": request_id,
                    "warnings": warnings,
                }
            )
        return json_response(200, {"request_id": request_id, "message_id": message_id})

    def _subscriptions(self, req: Request, route: Route) -> Response:
        topic_urn = route.params["topic_urn"]
        try:
            self._check_topic(route.params["project_id"], topic_urn)
            offset = _query_int(req.query(), "offset", 0, 0, 2_147_483_647)
            limit = _query_int(req.query(), "limit", 100, 1, 100)
        except SmnError as exc:
            return smn_error(exc.status, exc.code, exc.message)
        with self._lock:
            every = [dict(s) for s in self.subscriptions.get(topic_urn, [])]
        return json_response(200, {"request_id": uuid.uuid4().hex, "subscription_count": len(every),
                                   "subscriptions": every[offset:offset + limit]})

    def subscribe(self, topic_urn: str, protocol: str, endpoint: str, status: int = 1) -> str:
        """Add a subscription to a topic (test setup); returns its subscription_urn."""
        if topic_urn not in self.emu.topic_urns:
            raise KeyError(f"unknown topic {topic_urn!r}")
        urn = f"{topic_urn}:{uuid.uuid4().hex}"
        record = {"topic_urn": topic_urn, "protocol": protocol, "subscription_urn": urn,
                  "owner": topic_urn.split(":")[3], "endpoint": endpoint, "remark": "", "status": status}
        with self._lock:
            self.subscriptions.setdefault(topic_urn, []).append(record)
        return urn

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self.messages]

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def _check_topic(self, project_id: str, topic_urn: str) -> None:
        parts = topic_urn.split(":")
        urn_project = parts[3] if len(parts) == 5 else None
        if topic_urn not in self.emu.topic_urns or (urn_project is not None and urn_project != project_id):
            raise SmnError(404, "SMN.0006", "Topic not found.")


def _query_int(query: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    text = query.get(name)
    if text is None or text == "":
        return default
    if not isinstance(text, str) or not text.isdigit() or not low <= int(text) <= high:
        raise SmnError(400, "SMN.0024", f"Parameter: {name} is invalid ({low}-{high}).")
    return int(text)


def _parse_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SmnError(400, "SMN.0024", "Parameter: content is invalid (body is not JSON).") from None
    if not isinstance(body, dict):
        raise SmnError(400, "SMN.0024", "Parameter: content is invalid (body is not a JSON object).")
    return body


def validate_publish(body: dict[str, Any]) -> list[str]:
    """Raise SmnError for what SMN refuses; return warnings for SMS advice that SMN does not enforce."""
    subject = body.get("subject")
    message = body.get("message")
    structure = body.get("message_structure")
    template = body.get("message_template_name")
    if subject is not None and (
        not isinstance(subject, str) or len(subject.encode("utf-8")) > MAX_SUBJECT_BYTES
    ):
        raise SmnError(400, "SMN.0007", "Parameter: Subject is invalid (at most 512 bytes).")
    if not any(isinstance(v, str) and v for v in (message, structure, template)):
        raise SmnError(
            400,
            "SMN.0024",
            "Parameter: content is invalid (one of message, message_structure, message_template_name).",
        )
    if message is not None and (
        not isinstance(message, str) or len(message.encode("utf-8")) > MAX_MESSAGE_BYTES
    ):
        raise SmnError(400, "SMN.0024", "Parameter: content is invalid (message at most 256 KB).")
    parsed_structure = _check_structure(structure) if structure is not None else None
    if template is not None:
        tags = body.get("tags")
        if not isinstance(template, str) or not template:
            raise SmnError(400, "SMN.0024", "Parameter: message_template_name is invalid.")
        if parsed_structure is None and not (
            isinstance(tags, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items())
        ):
            raise SmnError(400, "SMN.0024", "Parameter: tags are required when publishing with a template.")
    _check_ttl(body.get("time_to_live"))
    _check_attributes(body.get("message_attributes"))
    return _sms_warnings(message, parsed_structure, template)


def _check_structure(structure: object) -> dict[str, Any]:
    if not isinstance(structure, str) or len(structure.encode("utf-8")) > MAX_MESSAGE_BYTES:
        raise SmnError(400, "SMN.0021", "MessageStructure is invalid (a JSON string of at most 256 KB).")
    try:
        parsed = json.loads(structure)
    except json.JSONDecodeError:
        raise SmnError(400, "SMN.0021", "MessageStructure is invalid (not JSON).") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("default"), str):
        raise SmnError(400, "SMN.0021", 'MessageStructure is invalid (a JSON object with "default").')
    return parsed


def _check_ttl(ttl: object) -> None:
    if ttl is None:
        return
    text = str(ttl)
    if not text.isdigit() or not 1 <= int(text) <= MAX_TTL_SECONDS:
        raise SmnError(400, "SMN.0009", "Parameter: time_to_live is invalid (1 to 86400 seconds).")


def _check_attributes(attributes: object) -> None:
    if attributes is None:
        return
    bad = "Parameter: message_attributes is invalid"
    if not isinstance(attributes, list):
        raise SmnError(400, "SMN.0010", f"{bad} (a list).")
    names: set[str] = set()
    for attr in attributes:
        if not isinstance(attr, dict):
            raise SmnError(400, "SMN.0010", f"{bad} (each attribute is an object).")
        name, kind, value = attr.get("name"), attr.get("type"), attr.get("value")
        if not isinstance(name, str) or not 1 <= len(name) <= 32 or not _ATTR_NAME.match(name):
            raise SmnError(400, "SMN.0010", f"{bad} (name {name!r}).")
        if name in names:
            raise SmnError(400, "SMN.0010", f"{bad} (duplicate name {name!r}).")
        names.add(name)
        if kind == "STRING":
            ok = isinstance(value, str) and bool(_ATTR_VALUE.match(value))
        elif kind == "STRING_ARRAY":
            ok = (
                isinstance(value, list)
                and 1 <= len(value) <= 10
                and len(set(map(str, value))) == len(value)
                and all(isinstance(v, str) and _ATTR_VALUE.match(v) for v in value)
            )
        elif kind == "PROTOCOL":
            ok = (
                isinstance(value, list)
                and len(value) >= 1
                and len(set(map(str, value))) == len(value)
                and all(v in PROTOCOLS for v in value)
            )
        else:
            ok = False
        if not ok:
            raise SmnError(400, "SMN.0010", f"{bad} (attribute {name!r} of type {kind!r}).")


def _sms_warnings(message: object, structure: dict[str, Any] | None, template: object) -> list[str]:
    """Check the text an SMS subscriber would get (structure's sms, else its default, else message)."""
    if structure is not None:
        sms = structure.get("sms", structure.get("default"))
        source = "message_structure.sms" if "sms" in structure else "message_structure.default"
    elif template is not None:
        return []
    else:
        sms, source = message, "message"
    if not isinstance(sms, str):
        return []
    warnings = []
    if len(sms) >= SMS_ADVISED_MAX_CHARS:
        warnings.append(f"sms_too_long: {source} has {len(sms)} characters (operators may block >= 490)")
    if any(ch in sms for ch in "[]【】"):
        warnings.append(f"sms_brackets: {source} contains [ ] or 【 】 (not allowed in SMS)")
    return warnings
