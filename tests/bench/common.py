"""What every scenario shares: paths, the runtime's interpreter, the unpacked layer and code, the child process
that runs the function, the function's environment against the emulator, and small statistics."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
FUNCTION = REPO / "function"
BUILD = REPO / "build"
OUT = BUILD / "bench"
LAYER_DIR = BUILD / "layer"
TEMPLATE = REPO / "template.yaml"
CHILD = Path(__file__).with_name("child.py")

if str(REPO / "layers") not in sys.path:
    sys.path.insert(0, str(REPO / "layers"))
from ship.runtimes import RUNTIMES, find_interpreter  # noqa: E402  (the layer builder's own lookup)

from tests.fixtures import AK, BUCKET, PROJECT, REGION, SK, TOPIC  # noqa: E402  (re-exported)

MB = 1024 * 1024


# ---- results ----------------------------------------------------------------------------------------
@dataclass
class Check:
    """One budget: what was measured against what was allowed."""

    name: str
    value: float | None
    limit: float
    op: str  # "<=" or ">="
    unit: str = ""
    note: str = ""

    @property
    def passed(self) -> bool:
        if self.value is None:
            return False
        return self.value <= self.limit if self.op == "<=" else self.value >= self.limit

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "limit": self.limit, "op": self.op, "unit": self.unit,
                "passed": self.passed, "note": self.note}


@dataclass
class Outcome:
    """What one scenario reports: its numbers (JSON), its table rows and its budgets."""

    scenario: str
    title: str
    data: dict[str, Any] = field(default_factory=dict)
    rows: list[tuple[str, str]] = field(default_factory=list)  # (what, value) lines for the table
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "title": self.title, "data": self.data, "rows": self.rows,
                "checks": [c.as_dict() for c in self.checks], "notes": self.notes, "error": self.error}


def stats(values: list[float]) -> dict[str, Any]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values),
            "values": [round(v, 6) for v in values]}


def phase_seconds(result: dict[str, Any]) -> dict[str, float]:
    """Seconds per step of a run (child.py's phase timing), summed when a step ran more than once."""
    found: dict[str, float] = {}
    for name, _start, seconds in result.get("phases", []):
        found[name] = found.get(name, 0.0) + seconds
    return found


def log(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


# ---- runtime and interpreter --------------------------------------------------------------------------
def template_runtime() -> str:
    """The Runtime of the function in template.yaml (Python3.10 if it cannot be read)."""
    try:
        found = re.search(r"^\s*Runtime:\s*(Python3\.\d+)\s*$", TEMPLATE.read_text(), re.MULTILINE)
    except OSError:
        found = None
    return found.group(1) if found else "Python3.10"


@dataclass
class Layer:
    runtime: str
    version: str
    zip: Path
    interpreter: Path
    note: str = ""


def _layer_name(runtime: str) -> str:
    return f"taskwatch-deps-{runtime.lower()}.zip"


def _build_layer(runtime: str, out: Path) -> bool:
    log(f"building the {runtime} layer into {out.relative_to(REPO)} (layers/build_layer.py)")
    done = subprocess.run([sys.executable, str(REPO / "layers" / "build_layer.py"), "--runtime", runtime,
                           "--out", str(out)], capture_output=True, text=True)
    if done.returncode != 0:
        log(f"layer {runtime} not built: {(done.stderr or done.stdout).strip().splitlines()[-1:]}")
    return done.returncode == 0 and (out / _layer_name(runtime)).is_file()


def find_layer(explicit: Path | None = None, build: bool = True) -> Layer:
    """The layer zip and an interpreter of the runtime it was built for.

    Preferred: build/layer/taskwatch-deps-<template runtime>.zip (what `make layer` builds). If it is missing
    and cannot be built, another FunctionGraph runtime's layer (build/layer, then build/bench/layer, built
    there if need be) is used, and the results say so."""
    wanted = template_runtime()
    if explicit is not None:
        match = re.search(r"python(3\.\d+)\.zip$", explicit.name)
        version = match.group(1) if match else RUNTIMES.get(wanted, "3.10")
        interpreter = find_interpreter(version)
        if interpreter is None:
            raise RuntimeError(f"no Python {version} interpreter for {explicit}")
        return Layer(f"Python{version}", version, explicit, interpreter)
    order = [wanted] + [r for r in RUNTIMES if r != wanted]
    for where in (LAYER_DIR, OUT / "layer"):
        for runtime in order:
            path = where / _layer_name(runtime)
            interpreter = find_interpreter(RUNTIMES.get(runtime, runtime[6:]))
            if path.is_file() and interpreter is not None:
                return _chosen(runtime, path, interpreter, wanted)
    if build:
        for runtime, where in [(wanted, LAYER_DIR)] + [(r, OUT / "layer") for r in order[1:]]:
            interpreter = find_interpreter(RUNTIMES.get(runtime, runtime[6:]))
            if interpreter is not None and _build_layer(runtime, where):
                return _chosen(runtime, where / _layer_name(runtime), interpreter, wanted)
    raise RuntimeError("no layer zip and none could be built (run `make layer`)")


def _chosen(runtime: str, path: Path, interpreter: Path, wanted: str) -> Layer:
    note = "" if runtime == wanted else (f"template.yaml's runtime is {wanted}, but its layer was not available: "
                                         f"measured with the {runtime} layer and interpreter")
    return Layer(runtime, RUNTIMES.get(runtime, runtime[6:]), path, interpreter, note)


def code_zip(out: Path) -> Path | None:
    """The function code zip as `make package` builds it (layers/package_function.py), into build/bench."""
    done = subprocess.run([sys.executable, str(REPO / "layers" / "package_function.py"), "--out", str(out)],
                          capture_output=True, text=True)
    if done.returncode != 0 or not out.is_file():
        log(f"code zip not built: {(done.stderr or done.stdout).strip()[-300:]}")
        return None
    return out


def unpack(zip_path: Path, into: Path) -> Path:
    shutil.rmtree(into, ignore_errors=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(into)
    return into


def copy_code(into: Path) -> Path:
    """function/ without bytecode or tests (what the code zip holds)."""
    shutil.rmtree(into, ignore_errors=True)
    shutil.copytree(FUNCTION, into, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "tests", ".*"))
    return into


def without_bytecode(source: Path, into: Path) -> Path:
    shutil.rmtree(into, ignore_errors=True)
    shutil.copytree(source, into, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return into


def bytecode_dirs(root: Path) -> int:
    return sum(1 for _ in root.rglob("__pycache__"))


def tree_fingerprint(root: Path) -> tuple[int, int]:
    """(files, bytes) under root: equal before and after a run means the run wrote nothing there."""
    files = size = 0
    for path in root.rglob("*"):
        if path.is_file():
            files += 1
            size += path.stat().st_size
    return files, size


# ---- the function's environment -----------------------------------------------------------------------
def function_env(emulator: Any, state_uri: str, **extra: str) -> dict[str, str]:
    """The function's variables for a run against the emulator, as tests/conftest.py sets them."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TASKWATCH_", "CLOUD_SDK_", "PYTHON"))}
    base.update(emulator.env())
    base.update({"CLOUD_SDK_AK": AK, "CLOUD_SDK_SK": SK, "TASKWATCH_REGION": REGION,
                 "TASKWATCH_PROJECT_ID": PROJECT, "TASKWATCH_SMN_TOPIC_URN": TOPIC,
                 "TASKWATCH_STATE_URI": state_uri, "TASKWATCH_THROTTLE_BACKOFF": "0.05-0.1"})
    base.update(extra)
    return base


def emulator(**kwargs: Any) -> Any:
    from tests.emulator import CloudEmulator

    return CloudEmulator(ak=AK, sk=SK, project_id=PROJECT, region=REGION, topic_urns=[TOPIC], buckets=[BUCKET],
                         **kwargs)


# ---- the child process ----------------------------------------------------------------------------------
class ChildError(RuntimeError):
    pass


class Child:
    """The function in a fresh interpreter: `python3.X -I -S -B child.py`, sys.path = stdlib + code + layer."""

    def __init__(self, layer: Layer, code: Path, layer_dir: Path, env: dict[str, str], workdir: Path, *,
                 eager: bool = False, warm: bool = False, auto: bool = False, budget_ms: float = 120_000,
                 cpu: str | None = None, phases: bool = False, timeout: float = 180.0,
                 floor: str | None = None) -> None:
        self.timeout = timeout
        workdir.mkdir(parents=True, exist_ok=True)
        spec = {"code": str(code), "layer": str(layer_dir), "eager": eager, "warm": warm, "auto": auto,
                "budget_ms": budget_ms, "cpu": cpu, "phases": phases, "floor": floor}
        self.spec_path = workdir / f"spec-{os.getpid()}-{id(self)}.json"
        self.spec_path.write_text(json.dumps(spec))
        self.stderr_path = workdir / f"child-{id(self)}.log"
        self._stderr = self.stderr_path.open("wb")
        self._lines: queue.Queue[bytes] = queue.Queue()
        self.started = time.perf_counter()
        self.spawned_at = time.time()
        command = [str(layer.interpreter), "-I", "-S", "-B", str(CHILD), str(self.spec_path), repr(self.spawned_at)]
        # Through a small shell that FORKS the interpreter: on Linux a process started straight from the bench
        # inherits the bench's peak RSS in ru_maxrss (exec accounts the old address space's high-water mark),
        # which would report the emulator's memory as the function's.
        self.proc = subprocess.Popen(
            ["/bin/sh", "-c", '"$@"; status=$?; exit $status', "sh", *command],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, env=env, cwd=str(workdir),
            start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(b"")

    def result(self) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=self.timeout)
        except queue.Empty:
            self.kill()
            raise ChildError(f"child gave no answer in {self.timeout:.0f} s; {self._tail()}") from None
        if not line:
            self.proc.wait(10)
            raise ChildError(f"child exited ({self.proc.returncode}) without an answer; {self._tail()}")
        return json.loads(line)

    def invoke(self, env: dict[str, str | None] | None = None, profile: Path | None = None) -> dict[str, Any]:
        assert self.proc.stdin is not None
        command = {"env": env or {}, "profile": str(profile) if profile else None}
        self.proc.stdin.write(json.dumps(command).encode() + b"\n")
        self.proc.stdin.flush()
        return self.result()

    def wait(self) -> float:
        """Wait for the child to exit; returns the parent's wall time from spawn to exit (s)."""
        self.proc.wait(self.timeout)
        ended = time.perf_counter()
        self._stderr.close()
        return ended - self.started

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write(b'"quit"\n')
                self.proc.stdin.flush()
                self.proc.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                self.kill()
        self._stderr.close()

    def kill(self) -> None:
        """End the shell and the interpreter it started (their own process group, by its id)."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def _tail(self) -> str:
        self._stderr.flush()
        try:
            text = self.stderr_path.read_text(errors="replace")
        except OSError:
            text = ""
        return "stderr: " + " | ".join(text.strip().splitlines()[-8:])

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---- the emulator's transport, and the kernel's view of it -------------------------------------------------
def tune_emulator_transport() -> list[str]:
    """Make the emulator's listeners answer like a cloud endpoint does, without editing the emulator.

    http.server writes a response's headers and body in two send() calls; with Nagle's algorithm on the
    listening side, the body waits for the client's delayed ACK of the headers (about 40 ms on Linux): every
    response then costs ~35 ms more than the configured latency. And socketserver listens with a backlog of
    5: a run opening 32-64 connections at once overflows it, and the dropped SYNs are retried after 1 s.
    Neither is how the real endpoints behave. The emulator now sets both itself (TCP_NODELAY, backlog 1024);
    this only re-checks it and says so if an older emulator is in use."""
    from tests.emulator import server

    changed = []
    if not getattr(server._Handler, "disable_nagle_algorithm", False):
        server._Handler.disable_nagle_algorithm = True
        changed.append("TCP_NODELAY on accepted connections (was: Nagle on, +~35 ms per response)")
    if getattr(server.EmulatorHTTPServer, "request_queue_size", 5) < 1024:
        server.EmulatorHTTPServer.request_queue_size = 1024
        changed.append("listen backlog 1024 (was: 5; bursts of connections lost SYNs, retried after 1 s)")
    return changed


def tcp_counters() -> dict[str, int]:
    """Kernel TCP counters that show transport trouble (system-wide: other processes count too)."""
    wanted = {"ListenOverflows", "ListenDrops", "TCPSynRetrans", "TCPTimeouts"}
    found: dict[str, int] = {}
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return found
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        for name, value in zip(names.split()[1:], values.split()[1:], strict=False):
            if name in wanted:
                found[name] = int(value)
    return found
