"""The failure-handling matrix: every external call x every fault, against the real handler.

    python -m tests.faults.matrix            # what `make faults` runs: prints the table, writes
                                             # build/faults/matrix.md, exits non-zero on any lost or
                                             # duplicated alert
    python -m tests.faults.matrix --json     # also build/faults/matrix.json (every run of every cell)

Each cell gets a fresh emulator holding the seed failures plus generated ones: the service the cell is about
gets more than one page of failures (TaurusDB and RDS pages of 50, openGauss and DDS of 100), so paging faults
bite and the detail call is made for each that needs it (every TaurusDB failure; a third of the others,
generated without a reason); the other watched services a few (SMN and OBS cells page through TaurusDB). RDS
is opt-in, so only RDS's own cells watch it. The real handler runs FAULTY_RUNS times with the fault armed for
whole runs, then CLEAN_RUNS times without it. Runs are timer runs: the function's clock moves TIMER_PERIOD
between them (a lease a run left behind has expired by the next one), and a request still in flight when a
run ends (a "timeout" answer, which the emulator still carries out after its delay) lands before the next run
starts.

Every cell checks:
- each run returns a summary with an "outcome", raises nothing, does not end as "internal error", logs its
  summary line and stays inside its FunctionGraph budget (FakeContext);
- the state object, whenever one exists, parses and validates (taskwatch.state.document.State), and the
  last clean run ends "ok";
- over all runs, every failure the emulator holds is published exactly once (keys from every accepted SMN
  alert, listed or counted): lost = expected - published, duplicated = published more than once. A repeat
  whose earlier publication SMN accepted while that run could not know it (the publish answer was lost, or
  the run did not save its state afterwards) is the crash window the design documents (run.py): it has its
  own column and does not fail the cell.

Rows and columns that need a word:
- connection refused is per host (nothing answers, so there is no call to match): the cell points the
  function's endpoint for that host at a bound, non-listening port. A host's second call (TaurusDB, openGauss,
  DDS and RDS detail; obs.put) cannot be refused on its own, so those cells are n/a;
- the paging faults (empty page, total_count changing, repeated page) exist for list calls only;
- "obs.put(state)" fails only the PUT of the state object, once per faulty run, after the lease was taken
  and the alerts published: the documented crash window itself ("obs.put" fails every PUT, the lease first).

The cells run in parallel worker processes (each has its own environment, which the handler reads): the
whole matrix takes about a minute.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import socket
import sys
import time
import traceback
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "function") not in sys.path:
    sys.path.insert(0, str(ROOT / "function"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

STATE_KEY = "taskwatch/state.json"
STATE_PUT = "obs.put(state)"  # obs.put of the state object only, after the lease was taken and published
CALLS = ("taurusdb.list", "taurusdb.detail", "gaussdb.list", "gaussdb.detail", "dds.list", "dds.detail",
         "rds.list", "rds.detail", "smn.publish", "obs.get", "obs.put", STATE_PUT)
FAULTS = ("429", "500", "503", "timeout", "refused", "reset", "malformed_json", "truncated", "html200",
          "odd_error_400", "odd_error_500", "empty_page", "total_changes", "repeat_page")
FAULT_TITLES = {
    "429": "429 APIG.0308", "500": "500", "503": "503", "timeout": "read timeout", "refused": "connection refused",
    "reset": "connection reset", "malformed_json": "malformed JSON", "truncated": "truncated body",
    "html200": "HTML page, status 200", "odd_error_400": "400, error_code a list, error_msg an object",
    "odd_error_500": "500, error body of odd JSON shapes (nested, list, number, null, huge)",
    "empty_page": "empty page, total_count says more",
    "total_changes": "total_count changes between pages", "repeat_page": "page repeats the previous page",
}
PAGING_FAULTS = frozenset({"empty_page", "total_changes", "repeat_page"})
SERVICES = ("taurusdb", "gaussdb", "dds", "rds")
PAGE_SIZES = {"taurusdb": 50, "gaussdb": 100, "dds": 100, "rds": 50}  # the function's page sizes

FAULTY_RUNS = 2
CLEAN_RUNS = 2
TIMEOUT_DELAY = 2.5  # the emulator answers "timeout" requests after this ...
TIMEOUT_READ = "1"  # ... and the function's read timeout is this, in the faulty runs of the "timeout" cells
BUDGET_MS = 20_000  # FunctionGraph budget of every run (FakeContext)
TIMER_PERIOD = timedelta(minutes=5)  # the function's clock moves this much between runs (TimerClock)
FEW_FAILURES = 3  # generated failures of the services a cell does not page through

RUN_ENV = {
    "TASKWATCH_BACKFILL": "30d",  # a first run alerts on everything the task centers hold
    "TASKWATCH_MAX_MESSAGES_PER_RUN": "1000",
    "TASKWATCH_HTTP_TIMEOUT": "5",  # 1 s in the faulty runs of the "timeout" cells (TIMEOUT_READ)
    "TASKWATCH_THROTTLE_BACKOFF": "0.05-0.1",
    "TASKWATCH_RESERVE": "8",
    "TASKWATCH_CONCURRENCY": "10",
    # Failed listings only (no stuck detection): one listing per service, so the emulator's per-call page
    # memory makes "repeat_page" repeat a page of the same listing, and every cell is deterministic.
    "TASKWATCH_STUCK_AFTER": "0",
}
# RDS is opt-in (not a default service): only its own cells watch it, so every other cell runs as before.
DEFAULT_SERVICES = ("taurusdb", "gaussdb", "dds")


@dataclass(frozen=True)
class Cell:
    call: str
    fault: str

    @property
    def id(self) -> str:
        return f"{self.call}-{self.fault}"

    @property
    def host(self) -> str:
        return self.call.split(".")[0]

    @property
    def fault_call(self) -> str:
        """The emulator call name the fault matches."""
        return "obs.put" if self.call == STATE_PUT else self.call

    @property
    def watched(self) -> tuple[str, ...]:
        """TASKWATCH_SERVICES of this cell: the default services, plus RDS in RDS's own cells."""
        return SERVICES if self.host == "rds" else DEFAULT_SERVICES

    @property
    def paged_service(self) -> str:
        """The service whose failures span more than one page in this cell (TaurusDB: the cheapest)."""
        return self.host if self.host in SERVICES else "taurusdb"


