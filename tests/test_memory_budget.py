"""A month of failures fits the function's memory: a window of 30,000 failed tasks, all remembered in the
state or none of them yet (a first run), runs end to end in a fresh interpreter within 128 MB (template.yaml's
MemorySize).

The child is forked by /bin/sh (on Linux, a program exec'd straight from this process would inherit this
process's peak RSS, emulator and all, in ru_maxrss) and reports its own ru_maxrss after the run. The SDK
packages' import cost is measured in the same child, just before the run (RSS after importing what a run
imports through the on-demand loader, less RSS after importing the handler) and reported beside it; the
budget applies to the whole peak (tests/bench/README.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from taskwatch.state.document import State, settled_entry
from taskwatch.timeutil import iso

from tests.bench.common import function_env
from tests.emulator import CloudEmulator
from tests.fixtures import AK, BUCKET, PROJECT, REGION, SK, TOPIC

REPO = Path(__file__).resolve().parents[1]
PER_SERVICE = 10_000
BUDGET_MB = 128.0
SERVICES = ("taurusdb", "gaussdb", "dds")

CHILD = r"""
import json, resource, sys
sys.path[0:0] = [sys.argv[1]]

def rss_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

import index
handler_kb = rss_kb()
from datetime import datetime, timezone
from taskwatch.sources import SPECS
now = datetime.now(timezone.utc)
for spec in SPECS.values():
    spec.client_class(); spec.list_request("Failed", now, now, 0, spec.page_size); spec.detail_request("x")
from taskwatch.sdk_loader import sdk_class
sdk_class("huaweicloudsdksmn.v2", "SmnClient")
sdk_kb = rss_kb() - handler_kb

class Context:
    def getRemainingTimeInMilliSeconds(self): return 600_000
    def getRequestID(self): return "memory-test"
    def getUserData(self, key, default=None): return default
    def getSecurityAccessKey(self): return None
    def getSecuritySecretKey(self): return None
    def getSecurityToken(self): return None

event = {"version": "v1.0", "time": "2026-11-23T08:00:00+08:00", "trigger_type": "TIMER",
         "trigger_name": "every-5-minutes"}
try:
    summary = handler(event, Context()) if (handler := index.handler) else None
except Exception as exc:
    summary = getattr(exc, "summary", {"outcome": repr(exc)})
sys.__stdout__.flush()
print("RESULT " + json.dumps({"maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                              "handler_kb": handler_kb, "sdk_kb": sdk_kb, "summary": summary}, default=str))
"""


def _remembered_state(emu: CloudEmulator, path: Path) -> int:
    """Every failure in the window, already notified: a state as a month of runs leaves it."""
    state = State.new(emu.now())
    stamp = iso(emu.now())
    for service in SERVICES:
        for task in emu.tasks(service):
            key = f"{service}:{PROJECT}:{task['id']}"
            state.tasks[key] = settled_entry({"service": service, "region": REGION, "project_id": PROJECT,
                                              "id": task["id"], "status": "Failed", "first_seen": stamp,
                                              "created": iso(task["created"]), "notified_at": stamp})
    path.write_bytes(state.to_bytes(emu.now(), "memory-test"))
    return len(state.tasks)


def _run_child(emu: CloudEmulator, state_dir: Path) -> tuple[dict, float, float]:
    env = function_env(emu, f"file://{state_dir}/state.json")
    command = [sys.executable, "-I", "-B", "-c", CHILD, str(REPO / "function")]
    done = subprocess.run(["/bin/sh", "-c", '"$@"; exit $?', "sh", *command], env=env, capture_output=True,
                          text=True, timeout=300, cwd=state_dir)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert line is not None, done.stderr[-2000:]
    result = json.loads(line[len("RESULT "):])
    peak_mb, sdk_mb = result["maxrss_kb"] / 1024, result["sdk_kb"] / 1024
    print(f"peak RSS {peak_mb:.1f} MB, of which SDK import {sdk_mb:.1f} MB; state {result['summary']['state']}")
    return result["summary"], peak_mb, sdk_mb


def _month_of_failures() -> CloudEmulator:
    emu = CloudEmulator(ak=AK, sk=SK, project_id=PROJECT, region=REGION, topic_urns=[TOPIC], buckets=[BUCKET],
                        seed_examples=False)
    for n, service in enumerate(SERVICES):
        emu.generate(service, PER_SERVICE, failure_rate=1.0, seed=500 + n)
    return emu


def test_a_month_of_30000_remembered_failures_runs_within_128_mb(tmp_path: Path) -> None:
    with _month_of_failures() as emu:
        remembered = _remembered_state(emu, tmp_path / "state.json")
        summary, peak_mb, sdk_mb = _run_child(emu, tmp_path)
        counts = emu.request_counts()
    assert remembered == 3 * PER_SERVICE
    assert summary["outcome"] == "ok" and summary["tasks_seen"] == remembered, summary.get("errors")
    assert summary["failures_seen"] == remembered and summary["new_failures"] == 0
    assert not any(call.endswith(".detail") or call == "smn.publish" for call in counts)
    assert peak_mb <= BUDGET_MB, f"peak {peak_mb:.1f} MB (of which SDK import {sdk_mb:.1f} MB)"


def test_a_first_run_over_a_month_of_30000_failures_runs_within_128_mb(tmp_path: Path) -> None:
    """No state yet (a new deployment on a fleet with a month of failures): every failure is baselined or,
    within TASKWATCH_BACKFILL, alerted, and the state written holds all of them. The failures to baseline
    are let go as their pages arrive, each kept as its compact state entry (decide.baseline_entry), not as
    a Task (137 MB peak before, when every Task was kept until the decisions)."""
    with _month_of_failures() as emu:
        summary, peak_mb, sdk_mb = _run_child(emu, tmp_path)
        counts = emu.request_counts()
    failures = 3 * PER_SERVICE
    assert summary["outcome"] == "ok", summary.get("errors")
    assert summary["tasks_seen"] == summary["failures_seen"] == failures
    assert summary["baselined"] > 0 and summary["new_failures"] > 0
    assert summary["baselined"] + summary["new_failures"] == failures
    assert summary["state"]["written"] and summary["state"]["tasks"] == failures
    assert counts["smn.publish"] >= 1 and summary["messages_failed"] == 0
    assert peak_mb <= BUDGET_MB, f"peak {peak_mb:.1f} MB (of which SDK import {sdk_mb:.1f} MB)"
