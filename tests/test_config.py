"""Configuration: every key validated before any call, errors that name the key, no values echoed."""

from __future__ import annotations

import json

import pytest
from taskwatch.config import load_config
from taskwatch.errors import ConfigError

from tests.fixtures import PROJECT, REGION, TOPIC

BASE = {"TASKWATCH_REGION": REGION, "TASKWATCH_PROJECT_ID": PROJECT, "TASKWATCH_SMN_TOPIC_URN": TOPIC}


def test_shorthand_builds_one_target_with_all_services() -> None:
    config = load_config(BASE)
    assert [(t.region, t.project_id, t.services) for t in config.targets] == [
        (REGION, PROJECT, ("taurusdb", "gaussdb", "dds"))]
    assert config.max_alerts_per_message == 10 and config.backfill == 3600 and config.stuck_after == 21600
    assert config.obs_region == REGION  # from the topic URN


def test_project_defaults_to_runtime_project_id() -> None:
    env = {"TASKWATCH_REGION": REGION, "RUNTIME_PROJECT_ID": PROJECT, "TASKWATCH_SMN_TOPIC_URN": TOPIC}
    assert load_config(env).targets[0].project_id == PROJECT


def test_targets_json_and_services_subset() -> None:
    targets = [{"region": "ap-southeast-1", "project_id": PROJECT, "services": ["dds"]},
               {"region": "ap-southeast-3", "project_id": PROJECT}]
    config = load_config({**BASE, "TASKWATCH_TARGETS": json.dumps(targets)})
    assert [t.services for t in config.targets] == [("dds",), ("taurusdb", "gaussdb", "dds")]


def test_rds_is_opt_in_and_can_be_named_anywhere() -> None:
    """RDS is not a default service (an agency without rds:task:list would turn blind on it after an
    upgrade); naming it watches it, in TASKWATCH_SERVICES, a target, or narrowed by a user_event."""
    assert "rds" not in load_config(BASE).targets[0].services
    config = load_config({**BASE, "TASKWATCH_SERVICES": "taurusdb,rds",
                          "TASKWATCH_ENDPOINT_RDS": "https://rds.internal.example",
                          "TASKWATCH_ALLOW_FOREIGN_ENDPOINTS": "1"})
    assert config.targets[0].services == ("taurusdb", "rds")
    assert config.endpoint("rds", REGION) == "https://rds.internal.example"
    assert load_config({**BASE, "TASKWATCH_SERVICES": "taurusdb,rds"}, {"services": "rds"}).targets[0].services \
        == ("rds",)
    targets = [{"region": "ap-southeast-1", "project_id": PROJECT, "services": ["rds"]}]
    assert load_config({**BASE, "TASKWATCH_TARGETS": json.dumps(targets)}).targets[0].services == ("rds",)
    with pytest.raises(ConfigError) as info:
        load_config({**BASE, "TASKWATCH_ENDPOINT_RDS": "https://rds.internal.example"})
    assert info.value.key == "TASKWATCH_ENDPOINT_RDS"


def test_user_event_narrows_with_short_or_full_names() -> None:
    config = load_config(BASE, {"services": "dds", "TASKWATCH_HEARTBEAT": "20h"})
    assert config.targets[0].services == ("dds",)
    assert config.heartbeat == 20 * 3600
    assert load_config(BASE, {"Services": ["gaussdb", "dds"]}).targets[0].services == ("gaussdb", "dds")


