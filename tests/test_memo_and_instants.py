"""Small defects: the validation memo must tell True from 1, and instants outside datetime's range are
unreadable values, not crashes."""

from __future__ import annotations

import pytest
from taskwatch.timeutil import iso, parse_instant
from taskwatch.validation import RecordValidator


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


def test_in_range_instants_still_read() -> None:
    assert iso(parse_instant("9999-12-31T23:59:59+0800")) == "9999-12-31T15:59:59Z"
