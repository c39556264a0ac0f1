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
MAX_VERSIONS = 10
# The other fields UpdateFunctionConfig takes (SDK model UpdateFunctionConfigRequestBody) that
# ShowFunctionConfig returns: kept as sent, unset (None) by a replacing update that leaves them out.
OTHER_CONFIG_FIELDS = ("custom_image", "enable_auth_in_header", "enable_class_isolation", "enable_dynamic_memory",
                       "ephemeral_storage", "gpu_memory", "gpu_type", "heartbeat_handler", "is_stateful_function",
                       "lts_custom_tag", "network_controller", "peering_cidr", "pre_stop_handler", "pre_stop_timeout",
                       "user_data_encrypt_kms_key_id")
_FUNC_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,59}$")
_DEP_NAME = re.compile(r"^[A-Za-z]([A-Za-z0-9_.-]{0,94}[A-Za-z0-9])?$")
_TRIGGER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_RATE = re.compile(r"^(([1-9]|[1-5][0-9]|60)m|([1-9]|1[0-9]|2[0-4])h|([1-9]|[12][0-9]|30)d)$")
_VERSION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,41}$")
_ALIAS_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,62}$")


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
        self._triggers: dict[tuple[str, str, str], list[dict[str, Any]]] = {}  # (project, fn, qualifier)
        self._published: dict[tuple[str, str], list[dict[str, Any]]] = {}  # versions, oldest first
        self._aliases: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self._async: dict[tuple[str, str], dict[str, Any]] = {}
        self._tags: dict[tuple[str, str], dict[str, str]] = {}
        self.update_semantics = "replace"  # or "merge": see _update_function_config
        self.async_semantics = "replace"  # or "merge": a field left out of UpdateFunctionAsyncInvokeConfig is kept
        self.version_order = "oldest_first"  # or "newest_first": ListFunctionVersions' order is not documented

    # ---- routing ------------------------------------------------------------------------------------
    def route(self, req: Request) -> Route | None:
        s = req.segments
        if len(s) in (5, 6) and s[0] == "v2" and s[1] and s[2] == "functions" and s[4] == "tags":
            return self._tag_route(req, s)
        if len(s) < 4 or s[0] != "v2" or s[2] != "fgs" or not s[1]:
            return None
        project, rest, method = s[1], s[3:], req.method
        params = {"project_id": project}
        table: list[tuple[str, list[str], str]] = [
            ("POST", ["functions"], "create_function"),
            ("GET", ["functions"], "list_functions"),
            ("DELETE", ["functions", "*"], "delete_function"),
            ("POST", ["functions", "*", "versions"], "create_function_version"),
            ("GET", ["functions", "*", "versions"], "list_function_versions"),
            ("POST", ["functions", "*", "aliases"], "create_version_alias"),
            ("GET", ["functions", "*", "aliases"], "list_version_aliases"),
            ("PUT", ["functions", "*", "aliases", "*"], "update_version_alias"),
            ("DELETE", ["functions", "*", "aliases", "*"], "delete_version_alias"),
            ("PUT", ["functions", "*", "async-invoke-config"], "update_function_async_invoke_config"),
            ("GET", ["functions", "*", "async-invoke-config"], "show_function_async_invoke_config"),
            ("DELETE", ["dependencies", "*", "version", "*"], "delete_dependency_version"),
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
                if rest[0] == "dependencies" and len(wild) == 2:
                    params["version"] = wild[1]
                if rest[0] == "functions" and len(wild) == 2:
                    params["alias_name"] = wild[1]
                if rest[0] == "triggers" and len(wild) == 3:
                    params["trigger_type_code"], params["trigger_id"] = wild[1], wild[2]
                return Route(f"functiongraph.{call}", params)
        return None

    def _tag_route(self, req: Request, s: list[str]) -> Route | None:
        """Function tags: /v2/{project_id}/functions/{resource_id}/tags[/create|/delete] (resource_type
        "functions"; the resource id is the function URN without a version, as Terraform's provider sends it)."""
        action = s[5] if len(s) == 6 else ""
        call = {("GET", ""): "list_function_tags", ("POST", "create"): "create_tags",
                ("DELETE", "delete"): "delete_tags"}.get((req.method, action))
        if call is None:
            return None
        return Route(f"functiongraph.{call}", {"project_id": s[1], "function_urn": s[3]})

    def is_list(self, call: str) -> bool:
        return False

    def malformed_body(self, route: Route) -> bytes:
        return b'{"func_urn": '

    def handle(self, req: Request, route: Route) -> Response:
        operation = route.call.split(".", 1)[1]
        try:
            body = _json_body(req) if req.method in {"POST", "PUT"} or route.call.endswith("delete_tags") else {}
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

    def triggers(self, name: str, package: str = "default", project_id: str | None = None,
                 qualifier: str = "latest") -> list[dict[str, Any]]:
        """The triggers bound to one qualifier of the function: "latest", a version or an alias name."""
        with self._lock:
            return json.loads(json.dumps(self._triggers.get(
                (project_id or self.emu.project_id, f"{package}:{name}", qualifier), [])))

    def all_triggers(self, project_id: str | None = None) -> list[dict[str, Any]]:
        project = project_id or self.emu.project_id
        with self._lock:
            return [dict(t) for key, items in self._triggers.items() if key[0] == project for t in items]

    def versions(self, name: str, package: str = "default", project_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return json.loads(json.dumps(self._published.get((project_id or self.emu.project_id,
                                                              f"{package}:{name}"), [])))

    def aliases(self, name: str, package: str = "default", project_id: str | None = None) -> dict[str, Any]:
        with self._lock:
            return json.loads(json.dumps(self._aliases.get((project_id or self.emu.project_id,
                                                            f"{package}:{name}"), {})))

    def async_config(self, name: str, package: str = "default", project_id: str | None = None) -> dict[str, Any] | None:
        with self._lock:
            found = self._async.get((project_id or self.emu.project_id, f"{package}:{name}"))
            return dict(found) if found else None

    def functions(self, project_id: str | None = None) -> list[str]:
        project = project_id or self.emu.project_id
        with self._lock:
            return sorted(key for p, key in self._functions if p == project)

    def dependency_versions(self, name: str, project_id: str | None = None) -> list[dict[str, Any]]:
        project = project_id or self.emu.project_id
        with self._lock:
            return [dict(v) for dep_id, dep in self._dependencies.items()
                    if dep["name"] == name and dep["project"] == project for v in self._versions[dep_id]]

    # ---- functions ------------------------------------------------------------------------------------
    def _split(self, params: dict[str, str]) -> tuple[tuple[str, str], str]:
        """(project, "package:name"), qualifier ("latest" when the URN has none)."""
        urn = params["function_urn"]
        parts = urn.split(":")
        if len(parts) not in (7, 8) or parts[:2] != ["urn", "fss"] or parts[4] != "function":
            raise _bad(f"function_urn {urn!r} is not urn:fss:region:project:function:package:name[:qualifier]")
        if parts[3] != params["project_id"]:
            raise _not_found("function")
        return (params["project_id"], f"{parts[5]}:{parts[6]}"), (parts[7] if len(parts) == 8 else "latest")

    def _key(self, params: dict[str, str]) -> tuple[str, str]:
        key, qualifier = self._split(params)
        if qualifier != "latest":
            raise _bad("this call takes the function's latest version (no version or alias in the URN)")
        return key

    def _existing(self, params: dict[str, str]) -> dict[str, Any]:
        function = self._functions.get(self._key(params))
        if function is None:
            raise _not_found("function")
        return function

    def _base(self, params: dict[str, str]) -> tuple[tuple[str, str], str, dict[str, Any]]:
        """The function behind any qualifier; a version or alias qualifier must exist."""
        key, qualifier = self._split(params)
        function = self._functions.get(key)
        if function is None:
            raise _not_found("function")
        if qualifier != "latest" and qualifier not in self._aliases.get(key, {}) and \
                not any(v["version"] == qualifier for v in self._published.get(key, [])):
            raise _not_found(f"version or alias {qualifier}")
        return key, qualifier, function

    def _defaults(self, function: dict[str, Any]) -> dict[str, Any]:
        """What a configuration field is when no request set it (create, or a replacing update)."""
        return {
            "strategy_config": {"concurrency": DEFAULT_MAX_INSTANCES if function.get("type") == "v2" else -1,
                                "concurrent_num": 1},
            "enable_lts_log": False, "log_group_id": "", "log_stream_id": "", "xrole": "", "app_xrole": "",
            "description": "", "user_data": "", "encrypted_user_data": "", "func_vpc": None,
            "initializer_handler": "", "initializer_timeout": 0, "mount_config": None,
            "enterprise_project_id": "0", **dict.fromkeys(OTHER_CONFIG_FIELDS),
        }

    def _list_functions(self, params: dict[str, str], _b: Any, query: dict[str, Any]) -> tuple[int, Any]:
        project = params["project_id"]
        items = [f for (p, _), f in sorted(self._functions.items()) if p == project]
        if query.get("package_name"):
            items = [f for f in items if f["package"] == query["package_name"]]
        if query.get("func_name"):
            items = [f for f in items if query["func_name"] in f["func_name"]]
        marker = int(query.get("marker") or 0)
        limit = int(query.get("maxitems") or 400)
        page = items[marker:marker + limit]
        return 200, {"functions": page, "next_marker": marker + len(page), "count": len(items)}

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
        kind = body.get("type") or "v1"  # SDK: "部分局点只支持v1函数，缺省值则为v1" (missing type: v1)
        if kind not in {"v1", "v2"}:
            raise _bad("type: v1 or v2")
        function: dict[str, Any] = {
            "func_id": uuid.uuid4().hex, "func_name": name, "package": package, "namespace": project,
            "project_name": self.emu.region, "domain_id": "0" * 32, "type": kind,
            "func_urn": f"urn:fss:{self.emu.region}:{project}:function:{package}:{name}:latest",
            "code_type": "zip", "version": "latest", "depend_version_list": [], "dependencies": [],
        }
        function.update(self._defaults(function))
        self._apply_config(function, body, creating=True)
        self._apply_code(function, body, creating=True)
        self._functions[(project, f"{package}:{name}")] = function
        return 200, function

    def _show_function_config(self, params: dict[str, str], _b: Any, _q: Any) -> tuple[int, Any]:
        key, qualifier, function = self._base(params)
        if qualifier == "latest":
            return 200, function
        version = self._aliases[key][qualifier]["version"] if qualifier in self._aliases.get(key, {}) else qualifier
        return 200, next(v for v in self._published[key] if v["version"] == version)

    def _update_function_config(self, params: dict[str, str], body: dict[str, Any], _q: Any) -> tuple[int, Any]:
        """update_semantics "replace" (default): the body is the whole configuration, a field left out goes back
        to its default (as UpdateFunctionConfig's full-body form reads, and as Cloud Custodian's FunctionGraph
        mode treats it by resending every field); "merge": a field left out keeps its value."""
        function = self._existing(params)
        if _text(body, "func_name", required=True) != function["func_name"]:
            raise _bad("func_name cannot be changed")
        updated = dict(function)
        if self.update_semantics == "replace":
            updated.update(self._defaults(function))
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

    def _check_concurrency(self, function: dict[str, Any], count: Any, field: str) -> None:
        if not isinstance(count, int) or isinstance(count, bool) or not -1 <= count <= 1000:
            raise _bad(f"{field}: an integer from -1 (no limit) to 1000")
        if function.get("type") != "v2" and count not in (0, -1):  # SDK StrategyConfig: "v1取值0和-1"
            raise _bad(f"{field}: a v1 function takes only 0 (disabled) or -1 (no limit)")

    def _update_function_max_instance_config(self, params: dict[str, str], body: dict[str, Any],
                                             _q: Any) -> tuple[int, Any]:
        function = self._existing(params)
        count = body.get("max_instance_num")
        self._check_concurrency(function, count, "max_instance_num")
        function["strategy_config"] = {**function["strategy_config"], "concurrency": count}
        function["last_modified"] = _now()
        return 200, function

    def _delete_function(self, params: dict[str, str], _b: Any, _q: Any) -> tuple[int, Any]:
        """Without a qualifier: the function, its versions, aliases, triggers and async config. With a version:
        that version only (refused while an alias points at it)."""
        key, qualifier, _ = self._base(params)
        if qualifier == "latest":
            del self._functions[key]
            for store in (self._published, self._aliases, self._async, self._tags):
                store.pop(key, None)
            for trigger_key in [k for k in self._triggers if k[:2] == key]:
                del self._triggers[trigger_key]
            return 204, None
        if any(a["version"] == qualifier or qualifier in (a.get("additional_version_weights") or {})
               for a in self._aliases.get(key, {}).values()):
            raise _bad(f"version {qualifier} is used by an alias")
        self._published[key] = [v for v in self._published.get(key, []) if v["version"] != qualifier]
        self._triggers.pop((*key, qualifier), None)
        return 204, None

    # ---- versions and aliases -------------------------------------------------------------------------
    def _create_function_version(self, params: dict[str, str], body: dict[str, Any], _q: Any) -> tuple[int, Any]:
        key = self._key(params)
        function = self._existing(params)
        published = self._published.setdefault(key, [])
        # "Publishing a Function Version": at most 10 versions; no name given: the time as yyyymmdd-HHMMSS
        if len(published) >= MAX_VERSIONS:
            raise _bad(f"a function can have at most {MAX_VERSIONS} versions")
        name = body.get("version") or datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        if not isinstance(name, str) or not _VERSION_NAME.match(name) or name == "latest":
            raise _bad("version: 1-42 letters, digits, . _ -, starting with a letter or digit, not 'latest'")
        if any(v["version"] == name for v in published):
            raise FgError(409, "FSS.0409", "The specified resource already exists. (version)")
        description = body.get("description") or ""
        if not isinstance(description, str) or len(description) > 512:
            raise _bad("description: at most 512 characters")
        snapshot = json.loads(json.dumps(function))
        snapshot.update({"version": name, "version_description": description,
                         "func_urn": function["func_urn"].rsplit(":", 1)[0] + f":{name}", "last_modified": _now()})
        published.append(snapshot)
        return 200, snapshot

    def _list_function_versions(self, params: dict[str, str], _b: Any, query: dict[str, Any]) -> tuple[int, Any]:
        key = self._key(params)
        function = self._existing(params)
        published = self._published.get(key, [])
        items = [function, *(published if self.version_order == "oldest_first" else published[::-1])]
        marker = int(query.get("marker") or 0)
        limit = int(query.get("maxitems") or 400)
        page = items[marker:marker + limit]
        return 200, {"versions": page, "next_marker": marker + len(page), "count": len(items)}

    def _alias_answer(self, key: tuple[str, str], alias: dict[str, Any]) -> dict[str, Any]:
        base = self._functions[key]["func_urn"].rsplit(":", 1)[0]
        return {**alias, "alias_urn": f"{base}:{alias['name']}"}

    def _check_alias_target(self, key: tuple[str, str], body: dict[str, Any]) -> str:
        version = _text(body, "version", required=True)
        if version != "latest" and not any(v["version"] == version for v in self._published.get(key, [])):
            raise _not_found(f"version {version}")
        return version

    def _weights(self, key: tuple[str, str], body: dict[str, Any]) -> dict[str, int]:
        """additional_version_weights ("Modifying the Alias Information About a Function Version"): published
        versions (never latest) and the percentage of traffic each gets, 1-99."""
        weights = body.get("additional_version_weights") or {}
        if not isinstance(weights, dict):
            raise _bad("additional_version_weights: an object of version -> percentage")
        for version, weight in weights.items():
            if version.lower() == "latest" or not any(v["version"] == version for v in self._published.get(key, [])):
                raise _bad(f"additional_version_weights: {version!r} is not a published version")
            if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= 99:
                raise _bad("additional_version_weights: percentages 1 to 99")
        return dict(weights)

    def _create_version_alias(self, params: dict[str, str], body: dict[str, Any], _q: Any) -> tuple[int, Any]:
        key = self._key(params)
        self._existing(params)
        name = _text(body, "name", required=True)
        if not _ALIAS_NAME.match(name) or name == "latest":
            raise _bad("name: a letter first, then letters, digits, _ or -, at most 63 characters")
        aliases = self._aliases.setdefault(key, {})
        if name in aliases or any(v["version"] == name for v in self._published.get(key, [])):
            raise FgError(409, "FSS.0409", "The specified resource already exists. (alias)")
        aliases[name] = {"name": name, "version": self._check_alias_target(key, body),
                         "description": body.get("description") or "", "last_modified": _now(),
                         "additional_version_weights": self._weights(key, body)}
        return 200, self._alias_answer(key, aliases[name])

    def _list_version_aliases(self, params: dict[str, str], _b: Any, _q: Any) -> tuple[int, Any]:
        key = self._key(params)
        self._existing(params)
        return 200, [self._alias_answer(key, a) for a in self._aliases.get(key, {}).values()]

    def _update_version_alias(self, params: dict[str, str], body: dict[str, Any], _q: Any) -> tuple[int, Any]:
        key = self._key(params)
        self._existing(params)
        alias = self._aliases.get(key, {}).get(params["alias_name"])
        if alias is None:
            raise _not_found("alias")
        alias.update({"version": self._check_alias_target(key, body), "last_modified": _now(),
                      "description": body.get("description") or "",
                      "additional_version_weights": self._weights(key, body)})  # PUT: the whole alias
        return 200, self._alias_answer(key, alias)

    def _delete_version_alias(self, params: dict[str, str], _b: Any, _q: Any) -> tuple[int, Any]:
        key = self._key(params)
        self._existing(params)
        if self._aliases.get(key, {}).pop(params["alias_name"], None) is None:
            raise _not_found("alias")
        self._triggers.pop((*key, params["alias_name"]), None)
        return 204, None

    # ---- tags (API reference "Creating Resource Tags": body {action, tags: [{key, value}]}, 204) ---------------
    def _tag_body(self, body: dict[str, Any]) -> list[dict[str, str]]:
        tags = body.get("tags")
        if not isinstance(tags, list) or not all(isinstance(t, dict) and isinstance(t.get("key"), str) for t in tags):
            raise _bad("tags: a list of {key, value}")
        for tag in tags:  # the console's tag rules (FunctionGraph user guide, "Configuring Tags")
            key, value = tag["key"], tag.get("value", "")
            if not key or len(key) > 128 or key.startswith(("_sys_", " ")) or key.endswith(" ") or \
                    not re.fullmatch(r"[\w .:=+\-@]+", key):
                raise _bad(f"tag key {key!r}")
            if not isinstance(value, str) or len(value) > 255 or not re.fullmatch(r"[\w .:/=+\-@]*", value):
                raise _bad(f"tag value of {key!r}")
        return tags

    def _list_function_tags(self, params: dict[str, str], _b: Any, _q: Any) -> tuple[int, Any]:
        key = self._key(params)
        self._existing(params)
        return 200, {"tags": [{"key": k, "value": v} for k, v in self._tags.get(key, {}).items()], "sys_tags": []}

    def _create_tags(self, params: dict[str, str], body: dict[str, Any], _q: Any) -> tuple[int, Any]:
        key = self._key(params)
        self._existing(params)
        tags = self._tags.setdefault(key, {})
        for tag in self._tag_body(body):
            tags[tag["key"]] = tag.get("value", "")
        if len(tags) > 20:
            raise _bad("at most 20 tags per function")
        return 204, None

    def _delete_tags(self, params: dict[str, str], body: dict[str, Any], _q: Any) -> tuple[int, Any]:
        key = self._key(params)
        self._existing(params)
        for tag in self._tag_body(body):
            self._tags.get(key, {}).pop(tag["key"], None)
        return 204, None

    def tags(self, name: str, package: str = "default", project_id: str | None = None) -> dict[str, str]:
        with self._lock:
            return dict(self._tags.get((project_id or self.emu.project_id, f"{package}:{name}"), {}))

    # ---- asynchronous invocation ----------------------------------------------------------------------
    def _update_function_async_invoke_config(self, params: dict[str, str], body: dict[str, Any],
                                             _q: Any) -> tuple[int, Any]:
        """Ranges from the SDK model: max_async_event_age_in_seconds 1-86400 (default 3600),
        max_async_retry_attempts 0-3 (default 1); destinations OBS, SMN, DIS or FunctionGraph with a JSON param."""
        key = self._key(params)
        function = self._existing(params)
        if self.async_semantics == "merge" and key in self._async:  # the documents do not say: both readings
            body = {**{k: v for k, v in self._async[key].items() if k in {
                "max_async_event_age_in_seconds", "max_async_retry_attempts", "destination_config"}}, **body}
        age = body.get("max_async_event_age_in_seconds", 3600)
        retries = body.get("max_async_retry_attempts", 1)
        if not isinstance(age, int) or isinstance(age, bool) or not 1 <= age <= 86400:
            raise _bad("max_async_event_age_in_seconds: 1 to 86400")
        if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= 3:
            raise _bad("max_async_retry_attempts: 0 to 3")
        destinations = body.get("destination_config") or {}
        for side in ("on_success", "on_failure"):
            target = destinations.get(side)
            if target is None:
                continue
            if target.get("destination") not in {"OBS", "SMN", "DIS", "FunctionGraph"}:
                raise _bad(f"destination_config.{side}.destination: OBS, SMN, DIS or FunctionGraph")
            try:
                param = json.loads(target.get("param") or "")
            except (TypeError, ValueError):
                raise _bad(f"destination_config.{side}.param: JSON text") from None
            if target["destination"] == "SMN" and not str(param.get("topic_urn", "")).startswith("urn:smn:"):
                raise _bad(f"destination_config.{side}.param: SMN takes topic_urn")
        self._async[key] = {"func_urn": function["func_urn"], "max_async_event_age_in_seconds": age,
                            "max_async_retry_attempts": retries, "destination_config": destinations,
                            "created_time": _now(), "last_modified": _now()}
        return 200, self._async[key]

    def _show_function_async_invoke_config(self, params: dict[str, str], _b: Any, _q: Any) -> tuple[int, Any]:
        key = self._key(params)
        self._existing(params)
        if key not in self._async:
            raise _not_found("async invoke config")
        return 200, self._async[key]

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
            "cpu": memory // 128 * 100 + 200, "last_modified": _now(),
        })
        # Optional fields: set when the body has them; otherwise what _defaults (replace) or the function
        # (merge) holds stays.
        for key in ("description", "user_data", "encrypted_user_data", "xrole", "app_xrole", "initializer_handler",
                    "enterprise_project_id"):
            if body.get(key) is not None:
                function[key] = body[key]
        for key in ("initializer_timeout", "func_vpc", "mount_config", *OTHER_CONFIG_FIELDS):
            if body.get(key) is not None:
                function[key] = body[key]
        if body.get("strategy_config") is not None:
            strategy = body["strategy_config"]
            self._check_concurrency(function, strategy.get("concurrency"), "strategy_config.concurrency")
            function["strategy_config"] = {**function["strategy_config"], **strategy}
        if body.get("enable_lts_log") is not None:
            function["enable_lts_log"] = bool(body["enable_lts_log"])
        if log:
            function["log_group_id"], function["log_stream_id"] = log.get("group_id", ""), log.get("stream_id", "")
        if function["enable_lts_log"] and not function.get("log_group_id"):  # FunctionGraph creates them
            function["log_group_id"], function["log_stream_id"] = uuid.uuid4().hex, uuid.uuid4().hex
        if not function["enable_lts_log"]:
            function["log_group_id"] = function["log_stream_id"] = ""

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
        number = self._dependencies[dep_id]["last_version"] = self._dependencies[dep_id].get("last_version", 0) + 1
        version = {
            "id": str(uuid.uuid4()), "dep_id": dep_id, "owner": project, "name": name, "runtime": runtime,
            "link": link or f"https://fgs-deps.obs.{self.emu.region}.example/{dep_id}/{number}.zip",
            "etag": hashlib.md5(data).hexdigest(), "size": len(data), "description": description,
            "file_name": f"{name}.zip", "version": number, "is_shared": False,
            "last_modified": int(datetime.now(timezone.utc).timestamp() * 1000),
        }
        self._versions[dep_id].append(version)
        return 200, version

    def _delete_dependency_version(self, params: dict[str, str], _b: Any, _q: Any) -> tuple[int, Any]:
        """Refused (FSS.0400) while a function's latest or a published version uses it (the emulator's choice:
        the documents do not say; deploy must never try)."""
        dep = self._dependencies.get(params["depend_id"])
        if dep is None or dep["project"] != params["project_id"]:
            raise _not_found("dependency")
        versions = self._versions[params["depend_id"]]
        found = next((v for v in versions if str(v["version"]) == params["version"]), None)
        if found is None:
            raise _not_found("dependency version")
        users = [*self._functions.values(), *(v for vs in self._published.values() for v in vs)]
        if any(found["id"] in (f.get("depend_version_list") or []) for f in users):
            raise _bad(f"dependency version {found['version']} is in use by a function")
        versions.remove(found)
        if not versions:
            del self._dependencies[params["depend_id"]], self._versions[params["depend_id"]]
        return 204, None

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
        """Triggers bind to one qualifier of a function: latest (no qualifier), a version or an alias."""
        key, qualifier, _ = self._base(params)
        return self._triggers.setdefault((*key, qualifier), [])

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
        if not (_RATE.match(schedule) if kind == "Rate" else _cron_ok(schedule)):
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


