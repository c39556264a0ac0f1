"""FunctionGraph Python runtimes, their Python versions, and a local interpreter of exactly that version.

The interpreter is looked up at run time, never hard-coded: `python3.X` on PATH first, then pyenv's
~/.pyenv/versions/3.X.*/bin/python3.X (and $PYENV_ROOT). A candidate counts only if it runs and reports
exactly 3.X (a pyenv shim for a version that is not installed fails and is skipped).

The layer's bytecode compiler is stricter (`layer_compiler`): exactly the patch release in COMPILERS, so every
machine writes the same .pyc bytes and the layer zip has one sha256 per lock. TASKWATCH_LAYER_PYTHON names it
when it is not on PATH or under pyenv; it must still be that release.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

# The Python runtimes FunctionGraph offers that this project supports (API-NOTES: 3.9, 3.10, 3.12).
RUNTIMES = {"Python3.9": "3.9", "Python3.10": "3.10", "Python3.12": "3.12"}
DEFAULT_RUNTIME = "Python3.10"
# The release that compiles each runtime's layer bytecode: one per runtime, so the layer is byte-identical on
# every machine (another patch release may marshal other bytes). Changing it changes the layer's sha256.
COMPILERS = {"3.9": "3.9.18", "3.10": "3.10.13", "3.12": "3.12.1"}
LAYER_PYTHON_VARIABLE = "TASKWATCH_LAYER_PYTHON"


class CompilerMissing(RuntimeError):
    """No interpreter of the pinned release to compile the layer's bytecode; the text says how to get one."""


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


def release(interpreter: Path) -> str | None:
    """'3.10.13' for a working CPython interpreter, None if it does not run."""
    try:
        result = subprocess.run([str(interpreter), "-I", "-S", "-c",
                                 "import platform, sys; print(sys.implementation.name, platform.python_version())"],
                                capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    name, _, found = result.stdout.strip().partition(" ")
    return found if result.returncode == 0 and name == "cpython" else None


def layer_compiler(version: str, environ: dict[str, str] | None = None) -> Path:
    """The interpreter that compiles the layer's bytecode for runtime Python `version`: CPython of exactly
    COMPILERS[version], from TASKWATCH_LAYER_PYTHON when set, else python3.X on PATH or under pyenv."""
    environ = dict(os.environ) if environ is None else environ
    wanted = COMPILERS[version]
    how = (f"install it with `pyenv install {wanted}` (found under ~/.pyenv/versions/{wanted}), or set "
           f"{LAYER_PYTHON_VARIABLE} to the path of a CPython {wanted} interpreter. Nothing was built: a layer "
           "compiled by another release (or without bytecode) would have another sha256 than the same lock "
           "gives on other machines")
    explicit = environ.get(LAYER_PYTHON_VARIABLE)
    if explicit:
        found = release(Path(explicit))
        if found != wanted:
            state = f"is CPython {found}" if found else "does not run as a CPython interpreter"
            raise CompilerMissing(f"{LAYER_PYTHON_VARIABLE}={explicit} {state}; the Python{version} layer's "
                                  f"bytecode is compiled by CPython {wanted} exactly: {how}")
        return Path(explicit)
    others = []
    for candidate in _candidates(version):
        found = release(candidate)
        if found == wanted:
            return candidate
        if found:
            others.append(f"{candidate} is {found}")
    seen = f" ({'; '.join(others)})" if others else ""
    raise CompilerMissing(f"no CPython {wanted} found to compile the Python{version} layer's bytecode "
                          f"(looked for python{version} on PATH and under ~/.pyenv/versions){seen}: {how}")


def find_interpreter(version: str) -> Path | None:
    """A working CPython interpreter of exactly this X.Y version, or None."""
    for candidate in _candidates(version):
        if _reports(candidate, version):
            return candidate
    return None