def not_applicable(cell: Cell) -> str | None:
    """Why a cell is meaningless (shown as n/a), or None when it runs."""
    if cell.fault in PAGING_FAULTS and not cell.call.endswith(".list"):
        return "paging faults shape list answers only"
    if cell.fault == "refused" and cell.call in ("taurusdb.detail", "gaussdb.detail", "dds.detail", "rds.detail",
                                                 "obs.put", STATE_PUT):
        first = "obs.get" if cell.host == "obs" else cell.host + ".list"
        return f"connection refused is per host: see {first}"
    return None


def all_cells() -> list[Cell]:
    return [Cell(call, fault) for call in CALLS for fault in FAULTS]


def runnable_cells() -> list[Cell]:
    return [cell for cell in all_cells() if not_applicable(cell) is None]


@dataclass
class RunRecord:
    phase: str  # "faulty" or "clean"
    outcome: str | None
    seconds: float
    published: int = 0  # what the summary says SMN accepted
    accepted: int = 0  # what SMN actually recorded during the run
    state_written: bool = False
    state_ok: bool | None = None  # None: no state object yet
    state_error: str | None = None
    exception: str | None = None
    summary_logged: bool = False
    errors: list[str] = field(default_factory=list)


@dataclass
class CellResult:
    call: str
    fault: str
    runs: list[RunRecord] = field(default_factory=list)
    expected: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)  # repeats the design does not allow
    allowed_duplicates: list[str] = field(default_factory=list)  # repeats inside the documented window
    unexpected: list[str] = field(default_factory=list)  # alerted keys that are no failure
    problems: list[str] = field(default_factory=list)  # crashes, missing outcomes, corrupt state, overruns
    seconds: float = 0.0

    @property
    def faulty_outcomes(self) -> list[str]:
        return [str(r.outcome) for r in self.runs if r.phase == "faulty"]

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.problems or self.unexpected)


