"""One task record for all three task centers, whatever each API calls its fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SERVICES = ("taurusdb", "gaussdb", "dds")

SERVICE_TITLES = {"taurusdb": "TaurusDB", "gaussdb": "GaussDB", "dds": "DDS"}


@dataclass(frozen=True)
class Target:
    """A region and project to watch, with the services to query there, and the shard label a timer's
    user_event may select it by."""

    region: str
    project_id: str
    services: tuple[str, ...] = SERVICES
    shard: str | None = None

    @property
    def label(self) -> str:
        return f"{self.region}/{self.project_id}"


@dataclass(slots=True)
class Task:
    """A task as the function reasons about it. `schema_errors` is non-empty when the record did not
    match its JSON Schema: such a record is still reported, marked, never dropped. Slotted: a storm's
    listing holds tens of thousands of them, and a per-instance __dict__ would double their size."""

    service: str
    region: str
    project_id: str
    id: str
    name: str
    status: str
    created: datetime | None
    ended: datetime | None = None
    progress: str | None = None
    instance_id: str | None = None
    instance_name: str | None = None
    fail_reason: str | None = None
    entities: Any = None
    schema_errors: list[str] = field(default_factory=list)
    detailed: bool = False
    api_id: str | None = None  # the ID as the API gave it, when `id` is a stand-in (clean_data.display_id)

    @property
    def key(self) -> str:
        """The stable dedup key, also carried in every message: service:project:task id."""
        return f"{self.service}:{self.project_id}:{self.id}"

    @property
    def source(self) -> str:
        return f"{self.region}/{self.project_id}/{self.service}"
