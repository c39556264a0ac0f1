"""The one small interface every state store implements: read and write an object, by name.

Like Powertools' persistence layers: the run only ever calls read(), write() and keep_aside(); OBS and the
local file system are interchangeable behind it.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass

from ..secrets_scrub import SCRUBBER


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    etag: str


class StateStore(ABC):
    """Stores the state object under `key`, and its siblings (set-aside copies, the lease) next to it."""

    def __init__(self, uri: str, key: str) -> None:
        self.uri = uri
        self.key = key

    @abstractmethod
    def get(self, name: str) -> StoredObject | None:
        """The object called `name`, or None when there is none."""

    @abstractmethod
    def put(self, name: str, data: bytes) -> str:
        """Store `data` as `name`; returns its ETag."""

    def read(self) -> StoredObject | None:
        return self.get(self.key)

    def write(self, data: bytes) -> str:
        return self.put(self.key, data)

    def keep_aside(self, data: bytes, label: str) -> str:
        """Copy an unreadable state object under another name, so nothing is destroyed; returns the name."""
        name = f"{self.key}.{label}"
        self.put(name, SCRUBBER.bytes(data))  # kept as it was, except for a secret it might hold
        return name

    def sibling(self, suffix: str) -> str:
        return f"{self.key}.{suffix}"


def md5_etag(data: bytes) -> str:
    return '"' + hashlib.md5(data).hexdigest() + '"'
