"""RDS (MySQL, PostgreSQL, SQL Server) end to end on the emulator: listed, detailed, published once.

RDS is opt-in (not in the default services), so these runs name it: TASKWATCH_SERVICES=rds.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import alerted_keys, emulator_with, invoke, published, saved_state
from tests.fixtures import PROJECT


def _rds_failure(emu, minutes: int = 20, **fields) -> str:
    created = emu.now() - timedelta(minutes=minutes)
    values = dict(name="CreateMysqlSingleHAInstance", status="Failed", created=created,
                  ended=created + timedelta(minutes=2), instance_id="a48e43ff268f4c0e879652d65e63d0fbin01",
                  instance_name="mysql-prod", fail_reason="createVM failed.",
                  entities={"instance": {"type": "Single", "datastore": {"type": "mysql", "version": "5.7"}}})
    values.update(fields)
    return emu.add_task("rds", **values)


def test_an_rds_failure_is_listed_detailed_and_published_once(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_SERVICES", "rds")
    task_id = _rds_failure(emulator)
    key = f"rds:{PROJECT}:{task_id}"
    first = invoke()
    assert first["outcome"] == "ok", first
    assert alerted_keys(emulator) == [key]
    [message] = published(emulator)
    task = message["http"]["tasks"][0]
    assert (task["task_name"], task["fail_reason"], task["instance_name"]) == (
        "CreateMysqlSingleHAInstance", "createVM failed.", "mysql-prod")
    assert message["subject"].startswith("taskwatch: 1 failed RDS task in xx-test-1")
    assert "console.huaweicloud.com/rds/?region=xx-test-1#/rds/taskCenter" in message["structure"]["email"]
    assert {"name": "service", "type": "STRING", "value": "rds"} in message["attributes"]
    counts = emulator.request_counts()
    assert counts["rds.detail"] == 1 and counts["smn.publish"] == 1
    lists = [r for r in emulator.requests if r["call"] == "rds.list"]
    assert lists and all(r["query"]["limit"] == "50" for r in lists)
    # UNIX milliseconds, both bounds (the API reference's example: start_time=1747919701390)
    assert all(len(r["query"]["start_time"]) == 13 and len(r["query"]["end_time"]) == 13 for r in lists)
    assert saved_state(emulator)["tasks"][key]["notified_at"]

    emulator.reset_records()
    second = invoke()
    assert second["outcome"] == "ok" and second["messages_published"] == 0
    assert emulator.request_counts()["rds.detail"] == 0


def test_rds_is_not_watched_unless_named(emulator, env) -> None:
    _rds_failure(emulator)
    summary = invoke()
    assert summary["outcome"] == "ok", summary
    assert not [s for s in summary["sources"] if s["source"].endswith("/rds")]
    assert "rds.list" not in emulator.request_counts()


@pytest.mark.parametrize("mode", ["item", "page", "page_strict"])
@pytest.mark.parametrize("omit_total", [False, True])
def test_rds_pages_under_every_reading_of_offset(monkeypatch, env, mode: str, omit_total: bool) -> None:
    """Over two pages of 50: every failure published once, whatever `offset` means and whether or not the
    answers carry total_count."""
    monkeypatch.setenv("TASKWATCH_SERVICES", "rds")
    monkeypatch.setenv("TASKWATCH_BACKFILL", "30d")
    monkeypatch.setenv("TASKWATCH_MAX_MESSAGES_PER_RUN", "50")
    with emulator_with(monkeypatch, offset_modes={"rds": mode},
                       omit_total_count={"rds"} if omit_total else ()) as emu:
        keys = {f"rds:{PROJECT}:" + _rds_failure(emu, minutes=30 + n, name=f"RestartMysqlInstance{n % 3}")
                for n in range(120)}
        summary = invoke()
        assert summary["outcome"] == "ok", summary
        got = alerted_keys(emu)
        assert sorted(got) == sorted(keys)
        [source] = summary["sources"]
        assert source["complete"], source


def test_rds_read_as_seconds_is_loud_not_quiet(monkeypatch, env) -> None:
    """The SDK's "UTC timestamp" read as seconds: the millisecond value is refused (400) and the source
    reports itself failing instead of listing nothing."""
    monkeypatch.setenv("TASKWATCH_SERVICES", "rds")
    with emulator_with(monkeypatch, rds_time_unit="s") as emu:
        _rds_failure(emu)
        summary = invoke()
        [source] = summary["sources"]
        assert not source["ok"] and "400" in source["error"], source
        assert summary["outcome"] != "ok"
