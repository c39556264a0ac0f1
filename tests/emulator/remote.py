"""A CloudEmulator in a child process, driven from the test process over a pipe.

Why: a harness that runs thousands of invocations (the soak) spends a fifth of its CPU in the emulator's
threads and its server-side sockets. In one interpreter both sides take turns on one GIL; in two processes
the function (its concurrent list calls, the SDK, requests) and the emulator (http.server, rendering,
recording) use two cores. Everything still goes over real HTTP; only the harness's own calls (add a task,
arm faults, read the records) cross the pipe.

The child is started with the "spawn" method (the parent has threads: a fork would copy their locks in
whatever state they were in). It ignores SIGINT (Ctrl-C reaches the whole process group: the parent stops it
in order) and ends when the parent closes the pipe, also when the parent dies without a word.

The data clock: the child's emulator reads a clock of its own, set on every command to the parent's `now()`
(the simulated time the function reads too), so the task data's time is the harness's time at the last
command; `tick()` sends it alone. Signatures keep the real wall clock in both processes, as in-process.

Faults are pickled: the child arms copies, so the parent's Fault objects keep their counters (`fired`,
`times`, `passed`) as they were, and a Fault whose `body` is a function cannot cross (use the in-process
CloudEmulator for those); `arm()` replaces all faults and the latency in one round trip.
"""

from __future__ import annotations

import multiprocessing
import signal
import traceback
from collections.abc import Callable, Iterable
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

from .emulator import CloudEmulator
from .faults import Fault

STOP_TIMEOUT = 15.0  # seconds the child gets to stop its listeners before it is terminated


class _SetClock:
    """The child's data clock: the parent's time at its last command."""

    def __init__(self, value: datetime) -> None:
        self.value = value

    def __call__(self) -> datetime:
        return self.value


def _arm(emu: CloudEmulator, faults: list[Fault], latency: float) -> None:
    emu.faults.clear()
    for fault in faults:
        emu.faults.add(fault)
    emu.latency = latency


def _take_records(emu: CloudEmulator, calls: frozenset[str] | None) -> tuple[list[dict[str, Any]],
                                                                           list[dict[str, Any]]]:
    messages, requests = emu.smn_messages, emu.requests
    emu.reset_records()
    return messages, [r for r in requests if calls is None or r["call"] in calls]


# What the parent may ask for: name -> what the child does with (emulator, *args, **kwargs).
COMMANDS: dict[str, Callable[..., Any]] = {
    "tick": lambda emu: None,
    "add_task": CloudEmulator.add_task,
    "update_task": CloudEmulator.update_task,
    "remove_task": CloudEmulator.remove_task,
    "raw_item": CloudEmulator.raw_item,
    "tasks": CloudEmulator.tasks,
    "arm": _arm,
    "latency": lambda emu: emu.latency,
    "faults": lambda emu: list(emu.faults),
    "encryption": lambda emu: emu.objects.encryption,
    "set_encryption": lambda emu, mode: emu.objects.set_encryption(mode),
    "smn_messages": lambda emu: emu.smn_messages,
    "requests": lambda emu: emu.requests,
    "reset_records": CloudEmulator.reset_records,
    "take_records": _take_records,
    "errors": lambda emu: emu.errors,
    "obs_objects": lambda emu: emu.obs_objects,
}


def _serve(conn: Connection, now: datetime, kwargs: dict[str, Any]) -> None:
    """The child: start the emulator, send its endpoints, answer commands until told to stop or the pipe
    closes. Each answer is ("ok", value) or ("error", traceback text)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    clock = _SetClock(now)
    try:
        emu = CloudEmulator(now=clock, **kwargs).start()
    except Exception:
        conn.send(("error", traceback.format_exc()))
        return
    try:
        conn.send(("ok", emu.endpoints))
        while True:
            try:
                command, now, args, kwargs = conn.recv()
            except (EOFError, OSError):  # the parent is gone
                return
            if command == "stop":
                break
            clock.value = now
            try:
                answer = ("ok", COMMANDS[command](emu, *args, **kwargs))
            except Exception:
                answer = ("error", traceback.format_exc())
            try:
                conn.send(answer)  # pickled whole before anything is written
            except Exception:  # an answer that does not pickle is the caller's error, not the child's end
                conn.send(("error", traceback.format_exc()))
    finally:
        emu.stop()
    conn.send(("ok", None))


class RemoteEmulatorError(RuntimeError):
    """A command failed in the child; the message is the child's traceback."""


class _RemoteObjects:
    """The part of ObjectStore a harness changes: the buckets' default encryption."""

    def __init__(self, remote: RemoteEmulator) -> None:
        self._remote = remote

    @property
    def encryption(self) -> str | None:
        return self._remote.call("encryption")

    def set_encryption(self, encryption: str | None) -> None:
        self._remote.call("set_encryption", encryption)


