"""The function's side of a benchmark: runs in a FRESH interpreter started by the bench (never imported by it).

    python3.X -I -S -B tests/bench/child.py SPEC.json SPAWNED_AT

-I (isolated: no PYTHON* variables, no script directory, no user site), -S (no site-packages) and -B (no
bytecode written: FunctionGraph mounts code and layer read-only) leave sys.path with the standard library
only; this script then puts the unpacked function code and the unpacked layer in front of it, and nothing
else. Only the standard library is used here before the handler is imported.

SPEC (JSON): {"code": dir, "layer": dir, "eager": bool, "warm": bool, "auto": bool, "budget_ms": number,
              "cpu": pages file or null, "floor": requests file or null, "phases": bool}
  eager: import the four SDK packages whole before `index` (the naive baseline);
  cpu:   run the CPU scenario's pass (cpu_pass.py) on the pages in that file, print its result and exit;
  floor: make the requests in that file with the bare SDK clients (sdk_floor.py), print the CPU they took;
  phases: record when the run's steps (load_state, query_sources, fetch_details, commit, ...) start and end;
  warm:  import everything the handler imports lazily (SDK clients, schemas) before any timed invocation;
  auto:  run one invocation at once and exit (cold start); otherwise read commands from stdin, one per line:
         {"env": {...}, "profile": path or null} runs one invocation with those variables set (None unsets),
         under cProfile (main thread) when a path is given; "quit" ends.
Results go to the ORIGINAL stdout as one JSON line per invocation; the function's own log lines go to stderr.
"""

from __future__ import annotations  # a compile-time directive: nothing runs before the clock is read

import time

T0 = time.perf_counter()
W0 = time.time()

import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402

EAGER_SDKS = ("huaweicloudsdkgaussdb.v3", "huaweicloudsdkgaussdbforopengauss.v3", "huaweicloudsdkdds.v3",
              "huaweicloudsdksmn.v2")


class Context:
    """The FunctionGraph runtime context, as much of it as the handler asks for."""

    def __init__(self, budget_ms: float) -> None:
        self.budget_ms = budget_ms
        self.started = time.monotonic()

    def getRemainingTimeInMilliSeconds(self) -> float:
        return self.budget_ms - (time.monotonic() - self.started) * 1000

    def getRequestID(self) -> str:
        return "bench"


def rss_kb(field: str = "VmRSS") -> int:
    """Current resident set size (VmRSS) or its high-water mark (VmHWM), in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def outside_modules(code: str, layer: str) -> list[str]:
    """Modules loaded from anywhere but the standard library, the layer and the code."""
    import sysconfig

    paths = sysconfig.get_paths()
    stdlib = [os.path.abspath(paths["stdlib"]) + os.sep, os.path.abspath(paths["platstdlib"]) + os.sep]
    found = []
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if not path or name == "__main__":
            continue
        path = os.path.abspath(path)
        if path.startswith((code + os.sep, layer + os.sep)):
            continue
        if path.startswith(tuple(stdlib)) and f"{os.sep}site-packages{os.sep}" not in path:
            continue
        found.append(f"{name}: {path}")
    return sorted(found)


def warm_up() -> None:
    """What a warm container has already imported and compiled: the lazily imported SDK clients and request
    models, and every schema validator (the timed invocations then measure the run, not the imports)."""
    from datetime import datetime, timezone

    from taskwatch import schema_files
    from taskwatch.sdk_loader import sdk_class
    from taskwatch.sources import SPECS

    now = datetime.now(timezone.utc)
    for spec in SPECS.values():
        spec.client_class()
        spec.detail_request("warm-up")
        spec.list_request("Failed", now, now, 0, spec.page_size)
    sdk_class("huaweicloudsdksmn.v2", "SmnClient")  # as publish.py loads them: no package-wide imports
    sdk_class("huaweicloudsdksmn.v2", "PublishMessageRequest")
    for path in sorted(schema_files.SCHEMA_DIR.glob("*.schema.json")):
        schema_files.validator(path.name[: -len(".schema.json")])


PHASES: list = []


def time_phases() -> None:
    """Wrap the run's steps (taskwatch.run and taskwatch.decide functions, looked up by name; a missing one is
    skipped) to record when each started and ended: where a run's time goes, without touching the code."""
    import functools

    import taskwatch.decide
    import taskwatch.run

    steps = [(taskwatch.run, n) for n in ("load_state", "query_sources", "fetch_details", "commit", "publish_all")]
    steps += [(taskwatch.decide, n) for n in ("observe", "plan_alerts")]
    for module, name in steps:
        original = getattr(module, name, None)
        if not callable(original):
            continue

        @functools.wraps(original)
        def timed(*args, _original=original, _name=name, **kwargs):
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                PHASES.append((_name, started, time.perf_counter()))

        setattr(module, name, timed)


