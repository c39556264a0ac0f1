"""`make package`: build/function/taskwatch-code.zip, the function's code for FunctionGraph.

    python layers/package_function.py [--out build/function/taskwatch-code.zip]

function/'s contents at the zip root (index.py, taskwatch/ with its schemas/*.json), nothing else: no tests,
no __pycache__ or .pyc, no hidden files. Reproducible (sorted entries, fixed timestamps), so its SHA-512 is
what FunctionGraph reports as the function's digest and deploy updates the code only when it changed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ship import paths
from ship.zipfile_det import MB, tree_entries, write_zip

MAX_API_BYTES = 50 * MB  # FunctionGraph: code zip uploaded through the API
MAX_UNZIPPED = 1536 * MB  # FunctionGraph: 1.5 GB unzipped
SKIP_DIRS = {"__pycache__", "tests", "test", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


def _skip_dir(path: Path) -> bool:
    return path.name in SKIP_DIRS or path.name.startswith(".")


def _skip_file(path: Path) -> bool:
    return path.name.startswith(".") or path.suffix in {".pyc", ".pyo"} or path.name.startswith("test_")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=paths.FUNCTION)
    parser.add_argument("--out", type=Path, default=paths.CODE_ZIP)
    args = parser.parse_args(argv)
    entries = tree_entries(args.source, _skip_dir, _skip_file)
    if not any(name == "index.py" for name, _ in entries):
        print(f"package: {args.source} has no index.py (the handler module)", file=sys.stderr)
        return 2
    report = write_zip(args.out, entries)
    print(f"package: {report.describe()}")
    status = 0
    if report.size > MAX_API_BYTES:
        print(f"package: ERROR over FunctionGraph's {MAX_API_BYTES // MB} MB for a zip sent through the API",
              file=sys.stderr)
        status = 1
    if report.unzipped > MAX_UNZIPPED:
        print(f"package: ERROR over FunctionGraph's {MAX_UNZIPPED // MB} MB unzipped", file=sys.stderr)
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
