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
agency, LTS log, enterprise project. Then: max instances, async invocation, tags, a new version when the
function changed (or the alias lags behind latest) with the alias moved to it. Timers are bound to the alias:
by name; a schedule or payload change creates the replacement under the timer's other name (<name> / <name>-r)
before the old trigger is deleted (the API cannot edit them), Enabled toggles in place, and timers not in the
template, or still on latest, are deleted after every create. A new FuncName/Package is a "replace": the old
function's timers and the old function go last. Old function and dependency versions beyond KeepVersions are
deleted (versions first: FunctionGraph keeps at most 10).
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
from .template import ALT_SUFFIX, Deployment, Timer
from .zipfile_det import MB

DIRECT_UPLOAD_MAX = 10 * MB
DEPLOY_PREFIX = "taskwatch/deploy/"  # large layer zips in the state bucket; the deployer's policy, not the agency's
NEW_VERSION = "<new dependency version>"
MAX_FUNCTION_VERSIONS = 10  # "Publishing a Function Version": a function has at most 10


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
    """What exists, read with GET requests only. `triggers` are those bound to latest (the unqualified URN),
    `alias_triggers` those on the alias; `predecessors` are other functions of this deployment (another name or
    package using the same state object), each {"function": ..., "triggers": [...every qualifier...]}."""

    function: dict[str, Any] | None
    dependency: dict[str, Any] | None
    versions: list[dict[str, Any]]
    triggers: list[dict[str, Any]]
    alias_triggers: list[dict[str, Any]] = field(default_factory=list)
    published: list[dict[str, Any]] = field(default_factory=list)
    aliases: list[dict[str, Any]] = field(default_factory=list)
    async_config: dict[str, Any] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    predecessors: list[dict[str, Any]] = field(default_factory=list)
    dependency_users: dict[str, set[str]] = field(default_factory=dict)  # version id -> functions outside


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


VERSION_KEYS = ("digest", "runtime", "handler", "memory_size", "timeout", "user_data", "xrole",
                "depend_version_list")  # compared between latest and the alias's version when both carry them
LAYER_LABEL = "taskwatch layer sha256="


def version_drift(latest: dict[str, Any], version: dict[str, Any]) -> list[str]:
    return [k for k in VERSION_KEYS if k in version and k in latest and version.get(k) != latest.get(k)]


def version_name(version: dict[str, Any]) -> str:
    return str(version.get("version") or "")


def layer_description(sha256: str) -> str:
    return f"{LAYER_LABEL}{sha256}"


