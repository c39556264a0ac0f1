"""What a deployment is beyond one plan: its earlier functions (replace), rollback of the alias, destroy.

An earlier function of this deployment is one in the project, under another name or package, whose plain
variable TASKWATCH_STATE_URI names the same state object: two functions sharing one state object would both
alert, so such a function is this deployment's predecessor by construction (ListFunctions returns user_data).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from . import obs_upload
from .alarm import CesApi, ErrorAlarm, function_dimension, watching
from .fgapi import FunctionGraphApi
from .planner import LAYER_LABEL, uploaded_key, version_name
from .template import Deployment


class LifecycleError(Exception):
    pass


def base_urn(urn: str) -> str:
    """The unqualified URN (urn:fss:region:project:function:package:name)."""
    parts = urn.split(":")
    return ":".join(parts[:7])


def predecessors(api: FunctionGraphApi, d: Deployment) -> list[dict[str, Any]]:
    """Other functions of this deployment, each with its triggers (every qualifier; "_urn" says which)."""
    state = d.variables.get("TASKWATCH_STATE_URI")
    if not state:
        return []
    found = []
    for function in api.functions():
        urn = base_urn(str(function.get("func_urn") or ""))
        if urn == d.function_urn or _variables(function.get("user_data")).get("TASKWATCH_STATE_URI") != state:
            continue
        found.append({"function": function, "triggers": _triggers_everywhere(api, urn)})
    return found


def _triggers_everywhere(api: FunctionGraphApi, urn: str) -> list[dict[str, Any]]:
    triggers = []
    for qualified in [urn, *(f"{urn}:{a.get('name')}" for a in api.aliases(urn))]:
        triggers += [{**t, "_urn": qualified} for t in api.triggers(qualified)]
    return triggers


def rollback(api: FunctionGraphApi, d: Deployment, out: Callable[[str], None]) -> int:
    """Point the alias at the published version before the one it points at now."""
    alias = next((a for a in api.aliases(d.function_urn) if a.get("name") == d.alias), None)
    if alias is None:
        raise LifecycleError(f"{d.func_name} has no alias {d.alias}: nothing to roll back")
    names = [version_name(v) for v in api.versions(d.function_urn)]
    now = str(alias.get("version"))
    if now not in names or names.index(now) == 0:
        raise LifecycleError(f"alias {d.alias} points at {now}, which has no earlier published version to go back to "
                             f"(kept: {', '.join(names) or 'none'})")
    previous = names[names.index(now) - 1]
    out(f"rollback  alias {d.alias}: {now} -> {previous} (timers fire the previous version from now on; the next "
        "`make deploy` moves it to latest again)")
    api.update_alias(d.function_urn, d.alias, previous, f"rolled back from {now}")
    return 0


def destroy(api: FunctionGraphApi, ces: CesApi, d: Deployment, credentials: Any, obs_endpoint: str,
            out: Callable[[str], None], yes: bool, ask: Callable[[str], str] = input) -> int:
    """Remove everything deploy created: timers first (nothing fires any more), then the functions (with
    their versions and aliases), this deployment's dependency versions and uploaded zips, the alarm rule.
    The bucket and the topic were not created by deploy and stay."""
    steps: list[tuple[str, Callable[[], None]]] = []
    functions = []
    if api.show_function(d.function_urn) is not None:
        functions.append(d.function_urn)
    earlier = predecessors(api, d)
    functions += [base_urn(str(p["function"]["func_urn"])) for p in earlier]
    watched = {function_dimension(d.package, d.func_name)} | {
        function_dimension(p["function"].get("package"), p["function"].get("func_name")) for p in earlier}
    for urn in functions:
        for trigger in _triggers_everywhere(api, urn):
            name = (trigger.get("event_data") or {}).get("name") or trigger.get("trigger_id")
            kind = str(trigger.get("trigger_type_code", "")).lower()
            steps.append((f"delete    {kind} trigger {name} of {trigger['_urn']}",
                          _deleter(api.delete_trigger, trigger["_urn"], trigger["trigger_type_code"],
                                   trigger["trigger_id"])))
    for urn in functions:
        steps.append((f"delete    function {urn} (with its versions and aliases)",
                      _deleter(api.delete_function, urn)))
    dependency = api.find_dependency(d.layer_name)
    kept: list[str] = []
    used_by = dependency_users(api, set(functions)) if dependency else {}
    for version in api.dependency_versions(str(dependency["id"])) if dependency else []:
        if not str(version.get("description", "")).startswith(LAYER_LABEL):
            continue
        if used_by.get(str(version.get("id"))):
            kept.append(f"keep      dependency version {d.layer_name} v{version.get('version')}: used by "
                        f"{', '.join(sorted(used_by[str(version.get('id'))]))} (not this deployment's function)")
            continue
        steps.append((f"delete    dependency version {d.layer_name} v{version.get('version')}",
                      _deleter(api.delete_dependency_version, str(dependency["id"]), version["version"])))  # type: ignore[index]
        key = uploaded_key(d, version)
        if key:
            steps.append((f"delete    uploaded zip obs://{d.state_bucket}/{key}",
                          _deleter(obs_upload.delete_object, obs_endpoint, d.region, d.state_bucket, key,
                                   credentials.ak, credentials.sk, credentials.token)))
    error_alarm = ErrorAlarm.from_template(d.error_alarm)
    if error_alarm is not None:
        rules = watching(ces.rules_named(error_alarm.name), watched)  # never another function's rule
        if rules:
            ids = [str(r["alarm_id"]) for r in rules]
            steps.append((f"delete    alarm rule {error_alarm.name} ({', '.join(ids)})",
                          _deleter(ces.delete_rules, ids)))
    out(f"destroy {d.func_name} in {d.region}: {len(steps)} to delete (the bucket {d.state_bucket or '-'} and the "
        "topic stay: deploy did not create them)")
    for line, _ in steps:
        out(line)
    for line in kept:
        out(line)
    if not steps:
        out("destroy: nothing to delete")
        return 0
    if not yes:
        if not sys.stdin.isatty():
            raise LifecycleError("destroy needs confirmation: run `make destroy CONFIRM=1` (deploy.py destroy --yes)")
        if ask(f"Delete these {len(steps)}? Type yes: ").strip() != "yes":
            out("destroy: cancelled, nothing deleted")
            return 1
    for _, step in steps:
        step()
    out(f"destroy: {len(steps)} deleted")
    return 0


def dependency_users(api: FunctionGraphApi, ours: set[str]) -> dict[str, set[str]]:
    """Dependency version id -> the functions outside this deployment that use it, as ListFunctions reports
    them (depend_version_list, or the ids in dependencies): deleting it would break them."""
    users: dict[str, set[str]] = {}
    for function in api.functions():
        if base_urn(str(function.get("func_urn") or "")) in ours:
            continue
        ids = {str(v) for v in function.get("depend_version_list") or []}
        ids |= {str(dep.get("id")) for dep in function.get("dependencies") or [] if isinstance(dep, dict)}
        for version_id in ids:
            users.setdefault(version_id, set()).add(f"{function.get('package')}/{function.get('func_name')}")
    return users


def _deleter(call: Callable[..., Any], *args: Any) -> Callable[[], None]:
    def run() -> None:
        call(*args)

    return run


def _variables(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text) if isinstance(text, str) and text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
