"""What exists vs what the template wants -> the actions of a deploy, one line each (pure: no calls).

Dependency version: reused only when FunctionGraph's own account of its content matches the local zip: the
same runtime, `size` (bytes) and `etag`, which the API documents as the MD5 checksum of the dependency file
(ListDependencyVersion / ShowDependencyVersion: "etag: unique identifier (MD5 checksum)", "size: dependency
size"). The description ("taskwatch layer sha256=<hex>") only labels a version for people: anyone allowed to
create dependency versions in the account can write any description, and the layer build is reproducible,
so the hash in it is predictable: a version planted with that description and other content is never reused.
Forging one with the right MD5 and size would take an MD5 second preimage of a zip this deploy already holds,
which no known attack gives. Without a match, a version is created.
Function code: FunctionGraph's digest is the SHA-512 of the code zip, compared with the local zip's; the code
is also updated when the attached dependency versions differ. Configuration: handler, runtime, memory,
timeout, description, plain variables, encrypted variables (through their keyed fingerprint, redact.py),
agency, LTS log. Timers: by name; schedule or payload changes replace the trigger (the API cannot edit them),
Enabled toggles it in place, and timers not in the template are deleted.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .redact import matches, split_description
from .template import Deployment, Timer
from .zipfile_det import MB

DIRECT_UPLOAD_MAX = 10 * MB
DEPLOY_PREFIX = "taskwatch/deploy/"  # large layer zips in the state bucket; the deployer's policy, not the agency's
NEW_VERSION = "<new dependency version>"


@dataclass(frozen=True)
class Artifacts:
    """What this deploy holds locally: the zips, their digests, and the key of the encrypted variables'
    fingerprint (redact.fingerprint_key; never stored, never printed)."""

    code_path: Path
    code_sha512: str
    layer_path: Path
    layer_sha256: str
    layer_size: int
    layer_md5: str
    secrets_key: bytes = field(repr=False)


@dataclass
class Current:
    function: dict[str, Any] | None
    dependency: dict[str, Any] | None
    versions: list[dict[str, Any]]
    triggers: list[dict[str, Any]]


@dataclass
class Action:
    verb: str  # create | update | delete | no change
    kind: str
    name: str
    detail: str = ""
    step: str | None = None  # what the applier does; None for "no change"
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def changes(self) -> bool:
        return self.step is not None

    def line(self) -> str:
        return f"{self.verb:<9} {self.kind} {self.name}" + (f": {self.detail}" if self.detail else "")


def layer_description(sha256: str) -> str:
    return f"taskwatch layer sha256={sha256}"


def plan(d: Deployment, current: Current, art: Artifacts) -> list[Action]:
    actions: list[Action] = []
    version_id = _layer(d, current, art, actions)
    function = current.function
    if function is None:
        actions.append(Action("create", "function", d.func_name,
                              f"{d.runtime}, {d.memory_size} MB, {d.timeout} s, code sha512 {art.code_sha512[:12]}",
                              "create_function"))
        actions.append(Action("update", "max instances", d.func_name, f"default -> {d.max_instances}",
                              "set_max_instances"))
    else:
        actions.append(_code(d, function, art, version_id))
        actions.append(_configuration(d, function, art.secrets_key))
        have = (function.get("strategy_config") or {}).get("concurrency")
        if have == d.max_instances:
            actions.append(Action("no change", "max instances", d.func_name, str(have)))
        else:
            actions.append(Action("update", "max instances", d.func_name, f"{have} -> {d.max_instances}",
                                  "set_max_instances"))
    actions += _timers(d, current.triggers if function is not None else [])
    return actions


def same_content(version: dict[str, Any], art: Artifacts) -> bool:
    """Whether FunctionGraph reports this version's file as the local zip: its size and its etag (the MD5)."""
    size = version.get("size")
    return (isinstance(size, int) and not isinstance(size, bool) and size == art.layer_size
            and normalized_etag(version.get("etag")) == art.layer_md5)


def normalized_etag(etag: Any) -> str | None:
    """The MD5 in an etag as lower-case hex. The documents say "MD5 checksum" without the form: hex (as OBS
    writes ETags, possibly quoted) and base64 (as Content-MD5 is written) are both read; anything else is None."""
    if not isinstance(etag, str):
        return None
    text = etag.strip().strip('"')
    if re.fullmatch(r"[0-9a-fA-F]{32}", text):
        return text.lower()
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 16 else None


def reusable_version(d: Deployment, versions: list[dict[str, Any]], art: Artifacts) -> dict[str, Any] | None:
    """The newest existing version with this runtime and exactly the local zip's content, or None."""
    matching = [v for v in versions if v.get("runtime") == d.runtime and same_content(v, art)]
    return max(matching, key=lambda v: v.get("version") or 0) if matching else None


def _layer(d: Deployment, current: Current, art: Artifacts, actions: list[Action]) -> str:
    version = reusable_version(d, current.versions, art)
    if version is not None:
        actions.append(Action("no change", "dependency version", f"{d.layer_name} v{version.get('version')}",
                              f"size {art.layer_size} and MD5 etag match the local zip "
                              f"(sha256 {art.layer_sha256[:12]})"))
        return str(version["id"])
    wanted = layer_description(art.layer_sha256)
    for impostor in (v for v in current.versions if v.get("description") == wanted):
        actions.append(Action("ignore", "dependency version", f"{d.layer_name} v{impostor.get('version')}",
                              "NOT reused: it carries this layer's description, but FunctionGraph reports another "
                              f"size or etag ({impostor.get('size')!r}, {impostor.get('etag')!r}) or runtime"))
    route = (f"through OBS obs://{d.state_bucket}/{obs_key(d, art)}" if art.layer_size > DIRECT_UPLOAD_MAX
             else "direct upload")
    actions.append(Action("create", "dependency version", d.layer_name,
                          f"{d.runtime}, sha256 {art.layer_sha256[:12]}, {art.layer_size / MB:.1f} MB, {route}",
                          "create_dependency_version"))
    return NEW_VERSION


