"""The fault matrix as tests: one test per call x fault (see matrix.py for what a cell does and checks).

The cells the session selected run once, in parallel worker processes, the first time a cell test asks for
its result (a module-scoped fixture); each test then asserts its own cell. `-k smn` runs the SMN cells only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.matrix import (
    FAULT_TITLES,
    STATE_PUT,
    Cell,
    CellResult,
    all_cells,
    not_applicable,
    render,
    run_matrix,
    runnable_cells,
)

# Cells that showed a defect of the function, as strict xfails (all fixed so far; kept for the next one).
DEFECTS: dict[tuple[str, str], str] = {}

# Where SMN may accept a message while the run cannot know it (the documented crash window).
ALLOWED_WINDOW = {("smn.publish", "timeout"), ("smn.publish", "truncated")} | {
    (STATE_PUT, kind) for kind in FAULT_TITLES}


def _params() -> list:
    params = []
    for cell in all_cells():
        marks: list = []
        reason = not_applicable(cell)
        if reason is not None:
            marks.append(pytest.mark.skip(reason=f"n/a: {reason}"))
        elif (cell.call, cell.fault) in DEFECTS:
            marks.append(pytest.mark.xfail(strict=True, reason=DEFECTS[(cell.call, cell.fault)]))
        params.append(pytest.param(cell, id=cell.id, marks=marks))
    return params


@pytest.fixture(scope="module")
def matrix(request: pytest.FixtureRequest) -> dict[str, CellResult]:
    """Run every cell this session selected (not the n/a ones), in parallel, once."""
    wanted = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if item.module is request.module and callspec is not None and "cell" in callspec.params:
            cell = callspec.params["cell"]
            if not_applicable(cell) is None:
                wanted.append(cell)
    return run_matrix(wanted)


@pytest.mark.parametrize("cell", _params())
def test_cell(cell: Cell, matrix: dict[str, CellResult]) -> None:
    result = matrix[cell.id]
    runs = "\n".join(f"  {r.phase}: {r.outcome} in {r.seconds}s, published {r.published}, SMN accepted "
                     f"{r.accepted}, state written {r.state_written}; {r.errors[:2]}" for r in result.runs)
    assert not result.problems, f"{cell.id}: {result.problems}\n{runs}"
    assert result.runs and all(r.outcome in ("ok", "degraded", "failed", "skipped") for r in result.runs), runs
    assert not result.unexpected, f"alerts for tasks that are no failure: {result.unexpected[:5]}"
    assert not result.lost, f"{len(result.lost)} of {result.expected} failures never published\n{runs}"
    assert not result.duplicated, f"{len(result.duplicated)} failures published twice\n{runs}"
    if result.allowed_duplicates:
        assert (cell.call, cell.fault) in ALLOWED_WINDOW, (
            f"repeats explained by an unconfirmed publish where none was expected\n{runs}")


def test_every_cell_is_in_the_table_and_na_cells_say_why() -> None:
    table = render({})
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| call")]
    assert len(rows) == len(all_cells())
    assert sum("n/a (" in row for row in rows) == sum(1 for c in all_cells() if not_applicable(c))


def _columns(table: str) -> list[tuple[str, ...]]:
    """call, fault, lost, duplicated and allowed duplicates of every row (outcome words may vary with load)."""
    rows = []
    for line in table.splitlines():
        if line.startswith("| ") and not line.startswith("| call"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows.append((cells[0], cells[1], *cells[4:7]))
    return rows


def test_the_documented_table_lists_every_cell() -> None:
    """tests/faults/README.md (linked from the README) holds a row for every call x fault, in matrix order;
    its result columns are checked against a full run by the test below."""
    document = (Path(__file__).resolve().parent / "README.md").read_text(encoding="utf-8")
    section = document.split("<!-- fault-table:start -->")[1].split("<!-- fault-table:end -->")[0]
    assert [row[:2] for row in _columns(section)] == [row[:2] for row in _columns(render({}))]


def test_readme_failure_table_matches_the_matrix(matrix: dict[str, CellResult]) -> None:
    if len(matrix) < len(runnable_cells()):
        pytest.skip("only part of the matrix ran in this session")
    document = (Path(__file__).resolve().parent / "README.md").read_text(encoding="utf-8")
    section = document.split("<!-- fault-table:start -->")[1].split("<!-- fault-table:end -->")[0]
    stale = "tests/faults/README.md is stale: run `make faults` and `python -m tests.docs`"
    assert _columns(section) == _columns(render(matrix)), stale
