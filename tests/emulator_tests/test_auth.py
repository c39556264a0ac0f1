"""API-gateway authentication: SDK-HMAC-SHA256 signatures, security token, X-Project-Id."""

from __future__ import annotations

import random
import string
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, unquote

import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from huaweicloudsdkdds.v3 import ShowJobDetailRequest
from huaweicloudsdkgaussdb.v3 import ListImmediateJobsRequest
from huaweicloudsdkgaussdbforopengauss.v3 import ListTasksRequest as OgListTasksRequest

from tests.emulator import CloudEmulator
from tests.emulator.auth import SdkHmacVerifier

from .conftest import client, signed_request


def test_wrong_secret_key_is_refused_with_apig_0301(emu: CloudEmulator) -> None:
    with pytest.raises(ClientRequestException) as err:
        client(emu, "taurusdb", sk="WRONG" + emu.sk).list_immediate_jobs(ListImmediateJobsRequest())
    assert err.value.status_code == 401
    assert err.value.error_code == "APIG.0301"
    assert err.value.error_msg == "Incorrect IAM authentication information: verify aksk signature fail"
    assert emu.requests[-1]["status"] == 401


def test_wrong_access_key_is_refused(emu: CloudEmulator) -> None:
    with pytest.raises(ClientRequestException) as err:
        client(emu, "dds", ak="NOTTHEKEY0000000000X").show_job_detail(ShowJobDetailRequest(id="x"))
    assert (err.value.status_code, err.value.error_code) == (401, "APIG.0301")


def test_unsigned_stale_and_tampered_requests_are_refused(emu: CloudEmulator) -> None:
    url = emu.endpoints["gaussdb"] + f"/v3/{emu.project_id}/tasks"
    assert requests.get(url, timeout=5).status_code == 401
    stale = (datetime.now(timezone.utc) - timedelta(minutes=20)).strftime("%Y%m%dT%H%M%SZ")
    resp = signed_request(emu, "gaussdb", "GET", f"/v3/{emu.project_id}/tasks", headers={"X-Sdk-Date": stale})
    assert resp.status_code == 401 and resp.json()["error_code"] == "APIG.0301"
    good = signed_request(emu, "gaussdb", "GET", f"/v3/{emu.project_id}/tasks", [("limit", "10")])
    assert good.status_code == 200
    # Replay the signed headers with a different query: the signature no longer matches.
    headers = dict(good.request.headers)
    tampered = requests.get(url + "?limit=20", headers=headers, timeout=5)
    assert tampered.status_code == 401
    assert tampered.json()["error_msg"].endswith("verify aksk signature fail")


def test_project_header_must_match_path(emu: CloudEmulator) -> None:
    resp = signed_request(
        emu, "gaussdb", "GET", f"/v3/{'e' * 32}/tasks", headers={"X-Project-Id": emu.project_id}
    )
    assert resp.status_code == 401 and "X-Project-Id" in resp.json()["error_msg"]


def test_unknown_api_is_404(emu: CloudEmulator) -> None:
    resp = signed_request(emu, "taurusdb", "GET", f"/v3/{emu.project_id}/instances")
    assert resp.status_code == 404 and resp.json()["error_code"] == "APIG.0101"


def test_security_token_is_enforced(token_emu: CloudEmulator) -> None:
    emu = token_emu
    with pytest.raises(ClientRequestException) as err:
        client(emu, "gaussdb").list_tasks(OgListTasksRequest())
    assert err.value.status_code == 401
    with pytest.raises(ClientRequestException):
        client(emu, "gaussdb", token="some-other-token").list_tasks(OgListTasksRequest())
    ok = client(emu, "gaussdb", token="TESTTOKEN-abc123").list_tasks(OgListTasksRequest())
    assert ok.total_count == 0


def test_token_sent_to_an_emulator_without_one_is_refused(emu: CloudEmulator) -> None:
    with pytest.raises(ClientRequestException) as err:
        client(emu, "gaussdb", token="unexpected").list_tasks(OgListTasksRequest())
    assert err.value.status_code == 401


class _Headers(dict):
    """Case-insensitive enough for the verifier (it asks with canonical spellings and lower-case)."""

    def get(self, key: str, default: object = None) -> object:
        for k, v in self.items():
            if k.lower() == key.lower():
                return v
        return default


def test_verifier_agrees_with_the_sdk_signer_on_random_requests() -> None:
    """Property check: whatever the SDK signer signs, the independent verifier accepts."""
    rng = random.Random(1234)
    alphabet = string.ascii_letters + string.digits + "-_.~ :/%+=&?中"
    verifier = SdkHmacVerifier("AKX", "SKsecret")
    for _ in range(200):
        segments = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))) for _ in range(3)]
        query = [
            ("".join(rng.choice(string.ascii_lowercase) for _ in range(4)), "".join(rng.sample(alphabet, 5)))
            for _ in range(rng.randint(0, 4))
        ]
        req = SdkRequest(
            method=rng.choice(["GET", "POST"]),
            schema="http",
            host="127.0.0.1:1",
            resource_path="/" + "/".join(quote(s, safe="") for s in segments),
            query_params=list(query),
            header_params={"Content-Type": "application/json", "X-Project-Id": "p"},
            body=rng.choice([b"", b'{"a": 1}', '{"m": "中文"}'.encode()]),
        )
        Signer(BasicCredentials("AKX", "SKsecret", "p")).sign(req)
        path, _, raw_query = req.uri.partition("?")
        pairs = [part.split("=", 1) for part in raw_query.split("&") if part]
        decoded: list[tuple[str, str | None]] = [(unquote(k), unquote(v)) for k, v in pairs]
        # On the wire, header text arrives as latin-1 decoded bytes of the UTF-8 value.
        wire = {k: str(v).encode("utf-8").decode("latin-1") for k, v in req.header_params.items()}
        headers = _Headers(wire)
        verdict = verifier.verify(req.method, path, decoded, headers, req.body or b"")
        assert verdict.ok, (verdict.reason, req.uri)
        assert not verifier.verify(req.method, path + "x", decoded, headers, req.body or b"").ok
