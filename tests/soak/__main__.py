"""`make soak`: a simulated month (8,640 five-minute runs) with random faults; prints the ledger's totals.

Exit status 1 when a guarantee broke (a lost failure, a duplicate outside the two documented windows, an
alert for a task that never failed, a bad record not reported). Options pick the seed, the run count, the
TaurusDB `offset` reading of the emulator, and the fault kinds.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "function"))

from tests.soak.month import FAULTS, SoakOptions, soak

SHOWN_PROBLEMS = 40


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8640)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--offset-reading", choices=["page", "item"], default="page",
                        help="how the emulated TaurusDB reads `offset` (a page index, or items to skip)")
    parser.add_argument("--faults", default=",".join(FAULTS), help="comma-separated fault kinds to draw from")
    parser.add_argument("--without", default="", help="comma-separated fault kinds to leave out")
    parser.add_argument("--new-task-rate", type=float, default=SoakOptions.new_task_rate,
                        help="chance, per run and service, that a task starts (more: longer listings, paging)")
    parser.add_argument("--set", action="append", default=[], metavar="TASKWATCH_KEY=VALUE",
                        help="a function setting for the whole month (repeatable)")
    parser.add_argument("--sharded", action="store_true",
                        help='every tick fires two shard timers ({"services": ...}) on one state')
    parser.add_argument("--logs", action="store_true", help="keep the function's own log lines (many)")
    parser.add_argument("--profile-runs", default="", help=argparse.SUPPRESS)  # "N-M": cProfile runs N..M
    parser.add_argument("--profile-out", default="soak.prof", help=argparse.SUPPRESS)
    parser.add_argument("--first-invoked", type=int, default=1, help=argparse.SUPPRESS)  # earlier runs: world only
    args = parser.parse_args(argv)
    profile_runs = tuple(int(n) for n in args.profile_runs.split("-")) if args.profile_runs else None
    if profile_runs is not None and len(profile_runs) != 2:
        parser.error("--profile-runs takes N-M")
    settings = dict(item.split("=", 1) for item in args.set if "=" in item)
    if len(settings) != len(args.set) or not all(key.startswith("TASKWATCH_") for key in settings):
        parser.error("--set takes TASKWATCH_KEY=VALUE")
    if not args.logs:  # the ledger reads each run's summary from the handler's return value
        logging.getLogger("taskwatch").disabled = True
    chosen = [f for f in args.faults.split(",") if f]
    left_out = {f for f in args.without.split(",") if f}
    unknown = (set(chosen) | left_out) - set(FAULTS)
    if unknown:
        parser.error(f"unknown fault kinds {sorted(unknown)}; known: {', '.join(FAULTS)}")
    options = SoakOptions(runs=args.runs, seed=args.seed, offset_reading=args.offset_reading,
                          faults=tuple(f for f in chosen if f not in left_out), new_task_rate=args.new_task_rate,
                          environment=settings, sharded=args.sharded,
                          profile_runs=profile_runs, profile_out=args.profile_out,
                          first_invoked=args.first_invoked)

    def progress(run: int, seconds: float) -> None:
        print(f"  run {run}/{options.runs}: {seconds:.0f} s", file=sys.stderr, flush=True)

    result = soak(options, progress)
    print(json.dumps({"seed": options.seed, "offset reading": options.offset_reading, **result.totals,
                      "seconds": round(result.seconds, 1)}, indent=2))
    for problem in result.problems[:SHOWN_PROBLEMS]:
        print("PROBLEM", problem)
    if len(result.problems) > SHOWN_PROBLEMS:
        print(f"... and {len(result.problems) - SHOWN_PROBLEMS} more problems")
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
