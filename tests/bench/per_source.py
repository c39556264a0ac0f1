"""Scenario per_source: what one more source costs a steady run, the figure layers/README.md sizes shards with.

A typical source: a month of tasks (300), 1% Failed and 0.5% Running (stuck detection on, as by default),
nothing new. Two fleets of such sources, SMALL and LARGE targets x 3 services, each baselined by a first run
and then run STEADY more times in a warm runtime interpreter behind LATENCY per request, at the default
TASKWATCH_CONCURRENCY. The difference between the two fleets, divided by the difference in sources, is the
cost of one source without the run's fixed part (state read, startup):

- requests per source (asserted: at most REQUESTS_PER_SOURCE, the table's figure: one Failed and one Running
  listing of one page each);
- the function's CPU seconds per source (asserted: at most CPU_PER_SOURCE, the table's figure);
- wall seconds per source at LATENCY, against the table's model at this latency (requests x latency /
  concurrency + CPU, where CPU here also counts the emulator's: on this machine it answers on the same two
  cores, while a real API's own work is inside its latency). Reported, not asserted: on a shared 2-core
  machine the wall follows the load (a load average of 15 doubled it), the CPU seconds do not.

The first run of each fleet baselines it and may publish everything pending (TASKWATCH_MAX_MESSAGES_PER_RUN
is raised so one run drains it: the generated Running tasks are old enough to be stuck); the steady runs
after it must publish nothing.

The table then puts the real APIs' latency into the same model.
"""

from __future__ import annotations

import hashlib
import json
import resource
import statistics
from typing import Any

from . import common
from .common import BUCKET, REGION, Check, Child, Outcome
from .prepared import Prepared

SERVICES = ("taurusdb", "gaussdb", "dds")
TASKS = 300  # a month of tasks on one source
FAILURE_RATE = 0.01
RUNNING_RATE = 0.005
LATENCY = 0.03
CONCURRENCY = 8  # TASKWATCH_CONCURRENCY's default
SMALL, LARGE = 5, 25  # targets (x 3 services: 15 and 75 sources)
STEADY = 3
# What layers/README.md ("Sizing shards") assumes per source; this scenario fails when the function needs more.
REQUESTS_PER_SOURCE = 2.0
CPU_PER_SOURCE = 0.025  # seconds, on one full core


def model_seconds(latency: float, requests: float = REQUESTS_PER_SOURCE, cpu: float = CPU_PER_SOURCE,
                  concurrency: int = CONCURRENCY) -> float:
    """The table's seconds per source: its requests spread over the concurrency, plus the function's CPU."""
    return requests * latency / concurrency + cpu


def _own_cpu() -> float:
    """CPU seconds of the bench process so far: the emulator's threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _projects(count: int, tag: str) -> list[str]:
    return [hashlib.md5(f"taskwatch-per-source-{tag}-{n}".encode()).hexdigest() for n in range(count)]


def _fleet(prep: Prepared, emu: Any, targets: int) -> dict[str, Any]:
    projects = _projects(targets, str(targets))
    for index, project in enumerate(projects):
        for service in SERVICES:
            emu.generate(service, TASKS, failure_rate=FAILURE_RATE, running_rate=RUNNING_RATE, project_id=project,
                         seed=index)
    state_uri = f"obs://{BUCKET}/bench/per-source-{targets}/state.json"
    env = common.function_env(emu, state_uri, TASKWATCH_CONCURRENCY=str(CONCURRENCY), TASKWATCH_TARGETS=json.dumps(
        [{"region": REGION, "project_id": p} for p in projects]), TASKWATCH_MAX_MESSAGES_PER_RUN="1000")
    runs = []
    with Child(prep.layer, prep.code_dir, prep.layer_dir, env, prep.work, warm=True) as child:
        child.result()  # imports done
        child.invoke()  # the first run: baseline and state
        for _ in range(STEADY):
            emu.reset_records()
            before = _own_cpu()
            result = child.invoke()
            emulator_cpu = _own_cpu() - before
            counts = emu.request_counts()
            runs.append({"wall_s": result["handler_s"], "cpu_s": result["handler_cpu_s"],
                         "emulator_cpu_s": emulator_cpu,
                         "task_center": sum(v for k, v in counts.items() if k.split(".")[0] in SERVICES),
                         "requests": sum(counts.values()), "outcome": result["summary"].get("outcome")})
    sources = targets * len(SERVICES)
    return {"sources": sources, "runs": runs,
            "wall_s": statistics.median(r["wall_s"] for r in runs),
            "cpu_s": statistics.median(r["cpu_s"] for r in runs),
            "emulator_cpu_s": statistics.median(r["emulator_cpu_s"] for r in runs),
            "task_center_requests": statistics.median(r["task_center"] for r in runs),
            "requests": statistics.median(r["requests"] for r in runs)}


def measure(prep: Prepared) -> Outcome:
    out = Outcome("per_source", f"Per source: a steady run's cost of one more source ({TASKS} tasks a month, "
                                f"{LATENCY * 1000:.0f} ms latency, concurrency {CONCURRENCY})")
    with common.emulator(seed_examples=False) as emu:
        emu.latency = LATENCY
        small, large = _fleet(prep, emu, SMALL), _fleet(prep, emu, LARGE)
    extra = large["sources"] - small["sources"]
    requests = large["task_center_requests"] / large["sources"]
    cpu = (large["cpu_s"] - small["cpu_s"]) / extra
    wall = (large["wall_s"] - small["wall_s"]) / extra
    emulator_cpu = (large["emulator_cpu_s"] - small["emulator_cpu_s"]) / extra
    fixed = small["wall_s"] - small["sources"] * wall
    out.data.update(small=small, large=large, requests_per_source=requests, cpu_per_source_s=cpu,
                    emulator_cpu_per_source_s=emulator_cpu,
                    wall_per_source_s=wall, fixed_wall_s=fixed, latency_s=LATENCY, concurrency=CONCURRENCY)
    for fleet in (small, large):
        out.rows.append((f"{fleet['sources']} sources: steady run (median of {STEADY})",
                         f"{fleet['wall_s']:.2f} s wall, {fleet['cpu_s']:.2f} s CPU, "
                         f"{fleet['task_center_requests']:.0f} task-center requests of {fleet['requests']:.0f}"))
    out.rows.append(("per source", f"{requests:.2f} requests, {cpu * 1000:.1f} ms CPU (emulator "
                                   f"{emulator_cpu * 1000:.1f} ms), {wall * 1000:.1f} ms wall (fixed part of a run "
                                   f"{fixed:.2f} s)"))
    bad = [r for f in (small, large) for r in f["runs"] if r["outcome"] != "ok"]
    out.checks += [
        Check("per source: task-center requests in a steady run", round(requests, 3), REQUESTS_PER_SOURCE, "<="),
        Check("per source: function CPU", round(cpu, 4), CPU_PER_SOURCE, "<=", "s"),
        Check("per source: steady runs not ok", len(bad), 0, "<="),
        Check("per source: requests other than task-center lists in a steady run (both fleets)",
              max(r["requests"] - r["task_center"] for f in (small, large) for r in f["runs"]), 1, "<=",
              note="the state read only: nothing published, nothing written"),
    ]
    model = model_seconds(LATENCY, cpu=cpu + emulator_cpu)
    out.notes.append(f"wall per source {wall * 1000:.1f} ms = {wall / model:.2f} x the model at this latency "
                     f"({model * 1000:.1f} ms with the CPU measured; information, not a budget: it follows the "
                     "machine's load)")
    return out
