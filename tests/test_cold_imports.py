"""What a cold start loads, counted rather than timed (so the check holds on a loaded machine): importing the
handler builds no validator and imports no service SDK; one timer run with the default services loads
only their SDK modules (never IAM's or RDS's, never a whole model package), and checks against the
metaschema only the schemas it uses, and none at all from the package build's tree, which records the
schemas it checked (taskwatch/schema_files.py). The timings are tests/bench's cold start scenario."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from taskwatch.schema_files import CHECKED_FILE, checked_manifest

from tests.bench.common import function_env
from tests.fixtures import BUCKET

FUNCTION = Path(__file__).resolve().parents[1] / "function"
SDK_MODULES_PER_SERVICE = 40  # client, list/detail requests and responses and their nested models; whole: ~1,000

CHILD = r"""
import json, sys
sys.path[0:0] = [sys.argv[1]]
import jsonschema

checked = []
plain_check = jsonschema.Draft202012Validator.check_schema.__func__

def counting_check(cls, schema, *args, **kwargs):
    checked.append(schema.get("$id"))
    return plain_check(cls, schema, *args, **kwargs)

jsonschema.Draft202012Validator.check_schema = classmethod(counting_check)

import index
from taskwatch import schema_files
after_import = sorted(sys.modules)
validators_after_import = schema_files.validator.cache_info().currsize

class Context:
    def getRemainingTimeInMilliSeconds(self): return 120_000
    def getRequestID(self): return "cold-imports"

event = {"version": "v1.0", "time": "2026-11-23T08:00:00+08:00", "trigger_type": "TIMER",
         "trigger_name": "every-5-minutes"}
summary = index.handler(event, Context())
sys.__stdout__.flush()
print("RESULT " + json.dumps({"after_import": after_import, "after_run": sorted(sys.modules),
                              "validators_after_import": validators_after_import,
                              "validators_after_run": schema_files.validator.cache_info().currsize,
                              "checked": checked, "summary": summary}, default=str))
"""


def _cold_run(code: Path, emulator: Any, tmp_path: Path) -> dict[str, Any]:
    env = function_env(emulator, f"obs://{BUCKET}/taskwatch/state.json")
    done = subprocess.run([sys.executable, "-I", "-B", "-c", CHILD, str(code)], env=env, capture_output=True,
                          text=True, timeout=180, cwd=tmp_path)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert line is not None, done.stderr[-2000:]
    result = json.loads(line[len("RESULT "):])
    summary = result["summary"]
    assert summary["outcome"] == "ok" and summary["messages_published"] == 2, summary.get("errors")
    return result


def _sdk_modules(names: list[str], service: str) -> list[str]:
    return [n for n in names if n == service or n.startswith(service + ".")]


def test_importing_the_handler_loads_no_service_sdk_and_builds_no_validator(emulator, tmp_path: Path) -> None:
    result = _cold_run(FUNCTION, emulator, tmp_path)
    loaded = result["after_import"]
    assert [n for n in loaded if n.startswith("huaweicloudsdk") and not n.startswith("huaweicloudsdkcore")] == []
    assert result["validators_after_import"] == 0
    assert "taskwatch.agencies" in loaded  # the check sees the modules the handler does import


def test_a_default_run_loads_only_its_services_and_checks_only_its_schemas(emulator, tmp_path: Path) -> None:
    result = _cold_run(FUNCTION, emulator, tmp_path)
    loaded = result["after_run"]
    assert _sdk_modules(loaded, "huaweicloudsdkiam") == []  # no agency configured: no token exchange
    assert _sdk_modules(loaded, "huaweicloudsdkrds") == []  # RDS is opt-in
    for service in ("huaweicloudsdkgaussdb", "huaweicloudsdkgaussdbforopengauss", "huaweicloudsdkdds",
                    "huaweicloudsdksmn"):
        modules = _sdk_modules(loaded, service)
        assert 3 < len(modules) <= SDK_MODULES_PER_SERVICE, (service, len(modules))
    # From the source tree (no build record) every schema the run uses is checked once, and only those.
    checked = result["checked"]
    assert len(checked) == len(set(checked)), checked  # the sources' threads build each validator once
    assert {"taskwatch:config", "taskwatch:state", "taskwatch:taurusdb_list", "taskwatch:gaussdb_list",
            "taskwatch:dds_list"} <= set(checked)
    assert not [name for name in checked if "rds" in name]
    assert result["validators_after_run"] == len(checked)


def test_a_run_from_the_built_tree_checks_no_schema_again(emulator, tmp_path: Path) -> None:
    code = tmp_path / "code"
    shutil.copytree(FUNCTION, code, ignore=shutil.ignore_patterns("__pycache__"))
    schemas = code / "taskwatch" / "schemas"
    (schemas / CHECKED_FILE.name).write_text(json.dumps(checked_manifest(schemas)), encoding="utf-8")
    result = _cold_run(code, emulator, tmp_path)
    assert result["checked"] == []
    assert result["validators_after_run"] >= 5  # the same validators are built: every document still validated

