"""The emulated RDS task center (list_tasks, list_job_info) through the real huaweicloudsdkrds client."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkrds.v3 import ListJobInfoRequest, ListTasksRequest

from tests.emulator import CloudEmulator
from tests.emulator.timefmt import parse_offset_time, to_unix_ms

from .conftest import client

UTC = timezone.utc


def body(response: object) -> dict:
    return json.loads(response.raw_content)  # type: ignore[attr-defined]


def add(emu: CloudEmulator, minutes: int, status: str = "Failed", name: str = "CreateMysqlSingleHAInstance") -> str:
    created = emu.now() - timedelta(minutes=minutes)
    return emu.add_task("rds", name=name, status=status, created=created,
                        ended=None if status == "Running" else created + timedelta(minutes=1),
                        progress="60%" if status == "Running" else "",
                        instance_id="a48e43ff268f4c0e879652d65e63d0fbin01",
                        instance_name="mysql-1", fail_reason="createVM failed." if status == "Failed" else None,
                        entities={"public_ip": "10.10.10.1"})


def ms(moment: datetime) -> str:
    return str(to_unix_ms(moment))


def test_list_and_detail_have_the_documented_shapes(emu: CloudEmulator) -> None:
    failed = add(emu, 30)
    add(emu, 20, status="Running", name="RestartMysqlInstance")
    rds = client(emu, "rds")
    now = emu.now()
    listed = body(rds.list_tasks(ListTasksRequest(start_time=ms(now - timedelta(days=1)), end_time=ms(now),
                                                  offset=0, limit=50)))
    assert set(listed) == {"tasks", "actions", "total_count"} and listed["total_count"] == 2
    assert listed["actions"] == ["CreateMysqlSingleHAInstance", "RestartMysqlInstance"]
    newest, oldest = listed["tasks"]
    assert (newest["status"], newest["process"], newest["instance_status"]) == ("Running", "60%", "ACTIVE")
    assert oldest["id"] == failed and oldest["fail_reason"] == "createVM failed."
    assert oldest["create_time"].endswith("+0000") and parse_offset_time(oldest["create_time"]) < now
    assert set(oldest) == {"id", "name", "instance_id", "instance_name", "instance_status", "order_id", "process",
                           "fail_reason", "create_time", "end_time", "status"}
    job = body(rds.list_job_info(ListJobInfoRequest(id=failed)))["job"]
    assert job["instance"] == {"id": "a48e43ff268f4c0e879652d65e63d0fbin01", "name": "mysql-1"}
    assert (job["process"], job["entities"], job["fail_reason"]) == ("", {"public_ip": "10.10.10.1"},
                                                                      "createVM failed.")
    assert "progress" not in job


def test_filters_window_and_paging(emu: CloudEmulator) -> None:
    ids = [add(emu, 10 + n) for n in range(7)]  # newest first
    add(emu, 5, status="Completed")
    rds = client(emu, "rds")
    now = emu.now()
    window = {"start_time": ms(now - timedelta(minutes=14, seconds=30)), "end_time": ms(now)}
    page = body(rds.list_tasks(ListTasksRequest(status="Failed", offset=1, limit=2, **window)))
    assert [t["id"] for t in page["tasks"]] == ids[1:3] and page["total_count"] == 5  # created 10-14 min ago
    everything = body(rds.list_tasks(ListTasksRequest(limit=50)))  # no window: the whole month
    assert everything["total_count"] == 8


@pytest.mark.parametrize(("query", "why"), [
    ({"limit": 51}, "limit"),
    ({"limit": 0}, "limit"),
    ({"start_time": "1747919701390"}, "end_time is required"),
    ({"start_time": "2025-05-22T13:15:01+0000", "end_time": "1748524501390"}, "start_time"),
])
def test_documented_limits_are_enforced(emu: CloudEmulator, query: dict, why: str) -> None:
    with pytest.raises(ClientRequestException) as info:
        client(emu, "rds").list_tasks(ListTasksRequest(**query))
    assert info.value.status_code == 400 and info.value.error_code == "DBS.200001" and why in info.value.error_msg


def test_unknown_job_is_the_documented_400(emu: CloudEmulator) -> None:
    with pytest.raises(ClientRequestException) as info:
        client(emu, "rds").list_job_info(ListJobInfoRequest(id="no-such-job"))
    assert info.value.status_code == 400 and info.value.error_code == "DBS.200022"


def test_times_read_as_seconds_refuse_milliseconds_and_take_seconds() -> None:
    with CloudEmulator(seed_examples=False, rds_time_unit="s") as emu:
        task_id = add(emu, 30)
        rds = client(emu, "rds")
        now = emu.now()
        with pytest.raises(ClientRequestException) as info:
            rds.list_tasks(ListTasksRequest(start_time=ms(now - timedelta(days=1)), end_time=ms(now)))
        assert info.value.status_code == 400
        seconds = {"start_time": str(int((now - timedelta(days=1)).timestamp())), "end_time": str(int(now.timestamp()))}
        assert [t["id"] for t in body(rds.list_tasks(ListTasksRequest(**seconds)))["tasks"]] == [task_id]


def test_times_read_as_seconds_leniently_take_milliseconds_as_the_far_future() -> None:
    """The silent variant: no error, only an empty list for a millisecond window; seconds still select."""
    with CloudEmulator(seed_examples=False, rds_time_unit="s_lenient") as emu:
        task_id = add(emu, 30)
        rds = client(emu, "rds")
        now = emu.now()
        window = {"start_time": ms(now - timedelta(days=1)), "end_time": ms(now + timedelta(minutes=5))}
        assert body(rds.list_tasks(ListTasksRequest(**window)))["tasks"] == []
        seconds = {"start_time": str(int((now - timedelta(days=1)).timestamp())), "end_time": str(int(now.timestamp()))}
        assert [t["id"] for t in body(rds.list_tasks(ListTasksRequest(**seconds)))["tasks"]] == [task_id]
        assert [t["id"] for t in body(rds.list_tasks(ListTasksRequest()))["tasks"]] == [task_id]  # no window


def test_offset_readings_are_switches() -> None:
    with CloudEmulator(seed_examples=False, offset_modes={"rds": "page"}) as emu:
        ids = [add(emu, 10 + n) for n in range(5)]
        rds = client(emu, "rds")
        assert [t["id"] for t in body(rds.list_tasks(ListTasksRequest(offset=2, limit=2)))["tasks"]] == ids[2:4]
    with CloudEmulator(seed_examples=False, omit_total_count={"rds"}) as emu:
        add(emu, 10)
        assert "total_count" not in body(client(emu, "rds").list_tasks(ListTasksRequest()))
