"""The task centers the function queries, one module per service."""

from __future__ import annotations

from .base import Listing, ServiceSpec, TaskCenter, Violation, detail_wanted
from .dds import SPEC as DDS
from .gaussdb import SPEC as GAUSSDB
from .taurusdb import SPEC as TAURUSDB

SPECS: dict[str, ServiceSpec] = {spec.service: spec for spec in (TAURUSDB, GAUSSDB, DDS)}

__all__ = ["SPECS", "Listing", "ServiceSpec", "TaskCenter", "Violation", "detail_wanted"]
