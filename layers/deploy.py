"""`make plan` / `make deploy`: apply template.yaml to FunctionGraph with huaweicloudsdkfunctiongraph (v2), and
the Cloud Eye alarm rule on the function's error count with huaweicloudsdkces (v2; ship/alarm.py).

    python layers/deploy.py plan     [--template template.yaml]   # what would change; changes nothing
    python layers/deploy.py apply    [--template template.yaml] [--replace]   # make it so
    python layers/deploy.py rollback [--template template.yaml]   # the alias back to the previous version
    python layers/deploy.py destroy  [--template template.yaml] [--yes]   # remove what deploy created
    python layers/deploy.py policy [--template template.yaml] [--only regional|global|deployer|assume|member]
                                      # the IAM steps and policies (layers/*-policy*.json), filled in

One line per action: create / update / delete / replace / no change. A deploy with nothing changed sends no
mutating request (reads only). "replace" (a new FuncName or Package: FunctionGraph can change neither, nor the
runtime) is refused unless --replace is given; the new function and its timers come first, then the old
function's timers, then the old function. The template is validated against layers/template.schema.json
first, and the function's environment against the function's own configuration loader; a violation is refused
naming the field.

Environment: CLOUD_SDK_AK / CLOUD_SDK_SK (/ CLOUD_SDK_SECURITY_TOKEN); project CLOUD_SDK_PROJECT_ID or
TASKWATCH_DEPLOY_PROJECT_ID; the template's parameters (TASKWATCH_DEPLOY_TOPIC_URN, ...); endpoint overrides
TASKWATCH_ENDPOINT_FUNCTIONGRAPH, TASKWATCH_ENDPOINT_CES and TASKWATCH_ENDPOINT_OBS, checked by the function's
own urls.py (https, or plain http on loopback only; hosts outside the Huawei Cloud domains need
TASKWATCH_ALLOW_FOREIGN_ENDPOINTS=1, as for the function; the host as urllib3 reads it must be the host
checked). No secret is ever printed: every line goes through a scrubber that knows the credentials and the
encrypted values. TASKWATCH_DEPLOY_FINGERPRINT_KEY (optional, 32+ characters): the key of the encrypted
variables' fingerprint when several deployers (or rotating temporary keys) deploy the same function; see
ship/redact.py.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ship import alarm, lifecycle, obs_upload, paths, policy
from ship.applier import Applier, Credentials
from ship.fgapi import DEFAULT_ENDPOINT, ApiError, FunctionGraphApi
from ship.planner import Artifacts, Current, plan
from ship.redact import Redactor, fingerprint_key
from ship.template import Deployment, TemplateError, load


class DeployError(Exception):
    pass


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["plan", "apply", "policy", "rollback", "destroy"])
    parser.add_argument("--replace", action="store_true",
                        help="apply: allow replacing the function (new name, package or runtime)")
    parser.add_argument("--yes", action="store_true", help="destroy: do not ask for confirmation")
    parser.add_argument("--template", type=Path, default=paths.TEMPLATE)
    parser.add_argument("--only", choices=["regional", "global", "deployer", "assume", "member"],
                        help="policy: print only this policy's JSON (for piping)")
    args = parser.parse_args(argv)
    env = os.environ if environ is None else environ
    project = env.get("CLOUD_SDK_PROJECT_ID") or env.get("TASKWATCH_DEPLOY_PROJECT_ID") or ""
    try:
        deployment = load(args.template, env, project or None)
    except TemplateError as exc:
        print(f"{args.template.name} refused:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    if args.command == "policy":
        return print_policies(deployment, env, project, args.only)
    say = Redactor([env.get("CLOUD_SDK_AK"), env.get("CLOUD_SDK_SK"), env.get("CLOUD_SDK_SECURITY_TOKEN"),
                    env.get("TASKWATCH_DEPLOY_FINGERPRINT_KEY"), *deployment.encrypted.values()])
    try:
        return run(args.command, deployment, env, project, lambda line: print(say(line), flush=True),
                   replace=args.replace, yes=args.yes)
    except (DeployError, ApiError, obs_upload.ObsUploadError, lifecycle.LifecycleError) as exc:
        from taskwatch.sanitize import one_line  # importable: Redactor made function/ importable

        # Scrubbed (deploy's secrets) first, then cleaned: an API's error text may carry ANSI or line breaks.
        print(one_line(say(f"deploy: {exc}"), 2000), file=sys.stderr)
        return 1


def run(command: str, d: Deployment, env: Mapping[str, str], project: str, out: Callable[[str], None],
        replace: bool = False, yes: bool = False) -> int:
    ak, sk = env.get("CLOUD_SDK_AK", ""), env.get("CLOUD_SDK_SK", "")
    if not ak or not sk:
        raise DeployError("set CLOUD_SDK_AK and CLOUD_SDK_SK (and CLOUD_SDK_SECURITY_TOKEN for temporary keys)")
    if not project:
        raise DeployError("set CLOUD_SDK_PROJECT_ID (or TASKWATCH_DEPLOY_PROJECT_ID): the project to deploy to")
    credentials = Credentials(ak, sk, env.get("CLOUD_SDK_SECURITY_TOKEN") or None)
    try:
        secrets_key = fingerprint_key(sk, env.get("TASKWATCH_DEPLOY_FINGERPRINT_KEY") or None)
    except ValueError as exc:
        raise DeployError(str(exc)) from None
    endpoint = _endpoint(env, "TASKWATCH_ENDPOINT_FUNCTIONGRAPH", DEFAULT_ENDPOINT).replace("{region}", d.region)
    obs_endpoint = _endpoint(env, "TASKWATCH_ENDPOINT_OBS", obs_upload.DEFAULT_OBS)
    api = FunctionGraphApi(endpoint, project, credentials.ak, credentials.sk, credentials.token)
    if command == "rollback":
        return lifecycle.rollback(api, d, out)
    if command == "destroy":
        ces_api = alarm.CesApi(_endpoint(env, "TASKWATCH_ENDPOINT_CES", alarm.DEFAULT_ENDPOINT).replace(
            "{region}", d.region), project, credentials.ak, credentials.sk, credentials.token)
        return lifecycle.destroy(api, ces_api, d, credentials, obs_endpoint, out, yes)
    artifacts = _artifacts(d, secrets_key)
    current = read_current(api, d)
    actions = plan(d, current, artifacts)
    error_alarm = alarm.ErrorAlarm.from_template(d.error_alarm)
    ces = None if error_alarm is None else alarm.CesApi(
        _endpoint(env, "TASKWATCH_ENDPOINT_CES", alarm.DEFAULT_ENDPOINT).replace("{region}", d.region), project,
        credentials.ak, credentials.sk, credentials.token)
    ours = {alarm.function_dimension(d.package, d.func_name)} | {
        alarm.function_dimension(p["function"].get("package"), p["function"].get("func_name"))
        for p in current.predecessors}
    alarm_actions = [] if ces is None or error_alarm is None else \
        alarm.plan_alarm(d, error_alarm, alarm.watching(ces.rules_named(error_alarm.name), ours))
    out(f"{command} {d.func_name} in {d.region} (project {project}, {d.runtime}):")
    if d.agency and (current.function is None or current.function.get("xrole") != d.agency):
        out(f"note      agency {d.agency} is not managed by deploy: it needs the regional and the global policy "
            "that `python layers/deploy.py policy` prints, with the steps to grant them")
    if command == "plan":
        for action in actions + alarm_actions:
            out(action.line())
    else:
        impossible = [a for a in actions if a.step == "impossible"]
        if impossible:
            raise DeployError(impossible[0].detail)
        if any(a.verb == "replace" for a in actions) and not replace:
            for action in actions:
                out(action.line())
            raise DeployError("this deploy replaces the function (see the replace lines): run `make deploy "
                              "REPLACE=1` (layers/deploy.py apply --replace) to do it")
        Applier(api, d, current, artifacts, credentials, obs_endpoint, out).run(actions)
        if ces is not None:
            alarm.apply_alarm(ces, alarm_actions, out)
    changes = sum(1 for action in actions + alarm_actions if action.changes)
    verb = "would change" if command == "plan" else "changed"
    out(f"{command}: {changes} {verb}" if changes else f"{command}: no changes")
    return 0


def read_current(api: FunctionGraphApi, d: Deployment) -> Current:
    """Everything deploy compares against, read with GET requests only."""
    function = api.show_function(d.function_urn)
    dependency = api.find_dependency(d.layer_name)
    versions = api.dependency_versions(str(dependency["id"])) if dependency else []
    earlier = lifecycle.predecessors(api, d)
    ours = {d.function_urn} | {lifecycle.base_urn(str(p["function"].get("func_urn") or "")) for p in earlier}
    current = Current(function, dependency, versions, [], predecessors=earlier,
                      dependency_users=lifecycle.dependency_users(api, ours) if dependency else {})
    if function is not None:
        current.triggers = api.triggers(d.function_urn)
        current.published = api.versions(d.function_urn)
        current.aliases = api.aliases(d.function_urn)
        current.async_config = api.async_config(d.function_urn)
        current.tags = api.tags(d.function_urn)
        if any(a.get("name") == d.alias for a in current.aliases):
            current.alias_triggers = api.triggers(d.alias_urn)
    return current


def print_policies(d: Deployment, env: Mapping[str, str], project: str, only: str | None) -> int:
    """The IAM steps and the three policies, filled in (or one policy's JSON alone with --only)."""
    try:
        values = policy.values_for(d, env)
        documents = policy.policies(values)
    except policy.PolicyError as exc:
        print(f"policy: {exc}", file=sys.stderr)
        return 2
    if only:
        print(json.dumps(documents[only], indent=2))
        return 0
    print("\n".join(policy.steps(d, values, project)))
    for name, document in documents.items():
        print(f"\n# {name}\n{json.dumps(document, indent=2)}")
    return 0


def _artifacts(d: Deployment, secrets_key: bytes) -> Artifacts:
    for path, target in ((d.code_zip, "make package"), (d.layer_zip, "make layer")):
        if not path.is_file():
            raise DeployError(f"{path} is missing: run `{target}` first")
    digest = hashlib.sha512(d.code_zip.read_bytes()).hexdigest()
    layer = d.layer_zip.read_bytes()
    return Artifacts(d.code_zip, digest, d.layer_zip, hashlib.sha256(layer).hexdigest(), len(layer),
                     hashlib.md5(layer, usedforsecurity=False).hexdigest(), secrets_key)


def _endpoint(env: Mapping[str, str], key: str, default: str) -> str:
    value = env.get(key) or ""
    if not value:
        return default
    paths.import_function_package()
    from taskwatch.errors import ConfigError
    from taskwatch.urls import check_endpoint

    allow = (env.get("TASKWATCH_ALLOW_FOREIGN_ENDPOINTS") or "").strip().lower() in {"1", "true", "yes", "on"}
    try:
        check_endpoint(key, value, allow)
    except ConfigError as exc:
        raise DeployError(str(exc)) from None
    return value


if __name__ == "__main__":
    sys.exit(main())
