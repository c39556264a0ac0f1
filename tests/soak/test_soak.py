"""The soak in the test suite: the ledger's rules on hand-made histories, and 300 simulated runs.

`make soak` runs the same month at full length (8,640 runs); see tests/soak/month.py and ledger.py.
"""

from __future__ import annotations

import os
import pstats
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.simulation import RUN_EVERY

from .ledger import Acceptance, Invocation, Ledger
from .month import FAULTS, SoakOptions, simulated_month, soak

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
SOURCE = "xx-test-1/p/dds"


def _ledger() -> Ledger:
    ledger = Ledger(blind_after=3)
    ledger.failure("dds:p:1", SOURCE, T0, 1)
    return ledger


def _accept(ledger: Ledger, key: str, run: int, run_id: str) -> None:
    ledger.accepted[key].append(Acceptance(run, T0 + run * RUN_EVERY, run_id))


# ---- the ledger's rules: each one can fail ---------------------------------------------------------------

def test_a_failure_nobody_heard_of_is_lost() -> None:
    ledger = _ledger()
    assert ledger.problems(T0 + timedelta(days=1)) == ["lost: dds:p:1 (visible 11-01 00:00, run 1)"]


def test_a_blind_notice_covers_failures_from_its_lead_until_recovery() -> None:
    ledger = _ledger()
    ledger.notices.append(("blind", SOURCE, T0 + 2 * RUN_EVERY, 3))  # lead: 3 runs before
    ledger.notices.append(("recovered", SOURCE, T0 + 10 * RUN_EVERY, 11))
    assert ledger.classify(T0 + timedelta(days=1))["covered by blind"] != []
    late = _ledger()
    late.notices.append(("blind", SOURCE, T0 + 4 * RUN_EVERY, 5))  # lead starts after the failure
    assert late.classify(T0 + timedelta(days=1))["lost"] != []
    other = _ledger()
    other.notices.append(("blind", "xx-test-1/p/gaussdb", T0, 1))  # another source's blindness covers nothing
    assert other.classify(T0 + timedelta(days=1))["lost"] != []


def test_only_a_raised_invocation_covers_a_failure() -> None:
    returned = _ledger()
    returned.invocation(Invocation(2, T0 + RUN_EVERY, {"outcome": "failed", "run_id": "a"}))
    assert returned.classify(T0 + timedelta(days=1))["lost"] != []  # the platform counted a success
    raised = _ledger()
    raised.invocation(Invocation(2, T0 + RUN_EVERY, None, raised="StateError: unreadable"))
    assert raised.classify(T0 + timedelta(days=1))["covered by failed invocation"] != []
    too_late = _ledger()
    too_late.invocation(Invocation(9, T0 + 8 * RUN_EVERY, None, raised="StateError: unreadable"))
    assert too_late.classify(T0 + timedelta(days=1))["lost"] != []


def test_duplicates_are_named_by_the_window_they_came_through() -> None:
    ledger = _ledger()
    saved = {"run_id": "saved", "state": {"written": True}}
    unsaved = {"run_id": "unsaved", "state": {"written": False}}
    ledger.invocation(Invocation(1, T0, saved))
    ledger.invocation(Invocation(2, T0, unsaved))
    ledger.invocation(Invocation(3, T0, {"run_id": "lost-answer", "state": {"written": True}}))
    ledger.answer_lost_runs.add(3)
    for run, run_id in ((2, "unsaved"), (3, "lost-answer"), (4, "x"), (5, "saved"), (6, "y")):
        _accept(ledger, "dds:p:1", run, run_id)
    assert ledger.duplicates() == {"not saved": 2, "smn answer lost": 1, "unexplained": 1}
    assert ledger.problems(T0 + timedelta(days=1)) == ["duplicates outside the documented windows: 1 unexplained"]


# ---- the simulated month, short ---------------------------------------------------------------------------

def test_a_month_of_300_runs_with_outages_crashes_overlaps_and_shards_loses_nothing() -> None:
    result = soak(SoakOptions(runs=300, seed=1, faults=FAULTS))
    totals = result.totals
    assert totals["failures produced"] > 10 and totals["published"] == totals["failures produced"]
    assert not result.problems, "\n".join([str(totals), *result.problems[:30]])


def test_shard_timers_on_one_state_still_report_a_source_that_is_down() -> None:
    result = soak(SoakOptions(runs=150, seed=2, faults=("server_error",), sharded=True))
    assert not result.problems, "\n".join([str(result.totals), *result.problems[:30]])


def test_a_late_slice_invokes_only_its_own_runs_and_profiles_them(tmp_path: Path) -> None:
    """--first-invoked and --profile-runs (for timing late-month runs): the runs before the slice move the
    world only, the slice is invoked and profiled, and the ledger still sees what the skipped runs left."""
    out = tmp_path / "slice.prof"
    result = soak(SoakOptions(runs=60, seed=1, new_task_rate=0.5, first_invoked=51, profile_runs=(52, 53),
                              profile_out=str(out)))
    invoked = {i.run for i in result.ledger.invocations}
    assert min(invoked) == 51 and max(invoked) == 60 + SoakOptions.tail_runs
    assert result.totals["failures produced"] > 10  # produced while nothing was invoked
    assert pstats.Stats(str(out)).total_calls > 0


def test_the_month_s_emulator_runs_in_a_child_process_that_ends_with_the_month() -> None:
    """The function and the emulator use two cores (README "Time")."""
    with simulated_month(SoakOptions(runs=1)) as month:
        process = month.emu._process
        assert process is not None and process.is_alive() and process.pid != os.getpid()
        task = month.add("dds", "Failed", month.clock())
        month.run(1, None)
        assert [i.summary is not None for i in month.ledger.invocations] == [True]
        assert [t["id"] for t in month.emu.tasks("dds")] == [task] and month.emu.errors == []
    assert not process.is_alive()
