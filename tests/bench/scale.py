"""Scenario 3, scale: 20 targets x 3 services x 2,000 tasks (1% failed) behind 30 ms of latency per request.

Every failure is alerted in the measured run (TASKWATCH_BACKFILL=30d, TASKWATCH_MAX_MESSAGES_PER_RUN=100), so
one run lists every source, fetches every failure's detail, takes the lease, publishes one alert per
(target, service) and saves the state. The run is timed inside a warm interpreter (the layer's runtime, the
SDK clients and schemas already imported: the import cost is scenario 1's), once per repeat, each repeat
from a fresh state object. The ideal is computed from the requests the run actually made:

(a) chain: the requests that must happen one after another (run.py): state GET -> first list page ->
    further pages (when any listing has more) -> detail -> lease GET -> lease PUT -> settle wait -> lease
    GET -> state GET (ETag check) -> publish -> state PUT -> lease GET -> lease PUT; every OBS request is on
    it (they are all serial), so chain = (OBS requests + list depth + 1 detail + 1 publish) x latency +
    settle wait (lease.settle_time: 3 x the lease PUT's round trip, 50 ms to 1 s).
(b) bounded: max(chain, sum over phases of ceil(requests in phase / the phase's concurrency) x latency +
    settle), with lists and details at TASKWATCH_CONCURRENCY and publishes at 4 (PUBLISH_WORKERS); OBS
    requests count one round each. The 10-per-client cap does not bind here (20 failures per source need
    2 rounds of 10, fewer than the pool's rounds).
Wall / ideal is information only, not a budget: on the shared 2-core machine it swung 1.22-1.35 with the
load for the same code. What the bench asserts are counts and ratios measured in the run itself: every
failure alerted, list calls equal to the fewest that read the same listings, detail calls equal to the
useful ones (requests_floor.py), and the storm scenario's CPU per request against the bare SDK's.
"""

from __future__ import annotations

import hashlib
import json
import math
import resource
import statistics
from typing import Any

from . import common, requests_floor
from .common import BUCKET, REGION, Check, Child, Outcome, phase_seconds
from .prepared import Prepared
from .steady import measure_steady

TARGETS = 20
PER_SERVICE = 2000
FAILURE_RATE = 0.01
LATENCY = 0.03
PUBLISH_WORKERS = 4
INFO_RATIO = 1.3  # wall / ideal (b) above this gets a note (information, not a budget)
DEFAULT_CONCURRENCY = 8  # the product's default (TASKWATCH_CONCURRENCY): the budget applies to it
SERVICES = ("taurusdb", "gaussdb", "dds")


def project_ids(count: int = TARGETS) -> list[str]:
    return [hashlib.md5(f"taskwatch-bench-{n}".encode()).hexdigest() for n in range(count)]


def populate(emu: Any, projects: list[str], per_service: int = PER_SERVICE) -> int:
    total = 0
    for index, project in enumerate(projects):
        for service in SERVICES:
            total += len(emu.generate(service, per_service, failure_rate=FAILURE_RATE, project_id=project,
                                      seed=index))
    return total


def settle(latency: float) -> float:
    """lease.settle_time for a PUT that takes one latency (3x, at least 50 ms, at most 1 s)."""
    return min(1.0, max(0.05, 3 * latency))


def _first_page(record: dict[str, Any]) -> bool:
    offset = record["query"].get("offset")
    if record["call"] == "taurusdb.list":
        return offset in (None, "1", "0")
    return offset in (None, "0")


def ideal(records: list[dict[str, Any]], latency: float, concurrency: int) -> dict[str, Any]:
    """Both ideals of one run, from the requests it made."""
    calls = [r for r in records if r["call"]]
    obs = sum(1 for r in calls if r["call"].startswith("obs."))
    lists = [r for r in calls if r["call"].endswith(".list")]
    first = sum(1 for r in lists if _first_page(r))
    depth = (1 if first else 0) + (1 if len(lists) > first else 0)
    details = sum(1 for r in calls if r["call"].endswith(".detail"))
    publishes = sum(1 for r in calls if r["call"] == "smn.publish")
    wait = settle(latency) if any(r["call"] == "obs.put" for r in calls) and publishes else 0.0
    chain_rounds = obs + depth + (1 if details else 0) + (1 if publishes else 0)
    chain = chain_rounds * latency + wait
    bounded_rounds = (obs + max(depth, math.ceil(len(lists) / concurrency)) + math.ceil(details / concurrency)
                      + math.ceil(publishes / PUBLISH_WORKERS))
    bounded = max(chain, bounded_rounds * latency + wait)
    list_rounds = max(depth, math.ceil(len(lists) / concurrency))
    phase_ideal = {"load_state": latency, "query_sources": list_rounds * latency,
                   "fetch_details": math.ceil(details / concurrency) * latency,
                   "publish_all": math.ceil(publishes / PUBLISH_WORKERS) * latency,
                   "commit": (obs - 1) * latency + wait + math.ceil(publishes / PUBLISH_WORKERS) * latency}
    return {"phase_ideal_s": phase_ideal, "obs": obs, "lists": len(lists), "list_depth": depth,
            "details": details, "publishes": publishes, "settle_s": wait, "chain_rounds": chain_rounds,
            "chain_s": chain, "bounded_rounds": bounded_rounds, "bounded_s": bounded}


