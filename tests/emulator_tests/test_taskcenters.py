"""List and detail APIs of the four task centers, driven through the real SDK clients."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkdds.v3 import ListTasksRequest as DdsListTasksRequest
from huaweicloudsdkdds.v3 import ShowJobDetailRequest as DdsShowJobDetailRequest
from huaweicloudsdkgaussdb.v3 import ListImmediateJobsRequest, ShowGaussMySqlJobInfoRequest
from huaweicloudsdkgaussdbforopengauss.v3 import ListTasksRequest as OgListTasksRequest
from huaweicloudsdkgaussdbforopengauss.v3 import ShowJobDetailRequest as OgShowJobDetailRequest
from huaweicloudsdkrds.v3 import ListTasksRequest as RdsListTasksRequest

from tests.emulator import CloudEmulator
from tests.emulator.timefmt import parse_offset_time, to_unix_ms

from .conftest import client, signed_request

UTC = timezone.utc


def dds_window(now: datetime, days: float = 1.0) -> dict[str, str]:
    fmt = "%Y-%m-%dT%H:%M:%S+0000"
    return {
        "start_time": (now - timedelta(days=days)).astimezone(UTC).strftime(fmt),
        "end_time": now.astimezone(UTC).strftime(fmt),
    }


def body(response: object) -> dict:
    return json.loads(response.raw_content)  # type: ignore[attr-defined]


# ---- seeds --------------------------------------------------------------------------------------
def test_seeds_are_rebased_visible_and_keep_the_documents_shapes(emu: CloudEmulator) -> None:
    now = emu.now()
    taurus = client(emu, "taurusdb")
    listed = body(taurus.list_immediate_jobs(ListImmediateJobsRequest()))
    assert listed["total_count"] == 1
    item = listed["jobs"][0]
    assert item["job_id"] == "31b8ae23-c687-4d80-b7b4-42a66c9bb886"
    detail = body(taurus.show_gauss_my_sql_job_info(ShowGaussMySqlJobInfoRequest(id=item["job_id"])))
    job = detail["job"]
    assert job["created"].endswith("+0800") and job["ended"].endswith("+0000")
    created, ended = parse_offset_time(job["created"]), parse_offset_time(job["ended"])
    assert ended - created == timedelta(hours=14)  # 10:41:14+0800 -> 16:41:14+0000, preserved
    assert timedelta(minutes=4) <= now - ended <= timedelta(minutes=11)
    assert job["entities"]["instance"]["datastore"] == {"type": "gaussdb-mysql", "version": "8.0"}
    assert "fail_reason" not in job  # the document's example has none

    dds = client(emu, "dds")
    jobs = body(dds.list_tasks(DdsListTasksRequest(**dds_window(now))))["jobs"]
    by_status = {j["status"]: j for j in jobs}
    assert set(by_status) == {"Completed", "Running", "Failed"}
    assert by_status["Running"]["progress"] == "9%"
    assert by_status["Failed"]["fail_reason"] == "Failed to upgrade the DB Agent."
    assert by_status["Failed"]["name"] == "Restore_MongoDB_Replica"
    for j in jobs:
        assert j["created_at"].endswith("+0000")
        assert now - parse_offset_time(j["ended_at"]) <= timedelta(minutes=11)

    og = client(emu, "gaussdb")
    tasks = body(og.list_tasks(OgListTasksRequest()))["tasks"]
    failed = next(t for t in tasks if t["status"] == "Failed")
    assert failed["fail_reason"] == "500000"
    assert failed["instance_info"]["instance_status"] == "creating"
    completed = next(t for t in tasks if t["status"] == "Completed")
    assert completed["name"] == "DeleteGaussDBV5Instance" and completed["fail_reason"] is None
    created = parse_offset_time(failed["created_at"])
    ended = parse_offset_time(failed["ended_at"])
    assert failed["created_at"].endswith("+0800")
    assert ended - created == parse_offset_time("2022-08-09T03:06:52+0800") - parse_offset_time(
        "2022-08-05T08:15:07+0800"
    )


def test_no_seeds_when_disabled() -> None:
    with CloudEmulator(seed_examples=False) as emu:
        for service in ("taurusdb", "gaussdb", "dds"):
            assert emu.tasks(service) == []


# ---- TaurusDB ------------------------------------------------------------------------------------
def test_taurusdb_pages_are_page_numbers_by_default(emu: CloudEmulator) -> None:
    ids = emu.generate("taurusdb", 45, seed=3)
    taurus = client(emu, "taurusdb")
    seen = []
    for page in (1, 2, 3):
        resp = body(taurus.list_immediate_jobs(ListImmediateJobsRequest(offset=str(page), limit="20")))
        assert resp["total_count"] == 46  # 45 generated + the seed
        seen.extend(j["job_id"] for j in resp["jobs"])
    assert len(seen) == 46 and len(set(seen)) == 46
    assert set(ids) <= set(seen)
    created = [parse_offset_time(emu_job["created_time"]) for emu_job in _all_taurus(taurus)]
    assert created == sorted(created, reverse=True)


def _all_taurus(taurus: object) -> list[dict]:
    out: list[dict] = []
    page = 1
    while True:
        resp = body(taurus.list_immediate_jobs(ListImmediateJobsRequest(offset=str(page), limit="50")))  # type: ignore[attr-defined]
        out.extend(resp["jobs"])
        if len(out) >= resp["total_count"] or not resp["jobs"]:
            return out
        page += 1


def test_taurusdb_item_offset_mode() -> None:
    with CloudEmulator(taurusdb_offset_mode="item", seed_examples=False) as emu:
        emu.generate("taurusdb", 25, seed=1)
        taurus = client(emu, "taurusdb")
        first = body(taurus.list_immediate_jobs(ListImmediateJobsRequest(offset="0", limit="10")))["jobs"]
        shifted = body(taurus.list_immediate_jobs(ListImmediateJobsRequest(offset="5", limit="10")))["jobs"]
        assert [j["job_id"] for j in first[5:]] == [j["job_id"] for j in shifted[:5]]


def _list_page(emu: CloudEmulator, service: str, offset: int, limit: int) -> dict:
    """One list answer through the real SDK client of the service."""
    sdk = client(emu, service)
    if service == "taurusdb":
        return body(sdk.list_immediate_jobs(ListImmediateJobsRequest(offset=str(offset), limit=str(limit))))
    if service == "gaussdb":
        return body(sdk.list_tasks(OgListTasksRequest(offset=offset, limit=limit)))
    if service == "rds":
        return body(sdk.list_tasks(RdsListTasksRequest(offset=offset, limit=limit)))
    return body(sdk.list_tasks(DdsListTasksRequest(offset=offset, limit=limit, **dds_window(emu.now(), 29))))


def _ids(answer: dict) -> list[str]:
    return [item.get("job_id") or item["id"] for item in answer.get("jobs", answer.get("tasks", []))]


@pytest.mark.parametrize("service", ["taurusdb", "gaussdb", "dds", "rds"])
def test_offset_is_a_switch_per_service(service: str) -> None:
    with CloudEmulator(seed_examples=False, offset_modes={service: "page"}) as paged, \
            CloudEmulator(seed_examples=False, offset_modes={service: "item"}) as itemised:
        for emu in (paged, itemised):
            emu.generate(service, 30, seed=3)
        everything = _ids(_list_page(itemised, service, 0, 50))
        assert len(everything) == 30
        assert everything == _ids(_list_page(paged, service, 0, 50))  # the same tasks, the same order
        # page: a page number from 1 (0 also means page 1); item: the items to skip
        assert _ids(_list_page(paged, service, 0, 10)) == _ids(_list_page(paged, service, 1, 10)) == everything[:10]
        assert _ids(_list_page(paged, service, 2, 10)) == everything[10:20]
        assert _ids(_list_page(itemised, service, 2, 10)) == everything[2:12]
        assert _list_page(paged, service, 4, 10)["total_count"] == 30


@pytest.mark.parametrize("service", ["taurusdb", "gaussdb", "dds", "rds"])
def test_total_count_can_be_left_out_per_service(service: str) -> None:
    with CloudEmulator(seed_examples=False, omit_total_count={service}) as emu:
        emu.generate(service, 3, seed=4)
        answer = _list_page(emu, service, 0, 10)
        assert "total_count" not in answer and len(_ids(answer)) == 3
        other = "dds" if service != "dds" else "gaussdb"
        assert "total_count" in _list_page(emu, other, 0, 10)


def test_offset_switches_are_checked() -> None:
    with pytest.raises(ValueError, match="offset mode of gaussdb"):
        CloudEmulator(offset_modes={"gaussdb": "cursor"})
    with pytest.raises(ValueError, match="unknown task service"):
        CloudEmulator(omit_total_count={"mysql"})


@pytest.mark.parametrize("limit", ["5", "11", "100", "abc"])
def test_taurusdb_rejects_undocumented_limits(emu: CloudEmulator, limit: str) -> None:
    with pytest.raises(ClientRequestException) as err:
        client(emu, "taurusdb").list_immediate_jobs(ListImmediateJobsRequest(limit=limit))
    assert err.value.status_code == 400 and err.value.error_code == "DBS.200001"


def test_taurusdb_filters_and_time_format(emu: CloudEmulator) -> None:
    now = emu.now()
    task_id = emu.add_task(
        "taurusdb",
        name="RebootGaussDBforMySQLInstance",
        status="Failed",
        created=now - timedelta(hours=2),
        ended=now - timedelta(hours=1),
        instance_id="0" * 32 + "in07",
        instance_name="taurus-x",
        fail_reason="boom",
    )
    taurus = client(emu, "taurusdb")
    failed = body(taurus.list_immediate_jobs(ListImmediateJobsRequest(status="Failed")))
    assert [j["job_id"] for j in failed["jobs"]] == [task_id] and failed["total_count"] == 1
    assert failed["jobs"][0]["fail_reason"] == "boom"
    assert failed["jobs"][0]["created_time"].endswith("+0800")
    window = ListImmediateJobsRequest(
        start_time=(now - timedelta(hours=3))
        .astimezone(timezone(timedelta(hours=8)))
        .strftime("%Y-%m-%dT%H:%M:%S+0800"),
        end_time=(now - timedelta(minutes=90)).strftime("%Y-%m-%dT%H:%M:%S+0000"),
    )
    assert [j["job_id"] for j in body(taurus.list_immediate_jobs(window))["jobs"]] == [task_id]
    by_name = ListImmediateJobsRequest(job_name="RebootGaussDBforMySQLInstance")
    assert body(taurus.list_immediate_jobs(by_name))["total_count"] == 1
    by_id = ListImmediateJobsRequest(job_id=task_id)
    assert body(taurus.list_immediate_jobs(by_id))["jobs"][0]["job_id"] == task_id
    with pytest.raises(ClientRequestException) as err:
        taurus.list_immediate_jobs(ListImmediateJobsRequest(start_time="2024-01-01T00:00:00Z"))
    assert err.value.status_code == 400


def test_taurusdb_unknown_job_id(emu: CloudEmulator) -> None:
    with pytest.raises(ClientRequestException) as err:
        client(emu, "taurusdb").show_gauss_my_sql_job_info(ShowGaussMySqlJobInfoRequest(id="nope"))
    assert (err.value.status_code, err.value.error_code) == (400, "DBS.200022")


def test_taurusdb_legacy_mysql_prefix_answers_identically(emu: CloudEmulator) -> None:
    seed_id = "31b8ae23-c687-4d80-b7b4-42a66c9bb886"
    modern = signed_request(emu, "taurusdb", "GET", f"/v3/{emu.project_id}/jobs", [("id", seed_id)])
    legacy = signed_request(emu, "taurusdb", "GET", f"/mysql/v3/{emu.project_id}/jobs", [("id", seed_id)])
    assert modern.status_code == legacy.status_code == 200
    assert modern.json() == legacy.json()
    legacy_list = signed_request(emu, "taurusdb", "GET", f"/mysql/v3/{emu.project_id}/immediate-jobs")
    assert legacy_list.status_code == 200 and legacy_list.json()["total_count"] == 1
    records = emu.requests
    assert [r["call"] for r in records] == ["taurusdb.detail", "taurusdb.detail", "taurusdb.list"]
    assert records[1]["path"].startswith("/mysql/v3/") and records[2]["path"].startswith("/mysql/v3/")
    assert emu.request_counts()["taurusdb.detail"] == 2


# ---- openGauss -----------------------------------------------------------------------------------
def test_opengauss_paging_with_item_offsets(emu: CloudEmulator) -> None:
    emu.generate("gaussdb", 230, seed=7, failure_rate=0.1)
    og = client(emu, "gaussdb")
    collected = []
    offset = 0
    while True:
        resp = body(og.list_tasks(OgListTasksRequest(offset=offset, limit=100)))
        assert resp["total_count"] == 232
        collected.extend(t["job_id"] for t in resp["tasks"])
        offset += len(resp["tasks"])
        if not resp["tasks"] or offset >= resp["total_count"]:
            break
    assert len(collected) == len(set(collected)) == 232
    failed = body(og.list_tasks(OgListTasksRequest(status="Failed", limit=100)))
    assert all(t["status"] == "Failed" and t["fail_reason"] for t in failed["tasks"])
    assert failed["total_count"] == len([t for t in emu.tasks("gaussdb") if t["status"] == "Failed"])


def test_opengauss_time_filter_in_unix_ms_and_limits(emu: CloudEmulator) -> None:
    now = emu.now()
    recent = emu.add_task(
        "gaussdb",
        name="CreateGaussDBV5Instance",
        status="Running",
        progress="40%",
        created=now - timedelta(seconds=30),
        instance_id="1" * 32 + "in14",
        instance_name="gauss-new",
    )
    og = client(emu, "gaussdb")
    req = OgListTasksRequest(
        start_time=str(to_unix_ms(now - timedelta(minutes=1))), end_time=str(to_unix_ms(now))
    )
    resp = body(og.list_tasks(req))
    assert [t["job_id"] for t in resp["tasks"]] == [recent]
    assert resp["tasks"][0]["process"] == "40%" and resp["tasks"][0]["ended_at"] is None
    detail = body(og.show_job_detail(OgShowJobDetailRequest(id=recent)))["job"]
    assert detail["progress"] == "40%" and detail["instance"] == {
        "id": "1" * 32 + "in14",
        "name": "gauss-new",
    }
    for bad in ({"limit": 0}, {"limit": 101}, {"start_time": "2024-01-01"}):
        with pytest.raises(ClientRequestException) as err:
            og.list_tasks(OgListTasksRequest(**bad))
        assert err.value.status_code == 400


def test_opengauss_prefixed_path(emu: CloudEmulator) -> None:
    resp = signed_request(emu, "gaussdb", "GET", f"/opengauss/v3/{emu.project_id}/tasks", [("limit", "10")])
    assert resp.status_code == 200 and resp.json()["total_count"] == 2


# ---- DDS -----------------------------------------------------------------------------------------
def test_dds_requires_a_valid_window(emu: CloudEmulator) -> None:
    dds = client(emu, "dds")
    now = emu.now()
    good = dds_window(now)
    cases = [
        {},
        {"start_time": good["start_time"]},
        {"end_time": good["end_time"]},
        {"start_time": good["end_time"], "end_time": good["start_time"]},
        {"start_time": good["end_time"], "end_time": good["end_time"]},
        dds_window(now, days=31),
        {"start_time": "2024-01-01T00:00:00Z", "end_time": "2024-01-02T00:00:00Z"},
        {"start_time": "2024-01-01 00:00:00", "end_time": "2024-01-02T00:00:00+0000"},
    ]
    for case in cases:
        with pytest.raises(ClientRequestException) as err:
            dds.list_tasks(DdsListTasksRequest(**case))
        assert err.value.status_code == 400 and err.value.error_code.startswith("DBS."), case
    exactly_30 = dds_window(now, days=30)
    assert body(dds.list_tasks(DdsListTasksRequest(**exactly_30)))["total_count"] == 3
    east = {
        "start_time": (now - timedelta(days=1))
        .astimezone(timezone(timedelta(hours=8)))
        .strftime("%Y-%m-%dT%H:%M:%S+0800"),
        "end_time": now.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M:%S+0800"),
    }
    assert body(dds.list_tasks(DdsListTasksRequest(**east)))["total_count"] == 3


def test_dds_paging_filters_and_detail(emu: CloudEmulator) -> None:
    emu.generate("dds", 120, seed=5, failure_rate=0.05, running_rate=0.05, span=timedelta(days=10))
    dds = client(emu, "dds")
    window = dds_window(emu.now(), days=11)
    pages = [body(dds.list_tasks(DdsListTasksRequest(offset=o, limit=50, **window))) for o in (0, 50, 100)]
    ids = [j["id"] for p in pages for j in p["jobs"]]
    assert [len(p["jobs"]) for p in pages] == [50, 50, 23]
    assert len(set(ids)) == 123 and {p["total_count"] for p in pages} == {123}
    failed = body(dds.list_tasks(DdsListTasksRequest(status="Failed", limit=100, **window)))["jobs"]
    assert failed and all(j["fail_reason"] for j in failed)
    one = failed[0]
    detail = body(dds.show_job_detail(DdsShowJobDetailRequest(id=one["id"])))["job"]
    assert detail["fail_reason"] == one["fail_reason"] and detail["created"] == one["created_at"]
    assert detail["instance"] == {"id": one["instance_id"], "name": one["instance_name"]}
    by_id = body(dds.list_tasks(DdsListTasksRequest(id=one["id"], **window)))
    assert by_id["total_count"] == 1
    by_name = body(dds.list_tasks(DdsListTasksRequest(name=one["name"], limit=100, **window)))
    assert all(j["name"] == one["name"] for j in by_name["jobs"])
    for bad in ({"limit": 0}, {"limit": 101}):
        with pytest.raises(ClientRequestException):
            dds.list_tasks(DdsListTasksRequest(**bad, **window))


# ---- shared list rules ---------------------------------------------------------------------------
def test_retention_visibility_update_and_remove() -> None:
    clock = {"now": datetime(2030, 1, 10, 12, 0, tzinfo=UTC)}
    with CloudEmulator(seed_examples=False, now=lambda: clock["now"], visibility_delay=5) as emu:
        base = {"instance_id": "2" * 32 + "in02", "instance_name": "dds-x", "name": "CreateMongoDB"}
        old = emu.add_task("dds", status="Completed", created=clock["now"] - timedelta(days=31), **base)
        fresh = emu.add_task("dds", status="Running", created=clock["now"] - timedelta(seconds=2), **base)
        dds = client(emu, "dds")
        window = dds_window(clock["now"], days=30)
        assert body(dds.list_tasks(DdsListTasksRequest(**window)))["total_count"] == 0
        with pytest.raises(ClientRequestException):
            dds.show_job_detail(DdsShowJobDetailRequest(id=fresh))
        with pytest.raises(ClientRequestException):
            dds.show_job_detail(DdsShowJobDetailRequest(id=old))
        clock["now"] += timedelta(seconds=10)
        window = dds_window(clock["now"], days=30)
        assert [j["id"] for j in body(dds.list_tasks(DdsListTasksRequest(**window)))["jobs"]] == [fresh]
        emu.update_task("dds", fresh, status="Failed", fail_reason="late failure", ended=clock["now"])
        job = body(dds.show_job_detail(DdsShowJobDetailRequest(id=fresh)))["job"]
        assert (job["status"], job["fail_reason"]) == ("Failed", "late failure")
        assert job["ended"] == "2030-01-10T12:00:10+0000"
        emu.remove_task("dds", fresh)
        assert body(dds.list_tasks(DdsListTasksRequest(**window)))["total_count"] == 0


def test_raw_items_are_sent_verbatim(emu: CloudEmulator) -> None:
    odd = {"job_id": "raw-1", "job_name": 42, "status": None, "unexpected": {"x": 1}}
    emu.raw_item("taurusdb", None, odd)
    jobs = body(client(emu, "taurusdb").list_immediate_jobs(ListImmediateJobsRequest()))
    assert jobs["total_count"] == 2 and jobs["jobs"][0] == odd


def test_other_projects_are_separate(emu: CloudEmulator) -> None:
    other = "f" * 32
    emu.generate("gaussdb", 3, project_id=other)
    og_other = client(emu, "gaussdb", project_id=other)
    assert body(og_other.list_tasks(OgListTasksRequest()))["total_count"] == 3
    assert body(client(emu, "gaussdb").list_tasks(OgListTasksRequest()))["total_count"] == 2


def test_generate_is_deterministic() -> None:
    fixed = datetime(2030, 5, 1, tzinfo=UTC)
    results = []
    for _ in range(2):
        emu = CloudEmulator(seed_examples=False, now=lambda: fixed)
        emu.generate("dds", 50, failure_rate=0.2, running_rate=0.1, seed=9)
        results.append(emu.tasks("dds"))
    assert results[0] == results[1]
    statuses = {t["status"] for t in results[0]}
    assert statuses == {"Completed", "Failed", "Running"}
    assert all(t["instance_id"].endswith("in02") for t in results[0])
    assert all(fixed - timedelta(days=29) <= t["created"] < fixed for t in results[0])
