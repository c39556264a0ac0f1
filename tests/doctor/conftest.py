"""Fixtures for `make doctor`: the entry script imported as a module, run against the emulator."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

LAYERS = Path(__file__).resolve().parents[2] / "layers"
if str(LAYERS) not in sys.path:
    sys.path.insert(0, str(LAYERS))

from tests.ship.conftest import load_tool  # noqa: E402


@dataclass
class Outcome:
    code: int
    text: str

    def rows(self, check: str) -> list[str]:
        """The output lines of the rows whose check contains `check` (with their fix line, if any)."""
        lines = self.text.splitlines()
        found = []
        for index, line in enumerate(lines):
            if line[:6].strip() in ("OK", "WARN", "SKIP", "FAIL") and check in line:
                fix = lines[index + 1] if index + 1 < len(lines) and "fix: " in lines[index + 1] else ""
                found.append(f"{line}\n{fix}" if fix else line)
        return found

    def status(self, check: str) -> str:
        [row] = self.rows(check)
        return row[:6].strip()


@pytest.fixture(scope="session")
def doctor() -> Any:
    return load_tool("doctor")


@pytest.fixture
def run_doctor(doctor: Any) -> Callable[[], Outcome]:
    """Run the preflight in-process with the current (monkeypatched) environment."""
    def run() -> Outcome:
        out = io.StringIO()
        code = doctor.main(out=out)
        return Outcome(code, out.getvalue())
    return run
