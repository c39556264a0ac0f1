"""Fixtures for the shipping tools: built zips (once per session), template copies, deploy against the emulator.

The layer zips are built with `python layers/build_layer.py --runtime X` into build/layer (what `make layer`
does): wheels are cached there and an unchanged build is reused, so only the first session pays for it.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.emulator import CloudEmulator
from tests.fixtures import AK, BUCKET, PROJECT, REGION, SK, TOPIC

REPO = Path(__file__).resolve().parents[2]
LAYERS = REPO / "layers"
if str(LAYERS) not in sys.path:
    sys.path.insert(0, str(LAYERS))

from ship import paths, runtimes  # noqa: E402

COMPILER_MISSING = 3  # build_layer.py's exit status when the pinned bytecode compiler is not installed


def load_tool(name: str) -> Any:
    """Import layers/<name>.py as a module (the tools are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"taskwatch_{name}", LAYERS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture(scope="session")
def build_layer() -> Callable[[str], Path]:
    """build_layer(runtime) -> the zip, built once per session (and reused across sessions when unchanged)."""
    built: dict[str, Path] = {}

    def build(runtime: str) -> Path:
        if runtime not in built:
            result = subprocess.run([sys.executable, str(LAYERS / "build_layer.py"), "--runtime", runtime],
                                    capture_output=True, text=True, cwd=REPO, timeout=600)
            if result.returncode == COMPILER_MISSING:  # the message says which release and how to get it
                pytest.skip(result.stderr.strip())
            assert result.returncode == 0, result.stdout + result.stderr
            built[runtime] = paths.LAYER_DIR / paths.layer_zip_name(runtime)
            print(result.stdout)
        return built[runtime]

    return build


@pytest.fixture(scope="session")
def code_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("code") / "taskwatch-code.zip"
    status = load_tool("package_function").main(["--out", str(out)])
    if status == COMPILER_MISSING:  # its bytecode is compiled by the same pinned release as the layer's
        pytest.skip("no CPython of the pinned release to compile the code zip's bytecode (see make package)")
    assert status == 0
    return out


def interpreter_or_skip(runtime: str) -> Path:
    version = runtimes.python_version(runtime)
    found = runtimes.find_interpreter(version)
    if found is None:
        pytest.skip(f"no Python {version} interpreter on this machine (python{version} on PATH or "
                    f"~/.pyenv/versions/{version}.*): cannot check the {runtime} layer the way FunctionGraph runs it")
    return found


@pytest.fixture
def fg_emulator() -> Iterator[CloudEmulator]:
    with CloudEmulator(ak=AK, sk=SK, project_id=PROJECT, region=REGION, topic_urns=[TOPIC], buckets=[BUCKET],
                       functiongraph=True, ces=True) as emu:
        yield emu
    assert emu.errors == [], emu.errors[0] if emu.errors else ""


def deploy_env(emu: CloudEmulator, **extra: str) -> dict[str, str]:
    """A deploy environment pointed at the emulator (nothing from the real process environment)."""
    return {**emu.env(), "CLOUD_SDK_AK": AK, "CLOUD_SDK_SK": SK, "CLOUD_SDK_PROJECT_ID": PROJECT,
            "TASKWATCH_DEPLOY_TOPIC_URN": TOPIC, "TASKWATCH_DEPLOY_STATE_BUCKET": BUCKET, **extra}


def template_copy(directory: Path, code: Path, layer: Path, edit: Callable[[dict[str, Any]], None] | None = None,
                  name: str = "template.yaml") -> Path:
    """template.yaml with absolute zip paths, optionally edited (edit gets the function's Properties)."""
    document = yaml.safe_load(paths.TEMPLATE.read_text())
    props = document["Resources"]["taskwatch"]["Properties"]
    props["CodeUri"] = str(code)
    props["x-taskwatch"]["Layer"]["Zip"] = str(layer)
    if edit:
        edit(props)
    target = directory / name
    target.write_text(yaml.safe_dump(document, sort_keys=False))
    return target


def mutating(emu: CloudEmulator) -> list[str]:
    """Calls that could change something (anything but GET), in order."""
    return [r["call"] for r in emu.requests if r["method"] != "GET"]


def small_layer(path: Path, marker: str = "1") -> Path:
    """A tiny dependency zip (its content differs with marker)."""
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("fakedep/__init__.py", f"VERSION = {marker!r}\n")
    return path


def run_deploy(emu: CloudEmulator, command: str, template: Path, capsys: pytest.CaptureFixture[str],
               *flags: str, **env: str) -> tuple[int, str]:
    """layers/deploy.py <command> against the emulator, records reset first: (exit status, stdout + stderr)."""
    emu.reset_records()
    status = load_tool("deploy").main([command, "--template", str(template), *flags], environ=deploy_env(emu, **env))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


# Child runners' common part: a FunctionGraph-like context (no agency: CLOUD_SDK_* from the environment) and
# one timer invocation of the handler, leaving its result in `summary` (needs `time` imported).
TIMER_INVOCATION = r"""
class Context:  # the FunctionGraph context: no agency here, so CLOUD_SDK_* from the environment
    def __init__(self): self.started = time.monotonic()
    def getSecurityAccessKey(self): return None
    def getSecuritySecretKey(self): return None
    def getSecurityToken(self): return None
    def getUserData(self, key, default=None): return default
    def getRequestID(self): return "child-test"
    def getRemainingTimeInMilliSeconds(self): return 60000 - (time.monotonic() - self.started) * 1000

import index
event = {"version": "v1.0", "time": "2026-11-23T08:00:00+08:00", "trigger_type": "TIMER",
         "trigger_name": "every-5-minutes", "user_event": "{}"}
summary = index.handler(event, Context())
"""