@pytest.mark.parametrize("key", ["TASKWATCH_MAX_MESSAGES_PER_RUN", "dry_run", "endpoint_obs", "smn_topic_urn"])
def test_user_event_may_not_set_what_only_the_environment_sets(key: str) -> None:
    with pytest.raises(ConfigError, match="may not be set by a user_event") as info:
        load_config(BASE, {key: "1"})
    assert info.value.key == (key if key.startswith("TASKWATCH_") else "TASKWATCH_" + key.upper())


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("TASKWATCH_MAX_MESSAGES_PER_RUN", "many", "expected an integer"),
    ("TASKWATCH_MAX_MESSAGES_PER_RUN", "0", "expected a value >= 1"),
    ("TASKWATCH_BACKFILL", "soon", "expected a duration"),
    ("TASKWATCH_SERVICES", "taurusdb,mysql", "expected one of taurusdb, gaussdb, dds"),
    ("TASKWATCH_ALERT_STATUSES", "Completed", "expected one of Failed, Canceled, Unauthorized"),
    ("TASKWATCH_DRY_RUN", "perhaps", "expected a boolean"),
    ("TASKWATCH_TARGETS", "[{\"region\": \"x\"", "expected JSON text"),
    ("TASKWATCH_STATE_URI", "s3://bucket/key", "expected text matching"),
    ("TASKWATCH_SMN_TOPIC_URN", "arn:aws:sns:x", "expected text matching"),
    ("TASKWATCH_THROTTLE_BACKOFF", "5-2", "min <= max"),
    ("TASKWATCH_TAURUSDB_OFFSET_MODE", "cursor", "expected one of auto, page, item"),
])
def test_bad_values_name_the_key_and_what_was_expected(key: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config({**BASE, key: value})
    assert info.value.key.startswith(key)
    assert expected in str(info.value)
    if len(value) > 3:
        assert value not in str(info.value)  # the value itself is never echoed


def test_nested_target_error_names_the_path() -> None:
    targets = [{"region": REGION, "project_id": "short"}]
    with pytest.raises(ConfigError) as info:
        load_config({**BASE, "TASKWATCH_TARGETS": json.dumps(targets)})
    assert info.value.key == "TASKWATCH_TARGETS[0].project_id"


def test_missing_region_and_topic_are_named() -> None:
    with pytest.raises(ConfigError, match="TASKWATCH_REGION"):
        load_config({"TASKWATCH_SMN_TOPIC_URN": TOPIC})
    with pytest.raises(ConfigError, match="TASKWATCH_SMN_TOPIC_URN: required unless"):
        load_config({"TASKWATCH_REGION": REGION, "TASKWATCH_PROJECT_ID": PROJECT})
    assert load_config({"TASKWATCH_REGION": REGION, "TASKWATCH_PROJECT_ID": PROJECT, "TASKWATCH_DRY_RUN": "1"})


def test_unknown_user_event_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown key in user_event") as info:
        load_config(BASE, {"max_mesages_per_run": 3})
    assert info.value.key == "max_mesages_per_run"


def test_runtime_project_id_cannot_be_overridden_by_a_trigger() -> None:
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(BASE, {"RUNTIME_PROJECT_ID": PROJECT})


@pytest.mark.parametrize("url", ["http://gaussdb.xx-test-1.myhuaweicloud.com", "https://example.com",
                                 "https://myhuaweicloud.com.evil.example"])
def test_endpoints_must_be_https_and_huawei_unless_loopback_or_allowed(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config({**BASE, "TASKWATCH_ENDPOINT_DDS": url})
    assert info.value.key == "TASKWATCH_ENDPOINT_DDS"


def test_endpoint_overrides_accepted() -> None:
    config = load_config({**BASE, "TASKWATCH_ENDPOINT_TAURUSDB": "https://gaussdb.{region}.myhuaweicloud.com/mysql",
                          "TASKWATCH_ENDPOINT_SMN": "http://127.0.0.1:8080",
                          "TASKWATCH_ENDPOINT_DDS": "https://dds.internal.example",
                          "TASKWATCH_ALLOW_FOREIGN_ENDPOINTS": "1"})
    assert config.endpoint("taurusdb", "ap-southeast-1") == "https://gaussdb.ap-southeast-1.myhuaweicloud.com/mysql"
    assert config.endpoint("gaussdb", "ap-southeast-1") == "https://gaussdb-opengauss.ap-southeast-1.myhuaweicloud.com"
    assert config.endpoint("smn", REGION) == "http://127.0.0.1:8080"


def test_duplicate_targets_refused() -> None:
    targets = [{"region": REGION, "project_id": PROJECT}] * 2
    with pytest.raises(ConfigError, match="at most once"):
        load_config({**BASE, "TASKWATCH_TARGETS": json.dumps(targets)})
