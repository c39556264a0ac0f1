"""A warm instance keeps its SDK clients and OBS session between invocations (taskwatch/warm.py): later runs
open no new connections, a connection the server closed meanwhile is replaced, each invocation's calls take
their timeouts from its own time, and clients are never shared by two invocations or two credentials."""

from __future__ import annotations

import time

from huaweicloudsdkdds.v3 import DdsClient
from taskwatch.credentials import Credentials
from taskwatch.deadline import Deadline
from taskwatch.sdk import build_client
from taskwatch.warm import Shelf

from tests.conftest import invoke
from tests.emulator import Fault
from tests.fixtures import FakeContext

ENDPOINT = "https://dds.xx-test-1.example.com"


def test_later_invocations_of_a_warm_instance_open_no_new_connections(emulator, env) -> None:
    first = invoke()
    opened = emulator.connections_accepted()
    assert first["outcome"] == "ok" and opened > 0, first["errors"]
    for _ in range(3):
        summary = invoke()
        assert summary["outcome"] == "ok", summary["errors"]
    # Built anew each run, the clients would open about `opened` connections per run again. Kept, they open
    # one only where a run has more calls to one host in flight than an earlier run had.
    assert emulator.connections_accepted() - opened < opened / 2


def test_connections_the_server_closed_between_invocations_are_replaced(emulator, env) -> None:
    invoke()
    opened = emulator.connections_accepted()
    emulator.drop_connections()  # an idle timeout on the server's side while the instance was frozen
    summary = invoke()
    assert summary["outcome"] == "ok" and summary["state"]["written"] is not None, summary["errors"]
    assert not summary["errors"]
    assert emulator.connections_accepted() > opened


def test_a_kept_client_takes_its_timeouts_from_the_invocation_that_borrowed_it(emulator, env, monkeypatch) -> None:
    """The second invocation has 4 s; its dds listing is answered after 6 s. With the first invocation's
    time (a minute) the call would wait for the answer; with its own it gives up and the state is saved."""
    monkeypatch.setenv("TASKWATCH_HTTP_TIMEOUT", "20")
    monkeypatch.setenv("TASKWATCH_RESERVE", "2")
    assert invoke(context=FakeContext(budget_ms=60_000))["outcome"] == "ok"
    emulator.faults.add(Fault(call="dds.list", kind="timeout", delay=6.0, times=None))
    started = time.monotonic()
    summary = invoke(context=FakeContext(budget_ms=4_000))
    elapsed = time.monotonic() - started
    assert elapsed < 4.0, (elapsed, summary["errors"])
    assert summary["state"]["written"] is True, summary["errors"]
    assert any("dds" in error for error in summary["errors"]), summary["errors"]


class _Context:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def getRemainingTimeInMilliSeconds(self) -> float:
        return self.seconds * 1000


def test_a_client_is_lent_to_one_invocation_at_a_time() -> None:
    shelf = Shelf()
    built: list[object] = []

    def build() -> object:
        built.append(object())
        return built[-1]

    one, two = Deadline(_Context(60)), Deadline(_Context(60))
    first = shelf.borrow("key", one, build)
    second = shelf.borrow("key", two, build)  # `one` holds the first: `two` gets its own
    assert second is not first and len(built) == 2
    shelf.give_back(one)
    shelf.give_back(two)
    assert shelf.idle() == 2
    third = shelf.borrow("key", Deadline(_Context(60)), build)
    assert third in (first, second) and len(built) == 2 and shelf.idle() == 1


def test_the_shelf_keeps_at_most_its_limit_and_lets_the_oldest_go() -> None:
    shelf = Shelf(limit=2)
    borrower = Deadline(_Context(60))
    items = [shelf.borrow(key, borrower, object) for key in ("a", "b", "c")]
    shelf.give_back(borrower)
    assert shelf.idle() == 2
    later = Deadline(_Context(60))
    assert shelf.borrow("a", later, object) is not items[0]  # "a" was the oldest: gone, a new one built
    assert shelf.borrow("c", later, object) is items[2]


def test_build_client_keys_by_credentials_and_binds_the_borrowers_deadline(monkeypatch) -> None:
    from taskwatch import sdk

    shelf = Shelf()
    monkeypatch.setattr(sdk, "SHELF", shelf)
    alice, bob = Credentials("AK-ALICE", "SK-ALICE"), Credentials("AK-BOB", "SK-BOB")
    early = Deadline(_Context(60), reserve=10)
    client = build_client(DdsClient, ENDPOINT, "p1", alice, 30, deadline=early)
    shelf.give_back(early)
    other = Deadline(_Context(60), reserve=10)
    assert build_client(DdsClient, ENDPOINT, "p1", bob, 30, deadline=other) is not client  # other credentials
    late = Deadline(_Context(13), reserve=10)  # 3 s left before the reserve
    assert build_client(DdsClient, ENDPOINT, "p1", alice, 30, deadline=late) is client
    [(config, kept)] = shelf.lent_to(late)
    assert kept is client
    connect, read = config.timeout
    assert connect + read <= 3.0 and read > 0  # the late invocation's time, not the early one's (50 s)
    shelf.give_back(other)
    shelf.give_back(late)
    assert "AK-ALICE" not in repr(shelf._idle) and "SK-ALICE" not in repr(shelf._idle)
