"""RDS (MySQL, PostgreSQL, SQL Server): list_tasks (GET /v3/{project_id}/tasklist) and list_job_info
(GET /v3/{project_id}/jobs?id=).

List items are flat (id, name, instance_id, instance_name, create_time, end_time) and say `process`; the
page holds `tasks`, `actions` (task names) and `total_count`; limit is 1-50. `offset` is an item offset from
0 (the API reference "Querying Instant Tasks" and the SDK); Terraform's huaweicloud_rds_instant_tasks pages
it with an offset pager of 50 too; the answers still confirm or correct the reading (pager.py).

Query times: the SDK calls start_time/end_time a "UTC timestamp" (a string, no unit); the API reference
(OTC edition, rds_13_0002) says "UNIX timestamp ... in milliseconds, UTC" and its example sends 13 digits
(start_time=1747919701390), so UNIX milliseconds are sent first; the answers confirm or correct that unit
(time_units.py: a 400 parameter error, or an empty filtered listing while the unfiltered one shows tasks in
the window, switches to seconds), and the state remembers it. start_time needs end_time; neither is sent
for the unfiltered probe.
The detail nests instance{id, name} and says `process`, like TaurusDB's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..sdk_loader import sdk_class
from .base import ServiceSpec, field_map, job_detail_fields
from .time_units import MS, format_timestamp


def _client_class() -> Any:
    return sdk_class("huaweicloudsdkrds.v3", "RdsClient")


def _list_request(status: str, start: datetime | None, end: datetime | None, offset: int, limit: int,
                  unit: str = MS) -> Any:
    """start and end None: no time filter (the API takes both or neither)."""
    request = sdk_class("huaweicloudsdkrds.v3", "ListTasksRequest")
    return request(status=status, start_time=None if start is None else format_timestamp(start, unit),
                            end_time=None if end is None else format_timestamp(end, unit),
                            offset=offset, limit=limit)


def _detail_request(task_id: str) -> Any:
    return sdk_class("huaweicloudsdkrds.v3", "ListJobInfoRequest")(id=task_id)


# The SDK's list request and Task model: Running 运行中 (running), Completed 已完成 (completed),
# Failed 已失败 (failed); the detail (GetJobInfoResponseBodyJob) knows the same three.
STATUSES = {
    "Running": "running now; stuck once it has run longer than TASKWATCH_STUCK_AFTER",
    "Completed": "finished successfully",
    "Failed": "finished with an error",
}

SPEC = ServiceSpec(
    service="rds",
    statuses=STATUSES,
    stuck_statuses=("Running",),
    client_class=_client_class,
    list_operation="list_tasks",
    list_request=_list_request,
    detail_operation="list_job_info",
    detail_request=_detail_request,
    items_key="tasks",
    page_size=50,
    item_fields=field_map(id="id", name="name", status="status", created="create_time", ended="end_time",
                          progress="process", instance_id="instance_id", instance_name="instance_name",
                          fail_reason="fail_reason"),
    detail_fields=job_detail_fields("process"),
    infer_time_unit=True,
)
