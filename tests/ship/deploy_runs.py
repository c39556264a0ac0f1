"""Shared by the deploy tests: the deploy tool module, a small stand-in layer zip, and one `deploy.py` command
run against the emulated FunctionGraph with its output (the last two live in conftest.py)."""

from __future__ import annotations

from .conftest import load_tool, run_deploy, small_layer

deploy = load_tool("deploy")

__all__ = ["deploy", "run_deploy", "small_layer"]
