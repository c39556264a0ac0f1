"""The detail call is made only where it adds something the list item lacks (sources.base.detail_wanted):
TaurusDB's entities, or a reason or instance the list item does not give. Messages carry the instance, the
task ID and the reason either way."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import invoke, published


def _failure(emulator, service: str, **fields) -> str:  # type: ignore[no-untyped-def]
    created = emulator.now() - timedelta(minutes=10)
    values = dict(name="ResizeInstance", status="Failed", created=created, ended=created + timedelta(minutes=2),
                  instance_id="inst-7", instance_name="db-7", fail_reason="no capacity")
    values.update(fields)
    return emulator.add_task(service, **values)


def _alerted(emulator, task_id: str) -> dict:  # type: ignore[no-untyped-def]
    return next(t for m in published(emulator) for t in m["http"]["tasks"] if t["task_id"] == task_id)


def test_a_list_item_with_reason_and_instance_needs_no_detail_and_its_message_says_them(emulator, env) -> None:
    invoke()  # baseline the seeds
    emulator.reset_records()
    dds, gauss = _failure(emulator, "dds"), _failure(emulator, "gaussdb", fail_reason="DBS.280005")
    summary = invoke()
    counts = emulator.request_counts()
    assert counts["dds.detail"] == 0 and counts["gaussdb.detail"] == 0 and summary["details_fetched"] == 0
    assert (_alerted(emulator, dds)["fail_reason"], _alerted(emulator, dds)["instance_id"]) == ("no capacity",
                                                                                                "inst-7")
    assert (_alerted(emulator, gauss)["fail_reason"], _alerted(emulator, gauss)["instance_name"]) == ("DBS.280005",
                                                                                                      "db-7")


def test_a_missing_reason_or_instance_is_asked_of_the_detail(emulator, env) -> None:
    invoke()
    emulator.reset_records()
    no_reason = _failure(emulator, "dds", fail_reason=None)
    no_instance = _failure(emulator, "gaussdb", instance_id="")
    summary = invoke()
    counts = emulator.request_counts()
    assert counts["dds.detail"] == 1 and counts["gaussdb.detail"] == 1 and summary["details_fetched"] == 2
    assert _alerted(emulator, no_reason)["task_id"] == no_reason
    assert _alerted(emulator, no_instance)["instance_name"] == "db-7"


def test_taurusdb_detail_is_always_asked_for_its_entities(emulator, env) -> None:
    invoke()
    emulator.reset_records()
    task_id = _failure(emulator, "taurusdb", entities={"public_ip": "203.0.113.9"})
    invoke()
    assert emulator.request_counts()["taurusdb.detail"] == 1
    alerted = _alerted(emulator, task_id)
    assert alerted["entities"] == {"public_ip": "203.0.113.9"} and alerted["fail_reason"] == "no capacity"
    assert alerted["instance_id"] == "inst-7"
