"""FunctionGraph v2: exactly the calls `make deploy` (layers/deploy.py) makes, behind the API gateway.

Why: deploy must be tested end to end through the real SDK (huaweicloudsdkfunctiongraph, signed requests,
real HTTP) without a cloud account, and a second deploy must be provably a no-op (no mutating request).

Calls (paths as in the SDK's generated client; names are "functiongraph.<sdk operation>"):
  POST   /v2/{project_id}/fgs/functions                                   create_function
  GET    /v2/{project_id}/fgs/functions/{function_urn}/config             show_function_config
  PUT    /v2/{project_id}/fgs/functions/{function_urn}/config             update_function_config
  PUT    /v2/{project_id}/fgs/functions/{function_urn}/code               update_function_code
  PUT    /v2/{project_id}/fgs/functions/{function_urn}/config-max-instance update_function_max_instance_config
  GET    /v2/{project_id}/fgs/dependencies                                list_dependencies
  POST   /v2/{project_id}/fgs/dependencies/version                        create_dependency_version
  GET    /v2/{project_id}/fgs/dependencies/{depend_id}/version            list_dependency_version
  GET    /v2/{project_id}/fgs/triggers/{function_urn}                     list_function_triggers
  POST   /v2/{project_id}/fgs/triggers/{function_urn}                     create_function_trigger
  PUT    /v2/{project_id}/fgs/triggers/{function_urn}/{type}/{trigger_id} update_trigger
  DELETE /v2/{project_id}/fgs/triggers/{function_urn}/{type}/{trigger_id} delete_function_trigger

Behaviour from the API documents and the SDK models: function URN urn:fss:{region}:{project}:function:
{package}:{name}[:latest]; digest = SHA-512 (hex) of the code zip; user_data / encrypted_user_data are JSON
text, at most 20 names and 4 KB together; memory sizes and timeout range as documented; dependency version
etag = MD5 of the zip as lower-case hex and size = its length in bytes (ListDependencyVersion /
ShowDependencyVersion: "etag: unique identifier (MD5 checksum)", "size: dependency size"; the documents do
not name the MD5's form: hex, as OBS writes ETags); max instances -1..1000 (default 400 here); timers: Rate
1-60m / 1-24h / 1-30d or a Cron with seconds, user_event under 2 KB. Errors use FunctionGraph's table:
400 FSS.0400, 404 FSS.0404, 409 FSS.0409, 413 FSS.0413 ({"error_code", "error_msg"}).

Decisions where the documents are unclear (the emulator's own choices):
- Only TIMER triggers exist here; other trigger types are refused with FSS.0400.
- A direct dependency upload (depend_type zip) is refused above 10 MB (API-NOTES), FSS.0413; larger zips
  come through OBS (depend_type obs): depend_link must name an object in the emulator's OBS store, path
  style ({obs endpoint}/{bucket}/{key}) or virtual-host style (https://{bucket}.obs.{region}.../{key}).
- CreateDependencyVersion creates the dependency when no private dependency has that name.
- encrypted_user_data is returned as stored (the real service may mask it; deploy does not rely on it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import re
import threading
import uuid
import zipfile
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from .service import GatewayService, Route
from .wire import Request, Response, api_error, json_response

RUNTIMES = frozenset({"Python2.7", "Python3.6", "Python3.9", "Python3.10", "Python3.12", "Node.js18.15",
                      "Java11", "Go1.x", "Custom"})
MEMORY_SIZES = frozenset({128, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096})
MAX_DIRECT_DEPENDENCY = 10 * 1024 * 1024
MAX_DEPENDENCY = 300 * 1024 * 1024
MAX_DEPENDENCY_FILES = 30_000
MAX_CODE = 50 * 1024 * 1024
MAX_ENVIRONMENT = 4096
MAX_VARIABLES = 20
MAX_USER_EVENT = 2048
DEFAULT_MAX_INSTANCES = 400
_FUNC_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,59}$")
_DEP_NAME = re.compile(r"^[A-Za-z]([A-Za-z0-9_.-]{0,94}[A-Za-z0-9])?$")
_TRIGGER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_RATE = re.compile(r"^(([1-9]|[1-5][0-9]|60)m|([1-9]|1[0-9]|2[0-4])h|([1-9]|[12][0-9]|30)d)$")
_CRON = re.compile(r"^\S+( \S+){5,6}$")


class FgError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _bad(message: str) -> FgError:
    return FgError(400, "FSS.0400", f"Invalid parameter. {message}")


def _not_found(what: str) -> FgError:
    return FgError(404, "FSS.0404", f"The specified resource was not found. ({what})")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


class FunctionGraph(GatewayService):
    name = "functiongraph"

    def __init__(self, emu: Any) -> None:
        super().__init__(emu)
        self._lock = threading.Lock()
        self._functions: dict[tuple[str, str], dict[str, Any]] = {}  # (project, "package:name") -> config
        self._dependencies: dict[str, dict[str, Any]] = {}  # depend_id -> {id, name, runtime, project, ...}
        self._versions: dict[str, list[dict[str, Any]]] = {}  # depend_id -> versions, oldest first
        self._triggers: dict[tuple[str, str], list[dict[str, Any]]] = {}

    # ---- routing ------------------------------------------------------------------------------------
    def route(self, req: Request) -> Route | None:
        s = req.segments
        if len(s) < 4 or s[0] != "v2" or s[2] != "fgs" or not s[1]:
            return None
        project, rest, method = s[1], s[3:], req.method
        params = {"project_id": project}
        table: list[tuple[str, list[str], str]] = [
            ("POST", ["functions"], "create_function"),
            ("GET", ["functions", "*", "config"], "show_function_config"),
            ("PUT", ["functions", "*", "config"], "update_function_config"),
            ("PUT", ["functions", "*", "code"], "update_function_code"),
            ("PUT", ["functions", "*", "config-max-instance"], "update_function_max_instance_config"),
            ("GET", ["dependencies"], "list_dependencies"),
            ("POST", ["dependencies", "version"], "create_dependency_version"),
            ("GET", ["dependencies", "*", "version"], "list_dependency_version"),
            ("GET", ["triggers", "*"], "list_function_triggers"),
            ("POST", ["triggers", "*"], "create_function_trigger"),
            ("PUT", ["triggers", "*", "*", "*"], "update_trigger"),
            ("DELETE", ["triggers", "*", "*", "*"], "delete_function_trigger"),
        ]
        for verb, shape, call in table:
            if verb != method or len(shape) != len(rest):
                continue
            pairs = list(zip(shape, rest, strict=True))
            if all((part == "*" and value) or part == value for part, value in pairs):
                wild = [value for part, value in pairs if part == "*"]
                if rest[0] in {"functions", "triggers"} and wild:
                    params["function_urn"] = wild[0]
                if rest[0] == "dependencies" and wild:
                    params["depend_id"] = wild[0]
                if rest[0] == "triggers" and len(wild) == 3:
                    params["trigger_type_code"], params["trigger_id"] = wild[1], wild[2]
                return Route(f"functiongraph.{call}", params)
        return None

    def is_list(self, call: str) -> bool:
        return False

    def malformed_body(self, route: Route) -> bytes:
        return b'{"func_urn": '

    def handle(self, req: Request, route: Route) -> Response:
        operation = route.call.split(".", 1)[1]
        try:
            body = _json_body(req) if req.method in {"POST", "PUT"} else {}
            with self._lock:
                status, payload = getattr(self, f"_{operation}")(route.params, body, req.query())
        except FgError as exc:
            return api_error(exc.status, exc.code, exc.message)
        if status == 204:
            return Response(status=204)
        return json_response(status, payload)  # type: ignore[arg-type]

    # ---- test-facing views (copies) --------------------------------------------------------------------
    def function(self, name: str, package: str = "default", project_id: str | None = None) -> dict[str, Any] | None:
        with self._lock:
            found = self._functions.get((project_id or self.emu.project_id, f"{package}:{name}"))
            return json.loads(json.dumps(found)) if found else None

    def triggers(self, name: str, package: str = "default", project_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return json.loads(json.dumps(self._triggers.get((project_id or self.emu.project_id,
                                                              f"{package}:{name}"), [])))

    def dependency_versions(self, name: str, project_id: str | None = None) -> list[dict[str, Any]]:
        project = project_id or self.emu.project_id
        with self._lock:
            return [dict(v) for dep_id, dep in self._dependencies.items()
                    if dep["name"] == name and dep["project"] == project for v in self._versions[dep_id]]

    # ---- functions ------------------------------------------------------------------------------------
    def _key(self, params: dict[str, str]) -> tuple[str, str]:
        urn = params["function_urn"]
        parts = urn.split(":")
        if len(parts) not in (7, 8) or parts[:2] != ["urn", "fss"] or parts[4] != "function":
            raise _bad(f"function_urn {urn!r} is not urn:fss:region:project:function:package:name[:version]")
        if parts[3] != params["project_id"]:
            raise _not_found("function")
        if len(parts) == 8 and parts[7] != "latest":
            raise _bad("only the latest version is emulated")
        return params["project_id"], f"{parts[5]}:{parts[6]}"

    def _existing(self, params: dict[str, str]) -> dict[str, Any]:
        function = self._functions.get(self._key(params))
        if function is None:
            raise _not_found("function")
        return function

    def _create_function(self, params: dict[str, str], body: dict[str, Any], _q: Any) -> tuple[int, Any]:
        project = params["project_id"]
        name = _text(body, "func_name", required=True)
        if not _FUNC_NAME.match(name):
            raise _bad("func_name: a letter first, then letters, digits, _ or -, at most 60 characters")
        package = body.get("package") or "default"
        if (project, f"{package}:{name}") in self._functions:
            raise FgError(409, "FSS.0409", "The specified resource already exists.")
        if body.get("code_type") != "zip":
            raise _bad("code_type: the emulator implements zip code only")
        function: dict[str, Any] = {
            "func_id": uuid.uuid4().hex, "func_name": name, "package": package, "namespace": project,
            "project_name": self.emu.region, "domain_id": "0" * 32,
            "func_urn": f"urn:fss:{self.emu.region}:{project}:function:{package}:{name}:latest",
            "code_type": "zip", "version": "latest", "strategy_config": {"concurrency": DEFAULT_MAX_INSTANCES,
                                                                         "concurrent_num": 1},
            "enable_lts_log": False, "log_group_id": "", "log_stream_id": "", "xrole": "", "description": "",
            "user_data": "", "encrypted_user_data": "", "depend_version_list": [], "dependencies": [],
        }
        self._apply_config(function, body, creating=True)
        self._apply_code(function, body, creating=True)
        self._functions[(project, f"{package}:{name}")] = function
        self._triggers.setdefault((project, f"{package}:{name}"), [])
        return 200, function

    def _show_function_config(self, params: dict[str, str], _b: Any, _q: Any) -> tuple[int, Any]:
        return 200, self._existing(params)

    def _update_function_config(self, params: dict[str, str], body: dict[str, Any], _q: Any) -> tuple[int, Any]:
        function = self._existing(params)
        if _text(body, "func_name", required=True) != function["func_name"]:
            raise _bad("func_name cannot be changed")
        updated = dict(function)
        self._apply_config(updated, body, creating=False)
        function.update(updated)
        return 200, function

    def _update_function_code(self, params: dict[str, str], body: dict[str, Any], _q: Any) -> tuple[int, Any]:
        function = self._existing(params)
        updated = dict(function)
        self._apply_code(updated, body, creating=False)
        function.update(updated)
        return 200, {k: function[k] for k in ("func_urn", "func_name", "runtime", "code_type", "code_filename",
                                              "code_size", "digest", "last_modified", "depend_version_list",
                                              "dependencies")}

    def _update_function_max_instance_config(self, params: dict[str, str], body: dict[str, Any],
                                             _q: Any) -> tuple[int, Any]:
        function = self._existing(params)
        count = body.get("max_instance_num")
        if not isinstance(count, int) or isinstance(count, bool) or not -1 <= count <= 1000:
            raise _bad("max_instance_num: an integer from -1 (no limit) to 1000")
        function["strategy_config"] = {**function["strategy_config"], "concurrency": count}
        function["last_modified"] = _now()
        return 200, function

    def _apply_config(self, function: dict[str, Any], body: dict[str, Any], creating: bool) -> None:
        runtime = _text(body, "runtime", required=creating) or function.get("runtime")
        if runtime not in RUNTIMES:
            raise _bad(f"runtime {runtime!r} is not a FunctionGraph runtime")
        if not creating and runtime != function["runtime"]:
            raise _bad("runtime cannot be changed after the function is created")
        memory = body.get("memory_size")
        if memory not in MEMORY_SIZES:
            raise _bad(f"memory_size: one of {sorted(MEMORY_SIZES)}")
        timeout = body.get("timeout")
        if not isinstance(timeout, int) or isinstance(timeout, bool) or not 3 <= timeout <= 259200:
            raise _bad("timeout: 3 to 259200 seconds")
        handler = _text(body, "handler", required=creating) or function.get("handler", "")
        if "." not in handler:
            raise _bad("handler: module.function")
        description = body.get("description") or ""
        if not isinstance(description, str) or len(description) > 512:
            raise _bad("description: at most 512 characters")
        plain = _variables(body.get("user_data"), "user_data")
        secret = _variables(body.get("encrypted_user_data"), "encrypted_user_data")
        if len(plain) + len(secret) > MAX_VARIABLES:
            raise _bad(f"at most {MAX_VARIABLES} environment variables")
        if len(body.get("user_data") or "") + len(body.get("encrypted_user_data") or "") > MAX_ENVIRONMENT:
            raise _bad("environment variables: at most 4 KB in all")
        log = body.get("log_config") or {}
        function.update({
            "runtime": runtime, "memory_size": memory, "timeout": timeout, "handler": handler,
            "description": description, "user_data": body.get("user_data") or "",
            "encrypted_user_data": body.get("encrypted_user_data") or "", "xrole": body.get("xrole") or "",
            "app_xrole": body.get("app_xrole") or "", "enable_lts_log": bool(body.get("enable_lts_log")),
            "log_group_id": log.get("group_id", "") if body.get("enable_lts_log") else "",
            "log_stream_id": log.get("stream_id", "") if body.get("enable_lts_log") else "",
            "cpu": memory // 128 * 100 + 200, "last_modified": _now(),
        })
        if function["enable_lts_log"] and not log:  # FunctionGraph creates a group and stream
            function["log_group_id"] = function.get("log_group_id") or uuid.uuid4().hex
            function["log_stream_id"] = function.get("log_stream_id") or uuid.uuid4().hex

    def _apply_code(self, function: dict[str, Any], body: dict[str, Any], creating: bool) -> None:
        if body.get("code_type", "zip") != "zip":
            raise _bad("code_type: the emulator implements zip code only")
        if not creating and not body.get("code_filename"):
            raise _bad("code_filename is required for zip code")
        encoded = (body.get("func_code") or {}).get("file")
        if not isinstance(encoded, str) or not encoded:
            raise _bad("func_code.file: the base64 zip")
        data = _zip_bytes(encoded, "func_code.file", MAX_CODE)
        versions = body.get("depend_version_list") or []
        if not isinstance(versions, list) or not all(isinstance(v, str) for v in versions):
            raise _bad("depend_version_list: a list of dependency version ids")
        found = [self._version_by_id(v) for v in versions]
        if any(v is None for v in found):
            raise FgError(404, "FSS.0404", "The specified resource was not found. (dependency version)")
        function.update({
            "code_filename": body.get("code_filename") or function.get("code_filename") or "code.zip",
            "code_size": len(data), "digest": hashlib.sha512(data).hexdigest(), "last_modified": _now(),
            "depend_version_list": list(versions), "depend_list": [v["dep_id"] for v in found],  # type: ignore[index]
            "dependencies": found,
        })

    # ---- dependencies ---------------------------------------------------------------------------------
    def _version_by_id(self, version_id: str) -> dict[str, Any] | None:
        for versions in self._versions.values():
            for version in versions:
                if version["id"] == version_id:
                    return dict(version)
        return None

    def _list_dependencies(self, params: dict[str, str], _b: Any, query: dict[str, Any]) -> tuple[int, Any]:
        name = query.get("name")
        runtime = query.get("runtime")
        items = []
        for dep_id, dep in self._dependencies.items():
            if dep["project"] != params["project_id"] or (name and name not in dep["name"]):
                continue
            if runtime and dep["runtime"] != runtime:
                continue
            latest = self._versions[dep_id][-1]
            items.append({**{k: latest[k] for k in ("owner", "link", "runtime", "etag", "size", "file_name",
                                                      "description", "version", "last_modified")},
                          "id": dep_id, "name": dep["name"]})
        return 200, {"dependencies": items, "next_marker": len(items), "count": len(items)}

    def _list_dependency_version(self, params: dict[str, str], _b: Any, query: dict[str, Any]) -> tuple[int, Any]:
        dep_id = params["depend_id"]
        dep = self._dependencies.get(dep_id)
        if dep is None or dep["project"] != params["project_id"]:
            raise _not_found("dependency")
        versions = self._versions[dep_id]
        marker = int(query.get("marker") or 0)
        limit = int(query.get("maxitems") or 400)
        page = versions[marker:marker + limit]
        return 200, {"dependencies": page, "next_marker": marker + len(page), "count": len(versions)}

    def _create_dependency_version(self, params: dict[str, str], body: dict[str, Any], _q: Any) -> tuple[int, Any]:
        project = params["project_id"]
        name = _text(body, "name", required=True)
        if not _DEP_NAME.match(name):
            raise _bad("name: a letter first, a letter or digit last, letters, digits, _ . - between, at most 96")
        runtime = _text(body, "runtime", required=True)
        if runtime not in RUNTIMES:
            raise _bad(f"runtime {runtime!r} is not a FunctionGraph runtime")
        description = body.get("description") or ""
        if not isinstance(description, str) or len(description) > 512:
            raise _bad("description: at most 512 characters")
        kind = body.get("depend_type")
        if kind == "zip":
            encoded = body.get("depend_file")
            if not isinstance(encoded, str) or not encoded:
                raise _bad("depend_file: the base64 zip (depend_type zip)")
            data = _zip_bytes(encoded, "depend_file", MAX_DIRECT_DEPENDENCY)
            link = ""
        elif kind == "obs":
            link = _text(body, "depend_link", required=True)
            data = self._obs_object(link)
            _check_zip(data, "depend_link", MAX_DEPENDENCY)
        else:
            raise _bad("depend_type: zip or obs")
        dep_id = next((i for i, d in self._dependencies.items()
                       if d["name"] == name and d["project"] == project), None)
        if dep_id is None:
            dep_id = str(uuid.uuid4())
            self._dependencies[dep_id] = {"id": dep_id, "name": name, "runtime": runtime, "project": project}
            self._versions[dep_id] = []
        number = len(self._versions[dep_id]) + 1
        version = {
            "id": str(uuid.uuid4()), "dep_id": dep_id, "owner": project, "name": name, "runtime": runtime,
            "link": link or f"https://fgs-deps.obs.{self.emu.region}.example/{dep_id}/{number}.zip",
            "etag": hashlib.md5(data).hexdigest(), "size": len(data), "description": description,
            "file_name": f"{name}.zip", "version": number, "is_shared": False,
            "last_modified": int(datetime.now(timezone.utc).timestamp() * 1000),
        }
        self._versions[dep_id].append(version)
        return 200, version

    def _obs_object(self, link: str) -> bytes:
        parts = urlsplit(link)
        obs = urlsplit(self.emu.endpoints["obs"])
        path = parts.path.lstrip("/")
        if parts.netloc == obs.netloc:
            bucket, _, key = path.partition("/")
        elif ".obs." in parts.netloc:
            bucket, key = parts.netloc.split(".obs.", 1)[0], path
        else:
            raise _bad("depend_link: not an OBS object URL")
        stored = self.emu.objects.get(bucket, key)
        if stored is None:
            raise _bad(f"depend_link: no OBS object {bucket}/{key}")
        return stored.data

    # ---- triggers ---------------------------------------------------------------------------------------
    def _trigger_list(self, params: dict[str, str]) -> list[dict[str, Any]]:
        key = self._key(params)
        if key not in self._functions:
            raise _not_found("function")
        return self._triggers.setdefault(key, [])

    def _list_function_triggers(self, params: dict[str, str], _b: Any, _q: Any) -> tuple[int, Any]:
        return 200, self._trigger_list(params)

    def _create_function_trigger(self, params: dict[str, str], body: dict[str, Any], _q: Any) -> tuple[int, Any]:
        triggers = self._trigger_list(params)
        if body.get("trigger_type_code") != "TIMER":
            raise _bad("trigger_type_code: the emulator implements TIMER triggers only")
        status = body.get("trigger_status", "ACTIVE")
        if status not in {"ACTIVE", "DISABLED"}:
            raise _bad("trigger_status: ACTIVE or DISABLED")
        data = body.get("event_data") or {}
        name = _text(data, "name", required=True)
        if not _TRIGGER_NAME.match(name):
            raise _bad("event_data.name: a letter first, then letters, digits, _ or -, at most 64 characters")
        kind, schedule = data.get("schedule_type"), _text(data, "schedule", required=True)
        if kind not in {"Rate", "Cron"}:
            raise _bad("event_data.schedule_type: Rate or Cron")
        if not (_RATE if kind == "Rate" else _CRON).match(schedule):
            raise _bad(f"event_data.schedule {schedule!r} is not a valid {kind} schedule")
        user_event = data.get("user_event", "")
        if not isinstance(user_event, str) or len(user_event.encode("utf-8")) >= MAX_USER_EVENT:
            raise _bad("event_data.user_event: text under 2 KB")
        if any(t["event_data"]["name"] == name for t in triggers):
            raise FgError(409, "FSS.0409", "The specified resource already exists.")
        now = _now()
        trigger = {"trigger_id": str(uuid.uuid4()), "trigger_type_code": "TIMER", "trigger_status": status,
                   "event_data": {"name": name, "schedule_type": kind, "schedule": schedule,
                                  "user_event": user_event},
                   "created_time": now, "last_updated_time": now}
        triggers.append(trigger)
        return 201, trigger

    def _find_trigger(self, params: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        triggers = self._trigger_list(params)
        for trigger in triggers:
            if trigger["trigger_id"] == params["trigger_id"] and \
                    trigger["trigger_type_code"] == params["trigger_type_code"]:
                return triggers, trigger
        raise _not_found("trigger")

    def _update_trigger(self, params: dict[str, str], body: dict[str, Any], _q: Any) -> tuple[int, Any]:
        _, trigger = self._find_trigger(params)
        status = body.get("trigger_status")
        if status not in {"ACTIVE", "DISABLED"}:
            raise _bad("trigger_status: ACTIVE or DISABLED")
        trigger["trigger_status"] = status
        trigger["last_updated_time"] = _now()
        return 200, trigger

    def _delete_function_trigger(self, params: dict[str, str], _b: Any, _q: Any) -> tuple[int, Any]:
        triggers, trigger = self._find_trigger(params)
        triggers.remove(trigger)
        return 204, None


# ---- helpers ------------------------------------------------------------------------------------------------
def _json_body(req: Request) -> dict[str, Any]:
    try:
        body = json.loads(req.body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FgError(406, "FSS.0406", "Not acceptable. The request body is not JSON.") from None
    if not isinstance(body, dict):
        raise FgError(406, "FSS.0406", "Not acceptable. The request body is not a JSON object.")
    return body


def _text(body: dict[str, Any], key: str, required: bool = False) -> str:
    value = body.get(key)
    if value is None or value == "":
        if required:
            raise _bad(f"{key} is required")
        return ""
    if not isinstance(value, str):
        raise _bad(f"{key}: expected text")
    return value


def _variables(text: Any, key: str) -> dict[str, str]:
    if text in (None, ""):
        return {}
    try:
        values = json.loads(text) if isinstance(text, str) else None
    except json.JSONDecodeError:
        values = None
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        raise _bad(f"{key}: JSON text of name/value strings")
    return values


def _zip_bytes(encoded: str, key: str, limit: int) -> bytes:
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise _bad(f"{key}: not base64") from None
    _check_zip(data, key, limit)
    return data


def _check_zip(data: bytes, key: str, limit: int) -> None:
    if len(data) > limit:
        raise FgError(413, "FSS.0413", f"The request body is too large. ({key}: over {limit // (1024 * 1024)} MB)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            count = len(archive.infolist())
            broken = archive.testzip()
    except zipfile.BadZipFile:
        raise _bad(f"{key}: not a zip file") from None
    if broken is not None:
        raise _bad(f"{key}: corrupt zip member {broken}")
    if count > MAX_DEPENDENCY_FILES:
        raise _bad(f"{key}: {count} files, over {MAX_DEPENDENCY_FILES}")
