"""layers/terraform/*.tf without Terraform: every resource type, argument and nested block is one the
huaweicloud provider documents (layers/terraform/provider-arguments.json, read from its docs pages), the
provider version is the one read, and every reference resolves. Each check is also shown to catch a fault."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from ship import terraform

from .conftest import FOLDERS, TERRAFORM
from .hclcheck import blocks, check_arguments, check_references, check_rfs, parse_folder, parse_text, resources

MAIN = (TERRAFORM / "main.tf").read_text(encoding="utf-8")
RESOURCE_TYPES = {"huaweicloud_fgs_function", "huaweicloud_fgs_dependency_version",
                  "huaweicloud_fgs_function_trigger", "huaweicloud_identity_agency", "huaweicloud_identity_role",
                  "huaweicloud_smn_topic", "huaweicloud_obs_bucket", "huaweicloud_obs_bucket_object",
                  "huaweicloud_ces_alarmrule", "huaweicloud_fgs_async_invoke_configuration"}


def _with_main(files: dict[str, Any], text: str) -> dict[str, Any]:
    return {**files, "main.tf": parse_text(text)}


def _edit(old: str, new: str, text: str = MAIN) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_the_files_use_the_resource_types_the_deployment_needs(files, target) -> None:
    """RFS: the bucket exists already (the zips are uploaded into it first), and it refuses object uploads."""
    uploads = {"huaweicloud_obs_bucket", "huaweicloud_obs_bucket_object"}
    assert {kind for kind, _ in resources(files)} == (RESOURCE_TYPES - uploads if target == "rfs" else RESOURCE_TYPES)


def test_every_type_argument_and_nested_block_is_documented_and_required_ones_are_set(files, record) -> None:
    assert check_arguments(files, record) == []


def test_the_record_names_where_each_resource_was_read(record) -> None:
    provider = record["provider"]
    assert provider["repository"] == "huaweicloud/terraform-provider-huaweicloud"
    assert re.fullmatch(r"[0-9a-f]{40}", provider["commit"]) and provider["ref"] == "v" + provider["version"]
    for kind, spec in record["resources"].items():
        assert spec["source"] == f"docs/resources/{kind.removeprefix('huaweicloud_')}.md"
        assert any(argument["required"] for argument in spec["arguments"].values()), kind
    # Spot checks against the pages (fgs_function.md, ces_alarmrule.md, identity_agency.md at v1.97.1).
    function = record["resources"]["huaweicloud_fgs_function"]
    assert function["arguments"]["app"]["required"] and not function["arguments"]["agency"]["required"]
    assert function["arguments"]["max_instance_num"]["type"] == "String"
    assert record["resources"]["huaweicloud_ces_alarmrule"]["blocks"]["metric"]["required"]
    assert set(record["resources"]["huaweicloud_ces_alarmrule"]["blocks"]["resources"]["blocks"]) == {"dimensions"}
    assert record["resources"]["huaweicloud_identity_agency"]["blocks"]["project_role"]["arguments"]["roles"][
        "required"]


def test_the_provider_version_is_the_one_whose_docs_were_read(files, record, target) -> None:
    """Terraform: exactly that version. RFS: at least it (RFS takes the newest it offers within a >= constraint,
    and names the provider by its own source address)."""
    (terraform_block,) = files["versions.tf"]["terraform"]
    (providers,) = terraform_block["required_providers"]
    huaweicloud = providers["huaweicloud"]
    version = record["provider"]["version"]
    if target == "rfs":
        assert (huaweicloud["source"], huaweicloud["version"]) == ('"huawei.com/provider/huaweicloud"',
                                                                   f'">= {version}"')
    else:
        assert (huaweicloud["source"], huaweicloud["version"]) == ('"huaweicloud/huaweicloud"', f'"{version}"')


def test_every_reference_resolves_and_every_variable_is_used(files, record) -> None:
    assert check_references(files, record) == []


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("  memory_size = 128", "  memory      = 128", "huaweicloud_fgs_function.taskwatch: argument 'memory' is not "
     "documented"),
    ("  app         = \"default\"\n", "", "huaweicloud_fgs_function.taskwatch: required argument 'app' is missing"),
    ("    metric_name         = \"failcount\"\n", "    metric_name = \"failcount\"\n    unit_name = \"count\"\n",
     "huaweicloud_ces_alarmrule.errors.condition[0]: argument 'unit_name' is not documented"),
    ("  metric {\n    namespace = \"SYS.FunctionGraph\"\n  }\n", "",
     "huaweicloud_ces_alarmrule.errors: required block 'metric' is missing"),
    ("    project = local.region\n", "    project_name = local.region\n",
     "huaweicloud_identity_agency.function.project_role[0]: required argument 'project' is missing"),
    ('resource "huaweicloud_smn_topic" "alerts"', 'resource "huaweicloud_smn_topics" "alerts"',
     "resource huaweicloud_smn_topics.alerts: type not in provider-arguments.json"),
    ("  alarm_name           = var.alarm_name\n", "  alarm_name = var.alarm_name\n  timeouts {\n  }\n",
     "huaweicloud_ces_alarmrule.errors: block 'timeouts' is not documented"),
])
def test_the_argument_check_catches(terraform_files, record, old: str, new: str, expected: str) -> None:
    assert expected in check_arguments(_with_main(terraform_files, _edit(old, new)), record)


def test_the_argument_check_catches_unknown_top_level_blocks_and_language_mistakes(terraform_files, record) -> None:
    files = terraform_files
    text = MAIN + '\ndata "huaweicloud_identity_projects" "all" {\n}\n'
    assert "main.tf: top-level block 'data' is not one of " in check_arguments(_with_main(files, text), record)[0]
    variables = (TERRAFORM / "variables.tf").read_text(encoding="utf-8").replace("  sensitive   = true",
                                                                                 "  secret      = true", 1)
    problems = check_arguments({**files, "variables.tf": parse_text(variables)}, record)
    assert problems == ["variable encrypted_variables: 'secret' is not a variable argument"]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("  name         = var.topic_name", "  name         = var.topic", "huaweicloud_smn_topic.alerts: var.topic is not "
     "declared"),
    ("timeout     = 120", "timeout     = local.timeout", "huaweicloud_fgs_function.taskwatch: local.timeout is not "
     "declared"),
    ("huaweicloud_fgs_dependency_version.layer.version_id]", "huaweicloud_fgs_dependency_version.deps.version_id]",
     "huaweicloud_fgs_function.taskwatch: huaweicloud_fgs_dependency_version.deps is not declared"),
    ("huaweicloud_fgs_dependency_version.layer.version_id]", "huaweicloud_fgs_dependency_version.layer.versionid]",
     "huaweicloud_fgs_function.taskwatch: huaweicloud_fgs_dependency_version.layer.versionid is not a documented "
     "argument or attribute"),
    ("one(huaweicloud_obs_bucket_object.code[*].key)", "huaweicloud_obs_bucket_object.code.key",
     "locals: huaweicloud_obs_bucket_object.code has count/for_each; refer to an instance"),
    ("  timeout     = 120", "  timeout     = each.value", "huaweicloud_fgs_function.taskwatch: each.value outside a "
     "resource with each for_each"),
    ("  alarm_name           = var.alarm_name", "  alarm_name           = \"errors\"",
     "variable alarm_name is declared but never used"),
    ("obs://${var.state_bucket}/taskwatch", "obs://${var.state_bucket_name}/taskwatch",
     "huaweicloud_fgs_function.taskwatch: var.state_bucket_name is not declared"),
])
def test_the_reference_check_catches(terraform_files, record, old: str, new: str, expected: str) -> None:
    assert expected in check_references(_with_main(terraform_files, _edit(old, new)), record)


def test_rfs_can_take_the_package_as_a_template(tmp_path: Path) -> None:
    """RFS (local upload or template_uri): a zip of .tf files, at most 100 files and 1 MB, no .tfvars, UTF-8;
    no backend, provisioner or cloud configuration."""
    report = terraform.rfs_package(FOLDERS["rfs"], tmp_path / "stack.zip")
    with zipfile.ZipFile(report.path) as archive:
        names = archive.namelist()
        texts = [archive.read(name).decode("utf-8") for name in names]
    assert names == sorted(path.name for path in FOLDERS["rfs"].glob("*.tf")) == sorted(terraform.FILES)
    assert texts == [(FOLDERS["rfs"] / name).read_text(encoding="utf-8") for name in names]
    assert report.size < terraform.RFS_MAX_BYTES and report.unzipped < terraform.RFS_MAX_BYTES
    for text in texts:
        assert not re.search(r"^\s*(backend|cloud|provisioner)\b", text, re.MULTILINE)


def test_the_readme_lists_every_variable_and_the_recorded_version(files, record) -> None:
    text = (TERRAFORM / "README.md").read_text(encoding="utf-8")
    variables = [labels[0] for labels, _ in blocks(files, "variable")]
    assert variables
    assert [name for name in variables if f"`{name}`" not in text] == []
    assert f"({record['provider']['version']})" in text and f"at tag v{record['provider']['version']}" in text


def test_the_rfs_files_use_nothing_rfs_refuses() -> None:
    assert check_rfs(parse_folder(FOLDERS["rfs"])) == []


def test_the_rfs_check_catches_what_the_terraform_files_need_locally(terraform_files) -> None:
    """The Terraform variant uploads the local zips: exactly what RFS refuses, so the check has teeth."""
    problems = check_rfs(terraform_files)
    assert "resource huaweicloud_obs_bucket_object.code: RFS does not allow this type" in problems
    assert "main.tf: filesha256() is not allowed in RFS" in problems
    assert "main.tf: filemd5() is not allowed in RFS" in problems


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_terraform_fmt_leaves_the_files_as_they_are() -> None:
    """Terraform's own parser and formatter (no provider needed): the files parse and are laid out as fmt
    would, so an operator's `terraform fmt` changes nothing the generator would then report as drift."""
    folders = [str(folder) for folder in FOLDERS.values()]
    result = subprocess.run(["terraform", "fmt", "-check", "-list=true", *folders], capture_output=True, text=True,
                            env={**os.environ, "TF_CLI_CONFIG_FILE": os.devnull}, timeout=120, check=False)
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr
