"""What a message is about (the alert) and what SMN receives (the message), independent of format."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AlertItem:
    """One task in an alert, as the renderers see it (texts already cleaned)."""

    key: str
    kind: str  # "failed" or "stuck"
    service: str
    region: str
    project_id: str
    id: str
    name: str
    status: str
    created: str | None
    ended: str | None
    instance_id: str | None
    instance_name: str | None
    fail_reason: str | None
    entities: Any = None
    schema_errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Alert:
    """The new failures (and stuck tasks) of one service in one target: one message."""

    service: str
    region: str
    project_id: str
    items: tuple[AlertItem, ...]  # listed in full
    overflow: tuple[AlertItem, ...] = ()  # counted by task name only
    console_url: str = ""
    run_id: str = ""

    @property
    def all_items(self) -> tuple[AlertItem, ...]:
        return self.items + self.overflow

    def count(self, kind: str) -> int:
        return sum(1 for item in self.all_items if item.kind == kind)

    def overflow_by_name(self) -> list[tuple[str, int]]:
        return Counter(item.name for item in self.overflow).most_common()


@dataclass
class Message:
    """One SMN publication: a subject, a text per protocol, filterable attributes, and the task keys it
    covers (marked notified only once SMN has accepted it)."""

    kind: str  # alert, blind, recovered, notice, heartbeat
    subject: str
    text: str  # default and email
    sms: str
    http: dict[str, Any]
    attributes: list[dict[str, Any]] = field(default_factory=list)
    keys: tuple[str, ...] = ()
    source: str | None = None  # region/project/service of a health message
    notice_index: int | None = None  # position in state.notices of a notice message
