"""Raw items are copied out of the store on every list call: an answer never shares a container with the store."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.emulator.data import ListQuery, TaskStore, _item_copy

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


def test_a_listed_raw_item_is_a_deep_copy() -> None:
    store = TaskStore()
    store.add_raw("dds", "p", {"id": "x", "status": "Failed", "created_at": "2026-10-31T23:00:00Z",
                               "fail_reason": {"code": [7, {"deep": "y"}]}, "tags": ("a", "b")})
    _, [(kind, first)] = store.query("dds", "p", ListQuery(), NOW, NOW - datetime(2026, 10, 1, tzinfo=timezone.utc),
                                     0.0)
    first["fail_reason"]["code"][1]["deep"] = "changed"
    first["fail_reason"]["code"].append(8)
    _, [(_, second)] = store.query("dds", "p", ListQuery(), NOW, NOW - datetime(2026, 10, 1, tzinfo=timezone.utc),
                                   0.0)
    assert kind == "raw" and second["fail_reason"] == {"code": [7, {"deep": "y"}]}
    assert second["tags"] == ("a", "b")


def test_the_copy_rebuilds_containers_and_deep_copies_what_is_not_json() -> None:
    inner = {"set": {1, 2}}
    original = {"a": [inner, 1.5, None, True], "b": "text"}
    copied = _item_copy(original)
    assert copied == original
    assert copied["a"] is not original["a"] and copied["a"][0] is not inner
    assert copied["a"][0]["set"] is not inner["set"]
