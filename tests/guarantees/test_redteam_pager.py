"""Listings that lie about their size: a full last page is never taken as the end of a listing."""

from __future__ import annotations

import pytest

from tests.conftest import alerted_keys, invoke
from tests.emulator import Fault
from tests.guarantees.offset_variants import Variant, add_failures, variant_emulator


@pytest.mark.parametrize("mode", ["item", "page"])
def test_a_total_count_of_the_page_alone_does_not_end_a_full_listing(env, monkeypatch, mode: str) -> None:
    """An API whose total_count counts only the answer's own items (a reading no document rules out):
    the page is full, so more may follow; every failure is still found."""
    with variant_emulator(monkeypatch, Variant("gaussdb", mode, True)) as emu:
        keys = add_failures(emu, "gaussdb", 250)
        emu.faults.add(Fault("gaussdb.list", "total_of_page"))
        summary = invoke()
        published_keys = alerted_keys(emu)
        assert set(published_keys) == keys, summary
        assert len(published_keys) == len(keys)


def test_a_page_api_whose_offset_0_is_empty_loses_nothing(env, monkeypatch) -> None:
    """Page numbers from 1 where offset=0 answers an empty page, without total_count: the first page is
    asked for again at offset=1, so the listing is not taken as empty."""
    with variant_emulator(monkeypatch, Variant("taurusdb", "page", False)) as emu:
        emu.offset_modes["taurusdb"] = "page_strict"
        keys = add_failures(emu, "taurusdb", 120)
        summary = invoke()
        published_keys = alerted_keys(emu)
        assert set(published_keys) == keys, summary["sources"]
        assert len(published_keys) == len(keys)


def test_a_page_api_whose_offset_0_is_empty_loses_nothing_with_total_count(env, monkeypatch) -> None:
    """The same with total_count, which counts every match while offset=0 lists none: asked again too."""
    with variant_emulator(monkeypatch, Variant("taurusdb", "page", True)) as emu:
        emu.offset_modes["taurusdb"] = "page_strict"
        keys = add_failures(emu, "taurusdb", 120)
        invoke()
        published_keys = alerted_keys(emu)
        assert set(published_keys) == keys and len(published_keys) == len(keys)


def test_an_empty_listing_with_total_count_zero_costs_one_call(env, monkeypatch) -> None:
    """total_count 0 says nothing matches whatever offset means: no second call at offset=1."""
    with variant_emulator(monkeypatch, Variant("gaussdb", "item", True)) as emu:
        emu.reset_records()
        summary = invoke()
        lists = [r for r in emu.requests if r["call"] == "gaussdb.list"]
        assert summary["outcome"] == "ok" and len(lists) == 1, lists
