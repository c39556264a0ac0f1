"""DDS (Document Database Service): list_tasks (GET /v3.1/{project_id}/jobs) and show_job_detail (seed 001).

The list requires start_time and end_time ("yyyy-mm-ddThh:mm:ss+hhmm", at most 30 days apart); items are
flat (id, name, instance_id, instance_name, created_at, ended_at) and say `progress`, not `process`.
`offset` is first read as items from 0 (the documents); the answers confirm or correct that (pager.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..sdk_loader import sdk_class
from ..timeutil import format_offset
from .base import ServiceSpec, field_map, job_detail_fields


def _client_class() -> Any:
    return sdk_class("huaweicloudsdkdds.v3", "DdsClient")


def _list_request(status: str, start: datetime, end: datetime, offset: int, limit: int) -> Any:
    request = sdk_class("huaweicloudsdkdds.v3", "ListTasksRequest")
    return request(start_time=format_offset(start), end_time=format_offset(end), status=status,
                   offset=offset, limit=limit)


def _detail_request(task_id: str) -> Any:
    return sdk_class("huaweicloudsdkdds.v3", "ShowJobDetailRequest")(id=task_id)


# The SDK's list request: Running 执行中 (running), Completed 完成 (finished), Failed 失败 (failed).
STATUSES = {
    "Running": "running now; stuck once it has run longer than TASKWATCH_STUCK_AFTER",
    "Completed": "finished successfully",
    "Failed": "finished with an error",
}

SPEC = ServiceSpec(
    service="dds",
    statuses=STATUSES,
    stuck_statuses=("Running",),
    client_class=_client_class,
    list_operation="list_tasks",
    list_request=_list_request,
    detail_operation="show_job_detail",
    detail_request=_detail_request,
    items_key="jobs",
    page_size=100,
    item_fields=field_map(id="id", name="name", status="status", created="created_at", ended="ended_at",
                          progress="progress", instance_id="instance_id", instance_name="instance_name",
                          fail_reason="fail_reason"),
    detail_fields=job_detail_fields("progress"),
)
