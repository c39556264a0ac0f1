"""Red team: a shard's first run on its own state object is a trigger that also narrows the services.

Every trigger selecting shard `a` uses the same object (state-a.json), whatever services its user_event
narrows to. The first of them to run after the upgrade starts that object from the shared one; the shard's
other services must come along, or the next trigger of the shard (all services) finds an object without
their notified failures and alerts them again.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta

from tests.conftest import STATE_KEY, alerted_keys, invoke
from tests.emulator import CloudEmulator, Fault
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


def test_two_triggers_of_one_shard_upgrading_at_once_send_a_pending_alert_once(emulator, env, monkeypatch) -> None:
    """The shard's dds-only and all-services timers fire together on the first run after the upgrade: both
    start from the shared object, which holds a pending alert of the shard's gaussdb; it is sent once."""
    emu = emulator
    monkeypatch.delenv("TASKWATCH_REGION")
    monkeypatch.delenv("TASKWATCH_PROJECT_ID")
    monkeypatch.setenv("TASKWATCH_TARGETS", json.dumps(
        [{"region": REGION, "project_id": PROJECT, "shard": "a"},
         {"region": REGION, "project_id": PROJECT_B, "shard": "b"}]))
    invoke()
    pending = failure(emu, PROJECT, "gaussdb")
    refused = emu.faults.add(Fault(call="smn.publish", kind="500", times=None))
    invoke()  # the new failure is pending in the shared object
    emu.faults.remove(refused)
    assert json.loads(emu.obs_objects[(BUCKET, STATE_KEY)])["tasks"][pending].get("alert")

    results: list[dict] = [{}, {}]
    barrier = threading.Barrier(2)

    def one(index: int, user_event: dict) -> None:
        barrier.wait()
        results[index] = invoke(user_event)

    threads = [threading.Thread(target=one, args=(0, {"shard": "a", "services": ["dds"]})),
               threading.Thread(target=one, args=(1, {"shard": "a"}))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert all(r.get("outcome") in ("ok", "degraded") for r in results), results
    invoke({"shard": "a"})
    assert alerted_keys(emu).count(pending) == 1, alerted_keys(emu)
