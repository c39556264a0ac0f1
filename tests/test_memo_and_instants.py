"""Small defects: the validation memo must tell True from 1, and instants outside datetime's range are
unreadable values, not crashes."""

from __future__ import annotations

import gc
import tracemalloc

import pytest
from taskwatch.timeutil import iso, parse_instant
from taskwatch.validation import PageValidator, RecordValidator


def test_the_memo_tells_true_from_one() -> None:
    records = RecordValidator({"type": "object", "properties": {"n": {"type": "integer"}}})
    assert records.is_valid({"n": 1})
    assert not records.is_valid({"n": True})  # a boolean is not an integer to JSON Schema
    flags = RecordValidator({"type": "object", "properties": {"b": {"type": "boolean"}}})
    assert flags.is_valid({"b": True})
    assert not flags.is_valid({"b": 1})


@pytest.mark.parametrize("text", ["9999-12-31T23:59:59-0800", "0001-01-01T00:00:00+0100",
                                  "2026-13-01T00:00:00+0000", "2026-02-30T00:00:00Z", "2026-01-01T00:00:00+2400"])
def test_out_of_range_instants_are_refused_as_values(text: str) -> None:
    with pytest.raises(ValueError):
        parse_instant(text)


def test_the_instant_cache_keeps_no_long_texts() -> None:
    """The cache is bounded in entries: a time with endless fraction digits (the format allows any number)
    must not stay in memory with it."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for i in range(50):
            assert iso(parse_instant(f"2026-01-01T00:00:{i:02d}." + "1" * 100_000 + "Z")).endswith(f"{i:02d}Z")
        gc.collect()
        retained = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert retained < 1_000_000


def test_in_range_instants_still_read() -> None:
    assert iso(parse_instant("9999-12-31T23:59:59+0800")) == "9999-12-31T15:59:59Z"


def _retained_by_validation(status: str, count: int) -> int:
    """Bytes still allocated after one page validator checked `count` failures with distinct 20 KB reasons,
    made page by page (as responses arrive) and let go."""
    page = PageValidator("gaussdb_list", "tasks")

    def record(i: int) -> dict:
        return {"job_id": f"j{i}", "name": "n", "status": status, "created_at": "2026-11-23T07:00:00+0800",
                "fail_reason": f"{i:08d}" + "x" * 20_000}

    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for start in range(0, count, 50):
            page.check({"tasks": [record(i) for i in range(start, start + 50)], "total_count": count})
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("status", ["Failed", "Lost"])  # valid records, then invalid ones (the error memo)
def test_the_memos_do_not_keep_long_values_after_their_pages(status: str) -> None:
    """The memos are bounded in entries, not bytes: 300 failures with distinct 20 KB reasons (6 MB) must not
    stay in memory after their pages are let go, as a first run over a month of failures lets them go."""
    assert _retained_by_validation(status, 300) < 1_000_000
