"""The layer's pinned requirements, with PEP 508 markers evaluated for the TARGET runtime.

Why: pip evaluates `; python_version < "3.11"` markers against the interpreter running pip, not against
--python-version, so a requirements file with per-version pins (needed when a pinned release dropped the
runtime's Python) would resolve wrongly for a cross-version layer build. This module picks the lines that
apply to the target and hands pip a marker-free file.
"""

from __future__ import annotations

import re
from pathlib import Path

try:  # packaging is installed with pip's tooling (pytest depends on it); pip vendors a copy too
    from packaging.markers import Marker
    from packaging.requirements import Requirement
except ImportError:  # pragma: no cover
    from pip._vendor.packaging.markers import Marker  # type: ignore[no-redef]
    from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef]

PLATFORM = "manylinux2014_x86_64"


def target_environment(version: str) -> dict[str, str]:
    """Marker variables of CPython `version` on x86_64 Linux (FunctionGraph's platform)."""
    return {
        "python_version": version,
        "python_full_version": f"{version}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "os_name": "posix",
    }


def resolve(path: Path, version: str) -> list[str]:
    """The requirement lines (name==version[extras], markers dropped) that apply to Python `version`."""
    environment = target_environment(version)
    lines: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        text = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not text:
            continue
        if text.startswith("-"):
            raise ValueError(f"{path.name}: options are not supported in the layer requirements: {text!r}")
        requirement = Requirement(text)
        if requirement.marker is not None and not Marker(str(requirement.marker)).evaluate(environment):
            continue
        if requirement.url or len(requirement.specifier) != 1 or next(iter(requirement.specifier)).operator != "==":
            raise ValueError(f"{path.name}: every layer requirement must be pinned with ==: {text!r}")
        extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
        lines.append(f"{requirement.name}{extras}{requirement.specifier}")
    names = [canonical(line.split("[")[0].split("=")[0]) for line in lines]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{path.name}: more than one pin applies to Python {version} for: {', '.join(duplicates)}")
    return sorted(lines, key=str.lower)


def canonical(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()
