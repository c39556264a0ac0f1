"""Fixtures for the Terraform files: the committed files parsed, the recorded provider arguments, and the
template's model loaded with ordinary parameter values (what an operator would set)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
LAYERS = REPO / "layers"
TERRAFORM = LAYERS / "terraform"
if str(LAYERS) not in sys.path:
    sys.path.insert(0, str(LAYERS))

from ship import paths  # noqa: E402
from ship.template import Deployment, load, load_raw  # noqa: E402

from .hclcheck import parse_folder  # noqa: E402

REGION = "cn-north-4"
TOPIC_NAME = "db-task-alerts"
TOPIC_URN = f"urn:smn:{REGION}:{'a1' * 16}:{TOPIC_NAME}"
BUCKET = "ops-taskwatch-state"
ACCOUNT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
ENTERPRISE_PROJECT = "3d5e7f90-1a2b-4c3d-8e9f-0a1b2c3d4e5f"


TARGETS = ("terraform", "rfs")  # layers/terraform (Terraform) and layers/terraform/rfs (Resource Formation Service)
FOLDERS = {"terraform": TERRAFORM, "rfs": TERRAFORM / "rfs"}


@pytest.fixture(scope="session", params=TARGETS)
def target(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def files(target: str) -> dict[str, dict[str, Any]]:
    """The committed files of one target, parsed (each test using it runs for both targets)."""
    return parse_folder(FOLDERS[target])


@pytest.fixture(scope="session")
def terraform_files() -> dict[str, dict[str, Any]]:
    return parse_folder(TERRAFORM)


@pytest.fixture(scope="session")
def record() -> dict[str, Any]:
    return json.loads((TERRAFORM / "provider-arguments.json").read_text(encoding="utf-8"))


def operator_environment(template: Path = paths.TEMPLATE) -> dict[str, str]:
    """The template's parameters as an operator sets them (Region empty: the topic's region)."""
    values = {"TopicUrn": TOPIC_URN, "StateBucket": BUCKET, "Region": "", "EnterpriseProjectId": ENTERPRISE_PROJECT}
    declared = load_raw(template)["Parameters"]
    return {spec["x-env"]: values[name] for name, spec in declared.items()} | \
        {"TASKWATCH_DEPLOY_ACCOUNT_ID": ACCOUNT}


@pytest.fixture(scope="session")
def deployment() -> Deployment:
    return load(paths.TEMPLATE, operator_environment())


def bindings() -> dict[str, Any]:
    """What Terraform would hold for the same operator: variables and the values resources would report."""
    return {"var.topic_name": TOPIC_NAME, "var.state_bucket": BUCKET, "var.region": "", "var.account_id": ACCOUNT,
            "var.enterprise_project_id": ENTERPRISE_PROJECT,
            "local.region": REGION, "huaweicloud_smn_topic.alerts.topic_urn": TOPIC_URN,
            "path.module": str(TERRAFORM)}