def plan(d: Deployment, current: Current, art: Artifacts) -> list[Action]:
    """Every action of a deploy, in the order the applier carries them out."""
    function = current.function
    if function is not None and function.get("runtime") != d.runtime:
        return [Action("replace", "function", d.func_name,
                       f"runtime {function.get('runtime')} -> {d.runtime}: FunctionGraph cannot change a function's "
                       "runtime, and the replacement must exist before the old one's timers go: give FuncName a new "
                       f"name (e.g. {d.func_name}-{d.runtime.lower().replace('.', '')}) and deploy with replace",
                       "impossible")]
    actions: list[Action] = []
    for old in current.predecessors:
        f = old["function"]
        actions.append(Action("replace", "function", f"{f.get('package')}/{f.get('func_name')}",
                              f"by {d.package}/{d.func_name} ({f.get('runtime')} -> {d.runtime}): FunctionGraph cannot "
                              "rename a function or change its package or runtime; the new one is created and its "
                              "timers started first, then the old one's timers and the old function are deleted",
                              "confirm_replace"))
    version_id = _layer(d, current, art, actions)
    if function is None:
        actions.append(Action("create", "function", d.func_name,
                              f"{d.runtime}, {d.memory_size} MB, {d.timeout} s, code sha512 {art.code_sha512[:12]}",
                              "create_function"))
        actions.append(Action("update", "max instances", d.func_name, f"default -> {d.max_instances}",
                              "set_max_instances"))
    else:
        actions.append(_code(d, function, art, version_id))
        actions.append(_configuration(d, function, art.secrets_key))
        actions += _encrypted_outside(d, function, actions[-1].changes)
        have = (function.get("strategy_config") or {}).get("concurrency")
        if have == d.max_instances:
            actions.append(Action("no change", "max instances", d.func_name, str(have)))
        else:
            actions.append(Action("update", "max instances", d.func_name, f"{have} -> {d.max_instances}",
                                  "set_max_instances"))
    actions.append(_async(d, current.async_config if function is not None else None))
    actions.append(_tags(d, current.tags if function is not None else {}))
    # what changes THIS function (a predecessor's "replace" line does not: a retry of a cut-off replace would
    # otherwise publish the unchanged new function again at every attempt)
    function_changed = any(a.changes for a in actions if a.step != "confirm_replace" and a.kind in {
        "function", "function code", "function configuration", "max instances"})
    existing = current if function is not None else Current(None, current.dependency, current.versions, [],
                                                            dependency_users=current.dependency_users)
    publishing = _needs_publish(d, existing, function_changed)
    pruned = _prune_versions(d, existing, publishing)  # first: FunctionGraph keeps at most 10 versions
    actions += pruned
    _publish(d, existing, function_changed, actions)
    actions += _timers(d, current.alias_triggers if function is not None else [],
                       current.triggers if function is not None else [])
    for old in current.predecessors:
        name = f"{old['function'].get('package')}/{old['function'].get('func_name')}"
        for trigger in old["triggers"]:
            actions.append(Action("delete", "timer trigger", f"{name} {(trigger.get('event_data') or {}).get('name')}",
                                  "of the replaced function", "delete_old_trigger", {"trigger": trigger}))
        actions.append(Action("delete", "function", name, "replaced (with its versions and aliases)",
                              "delete_old_function", {"function": old["function"]}))
    gone = {version_name(a.data["version"]) for a in pruned}
    actions += _cleanup(d, existing, version_id, [v for v in existing.published if version_name(v) not in gone])
    return actions


def _async(d: Deployment, have: dict[str, Any] | None) -> Action:
    wanted = async_config(d)
    summary = (f"retries {wanted['max_async_retry_attempts']}, max event age {wanted['max_async_event_age_in_seconds']}"
               f" s, on failure {'SMN ' + d.parameters.get('TopicUrn', '') if d.async_failure_to_topic else 'nothing'}")
    if have is not None and all(have.get(k) == v for k, v in wanted.items() if k != "destination_config") and \
            _destinations(have.get("destination_config")) == _destinations(wanted.get("destination_config")):
        return Action("no change", "async invocation", d.func_name, summary)
    return Action("update", "async invocation", d.func_name, summary, "set_async_config", {"config": wanted})


def _tags(d: Deployment, have: dict[str, str]) -> Action:
    """The template's tags; tags it does not name are left alone (they may come from elsewhere, e.g. TMS)."""
    missing = {k: v for k, v in d.tags.items() if have.get(k) != v}
    if not missing:
        return Action("no change", "tags", d.func_name, ", ".join(f"{k}={v}" for k, v in sorted(d.tags.items())))
    changed = {k: have[k] for k in missing if k in have}
    return Action("update", "tags", d.func_name, ", ".join(f"{k}={v}" for k, v in sorted(missing.items())),
                  "set_tags", {"add": missing, "remove": changed})


def async_config(d: Deployment) -> dict[str, Any]:
    config: dict[str, Any] = {"max_async_retry_attempts": d.async_retries,
                              "max_async_event_age_in_seconds": d.async_max_age}
    # Always sent, empty when there is none: whether the update clears a field it leaves out is not documented,
    # and an earlier deploy's SMN target must go when OnFailureToTopic is turned off.
    config["destination_config"] = {}
    if d.async_failure_to_topic:
        config["destination_config"] = {"on_failure": {
            "destination": "SMN", "param": json.dumps({"topic_urn": d.parameters.get("TopicUrn", "")})}}
    return config


def _destinations(config: Any) -> dict[str, Any]:
    found = {}
    for side, target in (config or {}).items():
        if target:
            try:
                param = json.loads(target.get("param") or "{}")
            except ValueError:
                param = target.get("param")
            found[side] = (target.get("destination"), param)
    return found


def alias_of(d: Deployment, current: Current) -> dict[str, Any] | None:
    return next((a for a in current.aliases if a.get("name") == d.alias), None)


