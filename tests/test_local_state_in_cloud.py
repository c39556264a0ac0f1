"""Inside FunctionGraph (RUNTIME_FUNC_NAME set, as the platform does) a local state file would not outlive the
instance: every cold start would silently take a fresh baseline. The handler refuses it, naming
TASKWATCH_STATE_URI, before any call, unless TASKWATCH_ALLOW_LOCAL_STATE=1 says it is intended."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import invoke
from tests.fixtures import FakeContext


@pytest.fixture
def in_functiongraph(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNTIME_FUNC_NAME", "taskwatch")
    monkeypatch.setenv("RUNTIME_PROJECT_ID", env["TASKWATCH_PROJECT_ID"])


def agency() -> FakeContext:
    return FakeContext(ak="AK-from-the-agency-0001", sk="SK-from-the-agency-0001")


@pytest.mark.parametrize("state", [None, "file:///tmp/taskwatch-test/state.json"])
def test_a_local_state_inside_functiongraph_is_refused_naming_the_key(emulator, in_functiongraph, monkeypatch,
                                                                      state) -> None:
    if state is None:
        monkeypatch.delenv("TASKWATCH_STATE_URI")  # the default: file:///tmp/...
    else:
        monkeypatch.setenv("TASKWATCH_STATE_URI", state)
    summary = invoke(context=agency())
    assert summary["outcome"] == "failed" and summary["error_type"] == "ConfigError"
    [error] = summary["errors"]
    assert error.startswith("configuration TASKWATCH_STATE_URI: ") and "TASKWATCH_ALLOW_LOCAL_STATE=1" in error
    assert "/tmp/taskwatch" not in error  # the value is not echoed
    assert emulator.requests == []  # refused before any call


def test_allowed_explicitly_it_runs_on_the_local_file(emulator, env, in_functiongraph, monkeypatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.setenv("TASKWATCH_STATE_URI", f"file://{tmp_path}/state.json")
    monkeypatch.setenv("TASKWATCH_ALLOW_LOCAL_STATE", "1")
    summary = invoke()
    assert summary["outcome"] == "ok" and summary["messages_published"] == 2
    assert (tmp_path / "state.json").exists()


def test_obs_state_inside_functiongraph_runs(emulator, env, in_functiongraph) -> None:
    summary = invoke()
    assert summary["outcome"] == "ok" and summary["state"]["written"]


def test_outside_functiongraph_the_local_default_still_serves_local_runs(emulator, env, monkeypatch,
                                                                       tmp_path: Path) -> None:
    monkeypatch.delenv("RUNTIME_FUNC_NAME", raising=False)
    monkeypatch.setenv("TASKWATCH_STATE_URI", f"file://{tmp_path}/state.json")
    assert invoke()["outcome"] == "ok"


class FunctionGraphContext(FakeContext):
    """The platform's context names the function (getFunctionName), as FunctionGraph's does."""

    def getFunctionName(self) -> str:
        return "taskwatch"


def test_a_context_that_names_the_function_is_inside_functiongraph_too(emulator, env, monkeypatch) -> None:
    """FunctionGraph serves the function name through the context as well as RUNTIME_FUNC_NAME; an environment
    without the variable (another runtime, a variable not passed) must not turn the refusal off."""
    monkeypatch.delenv("RUNTIME_FUNC_NAME", raising=False)
    monkeypatch.delenv("TASKWATCH_STATE_URI")
    summary = invoke(context=FunctionGraphContext(ak="AK-from-the-agency-0001", sk="SK-from-the-agency-0001"))
    assert summary["outcome"] == "failed" and summary["error_type"] == "ConfigError", summary
    assert summary["errors"][0].startswith("configuration TASKWATCH_STATE_URI: ")
    assert emulator.requests == []
