"""Deterministic synthetic tasks with realistic names and ids per service.

Why: paging, volume and benchmark tests need many tasks that look like the real ones (TaurusDB instance
ids end in07, openGauss in14, DDS in02, RDS in01; names from the SDKs' documented task names) and that are the
same on every run for the same seed and now().
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Flavour:
    names: tuple[str, ...]
    instance_suffix: str
    instance_prefix: str


FLAVOURS = {
    "taurusdb": Flavour(
        names=(
            "CreateGaussDBforMySQLInstance",
            "RestoreGaussDBforMySQLNewInstance",
            "AddGaussDBforMySQLNodes",
            "DeleteGaussDBforMySQLNode",
            "RebootGaussDBforMySQLInstance",
            "ModifyGaussDBforMySQLPort",
            "ResizeGaussDBforMySQLFlavor",
            "GaussDBforMySQLBindEIP",
            "UpgradeGaussDBforMySQLDatabaseVersion",
            "EnlargeGaussDBforMySQLProxy",
        ),
        instance_suffix="in07",
        instance_prefix="taurus",
    ),
    "gaussdb": Flavour(
        names=(
            "CreateGaussDBV5Instance",
            "DeleteGaussDBV5Instance",
            "RestoreGaussDBV5Instance",
            "ResizeGaussDBV5Flavor",
            "EnlargeGaussDBV5Volume",
            "RestartGaussDBV5Instance",
            "UpgradeGaussDBV5Version",
        ),
        instance_suffix="in14",
        instance_prefix="gauss",
    ),
    "dds": Flavour(
        names=(
            "CreateMongoDB",
            "CreateMongoDBReplica",
            "EnlargeMongoDBVolume",
            "ResizeMongoDBInstance",
            "RestartInstance",
            "SwitchPrimary",
            "ModifySecurityGroup",
            "BindPublicIP",
            "RestoreMongoDB_Replica",
            "MongodbSnapshotBackup",
        ),
        instance_suffix="in02",
        instance_prefix="dds",
    ),
    # RDS task names from its API reference's examples; instance ids of RDS for MySQL end in01.
    "rds": Flavour(
        names=(
            "CreateMysqlSingleHAInstance",
            "CreateMysqlReplicaInstance",
            "RestartMysqlInstance",
            "MysqlBindEIP",
            "RestoreSqlserverInInstance",
        ),
        instance_suffix="in01",
        instance_prefix="rds",
    ),
}

FAIL_REASONS = (
    "Failed to upgrade the DB Agent.",
    "500000",
    "Insufficient resources in the selected AZ.",
    "The instance status is abnormal.",
    "Failed to create the backup.",
    "Operation timed out.",
    "DBS.280005",
)
_WORDS = ("prod", "sh", "wcc", "lt-m", "zzh", "bj", "test", "orders", "billing", "crm")


def generate_tasks(
    service: str,
    count: int,
    now: datetime,
    failure_rate: float,
    running_rate: float,
    seed: int,
    span: timedelta,
) -> list[dict[str, Any]]:
    """Canonical field dicts for add_task, newest first; created times spread over `span` before now."""
    if count < 0:
        raise ValueError("count must be >= 0")
    flavour = FLAVOURS[service]
    rng = random.Random(f"{service}:{seed}")
    instances = []
    for _ in range(max(1, min(50, count // 20))):
        instance_id = uuid.UUID(int=rng.getrandbits(128)).hex + flavour.instance_suffix
        name = f"{flavour.instance_prefix}-{rng.getrandbits(16):04x}-{rng.choice(_WORDS)}"
        instances.append((instance_id, name))
    span_seconds = max(int(span.total_seconds()), 1)
    tasks = []
    for _ in range(count):
        created = now - timedelta(seconds=rng.randint(1, span_seconds))
        roll = rng.random()
        instance_id, instance_name = rng.choice(instances)
        fields: dict[str, Any] = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "name": rng.choice(flavour.names),
            "created": created,
            "instance_id": instance_id,
            "instance_name": instance_name,
        }
        if roll < failure_rate:
            fields.update(status="Failed", fail_reason=rng.choice(FAIL_REASONS), progress="")
            fields["ended"] = min(created + timedelta(seconds=rng.randint(20, 3600)), now)
        elif roll < failure_rate + running_rate:
            fields.update(status="Running", progress=f"{rng.randint(1, 99)}%", ended=None)
        else:
            fields.update(status="Completed", progress="")
            fields["ended"] = min(created + timedelta(seconds=rng.randint(20, 3600)), now)
        tasks.append(fields)
    tasks.sort(key=lambda t: t["created"], reverse=True)
    return tasks
