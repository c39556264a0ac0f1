"""Injected faults, per call name, consumed thread-safely.

Why: the function under test must survive throttling, server errors, slow answers, dropped and cut
connections and inconsistent paging. A test arms a Fault; the dispatcher asks `FaultSet.take()` on
every authenticated request and, if one fires, lets it replace (or reshape) the normal answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

KINDS = frozenset(
    {
        "429",
        "500",
        "503",
        "401",
        "403",
        "timeout",
        "reset",
        "malformed_json",
        "truncated",
        "html200",
        "empty_page",
        "total_changes",
        "total_of_page",
        "repeat_page",
        "odd_error_400",
        "odd_error_500",
        "answer",
    }
)
# These reshape a list answer; they never match (nor get consumed by) a non-list call.
LIST_KINDS = frozenset({"empty_page", "total_changes", "total_of_page", "repeat_page"})

# Error bodies whose fields are valid JSON of any shape but a string. The documents show error_code and
# error_msg as strings; nothing stops a gateway, a proxy or a new API version from sending something else,
# and the official SDK passes the values through as they came (only a falsy one is replaced). 400: the
# list-valued error_code of a client error. 500: one shape after another, a different one at each firing.
ODD_ERROR_400: dict[str, Any] = {"error_code": ["DBS.280001", "DBS.200001"],
                                 "error_msg": {"detail": ["bad", 3.5, None], "retry": False}}
ODD_ERROR_500: tuple[Any, ...] = (
    {"error": {"code": {"family": ["APIG", 308]}, "message": ["stacked", {"deep": [[["x" * 20_000]]]}]}},
    [None, 42, {"error_code": [1, 2]}, "x" * 5_000],
    {"error_code": 503.5, "error_msg": None},
    {"error_code": True, "error_msg": {"a": {"b": {"c": {"d": {"e": [{"f": None}] * 50}}}}}},
    None,
)


@dataclass(eq=False)
class Fault:
    """A fault for requests whose call name matches `call` (exact, or a glob such as 'dds.*' or '*').

    times: how many times it fires (None: until removed); decremented on each firing.
    delay: seconds the "timeout" kind waits before answering normally.
    after: let this many matching requests through before the fault starts firing.
    status, body, headers: what the "answer" kind sends instead of the normal answer (any status, 3xx
    included); `body` may be a function of the request (to echo what the client sent, as some error pages
    and proxies do).
    """

    call: str
    kind: str
    times: int | None = None
    delay: float = 15.0
    after: int = 0
    status: int = 400
    body: bytes | Callable[[Any], bytes] = b""
    headers: tuple[tuple[str, str], ...] = ()
    fired: int = field(default=0, init=False)
    passed: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {sorted(KINDS)}")
        if self.times is not None and self.times < 0:
            raise ValueError("times must be >= 0 or None")
        if self.after < 0:
            raise ValueError("after must be >= 0")

    def matches(self, call: str, is_list: bool) -> bool:
        if self.kind in LIST_KINDS and not is_list:
            return False
        return fnmatchcase(call, self.call)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.times <= 0


class FaultSet:
    """The armed faults, in the order they were added; the first one that fires wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        with self._lock:
            self._faults = [f for f in self._faults if f is not fault]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._faults))

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)

    def take(self, call: str, is_list: bool) -> Fault | None:
        """Count this request against every matching fault; return the first that fires (or None)."""
        chosen: Fault | None = None
        with self._lock:
            for fault in self._faults:
                if fault.exhausted or not fault.matches(call, is_list):
                    continue
                if fault.passed < fault.after:
                    fault.passed += 1
                    continue
                if chosen is None:
                    chosen = fault
            if chosen is not None:
                chosen.fired += 1
                if chosen.times is not None:
                    chosen.times -= 1
        return chosen
