"""Scenario: a month of failures. 30,000 failed tasks in the window (10,000 per service) and 30,000
remembered in the state: the run that meets them first (a fresh state: it baselines them), then the run that
finds them all remembered, each in a fresh interpreter of the runtime (layer + code only, child.py), the
state in OBS on the emulator.

Measured on the remembered run:
- peak RSS (ru_maxrss), with the SDK modules' import cost beside it (measured here: RSS after importing
  what a run imports, less RSS after importing the handler alone). Budget: the peak <= 128 MB
  (template.yaml's MemorySize); the SDK's share shrinks as its models are loaded on demand.
- requests: list calls equal to the fewest that read the same listings (requests_floor.py, from the
  emulator's log and tasks), no detail, no SMN call, one OBS read, no OBS write (nothing changed).
- CPU per 1,000 requests against the SDK's floor: the same task-center requests made by the bare SDK
  clients in another fresh interpreter (sdk_floor.py). Budget: ratio <= FLOOR_RATIO.
"""

from __future__ import annotations

import json
import os
from typing import Any

from . import common, requests_floor
from .common import BUCKET, Check, Child, Outcome
from .prepared import Prepared

PER_SERVICE = 10_000
SERVICES = ("taurusdb", "gaussdb", "dds")
BUDGET_MB = 128.0
# function CPU per request / the bare SDK's, both measured in the same run (measured 3.0-3.4 at load 4-30)
FLOOR_RATIO = 4.0


def sdk_import_mb(prep: Prepared, env: dict[str, str]) -> tuple[float, float, float]:
    """(RSS after importing the handler, after importing the SDK modules a run uses too, the difference), MB,
    each in a fresh interpreter of the runtime."""
    found = []
    for warm in (False, True):
        with Child(prep.layer, prep.code_dir, prep.layer_dir, env, prep.work, warm=warm) as child:
            found.append(child.result()["rss_after_import_kb"] / 1024)
    return found[0], found[1], found[1] - found[0]


def _cold_run(prep: Prepared, env: dict[str, str]) -> dict[str, Any]:
    child = Child(prep.layer, prep.code_dir, prep.layer_dir, env, prep.work, auto=True, timeout=900,
                  budget_ms=900_000)  # the run's own deadline must not cut it short on a loaded machine
    result = child.result()
    child.wait()
    return result


