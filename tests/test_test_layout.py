"""Shared test helpers live in helper modules (conftest.py, fixtures.py, ...), never in a test_*.py module
that another module imports: importing a test module collects its tests twice and ties unrelated files."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.append("." * node.level + (node.module or ""))
            if node.module is None:  # from . import test_x
                names += [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def test_no_module_imports_a_test_module() -> None:
    offenders = [f"{path.relative_to(TESTS)} imports {name}" for path in sorted(TESTS.rglob("*.py"))
                 for name in imported_modules(path) if name.rsplit(".", 1)[-1].startswith("test_")]
    assert not offenders, offenders


def test_the_check_sees_every_form_of_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from .test_a import x\nfrom tests.b.test_c import y\nimport tests.test_d\n"
                      "from . import test_e\nfrom tests.fixtures import z\n")
    found = [n for n in imported_modules(sample) if n.rsplit(".", 1)[-1].startswith("test_")]
    assert found == [".test_a", "tests.b.test_c", "tests.test_d", "test_e"]
