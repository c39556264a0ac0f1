"""Where things live. Every path is absolute and derived from this file, so the tools run from any directory."""

from __future__ import annotations

import sys
from pathlib import Path

LAYERS = Path(__file__).resolve().parents[1]
REPO = LAYERS.parent
FUNCTION = REPO / "function"
BUILD = REPO / "build"
TEMPLATE = REPO / "template.yaml"
TEMPLATE_SCHEMA = LAYERS / "template.schema.json"
AGENCY_POLICY_REGIONAL = LAYERS / "agency-policy-regional.json"  # the function's agency, project-level services
AGENCY_POLICY_GLOBAL = LAYERS / "agency-policy-global.json"  # the function's agency, global services (OBS)
AGENCY_POLICY_ASSUME = LAYERS / "agency-policy-assume.json"  # the function's agency: other accounts' agencies
MEMBER_AGENCY_POLICY = LAYERS / "member-agency-policy.json"  # a member account's agency: read its task centers
DEPLOYER_POLICY = LAYERS / "deployer-policy.json"  # the user who deploys: the layer upload prefix (OBS)
REQUIREMENTS = LAYERS / "requirements.txt"
LAYER_DIR = BUILD / "layer"
CODE_ZIP = BUILD / "function" / "taskwatch-code.zip"


def layer_zip_name(runtime: str) -> str:
    """build/layer/taskwatch-deps-<runtime>.zip, the runtime in lower case (taskwatch-deps-python3.10.zip)."""
    return f"taskwatch-deps-{runtime.lower()}.zip"


def import_function_package() -> None:
    """Make function/ importable (taskwatch.*): deploy reuses the function's own code rather than copying it."""
    if str(FUNCTION) not in sys.path:
        sys.path.insert(0, str(FUNCTION))