def _floor(prep: Prepared, emu: Any, records: list[dict[str, Any]], concurrency: int) -> dict[str, Any]:
    calls = []
    for record in records:
        call = record.get("call") or ""
        service, _, kind = call.partition(".")
        if service in SERVICES and kind in ("list", "detail"):
            calls.append([service, requests_floor.project_of(record), kind, record["query"]])
    endpoints = {s: emu.env()[f"TASKWATCH_ENDPOINT_{s.upper()}"] for s in SERVICES}
    path = prep.work / "floor.json"
    path.write_text(json.dumps({"calls": calls, "endpoints": endpoints, "ak": common.AK, "sk": common.SK,
                                "concurrency": concurrency}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASKWATCH_", "PYTHON"))}
    with Child(prep.layer, prep.code_dir, prep.layer_dir, env, prep.work, floor=str(path), timeout=600) as child:
        return child.result()


def measure(prep: Prepared) -> Outcome:
    out = Outcome("storm", f"A month of failures: {PER_SERVICE * 3:,} failed tasks in the window, all remembered")
    with common.emulator(seed_examples=False) as emu:
        for n, service in enumerate(SERVICES):
            emu.generate(service, PER_SERVICE, failure_rate=1.0, seed=300 + n)
        env = common.function_env(emu, f"obs://{BUCKET}/bench/storm/state.json")
        handler_mb, with_sdk_mb, sdk_mb = sdk_import_mb(prep, env)
        emu.reset_records()
        first = _cold_run(prep, env)
        common.log(f"storm: first run peak {first['maxrss_kb'] / 1024:.1f} MB, {first['summary'].get('outcome')}")
        emu.reset_records()
        second = _cold_run(prep, env)
        records = emu.requests
        counts = dict(sorted(emu.request_counts().items()))
        summary = second["summary"]
        made, fewest = requests_floor.minimum_lists(emu, records, requests_floor.readings_of(summary))
        requests = sum(counts.values())
        floor = _floor(prep, emu, records, int(env.get("TASKWATCH_CONCURRENCY", "8")))
    peak = second["maxrss_kb"] / 1024
    own = peak - sdk_mb
    cpu_per_k = second["handler_cpu_s"] / max(1, requests) * 1000
    floor_per_k = floor["cpu_s"] / max(1, floor["requests"]) * 1000
    ratio = cpu_per_k / floor_per_k if floor_per_k else None
    state = summary.get("state", {})
    out.data.update(first={k: first[k] for k in ("maxrss_kb", "handler_s", "handler_cpu_s")},
                    first_summary={k: first["summary"].get(k) for k in ("outcome", "baselined", "new_failures",
                                                                        "tasks_seen", "state")},
                    second={k: second[k] for k in ("maxrss_kb", "hwm_kb", "handler_s", "handler_cpu_s",
                                                   "rss_after_import_kb")},
                    summary={k: summary.get(k) for k in ("outcome", "tasks_seen", "failures_seen", "new_failures",
                                                         "state", "errors")},
                    counts=counts, lists_made=made, lists_fewest=fewest, floor=floor, handler_import_mb=handler_mb,
                    sdk_import_mb=sdk_mb, with_sdk_mb=with_sdk_mb)
    out.rows += [
        ("SDK import cost (RSS after the handler / after the SDK modules a run imports)",
         f"{handler_mb:.1f} MB / {with_sdk_mb:.1f} MB: {sdk_mb:.1f} MB is the SDKs'"),
        ("first run (fresh state, 30,000 failures baselined): peak RSS",
         f"{first['maxrss_kb'] / 1024:.1f} MB; {first['handler_s']:.1f} s, CPU {first['handler_cpu_s']:.1f} s; "
         f"state {first['summary'].get('state', {}).get('bytes')} bytes"),
        ("remembered run: peak RSS / less the SDK import",
         f"{peak:.1f} MB / {own:.1f} MB (VmHWM {second['hwm_kb'] / 1024:.1f} MB); {second['handler_s']:.1f} s"),
        ("remembered run: requests", ", ".join(f"{k} {v}" for k, v in counts.items())
         + f"; list calls {made}, fewest {fewest}; state {state.get('bytes_read')} bytes read, "
           f"written {state.get('written')}"),
        ("remembered run: CPU per 1,000 requests, function / bare SDK",
         f"{cpu_per_k:.2f} s / {floor_per_k:.2f} s = {ratio:.2f}x" if ratio else "n/a"),
    ]
    ok = summary.get("outcome") == "ok" and summary.get("tasks_seen") == PER_SERVICE * 3
    out.checks += [
        Check("storm: peak RSS, 30,000 remembered", round(peak, 1), BUDGET_MB, "<=", "MB",
              f"of which SDK import {sdk_mb:.1f} MB"),
        Check("storm: peak RSS, first run (no state: 30,000 failures baselined or alerted)",
              round(first["maxrss_kb"] / 1024, 1), BUDGET_MB, "<=", "MB"),
        Check("storm: list calls beyond the fewest", made - fewest, 0, "<="),
        Check("storm: detail, SMN calls and OBS writes (nothing new)",
              sum(v for k, v in counts.items() if k.endswith(".detail") or k in ("smn.publish", "obs.put")), 0, "<="),
        Check("storm: OBS reads", counts.get("obs.get", 0), 1, "<="),
        Check("storm: function CPU per request / bare SDK's", round(ratio, 2) if ratio else None, FLOOR_RATIO,
              "<=", "x"),
        Check("storm: remembered run ok, every task listed", 0 if ok else 1, 0, "<="),
        Check("storm: bare SDK requests all answered", floor["requests"] - floor["ok"], 0, "<="),
    ]
    return out
