from __future__ import annotations

import json

from taskwatch.messages.http_json import SCHEMA, alert_document

from tests.messages.samples import PROJECT, alert, item


def test_document_carries_every_field_and_the_dedup_key() -> None:
    doc = alert_document(alert(item(entities={"resource_ids": ["a"]})))
    assert doc["schema"] == SCHEMA and doc["failed"] == 1 and doc["stuck"] == 0
    task = doc["tasks"][0]
    assert task == {
        "dedup_key": f"gaussdb:{PROJECT}:job-1", "alert": "failed", "service": "gaussdb",
        "region": "ap-southeast-1", "project_id": PROJECT, "task_id": "job-1", "task_name": "CreateGaussDBV5Instance",
        "status": "Failed", "instance_id": "ce2dce50f365430abe161bab79495a6ein14", "instance_name": "gauss-6568-zzh",
        "created": "2022-08-05T00:15:07Z", "ended": "2022-08-08T19:06:52Z", "fail_reason": "500000",
        "entities": {"resource_ids": ["a"]}, "schema_errors": [],
    }
    assert doc["console_url"].startswith("https://")
    json.dumps(doc)


def test_overflow_keys_are_listed_for_machines() -> None:
    doc = alert_document(alert(item(1), overflow=(item(2), item(3, name="Backup"))))
    assert [t["task_id"] for t in doc["tasks"]] == ["job-1"]
    assert doc["more"] == [{"task_name": "CreateGaussDBV5Instance", "count": 1}, {"task_name": "Backup", "count": 1}]
    assert doc["more_tasks"] == [{"dedup_key": f"gaussdb:{PROJECT}:job-2", "alert": "failed", "task_id": "job-2"},
                                 {"dedup_key": f"gaussdb:{PROJECT}:job-3", "alert": "failed", "task_id": "job-3"}]
