"""The whole function against the local cloud emulator: real SDK clients, real signatures, real HTTP."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.conftest import STATE_KEY, alerted_keys, emulator_with, invoke, published, saved_state
from tests.emulator import Fault
from tests.fixtures import BUCKET, PROJECT, TOKEN, FakeContext

SEED_GAUSSDB_FAILED = f"gaussdb:{PROJECT}:03bc055a-135c-4245-8bd8-b0bc6d3350b3"
SEED_DDS_FAILED = f"dds:{PROJECT}:a03b1b8a-b756-467c-8a49-38720c3d23ec"


def test_seed_failures_are_published_once_and_the_second_run_publishes_nothing(emulator, env) -> None:
    first = invoke()
    assert first["outcome"] == "ok", first
    assert sorted(alerted_keys(emulator)) == sorted([SEED_GAUSSDB_FAILED, SEED_DDS_FAILED])
    messages = {m["http"]["service"]: m for m in published(emulator)}

    gauss = messages["gaussdb"]
    assert gauss["subject"].startswith("taskwatch: 1 failed GaussDB task in xx-test-1: CreateGaussDBV5Instance")
    task = gauss["http"]["tasks"][0]
    assert (task["fail_reason"], task["instance_name"], task["status"]) == ("500000", "gauss-6568-zzh", "Failed")
    assert set(gauss["structure"]) == {"default", "email", "sms", "http", "https"}
    assert "Reason:    500000" in gauss["structure"]["email"]
    assert {"name": "service", "type": "STRING", "value": "gaussdb"} in gauss["attributes"]

    dds = messages["dds"]["http"]["tasks"][0]
    assert dds["fail_reason"] == "Failed to upgrade the DB Agent."
    assert dds["task_name"] == "Restore_MongoDB_Replica"
    assert dds["instance_id"] == "7beb15d5db9c4742b7c817789244844ein02"

    state = saved_state(emulator)
    assert state["tasks"][SEED_GAUSSDB_FAILED]["notified_at"] and state["tasks"][SEED_DDS_FAILED]["notified_at"]
    counts = emulator.request_counts()
    # Their list items hold the reason and the instance: no detail call (sources.base.detail_wanted)
    assert counts["gaussdb.detail"] == 0 and counts["dds.detail"] == 0 and counts["smn.publish"] == 2

    emulator.reset_records()
    second = invoke()
    assert second["outcome"] == "ok" and second["messages_published"] == 0
    assert published(emulator) == []
    counts = emulator.request_counts()
    assert counts["gaussdb.detail"] == counts["dds.detail"] == 0  # nothing re-fetched for known failures
    assert counts["obs.put"] == 0  # nothing changed: the state is not rewritten


def test_paging_over_several_pages_in_all_three_services(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_BACKFILL", "30d")  # alert on everything, even on a first run
    monkeypatch.setenv("TASKWATCH_MAX_MESSAGES_PER_RUN", "50")
    failures = {"taurusdb": 120, "gaussdb": 230, "dds": 205}  # page sizes 50, 100, 100
    expected = set()
    for service, count in failures.items():
        for n in range(count):
            created = emulator.now() - timedelta(days=20, minutes=n)
            task_id = emulator.add_task(service, name="CreateInstance", status="Failed", created=created,
                                        ended=created + timedelta(minutes=3), instance_id=f"i{n}",
                                        instance_name=f"db-{n}", fail_reason=f"reason {n}")
            expected.add(f"{service}:{PROJECT}:{task_id}")
    summary = invoke()
    assert summary["outcome"] == "ok", summary
    assert set(alerted_keys(emulator)) >= expected
    lists = [r for r in emulator.requests if r["call"].endswith(".list") and r["query"].get("status") == "Failed"]
    offsets = {s: sorted((r["query"]["offset"] for r in lists if r["call"] == f"{s}.list"), key=int) for s in failures}
    # The first page at offset 0 under both readings; then TaurusDB pages by number, the others by items,
    # each item page starting one item early (pager.py): the documented readings cost no extra call.
    assert offsets == {"taurusdb": ["0", "2", "3"], "gaussdb": ["0", "99", "199"], "dds": ["0", "99", "199"]}
    for message in published(emulator):
        if message["http"]["kind"] == "alert":
            assert len(message["http"]["tasks"]) == 10  # storm control: the rest counted by name
            assert len(message["structure"]["sms"]) < 490


def test_taurusdb_item_offsets_when_configured(env, monkeypatch) -> None:
    with emulator_with(monkeypatch, offset_modes={"taurusdb": "item"}) as emu:
        monkeypatch.setenv("TASKWATCH_TAURUSDB_OFFSET_MODE", "item")
        monkeypatch.setenv("TASKWATCH_SERVICES", "taurusdb")
        for n in range(60):
            emu.add_task("taurusdb", name="RebootGaussDBforMySQLInstance", status="Failed",
                         created=emu.now() - timedelta(seconds=n + 1), instance_id=f"i{n}", instance_name=f"n{n}")
        invoke()
        offsets = [r["query"]["offset"] for r in emu.requests if r["call"] == "taurusdb.list"
                   and r["query"].get("status") == "Failed"]
        assert offsets == ["0", "49"]
        assert len(alerted_keys(emu)) == 60


def test_legacy_mysql_path_is_reachable_by_configuring_the_endpoint(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_ENDPOINT_TAURUSDB", emulator.endpoints["taurusdb"] + "/mysql")
    monkeypatch.setenv("TASKWATCH_SERVICES", "taurusdb")
    created = emulator.now() - timedelta(minutes=30)
    task_id = emulator.add_task("taurusdb", name="GaussDBforMySQLBindEIP", status="Failed", created=created,
                                instance_id="a48e43ff268f4c0e879652d65e63d0fbin07", instance_name="mysql-1",
                                fail_reason="EIP quota exceeded", entities={"public_ip": "203.0.113.7"})
    assert invoke()["outcome"] == "ok"
    paths = {r["path"].split("/")[1] for r in emulator.requests if r["call"].startswith("taurusdb.")}
    assert paths == {"mysql"}
    task = published(emulator)[0]["http"]["tasks"][0]
    assert task["task_id"] == task_id and task["entities"] == {"public_ip": "203.0.113.7"}


def test_failed_publish_is_retried_by_the_next_run_and_only_then_marked(emulator, env) -> None:
    emulator.faults.add(Fault(call="smn.publish", kind="500", times=None))
    first = invoke()
    assert first["messages_failed"] == 2 and first["messages_published"] == 0 and first["outcome"] == "degraded"
    entry = saved_state(emulator)["tasks"][SEED_DDS_FAILED]
    assert entry["alert"] == "failed" and entry["attempts"] == 1 and not entry.get("notified_at")
    emulator.faults.clear()
    emulator.reset_records()
    second = invoke()
    assert second["messages_published"] == 2
    assert sorted(alerted_keys(emulator)) == sorted([SEED_GAUSSDB_FAILED, SEED_DDS_FAILED])
    assert saved_state(emulator)["tasks"][SEED_DDS_FAILED]["notified_at"]
    assert emulator.request_counts()["dds.detail"] == 0  # the detail was kept from the first run
    emulator.reset_records()
    invoke()
    assert published(emulator) == []


def test_schema_violating_records_are_reported_not_dropped(emulator, env) -> None:
    emulator.raw_item("dds", None, {"id": "odd-1", "name": "Create_MongoDB", "status": "Failed",
                                    "created_at": "2026/11/23 07:00", "instance_id": "x", "instance_name": "odd",
                                    "fail_reason": "disk full"})
    emulator.raw_item("dds", None, {"id": "odd-2", "name": 42, "status": "Running",
                                    "created_at": emulator.now().strftime("%Y-%m-%dT%H:%M:%S+0000")})
    summary = invoke()
    assert summary["schema_violations"] >= 2
    paths = {(v["task_id"], v["path"]) for v in summary["violations"]}
    assert ("odd-1", "jobs[0].created_at") in paths or any(t == "odd-1" for t, _ in paths)
    assert any(t == "odd-2" for t, _ in paths)
    odd = [t for m in published(emulator) for t in m["http"].get("tasks", []) if t["task_id"] == "odd-1"]
    assert odd and odd[0]["schema_errors"] and odd[0]["fail_reason"] == "disk full"


def test_invalid_configuration_stops_before_any_call(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_MAX_ALERTS_PER_MESSAGE", "lots")
    summary = invoke()
    assert summary["outcome"] == "failed"
    assert summary["errors"] == ["configuration TASKWATCH_MAX_ALERTS_PER_MESSAGE: expected an integer"]
    assert emulator.requests == []


def test_agency_credentials_with_security_token_from_the_context(env, monkeypatch) -> None:
    with emulator_with(monkeypatch, ak="AGENCYAK0000000000001", sk="AGENCYSKsecret000000000001",
                       security_token=TOKEN) as emu:
        context = FakeContext(ak="AGENCYAK0000000000001", sk="AGENCYSKsecret000000000001", token=TOKEN)
        summary = invoke(context=context)
        assert summary["outcome"] == "ok", summary
        assert len(published(emu)) == 2 and (BUCKET, STATE_KEY) in emu.obs_objects
        wrong = FakeContext(ak="AGENCYAK0000000000001", sk="AGENCYSKsecret000000000001", token=TOKEN + "x")
        failed = invoke(context=wrong)
        assert failed["outcome"] == "failed" and "403" in failed["errors"][0]


def test_dry_run_publishes_nothing_and_writes_no_state(emulator, env, monkeypatch) -> None:
    monkeypatch.setenv("TASKWATCH_DRY_RUN", "1")
    summary = invoke()
    assert summary["messages_would_publish"] == 2 and summary["state"]["written"] is False
    assert emulator.smn_messages == [] and (BUCKET, STATE_KEY) not in emulator.obs_objects


def test_user_event_shards_one_function_across_triggers(emulator, env) -> None:
    summary = invoke(json.dumps({"services": "dds"}))
    assert [s["source"].split("/")[-1] for s in summary["sources"]] == ["dds"]
    assert alerted_keys(emulator) == [SEED_DDS_FAILED]


@pytest.mark.parametrize("token", [None, TOKEN])
def test_state_object_round_trips_through_obs_with_and_without_token(env, monkeypatch, token) -> None:
    with emulator_with(monkeypatch, ak="K" * 20, sk="S" * 40, security_token=token) as emu:
        context = FakeContext(ak="K" * 20, sk="S" * 40, token=token)
        assert invoke(context=context)["state"]["written"] is True
        assert emu.request_counts()["obs.put"] >= 1 and not [e for e in emu.errors if "obs" in e.lower()]
        emu.reset_records()
        assert invoke(context=context)["messages_published"] == 0
