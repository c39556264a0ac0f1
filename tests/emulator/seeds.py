"""The documents' example tasks, rebased to just before now().

Why: the examples are the ground truth of field shapes, but their dates (2018-2022) are older than the
task centers' one-month retention, so as-is they would never be listed. Each loaded example task is
shifted as a whole so its newest time lands 5-10 minutes before now() (the first task 5 minutes, the
next 6, ...), which preserves its durations; each time keeps the numeric offset it was written with
(TaurusDB's example has created +0800 but ended +0000).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .timefmt import offset_of, parse_offset_time

SEED_FILE = Path(__file__).with_name("seed_examples.json")
FIRST_LAG = timedelta(minutes=5)
STEP = timedelta(minutes=1)


@dataclass
class SeedTask:
    """One example task as canonical fields, plus how to render it like the document did."""

    service: str
    source: str
    fields: dict[str, Any]
    offsets: dict[str, timedelta] = field(default_factory=dict)
    omit: frozenset[str] = frozenset()


def load_examples(path: Path = SEED_FILE) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text(encoding="utf-8"))["examples"])


def _from_detail(service: str, source: str, job: dict[str, Any]) -> SeedTask:
    progress_key = "process" if service == "taurusdb" else "progress"
    fields = {
        "id": job["id"],
        "name": job["name"],
        "status": job["status"],
        "progress": job.get(progress_key, ""),
        "instance_id": job["instance"]["id"],
        "instance_name": job["instance"]["name"],
        "fail_reason": job.get("fail_reason"),
        "entities": job.get("entities"),
    }
    times = {"created": job["created"], "ended": job.get("ended")}
    omit = frozenset({"fail_reason"}) if "fail_reason" not in job else frozenset()
    return _with_times(SeedTask(service, source, fields, omit=omit), times)


def _from_opengauss_item(source: str, item: dict[str, Any]) -> SeedTask:
    info = item["instance_info"]
    fields = {
        "id": item["job_id"],
        "name": item["name"],
        "status": item["status"],
        "progress": item.get("process", ""),
        "instance_id": info["instance_id"],
        "instance_name": info["instance_name"],
        "instance_status": info.get("instance_status"),
        "fail_reason": item.get("fail_reason"),
    }
    times = {"created": item["created_at"], "ended": item.get("ended_at")}
    return _with_times(SeedTask("gaussdb", source, fields), times)


def _with_times(task: SeedTask, times: dict[str, str | None]) -> SeedTask:
    for name, text in times.items():
        if text is None:
            task.fields[name] = None
            continue
        task.fields[name] = parse_offset_time(text)
        task.offsets[name] = offset_of(text)
    return task


def seed_tasks(examples: list[dict[str, Any]] | None = None) -> list[SeedTask]:
    """The loadable example tasks, with their original (unrebased) times."""
    tasks: list[SeedTask] = []
    for example in examples if examples is not None else load_examples():
        if not example.get("load"):
            continue
        service, source, response = example["service"], example["source"], example["response"]
        if example["kind"] == "detail":
            tasks.append(_from_detail(service, source, response["job"]))
        elif service == "gaussdb":
            tasks.extend(_from_opengauss_item(source, item) for item in response["tasks"])
        else:
            raise ValueError(f"no loader for {service} {example['kind']} examples")
    return tasks


def rebase(tasks: list[SeedTask], now: datetime) -> list[SeedTask]:
    """Shift each task so its newest time is 5, 6, 7... minutes before now (durations preserved)."""
    for index, task in enumerate(tasks):
        times = [t for t in (task.fields.get("created"), task.fields.get("ended")) if t is not None]
        target = now - FIRST_LAG - STEP * index
        shift = target - max(times)
        for name in ("created", "ended"):
            if task.fields.get(name) is not None:
                task.fields[name] = task.fields[name] + shift
    return tasks