# ---- one cell ------------------------------------------------------------------------------------
def failure_counts(cell: Cell) -> dict[str, int]:
    """Generated failures per service: the cell's service gets more than one page of them (so paging faults
    bite and the detail call is made for every one), the others a few (each failure costs a detail call,
    and the matrix must stay fast)."""
    counts = dict.fromkeys(cell.watched, FEW_FAILURES)
    counts[cell.paged_service] = PAGE_SIZES[cell.paged_service] + 5
    return counts


def populate(emu: Any, counts: dict[str, int]) -> set[str]:
    """Seeds plus generated failures (and a little noise); returns the keys of every failure it holds."""
    now = emu.now()
    for service, count in counts.items():
        for n in range(count):
            created = now - timedelta(days=1 + n % 19, minutes=n)
            emu.add_task(service, name=f"Matrix{service.title()}Task", status="Failed", created=created,
                         ended=created + timedelta(minutes=3), instance_id=f"{service}-inst-{n % 7}",
                         instance_name=f"{service}-db-{n % 7}",
                         # every third without a reason: openGauss and DDS make the detail call only for
                         # those (sources.base.detail_wanted), so their detail faults bite too
                         fail_reason=None if n % 3 == 0 else f"matrix failure {n}")
        for n in range(5):
            created = now - timedelta(hours=2, minutes=n)
            emu.add_task(service, name="CompletedTask", status="Completed", created=created,
                         ended=created + timedelta(minutes=1), instance_id="ok-inst", instance_name="ok-db")
    return {f"{service}:{emu.project_id}:{task['id']}" for service in counts for task in emu.tasks(service)
            if task["status"] == "Failed"}


def published_alerts(messages: list[dict[str, Any]]) -> list[list[str]]:
    """The failure keys of every accepted alert message, in order (listed and counted ones)."""
    out = []
    for message in messages:
        structure = json.loads(message["body"]["message_structure"])
        doc = json.loads(structure["http"])
        if doc.get("kind") == "alert":
            listed = [t for t in doc["tasks"] + doc.get("more_tasks", []) if t.get("alert", "failed") == "failed"]
            out.append([t["dedup_key"] for t in listed] + list(doc.get("more_dedup_keys", [])))
    return out


class _Capture(logging.Handler):
    """Everything the taskwatch logger wrote in one run (after its secret filter)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _closed_port() -> socket.socket:
    """A bound, non-listening socket: connecting to its port is refused, and nobody else can take it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def _set_environment(values: dict[str, str]) -> None:
    for key in [k for k in os.environ if k.startswith(("TASKWATCH_", "CLOUD_SDK_", "RUNTIME_"))]:
        del os.environ[key]
    os.environ.update(values)


