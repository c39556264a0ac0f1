"""Scenario 5, CPU: tasks per second through parse -> validate -> normalise -> decide, network excluded.

10,000 distinct records per service, rendered by the emulator's own renderers exactly as each list API sends
them (unique ids, unique creation times, 1% Failed, 2% Running), cut into pages of the function's page size
and serialised to bytes. One pass (cpu_pass.py) takes every page of all three services through:
  parse      json.loads of the page bytes;
  validate   taskwatch.validation.PageValidator.check (a fresh validator per pass: its memo starts empty);
  normalise  TaskCenter.absorb (validation included, as in a run) on a center pointed at an unused loopback
             URL (no request is made: the pages are handed to it);
  decide     taskwatch.decide.observe on a fresh State.
Times are the thread's CPU time. The budget is the pass's CPU time against a reference workload on the same
records (parse, and one small dict per record: reference() in cpu_pass.py), interleaved with the passes: a
busy machine slows both alike, so the ratio holds where tasks per second (shown) does not. It is asserted
in the bench process (function/ on sys.path), median of repeats; the same pass is also
run in a fresh interpreter of the layer's runtime with only the layer and the code on sys.path, and reported.
"""

from __future__ import annotations

import base64
import json
import random
import sys
from datetime import datetime, timedelta, timezone

from . import common, cpu_pass
from .common import Check, Outcome

PER_SERVICE = 10_000
BUDGET = 20_000  # tasks/s: information only (it swings with the machine's load)
RATIO_BUDGET = 22.0  # the pass's CPU time / the reference work's, same records, same run (measured 15.9)
SERVICES = cpu_pass.SERVICES
ITEMS_KEY = {"taurusdb": "jobs", "gaussdb": "tasks", "dds": "jobs"}


def pages(service: str, count: int, page_size: int, now: datetime) -> list[bytes]:
    """The list API's pages for `count` generated tasks, newest first, as the bytes the API sends."""
    from tests.emulator.generate import generate_tasks
    from tests.emulator.render import LIST_ITEM

    generated = generate_tasks(service, count, now, 0.01, 0.02, seed=7, span=timedelta(days=29))
    rng = random.Random(f"cpu:{service}")
    seconds = sorted(rng.sample(range(60, 29 * 86400), count))  # unique creation times, newest first
    render = LIST_ITEM[service]
    items = []
    for fields, age in zip(generated, seconds, strict=True):
        created = now - timedelta(seconds=age)
        ended = created + (fields["ended"] - fields["created"]) if fields.get("ended") else None
        items.append(render({**fields, "created": created, "ended": ended, "instance_status": None,
                             "entities": None, "fail_reason": fields.get("fail_reason")}))
    key = ITEMS_KEY[service]
    return [json.dumps({key: items[i:i + page_size], "total_count": count}).encode()
            for i in range(0, count, page_size)]


def _in_runtime(prep: object, data: dict[str, list[bytes]], now: datetime, repeats: int) -> dict | None:
    """The same pass in a fresh interpreter of the layer's runtime (layer + code only on sys.path)."""
    from .common import Child
    from .prepared import Prepared

    assert isinstance(prep, Prepared)
    pages_file = prep.work / "cpu-pages.json"
    pages_file.write_text(json.dumps({"now": now.isoformat(), "repeats": repeats,
                                      "pages": {s: [base64.b64encode(p).decode() for p in v]
                                                for s, v in data.items()}}))
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("TASKWATCH_", "PYTHON"))}
    with Child(prep.layer, prep.code_dir, prep.layer_dir, env, prep.work, cpu=str(pages_file)) as child:
        try:
            return child.result()
        except common.ChildError as exc:
            common.log(f"cpu in the runtime: {exc}")
            return None


def measure(repeats: int, prep: object | None = None) -> Outcome:
    if str(common.FUNCTION) not in sys.path:
        sys.path.insert(0, str(common.FUNCTION))
    from taskwatch.sources import SPECS

    out = Outcome("cpu", f"CPU: parse + validate + normalise + decide, {PER_SERVICE:,} tasks per service")
    now = datetime.now(timezone.utc)
    data = {s: pages(s, PER_SERVICE, SPECS[s].page_size, now) for s in SERVICES}
    total = PER_SERVICE * len(SERVICES)
    result = cpu_pass.run(data, now, repeats)
    rate = total / result["median_s"]
    out.data.update(tasks=total, pages=sum(len(v) for v in data.values()),
                    bytes=sum(len(p) for v in data.values() for p in v), in_process=result, tasks_per_s=rate,
                    seconds=common.stats(result["seconds"]))
    parse_s, validate_s = result["parse_s"], result["validate_s"]
    out.rows += [
        (f"{total:,} tasks in {out.data['pages']} pages ({out.data['bytes'] / common.MB:.1f} MB), bench process "
         f"(Python {result['python']}), median of {repeats}",
         f"{result['median_s'] * 1000:.0f} ms = {rate:,.0f} tasks/s"),
        ("  stages alone: parse / validate; normalise + decide (rest)",
         f"{parse_s * 1000:.0f} ms / {validate_s * 1000:.0f} ms; "
         f"{max(0.0, result['median_s'] - parse_s - validate_s) * 1000:.0f} ms"),
    ]
    runtime = _in_runtime(prep, data, now, repeats) if prep is not None else None
    if runtime is not None:
        runtime_rate = total / runtime["median_s"]
        out.data["runtime"] = {**runtime, "tasks_per_s": runtime_rate}
        out.rows.append((f"same pass in the runtime (Python {runtime['python']}, layer only), median of {repeats}",
                         f"{runtime['median_s'] * 1000:.0f} ms = {runtime_rate:,.0f} tasks/s (parse "
                         f"{runtime['parse_s'] * 1000:.0f} ms, validate {runtime['validate_s'] * 1000:.0f} ms)"))
    if result["tasks"] != total or result["violations"]:
        out.notes.append(f"expected {total} tasks and no violations, got {result['tasks']} and "
                         f"{result['violations']}")
    out.rows.append(("pass CPU time / reference work (json.loads and one dict per record), interleaved",
                     f"{result['ratio']:.2f}x ({result['median_s'] * 1000:.0f} ms / "
                     f"{result['reference_s'] * 1000:.0f} ms)"))
    if rate < BUDGET:
        out.notes.append(f"{rate:,.0f} tasks per CPU second, below {BUDGET:,} (information: load-dependent)")
    out.checks.append(Check("cpu: pass / reference work (CPU time, same records, same run)",
                            round(result["ratio"], 2), RATIO_BUDGET, "<=", "x"))
    out.checks.append(Check("cpu: every task taken, no violation",
                            int(result["tasks"] != total) + result["violations"], 0, "<="))
    return out

