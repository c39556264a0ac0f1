"""Deploy's layer upload never follows a redirect: requests would repeat a 307/308 PUT, body and
x-obs-security-token included, at whatever host Location names (it drops only Authorization). A real
listener stands in for that host and must receive nothing; the redirect is an upload error."""

from __future__ import annotations

import pytest

from tests.emulator import CloudEmulator, Fault
from tests.fixtures import AK, BUCKET, PROJECT, REGION, SK, TOKEN, TOPIC
from tests.ship.conftest import load_tool

from .listener import foreign_host

obs_upload = load_tool("deploy").obs_upload


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirected_layer_upload_sends_nothing_to_the_other_host(status: int) -> None:
    with CloudEmulator(ak=AK, sk=SK, project_id=PROJECT, region=REGION, topic_urns=[TOPIC], buckets=[BUCKET],
                       security_token=TOKEN) as emu, foreign_host() as attacker:
        location = f"http://{attacker.host}:{attacker.port}/{BUCKET}/taskwatch/deploy/layer.zip"
        emu.faults.add(Fault(call="obs.put", kind="answer", status=status, headers=(("Location", location),)))
        with pytest.raises(obs_upload.ObsUploadError, match=f"HTTP {status}"):
            obs_upload.put_object(emu.endpoints["obs"], REGION, BUCKET, "taskwatch/deploy/layer.zip",
                                  b"layer bytes", AK, SK, TOKEN, timeout=5)
        assert attacker.connections == [], attacker.connections[0][:300]
