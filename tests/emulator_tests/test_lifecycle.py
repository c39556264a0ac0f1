"""Listeners, keep-alive, concurrency, shutdown and the small public helpers."""

from __future__ import annotations

import contextlib
import http.client
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

import pytest
import requests
from huaweicloudsdkgaussdbforopengauss.v3 import ListTasksRequest as OgListTasksRequest

from tests.emulator import CloudEmulator, Fault
from tests.emulator.timefmt import format_offset_time, parse_offset_time, parse_unix_ms

from .conftest import client, signed_request


def test_each_host_has_its_own_port_and_env_names(emu: CloudEmulator) -> None:
    endpoints = emu.endpoints
    assert set(endpoints) == {"taurusdb", "gaussdb", "dds", "rds", "smn", "obs"}
    assert len({urlparse(u).port for u in endpoints.values()}) == 6
    assert all(u.startswith("http://127.0.0.1:") for u in endpoints.values())
    assert emu.env() == {
        "TASKWATCH_ENDPOINT_TAURUSDB": endpoints["taurusdb"],
        "TASKWATCH_ENDPOINT_GAUSSDB": endpoints["gaussdb"],
        "TASKWATCH_ENDPOINT_DDS": endpoints["dds"],
        "TASKWATCH_ENDPOINT_RDS": endpoints["rds"],
        "TASKWATCH_ENDPOINT_SMN": endpoints["smn"],
        "TASKWATCH_ENDPOINT_OBS": endpoints["obs"],
    }


def test_keep_alive_serves_several_requests_on_one_connection(emu: CloudEmulator) -> None:
    parsed = urlparse(emu.endpoints["gaussdb"])
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=5)
    for _ in range(3):
        conn.request("GET", f"/v3/{emu.project_id}/tasks")  # unsigned: 401, but the socket stays open
        answer = conn.getresponse()
        body = answer.read()
        assert answer.status == 401 and int(answer.headers["Content-Length"]) == len(body)
        assert answer.headers.get("Connection", "").lower() != "close"
    conn.close()


def test_concurrent_clients_share_one_sdk_client(emu: CloudEmulator) -> None:
    emu.generate("gaussdb", 300, seed=11)
    og = client(emu, "gaussdb")

    def page(offset: int) -> list[str]:
        return [t.job_id for t in og.list_tasks(OgListTasksRequest(offset=offset, limit=10)).tasks]

    with ThreadPoolExecutor(max_workers=16) as pool:
        pages = list(pool.map(page, range(0, 302, 10)))
    ids = [i for p in pages for i in p]
    assert len(ids) == len(set(ids)) == 302
    assert emu.request_counts()["gaussdb.list"] == len(pages)


def test_stop_is_quick_even_with_a_sleeping_timeout_fault() -> None:
    emu = CloudEmulator().start()
    emu.faults.add(Fault(call="gaussdb.list", kind="timeout", delay=30))
    og = client(emu, "gaussdb", read_timeout=10)
    worker = threading.Thread(
        target=lambda: _swallow(lambda: og.list_tasks(OgListTasksRequest())), daemon=True
    )
    worker.start()
    time.sleep(0.2)
    started = time.monotonic()
    url = emu.endpoints["gaussdb"]
    emu.stop()
    assert time.monotonic() - started < 3
    worker.join(5)
    assert not worker.is_alive()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url, timeout=2)


def _swallow(call: object) -> None:
    with contextlib.suppress(Exception):
        call()  # type: ignore[operator]


def test_context_manager_and_reset_records() -> None:
    with CloudEmulator(seed_examples=False) as emu:
        signed_request(emu, "dds", "GET", f"/v3/{emu.project_id}/jobs", [("id", "x")])
        assert emu.request_counts() == {"dds.detail": 1}
        emu.reset_records()
        assert emu.requests == [] and emu.smn_messages == []
    with pytest.raises(RuntimeError):
        _ = emu.endpoints


def test_add_task_validates_fields(emu: CloudEmulator) -> None:
    base = {"name": "n", "status": "Completed", "instance_id": "i", "instance_name": "n"}
    with pytest.raises(ValueError):
        emu.add_task("dds", created=datetime(2030, 1, 1), **base)  # naive
    with pytest.raises(ValueError):
        emu.add_task("mysql", created=datetime.now(timezone.utc), **base)
    task_id = emu.add_task("dds", created=datetime.now(timezone.utc), **base)
    with pytest.raises(ValueError):
        emu.add_task("dds", id=task_id, created=datetime.now(timezone.utc), **base)
    with pytest.raises(TypeError):
        emu.update_task("dds", task_id, colour="red")
    with pytest.raises(KeyError):
        emu.remove_task("dds", "missing")
    [stored] = [t for t in emu.tasks("dds") if t["id"] == task_id]
    assert stored["project_id"] == emu.project_id and stored["progress"] == "" and stored["ended"] is None


def test_time_helpers_render_offsets_never_z() -> None:
    instant = datetime(2024, 1, 1, 0, 0, 0, tzinfo=timezone.utc)
    assert format_offset_time(instant, timedelta(hours=8)) == "2024-01-01T08:00:00+0800"
    assert format_offset_time(instant, timedelta(0)) == "2024-01-01T00:00:00+0000"
    assert format_offset_time(instant, timedelta(hours=-5, minutes=-30)) == "2023-12-31T18:30:00-0530"
    assert parse_offset_time("2024-01-01T08:00:00+0800") == instant
    assert parse_unix_ms("1704067200000") == instant
    for bad in ("2024-01-01T00:00:00Z", "2024-01-01T00:00:00+08:00", "2024-01-01 00:00:00+0800", ""):
        with pytest.raises(ValueError):
            parse_offset_time(bad)
