"""The emulator's FunctionGraph host: opt-in sixth listener, signatures, documented errors, records."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkfunctiongraph.v2 import (
    CreateFunctionRequest,
    CreateFunctionRequestBody,
    CreateFunctionTriggerRequest,
    CreateFunctionTriggerRequestBody,
    FuncCode,
    FunctionGraphClient,
    ShowFunctionConfigRequest,
    TriggerEventDataRequestBody,
)

from tests.emulator import CloudEmulator
from tests.fixtures import AK, PROJECT, REGION, SK

URN = f"urn:fss:{REGION}:{PROJECT}:function:default:demo"


def _client(emu: CloudEmulator, sk: str = SK) -> FunctionGraphClient:
    config = HttpConfig.get_default_config()
    config.retry_times = 0
    config.timeout = (2, 10)
    return (FunctionGraphClient.new_builder().with_credentials(BasicCredentials(AK, sk, PROJECT))
            .with_endpoints([emu.endpoints["functiongraph"]]).with_http_config(config).build())


def _code() -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return {}\n")
    return base64.b64encode(buffer.getvalue()).decode()


def _create(client: FunctionGraphClient, memory: int = 128) -> object:
    body = CreateFunctionRequestBody(func_name="demo", package="default", runtime="Python3.10", timeout=30,
                                     handler="index.handler", memory_size=memory, code_type="zip",
                                     func_code=FuncCode(file=_code()))
    return client.create_function(CreateFunctionRequest(body=body))


def test_functiongraph_is_an_opt_in_host() -> None:
    with CloudEmulator() as plain:
        assert "functiongraph" not in plain.endpoints
        hosts = set(plain.endpoints)
    with CloudEmulator(functiongraph=True) as emu:
        assert set(emu.endpoints) == hosts | {"functiongraph"}
        assert emu.env()["TASKWATCH_ENDPOINT_FUNCTIONGRAPH"] == emu.endpoints["functiongraph"]


def test_calls_are_signed_recorded_and_answer_like_the_documents(fg_emulator) -> None:
    emu = fg_emulator
    client = _client(emu)
    with pytest.raises(ClientRequestException) as missing:
        client.show_function_config(ShowFunctionConfigRequest(function_urn=URN))
    assert (missing.value.status_code, missing.value.error_code) == (404, "FSS.0404")

    with pytest.raises(ClientRequestException) as bad:
        _create(client, memory=100)
    assert (bad.value.status_code, bad.value.error_code) == (400, "FSS.0400")

    created = _create(client)
    assert created.func_urn == URN + ":latest" and len(created.digest) == 128  # SHA-512 hex
    with pytest.raises(ClientRequestException) as again:
        _create(client)
    assert (again.value.status_code, again.value.error_code) == (409, "FSS.0409")

    timer = CreateFunctionTriggerRequestBody(trigger_type_code="TIMER", trigger_status="ACTIVE",
                                             event_data=TriggerEventDataRequestBody(
                                                 name="t1", schedule_type="Rate", schedule="61m", user_event=""))
    with pytest.raises(ClientRequestException) as schedule:
        client.create_function_trigger(CreateFunctionTriggerRequest(function_urn=URN, body=timer))
    assert schedule.value.status_code == 400 and "schedule" in schedule.value.error_msg

    with pytest.raises(ClientRequestException) as unsigned:
        _client(emu, sk="WrongSecret000000000000000000000000000001").show_function_config(
            ShowFunctionConfigRequest(function_urn=URN))
    assert (unsigned.value.status_code, unsigned.value.error_code) == (401, "APIG.0301")

    calls = [r["call"] for r in emu.requests]
    assert calls == ["functiongraph.show_function_config", "functiongraph.create_function",
                     "functiongraph.create_function", "functiongraph.create_function",
                     "functiongraph.create_function_trigger", "functiongraph.show_function_config"]
    assert emu.functiongraph.function("demo")["memory_size"] == 128


def test_versions_aliases_and_qualified_triggers_follow_the_api_reference(fg_emulator) -> None:
    """Publishing a Function Version: at most 10, default name yyyymmdd-HHMMSS; triggers bind to a qualifier;
    a version an alias points at cannot be deleted; deleting the function takes everything with it."""
    from ship.fgapi import ApiError, FunctionGraphApi

    emu = fg_emulator
    client = _client(emu)
    _create(client)
    api = FunctionGraphApi(emu.endpoints["functiongraph"], PROJECT, AK, SK)
    first = api.publish_version(URN, "", "")
    assert len(first["version"]) == 15 and first["version"][8] == "-"  # the documented default name
    for n in range(2, 11):
        api.publish_version(URN, f"v{n}", "")
    with pytest.raises(ApiError, match="at most 10 versions"):
        api.publish_version(URN, "v11", "")
    assert [v["version"] for v in api.versions(URN)][1:] == [f"v{n}" for n in range(2, 11)]
    api.create_alias(URN, "live", "v2", "")
    with pytest.raises(ApiError, match="HTTP 404"):
        api.create_alias(URN, "other", "v99", "")
    api.create_timer(f"{URN}:live", "t", "Rate", "5m", "", True)
    assert [t["event_data"]["name"] for t in emu.functiongraph.triggers("demo", qualifier="live")] == ["t"]
    assert api.triggers(URN) == [] and len(api.triggers(f"{URN}:live")) == 1
    with pytest.raises(ApiError, match="used by an alias"):
        api.delete_function(f"{URN}:v2")
    api.delete_function(f"{URN}:v3")
    assert "v3" not in [v["version"] for v in api.versions(URN)]
    api.update_alias(URN, "live", "v4", "")
    assert emu.functiongraph.aliases("demo")["live"]["version"] == "v4"
    api.delete_function(URN)
    assert emu.functiongraph.functions() == [] and emu.functiongraph.all_triggers() == []


def test_async_config_and_dependency_deletion_are_checked(fg_emulator) -> None:
    from ship.fgapi import ApiError, FunctionGraphApi

    emu = fg_emulator
    api = FunctionGraphApi(emu.endpoints["functiongraph"], PROJECT, AK, SK)
    client = _client(emu)
    dep = api.create_dependency_version("deps", "Python3.10", "d", file_b64=_code())
    body = CreateFunctionRequestBody(func_name="demo", package="default", runtime="Python3.10", timeout=30,
                                     handler="index.handler", memory_size=128, code_type="zip", type="v2",
                                     func_code=FuncCode(file=_code()), depend_version_list=[dep["id"]])
    client.create_function(CreateFunctionRequest(body=body))
    for bad in ({"max_async_retry_attempts": 4}, {"max_async_event_age_in_seconds": 0},
                {"destination_config": {"on_failure": {"destination": "SMN", "param": "{}"}}}):
        with pytest.raises(ApiError, match=r"FSS\.0400"):
            api.set_async_config(URN, bad)
    api.set_async_config(URN, {"max_async_retry_attempts": 0, "max_async_event_age_in_seconds": 300})
    assert api.async_config(URN)["max_async_retry_attempts"] == 0
    with pytest.raises(ApiError, match="in use by a function"):
        api.delete_dependency_version(dep["dep_id"], dep["version"])
    api.delete_function(URN)
    api.delete_dependency_version(dep["dep_id"], dep["version"])
    assert emu.functiongraph.dependency_versions("deps") == []
