"""The FunctionGraph v2 calls deploy makes, through huaweicloudsdkfunctiongraph's client and request models.

Reads (GET): show_function_config, list_functions, list_dependencies, list_dependency_version,
list_function_triggers, list_function_versions, list_version_aliases, show_function_async_invoke_config.
Writes: create_dependency_version, create_function (type v2), update_function_code, update_function_config
(read-modify-write: the whole current configuration with the template's changes), update_function_max_instance_
config, create_function_version, create_version_alias, update_version_alias, update_function_async_invoke_config,
create_function_trigger, update_trigger, delete_function_trigger, delete_function, delete_dependency_version.
Answers are returned as the JSON the service sent (the SDK response's raw_content), as plain dicts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException, SdkException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkfunctiongraph.v2 import (
    CreateDependencyRequestBody,
    CreateDependencyVersionRequest,
    CreateFunctionRequest,
    CreateFunctionRequestBody,
    CreateFunctionTriggerRequest,
    CreateFunctionTriggerRequestBody,
    CreateFunctionVersionRequest,
    CreateFunctionVersionRequestBody,
    CreateTagsRequest,
    CreateVersionAliasRequest,
    CreateVersionAliasRequestBody,
    DeleteDependencyVersionRequest,
    DeleteFunctionRequest,
    DeleteFunctionTriggerRequest,
    DeleteTagsRequest,
    FuncCode,
    FuncLogConfig,
    FunctionGraphClient,
    KvItem,
    ListDependenciesRequest,
    ListDependencyVersionRequest,
    ListFunctionsRequest,
    ListFunctionTagsRequest,
    ListFunctionTriggersRequest,
    ListFunctionVersionsRequest,
    ListVersionAliasesRequest,
    ShowFunctionAsyncInvokeConfigRequest,
    ShowFunctionConfigRequest,
    TriggerEventDataRequestBody,
    UpdateFunctionAsyncInvokeConfigRequest,
    UpdateFunctionAsyncInvokeConfigRequestBody,
    UpdateFunctionCodeRequest,
    UpdateFunctionCodeRequestBody,
    UpdateFunctionConfigRequest,
    UpdateFunctionConfigRequestBody,
    UpdateFunctionMaxInstanceConfigRequest,
    UpdateFunctionMaxInstanceConfigRequestBody,
    UpdateFunctionTagsRequestBody,
    UpdateTriggerRequest,
    UpdateTriggerRequestBody,
    UpdateVersionAliasRequest,
    UpdateVersionAliasRequestBody,
)

DEFAULT_ENDPOINT = "https://functiongraph.{region}.myhuaweicloud.com"
FUNCTION_TYPE = "v2"  # CreateFunction: a missing type means v1, whose max instances take only 0 or -1 (SDK models)
# Every field UpdateFunctionConfig takes (the SDK's request body model): copied from the current configuration
# into each update, so that a field deploy does not manage keeps its value under full-replacement semantics.
UPDATE_FIELDS = tuple(UpdateFunctionConfigRequestBody.openapi_types)


class ApiError(Exception):
    """A FunctionGraph call failed; the message carries the call, status and error code, never a credential."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class FunctionSpec:
    """Everything CreateFunction / UpdateFunctionConfig take from the template."""

    func_name: str
    package: str
    runtime: str
    handler: str
    memory_size: int
    timeout: int
    description: str
    user_data: str
    encrypted_user_data: str | None
    xrole: str | None
    enable_lts_log: bool
    log_config: dict[str, str] | None
    enterprise_project_id: str | None = None


