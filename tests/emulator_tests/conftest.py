"""Fixtures and helpers for checking the emulator against the API documents.

Why: every test drives the emulator the way the function will, through the real SDK clients (endpoint
override, no region) or, for OBS and the legacy /mysql path, through plain `requests` signed by
independent code (huaweicloudsdkcore's signer, esdk-obs-python's Authentication).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, urlparse

import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from huaweicloudsdkdds.v3 import DdsClient
from huaweicloudsdkgaussdb.v3 import GaussDBClient
from huaweicloudsdkgaussdbforopengauss.v3 import GaussDBforopenGaussClient
from huaweicloudsdkrds.v3 import RdsClient
from huaweicloudsdksmn.v2 import SmnClient
from obs.auth import Authentication
from obs.convertor import Adapter

from tests.emulator import CloudEmulator

BUILDERS = {
    "taurusdb": GaussDBClient,
    "gaussdb": GaussDBforopenGaussClient,
    "dds": DdsClient,
    "rds": RdsClient,
    "smn": SmnClient,
}


@pytest.fixture
def emu() -> Iterator[CloudEmulator]:
    emulator = CloudEmulator().start()
    try:
        yield emulator
    finally:
        emulator.stop()
    assert emulator.errors == [], emulator.errors[0] if emulator.errors else ""


@pytest.fixture
def token_emu() -> Iterator[CloudEmulator]:
    emulator = CloudEmulator(security_token="TESTTOKEN-abc123", seed_examples=False).start()
    try:
        yield emulator
    finally:
        emulator.stop()


def client(
    emu: CloudEmulator,
    service: str,
    *,
    ak: str | None = None,
    sk: str | None = None,
    project_id: str | None = None,
    token: str | None = None,
    read_timeout: float = 5.0,
) -> Any:
    """A real SDK client for one emulated service (endpoint override, never with_region)."""
    credentials = BasicCredentials(ak or emu.ak, sk or emu.sk, project_id or emu.project_id)
    if token is not None:
        credentials = credentials.with_security_token(token)
    config = HttpConfig.get_default_config()
    config.timeout = (2, read_timeout)
    config.retry_times = 0
    return (
        BUILDERS[service]
        .new_builder()
        .with_credentials(credentials)
        .with_http_config(config)
        .with_endpoints([emu.endpoints[service]])
        .build()
    )


def signed_request(
    emu: CloudEmulator,
    service: str,
    method: str,
    path: str,
    query: list[tuple[str, str]] | None = None,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    sk: str | None = None,
    timeout: float = 5.0,
) -> requests.Response:
    """A request signed by huaweicloudsdkcore's signer (for paths the SDK cannot produce, e.g. /mysql)."""
    url = emu.endpoints[service]
    header_params = {"Content-Type": "application/json", "X-Project-Id": emu.project_id, **(headers or {})}
    sdk_request = SdkRequest(
        method=method,
        schema="http",
        host=urlparse(url).netloc,
        resource_path=path,
        query_params=list(query or []),
        header_params=header_params,
        body=body,
    )
    credentials = BasicCredentials(emu.ak, sk or emu.sk, emu.project_id)
    Signer(credentials).sign(sdk_request)
    return requests.request(
        method, url + sdk_request.uri, headers=sdk_request.header_params, data=body or None, timeout=timeout
    )


def obs_request(
    emu: CloudEmulator,
    method: str,
    bucket: str,
    key: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    sk: str | None = None,
    ak: str | None = None,
    date: datetime | None = None,
    timeout: float = 5.0,
) -> requests.Response:
    """Path-style OBS request signed with esdk-obs-python's Authentication (the independent oracle)."""
    url = emu.endpoints["obs"]
    host = urlparse(url).netloc
    all_headers = {
        "Date": format_datetime(date or datetime.now(timezone.utc), usegmt=True),
        "Host": host,
        **(headers or {}),
    }
    if data is not None and "Content-Type" not in all_headers:
        all_headers["Content-Type"] = "application/json"
    auth = Authentication(ak or emu.ak, sk or emu.sk, False, Adapter("obs"), host, False)
    signed = auth.doAuth(method, bucket, key, {}, dict(all_headers))
    all_headers["Authorization"] = signed["Authorization"]
    return requests.request(
        method,
        f"{url}/{bucket}/{quote(key, safe='/~')}",
        headers=all_headers,
        data=data,
        timeout=timeout,
    )
