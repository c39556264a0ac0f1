"""The JSON document for http/https subscribers: every field, machine-readable, with the dedup key."""

from __future__ import annotations

from typing import Any

from .model import Alert, AlertItem

SCHEMA = "taskwatch.alert/v1"


def _item(item: AlertItem) -> dict[str, Any]:
    return {
        "dedup_key": item.key,
        "alert": item.kind,
        "service": item.service,
        "region": item.region,
        "project_id": item.project_id,
        "task_id": item.id,
        "task_name": item.name,
        "status": item.status,
        "instance_id": item.instance_id,
        "instance_name": item.instance_name,
        "created": item.created,
        "ended": item.ended,
        "fail_reason": item.fail_reason,
        "entities": item.entities,
        "schema_errors": list(item.schema_errors),
    }


def alert_document(alert: Alert) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "kind": "alert",
        "service": alert.service,
        "region": alert.region,
        "project_id": alert.project_id,
        "console_url": alert.console_url,
        "run_id": alert.run_id,
        "failed": alert.count("failed"),
        "stuck": alert.count("stuck"),
        "tasks": [_item(item) for item in alert.items],
        "more": [{"task_name": name, "count": count} for name, count in alert.overflow_by_name()],
        "more_tasks": [{"dedup_key": item.key, "alert": item.kind, "task_id": item.id} for item in alert.overflow],
    }
