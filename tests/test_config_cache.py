"""The configuration kept across warm invocations: reused only for identical inputs, never for errors."""

from __future__ import annotations

import pytest
from taskwatch.config_cache import cached_config
from taskwatch.errors import ConfigError

from tests.fixtures import PROJECT, REGION, TOPIC

BASE = {"TASKWATCH_REGION": REGION, "TASKWATCH_PROJECT_ID": PROJECT, "TASKWATCH_SMN_TOPIC_URN": TOPIC,
        "TASKWATCH_STATE_URI": "obs://taskwatch-state/taskwatch/state.json"}


def test_identical_environment_and_event_reuse_one_configuration() -> None:
    first = cached_config({**BASE, "PATH": "/bin"}, {"services": "dds"})
    assert cached_config({**BASE, "PATH": "/usr/bin"}, {"services": "dds"}) is first  # undeclared keys ignored
    assert first.targets[0].services == ("dds",)


def test_a_changed_value_or_event_is_read_afresh() -> None:
    first = cached_config(BASE)
    changed = cached_config({**BASE, "TASKWATCH_HTTP_TIMEOUT": "0.4"})
    assert changed is not first and changed.http_timeout == 0.4 and first.http_timeout == 10
    narrowed = cached_config(BASE, {"services": "gaussdb"})
    assert narrowed is not first and narrowed.targets[0].services == ("gaussdb",)


def test_a_bad_configuration_fails_every_time() -> None:
    for _ in range(2):
        with pytest.raises(ConfigError, match="TASKWATCH_HTTP_TIMEOUT"):
            cached_config({**BASE, "TASKWATCH_HTTP_TIMEOUT": "soon"})


def test_the_shared_configuration_cannot_be_changed_by_a_run() -> None:
    config = cached_config(BASE)
    with pytest.raises(TypeError):
        config.raw["TASKWATCH_REGION"] = "elsewhere"  # type: ignore[index]
    with pytest.raises(TypeError):
        config.endpoints["obs"] = "https://attacker.example"  # type: ignore[index]
