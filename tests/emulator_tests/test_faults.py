"""Every fault kind is observable by a real client, and times/after/globs behave."""

from __future__ import annotations

import json
import time

import pytest
import requests
from huaweicloudsdkcore.exceptions.exceptions import (
    ClientRequestException,
    SdkException,
    ServerResponseException,
)
from huaweicloudsdkgaussdb.v3 import ListImmediateJobsRequest, ShowGaussMySqlJobInfoRequest
from huaweicloudsdkgaussdbforopengauss.v3 import ListTasksRequest as OgListTasksRequest
from huaweicloudsdksmn.v2 import PublishMessageRequest, PublishMessageRequestBody

from tests.emulator import CloudEmulator, Fault

from .conftest import client, obs_request, signed_request

SEED_TAURUS = "31b8ae23-c687-4d80-b7b4-42a66c9bb886"


def taurus_list(emu: CloudEmulator, **kw: str) -> requests.Response:
    query = sorted(kw.items())
    return signed_request(emu, "taurusdb", "GET", f"/v3/{emu.project_id}/immediate-jobs", query)


def test_429_fires_times_then_clears(emu: CloudEmulator) -> None:
    fault = emu.faults.add(Fault(call="taurusdb.list", kind="429", times=2))
    # The SDK's urllib3 Retry turns any 429 into a RetryError (error_code "429", body unread) ...
    with pytest.raises(ClientRequestException) as err:
        client(emu, "taurusdb").list_immediate_jobs(ListImmediateJobsRequest())
    assert err.value.status_code == 429
    # ... so read the gateway's body with a plain signed request.
    plain = taurus_list(emu)
    assert plain.status_code == 429
    assert plain.json() == {"error_code": "APIG.0308", "error_msg": "The request is throttled."}
    assert client(emu, "taurusdb").list_immediate_jobs(ListImmediateJobsRequest()).total_count == 1
    assert fault.times == 0 and fault.fired == 2
    assert [r["fault"] for r in emu.requests] == ["429", "429", None]
    assert [r["status"] for r in emu.requests] == [429, 429, 200]


@pytest.mark.parametrize(
    ("kind", "status", "exc"),
    [
        ("500", 500, ServerResponseException),
        ("503", 503, ServerResponseException),
        ("401", 401, ClientRequestException),
        ("403", 403, ClientRequestException),
    ],
)
def test_status_faults_carry_json_error_bodies(
    emu: CloudEmulator, kind: str, status: int, exc: type[Exception]
) -> None:
    emu.faults.add(Fault(call="gaussdb.list", kind=kind, times=1))
    with pytest.raises(exc) as err:
        client(emu, "gaussdb").list_tasks(OgListTasksRequest())
    assert err.value.status_code == status  # type: ignore[attr-defined]
    assert err.value.error_code.startswith("APIG.")  # type: ignore[attr-defined]


def test_odd_error_bodies_reach_the_sdk_as_odd_values(emu: CloudEmulator) -> None:
    """The SDK passes error_code and error_msg through as the JSON held them (only falsy ones replaced)."""
    emu.faults.add(Fault(call="gaussdb.list", kind="odd_error_400", times=1))
    with pytest.raises(ClientRequestException) as err:
        client(emu, "gaussdb").list_tasks(OgListTasksRequest())
    assert err.value.status_code == 400
    assert err.value.error_code == ["DBS.280001", "DBS.200001"] and isinstance(err.value.error_msg, dict)
    emu.faults.add(Fault(call="gaussdb.list", kind="odd_error_500", times=5))
    shapes = []
    for _ in range(5):
        with pytest.raises(ServerResponseException) as err:
            client(emu, "gaussdb").list_tasks(OgListTasksRequest())
        shapes.append((type(err.value.error_code).__name__, type(err.value.error_msg).__name__))
    # nested object (the SDK finds code/message one level down), a top-level list (the text), a number
    # with a null message (the text), true with an object, and null (the status as code, the text).
    assert shapes == [("dict", "list"), ("str", "str"), ("float", "str"), ("bool", "dict"), ("str", "str")]


def test_answer_sends_any_status_body_and_headers(emu: CloudEmulator) -> None:
    echo = Fault(call="taurusdb.list", kind="answer", status=418, times=1,
                 body=lambda request: f"seen {request.method} {request.header('X-Project-Id')}".encode(),
                 headers=(("X-Answered-By", "fault"),))
    emu.faults.add(echo)
    odd = taurus_list(emu)
    assert odd.status_code == 418 and odd.headers["X-Answered-By"] == "fault"
    assert odd.text == f"seen GET {emu.project_id}"
    assert taurus_list(emu).json()["total_count"] == 1


def test_after_lets_requests_through_first_and_globs_match(emu: CloudEmulator) -> None:
    emu.faults.add(Fault(call="taurusdb.*", kind="503", times=1, after=2))
    statuses = [taurus_list(emu).status_code for _ in range(4)]
    assert statuses == [200, 200, 503, 200]
    emu.faults.add(Fault(call="*", kind="500"))
    assert taurus_list(emu).status_code == 500
    assert obs_request(emu, "GET", "taskwatch-state", "k").status_code == 500
    emu.faults.clear()
    assert taurus_list(emu).status_code == 200


def test_remove_stops_an_unlimited_fault(emu: CloudEmulator) -> None:
    fault = emu.faults.add(Fault(call="taurusdb.list", kind="503"))
    assert [taurus_list(emu).status_code for _ in range(3)] == [503, 503, 503]
    emu.faults.remove(fault)
    assert taurus_list(emu).status_code == 200