def _needs_publish(d: Deployment, current: Current, function_changed: bool) -> bool:
    return bool(_publish_reasons(d, current, function_changed)) and \
        _ready_version(d, current, function_changed) is None


READY_KEYS = (*VERSION_KEYS, "description", "encrypted_user_data", "enable_lts_log", "log_group_id",
              "log_stream_id")  # all must be carried, and equal, for a published version to stand for latest


def _ready_version(d: Deployment, current: Current, function_changed: bool) -> dict[str, Any] | None:
    """The newest published version, when it is latest exactly and the alias is elsewhere: what a deploy cut
    off between publishing and moving the alias left. The alias moves to it; publishing again would only add an
    identical version (and count against FunctionGraph's 10)."""
    if function_changed or current.function is None or not current.published:
        return None
    newest = current.published[-1]
    alias = alias_of(d, current)
    if alias is not None and str(alias.get("version")) == version_name(newest):
        return None
    latest = current.function
    if all(k in newest and k in latest and newest[k] == latest[k] for k in READY_KEYS):
        return newest
    return None


def _publish_reasons(d: Deployment, current: Current, function_changed: bool) -> list[str]:
    alias = alias_of(d, current)
    target = None if alias is None else next((v for v in current.published
                                              if version_name(v) == str(alias.get("version"))), None)
    reasons = []
    if function_changed:
        reasons.append("the function changed")
    elif alias is None:
        reasons.append(f"no alias {d.alias}")
    elif target is None:
        reasons.append(f"alias {d.alias} points at {alias.get('version')!r}, not a published version")
    elif current.function is not None and version_drift(current.function, target):
        drift = ", ".join(version_drift(current.function, target))
        reasons.append(f"latest differs from {target.get('version')} ({drift})")
    return reasons


def _publish(d: Deployment, current: Current, function_changed: bool, actions: list[Action]) -> bool:
    alias = alias_of(d, current)
    reasons = _publish_reasons(d, current, function_changed)
    if not reasons:
        actions.append(Action("no change", "function version", f"{d.alias} -> {alias['version']}"))  # type: ignore[index]
        return False
    ready = _ready_version(d, current, function_changed)
    if ready is not None:
        actions.append(Action("create" if alias is None else "update", "alias", d.alias,
                              f"{'new' if alias is None else alias.get('version')} -> {version_name(ready)} "
                              f"(already published, identical to latest; {reasons[0]})", "point_alias",
                              {"alias": alias, "version": version_name(ready)}))
        return True
    actions.append(Action("create", "function version", d.func_name, f"publish latest ({reasons[0]})",
                          "publish_version"))
    actions.append(Action("create" if alias is None else "update", "alias", d.alias,
                          f"{'new' if alias is None else alias.get('version')} -> the new version", "point_alias",
                          {"alias": alias}))
    return True


def _prune_versions(d: Deployment, current: Current, publishing: bool) -> list[Action]:
    """Published function versions beyond the newest KeepVersions (counting the one about to be published);
    never one an alias uses: deploy's (the running timers, a rollback) nor any other alias's, as its version or
    as an additional version with a traffic weight (a canary made in the console). FunctionGraph refuses to
    delete those, so trying would stop every deploy from then on."""
    published = list(current.published)
    names = [version_name(v) for v in published]
    keep_count = d.keep_versions - 1 if publishing else d.keep_versions
    in_use = versions_in_use(current.aliases) & set(names)
    newest = [n for n in names[max(0, len(names) - keep_count):] if n not in in_use] if keep_count > 0 else []
    room = MAX_FUNCTION_VERSIONS - (1 if publishing else 0) - len(in_use)
    kept = in_use | set(newest[max(0, len(newest) - max(0, room)):] if room > 0 else [])
    return [Action("delete", "function version", f"{d.func_name}:{version_name(v)}",
                   f"older than the newest {d.keep_versions}", "delete_function_version", {"version": v})
            for v in published if version_name(v) not in kept]


