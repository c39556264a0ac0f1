"""TaurusDB (GaussDB for MySQL): list_immediate_jobs and show_gauss_my_sql_job_info (seeds 000, 002, 003).

List items are flat (job_id, job_name, instance_id, created_time, process); limit must be 10, 20 or 50;
times are "yyyy-mm-ddThh:mm:ss+hhmm"; `offset` is first read as a page number from 1 (as Huawei's Terraform
provider pages this API), and the answers confirm or correct that (pager.py). The detail nests instance{id,name}.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..sdk_loader import sdk_class
from ..timeutil import format_offset
from .base import ServiceSpec, field_map, job_detail_fields


def _client_class() -> Any:
    return sdk_class("huaweicloudsdkgaussdb.v3", "GaussDBClient")


def _list_request(status: str, start: datetime, end: datetime, offset: int, limit: int) -> Any:
    request = sdk_class("huaweicloudsdkgaussdb.v3", "ListImmediateJobsRequest")
    return request(status=status, offset=str(offset), limit=str(limit),
                   start_time=format_offset(start), end_time=format_offset(end))


def _detail_request(task_id: str) -> Any:
    return sdk_class("huaweicloudsdkgaussdb.v3", "ShowGaussMySqlJobInfoRequest")(id=task_id)


# The SDK (list_immediate_jobs, get_job_info_detail): Running 正在执行, Completed 执行成功, Failed 执行失败,
# Pending 延时任务，未执行 (a delayed task that has not run yet). Unauthorized and Canceled are accepted by the
# list API without a description.
STATUSES = {
    "Running": "running now; stuck once it has run longer than TASKWATCH_STUCK_AFTER",
    "Completed": "finished successfully",
    "Failed": "finished with an error",
    "Pending": "a delayed task that has not run yet, e.g. scheduled into a maintenance window: never stuck",
    "Unauthorized": "not described by the SDK; by its name, not authorised to run",
    "Canceled": "not described by the SDK; by its name, cancelled",
}

SPEC = ServiceSpec(
    service="taurusdb",
    statuses=STATUSES,
    stuck_statuses=("Running",),
    client_class=_client_class,
    list_operation="list_immediate_jobs",
    list_request=_list_request,
    detail_operation="show_gauss_my_sql_job_info",
    detail_request=_detail_request,
    items_key="jobs",
    page_size=50,
    item_fields=field_map(id="job_id", name="job_name", status="status", created="created_time", ended="ended_time",
                          progress="process", instance_id="instance_id", instance_name="instance_name",
                          fail_reason="fail_reason"),
    detail_fields=job_detail_fields("process"),
    offset_reading="page",
    detail_adds=("entities",),  # show_gauss_my_sql_job_info's job.entities: the list item has no such field
)