def run_cell(call: str, fault: str) -> CellResult:
    """Run one cell in this process (it sets os.environ: run cells in worker processes, or restore it)."""
    from index import handler
    from taskwatch.errors import StateError
    from taskwatch.logs import get_logger
    from taskwatch.state.document import State

    from tests.emulator import CloudEmulator, Fault
    from tests.fixtures import AK, BUCKET, PROJECT, REGION, SK, TOPIC, FakeContext, timer_event

    cell = Cell(call, fault)
    result = CellResult(call, fault)
    started = time.monotonic()
    saved_env = dict(os.environ)
    logger = get_logger()
    clock = TimerClock()
    # The function's own stdout handler writes into a buffer: the matrix output stays readable. (Assigned,
    # not setStream(): that flushes the old stream, which a test runner may have closed.)
    quiet = [h for h in logger.handlers if isinstance(h, logging.StreamHandler) and not isinstance(h, _Capture)]
    streams = [h.stream for h in quiet]
    for stream_handler in quiet:
        stream_handler.stream = io.StringIO()
    refused: socket.socket | None = None
    try:
        with CloudEmulator(ak=AK, sk=SK, project_id=PROJECT, region=REGION, topic_urns=[TOPIC],
                           buckets=[BUCKET]) as emu:
            expected = populate(emu, failure_counts(cell))
            result.expected = len(expected)
            base = {**emu.env(), "CLOUD_SDK_AK": AK, "CLOUD_SDK_SK": SK, "TASKWATCH_REGION": REGION,
                    "TASKWATCH_PROJECT_ID": PROJECT, "TASKWATCH_SMN_TOPIC_URN": TOPIC,
                    "TASKWATCH_STATE_URI": f"obs://{BUCKET}/{STATE_KEY}",
                    "TASKWATCH_SERVICES": ",".join(cell.watched), **RUN_ENV}
            refused = _closed_port() if fault == "refused" else None
            faulty_env = {**base, "TASKWATCH_HTTP_TIMEOUT": TIMEOUT_READ} if fault == "timeout" else dict(base)
            if refused is not None:
                faulty_env[f"TASKWATCH_ENDPOINT_{cell.host.upper()}"] = f"http://127.0.0.1:{refused.getsockname()[1]}"
            armed = None if refused is not None else Fault(call=cell.fault_call, kind=fault, times=None,
                                                           delay=TIMEOUT_DELAY)

            per_run_keys: list[list[list[str]]] = []  # per run: the key lists of the alerts SMN accepted in it
            seen_messages = 0
            for phase, count in (("faulty", FAULTY_RUNS), ("clean", CLEAN_RUNS)):
                if phase == "faulty" and armed is not None:
                    emu.faults.add(armed)
                if phase == "clean":
                    emu.faults.clear()
                    if refused is not None:
                        refused.close()  # the host answers again (at its real endpoint, in base)
                _set_environment(faulty_env if phase == "faulty" else base)
                for _ in range(count):
                    if phase == "faulty" and call == STATE_PUT:
                        # Only the state object's PUT fails: the run's first PUT (its lease) goes through.
                        emu.faults.clear()
                        emu.faults.add(Fault(call="obs.put", kind=fault, times=1, after=1, delay=TIMEOUT_DELAY))
                    record = _one_run(handler, FakeContext, timer_event, logger, phase, clock)
                    if phase == "faulty" and fault == "timeout" and cell.host in ("smn", "obs"):
                        time.sleep(TIMEOUT_DELAY + 0.3)  # a late publish or write lands before the next timer run
                    messages = emu.smn_messages
                    fresh = messages[seen_messages:]
                    seen_messages = len(messages)
                    record.accepted = len(fresh)
                    per_run_keys.append(published_alerts(fresh))
                    stored = emu.obs_objects.get((BUCKET, STATE_KEY))
                    if stored is not None:
                        try:
                            State.from_bytes(stored)
                            record.state_ok = True
                        except StateError as exc:
                            record.state_ok, record.state_error = False, str(exc)
                    result.runs.append(record)
            if emu.errors:
                result.problems.append(f"emulator bug: {emu.errors[0].strip().splitlines()[-1]}")
            _score(result, expected, per_run_keys)
            if (BUCKET, STATE_KEY) not in emu.obs_objects:
                result.problems.append("no state object after the clean runs")
    except Exception:  # a harness failure must show in the table, not kill the matrix
        result.problems.append("harness: " + traceback.format_exc().strip().splitlines()[-1])
    finally:
        if refused is not None:
            refused.close()
        for stream_handler, stream in zip(quiet, streams, strict=True):
            stream_handler.stream = stream
        clock.close()
        os.environ.clear()
        os.environ.update(saved_env)
    for number, run in enumerate(result.runs, 1):
        where = f"run {number} ({run.phase})"
        if run.exception:
            result.problems.append(f"{where} raised {run.exception}")
        elif any(e.startswith("internal error") for e in run.errors):
            result.problems.append(f"{where} crashed inside the handler: {run.errors[0][:200]}")
        elif not run.outcome:
            result.problems.append(f"{where} returned no outcome")
        elif not run.summary_logged:
            result.problems.append(f"{where} logged no summary line")
        if run.seconds * 1000 > BUDGET_MS:
            result.problems.append(f"{where} took {run.seconds:.1f}s, over its {BUDGET_MS / 1000:g}s budget")
        if run.state_ok is False:
            result.problems.append(f"{where} left an invalid state object: {run.state_error}")
    last = result.runs[-1] if result.runs else None
    if last is not None and last.outcome != "ok":
        result.problems.append(f"last clean run ended {last.outcome}: {'; '.join(last.errors)[:300]}")
    result.seconds = time.monotonic() - started
    return result


