"""The OBS header signature against an independent implementation (esdk-obs-python, tests only)."""

from __future__ import annotations

import pytest
from obs.auth import Authentication
from obs.convertor import Adapter
from taskwatch.state.obs_signature import authorization, http_date

from tests.fixtures import AK, SK, TOKEN


def oracle(method: str, bucket: str, key: str, headers: dict[str, str]) -> str:
    auth = Authentication(AK, SK, True, Adapter("obs"), "127.0.0.1", False)
    return auth.doAuth(method, bucket, key, {}, {k: [v] for k, v in headers.items()})["Authorization"]


@pytest.mark.parametrize("key", ["state.json", "taskwatch/prod/state.json", "dir with space/é 名.json", "a~b+c"])
@pytest.mark.parametrize("token", [None, TOKEN])
@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_signature_matches_the_oracle(method: str, key: str, token: str | None) -> None:
    headers = {"Date": http_date(1_700_000_000)}
    if method == "PUT":
        headers.update({"Content-Type": "application/json", "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg=="})
    if token:
        headers["x-obs-security-token"] = token
    assert authorization(AK, SK, method, "taskwatch-state", key, headers) == oracle(method, "taskwatch-state", key,
                                                                                   headers)


def test_signature_changes_with_the_token() -> None:
    headers = {"Date": http_date(1_700_000_000)}
    plain = authorization(AK, SK, "GET", "b", "k", headers)
    with_token = authorization(AK, SK, "GET", "b", "k", {**headers, "x-obs-security-token": TOKEN})
    assert plain != with_token and plain.startswith(f"OBS {AK}:")
