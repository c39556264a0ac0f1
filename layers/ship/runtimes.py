"""FunctionGraph Python runtimes, their Python versions, and a local interpreter of exactly that version.

The interpreter is looked up at run time, never hard-coded: `python3.X` on PATH first, then pyenv's
~/.pyenv/versions/3.X.*/bin/python3.X (and $PYENV_ROOT). A candidate counts only if it runs and reports
exactly 3.X (a pyenv shim for a version that is not installed fails and is skipped).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

# The Python runtimes FunctionGraph offers that this project supports (API-NOTES: 3.9, 3.10, 3.12).
RUNTIMES = {"Python3.9": "3.9", "Python3.10": "3.10", "Python3.12": "3.12"}
DEFAULT_RUNTIME = "Python3.10"


def python_version(runtime: str) -> str:
    """'Python3.10' -> '3.10'; a clear error for anything else."""
    try:
        return RUNTIMES[runtime]
    except KeyError:
        raise ValueError(f"unsupported runtime {runtime!r}; expected one of {', '.join(RUNTIMES)}") from None


def cache_tag(version: str) -> str:
    """'3.10' -> 'cpython-310' (the suffix of the runtime's .pyc files)."""
    major, minor = version.split(".")
    return f"cpython-{major}{minor}"


def _candidates(version: str) -> list[Path]:
    found: list[Path] = []
    on_path = shutil.which(f"python{version}")
    if on_path:
        found.append(Path(on_path))
    roots = [Path(os.environ["PYENV_ROOT"])] if os.environ.get("PYENV_ROOT") else []
    roots.append(Path.home() / ".pyenv")
    for root in roots:
        found += sorted((root / "versions").glob(f"{version}.*/bin/python{version}"), reverse=True)
    return found


def _reports(path: Path, version: str) -> bool:
    try:
        result = subprocess.run([str(path), "-I", "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0 and result.stdout.strip() == version


def full_version(interpreter: Path) -> str:
    """The interpreter's complete version string (patch level and build), for build stamps."""
    result = subprocess.run([str(interpreter), "-I", "-S", "-c", "import sys; print(sys.version)"],
                            capture_output=True, text=True, timeout=30)
    return result.stdout.strip()


def find_interpreter(version: str) -> Path | None:
    """A working CPython interpreter of exactly this X.Y version, or None."""
    for candidate in _candidates(version):
        if _reports(candidate, version):
            return candidate
    return None
