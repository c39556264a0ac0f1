"""The CPU pass itself, importing only the standard library and taskwatch, so the same code runs in the bench
process and, loaded by file path, in a fresh interpreter of the layer's runtime (child.py's "cpu" mode)."""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import datetime
from typing import Any

SERVICES = ("taurusdb", "gaussdb", "dds")
REGION = "xx-test-1"
PROJECT = "0123456789abcdef0123456789abcdef"
TOPIC = f"urn:smn:{REGION}:{PROJECT}:taskwatch"


ITEMS = {"taurusdb": "jobs", "gaussdb": "tasks", "dds": "jobs"}


def run(data: dict[str, list[bytes]], now: datetime, repeats: int) -> dict[str, Any]:
    """Median seconds for every page of every service through parse, validate, normalise and decide, plus the
    parse and validate stages alone."""
    from taskwatch import decide
    from taskwatch.config import load_config
    from taskwatch.credentials import Credentials
    from taskwatch.deadline import Deadline
    from taskwatch.retry import RetryPolicy
    from taskwatch.sources import SPECS, Listing, TaskCenter
    from taskwatch.state.document import State
    from taskwatch.tasks import Target
    from taskwatch.validation import PageValidator

    config = load_config({"TASKWATCH_REGION": REGION, "TASKWATCH_PROJECT_ID": PROJECT,
                          "TASKWATCH_SMN_TOPIC_URN": TOPIC})
    target = Target(REGION, PROJECT)
    credentials = Credentials("BENCHAK0000000000001", "BENCHSK000000000000000000000000000000001")
    # An unused loopback URL: constructing a center builds the SDK client but sends nothing.
    centers = {s: TaskCenter(SPECS[s], target, "http://127.0.0.1:9", credentials, RetryPolicy(), Deadline(), 10)
               for s in SERVICES}

    def validators() -> dict[str, Any]:
        return {s: PageValidator(f"{s}_list", SPECS[s].items_key) for s in SERVICES}

    def full_pass() -> tuple[float, int, int]:
        schemas = validators()  # fresh: the verdict memo starts empty, as in a cold container
        state = State.new(now)
        started = time.thread_time()
        tasks = violations = 0
        for service in SERVICES:
            listing, seen = Listing(), set()
            for raw in data[service]:
                centers[service].absorb(json.loads(raw), listing, seen, schemas[service])
            decide.observe(state, listing.tasks, config, now)
            tasks += len(listing.tasks)
            violations += len(listing.violations)
        return time.thread_time() - started, tasks, violations

    def parse_only() -> float:
        started = time.thread_time()
        for service in SERVICES:
            for raw in data[service]:
                json.loads(raw)
        return time.thread_time() - started

    parsed = {s: [json.loads(raw) for raw in data[s]] for s in SERVICES}

    def validate_only() -> float:
        schemas = validators()
        started = time.thread_time()
        for service in SERVICES:
            for document in parsed[service]:
                schemas[service].check(document)
        return time.thread_time() - started

    def reference() -> float:
        """A fixed amount of plain interpreter work on the same records (parse, walk every field, build a
        small dict per record): the yardstick the pass is measured against, slowed by a busy machine as the
        pass is, so their ratio holds where a tasks-per-second figure does not."""
        started = time.thread_time()
        for service in SERVICES:
            for raw in data[service]:
                for item in json.loads(raw)[ITEMS[service]]:
                    {key: str(value).lower() for key, value in sorted(item.items())}
        return time.thread_time() - started

    full_pass()  # warm-up: schema compilation, first-use caches
    passes, references = [], []
    for _ in range(repeats):  # interleaved: each pass next to its yardstick, under the same load
        passes.append(full_pass())
        references.append(reference())
    return {"seconds": [p[0] for p in passes], "median_s": statistics.median(p[0] for p in passes),
            "tasks": passes[0][1], "violations": passes[0][2],
            "parse_s": statistics.median(parse_only() for _ in range(repeats)),
            "validate_s": statistics.median(validate_only() for _ in range(repeats)),
            "reference_s": statistics.median(references),
            "ratio": statistics.median(p[0] / r for p, r in zip(passes, references, strict=True)),
            "python": sys.version.split()[0]}
