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


def test_functiongraph_is_an_opt_in_sixth_host() -> None:
    with CloudEmulator() as plain:
        assert "functiongraph" not in plain.endpoints
    with CloudEmulator(functiongraph=True) as emu:
        assert len(emu.endpoints) == 6
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