def versions_in_use(aliases: list[dict[str, Any]]) -> set[str]:
    """Every version an alias points at or shifts traffic to (additional_version_weights: an object, or JSON
    text as the older API reference writes it)."""
    used = set()
    for alias in aliases:
        used.add(str(alias.get("version")))
        weights = alias.get("additional_version_weights") or {}
        if isinstance(weights, str):
            try:
                weights = json.loads(weights)
            except ValueError:
                weights = {}
        used |= {str(v) for v in weights} if isinstance(weights, dict) else set()
    return used


def _cleanup(d: Deployment, current: Current, version_id: str, remaining: list[dict[str, Any]]) -> list[Action]:
    """This deployment's dependency versions beyond the newest KeepVersions that nothing kept uses."""
    actions: list[Action] = []
    if any("depend_version_list" not in v for v in remaining):
        return actions  # which dependency versions the kept versions use is unknown: delete none
    in_use = {version_id} | {dep for v in remaining for dep in v.get("depend_version_list") or []}
    in_use |= {version for version, users in current.dependency_users.items() if users}  # other functions'
    ours = sorted((v for v in current.versions if str(v.get("description", "")).startswith(LAYER_LABEL)),
                  key=lambda v: v.get("version") or 0)
    newest = {str(v["id"]) for v in ours[max(0, len(ours) - (d.keep_versions - (version_id == NEW_VERSION))):]}
    for version in ours:
        if str(version["id"]) in in_use or str(version["id"]) in newest:
            continue
        actions.append(Action("delete", "dependency version", f"{d.layer_name} v{version.get('version')}",
                              f"older than the newest {d.keep_versions} and unused"
                              + (f"; and its upload {version.get('link')}" if _our_upload(d, version) else ""),
                              "delete_dependency_version", {"version": version}))
    return actions


def _our_upload(d: Deployment, version: dict[str, Any]) -> str | None:
    """The state-bucket key of the zip deploy uploaded for this version, if it was (content-addressed key)."""
    link = str(version.get("link") or "")
    marker = f"/{DEPLOY_PREFIX}"
    if d.state_bucket and marker in link and (f"/{d.state_bucket}/" in link or f"//{d.state_bucket}." in link):
        return DEPLOY_PREFIX + link.split(marker, 1)[1]
    return None


def uploaded_key(d: Deployment, version: dict[str, Any]) -> str | None:
    return _our_upload(d, version)


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
    if d.enterprise_project_id and function.get("enterprise_project_id") != d.enterprise_project_id:
        changes.append(f"EnterpriseProjectId {function.get('enterprise_project_id')!r} -> {d.enterprise_project_id!r}")
    for label, key in (("GroupId", "log_group_id"), ("StreamId", "log_stream_id")):
        if d.log.get("Enabled") and d.log.get(label) and function.get(key) != d.log[label]:
            changes.append(f"Log.{label}")
    return changes


def encrypted_outside(d: Deployment, function: dict[str, Any]) -> list[str]:
    """Names of encrypted variables the function has, set by no deploy (set in the console, say): "(masked)"
    when the service masks them. Names only: the values are never read out. Once a deploy has set encrypted
    variables (its fingerprint is in the description) they are the template's to change or remove."""
    text = function.get("encrypted_user_data")
    if text in (None, "", "{}") or split_description(function.get("description") or "")[1] is not None:
        return []
    try:
        values = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        values = None
    if isinstance(values, dict):
        return sorted(set(values) - set(d.encrypted))
    return ["(masked)"]


def _encrypted_outside(d: Deployment, function: dict[str, Any], updating: bool) -> list[Action]:
    """UpdateFunctionConfig replaces the configuration, and deploy sends the template's encrypted variables only:
    ones set elsewhere would be lost without a word. Refused while the configuration must change."""
    outside = encrypted_outside(d, function)
    if not outside:
        return []
    names = ", ".join(outside)
    if not updating:
        return [Action("ignore", "encrypted variables", d.func_name,
                       f"{names} set outside the template: kept (no configuration update now); the next one "
                       "would remove them unless x-taskwatch.EncryptedVariables names them")]
    return [Action("refuse", "encrypted variables", d.func_name,
                   f"{names} set outside the template would be removed by this configuration update (it replaces "
                   "the whole configuration): add them to x-taskwatch.EncryptedVariables (value from a deploy "
                   "environment variable), or remove them from the function first", "impossible")]


