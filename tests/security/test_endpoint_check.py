"""Endpoint and bucket checks on the host the HTTP stack really connects to, for the function and deploy.

`https://127.0.0.2:PORT\\@dds.xx-test-1.myhuaweicloud.com` reads as a Huawei Cloud host to urlsplit, but
urllib3 (under requests and the SDKs) connects to 127.0.0.2:PORT. A real listener there stands in for the
attacker's host: it must see no connection at all.
"""

from __future__ import annotations

import pytest
from taskwatch.errors import ConfigError
from taskwatch.urls import check_bucket_name, check_endpoint

from tests.conftest import invoke
from tests.fixtures import AK, REGION, SK
from tests.ship.conftest import deploy_env, load_tool, template_copy

from .listener import Listener, foreign_host, https_port_listener

HUAWEI = f"dds.{REGION}.myhuaweicloud.com"

REFUSED = {
    "backslash before @": f"https://evil.example\\@{HUAWEI}",
    "backslash alone": f"https://{HUAWEI}\\evil",
    "user info": f"https://user:pass@{HUAWEI}",
    "encoded backslash in user info": f"https://evil.example%5C@{HUAWEI}",
    "space": f"https://evil.example {HUAWEI}",
    "tab": f"https://evil.example\t.{HUAWEI}",
    "newline": f"https://{HUAWEI}\n",
    "control character": f"https://{HUAWEI}\x00.evil.example",
    "non-ASCII lookalike": "https://dds.xx-test-1.myhuaweicloud\u3002com",
    "fragment hiding the host": f"https://evil.example#.{HUAWEI}",
    "query hiding the host": f"https://evil.example?.{HUAWEI}",
    "unknown placeholder": "https://{host}.myhuaweicloud.com",
    "suffix without a label boundary": "https://evilmyhuaweicloud.com",
    "Huawei domain as a subdomain": f"https://{HUAWEI}.evil.example",
    "plain http to Huawei": f"http://{HUAWEI}",
    "other scheme": f"ftp://{HUAWEI}",
    "no host": "https:///path",
    "bad port": f"https://{HUAWEI}:99999",
    "too long": "https://" + "a" * 3000 + ".myhuaweicloud.com",
}
ALLOWED = {
    "default template": "https://{bucket}.obs.{region}.myhuaweicloud.com",
    "path prefix": "https://gaussdb.{region}.myhuaweicloud.com/mysql",
    "port": f"https://{HUAWEI}:443",
    "upper case host": f"https://DDS.{REGION.upper()}.MYHUAWEICLOUD.COM",
    "loopback http": "http://127.0.0.1:8080",
    "localhost": "http://localhost:8080/x",
    "IPv6 loopback": "http://[::1]:8080",
}


