"""Canonical task record -> each API's own JSON shape (field names, nesting, time format).

Why: the three task centers name the same facts differently (job_id/id, process/progress,
created_time/created_at/create_time/created, flat instance fields vs instance_info vs instance{}); tests of the
function must see exactly what the documents show.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from .timefmt import format_offset_time

# The offsets the documents' examples use when nothing else is known about a task's times.
DEFAULT_OFFSET = {
    "taurusdb": timedelta(hours=8),
    "gaussdb": timedelta(hours=8),
    "dds": timedelta(0),
    "rds": timedelta(0),
}


def _time(service: str, record: dict[str, Any], field: str) -> str | None:
    value: datetime | None = record.get(field)
    if value is None:
        return None
    offset = record.get("_offsets", {}).get(field, DEFAULT_OFFSET[service])
    return format_offset_time(value, offset)


def instance_status(record: dict[str, Any]) -> str:
    """The instance status a list item shows; derived from the task when the test did not set one."""
    if record.get("instance_status"):
        return str(record["instance_status"])
    name = str(record.get("name", ""))
    status = record.get("status")
    if name.startswith("Create") and status == "Running":
        return "creating"
    if name.startswith("Create") and status == "Failed":
        return "createfail"
    if name.startswith("Delete") and status == "Completed":
        return "deleted"
    return "normal"


def _drop_omitted(record: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    omit = record.get("_omit", frozenset())
    return {k: v for k, v in item.items() if k not in omit}


# ---- TaurusDB (GaussDB for MySQL) ---------------------------------------------------------------
def taurusdb_list_item(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "instance_id": record["instance_id"],
        "instance_name": record["instance_name"],
        "instance_status": instance_status(record),
        "job_id": record["id"],
        "order_id": "",
        "job_name": record["name"],
        "status": record["status"],
        "process": record["progress"],
        "created_time": _time("taurusdb", record, "created"),
        "ended_time": _time("taurusdb", record, "ended"),
        "fail_reason": record["fail_reason"],
    }


def taurusdb_detail(record: dict[str, Any]) -> dict[str, Any]:
    job = {
        "id": record["id"],
        "name": record["name"],
        "status": record["status"],
        "created": _time("taurusdb", record, "created"),
        "ended": _time("taurusdb", record, "ended"),
        "process": record["progress"],
        "instance": {"id": record["instance_id"], "name": record["instance_name"]},
        "entities": record["entities"] if record["entities"] is not None else {},
        "fail_reason": record["fail_reason"],
    }
    return {"job": _drop_omitted(record, job)}


# ---- GaussDB (openGauss) ------------------------------------------------------------------------
def gaussdb_list_item(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "instance_info": {
            "instance_id": record["instance_id"],
            "instance_name": record["instance_name"],
            "instance_status": instance_status(record),
        },
        "job_id": record["id"],
        "name": record["name"],
        "status": record["status"],
        "process": record["progress"],
        "created_at": _time("gaussdb", record, "created"),
        "ended_at": _time("gaussdb", record, "ended"),
        "fail_reason": record["fail_reason"],
    }


def _progress_detail(service: str, record: dict[str, Any]) -> dict[str, Any]:
    job = {
        "id": record["id"],
        "name": record["name"],
        "status": record["status"],
        "created": _time(service, record, "created"),
        "ended": _time(service, record, "ended"),
        "progress": record["progress"],
        "instance": {"id": record["instance_id"], "name": record["instance_name"]},
        "fail_reason": record["fail_reason"],
    }
    return {"job": _drop_omitted(record, job)}


def gaussdb_detail(record: dict[str, Any]) -> dict[str, Any]:
    return _progress_detail("gaussdb", record)


# ---- DDS ----------------------------------------------------------------------------------------
def dds_list_item(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": record["id"],
        "name": record["name"],
        "instance_id": record["instance_id"],
        "instance_name": record["instance_name"],
        "status": record["status"],
        "progress": record["progress"],
        "fail_reason": record["fail_reason"],
        "created_at": _time("dds", record, "created"),
        "ended_at": _time("dds", record, "ended"),
    }


def dds_detail(record: dict[str, Any]) -> dict[str, Any]:
    return _progress_detail("dds", record)


# ---- RDS (MySQL, PostgreSQL, SQL Server) ---------------------------------------------------------
def rds_instance_status(record: dict[str, Any]) -> str:
    """RDS names instance states in upper case (BUILD, CREATE FAIL, ACTIVE, ...: "Querying Instant Tasks")."""
    if record.get("instance_status"):
        return str(record["instance_status"])
    return {"creating": "BUILD", "createfail": "CREATE FAIL", "deleted": "ACTIVE"}.get(
        instance_status(record), "ACTIVE")


def rds_list_item(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": record["id"],
        "name": record["name"],
        "instance_id": record["instance_id"],
        "instance_name": record["instance_name"],
        "instance_status": rds_instance_status(record),
        "order_id": "",
        "process": record["progress"],
        "fail_reason": record["fail_reason"],
        "create_time": _time("rds", record, "created"),
        "end_time": _time("rds", record, "ended"),
        "status": record["status"],
    }


def rds_detail(record: dict[str, Any]) -> dict[str, Any]:
    job = {
        "id": record["id"],
        "name": record["name"],
        "status": record["status"],
        "created": _time("rds", record, "created"),
        "ended": _time("rds", record, "ended"),
        "process": record["progress"],
        "instance": {"id": record["instance_id"], "name": record["instance_name"]},
        "entities": record["entities"] if record["entities"] is not None else {},
        "fail_reason": record["fail_reason"],
    }
    return {"job": _drop_omitted(record, job)}


Renderer = Callable[[dict[str, Any]], dict[str, Any]]

LIST_ITEM: dict[str, Renderer] = {
    "taurusdb": taurusdb_list_item,
    "gaussdb": gaussdb_list_item,
    "dds": dds_list_item,
    "rds": rds_list_item,
}
DETAIL: dict[str, Renderer] = {
    "taurusdb": taurusdb_detail,
    "gaussdb": gaussdb_detail,
    "dds": dds_detail,
    "rds": rds_detail,
}