def _cpu_seconds() -> float:
    """CPU time of the bench process (the emulator's threads) so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _counts(emu: Any) -> dict[str, int]:
    return dict(sorted(emu.request_counts().items()))


def measure(prep: Prepared, repeats: int, concurrencies: tuple[int, ...], steady_runs: int) -> list[Outcome]:
    projects = project_ids()
    targets = json.dumps([{"region": REGION, "project_id": p} for p in projects])
    scale = Outcome("scale", f"Scale: {TARGETS} targets x 3 services x {PER_SERVICE} tasks, 1% failed, "
                             f"{LATENCY * 1000:.0f} ms latency")
    steady = Outcome("steady", "Steady state: the same scale, nothing new")
    with common.emulator(seed_examples=False) as emu:
        tasks = populate(emu, projects)
        failed = sum(1 for p in projects for s in SERVICES for t in emu.tasks(s, p) if t["status"] == "Failed")
        useful = sum(requests_floor.useful_details([t for t in emu.tasks(s, p) if t["status"] == "Failed"], s)
                     for p in projects for s in SERVICES)
        emu.latency = LATENCY
        scale.data.update(targets=TARGETS, tasks=tasks, failed=failed, latency_s=LATENCY, runs={})
        common.log(f"scale: {tasks} tasks ({failed} failed) in {TARGETS} projects x 3 services")
        for concurrency in concurrencies:
            env = common.function_env(emu, f"obs://{BUCKET}/bench/none/state.json", TASKWATCH_TARGETS=targets,
                                      TASKWATCH_BACKFILL="30d", TASKWATCH_MAX_MESSAGES_PER_RUN="100",
                                      TASKWATCH_CONCURRENCY=str(concurrency))
            runs = []
            with Child(prep.layer, prep.code_dir, prep.layer_dir, env, prep.work, warm=True, phases=True) as child:
                child.result()  # ready: imports done
                for repeat in range(repeats):
                    state_uri = f"obs://{BUCKET}/bench/c{concurrency}-r{repeat}/state.json"
                    emu.reset_records()
                    before = _cpu_seconds()
                    result = child.invoke({"TASKWATCH_STATE_URI": state_uri})
                    emulator_cpu = _cpu_seconds() - before
                    summary = result["summary"]
                    records = emu.requests
                    requests = sum(1 for r in records if r["call"])
                    made, fewest = requests_floor.minimum_lists(emu, records, requests_floor.readings_of(summary))
                    run = {"wall_s": result["handler_s"], "cpu_s": result["handler_cpu_s"], "requests": requests,
                           "emulator_cpu_s": emulator_cpu,
                           "achieved_concurrency": requests * LATENCY / result["handler_s"],
                           "outcome": summary.get("outcome"), "published": summary.get("messages_published"),
                           "new_failures": summary.get("new_failures"), "errors": summary.get("errors", [])[:3],
                           "counts": _counts(emu), "phases": phase_seconds(result),
                           "lists_made": made, "lists_fewest": fewest, "details_useful": useful,
                           "details_made": sum(1 for r in records if (r["call"] or "").endswith(".detail")),
                           **ideal(records, LATENCY, concurrency)}
                    runs.append(run)
                    common.log(f"scale c={concurrency} #{repeat + 1}: {run['wall_s']:.2f} s "
                               f"(cpu {run['cpu_s']:.2f} s), ideal {run['bounded_s']:.2f} s, {run['outcome']}")
                if concurrency == concurrencies[0] and steady_runs:
                    measure_steady(child, emu, state_uri, steady_runs, steady, runs[-1]["counts"])
            _summarise(scale, concurrency, runs, failed)
    return [scale, steady]


def _summarise(out: Outcome, concurrency: int, runs: list[dict[str, Any]], failed: int) -> None:
    wall = statistics.median(r["wall_s"] for r in runs)
    cpu = statistics.median(r["cpu_s"] for r in runs)
    last = runs[-1]
    ratio_b = statistics.median(r["wall_s"] / r["bounded_s"] for r in runs)
    ratio_a = statistics.median(r["wall_s"] / r["chain_s"] for r in runs)
    out.data["runs"][str(concurrency)] = {"wall": common.stats([r["wall_s"] for r in runs]), "cpu_median_s": cpu,
                                          "ideal_chain_s": last["chain_s"], "ideal_bounded_s": last["bounded_s"],
                                          "wall_over_bounded": ratio_b, "wall_over_chain": ratio_a,
                                          "counts": last["counts"], "runs": runs}
    kinds = ", ".join(f"{k} {v}" for k, v in last["counts"].items())
    label = f"c={concurrency}" + (" (default)" if concurrency == DEFAULT_CONCURRENCY else "")
    achieved = statistics.median(r["achieved_concurrency"] for r in runs)
    emulator_cpu = statistics.median(r["emulator_cpu_s"] for r in runs)
    out.data["runs"][str(concurrency)].update(achieved_concurrency=achieved, emulator_cpu_median_s=emulator_cpu)
    out.rows.append((f"{label}: wall (median of {len(runs)})",
                     f"{wall:.2f} s; CPU: function {cpu:.2f} s, emulator {emulator_cpu:.2f} s; "
                     f"{last['requests']} requests x latency / wall = {achieved:.1f} in flight on average"))
    steps = ("load_state", "query_sources", "fetch_details", "commit", "publish_all")
    measured = {step: statistics.median(r["phases"].get(step, 0.0) for r in runs) for step in steps}
    out.data["runs"][str(concurrency)]["phases_median_s"] = measured
    out.rows.append((f"{label}: steps, measured / ideal (b) (commit includes publish_all)",
                     ", ".join(f"{step} {measured[step]:.2f}/{last['phase_ideal_s'][step]:.2f} s" for step in steps
                               if measured[step] or last["phase_ideal_s"].get(step))))
    out.rows.append((f"{label}: ideal (a) chain / (b) bounded",
                     f"{last['chain_s']:.2f} s ({last['chain_rounds']} round trips + settle) / "
                     f"{last['bounded_s']:.2f} s ({last['bounded_rounds']} rounds + settle)"))
    out.rows.append((f"{label}: wall / ideal (b) [budget] and / (a)", f"{ratio_b:.2f} / {ratio_a:.2f}"))
    if concurrency == DEFAULT_CONCURRENCY:
        out.rows.append(("requests per run", kinds))
    if INFO_RATIO * last["bounded_s"] < cpu:
        out.notes.append(f"c={concurrency}: {INFO_RATIO} x ideal (b) = {INFO_RATIO * last['bounded_s']:.2f} s is less "
                         f"than the function's own CPU time for the run ({cpu:.2f} s, one interpreter)")
    bad = [r for r in runs if r["outcome"] != "ok" or r["new_failures"] != failed]
    if bad:
        out.notes.append(f"c={concurrency}: {len(bad)} run(s) did not alert every failure cleanly: "
                         f"{bad[0]['outcome']}, {bad[0]['new_failures']} new of {failed}, {bad[0]['errors']}")
    # shown, not asserted: wall / ideal swings with the machine's load (see the module docstring)
    out.notes.append(f"c={concurrency} (information, not a budget): wall / ideal (b) = {ratio_b:.2f}")
    made = statistics.median(r["lists_made"] for r in runs)
    fewest = statistics.median(r["lists_fewest"] for r in runs)
    out.checks.append(Check(f"scale c={concurrency}: list calls beyond the fewest", made - fewest, 0, "<=",
                            note=f"{made:.0f} made, {fewest:.0f} fewest"))
    out.checks.append(Check(f"scale c={concurrency}: detail calls beyond the useful ones",
                            max(abs(r["details_made"] - r["details_useful"]) for r in runs), 0, "<=",
                            note=f"{last['details_made']} made, {last['details_useful']} useful"))
    out.checks.append(Check(f"scale c={concurrency}: every failure alerted, outcome ok", len(bad), 0, "<=", "bad runs"))