# ---- cron, as "Cron Expressions for a Function Timer Trigger" (FunctionGraph user guide, functiongraph_01_0908)
# describes it: "@every N unit" (units ns, µs, ms, s, m, h; examples 30m, 1.5h, 2h30m), or an optional CRON_TZ=zone
# (default: the region's zone) then "seconds minutes hours day-of-month month [day-of-week]": seconds 0-59, minutes
# 0-59, hours 0-23 with , - * /; day-of-month 1-31 with , - * ? /; month 1-12 or Jan-Dec with , - * /; day-of-week
# 0-6 or Sun-Sat (0 Sunday) with , - * ? /; names case-insensitive.
_EVERY = re.compile(r"^@every ((\d+(\.\d+)?)(ns|µs|ms|s|m|h))+$")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_FIELDS = ((0, 59, (), False), (0, 59, (), False), (0, 23, (), False), (1, 31, (), True), (1, 12, _MONTHS, False),
           (0, 6, _DAYS, True))


def _cron_ok(schedule: str) -> bool:
    if schedule.startswith("@every "):
        return bool(_EVERY.match(schedule)) and any(c not in "0." for c in re.sub(r"[a-zµ]", "", schedule[7:]))
    parts = schedule.split(" ")
    if parts and parts[0].startswith("CRON_TZ="):
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(parts[0][8:])
        except (ValueError, KeyError, OSError):
            return False
        parts = parts[1:]
    return len(parts) in (5, 6) and all(_cron_field(text, *spec) for text, spec in zip(parts, _FIELDS, strict=False))


def _cron_field(text: str, low: int, high: int, names: tuple[str, ...], question: bool) -> bool:
    def value(v: str) -> int | None:
        if v.isdigit():
            return int(v) if low <= int(v) <= high else None
        return names.index(v.lower()) + low if v.lower() in names else None

    for item in text.split(","):
        base, _, step = item.partition("/")
        if "/" in item and not (step.isdigit() and int(step) > 0):
            return False
        if base in ("*",) or (base == "?" and question and not step):
            continue
        first, _, last = base.partition("-")
        a, b = value(first), value(last) if last else None
        if a is None or (last and (b is None or b < a)):
            return False
    return True


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