def _configuration(d: Deployment, function: dict[str, Any], secrets_key: bytes) -> Action:
    changes = config_changes(d, function, secrets_key)
    if changes:
        return Action("update", "function configuration", d.func_name, ", ".join(changes), "update_config")
    return Action("no change", "function configuration", d.func_name)


def _timers(d: Deployment, on_alias: list[dict[str, Any]], on_latest: list[dict[str, Any]]) -> list[Action]:
    """Timers on the alias. A changed timer gets a new trigger under its other name (<name> / <name>-r) first;
    the old one goes after every create, so the schedule never has a gap. Timers still on latest (an earlier
    deploy's) are moved the same way: created on the alias, then deleted."""
    creates: list[Action] = []
    others: list[Action] = []
    deletes: list[Action] = []
    timers = [t for t in on_alias if t.get("trigger_type_code") == "TIMER"]
    claimed: set[str] = set()
    for timer in d.timers:
        names = (timer.name, timer.name + ALT_SUFFIX)
        mine = [t for t in timers if (t.get("event_data") or {}).get("name") in names]
        same = [t for t in mine if _same_timer(t, timer)]
        keep = same[0] if same else None
        claimed.update(t["trigger_id"] for t in mine)
        if keep is None:
            used = {(t.get("event_data") or {}).get("name") for t in mine}
            name = next((n for n in names if n not in used), None)
            if name is None:  # both names taken (an earlier replacement was cut off before its delete): free one
                freed = _first_to_go(mine)
                name = freed["event_data"]["name"]
                creates.append(Action("delete", "timer trigger", f"{d.alias} {name}",
                                      "replaced; deleted first to free its name (the other trigger still fires)",
                                      "delete_trigger", {"trigger": freed, "urn": d.alias_urn}))
                mine = [t for t in mine if t is not freed]
            creates.append(Action("create", "timer trigger", f"{d.alias} {name}",
                                  _describe(timer) + ("; replaces the old trigger" if mine else ""), "create_trigger",
                                  {"timer": timer, "name": name}))
        elif (keep.get("trigger_status") == "ACTIVE") != timer.enabled:
            others.append(Action("update", "timer trigger", f"{d.alias} {keep['event_data']['name']}",
                                 f"{keep.get('trigger_status')} -> {_status(timer)}", "set_trigger_status",
                                 {"timer": timer, "trigger": keep}))
        else:
            others.append(Action("no change", "timer trigger", f"{d.alias} {keep['event_data']['name']}",
                                 _describe(timer)))
        for trigger in mine:
            if trigger is not keep:
                deletes.append(Action("delete", "timer trigger", f"{d.alias} {trigger['event_data']['name']}",
                                      "replaced (schedule or user_event changed)" if not same else "duplicate",
                                      "delete_trigger", {"trigger": trigger, "urn": d.alias_urn}))
    for trigger in timers:
        if trigger["trigger_id"] not in claimed:
            name = (trigger.get("event_data") or {}).get("name")
            deletes.append(Action("delete", "timer trigger", f"{d.alias} {name}",
                                  "not in the template", "delete_trigger", {"trigger": trigger, "urn": d.alias_urn}))
    for trigger in on_latest:
        if trigger.get("trigger_type_code") == "TIMER":
            deletes.append(Action("delete", "timer trigger", f"latest {(trigger.get('event_data') or {}).get('name')}",
                                  f"bound to latest; timers fire through alias {d.alias}", "delete_trigger",
                                  {"trigger": trigger, "urn": d.function_urn}))
    return creates + others + deletes


def _first_to_go(triggers: list[dict[str, Any]]) -> dict[str, Any]:
    """Of two outdated triggers of one timer, the one to delete before the replacement exists: a disabled one
    (nothing lost), else the older, so an active one always fires until the new trigger does."""
    return sorted(triggers, key=lambda t: (t.get("trigger_status") == "ACTIVE", str(t.get("created_time") or "")))[0]


def _same_timer(trigger: dict[str, Any], timer: Timer) -> bool:
    data = trigger.get("event_data") or {}
    return (data.get("schedule_type"), data.get("schedule")) == (timer.schedule_type, timer.schedule) and \
        _same_event(data.get("user_event"), timer.user_event)


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
