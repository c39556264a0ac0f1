"""The task centers the function queries, one module per service."""

from __future__ import annotations

from .base import Listing, ServiceSpec, TaskCenter, Violation, detail_wanted
from .dds import SPEC as DDS
from .gaussdb import SPEC as GAUSSDB
from .rds import SPEC as RDS
from .taurusdb import SPEC as TAURUSDB

SPECS: dict[str, ServiceSpec] = {spec.service: spec for spec in (TAURUSDB, GAUSSDB, DDS, RDS)}

__all__ = ["SPECS", "Listing", "ServiceSpec", "TaskCenter", "Violation", "detail_wanted"]
