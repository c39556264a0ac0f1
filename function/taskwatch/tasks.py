"""One task record for all four task centers, whatever each API calls its fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SERVICES = ("taurusdb", "gaussdb", "dds", "rds")
# What a target watches when it names no services (TASKWATCH_SERVICES' default too): RDS is opt-in, so an
# existing deployment whose agency lacks rds:task:list does not turn blind on RDS after an upgrade.
DEFAULT_SERVICES = ("taurusdb", "gaussdb", "dds")

SERVICE_TITLES = {"taurusdb": "TaurusDB", "gaussdb": "GaussDB", "dds": "DDS", "rds": "RDS"}


@dataclass(frozen=True)
class Agency:
    """An agency in another account (agencies.py): the account (domain) name that owns it, and its name."""

    domain: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.domain}/{self.name}"


@dataclass(frozen=True)
class Target:
    """A region and project to watch, with the services to query there, the shard label a timer's
    user_event may select it by, and the agency its account is read through (None: the function's own)."""

    region: str
    project_id: str
    services: tuple[str, ...] = SERVICES
    shard: str | None = None
    agency: Agency | None = None

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