class TimerClock:
    """The function's clock during the matrix: real time plus one timer period per run already made.

    The handler's runs follow each other within seconds here, but a timer fires every few minutes: a lease
    left by a run (its term is the run's remaining time) has expired by the next timer run. Only the run's
    notion of now (taskwatch.run.utcnow) moves; signatures keep the real clock, as the services check it.
    """

    def __init__(self) -> None:
        import taskwatch.run as run_module

        if not callable(getattr(run_module, "utcnow", None)):
            raise RuntimeError("taskwatch.run.utcnow is gone: TimerClock must follow the function's clock")
        self._module = run_module
        self._real = run_module.utcnow
        self.runs = 0
        run_module.utcnow = self.now

    def now(self) -> Any:
        return self._real() + TIMER_PERIOD * self.runs

    def close(self) -> None:
        self._module.utcnow = self._real


def _one_run(handler: Any, context_class: Any, timer_event: Any, logger: logging.Logger, phase: str,
             clock: TimerClock) -> RunRecord:
    capture = _Capture()
    logger.addHandler(capture)
    started = time.monotonic()
    try:
        # The SDK logs connection errors through Python's last-resort handler (stderr): keep the table clean.
        with contextlib.redirect_stderr(io.StringIO()):
            summary = handler(timer_event(), context_class(budget_ms=BUDGET_MS))
        exception = None
    except BaseException as exc:  # what the platform would see as a crashed invocation
        summary, exception = {}, f"{type(exc).__name__}: {exc}"
        if type(exc).__name__ == "RunFailed":  # a failed run raises on purpose, after logging its summary
            summary, exception = getattr(exc, "summary", {}), None
    finally:
        logger.removeHandler(capture)
        clock.runs += 1
    seconds = time.monotonic() - started
    summary = summary if isinstance(summary, dict) else {}
    return RunRecord(
        phase=phase, outcome=summary.get("outcome"), seconds=round(seconds, 2),
        published=int(summary.get("messages_published") or 0),
        state_written=bool((summary.get("state") or {}).get("written")), exception=exception,
        summary_logged=any('"taskwatch_summary"' in line for line in capture.lines),
        errors=[str(e)[:300] for e in summary.get("errors", [])][:5],
    )


def _score(result: CellResult, expected: set[str], per_run_keys: list[list[list[str]]]) -> None:
    """Lost, duplicated, and duplicates inside the documented window (see the module docstring)."""
    runs_of: dict[str, list[int]] = {}
    counts: Counter[str] = Counter()
    for index, alerts in enumerate(per_run_keys):
        for keys in alerts:
            for key in keys:
                counts[key] += 1
                runs_of.setdefault(key, []).append(index)
    # A run could not know SMN accepted something when SMN recorded more than the run counted, or when
    # the run published and then did not save its state.
    unconfirmed = set()
    for index, run in enumerate(result.runs):
        if run.accepted > run.published or (run.accepted and not run.state_written):
            unconfirmed.add(index)
    result.lost = sorted(expected - set(counts))
    result.unexpected = sorted(set(counts) - expected)
    for key, number in sorted(counts.items()):
        if number <= 1:
            continue
        runs = runs_of[key]
        explained = all(earlier in unconfirmed for earlier in runs[:-1])
        (result.allowed_duplicates if explained else result.duplicated).append(key)


