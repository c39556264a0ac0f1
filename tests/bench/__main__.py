"""`make bench`: run the scenarios, write build/bench/results.json and results.md, print the table, and exit 1
when a budget is missed (2 when the bench could not set itself up).

    python -m tests.bench [--quick] [--only cold,memory,storm,scale,cpu,sizes,per_source] [--layer ZIP] [--keep]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from . import cold_start, common, cpu, layer_size, memory, per_source, report, scale, storm
from .common import Outcome
from .prepared import prepare

SCENARIOS = ("sizes", "cpu", "cold", "memory", "storm", "scale", "per_source")


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "n/a"


def _guarded(name: str, title: str, run: Callable[[], Outcome | list[Outcome]]) -> list[Outcome]:
    started = time.perf_counter()
    try:
        found = run()
    except Exception as exc:  # one broken scenario must not hide the others' numbers
        traceback.print_exc()
        return [Outcome(name, title, error=f"{type(exc).__name__}: {str(exc)[:300]}")]
    common.log(f"{name}: {time.perf_counter() - started:.0f} s")
    return found if isinstance(found, list) else [found]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run; numbers are rougher)")
    parser.add_argument("--only", default=",".join(SCENARIOS), help=f"comma-separated subset of {SCENARIOS}")
    parser.add_argument("--layer", type=Path, help="the layer zip (default: build/layer/ for template.yaml's "
                                                   "runtime, built when missing)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (child logs)")
    args = parser.parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    cold_repeats, scale_repeats, cpu_repeats, memory_repeats, steady_runs = ((3, 2, 3, 1, 3) if args.quick
                                                                             else (7, 5, 5, 3, 4))
    started = time.perf_counter()
    header = {"started": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "load_start": _load(),
              "cpus": os.cpu_count(), "bench_python": platform.python_version(), "quick": args.quick}
    try:
        prep = prepare(args.layer, args.quick)
    except (RuntimeError, OSError) as exc:
        print(f"bench: cannot set up: {exc}", file=sys.stderr)
        return 2
    header.update(runtime=prep.layer.runtime, interpreter=str(prep.layer.interpreter),
                  layer=str(prep.layer.zip.relative_to(common.REPO) if prep.layer.zip.is_relative_to(common.REPO)
                            else prep.layer.zip), layer_note=prep.layer.note)
    header["transport"] = common.tune_emulator_transport()
    tcp_before = common.tcp_counters()
    outcomes: list[Outcome] = []
    try:
        if "sizes" in only:
            outcomes += _guarded("sizes", "Sizes", lambda: layer_size.measure(prep))
        if "cpu" in only:
            outcomes += _guarded("cpu", "CPU", lambda: cpu.measure(cpu_repeats, prep))
        if "cold" in only:
            outcomes += _guarded("cold_start", "Cold start", lambda: cold_start.measure(prep, cold_repeats))
        if "memory" in only:
            outcomes += _guarded("memory", "Memory", lambda: memory.measure(prep, memory_repeats))
        if "storm" in only:
            outcomes += _guarded("storm", "A month of failures", lambda: storm.measure(prep))
        if "scale" in only:
            outcomes += _guarded("scale", "Scale and steady state",
                                 lambda: scale.measure(prep, scale_repeats, (8, 32, 64), steady_runs))
        if "per_source" in only:  # the figure layers/README.md sizes shards with
            outcomes += _guarded("per_source", "Per source", lambda: per_source.measure(prep))
    finally:
        if args.keep:
            common.log(f"scratch kept in {prep.work}")
        else:
            prep.cleanup()
    tcp_after = common.tcp_counters()
    header["tcp"] = {k: tcp_after[k] - tcp_before.get(k, 0) for k in tcp_after}
    header["load_end"] = _load()
    header["duration_s"] = time.perf_counter() - started
    text = report.write(common.OUT, outcomes, header)
    print(text)
    failed = [c.name for o in outcomes for c in o.checks if not c.passed] + [o.scenario for o in outcomes if o.error]
    if failed:
        print(f"bench: {len(failed)} budget(s) missed: {'; '.join(failed)}", file=sys.stderr)
        return 1
    print("bench: every budget met", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
