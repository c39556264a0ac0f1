"""Carry a plan out, in its order: dependency version, function (code, configuration), max instances, async
invocation, version + alias, timers on the alias (creates before deletes), a replaced function, clean-up."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from . import obs_upload
from .fgapi import FunctionGraphApi, FunctionSpec
from .planner import (
    DIRECT_UPLOAD_MAX,
    NEW_VERSION,
    Action,
    Artifacts,
    Current,
    layer_description,
    obs_key,
    reusable_version,
    uploaded_key,
    version_name,
)
from .redact import description_with, split_description
from .template import Deployment


@dataclass(frozen=True)
class Credentials:
    ak: str
    sk: str
    token: str | None

    def __repr__(self) -> str:
        return "Credentials(***)"


def function_spec(d: Deployment, current_function: dict[str, Any] | None, secrets_key: bytes) -> FunctionSpec:
    _, stored = split_description((current_function or {}).get("description") or "")
    if d.encrypted:
        encrypted: str | None = json.dumps(dict(d.encrypted), sort_keys=True, separators=(",", ":"))
    else:
        encrypted = "{}" if stored else None  # clear what an earlier deploy set
    log = None
    if d.log.get("Enabled") and d.log.get("GroupId"):
        log = {"group_id": d.log["GroupId"], "stream_id": d.log["StreamId"]}
        log.update({k: d.log[v] for k, v in (("group_name", "GroupName"), ("stream_name", "StreamName"))
                    if d.log.get(v)})
    return FunctionSpec(
        func_name=d.func_name, package=d.package, runtime=d.runtime, handler=d.handler, memory_size=d.memory_size,
        timeout=d.timeout, description=description_with(d.description, d.encrypted, secrets_key, d.function_urn),
        user_data=json.dumps(dict(d.variables), sort_keys=True, separators=(",", ":")),
        encrypted_user_data=encrypted, xrole=d.agency, enable_lts_log=bool(d.log.get("Enabled")), log_config=log,
        enterprise_project_id=d.enterprise_project_id)


class Applier:
    def __init__(self, api: FunctionGraphApi, d: Deployment, current: Current, art: Artifacts,
                 credentials: Credentials, obs_endpoint: str, say: Callable[[str], None]) -> None:
        self.api = api
        self.d = d
        self.current = current
        self.art = art
        self.credentials = credentials
        self.obs_endpoint = obs_endpoint
        self.say = say
        self.version_id = self._existing_version()
        self.function = current.function
        self.published: str | None = None

    def run(self, actions: list[Action]) -> int:
        done = 0
        for action in actions:
            self.say(action.line())
            if action.step:
                getattr(self, action.step)(action)
                done += 1
        return done

    # ---- steps --------------------------------------------------------------------------------------------
    def create_dependency_version(self, action: Action) -> None:
        data = self.art.layer_path.read_bytes()
        description = layer_description(self.art.layer_sha256)
        if len(data) > DIRECT_UPLOAD_MAX:
            key = obs_key(self.d, self.art)
            link = obs_upload.put_object(self.obs_endpoint, self.d.region, self.d.state_bucket, key, data,
                                         self.credentials.ak, self.credentials.sk, self.credentials.token)
            self.say(f"          uploaded {len(data)} bytes to obs://{self.d.state_bucket}/{key}")
            created = self.api.create_dependency_version(self.d.layer_name, self.d.runtime, description, link=link)
        else:
            created = self.api.create_dependency_version(self.d.layer_name, self.d.runtime, description,
                                                         file_b64=base64.b64encode(data).decode("ascii"))
        self.version_id = str(created["id"])
        self.say(f"          dependency version {created.get('version')} id {self.version_id}")

    def create_function(self, action: Action) -> None:
        spec = function_spec(self.d, None, self.art.secrets_key)
        self.api.create_function(spec, self._code(), self.art.code_path.name, [self._version()])

    def update_code(self, action: Action) -> None:
        self.api.update_function_code(self.d.function_urn, self._code(), self.art.code_path.name, [self._version()])

    def update_config(self, action: Action) -> None:
        """Read-modify-write on what the service holds now (re-read: the code update may have changed it)."""
        current = self.api.show_function(self.d.function_urn) or self.current.function or {}
        spec = function_spec(self.d, current, self.art.secrets_key)
        self.api.update_function_config(self.d.function_urn, current, spec)

    def impossible(self, action: Action) -> None:
        raise RuntimeError(action.detail)

    def confirm_replace(self, action: Action) -> None:
        """Nothing to send: deploy.py refused the plan unless replace was asked for."""

    def set_async_config(self, action: Action) -> None:
        self.api.set_async_config(self.d.function_urn, action.data["config"])

    def set_tags(self, action: Action) -> None:
        if action.data["remove"]:  # a changed value: the old pair goes first
            self.api.delete_tags(self.d.function_urn, action.data["remove"])
        self.api.set_tags(self.d.function_urn, action.data["add"])

    def publish_version(self, action: Action) -> None:
        name = datetime.now(timezone.utc).strftime("v%Y%m%d-%H%M%S-%f")[:-3]  # unique, and sorts by time
        created = self.api.publish_version(self.d.function_urn, name, f"deploy of code sha512 "
                                           f"{self.art.code_sha512[:16]}")
        self.published = version_name(created) or name
        self.say(f"          published version {self.published}")

    def point_alias(self, action: Action) -> None:
        if self.published is None:
            self.published = action.data.get("version")  # a version an interrupted deploy already published
        if self.published is None:
            raise RuntimeError("the version was not published before the alias needed it")
        description = f"deployed {datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}"
        if action.data["alias"] is None:
            self.api.create_alias(self.d.function_urn, self.d.alias, self.published, description)
        else:
            self.api.update_alias(self.d.function_urn, self.d.alias, self.published, description)

    def delete_function_version(self, action: Action) -> None:
        self.api.delete_function(f"{self.d.function_urn}:{version_name(action.data['version'])}")

    def delete_dependency_version(self, action: Action) -> None:
        version = action.data["version"]
        self.api.delete_dependency_version(str(version.get("dep_id") or self.current.dependency["id"]),  # type: ignore[index]
                                           version["version"])
        key = uploaded_key(self.d, version)
        if key:
            obs_upload.delete_object(self.obs_endpoint, self.d.region, self.d.state_bucket, key, self.credentials.ak,
                                     self.credentials.sk, self.credentials.token)

    def delete_old_trigger(self, action: Action) -> None:
        trigger = action.data["trigger"]
        self.api.delete_trigger(trigger["_urn"], trigger["trigger_type_code"], trigger["trigger_id"])

    def delete_old_function(self, action: Action) -> None:
        urn = str(action.data["function"]["func_urn"])
        self.api.delete_function(urn.rsplit(":", 1)[0] if urn.endswith(":latest") else urn)

    def set_max_instances(self, action: Action) -> None:
        self.api.set_max_instances(self.d.function_urn, self.d.max_instances)

    def create_trigger(self, action: Action) -> None:
        timer = action.data["timer"]
        self.api.create_timer(self.d.alias_urn, action.data["name"], timer.schedule_type, timer.schedule,
                              timer.user_event, timer.enabled)

    def set_trigger_status(self, action: Action) -> None:
        trigger = action.data["trigger"]
        self.api.set_trigger_status(self.d.alias_urn, trigger["trigger_type_code"], trigger["trigger_id"],
                                    action.data["timer"].enabled)

    def delete_trigger(self, action: Action) -> None:
        trigger = action.data["trigger"]
        self.api.delete_trigger(action.data["urn"], trigger["trigger_type_code"], trigger["trigger_id"])

    # ---- helpers ------------------------------------------------------------------------------------------
    def _existing_version(self) -> str:
        version = reusable_version(self.d, self.current.versions, self.art)
        return str(version["id"]) if version is not None else NEW_VERSION

    def _version(self) -> str:
        if self.version_id == NEW_VERSION:
            raise RuntimeError("the dependency version was not created before the function needed it")
        return self.version_id

    def _code(self) -> str:
        return base64.b64encode(self.art.code_path.read_bytes()).decode("ascii")