@pytest.mark.parametrize("url", list(REFUSED.values()), ids=list(REFUSED))
def test_odd_or_foreign_endpoints_are_refused_naming_the_key(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        check_endpoint("TASKWATCH_ENDPOINT_DDS", url, allow_foreign=False)
    assert info.value.key == "TASKWATCH_ENDPOINT_DDS"
    assert "evil" not in str(info.value) and "\n" not in str(info.value)  # the URL is never echoed


@pytest.mark.parametrize("url", [u for name, u in REFUSED.items() if name not in (
    "suffix without a label boundary", "Huawei domain as a subdomain")])
def test_allowing_foreign_hosts_does_not_allow_ambiguous_urls(url: str) -> None:
    with pytest.raises(ConfigError):
        check_endpoint("TASKWATCH_ENDPOINT_DDS", url, allow_foreign=True)


@pytest.mark.parametrize("url", list(ALLOWED.values()), ids=list(ALLOWED))
def test_plain_endpoints_are_allowed(url: str) -> None:
    check_endpoint("TASKWATCH_ENDPOINT_DDS", url, allow_foreign=False)


def test_a_foreign_host_needs_the_explicit_allowance() -> None:
    check_endpoint("TASKWATCH_ENDPOINT_DDS", "https://dds.internal.example", allow_foreign=True)
    with pytest.raises(ConfigError, match="outside the Huawei Cloud domains"):
        check_endpoint("TASKWATCH_ENDPOINT_DDS", "https://dds.internal.example", allow_foreign=False)


@pytest.mark.parametrize("name", ["taskwatch-state", "abc", "a.b-c.d1", "x" * 63])
def test_valid_bucket_names(name: str) -> None:
    check_bucket_name("bucket", name)


@pytest.mark.parametrize("name", [
    "evil.example/x", "ab", "x" * 64, "Upper", "under_score", "-start", "end-", ".start", "a..b", "a.-b", "a-.b",
    "192.168.1.1", "127.0.0.2", "a b", "bucket\\@x", "bucket:443", "",
])
def test_bucket_names_outside_the_obs_rules_are_refused(name: str) -> None:
    with pytest.raises(ConfigError) as info:
        check_bucket_name("Parameters.StateBucket", name)
    assert info.value.key == "Parameters.StateBucket"


@pytest.mark.parametrize("uri", ["obs://192.168.1.10/taskwatch/state.json", "obs://a..b/taskwatch/state.json"])
def test_state_uri_bucket_follows_the_obs_rules(emulator, env, monkeypatch, uri: str) -> None:
    monkeypatch.setenv("TASKWATCH_STATE_URI", uri)
    summary = invoke()
    assert summary["outcome"] == "failed" and "TASKWATCH_STATE_URI" in summary["errors"][0], summary
    assert emulator.requests == []


# ---- the real connection: nothing reaches the foreign host ------------------------------------------------
def _confused(listener: Listener, service_host: str) -> str:
    """A URL urlsplit reads as the Huawei host, urllib3 as the listener."""
    return f"https://{listener.host}:{listener.port}\\@{service_host}"


@pytest.mark.parametrize("service", ["dds", "obs", "taurusdb"])
def test_the_function_never_connects_to_the_host_behind_a_backslash(emulator, env, monkeypatch, service) -> None:
    with foreign_host() as attacker:
        key = f"TASKWATCH_ENDPOINT_{service.upper()}"
        monkeypatch.setenv(key, _confused(attacker, f"{service}.{REGION}.myhuaweicloud.com"))
        summary = invoke()
        assert summary["outcome"] == "failed" and summary["error_type"] == "ConfigError", summary
        assert key in summary["errors"][0]
        assert attacker.connections == [], attacker.connections[0][:100]
        assert emulator.requests == []


deploy = load_tool("deploy")


def test_deploy_never_connects_to_the_host_behind_a_backslash(fg_emulator, code_zip, tmp_path, capsys) -> None:
    layer = tmp_path / "layer.zip"
    layer.write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty zip: the refusal comes before any upload
    template = template_copy(tmp_path, code_zip, layer)
    with foreign_host() as attacker:
        env = deploy_env(fg_emulator, TASKWATCH_ENDPOINT_FUNCTIONGRAPH=_confused(
            attacker, f"functiongraph.{REGION}.myhuaweicloud.com"))
        status = deploy.main(["plan", "--template", str(template)], environ=env)
        out = capsys.readouterr()
        assert status == 1 and "TASKWATCH_ENDPOINT_FUNCTIONGRAPH" in out.err, out
        assert attacker.connections == [], attacker.connections[0][:100]
    assert fg_emulator.requests == []


def test_deploy_refuses_a_state_bucket_that_is_not_a_bucket_name(fg_emulator, code_zip, tmp_path, capsys) -> None:
    layer = tmp_path / "layer.zip"
    layer.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    template = template_copy(tmp_path, code_zip, layer)
    env = deploy_env(fg_emulator, TASKWATCH_DEPLOY_STATE_BUCKET="evil.example/x")
    status = deploy.main(["plan", "--template", str(template)], environ=env)
    out = capsys.readouterr()
    assert status == 2 and "Parameters.StateBucket" in out.err, out
    assert "evil.example" not in out.err
    assert fg_emulator.requests == []


def test_the_layer_upload_never_connects_to_a_host_hidden_in_the_bucket_name() -> None:
    """StateBucket `<host>/x` turned https://{bucket}.obs... into https://<host>/x.obs...: the 16 MB layer
    upload, signed, went to <host>."""
    obs_upload = deploy.obs_upload
    try:
        attacker = https_port_listener()
    except PermissionError:
        pytest.skip("binding port 443 needs privileges this machine does not give")
    try:
        with pytest.raises(obs_upload.ObsUploadError, match="bucket"):
            obs_upload.put_object(obs_upload.DEFAULT_OBS, REGION, f"{attacker.host}/x", "taskwatch/deploy/l.zip",
                                  b"layer", AK, SK, timeout=5)
        assert attacker.connections == [], attacker.connections[0][:100]
    finally:
        attacker.close()
