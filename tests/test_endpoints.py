"""Default endpoints come from the SDK packages' own region tables, over every region they list."""

from __future__ import annotations

import importlib
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from taskwatch import endpoints
from taskwatch.config import HUAWEI_DOMAINS, check_endpoint, load_config
from taskwatch.endpoints import REGION_TABLES
from taskwatch.logs import LOGGER_NAME

from tests.conftest import alerted_keys, emulator_with, invoke
from tests.fixtures import PROJECT, TOPIC

BASE = {"TASKWATCH_REGION": "cn-north-4", "TASKWATCH_PROJECT_ID": PROJECT, "TASKWATCH_SMN_TOPIC_URN": TOPIC}
FUNCTION = Path(__file__).resolve().parents[1] / "function"


def sdk_table(service: str) -> dict[str, str]:
    """The SDK's own table, imported the ordinary way (the whole package; fine in a test)."""
    table = REGION_TABLES[service]
    module = importlib.import_module(f"{table.package}.{table.path[:-3].replace('/', '.')}")
    regions = getattr(module, table.class_name).static_fields
    return {region_id: region.endpoints[0] for region_id, region in regions.items()}


ALL_REGIONS = [(service, region, host) for service in REGION_TABLES for region, host in sdk_table(service).items()]


@pytest.fixture
def warnings_logged() -> Iterator[list[str]]:
    """The taskwatch logger's lines (it does not propagate, so caplog cannot see them)."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                lines.append(record.getMessage())

    handler = Collect()
    logger = logging.getLogger(LOGGER_NAME)
    logger.addHandler(handler)
    endpoints._warned.clear()
    yield lines
    logger.removeHandler(handler)
    endpoints._warned.clear()


def test_every_sdk_table_is_found_and_not_empty() -> None:
    for service in REGION_TABLES:
        assert len(sdk_table(service)) >= 10, service


@pytest.mark.parametrize(("service", "region", "host"), ALL_REGIONS)
def test_the_function_calls_the_sdk_tables_host_in_every_region(service: str, region: str, host: str) -> None:
    config = load_config({**BASE, "TASKWATCH_REGION": region})
    assert config.endpoint(service, region) == host


def test_the_regions_where_one_template_was_wrong() -> None:
    config = load_config(BASE)
    for region in ("ap-southeast-1", "ap-southeast-2", "me-east-1", "tr-west-1", "cn-north-11"):
        assert config.endpoint("taurusdb", region) == f"https://gaussdbformysql.{region}.myhuaweicloud.com"
    for region in ("af-south-1", "cn-east-5", "cn-southwest-3", "la-north-2"):
        assert config.endpoint("taurusdb", region) == f"https://gaussdb-mysql.{region}.myhuaweicloud.com"
    assert config.endpoint("dds", "eu-west-101") == "https://dds.eu-west-101.myhuaweicloud.eu"
    assert config.endpoint("rds", "eu-west-101") == "https://rds.eu-west-101.myhuaweicloud.eu"
    assert config.endpoint("smn", "eu-west-101") == "https://smn.eu-west-101.myhuaweicloud.eu"
    assert config.endpoint("smn", "cn-north-2") == "https://smn.cn-north-2.myhuaweicloud.cn"
    assert any(host.startswith("https://gaussdb.") for host in sdk_table("gaussdb").values())


@pytest.mark.parametrize(("service", "region", "host"), ALL_REGIONS)
def test_the_allowlist_accepts_every_table_host(service: str, region: str, host: str) -> None:
    name = urlsplit(host).hostname or ""
    assert any(name.endswith("." + domain) for domain in HUAWEI_DOMAINS), host
    check_endpoint(f"TASKWATCH_ENDPOINT_{service.upper()}", host, allow_foreign=False)
    assert load_config({**BASE, f"TASKWATCH_ENDPOINT_{service.upper()}": host}).endpoint(service, region) == host


def test_obs_follows_its_documents() -> None:
    config = load_config(BASE)
    assert config.endpoint("obs", "cn-north-4") == "https://{bucket}.obs.cn-north-4.myhuaweicloud.com"
    assert config.endpoint("obs", "eu-west-101") == "https://{bucket}.obs.eu-west-101.myhuaweicloud.eu"
    check_endpoint("TASKWATCH_ENDPOINT_OBS", config.endpoint("obs", "eu-west-101"), allow_foreign=False)


def test_an_override_wins_over_the_table() -> None:
    config = load_config({**BASE, "TASKWATCH_ENDPOINT_TAURUSDB": "https://gaussdb.{region}.myhuaweicloud.com/mysql"})
    assert config.endpoint("taurusdb", "ap-southeast-1") == "https://gaussdb.ap-southeast-1.myhuaweicloud.com/mysql"


def test_a_region_no_table_lists_falls_back_to_the_template_and_says_so_once(warnings_logged: list[str]) -> None:
    config = load_config(BASE)
    for _ in range(3):
        assert config.endpoint("dds", "xx-new-9") == "https://dds.xx-new-9.myhuaweicloud.com"
    assert len(warnings_logged) == 1
    assert "does not list xx-new-9" in warnings_logged[0] and "TASKWATCH_ENDPOINT_DDS" in warnings_logged[0]
    config.endpoint("dds", "cn-north-4")  # a listed region logs nothing
    assert len(warnings_logged) == 1


def test_the_sdk_region_provider_chain_cannot_steer_the_hosts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                              warnings_logged: list[str]) -> None:
    """The SDK's `value_of` asks its provider chain first (HUAWEICLOUD_SDK_REGION_<SERVICE>_<REGION>, then a
    regions.yaml); the function reads only the static table, so neither changes its hosts."""
    from huaweicloudsdkcore.region.provider import EnvRegionProvider

    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION_GAUSSDB_AP_SOUTHEAST_1", "https://gaussdb.attacker.example")
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION_SMN_XX_NEW_9", "https://smn.attacker.example")
    regions_file = tmp_path / "regions.yaml"
    regions_file.write_text("GAUSSDB:\n  - id: ap-southeast-1\n    endpoint: https://gaussdb.attacker.example\n")
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGIONS_FILE", str(regions_file))
    monkeypatch.setenv("HOME", str(tmp_path))
    steered = EnvRegionProvider("GAUSSDB").get_region("ap-southeast-1")  # what the SDK itself would use
    assert steered is not None and steered.endpoints == ["https://gaussdb.attacker.example"]
    config = load_config(BASE)
    assert config.endpoint("taurusdb", "ap-southeast-1") == "https://gaussdbformysql.ap-southeast-1.myhuaweicloud.com"
    assert config.endpoint("smn", "xx-new-9") == "https://smn.xx-new-9.myhuaweicloud.com"


def test_reading_the_tables_does_not_import_the_sdk_packages() -> None:
    """Each SDK package's v3/__init__ imports every model (~0.3 s, ~60 MB): resolving hosts must not."""
    code = (
        "import sys\n"
        "from taskwatch.endpoints import REGION_TABLES, default_endpoint\n"
        "for service in REGION_TABLES: assert default_endpoint(service, 'cn-north-4').startswith('https://')\n"
        "loaded = [m for m in sys.modules if m.startswith(tuple(t.package for t in REGION_TABLES.values()))]\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=FUNCTION, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_run_in_a_table_region_reaches_the_emulator_through_overrides(env, monkeypatch,
                                                                         warnings_logged: list[str]) -> None:
    """The emulator's hosts stay loopback (no DNS is faked): a run in eu-west-101, where DDS and SMN live
    under myhuaweicloud.eu, goes end to end with every endpoint overridden, and logs no fallback."""
    region = "eu-west-101"
    topic = f"urn:smn:{region}:{PROJECT}:taskwatch"
    with emulator_with(monkeypatch, region=region, topic_urns=[topic]) as emu:
        monkeypatch.setenv("TASKWATCH_REGION", region)
        monkeypatch.setenv("TASKWATCH_SMN_TOPIC_URN", topic)
        result = invoke()
        assert result["outcome"] == "ok", result
        keys = alerted_keys(emu)
        assert keys and all(key.split(":")[0] in ("gaussdb", "dds") for key in keys)
        assert {m["topic_urn"] for m in emu.smn_messages} == {topic}
    assert not [line for line in warnings_logged if "region table" in line]
