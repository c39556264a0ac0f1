"""`make state`, `make state-forget`, `make state-reset` (layers/state_tool.py) on the emulator's OBS and on a
file, through the real handler before and after, and against a run that holds the lease at the same time."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import STATE_KEY, alerted_keys, invoke
from tests.emulator import CloudEmulator
from tests.emulator.faults import Fault
from tests.fixtures import BUCKET

LAYERS = Path(__file__).resolve().parents[1] / "layers"
EXAMPLE_FAILURES = 2  # the emulator's seeded examples: one GaussDB and one DDS failure


@pytest.fixture(scope="module")
def tool() -> Any:
    spec = importlib.util.spec_from_file_location("taskwatch_state_tool", LAYERS / "state_tool.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture(params=["obs", "file"])
def where(request: pytest.FixtureRequest, env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
          tmp_path: Path) -> str:
    """The state on the emulator's OBS (the env fixture's default) or in a local file."""
    if request.param == "file":
        monkeypatch.setenv("TASKWATCH_STATE_URI", f"file://{tmp_path}/state.json")
    return request.param


def backups(emulator: CloudEmulator, where: str, tmp_path: Path) -> list[str]:
    if where == "obs":
        return [key for _, key in emulator.obs_objects if ".reset-" in key]
    return [path.name for path in tmp_path.glob("*.reset-*")]


def stored(emulator: CloudEmulator, where: str, tmp_path: Path, suffix: str = "") -> bytes | None:
    if where == "obs":
        return emulator.obs_objects.get((BUCKET, STATE_KEY + suffix))
    path = tmp_path / f"state.json{suffix}"
    return path.read_bytes() if path.exists() else None


def call(tool: Any, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = tool.main(["--wait", "0", *argv], out=out)
    return code, out.getvalue()


def test_show_summarises_sources_counts_version_and_writer(tool, emulator, where, tmp_path) -> None:
    code, text = call(tool, "show")
    assert code == 0 and "no state object" in text
    first = invoke()
    code, text = call(tool, "show")
    assert code == 0, text
    assert f"written {first['started'][:10]}" in text and f"by {first['run_id']}" in text
    data = stored(emulator, where, tmp_path) or b""
    assert f"version {json.loads(data)['version']}, {len(data):,} bytes" in text
    assert f"tasks remembered: {EXAMPLE_FAILURES} (notified {EXAMPLE_FAILURES}" in text
    for source in ("gaussdb", "dds", "taurusdb"):
        assert f"/{source}: ok, last read completely {first['started'][:10]}" in text, text
    assert "pending alerts (0)" in text and "lease: " in text


def test_forget_makes_that_task_alert_again_on_the_next_run(tool, emulator, where, tmp_path) -> None:
    invoke()
    keys = alerted_keys(emulator)
    assert len(keys) == EXAMPLE_FAILURES
    assert invoke()["messages_published"] == 0  # remembered: nothing again
    forgotten = keys[0]
    code, text = call(tool, "forget", forgotten)
    assert code == 0 and forgotten in text, text
    assert forgotten not in json.loads(stored(emulator, where, tmp_path) or b"{}")["tasks"]
    again = invoke()
    assert again["baselined"] == 0 and again["new_failures"] == 1, again
    assert alerted_keys(emulator) == [*keys, forgotten]
    assert invoke()["messages_published"] == 0  # and once only


def test_forget_by_task_id_and_refusals(tool, emulator, where) -> None:
    code, text = call(tool, "forget", "anything")
    assert code == tool.EXIT_REFUSED and "no state" in text
    invoke()
    key = alerted_keys(emulator)[1]
    code, text = call(tool, "forget", "no-such-task")
    assert code == tool.EXIT_REFUSED and "no task no-such-task" in text
    code, text = call(tool, "forget", key.rsplit(":", 1)[1])
    assert code == 0 and key in text
    invoke()
    assert alerted_keys(emulator)[-1] == key


def test_reset_keeps_the_state_aside_and_the_next_run_takes_a_new_baseline(tool, emulator, where, tmp_path,
                                                                           monkeypatch) -> None:
    invoke()
    before = stored(emulator, where, tmp_path)
    assert before
    code, text = call(tool, "reset")
    assert code == 0 and "kept aside as" in text, text
    backup = text.split("kept aside as ")[1].split(" and removed")[0]
    suffix = backup[len(backup.split(".reset-")[0]):]
    assert suffix.startswith(".reset-") and stored(emulator, where, tmp_path, suffix) == before
    assert stored(emulator, where, tmp_path) is None
    assert backups(emulator, where, tmp_path) == [Path(backup).name if where == "file" else backup]
    monkeypatch.setenv("TASKWATCH_BACKFILL", "1s")  # the examples ended earlier: all of them baselined
    sent = len(emulator.smn_messages)
    after = invoke()
    assert after["baselined"] == EXAMPLE_FAILURES and after["new_failures"] == 0, after
    assert len(alerted_keys(emulator)) == EXAMPLE_FAILURES  # no alert repeated
    subjects = [m["body"]["subject"] for m in emulator.smn_messages[sent:]]
    assert len(subjects) == 1 and "baseline" in subjects[0], subjects


def test_a_running_function_holding_the_lease_makes_the_tool_refuse(tool, emulator, where, tmp_path) -> None:
    """The tool is called while a real run is publishing (it holds the lease): it refuses and changes nothing."""
    invoke()
    key = alerted_keys(emulator)[0]
    call(tool, "forget", key)  # so the next run has something to publish, and takes the lease
    before = stored(emulator, where, tmp_path)
    during: list[tuple[int, str]] = []

    def tool_while_publishing(api: str, _query: dict) -> None:
        if api == "smn.publish" and not during:
            during.append(call(tool, "forget", alerted_keys(emulator)[1]))
            during.append(call(tool, "reset"))

    emulator.before_answer = tool_while_publishing
    run = invoke()
    emulator.before_answer = None
    assert run["messages_published"] == 1 and run["outcome"] == "ok", run
    for code, text in during:
        assert code == tool.EXIT_REFUSED and "held by " in text and "Nothing was changed" in text, text
    saved = json.loads(stored(emulator, where, tmp_path) or b"{}")
    assert before and set(saved["tasks"]) == set(json.loads(before)["tasks"]) | {key}  # the run's save only
    assert backups(emulator, where, tmp_path) == []


def test_a_run_that_starts_while_the_tool_holds_the_lease_stands_aside(tool, emulator, where) -> None:
    invoke()
    key = alerted_keys(emulator)[0]
    call(tool, "forget", key)
    store = tool.open_state_store(tool.target_config(os.environ), os.environ)
    with tool.lease_held(store, wait=0):
        blocked = invoke()
    assert blocked["outcome"] == "skipped" and blocked["messages_published"] == 0, blocked
    assert "holds the lease" in blocked["skipped"] and "state-tool" in blocked["skipped"]
    assert invoke()["messages_published"] == 1  # released: the next run publishes it
    assert alerted_keys(emulator).count(key) == 2


def test_the_tool_waits_briefly_for_a_run_that_finishes(tool, emulator, where) -> None:
    """A lease held by a run for a short while: the tool waits for it instead of refusing."""
    invoke()
    env = os.environ
    store = tool.open_state_store(tool.target_config(env), env)
    taken = threading.Event()

    def hold() -> None:
        with tool.lease_held(store, wait=0):
            taken.set()
            time.sleep(1.5)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(10)
    started = time.monotonic()
    out = io.StringIO()
    code = tool.main(["--wait", "20", "forget", alerted_keys(emulator)[0]], out=out)
    waited = time.monotonic() - started
    holder.join(10)
    assert code == 0 and "forgotten" in out.getvalue(), out.getvalue()
    assert waited >= 1.0  # it waited for the holder rather than racing it


def test_a_shard_or_a_state_uri_picks_the_state_object(tool, emulator, env, monkeypatch, tmp_path) -> None:
    """SHARD= reads the state a timer naming that shard would use (the function's own narrowing decides it:
    the shard's own object);
    STATE= any state URI. A shard no target has is refused by the same rule a timer meets."""
    targets = [{"region": env["TASKWATCH_REGION"], "project_id": env["TASKWATCH_PROJECT_ID"], "shard": "asia"}]
    monkeypatch.setenv("TASKWATCH_TARGETS", json.dumps(targets))
    invoke({"shard": "asia"})
    code, text = call(tool, "--shard", "asia", "show")
    own = env["TASKWATCH_STATE_URI"].replace("state.json", "state-asia.json")  # the shard's own object
    assert code == 0 and f"state: {own}\n" in text and "tasks remembered: 2" in text, text
    code, text = call(tool, "--shard", "europe", "show")
    assert code == 1 and text.startswith("error: ") and "shard" in text, text
    other = f"file://{tmp_path}/other.json"
    code, text = call(tool, "--state", other, "show")
    assert code == 0 and f"state: {other}" in text and "no state object" in text, text



@pytest.mark.parametrize("nth_put", [1, 2])
def test_a_forget_is_not_undone_by_a_run_whose_save_was_in_flight(tool, emulator, env, nth_put) -> None:
    """A run with nothing to publish that still saves (a source failed: its health changed) has a PUT in
    flight when the tool works (held in the emulator until the tool is done, as a slow OBS answer would be).
    Whatever PUT of the run it is (its lease, or its save), a forget the tool reports done must stay done:
    the task alerts again; otherwise the tool refuses and changes nothing."""
    invoke()
    key = alerted_keys(emulator)[0]
    emulator.faults.add(Fault(call="taurusdb.list", kind="403", times=None))  # the run saves, publishes nothing
    puts: list[str] = []
    during: list[tuple[int, str]] = []

    def tool_while_the_run_writes(api: str, _query: dict) -> None:
        if api != "obs.put" or during:
            return
        puts.append(api)
        if len(puts) == nth_put:
            during.append(call(tool, "forget", key))

    emulator.before_answer = tool_while_the_run_writes
    run = invoke()
    emulator.before_answer = None
    emulator.faults.clear()
    assert run["outcome"] in ("ok", "degraded", "skipped") and during, run
    code, text = during[0]
    if code == 0:  # the tool said "forgotten": the task alerts again, in this run (it decided again) or the next
        if alerted_keys(emulator).count(key) < 2:
            invoke()
        assert alerted_keys(emulator).count(key) == 2, text
    else:
        assert code == tool.EXIT_REFUSED and "Nothing was changed" in text, text
        assert key in json.loads(emulator.obs_objects[(BUCKET, STATE_KEY)])["tasks"]


def test_reset_does_not_silently_drop_alerts_that_were_never_published(tool, emulator, env, monkeypatch) -> None:
    """Pending alerts (SMN refused them, the run retries them) are in the state only: a reset would hand them
    to a new baseline, which records failures older than TASKWATCH_BACKFILL without alerting. The tool refuses,
    naming them, and drops them only when told to (--drop-pending), saying how many."""
    emulator.faults.add(Fault(call="smn.publish", kind="500", times=None))
    invoke()
    emulator.faults.clear()
    pending = json.loads(emulator.obs_objects[(BUCKET, STATE_KEY)])["tasks"]
    assert pending and all(entry["alert"] == "failed" for entry in pending.values())
    code, text = call(tool, "reset")
    assert code == tool.EXIT_REFUSED and f"{len(pending)} alert(s) never published" in text, text
    assert all(key in text for key in pending) and "--drop-pending" in text, text
    assert (BUCKET, STATE_KEY) in emulator.obs_objects and backups(emulator, "obs", Path()) == []  # unchanged
    code, text = call(tool, "reset", "--drop-pending")
    assert code == 0 and "kept aside as" in text and f"{len(pending)} pending alert(s) dropped" in text, text
    assert (BUCKET, STATE_KEY) not in emulator.obs_objects


def test_a_state_written_by_a_newer_function_is_not_called_unreadable_nor_reset(tool, emulator, env) -> None:
    """The deployed function can be newer than the checkout the operator runs the tool from. A state in a
    format version this checkout cannot read is fine for the function: the tool says to update the checkout,
    never that the state is unreadable and a reset would help, and a reset does not discard it."""
    from taskwatch.state import document, migrations

    invoke()
    raw = json.loads(emulator.obs_objects[(BUCKET, STATE_KEY)])
    raw["version"] = migrations.VERSION + 2
    body = {k: v for k, v in raw.items() if k != "checksum"}
    raw["checksum"] = document._checksum(body)
    newer = json.dumps(raw).encode()
    emulator.obs_put_object(BUCKET, STATE_KEY, newer)
    for argv in (["show"], ["forget", "anything"], ["reset"]):
        code, text = call(tool, *argv)
        assert code == tool.EXIT_REFUSED, (argv, text)
        assert f"format version {migrations.VERSION + 2}" in text and "update this checkout" in text, (argv, text)
        assert "unreadable" not in text and "state-reset" not in text, (argv, text)
    assert emulator.obs_objects[(BUCKET, STATE_KEY)] == newer and backups(emulator, "obs", Path()) == []


def test_after_a_reset_every_shard_on_the_state_takes_its_baseline(tool, emulator, env, monkeypatch) -> None:
    """Shard triggers share one state. After a reset the first shard's run finds no state and baselines its
    sources; the next shard's run finds that state, and must baseline its own sources too rather than alert
    every failure its task centers still hold (a storm of repeats, up to a month of them)."""
    invoke()
    keys = alerted_keys(emulator)
    assert len(keys) == EXAMPLE_FAILURES
    code, text = call(tool, "reset")
    assert code == 0, text
    monkeypatch.setenv("TASKWATCH_BACKFILL", "1s")  # the examples ended earlier: a baseline records them all
    first = invoke({"services": "gaussdb"})
    second = invoke({"services": "dds"})
    assert first["baselined"] == 1 and second["baselined"] == 1, (first, second)
    assert alerted_keys(emulator) == keys  # no failure published again
    assert invoke()["messages_published"] == 0