def invoke(handler, budget_ms: float, profile: str | None = None) -> dict:
    event = {"version": "v1.0", "time": "2026-11-23T08:00:00+08:00", "trigger_type": "TIMER",
             "trigger_name": "every-5-minutes"}
    PHASES.clear()
    before = resource.getrusage(resource.RUSAGE_SELF)
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t_call = time.perf_counter()
    w_call = time.time()
    summary = handler(event, Context(budget_ms))
    t_return = time.perf_counter()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    w_return = time.time()
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"summary": summary, "t_call": t_call, "t_return": t_return, "w_call": w_call, "w_return": w_return,
            "handler_s": t_return - t_call, "handler_cpu_s": cpu, "maxrss_kb": after.ru_maxrss, "rss_kb": rss_kb(),
            "hwm_kb": rss_kb("VmHWM"),
            "phases": [(name, round(a - t_call, 4), round(b - a, 4)) for name, a, b in PHASES]}


def cpu_mode(pages_file: str) -> dict:
    """The CPU scenario's pass (cpu_pass.py, loaded by its path) on the pages the bench wrote."""
    import base64
    import importlib.util
    from datetime import datetime

    location = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cpu_pass.py")
    loader = importlib.util.spec_from_file_location("bench_cpu_pass", location)
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    with open(pages_file) as handle:
        spec = json.load(handle)
    data = {s: [base64.b64decode(p) for p in v] for s, v in spec["pages"].items()}
    return module.run(data, datetime.fromisoformat(spec["now"]), int(spec["repeats"]))


def floor_mode(floor_file: str) -> dict:
    """The SDK floor scenario's pass (sdk_floor.py, loaded by its path) on the requests the bench wrote."""
    import importlib.util

    location = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sdk_floor.py")
    loader = importlib.util.spec_from_file_location("bench_sdk_floor", location)
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    with open(floor_file) as handle:
        return module.run(json.load(handle))


def main() -> None:
    with open(sys.argv[1]) as handle:
        spec = json.load(handle)
    spawned_at = float(sys.argv[2])
    code, layer = os.path.abspath(spec["code"]), os.path.abspath(spec["layer"])
    sys.path[0:0] = [code, layer]
    proto = sys.stdout
    sys.stdout = sys.stderr  # the function logs to stdout: keep the protocol channel clean
    if spec.get("cpu"):
        proto.write(json.dumps(cpu_mode(spec["cpu"])) + "\n")
        proto.flush()
        return
    if spec.get("floor"):
        proto.write(json.dumps(floor_mode(spec["floor"])) + "\n")
        proto.flush()
        return
    import_start = time.perf_counter()
    if spec.get("eager"):
        import importlib

        for name in EAGER_SDKS:
            importlib.import_module(name)
    from index import handler

    if spec.get("warm"):
        warm_up()
    if spec.get("phases"):
        time_phases()
    imported = time.perf_counter()
    base = {"t0": T0, "w0": W0, "spawned_at": spawned_at, "import_s": imported - import_start,
            "rss_after_import_kb": rss_kb(), "maxrss_after_import_kb": resource.getrusage(
                resource.RUSAGE_SELF).ru_maxrss, "python": sys.version.split()[0],
            "sys_path": list(sys.path)}
    budget = float(spec.get("budget_ms", 120_000))
    if spec.get("auto"):
        result = invoke(handler, budget)
        result.update(base, modules=len(sys.modules), outside=outside_modules(code, layer))
        proto.write(json.dumps(result, default=str) + "\n")
        proto.flush()
        return
    proto.write(json.dumps({"ready": True, **base}) + "\n")
    proto.flush()
    for line in sys.stdin:
        command = json.loads(line)
        if command == "quit":
            break
        for key, value in command.get("env", {}).items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        result = invoke(handler, budget, command.get("profile"))
        result.update(modules=len(sys.modules), outside=outside_modules(code, layer))
        proto.write(json.dumps(result, default=str) + "\n")
        proto.flush()


if __name__ == "__main__":
    main()