# ---- the whole matrix ----------------------------------------------------------------------------
def run_matrix(cells: list[Cell] | None = None, workers: int | None = None) -> dict[str, CellResult]:
    """Run the cells in parallel worker processes; returns results by cell id."""
    cells = runnable_cells() if cells is None else cells
    workers = workers or int(os.environ.get("FAULTS_WORKERS", "16"))
    # Slow cells first, so the pool does not end on a long tail.
    order = sorted(cells, key=lambda c: (c.call.endswith(".detail") or c.fault == "timeout"), reverse=True)
    results: dict[str, CellResult] = {}
    with ProcessPoolExecutor(max_workers=min(workers, len(order)) or 1, mp_context=get_context("spawn")) as pool:
        futures = {cell.id: pool.submit(run_cell, cell.call, cell.fault) for cell in order}
        for cell in cells:
            results[cell.id] = futures[cell.id].result()
    return results


def _short(outcomes: list[str]) -> str:
    return ", ".join(outcomes) if len(set(outcomes)) > 1 else (outcomes[0] if outcomes else "")


def render(results: dict[str, CellResult], elapsed: float | None = None) -> str:
    """The matrix as markdown: one row per call x fault."""
    lines = [
        "| call | fault | outcome of the faulty runs | clean runs | lost | duplicated "
        "| allowed duplicate (documented crash window) | problems |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for cell in all_cells():
        reason = not_applicable(cell)
        title = FAULT_TITLES[cell.fault]
        if reason is not None:
            lines.append(f"| {cell.call} | {title} | n/a ({reason}) | | | | | |")
            continue
        result = results.get(cell.id)
        if result is None:
            lines.append(f"| {cell.call} | {title} | not run | | | | | |")
            continue
        clean = [str(r.outcome) for r in result.runs if r.phase == "clean"]
        problems = "; ".join(result.problems + ([f"unexpected alerts: {len(result.unexpected)}"]
                                                if result.unexpected else []))
        lines.append(
            f"| {cell.call} | {title} | {_short(result.faulty_outcomes)} | {_short(clean)} "
            f"| {len(result.lost)} | {len(result.duplicated)} "
            f"| {len(result.allowed_duplicates) or ''} | {problems.replace('|', '/')[:300]} |"
        )
    ran = [r for r in results.values()]
    failing = [r for r in ran if not r.ok]
    footer = [
        "",
        f"{len(ran)} cells run, {sum(1 for c in all_cells() if not_applicable(c))} n/a; "
        f"{FAULTY_RUNS} runs with the fault, then {CLEAN_RUNS} without; "
        f"{len(failing)} cell(s) lost, duplicated or misbehaved."
        + (f" Matrix time {elapsed:.0f} s." if elapsed is not None else ""),
        "Outcomes are the handler's summary outcome per faulty run (ok, degraded, failed, skipped). "
        "Lost and duplicated count failure alerts over all runs; an allowed duplicate is a failure SMN "
        "accepted while the run could not know it (publish answer lost, or state not saved afterwards), "
        "which the next run repeats with the same dedup key.",
    ]
    return "\n".join(lines + footer) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    started = time.monotonic()
    results = run_matrix()
    elapsed = time.monotonic() - started
    table = render(results, elapsed)
    out = ROOT / "build" / "faults"
    out.mkdir(parents=True, exist_ok=True)
    (out / "matrix.md").write_text(render(results), encoding="utf-8")  # no timing: the README includes it
    if "--json" in argv:
        (out / "matrix.json").write_text(json.dumps({k: asdict(v) for k, v in results.items()}, indent=1),
                                         encoding="utf-8")
    print(table)
    bad = [r for r in results.values() if r.lost or r.duplicated]
    for result in results.values():
        if not result.ok:
            print(f"- {result.call} / {result.fault}: lost {len(result.lost)}, duplicated {len(result.duplicated)}"
                  + (f"; {'; '.join(result.problems)}" if result.problems else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