def test_timeout_delays_the_answer(emu: CloudEmulator) -> None:
    emu.faults.add(Fault(call="taurusdb.detail", kind="timeout", delay=1.0, times=1))
    slow = client(emu, "taurusdb", read_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(SdkException):
        slow.show_gauss_my_sql_job_info(ShowGaussMySqlJobInfoRequest(id=SEED_TAURUS))
    assert time.monotonic() - started < 0.9
    emu.faults.add(Fault(call="taurusdb.detail", kind="timeout", delay=0.3, times=1))
    started = time.monotonic()
    answer = client(emu, "taurusdb").show_gauss_my_sql_job_info(ShowGaussMySqlJobInfoRequest(id=SEED_TAURUS))
    assert answer.job.id == SEED_TAURUS and time.monotonic() - started >= 0.3


def test_reset_drops_the_connection(emu: CloudEmulator) -> None:
    emu.faults.add(Fault(call="taurusdb.list", kind="reset", times=1))
    with pytest.raises(SdkException):
        client(emu, "taurusdb").list_immediate_jobs(ListImmediateJobsRequest())
    assert emu.requests[-1]["status"] is None and emu.requests[-1]["fault"] == "reset"
    assert client(emu, "taurusdb").list_immediate_jobs(ListImmediateJobsRequest()).total_count == 1


def test_malformed_json_truncated_and_html200(emu: CloudEmulator) -> None:
    emu.faults.add(Fault(call="taurusdb.list", kind="malformed_json", times=1))
    bad = taurus_list(emu)
    assert bad.status_code == 200 and bad.text.startswith('{"jobs": [')
    with pytest.raises(json.JSONDecodeError):
        json.loads(bad.text)
    emu.faults.add(Fault(call="taurusdb.list", kind="truncated", times=1))
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
        taurus_list(emu)
    emu.faults.add(Fault(call="taurusdb.list", kind="html200", times=1))
    html = taurus_list(emu)
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    assert taurus_list(emu).json()["total_count"] == 1


def test_list_shaping_faults(emu: CloudEmulator) -> None:
    emu.generate("taurusdb", 39, seed=2)  # 40 with the seed: 4 pages of 10
    pages = [taurus_list(emu, offset=str(p)).json() for p in (1, 2, 3, 4)]
    assert [p["total_count"] for p in pages] == [40] * 4

    emu.faults.add(Fault(call="taurusdb.list", kind="empty_page", times=1))
    empty = taurus_list(emu, offset="2").json()
    assert empty == {"jobs": [], "total_count": 40}

    emu.faults.add(Fault(call="taurusdb.list", kind="total_changes", times=3))
    totals = [taurus_list(emu, offset=str(p)).json()["total_count"] for p in (1, 2, 3)]
    assert all(41 <= t <= 45 for t in totals) and len(set(totals)) == 3

    taurus_list(emu, offset="1")
    emu.faults.add(Fault(call="taurusdb.list", kind="repeat_page", times=1))
    repeated = taurus_list(emu, offset="2").json()
    assert repeated["jobs"] == pages[0]["jobs"] and repeated["total_count"] == 40


def test_list_shaping_faults_never_touch_detail_calls(emu: CloudEmulator) -> None:
    fault = emu.faults.add(Fault(call="taurusdb.*", kind="empty_page"))
    detail = signed_request(emu, "taurusdb", "GET", f"/v3/{emu.project_id}/jobs", [("id", SEED_TAURUS)])
    assert detail.json()["job"]["id"] == SEED_TAURUS and fault.fired == 0


def test_faults_on_smn_and_obs(emu: CloudEmulator) -> None:
    emu.faults.add(Fault(call="smn.publish", kind="429", times=1))
    smn = client(emu, "smn")
    request = PublishMessageRequest(topic_urn=emu.topic_urns[0], body=PublishMessageRequestBody(message="m"))
    with pytest.raises(ClientRequestException) as err:
        smn.publish_message(request)
    assert err.value.status_code == 429 and emu.smn_messages == []
    smn.publish_message(request)
    assert len(emu.smn_messages) == 1

    emu.faults.add(Fault(call="obs.put", kind="503", times=1))
    failed = obs_request(emu, "PUT", "taskwatch-state", "s.json", data=b"{}")
    assert failed.status_code == 503 and b"<Code>ServiceUnavailable</Code>" in failed.content
    assert emu.obs_objects == {}
    emu.faults.add(Fault(call="obs.put", kind="reset", times=1))
    with pytest.raises(requests.exceptions.ConnectionError):
        obs_request(emu, "PUT", "taskwatch-state", "s.json", data=b"{}")
    emu.obs_put_object("taskwatch-state", "s.json", b'{"version": 1}')
    emu.faults.add(Fault(call="obs.get", kind="malformed_json", times=1))
    corrupt = obs_request(emu, "GET", "taskwatch-state", "s.json")
    assert corrupt.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(corrupt.content)


def test_latency_is_added_to_every_request(emu: CloudEmulator) -> None:
    emu.latency = 0.2
    started = time.monotonic()
    taurus_list(emu)
    obs_request(emu, "GET", "taskwatch-state", "k")
    assert time.monotonic() - started >= 0.4


def test_unknown_fault_kind_is_rejected() -> None:
    with pytest.raises(ValueError):
        Fault(call="taurusdb.list", kind="gremlins")
