"""The IAM policies: split by scope (regional / global), filled in, and scoped by resource.

The OBS scope is checked against what the function really does: it runs against the emulator (state, lease,
a set-aside copy of an unreadable state), and every OBS request it made must be allowed by the global policy,
while the deploy upload prefix is allowed only by the deployer's policy.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.conftest import STATE_KEY, invoke
from tests.emulator import CloudEmulator
from tests.fixtures import BUCKET, PROJECT, REGION, TOPIC

from .conftest import load_tool

deploy = load_tool("deploy")
from ship import planner, policy  # noqa: E402  (layers/ is on sys.path once conftest ran)

ACCOUNT = "fedcba9876543210fedcba9876543210"
TOPIC_NAME = TOPIC.split(":")[-1]


def allows(document: dict[str, Any], action: str, resource: str) -> bool:
    """IAM's reading of an Allow-only policy: an action and a resource match when a listed pattern matches
    (`*` any characters); a statement without Resource applies to every resource."""
    for statement in document["Statement"]:
        if statement["Effect"] != "Allow" or not any(fnmatchcase(action, a) for a in statement["Action"]):
            continue
        if "Resource" not in statement or any(fnmatchcase(resource, r) for r in statement["Resource"]):
            return True
    return False


def policy_env(**extra: str) -> dict[str, str]:
    return {"TASKWATCH_DEPLOY_TOPIC_URN": TOPIC, "TASKWATCH_DEPLOY_STATE_BUCKET": BUCKET,
            "CLOUD_SDK_PROJECT_ID": PROJECT, "TASKWATCH_DEPLOY_ACCOUNT_ID": ACCOUNT, **extra}


def printed_policy(capsys, which: str) -> dict[str, Any]:
    assert deploy.main(["policy", "--only", which], environ=policy_env()) == 0
    return json.loads(capsys.readouterr().out)


def test_policy_prints_the_steps_and_every_policy_filled_in(capsys) -> None:
    assert deploy.main(["policy"], environ=policy_env()) == 0
    out = capsys.readouterr().out
    assert "${" not in out and "# regional" in out and "# global" in out and "# deployer" in out
    assert f"taskwatch-regional and taskwatch-obs-project in region {REGION}, project {PROJECT} only" in out
    assert "taskwatch-obs-global for global services" in out and "Create Agency 'taskwatch-agency'" in out


def test_global_services_and_project_services_are_in_separate_policies(capsys) -> None:
    regional, global_ = printed_policy(capsys, "regional"), printed_policy(capsys, "global")
    regional_actions = {a for s in regional["Statement"] for a in s["Action"]}
    global_actions = {a for s in global_["Statement"] for a in s["Action"]}
    assert regional_actions == {"gaussdb:instance:list", "dds:task:list", "rds:task:list", "smn:topic:publish"}
    assert global_actions == {"obs:object:GetObject", "obs:object:PutObject"}
    for document in (regional, global_, printed_policy(capsys, "deployer")):
        assert document["Version"] == "1.1" and all(s["Effect"] == "Allow" for s in document["Statement"])
        assert not [a for s in document["Statement"] for a in s["Action"] if "*" in a], "no wildcard actions"


def test_smn_publish_covers_exactly_the_one_topic_in_its_region_and_account(capsys) -> None:
    regional = printed_policy(capsys, "regional")
    assert allows(regional, "smn:topic:publish", f"smn:{REGION}:{ACCOUNT}:topic:{TOPIC_NAME}")
    for other in (f"smn:other-region-1:{ACCOUNT}:topic:{TOPIC_NAME}", f"smn:{REGION}:{'0' * 32}:topic:{TOPIC_NAME}",
                  f"smn:{REGION}:{ACCOUNT}:topic:{TOPIC_NAME}-other", f"smn:{REGION}:{ACCOUNT}:topic:other"):
        assert not allows(regional, "smn:topic:publish", other), other
    assert not allows(regional, "smn:topic:delete", f"smn:{REGION}:{ACCOUNT}:topic:{TOPIC_NAME}")


def _obs_accesses(emu: CloudEmulator) -> set[tuple[str, str]]:
    """(action, resource) of every OBS request the emulator received."""
    accesses = set()
    for request in emu.requests:
        if not str(request["call"]).startswith("obs."):
            continue
        bucket, _, key = request["path"].lstrip("/").partition("/")
        action = {"GET": "obs:object:GetObject", "PUT": "obs:object:PutObject"}[request["method"]]
        accesses.add((action, f"obs:*:*:object:{bucket}/{key}"))
    return accesses


def test_obs_covers_what_the_function_does_and_not_the_deploy_artifacts(emulator, env, capsys) -> None:
    global_, deployer = printed_policy(capsys, "global"), printed_policy(capsys, "deployer")
    assert invoke()["outcome"] in {"ok", "degraded"}  # first run: baseline state, no lease needed or a lease
    emulator.obs_put_object(BUCKET, STATE_KEY, b"{ not a state document")
    invoke()  # the unreadable state is set aside under a sibling name, then a new state is written
    accesses = _obs_accesses(emulator)
    keys = {resource.split("/", 1)[1] for _, resource in accesses}
    assert STATE_KEY in keys and any(k.startswith(f"{STATE_KEY}.") and k != f"{STATE_KEY}.lease" for k in keys), keys
    for action, resource in sorted(accesses):
        assert allows(global_, action, resource), (action, resource)

    art = planner.Artifacts(Path("code.zip"), "", Path("taskwatch-deps-python3.10.zip"), "a" * 64, 0, "", b"")
    upload = f"obs:*:*:object:{BUCKET}/{planner.obs_key(_deployment(), art)}"
    assert upload.startswith(f"obs:*:*:object:{BUCKET}/{planner.DEPLOY_PREFIX}")
    assert not allows(global_, "obs:object:PutObject", upload) and not allows(global_, "obs:object:GetObject", upload)
    assert allows(deployer, "obs:object:PutObject", upload)
    for outside in (f"{BUCKET}/taskwatch/other.json", f"{BUCKET}/state.json", f"other-bucket/{STATE_KEY}"):
        assert not allows(global_, "obs:object:PutObject", f"obs:*:*:object:{outside}"), outside
    assert not allows(global_, "obs:object:DeleteObject", f"obs:*:*:object:{BUCKET}/{STATE_KEY}")


def _deployment(**changes: Any) -> Any:
    base = {"parameters": {"TopicUrn": TOPIC, "StateBucket": BUCKET},
            "variables": {"TASKWATCH_STATE_URI": f"obs://{BUCKET}/{STATE_KEY}"}}
    base.update(changes)
    return SimpleNamespace(**base)


@pytest.mark.parametrize(("deployment", "env", "message"), [
    (_deployment(), {}, "TASKWATCH_DEPLOY_ACCOUNT_ID"),
    (_deployment(variables={"TASKWATCH_STATE_URI": "obs://b*/taskwatch/state.json"}), {"TASKWATCH_DEPLOY_ACCOUNT_ID":
                                                                                       ACCOUNT}, "state bucket"),
    (_deployment(variables={"TASKWATCH_STATE_URI": f"obs://{BUCKET}/taskwatch/*"}),
     {"TASKWATCH_DEPLOY_ACCOUNT_ID": ACCOUNT}, "state key"),
    (_deployment(variables={"TASKWATCH_STATE_URI": f"obs://{BUCKET}/taskwatch/deploy/state.json"}),
     {"TASKWATCH_DEPLOY_ACCOUNT_ID": ACCOUNT}, "deploy prefix"),
    (_deployment(parameters={"TopicUrn": "urn:smn:*:x:taskwatch"}), {"TASKWATCH_DEPLOY_ACCOUNT_ID": ACCOUNT},
     "TopicUrn region"),
    (_deployment(), {"TASKWATCH_DEPLOY_ACCOUNT_ID": "*"}, "TASKWATCH_DEPLOY_ACCOUNT_ID"),
])
def test_values_that_would_widen_a_policy_are_refused(deployment: Any, env: dict[str, str], message: str) -> None:
    with pytest.raises(policy.PolicyError, match=message):
        policy.values_for(deployment, env)


# -- shards' own state objects, other accounts -----------------------------------------------------------
def test_obs_covers_each_shard_s_own_state_and_the_shared_one_it_starts_from(emulator, env, monkeypatch,
                                                                             capsys) -> None:
    global_ = printed_policy(capsys, "global")
    monkeypatch.setenv("TASKWATCH_TARGETS", json.dumps([{"region": REGION, "project_id": PROJECT, "shard": "eu-1"}]))
    invoke()  # the shared object, as before the upgrade
    assert invoke({"shard": "eu-1"})["state"]["uri"].endswith("taskwatch/state-eu-1.json")
    accesses = _obs_accesses(emulator)
    assert ("obs:object:PutObject", f"obs:*:*:object:{BUCKET}/taskwatch/state-eu-1.json") in accesses
    for action, resource in sorted(accesses):
        assert allows(global_, action, resource), (action, resource)


@pytest.mark.parametrize(("key", "allowed"), [("taskwatch/state-{shard}.json", True),
                                              ("states/{shard}/state.json", True),
                                              ("taskwatch/{shard}/state.json", False),  # could reach deploy/
                                              ("{shard}.json", False)])
def test_a_shard_placeholder_in_the_state_key_never_reaches_the_deploy_prefix(key: str, allowed: bool) -> None:
    deployment = _deployment(variables={"TASKWATCH_STATE_URI": f"obs://{BUCKET}/{key}"})
    env = {"TASKWATCH_DEPLOY_ACCOUNT_ID": ACCOUNT}
    if not allowed:
        with pytest.raises(policy.PolicyError, match="deploy prefix"):
            policy.values_for(deployment, env)
        return
    document = policy.policies(policy.values_for(deployment, env))["global"]
    assert "{shard}" not in json.dumps(document)
    own = f"obs:*:*:object:{BUCKET}/{key.replace('{shard}', 'eu-1')}"
    assert allows(document, "obs:object:PutObject", own) and allows(document, "obs:object:GetObject", own + ".lease")
    assert not allows(document, "obs:object:PutObject", f"obs:*:*:object:{BUCKET}/{planner.DEPLOY_PREFIX}x.zip")


def test_other_accounts_need_only_the_assume_action_and_members_only_task_reads(capsys) -> None:
    assume, member = printed_policy(capsys, "assume"), printed_policy(capsys, "member")
    assert [a for s in assume["Statement"] for a in s["Action"]] == ["iam:tokens:assume"]
    member_actions = {a for s in member["Statement"] for a in s["Action"]}
    assert member_actions and all(a.split(":")[1] in {"instance", "task"} and a.endswith(":list")
                                  for a in member_actions), member_actions
    for document in (assume, member):
        assert document["Version"] == "1.1" and all(s["Effect"] == "Allow" for s in document["Statement"])
    assert deploy.main(["policy"], environ=policy_env()) == 0
    assert "taskwatch-assume" in capsys.readouterr().out
