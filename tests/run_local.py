"""`make run`: the main job from a fresh clone.

With cloud credentials (CLOUD_SDK_AK, CLOUD_SDK_SK) and a target (TASKWATCH_REGION or TASKWATCH_TARGETS) in
the environment, it runs one invocation of the handler locally against the cloud. A real account is not a
playground: it first prints what it will touch (projects, regions, topic, state, overridden endpoints), and
it runs as a dry run (queries and decides, publishes nothing, writes no state) unless TASKWATCH_DRY_RUN is set
explicitly (TASKWATCH_DRY_RUN=0 publishes and saves). Without them it starts the local cloud emulator, runs
the handler twice with a timer event, shows the SMN messages the first run published and that the second
published nothing, and stops the emulator.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "function"))

from index import handler
from taskwatch.config import load_config
from taskwatch.credentials import resolve_credentials
from taskwatch.errors import RunFailed, TaskwatchError
from taskwatch.secrets_scrub import SCRUBBER

from tests.emulator import CloudEmulator
from tests.fixtures import AK, BUCKET, PROJECT, REGION, SK, TOPIC, FakeContext, timer_event


def invoke(context: FakeContext | None) -> dict:
    """One invocation; a failed run raises RunFailed (FunctionGraph counts an error): show it, keep going."""
    try:
        return handler(timer_event(), context)
    except RunFailed as failed:
        print(f"The handler raised RunFailed (FunctionGraph would count an error): {failed}")
        return failed.summary


def banner(environ: dict[str, str]) -> str:
    """What a run with this environment will touch, read by the function's own configuration loader; scrubbed
    like the run's own output (a secret pasted into a configuration value is not echoed)."""
    with contextlib.suppress(TaskwatchError):
        resolve_credentials(None, environ)  # registers the secrets with the scrubber
    return SCRUBBER(_banner_text(environ))


def _banner_text(environ: dict[str, str]) -> str:
    try:
        config = load_config(environ)
    except TaskwatchError as exc:
        return f"Configuration: {exc} (the run below stops on it)"
    projects = sorted({t.project_id for t in config.targets})
    regions = sorted({t.region for t in config.targets})
    overridden = {name: url for name, url in config.endpoints.items() if url}
    mode = ("DRY RUN: queries and decides; publishes nothing and writes no state (TASKWATCH_DRY_RUN=0 to publish "
            "and save)" if config.dry_run else "LIVE: publishes to the topic and writes the state")
    lines = [f"Account (project): {', '.join(projects)}", f"Regions: {', '.join(regions)}",
             f"Services: {', '.join(sorted({s for t in config.targets for s in t.services}))}",
             f"Topic: {config.topic_urn or '(none)'}", f"State: {config.state_uri}",
             f"Endpoints overridden: {json.dumps(overridden) if overridden else 'none'}", f"Mode: {mode}"]
    return "\n".join(lines)


def against_cloud() -> int:
    print("Credentials and a target found in the environment: one invocation against the cloud.")
    if not os.environ.get("TASKWATCH_DRY_RUN", "").strip():
        os.environ["TASKWATCH_DRY_RUN"] = "1"  # only an explicit TASKWATCH_DRY_RUN=0 publishes and saves
    print(banner(dict(os.environ)) + "\n")
    summary = invoke(None)
    if "dry_run" not in summary:  # the run stopped (configuration, credentials, state store, a defect)
        reason = (summary.get("errors") or ["no reason given"])[0]
        print(f"\nOutcome {summary.get('outcome')}: the run stopped: {reason}")
    elif summary.get("dry_run"):
        print(f"\nOutcome {summary.get('outcome')}: {summary.get('messages_would_publish', 0)} message(s) would have "
              "been published; nothing was published or saved.")
    else:
        print(f"\nOutcome {summary.get('outcome')}: {summary.get('messages_published', 0)} message(s) published, "
              f"state written: {summary.get('state', {}).get('written')}.")
    return 0 if summary.get("outcome") in ("ok", "degraded") else 1


def against_emulator() -> int:
    print("No cloud credentials in the environment: running against the local cloud emulator.\n")
    with CloudEmulator(ak=AK, sk=SK, project_id=PROJECT, region=REGION, topic_urns=[TOPIC], buckets=[BUCKET]) as emu, \
            tempfile.TemporaryDirectory(prefix="taskwatch-run-") as scratch:
        os.environ.update(emu.env())
        os.environ.update({
            "CLOUD_SDK_AK": AK, "CLOUD_SDK_SK": SK, "TASKWATCH_REGION": REGION, "TASKWATCH_PROJECT_ID": PROJECT,
            "TASKWATCH_SMN_TOPIC_URN": TOPIC, "TASKWATCH_STATE_URI": f"obs://{BUCKET}/taskwatch/state.json",
        })
        print(f"Emulator: {json.dumps(emu.endpoints)}\nState: obs://{BUCKET}/taskwatch/state.json "
              f"(scratch {scratch})\n")
        print("=== run 1 ===")
        first = invoke(FakeContext(budget_ms=120_000))
        published = list(emu.smn_messages)
        print(f"\nRun 1 published {len(published)} message(s) to SMN:")
        for number, message in enumerate(published, 1):
            body = message["body"]
            structure = json.loads(body["message_structure"])
            print(f"\n--- message {number}: {body['subject']}")
            print(structure["email"])
            print(f"--- SMS: {structure['sms']}")
        print("\n=== run 2 ===")
        second = invoke(FakeContext(budget_ms=120_000))
        new = len(emu.smn_messages) - len(published)
        print(f"\nRun 2 published {new} new message(s): {'nothing new, as expected' if new == 0 else 'UNEXPECTED'}")
        state = emu.obs_objects.get((BUCKET, "taskwatch/state.json"), b"")
        print(f"State object: {len(state)} bytes, {len(json.loads(state)['tasks']) if state else 0} task(s) remembered")
        ok = first.get("outcome") != "failed" and second.get("outcome") != "failed" and new == 0 and published
        return 0 if ok else 1


def main() -> int:
    has_credentials = os.environ.get("CLOUD_SDK_AK") and os.environ.get("CLOUD_SDK_SK")
    has_target = os.environ.get("TASKWATCH_REGION") or os.environ.get("TASKWATCH_TARGETS")
    return against_cloud() if has_credentials and has_target else against_emulator()


if __name__ == "__main__":
    sys.exit(main())