def obs_key(d: Deployment, art: Artifacts) -> str:
    """Where a large layer zip goes in the state bucket (content-addressed)."""
    return f"{DEPLOY_PREFIX}{art.layer_path.stem}-{art.layer_sha256[:16]}.zip"


def _code(d: Deployment, function: dict[str, Any], art: Artifacts, version_id: str) -> Action:
    reasons = []
    if function.get("digest") != art.code_sha512:
        reasons.append(f"code sha512 {str(function.get('digest'))[:12]} -> {art.code_sha512[:12]}")
    attached = list(function.get("depend_version_list") or [])
    if attached != [version_id]:
        reasons.append(f"dependency versions {attached} -> [{version_id}]")
    if reasons:
        return Action("update", "function code", d.func_name, "; ".join(reasons), "update_code")
    return Action("no change", "function code", d.func_name, f"sha512 {art.code_sha512[:12]}")


def config_changes(d: Deployment, function: dict[str, Any], secrets_key: bytes) -> list[str]:
    """What differs, by template field; variable NAMES only, never values."""
    changes = []
    for label, key, want in (("Runtime", "runtime", d.runtime), ("Handler", "handler", d.handler),
                             ("MemorySize", "memory_size", d.memory_size), ("Timeout", "timeout", d.timeout)):
        if function.get(key) != want:
            changes.append(f"{label} {function.get(key)!r} -> {want!r}")
    base, stored = split_description(function.get("description") or "")
    if base != d.description:
        changes.append("Description")
    have = _json_object(function.get("user_data"))
    names = sorted(k for k in set(have) | set(d.variables) if have.get(k) != d.variables.get(k))
    if names:
        changes.append(f"Environment.Variables ({', '.join(names)})")
    if not matches(stored, d.encrypted, secrets_key, d.function_urn):
        changes.append(f"EncryptedVariables ({', '.join(sorted(d.encrypted)) or 'removed'})")
    if (function.get("xrole") or None) != (d.agency or None):
        changes.append(f"Agency {function.get('xrole') or None!r} -> {d.agency!r}")
    if bool(function.get("enable_lts_log")) != bool(d.log.get("Enabled")):
        changes.append(f"Log.Enabled {bool(function.get('enable_lts_log'))} -> {bool(d.log.get('Enabled'))}")
    for label, key in (("GroupId", "log_group_id"), ("StreamId", "log_stream_id")):
        if d.log.get("Enabled") and d.log.get(label) and function.get(key) != d.log[label]:
            changes.append(f"Log.{label}")
    return changes


def _configuration(d: Deployment, function: dict[str, Any], secrets_key: bytes) -> Action:
    changes = config_changes(d, function, secrets_key)
    if changes:
        return Action("update", "function configuration", d.func_name, ", ".join(changes), "update_config")
    return Action("no change", "function configuration", d.func_name)


def _timers(d: Deployment, triggers: list[dict[str, Any]]) -> list[Action]:
    existing: dict[str, list[dict[str, Any]]] = {}
    for trigger in triggers:
        if trigger.get("trigger_type_code") == "TIMER":
            existing.setdefault((trigger.get("event_data") or {}).get("name", ""), []).append(trigger)
    wanted = {timer.name: timer for timer in d.timers}
    deletes: list[Action] = []
    others: list[Action] = []
    for name, found in sorted(existing.items()):
        extras = found if name not in wanted else found[1:]
        for trigger in extras:
            deletes.append(Action("delete", "timer trigger", name or trigger["trigger_id"],
                                  "not in the template" if name not in wanted else "duplicate name",
                                  "delete_trigger", {"trigger": trigger}))
    for timer in d.timers:
        found = existing.get(timer.name)
        if not found:
            others.append(Action("create", "timer trigger", timer.name, _describe(timer), "create_trigger",
                                 {"timer": timer}))
            continue
        trigger = found[0]
        data = trigger.get("event_data") or {}
        if (data.get("schedule_type"), data.get("schedule")) != (timer.schedule_type, timer.schedule) or \
                not _same_event(data.get("user_event"), timer.user_event):
            others.append(Action("update", "timer trigger", timer.name,
                                 f"replace (schedule or user_event changed): {_describe(timer)}", "replace_trigger",
                                 {"timer": timer, "trigger": trigger}))
        elif (trigger.get("trigger_status") == "ACTIVE") != timer.enabled:
            others.append(Action("update", "timer trigger", timer.name,
                                 f"{trigger.get('trigger_status')} -> {_status(timer)}", "set_trigger_status",
                                 {"timer": timer, "trigger": trigger}))
        else:
            others.append(Action("no change", "timer trigger", timer.name, _describe(timer)))
    return deletes + others


def _describe(timer: Timer) -> str:
    return f"{timer.schedule_type} {timer.schedule}, {_status(timer)}, user_event {timer.user_event}"


def _status(timer: Timer) -> str:
    return "ACTIVE" if timer.enabled else "DISABLED"


def _same_event(have: Any, want: str) -> bool:
    if have == want:
        return True
    try:
        return json.loads(have) == json.loads(want)
    except (TypeError, ValueError):
        return False


def _json_object(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text) if isinstance(text, str) and text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