class RemoteEmulator:
    """A CloudEmulator in a child process: `with RemoteEmulator(now=clock, **CloudEmulator kwargs) as emu`.

    Offers what a multi-run harness uses: env()/endpoints, add_task/update_task/remove_task/raw_item/tasks,
    arm(faults, latency), objects.encryption/set_encryption, smn_messages, requests, reset_records,
    take_records() (both record lists, then reset, in one round trip), errors, tick().
    """

    def __init__(self, now: Callable[[], datetime], **kwargs: Any) -> None:
        self._now = now
        self._kwargs = kwargs
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._endpoints: dict[str, str] = {}
        self.objects = _RemoteObjects(self)

    # ---- lifecycle ------------------------------------------------------------------------------
    def start(self) -> RemoteEmulator:
        if self._process is not None:
            return self
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(target=_serve, args=(child, self._now(), self._kwargs), name="cloud-emulator",
                                  daemon=True)
        process.start()
        child.close()  # the child holds its end: the parent's recv sees EOF when the child dies
        self._conn, self._process = parent, process
        try:
            self._endpoints = self._answer(parent)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        conn, process = self._conn, self._process
        self._conn = self._process = None
        if process is None:
            return
        try:
            if conn is not None and process.is_alive():
                conn.send(("stop", None, (), {}))
                if conn.poll(STOP_TIMEOUT):
                    conn.recv()
        except (EOFError, OSError):
            pass
        finally:
            process.join(STOP_TIMEOUT)
            if process.is_alive():
                process.terminate()
                process.join(5)
            if conn is not None:
                conn.close()

    def __enter__(self) -> RemoteEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- the pipe -------------------------------------------------------------------------------
    def call(self, command: str, /, *args: Any, **kwargs: Any) -> Any:
        """Run one COMMANDS entry in the child, its clock set to now() first; return its answer."""
        if self._conn is None:
            raise RuntimeError("the emulator is not started")
        try:
            self._conn.send((command, self._now(), args, kwargs))
        except OSError as exc:
            raise RemoteEmulatorError(f"the emulator process is gone ({exc})") from exc
        return self._answer(self._conn)

    def _answer(self, conn: Connection) -> Any:
        try:
            status, value = conn.recv()
        except EOFError:
            if self._process is not None:
                self._process.join(5)
            code = self._process.exitcode if self._process is not None else None
            raise RemoteEmulatorError(f"the emulator process ended (exit code {code})") from None
        if status != "ok":
            raise RemoteEmulatorError(value)
        return value

    # ---- what the harness uses ------------------------------------------------------------------
    @property
    def endpoints(self) -> dict[str, str]:
        if not self._endpoints:
            raise RuntimeError("the emulator is not started")
        return dict(self._endpoints)

    def env(self) -> dict[str, str]:
        return {f"TASKWATCH_ENDPOINT_{name.upper()}": url for name, url in self.endpoints.items()}

    def tick(self) -> None:
        """Bring the child's data clock to now() (every other command does it too)."""
        self.call("tick")

    def add_task(self, service: str, project_id: str | None = None, **fields: Any) -> str:
        return self.call("add_task", service, project_id, **fields)

    def update_task(self, service: str, task_id: str, project_id: str | None = None, **fields: Any) -> None:
        self.call("update_task", service, task_id, project_id, **fields)

    def remove_task(self, service: str, task_id: str, project_id: str | None = None) -> None:
        self.call("remove_task", service, task_id, project_id)

    def raw_item(self, service: str, project_id: str | None, item_dict: dict[str, Any]) -> None:
        self.call("raw_item", service, project_id, item_dict)

    def tasks(self, service: str, project_id: str | None = None) -> list[dict[str, Any]]:
        return self.call("tasks", service, project_id)

    def arm(self, faults: list[Fault], latency: float = 0.0) -> None:
        """Replace every armed fault by (copies of) `faults`, and set the latency of every request."""
        self.call("arm", list(faults), latency)

    @property
    def faults(self) -> list[Fault]:
        """Copies of the faults armed in the child, with their counters as they are there."""
        return self.call("faults")

    @property
    def latency(self) -> float:
        return self.call("latency")

    @property
    def smn_messages(self) -> list[dict[str, Any]]:
        return self.call("smn_messages")

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.call("requests")

    def reset_records(self) -> None:
        self.call("reset_records")

    def take_records(self, calls: Iterable[str] | None = None) -> tuple[list[dict[str, Any]],
                                                                        list[dict[str, Any]]]:
        """(SMN messages accepted, request records) since the last reset, then reset both. `calls` keeps only
        the records of those call names (less to pickle when the harness reads a few)."""
        return self.call("take_records", None if calls is None else frozenset(calls))

    @property
    def errors(self) -> list[str]:
        """Tracebacks of emulator bugs in the child (should stay empty)."""
        return self.call("errors")

    @property
    def obs_objects(self) -> dict[tuple[str, str], bytes]:
        return self.call("obs_objects")
