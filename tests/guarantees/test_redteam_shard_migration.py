"""Red team: a shard's first run on its own state object is a trigger that also narrows the services.

Every trigger selecting shard `a` uses the same object (state-a.json), whatever services its user_event
narrows to. The first of them to run after the upgrade starts that object from the shared one; the shard's
other services must come along, or the next trigger of the shard (all services) finds an object without
their notified failures and alerts them again.
"""

from __future__ import annotations

import json
from datetime import timedelta

from tests.conftest import STATE_KEY, alerted_keys, invoke
from tests.emulator import CloudEmulator
from tests.fixtures import BUCKET, PROJECT, REGION

PROJECT_B = "00112233445566778899aabbccddeeff"
STATE_A = "taskwatch/state-a.json"


def failure(emu: CloudEmulator, project: str, service: str) -> str:
    created = emu.now() - timedelta(minutes=5)
    task_id = emu.add_task(service, project, name="Resize", status="Failed", created=created,
                           ended=created + timedelta(minutes=1), instance_id=f"i-{project[:4]}",
                           instance_name="db", fail_reason="no capacity")
    return f"{service}:{project}:{task_id}"


def test_a_narrowed_first_shard_run_takes_the_whole_shard_s_part_of_the_shared_state(emulator, env,
                                                                                      monkeypatch) -> None:
    emu = emulator
    monkeypatch.delenv("TASKWATCH_REGION")
    monkeypatch.delenv("TASKWATCH_PROJECT_ID")
    monkeypatch.setenv("TASKWATCH_TARGETS", json.dumps(
        [{"region": REGION, "project_id": PROJECT, "shard": "a"},
         {"region": REGION, "project_id": PROJECT_B, "shard": "b"}]))
    invoke()  # before the upgrade: one shared object
    notified = failure(emu, PROJECT, "taurusdb")
    invoke()
    assert alerted_keys(emu).count(notified) == 1
    assert notified in json.loads(emu.obs_objects[(BUCKET, STATE_KEY)])["tasks"]

    # The upgraded function: shard a's dds-only timer happens to run first, then its all-services timer.
    assert invoke({"shard": "a", "services": ["dds"]})["outcome"] in ("ok", "degraded")
    assert invoke({"shard": "a"})["outcome"] in ("ok", "degraded")
    keys = alerted_keys(emu)
    assert keys.count(notified) == 1, keys  # notified under the shared object: never again
    assert notified in json.loads(emu.obs_objects[(BUCKET, STATE_A)])["tasks"]
    sources = json.loads(emu.obs_objects[(BUCKET, STATE_A)])["sources"]
    assert f"{REGION}/{PROJECT}/taurusdb" in sources and f"{REGION}/{PROJECT_B}/dds" not in sources