class FunctionGraphApi:
    def __init__(self, endpoint: str, project_id: str, ak: str, sk: str, token: str | None = None,
                 read_timeout: float = 120) -> None:
        credentials = BasicCredentials(ak, sk, project_id)
        if token:
            credentials = credentials.with_security_token(token)
        config = HttpConfig.get_default_config()
        config.timeout = (10, read_timeout)
        config.retry_times = 0
        self.client = (FunctionGraphClient.new_builder().with_credentials(credentials)
                       .with_endpoints([endpoint]).with_http_config(config).build())

    # ---- reads ----------------------------------------------------------------------------------------
    def show_function(self, urn: str) -> dict[str, Any] | None:
        try:
            return self._call("show_function_config", ShowFunctionConfigRequest(function_urn=urn))
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def functions(self) -> list[dict[str, Any]]:
        """Every function of the project (latest versions), all pages."""
        return self._pages("list_functions", lambda marker: ListFunctionsRequest(marker=marker, maxitems="400"),
                           "functions")

    def versions(self, urn: str) -> list[dict[str, Any]]:
        """The published versions (latest left out), oldest first: the clean-up keeps the newest, a rollback goes
        one back, and ListFunctionVersions does not document its order."""
        found = self._pages("list_function_versions", lambda marker: ListFunctionVersionsRequest(
            function_urn=urn, marker=marker, maxitems="400"), "versions")
        return publish_order([v for v in found if v.get("version") not in (None, "", "latest")])

    def aliases(self, urn: str) -> list[dict[str, Any]]:
        answer = self._call("list_version_aliases", ListVersionAliasesRequest(function_urn=urn))
        return answer if isinstance(answer, list) else list(answer.get("aliases") or [])

    def async_config(self, urn: str) -> dict[str, Any] | None:
        try:
            return self._call("show_function_async_invoke_config", ShowFunctionAsyncInvokeConfigRequest(
                function_urn=urn))
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def tags(self, urn: str) -> dict[str, str]:
        """The function's own tags (resource type "functions", the URN without a version as the resource id)."""
        answer = self._call("list_function_tags", ListFunctionTagsRequest(resource_type="functions", resource_id=urn))
        return {str(t.get("key")): str(t.get("value") or "") for t in answer.get("tags") or []}

    def find_dependency(self, name: str) -> dict[str, Any] | None:
        """The private dependency with exactly this name (list_dependencies filters by name)."""
        answer = self._call("list_dependencies", ListDependenciesRequest(name=name, dependency_type="private"))
        for item in answer.get("dependencies") or []:
            if item.get("name") == name:
                return item
        return None

    def dependency_versions(self, depend_id: str) -> list[dict[str, Any]]:
        versions: list[dict[str, Any]] = []
        marker = "0"
        while True:
            answer = self._call("list_dependency_version",
                                ListDependencyVersionRequest(depend_id=depend_id, marker=marker, maxitems="400"))
            page = answer.get("dependencies") or []
            versions += page
            next_marker = str(answer.get("next_marker", ""))
            if not page or next_marker in ("", marker) or len(versions) >= int(answer.get("count") or 0):
                return versions
            marker = next_marker

    def _pages(self, operation: str, request: Any, key: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        marker = "0"
        while True:
            answer = self._call(operation, request(marker))
            page = answer.get(key) or []
            items += page
            next_marker = str(answer.get("next_marker", ""))
            if not page or next_marker in ("", marker) or len(items) >= int(answer.get("count") or 0):
                return items
            marker = next_marker

    def triggers(self, urn: str) -> list[dict[str, Any]]:
        answer = self._call("list_function_triggers", ListFunctionTriggersRequest(function_urn=urn))
        return answer if isinstance(answer, list) else []

    # ---- writes ---------------------------------------------------------------------------------------
    def create_dependency_version(self, name: str, runtime: str, description: str, *, file_b64: str | None = None,
                                  link: str | None = None) -> dict[str, Any]:
        body = CreateDependencyRequestBody(depend_type="obs" if link else "zip", depend_file=file_b64,
                                           depend_link=link, runtime=runtime, name=name, description=description)
        return self._call("create_dependency_version", CreateDependencyVersionRequest(body=body))

    def create_function(self, spec: FunctionSpec, code_b64: str, code_filename: str,
                        depend_versions: list[str]) -> dict[str, Any]:
        body = CreateFunctionRequestBody(
            func_name=spec.func_name, package=spec.package, runtime=spec.runtime, timeout=spec.timeout,
            handler=spec.handler, memory_size=spec.memory_size, code_type="zip", code_filename=code_filename,
            func_code=FuncCode(file=code_b64), depend_version_list=depend_versions, user_data=spec.user_data,
            encrypted_user_data=spec.encrypted_user_data, xrole=spec.xrole, description=spec.description,
            enable_lts_log=spec.enable_lts_log, log_config=_log(spec.log_config), type=FUNCTION_TYPE,
            enterprise_project_id=spec.enterprise_project_id)
        return self._call("create_function", CreateFunctionRequest(body=body))

    def update_function_code(self, urn: str, code_b64: str, code_filename: str,
                             depend_versions: list[str]) -> dict[str, Any]:
        body = UpdateFunctionCodeRequestBody(code_type="zip", code_filename=code_filename,
                                             func_code=FuncCode(file=code_b64), depend_version_list=depend_versions)
        return self._call("update_function_code", UpdateFunctionCodeRequest(function_urn=urn, body=body))

    def update_function_config(self, urn: str, current: dict[str, Any], spec: FunctionSpec) -> dict[str, Any]:
        """Read-modify-write: every field of the current configuration the update takes, the template's on top."""
        body = update_body(current, spec)
        return self._call("update_function_config", UpdateFunctionConfigRequest(
            function_urn=urn, body=UpdateFunctionConfigRequestBody(**body)))

    def set_max_instances(self, urn: str, count: int) -> dict[str, Any]:
        body = UpdateFunctionMaxInstanceConfigRequestBody(max_instance_num=count)
        return self._call("update_function_max_instance_config",
                          UpdateFunctionMaxInstanceConfigRequest(function_urn=urn, body=body))

    def create_timer(self, urn: str, name: str, schedule_type: str, schedule: str, user_event: str,
                     enabled: bool) -> dict[str, Any]:
        data = TriggerEventDataRequestBody(name=name, schedule_type=schedule_type, schedule=schedule,
                                           user_event=user_event)
        body = CreateFunctionTriggerRequestBody(trigger_type_code="TIMER",
                                                trigger_status="ACTIVE" if enabled else "DISABLED", event_data=data)
        return self._call("create_function_trigger", CreateFunctionTriggerRequest(function_urn=urn, body=body))

    def set_trigger_status(self, urn: str, trigger_type: str, trigger_id: str, enabled: bool) -> dict[str, Any]:
        body = UpdateTriggerRequestBody(trigger_status="ACTIVE" if enabled else "DISABLED")
        return self._call("update_trigger", UpdateTriggerRequest(function_urn=urn, trigger_type_code=trigger_type,
                                                                 trigger_id=trigger_id, body=body))

    def publish_version(self, urn: str, name: str, description: str) -> dict[str, Any]:
        body = CreateFunctionVersionRequestBody(version=name, description=description)
        return self._call("create_function_version", CreateFunctionVersionRequest(function_urn=urn, body=body))

    def create_alias(self, urn: str, name: str, version: str, description: str) -> dict[str, Any]:
        body = CreateVersionAliasRequestBody(name=name, version=version, description=description)
        return self._call("create_version_alias", CreateVersionAliasRequest(function_urn=urn, body=body))

    def update_alias(self, urn: str, name: str, version: str, description: str) -> dict[str, Any]:
        body = UpdateVersionAliasRequestBody(version=version, description=description)
        return self._call("update_version_alias", UpdateVersionAliasRequest(function_urn=urn, alias_name=name,
                                                                            body=body))

    def set_async_config(self, urn: str, config: dict[str, Any]) -> dict[str, Any]:
        body = UpdateFunctionAsyncInvokeConfigRequestBody(**config)
        return self._call("update_function_async_invoke_config", UpdateFunctionAsyncInvokeConfigRequest(
            function_urn=urn, body=body))

    def set_tags(self, urn: str, tags: dict[str, str]) -> None:
        body = UpdateFunctionTagsRequestBody(action="create", tags=[KvItem(key=k, value=v) for k, v in tags.items()])
        self._call("create_tags", CreateTagsRequest(resource_type="functions", resource_id=urn, body=body))

    def delete_tags(self, urn: str, tags: dict[str, str]) -> None:
        body = UpdateFunctionTagsRequestBody(action="delete", tags=[KvItem(key=k, value=v) for k, v in tags.items()])
        self._call("delete_tags", DeleteTagsRequest(resource_type="functions", resource_id=urn, body=body))

    def delete_function(self, urn: str) -> None:
        """Without a qualifier: the function with its versions and aliases; with a version: that version."""
        self._call("delete_function", DeleteFunctionRequest(function_urn=urn))

    def delete_dependency_version(self, depend_id: str, version: int | str) -> None:
        self._call("delete_dependency_version", DeleteDependencyVersionRequest(depend_id=depend_id,
                                                                               version=str(version)))

    def delete_trigger(self, urn: str, trigger_type: str, trigger_id: str) -> None:
        self._call("delete_function_trigger", DeleteFunctionTriggerRequest(
            function_urn=urn, trigger_type_code=trigger_type, trigger_id=trigger_id))

    # ---- plumbing ---------------------------------------------------------------------------------------
    def _call(self, operation: str, request: Any) -> Any:
        return call_json(self.client, "FunctionGraph", operation, request)


def call_json(client: Any, service: str, operation: str, request: Any) -> Any:
    """One SDK call; its body as JSON (the raw body: SDK models drop unknown fields), or ApiError."""
    try:
        response = getattr(client, operation)(request)
    except ClientRequestException as exc:
        raise ApiError(f"{service} {operation}: HTTP {exc.status_code} {exc.error_code}: {exc.error_msg}",
                       exc.status_code) from None
    except SdkException as exc:
        raise ApiError(f"{service} {operation}: {type(exc).__name__}: {exc}") from None
    raw = getattr(response, "raw_content", None)
    if not raw:
        return {}
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(f"{service} {operation}: the answer is not JSON") from None


def update_body(current: dict[str, Any], spec: FunctionSpec) -> dict[str, Any]:
    """The UpdateFunctionConfig body: the current configuration (every field the update takes, as read), then
    the template's fields. encrypted_user_data is never echoed back (a service may mask it): the template's
    value, or nothing. The log group and stream stay as they are unless the template names them."""
    body = {key: current[key] for key in UPDATE_FIELDS if current.get(key) is not None}
    body.pop("encrypted_user_data", None)
    if current.get("enable_lts_log") and current.get("log_group_id"):
        body["log_config"] = {"group_id": current["log_group_id"], "stream_id": current.get("log_stream_id", "")}
    body.update(func_name=spec.func_name, runtime=spec.runtime, timeout=spec.timeout, handler=spec.handler,
                memory_size=spec.memory_size, user_data=spec.user_data, xrole=spec.xrole,
                description=spec.description, enable_lts_log=spec.enable_lts_log)
    if spec.encrypted_user_data is not None:
        body["encrypted_user_data"] = spec.encrypted_user_data
    if spec.log_config:
        body["log_config"] = spec.log_config
    if not spec.enable_lts_log:
        body.pop("log_config", None)
    if spec.enterprise_project_id:
        body["enterprise_project_id"] = spec.enterprise_project_id
    if spec.xrole is None:
        body.pop("xrole", None)
    return body


DEPLOY_VERSION = re.compile(r"v(\d{8}-\d{6})-(\d{3})")  # the names applier.publish_version gives (UTC)


def publish_order(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Oldest first. By name when deploy named every version (v<UTC time to the millisecond>); otherwise by
    last_modified (ISO text or epoch milliseconds); ties, and times that cannot be read, keep the service's
    order."""
    names = [DEPLOY_VERSION.fullmatch(str(v.get("version") or "")) for v in versions]
    if all(names):
        keys = [datetime.strptime(m[1] + m[2], "%Y%m%d-%H%M%S%f").replace(tzinfo=timezone.utc)  # type: ignore[index]
                for m in names]
    else:
        keys = [_instant(v.get("last_modified")) for v in versions]
    if any(k is None for k in keys):
        return list(versions)
    order = sorted(range(len(versions)), key=lambda i: (keys[i], i))
    return [versions[i] for i in order]


def _instant(value: Any) -> datetime | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, timezone.utc)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _log(config: dict[str, str] | None) -> FuncLogConfig | None:
    return FuncLogConfig(**config) if config else None
