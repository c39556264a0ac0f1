"""What `offset` means is inferred from the answers, remembered, re-checked for free, and corrected.

See function/taskwatch/sources/pager.py for the readings and how the answers tell them apart.
"""

from __future__ import annotations

import pytest
from taskwatch.sources.pager import ITEM, PAGE, judge, pages_for, request_offset

from tests.conftest import alerted_keys, invoke, published, saved_state
from tests.emulator import CloudEmulator, Fault
from tests.fixtures import PROJECT, REGION
from tests.guarantees.offset_variants import Variant, add_failures, variant_emulator

GAUSSDB_SOURCE = f"{REGION}/{PROJECT}/gaussdb"


def list_offsets(emu: CloudEmulator, service: str, since: int = 0) -> list[str]:
    """The offsets of the service's list requests, from the `since`-th request the emulator received."""
    return [r["query"].get("offset") for r in emu.requests[since:] if r["call"] == f"{service}.list"]


def test_the_reading_is_remembered_and_rechecked_without_an_extra_call(env, monkeypatch) -> None:
    with variant_emulator(monkeypatch, Variant("gaussdb", PAGE, True)) as emu:
        keys = add_failures(emu, "gaussdb", 250)
        invoke()
        # Believed items (the documents): page 2 asked one item early came back far away, offset=2 decided.
        assert list_offsets(emu, "gaussdb") == ["0", "99", "2", "3"]
        assert saved_state(emu)["sources"][GAUSSDB_SOURCE]["offset_reading"] == PAGE
        keys |= add_failures(emu, "gaussdb", 3, seed=1)
        since = len(emu.requests)
        summary = invoke()
        assert list_offsets(emu, "gaussdb", since) == ["0", "2", "3"]  # one request per page, nothing re-probed
        assert summary["outcome"] == "ok"
        assert sorted(alerted_keys(emu)) == sorted(keys)


def test_a_remembered_reading_that_turns_wrong_is_corrected(env, monkeypatch) -> None:
    with variant_emulator(monkeypatch, Variant("gaussdb", PAGE, False)) as emu:
        keys = add_failures(emu, "gaussdb", 150)
        invoke()
        assert saved_state(emu)["sources"][GAUSSDB_SOURCE]["offset_reading"] == PAGE
        emu.offset_modes["gaussdb"] = ITEM  # the API changes its mind (or the first guess was wrong)
        keys |= add_failures(emu, "gaussdb", 120, seed=1)
        since = len(emu.requests)
        summary = invoke()
        assert list_offsets(emu, "gaussdb", since) == ["0", "2", "99", "199"]  # offset=2 repeated page 1: items
        assert summary["outcome"] == "ok"
        assert saved_state(emu)["sources"][GAUSSDB_SOURCE]["offset_reading"] == ITEM
        published_keys = alerted_keys(emu)
        assert set(published_keys) == keys and len(published_keys) == len(keys)


@pytest.mark.parametrize(("configured", "actual"), [(ITEM, PAGE), (PAGE, ITEM)])
def test_a_wrong_configured_reading_loses_nothing(env, monkeypatch, configured: str, actual: str) -> None:
    monkeypatch.setenv("TASKWATCH_TAURUSDB_OFFSET_MODE", configured)
    with variant_emulator(monkeypatch, Variant("taurusdb", actual, False)) as emu:
        keys = add_failures(emu, "taurusdb", 120)
        summary = invoke()
        published_keys = alerted_keys(emu)
        assert set(published_keys) == keys and len(published_keys) == len(keys)
        assert summary["sources"][0]["offset_reading"] == actual


def test_a_listing_that_does_not_add_up_is_incomplete_and_counts_towards_blind(env, monkeypatch) -> None:
    """total_count says more than the pages hold (the last page is short all the same): not 'ok'."""
    monkeypatch.setenv("TASKWATCH_BLIND_AFTER", "1")
    with variant_emulator(monkeypatch, Variant("gaussdb", ITEM, True)) as emu:
        add_failures(emu, "gaussdb", 150)
        emu.faults.add(Fault(call="gaussdb.list", kind="total_changes", times=None))
        summary = invoke()
        source = summary["sources"][0]
        assert summary["outcome"] == "degraded"
        assert source["complete"] is False
        assert any("distinct tasks while total_count" in a for a in source["anomalies"]), source
        assert "offset_reading" not in saved_state(emu)["sources"][GAUSSDB_SOURCE]  # not learnt from it
        assert [m["http"]["kind"] for m in published(emu)].count("blind") == 1


def test_offsets_under_each_reading() -> None:
    assert [request_offset(ITEM, i, 100) for i in range(4)] == [0, 99, 199, 299]
    assert [request_offset(PAGE, i, 100) for i in range(4)] == [0, 2, 3, 4]
    # Item pages after the first start one item early, so one more page may be needed.
    assert [pages_for(ITEM, n, 100) for n in (0, 100, 101, 199, 200)] == [1, 1, 2, 2, 3]
    assert [pages_for(PAGE, n, 100) for n in (0, 100, 101, 200, 201)] == [1, 1, 2, 2, 3]


def test_judging_the_answer_to_offset_two() -> None:
    first = {f"t{i}" for i in range(50)}
    assert judge([f"t{i}" for i in range(2, 52)], first) == ITEM  # page 1 shifted by two items
    assert judge([f"t{i}" for i in range(50, 100)], first) == PAGE  # page 2
    assert judge(["new1", "new2", *(f"t{i}" for i in range(48, 96))], first) == PAGE  # page 2, shifted
    assert judge([], first) == PAGE  # exactly one page of tasks
