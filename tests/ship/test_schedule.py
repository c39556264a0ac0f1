"""Timer schedules as FunctionGraph's guide writes them (layers/ship/schedule.py), in code, schema and emulator."""

from __future__ import annotations

import pytest
from ship import schedule

from tests.emulator.functiongraph import _cron_ok

from .conftest import paths

ACCEPTED = ["0 0 9 * * ?", "0 */5 * * * ?", "0 */5 * * *", "0 30 8 ? * Mon-Fri", "0 0 0 1 Jan-Mar ?",
            "0 0,30 8-18/2 * * 1-5", "CRON_TZ=Asia/Shanghai 0 30 8 * * *", "CRON_TZ=UTC 0 0 9 * *",
            "@every 30m", "@every 1.5h", "@every 2h30m", "@every 90s"]
REJECTED = {
    "0 0 9 * * ? 2026": "5 or 6 fields",  # Quartz's year field: not in FunctionGraph's guide
    "*/5 * * *": "5 or 6 fields",
    "0 60 * * * ?": "minutes: '60' is outside 0-59",
    "0 0 24 * * ?": "hours: '24' is outside 0-23",
    "0 0 9 0 * ?": "day-of-month: '0' is outside 1-31",
    "0 0 9 * 13 ?": "month: '13' is outside 1-12",
    "0 0 9 ? * 7": "day-of-week: '7' is outside 0-6",
    "? 0 9 * * *": "seconds: ? is allowed only",
    "0 0 9 * ? *": "month: ? is allowed only",
    "0 */0 * * * ?": "/ takes a positive step",
    "0 0 18-9 * * ?": "runs backwards",
    "0 0 9 L * ?": "day-of-month: 'L' is outside",
    "CRON_TZ=Mars/Olympus 0 0 9 * * ?": "not a time zone name",
    "@every 5 minutes": "@every N unit",
    "@every 0m": "must be positive",
    "@every 5d": "@every N unit",
}


@pytest.mark.parametrize("text", ACCEPTED)
def test_documented_forms_are_accepted(text: str) -> None:
    schedule.check("Cron", text)
    assert _cron_ok(text)  # the emulator's own reading of the guide agrees


@pytest.mark.parametrize(("text", "reason"), sorted(REJECTED.items()))
def test_other_forms_are_refused_saying_why(text: str, reason: str) -> None:
    with pytest.raises(schedule.ScheduleError, match=None) as caught:
        schedule.check("Cron", text)
    assert reason in str(caught.value)
    assert not _cron_ok(text)


@pytest.mark.parametrize(("kind", "text", "seconds"), [("Rate", "5m", 300), ("Rate", "2h", 7200), ("Rate", "1d", 86400),
                                                        ("Cron", "@every 2h30m", 9000), ("Cron", "0 0 9 * * ?", None)])
def test_period(kind: str, text: str, seconds: float | None) -> None:
    assert schedule.period_seconds(kind, text) == seconds


@pytest.mark.parametrize("text", ["0m", "61m", "25h", "31d", "5 m", "5s"])
def test_rate_outside_the_documented_ranges_is_refused(text: str) -> None:
    with pytest.raises(schedule.ScheduleError):
        schedule.check("Rate", text)


def test_the_template_refuses_a_bad_cron_naming_the_field(tmp_path) -> None:
    import yaml
    from ship.template import TemplateError, load

    from tests.fixtures import BUCKET, PROJECT, TOPIC

    document = yaml.safe_load(paths.TEMPLATE.read_text())
    document["Resources"]["taskwatch"]["Properties"]["x-taskwatch"]["Timers"]["daily-heartbeat"]["Schedule"] = \
        "0 0 9 * * ? 2026"
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    with pytest.raises(TemplateError) as caught:
        load(path, {"TASKWATCH_DEPLOY_TOPIC_URN": TOPIC, "TASKWATCH_DEPLOY_STATE_BUCKET": BUCKET}, PROJECT)
    assert "x-taskwatch.Timers.daily-heartbeat.Schedule:" in str(caught.value)
