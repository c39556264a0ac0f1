"""The layer's lock (layers/requirements.txt): pins with sha256 hashes, PEP 508 markers evaluated for the TARGET.

Why markers here: pip evaluates `; python_version < "3.11"` against the interpreter running pip, not against
--python-version, so a lock with per-version pins (needed when a pinned release dropped the runtime's Python)
would resolve wrongly for a cross-version layer build. This module picks the lines that apply to the target
and hands pip a marker-free file.

Why hashes: the lock (written by `make lock`, uv pip compile --generate-hashes) lists the sha256 of every file
released for each pinned version. Every wheel that goes into the layer must have one of those digests, whether
pip just downloaded it or it came from the wheel cache (see `check_wheels`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .zipfile_det import sha256_file

try:  # packaging is installed with pip's tooling (pytest depends on it); pip vendors a copy too
    from packaging.markers import Marker
    from packaging.requirements import Requirement
    from packaging.utils import parse_wheel_filename
except ImportError:  # pragma: no cover
    from pip._vendor.packaging.markers import Marker  # type: ignore[no-redef]
    from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef]
    from pip._vendor.packaging.utils import parse_wheel_filename  # type: ignore[no-redef]

PLATFORM = "manylinux2014_x86_64"
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


class WheelCheckError(Exception):
    """A wheel does not match the lock: it must not reach the layer."""


@dataclass(frozen=True)
class Pin:
    name: str  # as written in the lock
    version: str
    extras: tuple[str, ...]
    hashes: frozenset[str]  # sha256 hex digests of the released files

    @property
    def key(self) -> str:
        return canonical(self.name)

    @property
    def line(self) -> str:
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        return f"{self.name}{extras}=={self.version}"

    @property
    def hashed_line(self) -> str:
        """The line for pip in --require-hashes mode."""
        return " ".join([self.line, *(f"--hash=sha256:{digest}" for digest in sorted(self.hashes))])


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


def _logical_lines(text: str) -> Iterable[str]:
    """Lines with `\\` continuations joined and comments dropped (the requirements file format)."""
    pending = ""
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            yield line
    if pending.strip():
        yield pending.strip()


def resolve(path: Path, version: str, require_hashes: bool = True) -> list[Pin]:
    """The pins that apply to Python `version`, each with its hashes; a clear error for anything unpinned."""
    environment = target_environment(version)
    pins: list[Pin] = []
    for text in _logical_lines(path.read_text(encoding="utf-8")):
        hashes = frozenset(_HASH.findall(text))
        requirement_text = _HASH.sub("", text).strip()
        if requirement_text.startswith("-"):
            raise ValueError(f"{path.name}: options are not supported in the layer requirements: {requirement_text!r}")
        requirement = Requirement(requirement_text)
        if requirement.marker is not None and not Marker(str(requirement.marker)).evaluate(environment):
            continue
        if requirement.url or len(requirement.specifier) != 1 or next(iter(requirement.specifier)).operator != "==":
            raise ValueError(f"{path.name}: every layer requirement must be pinned with ==: {requirement_text!r}")
        if require_hashes and not hashes:
            raise ValueError(f"{path.name}: no --hash for {requirement.name}: the layer is built from the lock only "
                             "(edit layers/requirements.in, then run `make lock`)")
        pins.append(Pin(requirement.name, next(iter(requirement.specifier)).version,
                        tuple(sorted(requirement.extras)), hashes))
    names = [pin.key for pin in pins]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{path.name}: more than one pin applies to Python {version} for: {', '.join(duplicates)}")
    return sorted(pins, key=lambda pin: pin.name.lower())


def check_wheels(wheels: Iterable[Path], pins: list[Pin], lock_name: str = "layers/requirements.txt") -> None:
    """Every wheel is the pinned version of a pinned project with a digest the lock lists, one per pin.

    Raises WheelCheckError naming the first wheel that fails, so a tampered or stale cache never reaches a zip.
    """
    by_name = {pin.key: pin for pin in pins}
    seen: dict[str, Path] = {}
    for wheel in sorted(wheels):
        name, version, _, _ = parse_wheel_filename(wheel.name)
        pin = by_name.get(canonical(str(name)))
        if pin is None:
            raise WheelCheckError(f"{wheel.name}: {name} is not pinned in {lock_name}")
        if str(version) != pin.version:
            raise WheelCheckError(f"{wheel.name}: version {version}, but {lock_name} pins {pin.line}")
        actual = sha256_file(wheel)
        if actual not in pin.hashes:
            raise WheelCheckError(f"{wheel.name}: sha256 {actual} is not one of the {len(pin.hashes)} hashes "
                                  f"{lock_name} lists for {pin.line}: refused (tampered or corrupt file?)")
        if pin.key in seen:
            raise WheelCheckError(f"{wheel.name}: a second wheel for {pin.line} (also {seen[pin.key].name})")
        seen[pin.key] = wheel
    missing = sorted(set(by_name) - set(seen))
    if missing:
        raise WheelCheckError(f"no wheel for: {', '.join(by_name[key].line for key in missing)}")


def canonical(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()
