"""The layer and code zips, unpacked side by side, run the handler the way FunctionGraph would.

A subprocess of the runtime's own interpreter (python3.10 / python3.12), isolated (-I), without site (-S, so
no site-packages at all) and without writing bytecode (-B, the code is read-only there), with sys.path holding
ONLY the two unpacked directories, imports index and runs one timer invocation against the emulator.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.emulator import CloudEmulator
from tests.fixtures import AK, BUCKET, PROJECT, REGION, SK, TOPIC

from .conftest import TIMER_INVOCATION, interpreter_or_skip
from .conftest import runtimes as rt

RUNNER = r"""
import importlib.util, json, sys, time
code, layer = sys.argv[1], sys.argv[2]
sys.path[:0] = [code, layer]
assert not any("site-packages" in p or "dist-packages" in p for p in sys.path), sys.path

""" + TIMER_INVOCATION + r"""
names = ("yaml", "jsonschema", "rpds", "requests", "huaweicloudsdkcore", "huaweicloudsdksmn", "pymongo")
for name in names:
    __import__(name)
pyc = importlib.util.cache_from_source(sys.modules["jsonschema"].__file__)
with open(pyc, "rb") as handle:
    header = handle.read(8)
print(json.dumps({
    "summary": summary, "version": "%d.%d" % sys.version_info[:2],
    "origins": {name: sys.modules[name].__file__ for name in names},
    "index": sys.modules["index"].__file__,
    "magic_ok": header[:4] == importlib.util.MAGIC_NUMBER, "flags": int.from_bytes(header[4:8], "little"),
}))
"""


@pytest.mark.parametrize("runtime", ["Python3.10", "Python3.12"])
def test_layer_imports_and_runs_the_handler_in_the_runtime_interpreter(runtime, build_layer, code_zip,
                                                                       tmp_path: Path) -> None:
    interpreter = interpreter_or_skip(runtime)
    version = rt.python_version(runtime)
    tag = rt.cache_tag(version)
    layer_zip = build_layer(runtime)
    code_dir, layer_dir = tmp_path / "code", tmp_path / "layer"
    with zipfile.ZipFile(code_zip) as archive:
        archive.extractall(code_dir)
    with zipfile.ZipFile(layer_zip) as archive:
        names = archive.namelist()
        archive.extractall(layer_dir)

    pycs = [n for n in names if n.endswith(".pyc")]
    assert f"yaml/__pycache__/__init__.{tag}.pyc" in names, "no bytecode for the runtime's interpreter"
    assert len(pycs) > 1000 and all(f".{tag}.pyc" in n for n in pycs), "bytecode of another Python version"

    with CloudEmulator(ak=AK, sk=SK, project_id=PROJECT, region=REGION, topic_urns=[TOPIC],
                       buckets=[BUCKET]) as emu:
        env = {**emu.env(), "CLOUD_SDK_AK": AK, "CLOUD_SDK_SK": SK, "TASKWATCH_REGION": REGION,
               "TASKWATCH_PROJECT_ID": PROJECT, "TASKWATCH_SMN_TOPIC_URN": TOPIC,
               "TASKWATCH_STATE_URI": f"obs://{BUCKET}/taskwatch/state.json", "TASKWATCH_THROTTLE_BACKOFF": "0.05-0.1"}
        result = subprocess.run([str(interpreter), "-I", "-S", "-B", "-c", RUNNER, str(code_dir), str(layer_dir)],
                                env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-4000:]
        report = json.loads(result.stdout.strip().splitlines()[-1])
        published = len(emu.smn_messages)
        assert emu.errors == []

    assert report["version"] == version
    assert report["summary"]["outcome"] == "ok", report["summary"]
    assert published == 2  # the seed failures (one GaussDB, one DDS), as in the in-process end-to-end test
    assert report["index"].startswith(str(code_dir))
    assert all(origin.startswith(str(layer_dir)) for origin in report["origins"].values()), report["origins"]
    assert report["magic_ok"], "the layer's .pyc files were not written by this interpreter version"
    assert report["flags"] == 0b01, "expected hash-based, unchecked pycs (flags 1)"
