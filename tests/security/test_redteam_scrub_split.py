"""The cleaner must not put back together a secret the scrubber could not see: a secret broken up by
characters that clean() drops (a zero-width space, a bidirectional mark, an ANSI escape, a NUL, U+2028) is
not a known form while it is broken, and is whole once those characters are gone. Planted in a task's
fail_reason, entities and name, it must reach no output."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from taskwatch.sanitize import clean, one_line
from taskwatch.secrets_scrub import SCRUBBER

from tests.conftest import emulator_with
from tests.emulator import CloudEmulator
from tests.fixtures import AK, SK, TOKEN
from tests.security.scan import Runs, everything, leaks

BREAKERS = ["\u200b", "\u200e", "\u202e", "\u2028", "\x1b[0m", "\x00", "\x7f", "\ufeff"]


def broken(secret: str, breaker: str) -> str:
    """The secret with `breaker` after every 5th character."""
    return breaker.join(secret[i:i + 5] for i in range(0, len(secret), 5))


@pytest.mark.parametrize("breaker", BREAKERS, ids=[f"U+{ord(b[0]):04X}" for b in BREAKERS])
def test_clean_never_reassembles_a_known_secret(breaker: str) -> None:
    SCRUBBER.register(AK, SK, TOKEN)
    for secret in (AK, SK, TOKEN):
        text = f"reason: {broken(secret, breaker)} at the end {broken(secret[:7], breaker)}"
        for output in (clean(text), one_line(text, 2000)):
            assert secret[:8] not in output and secret[5:15] not in output, output


@pytest.fixture
def cloud(env, monkeypatch) -> Iterator[CloudEmulator]:
    with emulator_with(monkeypatch, security_token=TOKEN) as emu:
        monkeypatch.delenv("CLOUD_SDK_AK")
        monkeypatch.delenv("CLOUD_SDK_SK")
        monkeypatch.setenv("TASKWATCH_BACKFILL", "30d")
        created = emu.now() - timedelta(hours=3)
        text = " | ".join(broken(secret, breaker) for breaker in BREAKERS for secret in (AK, SK, TOKEN))
        emu.add_task("dds", name=f"Restore {broken(AK, chr(0x200b))}", status="Failed", created=created,
                     ended=created + timedelta(minutes=2), instance_id="i-planted", instance_name="db-1",
                     fail_reason=text, entities={"echo": text})
        yield emu


def test_a_broken_up_secret_in_task_fields_reaches_no_output(cloud: CloudEmulator, capfd) -> None:
    runs = Runs(cloud)
    runs.run()
    assert cloud.smn_messages, "the planted task must be published for the test to look at its texts"
    found = leaks(everything(runs, capfd))
    assert found == [], found
