"""RDS (MySQL, PostgreSQL, SQL Server) end to end on the emulator: listed, detailed where the list item lacks
something, published once.

RDS is opt-in (not in the default services), so these runs name it: TASKWATCH_SERVICES=rds.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import alerted_keys, emulator_with, invoke, published, saved_state
from tests.emulator.faults import Fault
from tests.fixtures import PROJECT, REGION


def _rds_failure(emu, minutes: int = 20, **fields) -> str:
    created = emu.now() - timedelta(minutes=minutes)
    values = dict(name="CreateMysqlSingleHAInstance", status="Failed", created=created,
                  ended=created + timedelta(minutes=2), instance_id="a48e43ff268f4c0e879652d65e63d0fbin01",
                  instance_name="mysql-prod", fail_reason="createVM failed.",
                  entities={"instance": {"type": "Single", "datastore": {"type": "mysql", "version": "5.7"}}})
    values.update(fields)
    return emu.add_task("rds", **values)


def test_an_rds_failure_is_listed_and_published_once(emulator, env, monkeypatch) -> None:
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
    # the list item carries the reason and the instance: the detail call would add nothing (detail_wanted)
    assert counts.get("rds.detail", 0) == 0 and counts["smn.publish"] == 1
    lists = [r for r in emulator.requests if r["call"] == "rds.list"]
    assert lists and all(r["query"]["limit"] == "50" for r in lists)
    # UNIX milliseconds, both bounds (the API reference's example: start_time=1747919701390); the Running
    # listing sends no time filter at all (time_units.list_running)
    filtered = _time_filtered(lists)
    assert filtered and all(len(r["query"]["start_time"]) == 13 and len(r["query"]["end_time"]) == 13
                            for r in filtered)
    assert all(r["query"]["offset"] == "0" and "end_time" not in r["query"] for r in _unfiltered(lists))
    assert saved_state(emulator)["tasks"][key]["notified_at"]

    emulator.reset_records()
    second = invoke()
    assert second["outcome"] == "ok" and second["messages_published"] == 0
    assert emulator.request_counts()["rds.detail"] == 0
    assert not _unfiltered(emulator.requests)  # the unit was confirmed: no probe any more


def test_an_rds_failure_without_a_reason_is_detailed(emulator, env, monkeypatch) -> None:
    """The detail call is made where it adds something the list item lacks: here the reason."""
    monkeypatch.setenv("TASKWATCH_SERVICES", "rds")
    _rds_failure(emulator, fail_reason=None)
    first = invoke()
    assert first["outcome"] == "ok", first
    assert emulator.request_counts()["rds.detail"] == 1 and first["details_fetched"] == 1
    assert len(published(emulator)) == 1


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


def _time_filtered(requests: list[dict]) -> list[dict]:
    return [r for r in requests if r["call"] == "rds.list" and "start_time" in r["query"]]


def _unfiltered(requests: list[dict]) -> list[dict]:
    """The unit probes: listings without the time filter, other than those of running tasks (never filtered)."""
    running = [r for r in requests if r["call"] == "rds.list" and r["query"].get("status") == "Running"]
    assert all("start_time" not in r["query"] and "end_time" not in r["query"] for r in running), running
    return [r for r in requests if r["call"] == "rds.list" and "start_time" not in r["query"]
            and r["query"].get("status") != "Running"]


@pytest.mark.parametrize(("server_unit", "learnt"), [("ms", "ms"), ("s", "s"), ("s_lenient", "s")])
def test_rds_failures_are_published_once_whatever_unit_the_server_reads(monkeypatch, env, server_unit: str,
                                                                         learnt: str) -> None:
    """Under each reading of the "UTC timestamp" (milliseconds; seconds refusing milliseconds with 400;
    seconds taking milliseconds silently as the far future): over two pages, every failure is published
    exactly once over two runs, the unit is learnt, confirmed and remembered, and the second run sends only
    that unit with no probe."""
    monkeypatch.setenv("TASKWATCH_SERVICES", "rds")
    monkeypatch.setenv("TASKWATCH_BACKFILL", "30d")
    monkeypatch.setenv("TASKWATCH_MAX_MESSAGES_PER_RUN", "50")
    with emulator_with(monkeypatch, rds_time_unit=server_unit) as emu:
        keys = {f"rds:{PROJECT}:" + _rds_failure(emu, minutes=30 + n) for n in range(60)}
        first = invoke()
        assert first["outcome"] == "ok", first
        [source] = first["sources"]
        assert source["ok"] and source["complete"], source
        assert (source["time_unit"], source["time_unit_confirmed"]) == (learnt, True)
        entry = saved_state(emu)["sources"][f"{REGION}/{PROJECT}/rds"]
        assert (entry["time_unit"], entry["time_unit_confirmed"]) == (learnt, True)
        assert sorted(alerted_keys(emu)) == sorted(keys)

        emu.reset_records()
        later = f"rds:{PROJECT}:" + _rds_failure(emu, minutes=5, name="RestartMysqlInstance")
        second = invoke()
        assert second["outcome"] == "ok", second
        assert alerted_keys(emu) == [later]  # the new one only: nothing published twice
        digits = 13 if learnt == "ms" else 10
        filtered = _time_filtered(emu.requests)
        assert filtered and all(len(r["query"]["start_time"]) == digits for r in filtered)
        assert not _unfiltered(emu.requests)  # a confirmed unit needs no probe
        assert "rds.list" in emu.request_counts() and all(
            r["status"] < 400 for r in emu.requests if r["call"] == "rds.list")


def test_a_silent_wrong_unit_costs_one_probe_and_is_corrected(monkeypatch, env) -> None:
    """s_lenient: the millisecond window answers an empty list without complaint; one page without the time
    filter shows a failure inside the window, so the listing is read in seconds."""
    monkeypatch.setenv("TASKWATCH_SERVICES", "rds")
    monkeypatch.setenv("TASKWATCH_STUCK_AFTER", "0")  # the Failed listing only
    with emulator_with(monkeypatch, rds_time_unit="s_lenient") as emu:
        key = f"rds:{PROJECT}:" + _rds_failure(emu)
        summary = invoke()
        assert summary["outcome"] == "ok", summary
        assert alerted_keys(emu) == [key]
        [probe] = _unfiltered(emu.requests)
        assert probe["query"]["status"] == "Failed" and probe["query"]["offset"] == "0"
        units = [len(r["query"]["start_time"]) for r in _time_filtered(emu.requests)]
        assert units[0] == 13 and units[-1] == 10, units


def test_an_empty_task_center_is_probed_until_a_task_confirms_the_unit(monkeypatch, env) -> None:
    """First contact with no task in the window: one probe per listing, the unit stays unconfirmed (nothing
    to learn from), and the probe stops once a listing returns a task inside its window."""
    monkeypatch.setenv("TASKWATCH_SERVICES", "rds")
    monkeypatch.setenv("TASKWATCH_STUCK_AFTER", "0")
    with emulator_with(monkeypatch, rds_time_unit="ms", seed_examples=False) as emu:
        summary = invoke()
        [source] = summary["sources"]
        assert source["ok"] and (source["time_unit"], source["time_unit_confirmed"]) == ("ms", False), source
        assert len(_unfiltered(emu.requests)) == 1
        assert saved_state(emu)["sources"][f"{REGION}/{PROJECT}/rds"]["time_unit_confirmed"] is False

        key = f"rds:{PROJECT}:" + _rds_failure(emu)
        emu.reset_records()
        assert invoke()["sources"][0]["time_unit_confirmed"] is True
        assert alerted_keys(emu) == [key] and not _unfiltered(emu.requests)
        emu.reset_records()
        invoke()
        assert not _unfiltered(emu.requests) and all(
            len(r["query"]["start_time"]) == 13 for r in _time_filtered(emu.requests))


def test_a_remembered_unit_the_server_no_longer_reads_is_corrected(monkeypatch, env) -> None:
    """Seconds learnt (unconfirmed, from a 400) while the server reads milliseconds: the seconds window
    lies in January 1970 and answers nothing; the probe shows the failure, milliseconds find it."""
    monkeypatch.setenv("TASKWATCH_SERVICES", "rds")
    monkeypatch.setenv("TASKWATCH_STUCK_AFTER", "0")
    with emulator_with(monkeypatch, rds_time_unit="s", seed_examples=False) as emu:
        assert invoke()["sources"][0]["time_unit"] == "s"
        emu.rds_time_unit = "ms"
        key = f"rds:{PROJECT}:" + _rds_failure(emu)
        summary = invoke()
        [source] = summary["sources"]
        assert (source["time_unit"], source["time_unit_confirmed"]) == ("ms", True), source
        assert alerted_keys(emu) == [key]


@pytest.mark.parametrize("fault", [
    Fault(call="rds.list", kind="500"),
    Fault(call="rds.list", kind="503"),
    Fault(call="rds.list", kind="429"),
    Fault(call="rds.list", kind="403"),
    Fault(call="rds.list", kind="answer", status=404,
          body=b'{"error_code": "DBS.200001", "error_msg": "Parameter error."}'),
    Fault(call="rds.list", kind="answer", status=400,
          body=b'{"error_code": "DBS.200022", "error_msg": "The job does not exist."}'),
], ids=["500", "503", "429", "403", "404-parameter-code", "400-other-code"])
def test_only_a_400_parameter_error_tries_the_other_unit(monkeypatch, env, fault: Fault) -> None:
    """Server errors, throttling, refusals and other client errors are the call's failure (reported), never a
    reason to send seconds."""
    monkeypatch.setenv("TASKWATCH_SERVICES", "rds")
    with emulator_with(monkeypatch) as emu:
        _rds_failure(emu)
        emu.faults.add(fault)
        summary = invoke()
        [source] = summary["sources"]
        assert not source["ok"] and source["time_unit"] is None, source
        filtered = _time_filtered(emu.requests)
        assert filtered and all(len(r["query"]["start_time"]) == 13 for r in filtered)


def test_a_parameter_error_once_switches_and_the_failure_is_still_found(monkeypatch, env) -> None:
    """A spurious 400 DBS.200001 on a milliseconds server: seconds are tried, answer nothing, and the probe
    sends the listing back to milliseconds in the same run: the failure is published."""
    monkeypatch.setenv("TASKWATCH_SERVICES", "rds")
    monkeypatch.setenv("TASKWATCH_STUCK_AFTER", "0")
    with emulator_with(monkeypatch, seed_examples=False) as emu:
        key = f"rds:{PROJECT}:" + _rds_failure(emu)
        emu.faults.add(Fault(call="rds.list", kind="answer", status=400, times=1,
                             body=b'{"error_code": "DBS.200001", "error_msg": "Parameter error."}'))
        summary = invoke()
        assert summary["outcome"] == "ok", summary
        assert alerted_keys(emu) == [key]
        assert summary["sources"][0]["time_unit"] == "ms"


def test_tasks_the_time_filter_never_returns_are_kept_and_the_listing_is_incomplete(monkeypatch, env) -> None:
    """The filtered listing answers nothing in milliseconds (two empty pages) nor in seconds, while the page
    without the time filter shows a failure inside the window: that failure is kept and published, and the
    source says its listing is incomplete (counted towards "monitor blind") rather than confirming a unit."""
    monkeypatch.setenv("TASKWATCH_SERVICES", "rds")
    monkeypatch.setenv("TASKWATCH_STUCK_AFTER", "0")
    with emulator_with(monkeypatch, seed_examples=False) as emu:
        key = f"rds:{PROJECT}:" + _rds_failure(emu)
        emu.faults.add(Fault(call="rds.list", kind="empty_page", times=2))  # offset 0, then offset 1
        summary = invoke()
        assert alerted_keys(emu) == [key]
        [source] = summary["sources"]
        assert source["ok"] and not source["complete"], source
        assert any("time filter returned none" in a for a in source["anomalies"]), source
        assert source["time_unit_confirmed"] is False
        assert len(_unfiltered(emu.requests)) == 1


@pytest.mark.parametrize("bounds", ["created", "ended"])
def test_a_stuck_rds_task_is_found_whatever_end_time_bounds(monkeypatch, env, bounds: str) -> None:
    """The SDK calls end_time "the task's end time": read so, a filtered listing never returns a task that is
    still running, even in the confirmed unit. A stuck task must still be found (rds_end_time_bounds)."""
    monkeypatch.setenv("TASKWATCH_SERVICES", "rds")
    monkeypatch.setenv("TASKWATCH_STUCK_AFTER", "1h")
    with emulator_with(monkeypatch, rds_end_time_bounds=bounds, seed_examples=False) as emu:
        _rds_failure(emu)
        invoke()  # the Failed listing confirms milliseconds (a task inside the window came back)
        assert saved_state(emu)["sources"][f"{REGION}/{PROJECT}/rds"]["time_unit_confirmed"] is True
        running = emu.add_task("rds", name="RestartInstance", status="Running", created=emu.now() - timedelta(hours=2),
                               instance_id="a48e43ff268f4c0e879652d65e63d0fbin02", instance_name="mysql-two")
        summary = invoke()
        assert summary["outcome"] in ("ok", "degraded"), summary
        assert alerted_keys(emu, "stuck") == [f"rds:{PROJECT}:{running}"], summary
