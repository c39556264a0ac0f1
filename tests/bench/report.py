"""build/bench/results.json (every number) and build/bench/results.md (the short table, also printed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .common import Outcome

EXPLAIN = """\
How to read this:
- Every number comes from this one run; timings are medians of the repeats shown (the machine is shared).
- Cold start: "to return" is from the parent's clock at spawn (interpreter start) to the handler's return,
  measured in the child; baseline and optimised runs alternate. Both run with -I -S -B and sys.path = stdlib
  + code + layer; -B writes no bytecode, as FunctionGraph's read-only mounts do not keep any.
- Scale: the wall is one handler call in a warm interpreter of the runtime (imports are the cold start's).
  Ideal (a) is the chain of requests that must follow one another: every OBS request (state GET, lease GET,
  PUT, GET, state GET, state PUT, lease GET, PUT), the list depth (first page, then further pages), one
  detail, one publish, times the latency, plus the lease's settle wait (3 x latency, 50 ms to 1 s).
  Ideal (b) (information, not a budget) bounds that by concurrency: the OBS requests, ceil(lists / C),
  ceil(details / C) and ceil(publishes / 4) rounds (C = TASKWATCH_CONCURRENCY; 4 = PUBLISH_WORKERS) times
  the latency, plus the settle wait, and never less than (a). The per-client cap of 10 in flight does not
  bind (about 20 failures per source). (a) is far below any achievable wall: it assumes unlimited
  concurrency for ~1,400 requests. Neither ideal counts CPU: each request costs the function (SDK, requests,
  signing, validation) and the emulator (on the same 2 CPUs) a few milliseconds, which the "CPU" figures
  show; a wall below the function's own CPU seconds is impossible whatever the concurrency.
- Steady: the same targets again with nothing new; every steady run must make the same requests.
"""


def _value(check: dict[str, Any]) -> str:
    value = check["value"]
    text = "n/a" if value is None else (f"{value:,}" if isinstance(value, int) else f"{value:g}")
    return f"{text} {check['unit']}".strip()


def markdown(outcomes: list[Outcome], header: dict[str, Any]) -> str:
    lines = [f"# taskwatch benchmark, {header['started']}", ""]
    lines.append(f"Runtime {header['runtime']} ({header['interpreter']}), layer `{header['layer']}`; bench "
                 f"Python {header['bench_python']}; {header['cpus']} CPUs, load average {header['load_start']} at "
                 f"start, {header['load_end']} at end; {header['duration_s']:.0f} s in all.")
    if header.get("layer_note"):
        lines.append(f"**{header['layer_note']}**")
    lines += ["", "| budget | measured | limit | result |", "| --- | --- | --- | --- |"]
    for outcome in outcomes:
        if outcome.error:
            lines.append(f"| {outcome.title} | error: {outcome.error} | | **FAIL** |")
        for check in (c.as_dict() for c in outcome.checks):
            note = f" ({check['note']})" if check["note"] else ""
            lines.append(f"| {check['name']} | {_value(check)}{note} | {check['op']} {check['limit']:g} | "
                         f"{'pass' if check['passed'] else '**FAIL**'} |")
    lines += ["", "| scenario | measured | value |", "| --- | --- | --- |"]
    for outcome in outcomes:
        for n, (what, value) in enumerate(outcome.rows):
            lines.append(f"| {outcome.scenario if n == 0 else ''} | {what} | {value} |")
    notes = [f"{o.scenario}: {n}" for o in outcomes for n in o.notes]
    notes += [f"emulator transport: {n}" for n in header.get("transport", [])]
    if header.get("tcp"):
        lines.append("")
        lines.append("Kernel TCP counters during the run (system-wide): " +
                     ", ".join(f"{k} +{v}" for k, v in header["tcp"].items()))
    if notes:
        lines += ["", "Notes:"] + [f"- {n}" for n in notes]
    lines += ["", EXPLAIN]
    return "\n".join(lines)


def write(out_dir: Path, outcomes: list[Outcome], header: dict[str, Any]) -> str:
    out_dir.mkdir(parents=True, exist_ok=True)
    document = {"header": header, "scenarios": [o.as_dict() for o in outcomes],
                "passed": all(c.passed for o in outcomes for c in o.checks) and not any(o.error for o in outcomes)}
    (out_dir / "results.json").write_text(json.dumps(document, indent=1, default=str) + "\n")
    text = markdown(outcomes, header)
    (out_dir / "results.md").write_text(text + "\n")
    return text
