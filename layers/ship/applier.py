"""Carry a plan out, in its order: dependency version, function (code, configuration), max instances, timers."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
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
        encrypted_user_data=encrypted, xrole=d.agency, enable_lts_log=bool(d.log.get("Enabled")), log_config=log)


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
        spec = function_spec(self.d, self.current.function, self.art.secrets_key)
        self.api.update_function_config(self.d.function_urn, spec)

    def set_max_instances(self, action: Action) -> None:
        self.api.set_max_instances(self.d.function_urn, self.d.max_instances)

    def create_trigger(self, action: Action) -> None:
        timer = action.data["timer"]
        self.api.create_timer(self.d.function_urn, timer.name, timer.schedule_type, timer.schedule,
                              timer.user_event, timer.enabled)

    def replace_trigger(self, action: Action) -> None:
        self.delete_trigger(action)
        self.create_trigger(action)

    def set_trigger_status(self, action: Action) -> None:
        trigger = action.data["trigger"]
        self.api.set_trigger_status(self.d.function_urn, trigger["trigger_type_code"], trigger["trigger_id"],
                                    action.data["timer"].enabled)

    def delete_trigger(self, action: Action) -> None:
        trigger = action.data["trigger"]
        self.api.delete_trigger(self.d.function_urn, trigger["trigger_type_code"], trigger["trigger_id"])

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
