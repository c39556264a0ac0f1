"""Reproducible zip archives: the same files give the same bytes, so a content hash identifies a build.

Entries are sorted by their archive name, every timestamp is 1980-01-01 00:00:00 (the zip epoch), every file
is mode 0644 (no directory entries: unzip and FunctionGraph create directories from the paths), compression
is deflate at a fixed level and no extra fields or comments are written.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
MB = 1024 * 1024


@dataclass(frozen=True)
class ZipReport:
    path: Path
    size: int
    files: int
    unzipped: int
    sha256: str

    def describe(self) -> str:
        return (f"{self.path.name}: {self.size / MB:.2f} MB ({self.size} bytes), {self.files} files, "
                f"{self.unzipped / MB:.1f} MB unzipped, sha256 {self.sha256}")


def write_zip(destination: Path, entries: Iterable[tuple[str, Path]]) -> ZipReport:
    """Write (archive name, source file) pairs, sorted by name; atomic (temp file, then rename)."""
    ordered = sorted(entries, key=lambda entry: entry[0])
    names = [name for name, _ in ordered]
    if len(set(names)) != len(names):
        raise ValueError("duplicate archive names")
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_name(destination.name + ".tmp")
    unzipped = 0
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, source in ordered:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = (0o100000 | FILE_MODE) << 16  # regular file, rw-r--r--
            info.create_system = 3  # Unix, so the mode above is honoured by unzip
            info.compress_type = zipfile.ZIP_DEFLATED
            data = source.read_bytes()
            unzipped += len(data)
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    os.replace(temporary, destination)
    return ZipReport(destination, destination.stat().st_size, len(ordered), unzipped, sha256_file(destination))


def tree_entries(root: Path, skip_dir: Callable[[Path], bool] | None = None,
                 skip_file: Callable[[Path], bool] | None = None) -> list[tuple[str, Path]]:
    """Every regular file under root as (posix relative name, path), minus what the predicates skip."""
    entries = []
    for directory, subdirs, files in os.walk(root):
        here = Path(directory)
        subdirs[:] = sorted(d for d in subdirs if not (skip_dir and skip_dir(here / d)))
        for name in files:
            path = here / name
            if path.is_symlink() or not path.is_file() or (skip_file and skip_file(path)):
                continue
            entries.append((path.relative_to(root).as_posix(), path))
    return entries


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
