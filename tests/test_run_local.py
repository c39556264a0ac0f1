"""`make run` with cloud credentials in the environment (tests/run_local.py): it says what it will touch and,
unless TASKWATCH_DRY_RUN=0 is set explicitly, runs as a dry run. The emulator poses as the cloud (the
function's endpoints point at it, as an operator's overrides would), and its request log is the witness."""

from __future__ import annotations

import pytest

from tests import run_local
from tests.fixtures import BUCKET, PROJECT, REGION, SK, TOKEN, TOPIC

WRITES = ("smn.publish", "obs.put", "obs.delete")


def calls(emulator) -> list[str]:
    return [r["call"] for r in emulator.requests]


def test_credentials_without_dry_run_setting_publish_nothing_and_write_nothing(emulator, env, monkeypatch,
                                                                              capsys) -> None:
    monkeypatch.setenv("TASKWATCH_DRY_RUN", "")  # recorded, so the value run_local sets is undone afterwards
    monkeypatch.delenv("TASKWATCH_DRY_RUN")
    assert run_local.main() == 0
    out = capsys.readouterr().out
    for shown in (f"Account (project): {PROJECT}", f"Regions: {REGION}", f"Topic: {TOPIC}",
                  f"State: obs://{BUCKET}/", "Mode: DRY RUN", "TASKWATCH_DRY_RUN=0"):
        assert shown in out, out
    made = calls(emulator)
    assert {"taurusdb.list", "gaussdb.list", "dds.list", "obs.get"} <= set(made)  # it did query the "cloud"
    assert not [c for c in made if c in WRITES], made
    assert not emulator.smn_messages and not [k for k in emulator.obs_objects if k[0] == BUCKET]
    assert "Outcome ok: 2 message(s) would have been published" in out  # the dry run held them back


@pytest.mark.parametrize("value", ["1", "true"])
def test_an_explicit_dry_run_stays_a_dry_run(emulator, env, monkeypatch, capsys, value) -> None:
    monkeypatch.setenv("TASKWATCH_DRY_RUN", value)
    assert run_local.main() == 0
    assert "Mode: DRY RUN" in capsys.readouterr().out
    assert not [c for c in calls(emulator) if c in WRITES]


def test_only_an_explicit_zero_publishes_and_saves(emulator, env, monkeypatch, capsys) -> None:
    monkeypatch.setenv("TASKWATCH_DRY_RUN", "0")
    assert run_local.main() == 0
    out = capsys.readouterr().out
    assert "Mode: LIVE" in out and "2 message(s) published, state written: True" in out
    made = calls(emulator)
    assert made.count("smn.publish") == 2 and "obs.put" in made


def test_the_banner_shows_no_secret(emulator, env, monkeypatch, capsys) -> None:
    """The banner echoes configuration values the run's own logs scrub: a secret pasted into one of them (here
    the state key, and the security token given as CLOUD_SDK_SECURITY_TOKEN) is masked there too."""
    monkeypatch.setenv("CLOUD_SDK_SECURITY_TOKEN", TOKEN)
    monkeypatch.setenv("TASKWATCH_STATE_URI", f"obs://{BUCKET}/{SK}/{TOKEN}/state.json")
    monkeypatch.setenv("TASKWATCH_DRY_RUN", "1")
    run_local.main()
    out = capsys.readouterr().out
    assert f"State: obs://{BUCKET}/" in out and "Mode: DRY RUN" in out, out
    assert SK not in out and TOKEN not in out and SK[:8] not in out and TOKEN[:8] not in out, out
