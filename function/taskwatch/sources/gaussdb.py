"""GaussDB (openGauss): list_tasks (seed 004) and show_job_detail.

List items nest the instance in instance_info{}; created_at/ended_at; times in the query are UNIX
milliseconds (UTC) as strings; limit 1-100; `offset` is first read as items from 0 (the documents), and the
answers confirm or correct that (pager.py). The detail says `progress`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..sdk_loader import sdk_class
from ..timeutil import format_unix_ms
from .base import ServiceSpec, field_map, job_detail_fields


def _client_class() -> Any:
    return sdk_class("huaweicloudsdkgaussdbforopengauss.v3", "GaussDBforopenGaussClient")


def _list_request(status: str, start: datetime, end: datetime, offset: int, limit: int) -> Any:
    request = sdk_class("huaweicloudsdkgaussdbforopengauss.v3", "ListTasksRequest")
    return request(status=status, start_time=format_unix_ms(start), end_time=format_unix_ms(end),
                   offset=offset, limit=limit)


def _detail_request(task_id: str) -> Any:
    return sdk_class("huaweicloudsdkgaussdbforopengauss.v3", "ShowJobDetailRequest")(id=task_id)


# The SDK only says 任务状态 (task status); the API documents list Running, Completed and Failed.
STATUSES = {
    "Running": "running now; stuck once it has run longer than TASKWATCH_STUCK_AFTER",
    "Completed": "finished successfully",
    "Failed": "finished with an error",
}

SPEC = ServiceSpec(
    service="gaussdb",
    statuses=STATUSES,
    stuck_statuses=("Running",),
    client_class=_client_class,
    list_operation="list_tasks",
    list_request=_list_request,
    detail_operation="show_job_detail",
    detail_request=_detail_request,
    items_key="tasks",
    page_size=100,
    item_fields=field_map(id="job_id", name="name", status="status", created="created_at", ended="ended_at",
                          progress="process", instance_id="instance_info.instance_id",
                          instance_name="instance_info.instance_name", fail_reason="fail_reason"),
    detail_fields=job_detail_fields("progress"),
)
