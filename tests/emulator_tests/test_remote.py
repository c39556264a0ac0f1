"""The emulator in a child process (remote.py): the parent's clock, faults, records and errors cross the pipe,
and the child ends with its context, also when the block raises."""

from __future__ import annotations

import pickle
import socket
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import requests

from tests.emulator import Fault
from tests.emulator.remote import RemoteEmulator, RemoteEmulatorError
from tests.emulator.server import Listener
from tests.fixtures import AK, PROJECT, SK
from tests.simulation import Clock

from .conftest import signed_request

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def remote(clock: Clock) -> RemoteEmulator:
    return RemoteEmulator(now=clock, ak=AK, sk=SK, project_id=PROJECT, seed_examples=False)


def taurus_ids(emu: RemoteEmulator) -> tuple[int, list[str]]:
    signer = SimpleNamespace(endpoints=emu.endpoints, ak=AK, sk=SK, project_id=PROJECT)
    answer = signed_request(signer, "taurusdb", "GET", f"/v3/{PROJECT}/immediate-jobs")  # type: ignore[arg-type]
    jobs = answer.json().get("jobs", []) if answer.status_code == 200 else []
    return answer.status_code, [job["job_id"] for job in jobs]


def test_the_child_keeps_the_parents_data_time() -> None:
    clock = Clock(T0)
    with remote(clock) as emu:
        task = emu.add_task("taurusdb", name="Task", status="Failed", created=T0 - timedelta(minutes=3),
                            ended=T0 - timedelta(minutes=1), instance_id="i-1", instance_name="db-1",
                            fail_reason="x")
        assert taurus_ids(emu) == (200, [task])
        clock.value = T0 + timedelta(days=31)  # past the task centers' one-month retention, once the child knows
        assert taurus_ids(emu) == (200, [task])  # nothing told the child yet
        emu.tick()
        assert taurus_ids(emu) == (200, [])
        assert emu.errors == []


def test_faults_fire_in_the_child_and_the_records_come_back_once() -> None:
    with remote(Clock(T0)) as emu:
        emu.arm([Fault(call="taurusdb.list", kind="429", times=1)], latency=0.0)
        assert [taurus_ids(emu)[0], taurus_ids(emu)[0]] == [429, 200]
        messages, records = emu.take_records()
        assert messages == [] and [(r["call"], r["fault"]) for r in records] == [("taurusdb.list", "429"),
                                                                               ("taurusdb.list", None)]
        assert emu.take_records() == ([], [])  # taken once: reset in the same round trip
        assert taurus_ids(emu)[0] == 200
        assert [r["call"] for r in emu.take_records(calls=["taurusdb.list", "smn.publish"])[1]] == ["taurusdb.list"]
        assert taurus_ids(emu)[0] == 200
        assert emu.take_records(calls=["smn.publish"]) == ([], [])  # only the calls asked for
        emu.arm([Fault(call="obs.*", kind="503")], latency=0.02)
        assert emu.latency == 0.02 and [f.call for f in emu.faults] == ["obs.*"]
        emu.arm([])
        assert emu.faults == [] and emu.latency == 0.0
        emu.objects.set_encryption("kms")
        assert emu.objects.encryption == "kms"


def test_an_emulator_bug_in_the_child_reaches_the_parents_error_list() -> None:
    with remote(Clock(T0)) as emu:
        emu.raw_item("taurusdb", None, {"job_id": "j", "status": "Failed", "created_time": "2026-10-31T23:00:00+0000",
                                        "not_json": {1, 2}})  # a set: the list answer cannot be encoded
        assert taurus_ids(emu)[0] == 500
        errors = emu.errors
        assert len(errors) == 1 and "TypeError" in errors[0] and "set" in errors[0]


def test_a_failed_command_raises_with_the_childs_traceback_and_the_child_goes_on() -> None:
    with remote(Clock(T0)) as emu:
        with pytest.raises(RemoteEmulatorError, match="ValueError"):
            emu.objects.set_encryption("rot13")
        assert emu.objects.encryption is None
        with pytest.raises((AttributeError, pickle.PicklingError), match="pickle"):  # a function for a body
            emu.arm([Fault(call="dds.list", kind="answer", body=lambda request: b"{}")])
        emu.arm([Fault(call="taurusdb.list", kind="503")])  # nothing half-sent: the pipe still works
        assert taurus_ids(emu)[0] == 503


def test_the_child_ends_with_its_context_even_when_the_block_raises() -> None:
    emu = remote(Clock(T0))
    with pytest.raises(KeyError), emu:
        process = emu._process
        url = emu.endpoints["taurusdb"]
        raise KeyError("the harness failed")
    assert process is not None and not process.is_alive() and process.exitcode == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=2)
    with pytest.raises(RuntimeError, match="not started"):
        emu.tick()


def test_a_child_that_died_is_reported_not_waited_for() -> None:
    emu = remote(Clock(T0)).start()
    try:
        assert emu._process is not None
        emu._process.kill()
        emu._process.join(5)
        with pytest.raises(RemoteEmulatorError, match=r"ended|gone"):
            emu.tick()
    finally:
        emu.stop()


def test_a_traceback_outside_the_dispatcher_reaches_the_error_list() -> None:
    """A listener thread's own bug (here: a dispatch that answers nothing) lands in on_error, so the emulator's
    `errors` (and the soak's problems) show it, not only stderr."""
    errors: list[str] = []
    listener = Listener("127.0.0.1", lambda request: None, "broken", errors.append)  # type: ignore[arg-type,return-value]
    listener.start()
    try:
        host, port = listener.server.server_address[:2]
        with socket.create_connection((host, port), timeout=2) as conn:
            conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            conn.settimeout(2)
            assert conn.recv(100) == b""  # closed without an answer
    finally:
        listener.stop()
    assert len(errors) == 1 and "AttributeError" in errors[0]
