"""What a warm instance keeps between invocations: the SDK clients and HTTP sessions it built.

FunctionGraph runs later invocations in the same instance while it is warm. Building a client (credentials,
HTTP config, a requests Session and its pools) and opening its connections cost more than the few calls of
a quiet run, so a run borrows what an earlier run left on the shelf and gives it back when it ends.

- A client is lent to one invocation at a time (the borrower is the run's Deadline): two invocations in one
  instance at once never share a client, so each call's timeouts come from its own invocation's time.
- The key carries a digest of the credentials, never the credentials: rotated or other-account credentials
  get clients of their own, and the shelf keeps at most LIMIT idle ones (the oldest go first).
- A borrower that is never given back (a tool, not a run) holds its clients only as long as it lives.
- A kept connection the server closed meanwhile is noticed by urllib3 when the pool hands it out, and a new
  one is opened; a call that fails on the wire is retried by the run like any other.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from .credentials import Credentials

LIMIT = 24  # idle clients kept: a few per source, publisher and store, some rotations of credentials


def credentials_digest(credentials: Credentials) -> str:
    """Tells credentials apart without keeping or showing them."""
    text = "\0".join((credentials.ak, credentials.sk, credentials.security_token or ""))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Shelf:
    """Idle clients by key, and what each borrower holds until it gives them back."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._idle: OrderedDict[Hashable, list[Any]] = OrderedDict()
        self._lent: weakref.WeakKeyDictionary[Any, list[tuple[Hashable, Any]]] = weakref.WeakKeyDictionary()

    def borrow(self, key: Hashable, borrower: Any, build: Callable[[], Any]) -> Any:
        """An idle client under `key`, or a new one from `build`; lent to `borrower` until give_back."""
        with self._lock:
            kept = self._idle.get(key)
            item = kept.pop() if kept else None
            if kept is not None and not kept:
                del self._idle[key]
        if item is None:
            item = build()
        with self._lock:
            self._lent.setdefault(borrower, []).append((key, item))
        return item

    def give_back(self, borrower: Any) -> None:
        """Everything `borrower` holds goes back on the shelf (the least recently used beyond LIMIT go)."""
        with self._lock:
            for key, item in self._lent.pop(borrower, []):
                self._idle.setdefault(key, []).append(item)
                self._idle.move_to_end(key)
            while self.idle() > self.limit:
                oldest = next(iter(self._idle))
                kept = self._idle[oldest]
                kept.pop(0)
                if not kept:
                    del self._idle[oldest]

    def lent_to(self, borrower: Any) -> list[Any]:
        """What `borrower` holds now."""
        with self._lock:
            return [item for _key, item in self._lent.get(borrower, [])]

    def idle(self) -> int:
        return sum(len(kept) for kept in self._idle.values())

    def clear(self) -> None:
        with self._lock:
            self._idle.clear()


SHELF = Shelf()
