"""A state bucket with server-side encryption (SSE-KMS or SSE-OBS): its ETags are not the MD5 of the body.

OBS verifies the Content-MD5 every PUT carries (400 BadDigest on a mismatch), so a 200 means the body was
stored as sent; the ETag is only a version to compare.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from taskwatch.credentials import Credentials
from taskwatch.deadline import Deadline
from taskwatch.errors import StateError
from taskwatch.state.obs import ObsStore

from tests.conftest import STATE_KEY, alerted_keys, emulator_with, invoke, saved_state
from tests.emulator import Fault
from tests.fixtures import AK, BUCKET, SK


@pytest.mark.parametrize("encryption", ["kms", "obs"])
def test_an_encrypted_state_bucket_works_end_to_end(env, monkeypatch, encryption: str) -> None:
    with emulator_with(monkeypatch, obs_encryption=encryption) as emu:
        first = invoke()
        assert first["outcome"] == "ok", first
        assert len(alerted_keys(emu)) == 2  # the seed's openGauss and DDS failures
        state = saved_state(emu)
        assert all(entry.get("notified_at") for key, entry in state["tasks"].items() if key in alerted_keys(emu))
        puts = [r for r in emu.requests if r["call"] == "obs.put"]
        assert puts and all(r["status"] == 200 and r["content_md5"] for r in puts)  # the lease and the state

        emu.reset_records()
        second = invoke()
        assert second["outcome"] == "ok" and second["messages_published"] == 0, second
        assert alerted_keys(emu) == []
        assert emu.request_counts()["obs.put"] == 0  # nothing changed: the state is not rewritten
        stored = emu.objects.get(BUCKET, STATE_KEY)
        assert stored is not None and stored.etag.strip('"') != hashlib.md5(stored.data).hexdigest()


def _store(emu) -> ObsStore:
    return ObsStore(f"obs://{BUCKET}/{STATE_KEY}", Credentials(AK, SK), emu.endpoints["obs"], emu.region,
                    Deadline())


def test_the_put_sends_the_body_md5_and_returns_the_etag_obs_gave(env, monkeypatch) -> None:
    with emulator_with(monkeypatch, obs_encryption="kms") as emu:
        data = b'{"version": 1}'
        etag = _store(emu).put("probe.json", data)
        assert etag == emu.objects.get(BUCKET, "probe.json").etag
        record = [r for r in emu.requests if r["call"] == "obs.put"][-1]
        assert record["content_md5"] == base64.b64encode(hashlib.md5(data).digest()).decode()


def test_a_200_without_an_etag_is_not_counted_as_saved(env, monkeypatch) -> None:
    """OBS answers every stored PUT with the object's ETag, encrypted or not; a 200 without one (an HTML
    page from a proxy) is not OBS's answer, so the write is not trusted."""
    with emulator_with(monkeypatch) as emu:
        emu.faults.add(Fault(call="obs.put", kind="html200", times=1))
        with pytest.raises(StateError, match="without an ETag"):
            _store(emu).put("probe.json", b"{}")
