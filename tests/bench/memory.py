"""Scenario 2, memory: peak RSS of one invocation in a fresh interpreter (layer's runtime, layer + code only on
sys.path), all three services, 10,000 tasks in the window (emulator.generate per service, 1% failed).

Peak RSS is resource.getrusage(RUSAGE_SELF).ru_maxrss in the child after the handler returns (the highest
resident set the process ever had, imports included); /proc/self/status VmHWM is reported beside it. The
child is forked by a small shell, not straight from the bench: on Linux, exec carries the spawning process's
peak RSS into the new program's ru_maxrss, so a child spawned from the bench (hundreds of MB of emulator data)
would report the bench's memory. TASKWATCH_BACKFILL=30d so every failure is alerted:
the run lists, fetches every failure's detail, publishes and writes the state (the most it does). The task
centers filter by status, so only the failed and running tasks cross the wire; the rest of the 10,000 are in
the window but not listed. Budget: the peak <= 64 MB, half the function's 128 MB (the SDK models are loaded
on demand, taskwatch/sdk_loader.py); the SDK modules' import cost (storm.sdk_import_mb, measured in this run)
is shown beside it.
"""

from __future__ import annotations

import statistics
import tempfile

from . import common
from .common import Check, Child, Outcome
from .prepared import Prepared
from .storm import sdk_import_mb

TASKS = 10_000
BUDGET_MB = 64.0
SERVICES = ("taurusdb", "gaussdb", "dds")


def measure(prep: Prepared, repeats: int) -> Outcome:
    out = Outcome("memory", f"Memory: peak RSS, one cold invocation, 3 services, {TASKS:,} tasks in the window")
    runs = []
    with common.emulator(seed_examples=False) as emu:
        shares = [TASKS // 3 + (1 if n < TASKS % 3 else 0) for n in range(3)]
        for n, (service, count) in enumerate(zip(SERVICES, shares, strict=True)):
            emu.generate(service, count, failure_rate=0.01, seed=100 + n)
        failed = sum(1 for s in SERVICES for t in emu.tasks(s) if t["status"] == "Failed")
        handler_mb, with_sdk_mb, sdk_mb = sdk_import_mb(prep, common.function_env(emu, "file:///nonexistent"))
        for _ in range(repeats):
            state_dir = tempfile.mkdtemp(dir=prep.work, prefix="memory-state-")
            env = common.function_env(emu, f"file://{state_dir}/state.json", TASKWATCH_BACKFILL="30d",
                                      TASKWATCH_MAX_MESSAGES_PER_RUN="100")
            emu.reset_records()
            child = Child(prep.layer, prep.code_dir, prep.layer_dir, env, prep.work, auto=True)
            result = child.result()
            child.wait()
            summary = result["summary"]
            runs.append({"maxrss_mb": result["maxrss_kb"] / 1024, "hwm_mb": result["hwm_kb"] / 1024,
                         "after_import_mb":
                         result["rss_after_import_kb"] / 1024, "rss_end_mb": result["rss_kb"] / 1024,
                         "outcome": summary.get("outcome"), "new_failures": summary.get("new_failures"),
                         "tasks_seen": summary.get("tasks_seen"), "state_bytes": summary.get("state", {})
                         .get("bytes"), "counts": dict(sorted(emu.request_counts().items()))})
            common.log(f"memory: peak {runs[-1]['maxrss_mb']:.1f} MB")
    peak = statistics.median(r["maxrss_mb"] for r in runs)
    first = runs[0]
    out.data.update(tasks=TASKS, failed=failed, runs=runs, peak_mb=peak, sdk_import_mb=sdk_mb,
                    handler_import_mb=handler_mb, with_sdk_mb=with_sdk_mb)
    out.rows += [
        (f"peak RSS (ru_maxrss, median of {repeats}) / less the SDK import ({sdk_mb:.1f} MB: {handler_mb:.1f} MB "
         f"after the handler, {with_sdk_mb:.1f} MB after the SDK modules too)",
         f"{peak:.1f} MB / {peak - sdk_mb:.1f} MB (VmHWM {statistics.median(r['hwm_mb'] for r in runs):.1f} MB)"),
        ("RSS after importing the handler / at return",
         f"{statistics.median(r['after_import_mb'] for r in runs):.1f} MB / "
         f"{statistics.median(r['rss_end_mb'] for r in runs):.1f} MB"),
        ("the run", f"{first['tasks_seen']} tasks listed ({failed} failed of {TASKS:,} in the window), "
                    f"{first['new_failures']} alerted, state {first['state_bytes']} bytes"),
    ]
    bad = [r for r in runs if r["outcome"] != "ok" or r["new_failures"] != failed]
    if bad:
        out.notes.append(f"{len(bad)} run(s) not ok: {bad[0]['outcome']}, {bad[0]['new_failures']} of {failed}")
    out.checks.append(Check("memory: peak RSS", round(peak, 1), BUDGET_MB, "<=", "MB",
                            f"of which SDK import {sdk_mb:.1f} MB"))
    out.checks.append(Check("memory: runs ok, every failure alerted", len(bad), 0, "<="))
    return out
