"""Scenario 4, steady state: after the scale run, the same function and data, nothing new, several more runs.

Budgets per run: no detail call, at most one OBS read and one OBS write, no SMN call; and the requests of
a run do not grow with the number of runs before it or with the tasks already notified (every steady run
makes exactly the same requests).
"""

from __future__ import annotations

from typing import Any

from .common import Check, Child, Outcome, phase_seconds


def measure_steady(child: Child, emu: Any, state_uri: str, runs: int, out: Outcome,
                   first_counts: dict[str, int]) -> None:
    counted: list[dict[str, int]] = []
    walls: list[float] = []
    summaries = []
    phases: list[dict[str, float]] = []
    for _ in range(runs):
        emu.reset_records()
        result = child.invoke({"TASKWATCH_STATE_URI": state_uri})
        counted.append(dict(sorted(emu.request_counts().items())))
        walls.append(result["handler_s"])
        summaries.append(result["summary"])
        phases.append(phase_seconds(result))
    calls = sorted({k for c in counted for k in c})

    def total(counts: dict[str, int], suffix: str) -> int:
        return sum(v for k, v in counts.items() if k.endswith(suffix))

    per_run = [{"counts": c, "wall_s": w, "outcome": s.get("outcome"), "published": s.get("messages_published"),
                "state_tasks": s.get("state", {}).get("tasks"), "written": s.get("state", {}).get("written"),
                "phases": p} for c, w, s, p in zip(counted, walls, summaries, phases, strict=True)]
    out.data.update(state_uri=state_uri, first_run_counts=first_counts, runs=per_run)
    for n, run in enumerate(per_run, 1):
        counts = run["counts"]
        out.rows.append((f"steady run {n}: requests", ", ".join(f"{k} {counts.get(k, 0)}" for k in calls)
                         + f"; {run['wall_s']:.2f} s (load_state {run['phases'].get('load_state', 0):.2f} s, "
                           f"query_sources {run['phases'].get('query_sources', 0):.2f} s); state "
                           f"{run['state_tasks']} tasks, written {run['written']}"))
    worst = {key: max(c.get(key, 0) for c in counted) for key in ("obs.get", "obs.put", "smn.publish")}
    details = max(total(c, ".detail") for c in counted)
    growth = sum(1 for c in counted[1:] if c != counted[0])
    out.checks += [
        Check("steady: detail calls per run", details, 0, "<="),
        Check("steady: OBS reads per run", worst["obs.get"], 1, "<="),
        Check("steady: OBS writes per run", worst["obs.put"], 1, "<="),
        Check("steady: SMN calls per run", worst["smn.publish"], 0, "<="),
        Check(f"steady: runs whose requests differ from steady run 1 (of {len(counted)})", growth, 0, "<=",
              note="requests do not grow with past runs or notified tasks"),
        Check("steady: runs not ok", sum(1 for r in per_run if r["outcome"] != "ok"), 0, "<="),
    ]
