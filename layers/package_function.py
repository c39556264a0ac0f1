"""`make package`: build/function/taskwatch-code.zip, the function's code for FunctionGraph.

    python layers/package_function.py [--out build/function/taskwatch-code.zip] [--runtime Python3.10]

function/'s contents at the zip root (index.py, taskwatch/ with its schemas/*.json), nothing else: no tests,
no __pycache__ or .pyc from the source tree, no hidden files. Reproducible (sorted entries, fixed timestamps),
so its SHA-512 is what FunctionGraph reports as the function's digest and deploy updates the code only when it
changed.

Added by the build, for the cold start:
- bytecode of every module for template.yaml's runtime (or --runtime), compiled by the same pinned CPython
  release as the layer (ship/runtimes.py COMPILERS: the same bytes and digest on every machine). FunctionGraph
  mounts the code read-only, so without it every cold start compiles the whole package and keeps nothing.
  The pycs are checked-hash: the import hashes the source (microseconds), and a module edited after the
  upload (the console's editor) is compiled afresh instead of running its old bytecode;
- taskwatch/schemas/checked.json: the SHA-256 of every schema after checking it against the Draft 2020-12
  metaschema (an invalid schema stops the build); the function skips that check, the costliest step of its
  cold start, for exactly those bytes (taskwatch/schema_files.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ship import paths, runtimes
from ship.template import TemplateError, function_runtime
from ship.zipfile_det import MB, tree_entries, write_zip

MAX_API_BYTES = 50 * MB  # FunctionGraph: code zip uploaded through the API
MAX_UNZIPPED = 1536 * MB  # FunctionGraph: 1.5 GB unzipped
COMPILE_TREE = paths.LAYERS / "ship" / "compile_tree.py"  # run by the runtime's interpreter
COMPILER_MISSING = 3  # exit status, as build_layer.py's: no interpreter of the pinned release
SKIP_DIRS = {"__pycache__", "tests", "test", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


def _skip_dir(path: Path) -> bool:
    return path.name in SKIP_DIRS or path.name.startswith(".")


def _skip_file(path: Path) -> bool:
    return path.name.startswith(".") or path.suffix in {".pyc", ".pyo"} or path.name.startswith("test_")


def _record_checked_schemas(staging: Path) -> None:
    """taskwatch/schemas/checked.json: every schema checked against its metaschema, with its digest."""
    schemas = staging / "taskwatch" / "schemas"
    if not schemas.is_dir():
        return
    paths.import_function_package()
    from taskwatch.schema_files import CHECKED_FILE, checked_manifest

    text = json.dumps(checked_manifest(schemas), indent=1, sort_keys=True) + "\n"
    (schemas / CHECKED_FILE.name).write_text(text, encoding="utf-8")


def _compile(interpreter: Path, root: Path) -> bool:
    """Checked-hash bytecode for every module, as build_layer.py compiles the layer (same flags, hash seed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    result = subprocess.run([str(interpreter), "-S", "-s", str(COMPILE_TREE), str(root), "--checked"],
                            capture_output=True, text=True, env=env, cwd=root)
    if result.returncode != 0:
        print((result.stdout + result.stderr)[-4000:], file=sys.stderr)
        print(f"package: compiling the bytecode with {interpreter} failed", file=sys.stderr)
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=paths.FUNCTION)
    parser.add_argument("--out", type=Path, default=paths.CODE_ZIP)
    parser.add_argument("--runtime", help="FunctionGraph runtime the bytecode is for (default: template.yaml's)")
    parser.add_argument("--template", type=Path, default=paths.TEMPLATE)
    args = parser.parse_args(argv)
    try:
        version = runtimes.python_version(args.runtime or function_runtime(args.template))
        interpreter = runtimes.layer_compiler(version)
    except (TemplateError, ValueError, OSError) as exc:
        print(f"package: {exc}", file=sys.stderr)
        return 2
    except runtimes.CompilerMissing as exc:
        print(f"package: {exc}", file=sys.stderr)
        return COMPILER_MISSING
    entries = tree_entries(args.source, _skip_dir, _skip_file)
    if not any(name == "index.py" for name, _ in entries):
        print(f"package: {args.source} has no index.py (the handler module)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="taskwatch-package-") as scratch:
        staging = Path(scratch) / "code"
        for name, source in entries:
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, staging / name)
        try:
            _record_checked_schemas(staging)
        except ValueError as exc:
            print(f"package: ERROR {exc}", file=sys.stderr)
            return 1
        if not _compile(interpreter, staging):
            return 1
        report = write_zip(args.out, tree_entries(staging))
    print(f"package: {report.describe()}")
    print(f"package: bytecode {runtimes.cache_tag(version)} checked-hash")
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
