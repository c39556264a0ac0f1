"""Where the function remembers what it has seen: the store (OBS or a local file) and the document."""

from __future__ import annotations

from ..config import Config
from ..credentials import Credentials
from ..deadline import Deadline
from ..errors import StateError
from .local_file import LocalFileStore
from .obs import ObsStore
from .store import StateStore, StoredObject


def open_store(config: Config, credentials: Credentials, deadline: Deadline) -> StateStore:
    """The store named by TASKWATCH_STATE_URI."""
    uri = config.state_uri
    if uri.startswith("obs://"):
        return ObsStore(uri, credentials, config.endpoint("obs", config.obs_region), config.obs_region, deadline,
                        timeout=config.http_timeout)
    if uri.startswith("file://"):
        return LocalFileStore(uri)
    raise StateError("TASKWATCH_STATE_URI must start with obs:// or file://")


__all__ = ["LocalFileStore", "ObsStore", "StateStore", "StoredObject", "open_store"]
