"""The IAM policies, filled in from the template: the agency's two (regional, global) and the deployer's one.

Why two for the agency: IAM grants a custom policy either for global services or for region-specific
projects, never both, and a policy's statements may not mix global and project-level services; OBS is a
global service, the task centers and SMN are project-level (IAM API, CreateCloudServiceCustomPolicy: type AX
or XA). So the OBS statement lives in agency-policy-global.json and the rest in agency-policy-regional.json,
granted in the one project the function watches (that grant is what scopes the list actions, which take no
resource: see layers/README.md). The state statement covers the shards' own objects too (the key with `-*`
before its extension, or `*` for a `{shard}` placeholder: taskwatch/state_uri.py decides both).

Other accounts (targets naming an agency): the function's agency also needs `iam:tokens:assume`, the action
of IAM's CreateTemporaryAccessKeyByAgency, in a policy of its own for global services (agency-policy-assume.json;
IAM is global, and the project-level copy of the OBS policy must not carry it); each member account gives its
agency member-agency-policy.json (the task centers' read actions), granted in the projects watched there.

Every value that goes into a policy is checked first: a `*` or `?` smuggled in through a bucket, topic or key
would widen the grant, and a state key under the deploy prefix would hand the function the deploy artifacts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import paths
from .planner import DEPLOY_PREFIX
from .template import Deployment

PLACEHOLDER = "{shard}"  # taskwatch/state_uri.py: a state URI naming each shard's own object

ACCOUNT_ENV = "TASKWATCH_DEPLOY_ACCOUNT_ID"
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_TOPIC = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")
_REGION = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)+$")
_ACCOUNT = re.compile(r"^[A-Za-z0-9]{8,64}$")
_KEY = re.compile(r"^[A-Za-z0-9!_.'()/-]{1,900}$")  # no wildcards (* ?), no colon, no whitespace


class PolicyError(ValueError):
    pass


@dataclass(frozen=True)
class PolicyValues:
    TopicRegion: str
    AccountId: str
    TopicName: str
    StateBucket: str
    StateKey: str
    DeployPrefix: str = DEPLOY_PREFIX
    StateShardKeys: str = ""  # every shard's own state object, `*` where its label goes


def shard_keys(key: str) -> str:
    """The shards' state keys as a pattern, from the function's own rule (taskwatch/state_uri.py)."""
    paths.import_function_package()
    from taskwatch.state_uri import key_pattern

    return key_pattern(key)


def values_for(d: Deployment, env: Mapping[str, str]) -> PolicyValues:
    """The policies' placeholders from the template and the environment; PolicyError names what is wrong."""
    problems: list[str] = []
    topic = d.parameters.get("TopicUrn", "").split(":")
    if len(topic) != 5 or topic[:2] != ["urn", "smn"]:
        problems.append("Parameters.TopicUrn: not urn:smn:{region}:{project_id}:{name}")
        topic = ["", "", "", "", ""]
    state = urlsplit(str(d.variables.get("TASKWATCH_STATE_URI", "")))
    if state.scheme != "obs":
        problems.append("Environment.Variables.TASKWATCH_STATE_URI: not obs://{bucket}/{key}")
    account = (env.get(ACCOUNT_ENV) or "").strip()
    key = state.path.lstrip("/")
    shards = shard_keys(key)
    # A {shard} placeholder: no shared object, every trigger uses its shard's; the pattern names them all.
    values = PolicyValues(TopicRegion=topic[2], AccountId=account, TopicName=topic[4], StateBucket=state.netloc,
                          StateKey=shards if PLACEHOLDER in key else key, StateShardKeys=shards)
    for name, pattern, value in (("TopicUrn region", _REGION, values.TopicRegion),
                                 ("TopicUrn topic name", _TOPIC, values.TopicName),
                                 ("state bucket", _BUCKET, values.StateBucket),
                                 ("state key", _KEY, key.replace(PLACEHOLDER, "shard", 1))):
        if not pattern.fullmatch(value):
            problems.append(f"{name} {value!r}: not usable in an IAM resource (letters, digits and - . _ only)")
    if not _ACCOUNT.fullmatch(account):
        problems.append(f"{ACCOUNT_ENV}: set it to the account ID (IAM console: My Credentials -> Account ID); "
                        "the SMN resource names the topic's account")
    head = shards.split("*", 1)[0]  # what every key the policy grants starts with
    if key.startswith(DEPLOY_PREFIX) or head.startswith(DEPLOY_PREFIX) or DEPLOY_PREFIX.startswith(head):
        problems.append(f"state key {key!r}: under the deploy prefix {DEPLOY_PREFIX}, or its shards' keys "
                        f"({shards}) could be; the function must not be able to write there")
    if problems:
        raise PolicyError("; ".join(problems))
    return values


def render(template: Path, values: PolicyValues) -> dict[str, Any]:
    """One policy file with its ${placeholders} filled in; every placeholder must be known."""
    text = template.read_text(encoding="utf-8")
    for name, value in asdict(values).items():
        text = text.replace("${" + name + "}", value)
    left = re.findall(r"\$\{(\w+)\}", text)
    if left:
        raise PolicyError(f"{template.name}: unknown placeholder(s) {', '.join(sorted(set(left)))}")
    return json.loads(text)


def policies(values: PolicyValues) -> dict[str, dict[str, Any]]:
    """regional and global (the function's agency), deployer (the user who runs `make deploy`); assume (the
    function's agency, only when targets name agencies in other accounts) and member (each such account's
    agency)."""
    return {"regional": render(paths.AGENCY_POLICY_REGIONAL, values),
            "global": render(paths.AGENCY_POLICY_GLOBAL, values),
            "deployer": render(paths.DEPLOYER_POLICY, values),
            "assume": render(paths.AGENCY_POLICY_ASSUME, values),
            "member": render(paths.MEMBER_AGENCY_POLICY, values)}


def steps(d: Deployment, values: PolicyValues, project: str) -> list[str]:
    """The exact console steps: deploy names the agency in the function but does not manage IAM."""
    agency = d.agency or "taskwatch-agency"
    topic = d.parameters.get("TopicUrn", "").split(":")
    project = project or (topic[3] if len(topic) == 5 else "<the project deployed to>")
    return [
        "IAM console -> Permissions -> Policies -> Create Custom Policy, JSON view:",
        "  1. taskwatch-regional:      scope 'Project-level services'; the 'regional' JSON below",
        "  2. taskwatch-obs-global:    scope 'Global services'; the 'global' JSON below (OBS is a global service)",
        "  3. taskwatch-obs-project:   scope 'Project-level services'; the same 'global' JSON (IAM's API reference:",
        "     a custom policy with OBS actions is created once per scope, otherwise identical, and both granted)",
        f"IAM console -> Agencies -> Create Agency '{agency}': Cloud service, FunctionGraph; then Authorize:",
        "  taskwatch-obs-global for global services",
        f"  taskwatch-regional and taskwatch-obs-project in region {values.TopicRegion}, project {project} only "
        "(not all projects)",
        "The user who deploys needs the 'deployer' JSON (both scopes likewise) for the layer upload, and "
        "FunctionGraph permissions for the deploy calls (layers/README.md).",
        "Only when TASKWATCH_TARGETS names agencies in other accounts (layers/README.md, 'Other accounts'):",
        "  4. taskwatch-assume:        scope 'Global services'; the 'assume' JSON below; grant it to "
        f"'{agency}' for global services",
        "  in each member account: an agency of type 'Account' trusting this account, with the 'member' JSON "
        "(scope 'Project-level services') granted in the projects watched there",
    ]
