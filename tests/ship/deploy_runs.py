"""Shared by the deploy tests: a small stand-in layer zip, and one `deploy.py` command run against the
emulated FunctionGraph with its output."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.emulator import CloudEmulator

from .conftest import deploy_env, load_tool

deploy = load_tool("deploy")


def small_layer(path: Path, marker: str = "1") -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("fakedep/__init__.py", f"VERSION = {marker!r}\n")
    return path


def run_deploy(emu: CloudEmulator, command: str, template: Path, capsys, **env: str) -> tuple[int, str]:
    emu.reset_records()
    status = deploy.main([command, "--template", str(template)], environ=deploy_env(emu, **env))
    captured = capsys.readouterr()
    return status, captured.out + captured.err
