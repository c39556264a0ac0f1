"""Shared by the guarantee tests: one failed task added to the emulator's task center, by its dedup key."""

from __future__ import annotations

from datetime import timedelta

from tests.fixtures import PROJECT


def add_failure(emulator, service: str = "dds", age: timedelta = timedelta(minutes=20), **fields) -> str:
    created = emulator.now() - age
    values = dict(name="Create_MongoDB", status="Failed", created=created, ended=created + timedelta(minutes=2),
                  instance_id="inst-1", instance_name="db-1", fail_reason="no capacity")
    values.update(fields)
    return f"{service}:{PROJECT}:" + emulator.add_task(service, **values)
