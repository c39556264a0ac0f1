"""State in a local JSON file: the default for local runs and tests (file:///path)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import StateError
from .store import StateStore, StoredObject, md5_etag


class LocalFileStore(StateStore):
    def __init__(self, uri: str) -> None:
        path = uri[len("file://"):]
        if not path.startswith("/"):
            raise StateError("a file:// state URI needs an absolute path (file:///...)")
        super().__init__(uri, path)

    def get(self, name: str) -> StoredObject | None:
        try:
            data = Path(name).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(f"cannot read {name}: {exc.strerror}") from None
        return StoredObject(data, md5_etag(data))

    def put(self, name: str, data: bytes) -> str:
        """Write atomically (temporary file, then rename) so a crash never leaves half a state."""
        target = Path(name)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except OSError as exc:
            raise StateError(f"cannot write {name}: {exc.strerror}") from None
        return md5_etag(data)
