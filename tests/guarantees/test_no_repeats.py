"""Guarantees 2 and 3: published once, after SMN accepted; the one allowed repeat is documented."""

from __future__ import annotations

import pytest

from tests.conftest import alerted_keys, invoke, published, saved_state
from tests.emulator import Fault
from tests.guarantees.failures import add_failure
from tests.guarantees.offset_variants import OVER_ONE_PAGE, VARIANTS, Variant, add_failures, variant_emulator


def test_each_failure_is_published_once_over_many_runs(emulator, env) -> None:
    keys = []
    for _run in range(6):
        keys.append(add_failure(emulator))
        invoke()
    published_keys = alerted_keys(emulator)
    assert sorted(published_keys) == sorted(set(published_keys))
    assert set(keys) <= set(published_keys)


def test_every_message_carries_the_stable_dedup_key(emulator, env) -> None:
    invoke()
    for message in published(emulator):
        for task in message["http"]["tasks"]:
            assert task["dedup_key"] == f"{task['service']}:{task['project_id']}:{task['task_id']}"
            assert f"Dedup key: {task['dedup_key']}" in message["structure"]["email"]


def test_crash_window_after_publish_before_save_repeats_with_the_same_dedup_key(emulator, env) -> None:
    # obs.put #1 is the lease, #2 the state: only the state write fails, after SMN accepted both messages.
    emulator.faults.add(Fault(call="obs.put", kind="500", times=1, after=1))
    first = invoke()
    assert first["messages_published"] == 2 and first["outcome"] == "failed"
    assert any(e.startswith("state not saved") for e in first["errors"])
    emulator.faults.clear()
    invoke()
    keys = alerted_keys(emulator)
    assert len(keys) == 4 and len(set(keys)) == 2  # the documented repeat, same dedup keys
    invoke()
    assert len(alerted_keys(emulator)) == 4  # and never again


def test_smn_down_for_several_runs_then_each_failure_once(emulator, env) -> None:
    emulator.faults.add(Fault(call="smn.publish", kind="503", times=None))
    for _ in range(3):
        assert invoke()["messages_published"] == 0
    assert saved_state(emulator)["tasks"][alerted_or_pending(emulator)]["attempts"] == 3
    emulator.faults.clear()
    invoke()
    invoke()
    keys = alerted_keys(emulator)
    assert len(keys) == 2 and len(set(keys)) == 2


def alerted_or_pending(emulator) -> str:
    state = saved_state(emulator)
    return next(k for k, v in state["tasks"].items() if v.get("alert") == "failed")


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_failure_is_published_twice_whatever_offset_means(env, monkeypatch, variant: Variant) -> None:
    """Under every reading of `offset`, with or without total_count: failures found over several runs (some
    arriving at the head of the listing in between) are each published exactly once."""
    with variant_emulator(monkeypatch, variant) as emu:
        keys = add_failures(emu, variant.service, OVER_ONE_PAGE[variant.service])
        invoke()
        keys |= add_failures(emu, variant.service, 7, seed=1)  # new failures shift every page by seven
        invoke()
        invoke()
        published = alerted_keys(emu)
        assert set(published) == keys
        assert len(published) == len(keys)
