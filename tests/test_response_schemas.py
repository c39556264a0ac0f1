"""JSON Schemas of the raw task-center response bodies (function/taskwatch/schemas/*.schema.json).

Every documented example validates; each kind of bad record fails at the path the function reports
(e.g. ["jobs", 0, "status"]); unknown extra fields pass. No network.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

SCHEMA_DIR = Path(__file__).parents[1] / "function" / "taskwatch" / "schemas"

RESPONSE_SCHEMAS = (
    "taurusdb_list",
    "taurusdb_detail",
    "gaussdb_list",
    "gaussdb_detail",
    "dds_list",
    "dds_detail",
    "rds_list",
    "rds_detail",
    "error",
)
LIST_SCHEMAS = ("taurusdb_list", "gaussdb_list", "dds_list", "rds_list")
DETAIL_SCHEMAS = ("taurusdb_detail", "gaussdb_detail", "dds_detail", "rds_detail")


def load(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


def errors(name: str, document: Any) -> list[tuple[tuple[Any, ...], str]]:
    """(path, failed keyword) of every error, in a stable order."""
    validator = Draft202012Validator(load(name))
    found = [(tuple(error.absolute_path), str(error.validator)) for error in validator.iter_errors(document)]
    return sorted(found, key=repr)


def get_at(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


# --------------------------------------------------------------------------------------------------
# Examples copied from the seed documents (/work/shared/seeds), as printed there (only long lines are
# wrapped, which changes no JSON value).

# 000_2ae32961e8579e3a.txt: TaurusDB ShowGaussMySqlJobInfo, English, 2026.
SEED_000 = json.loads("""
{
  "job" : {
    "id" : "31b8ae23-c687-4d80-b7b4-42a66c9bb886",
    "name" : "CreateGaussDBforMySQLInstance",
    "status" : "Completed",
    "created" : "2018-08-06T10:41:14+0800",
    "ended" : "2018-08-06T16:41:14+0000",
    "process" : "",
    "instance" : {
      "id" : "a48e43ff268f4c0e879652d65e63d0fbin07",
      "name" : "DO-NOT-TOUCH-mgr2-mysql-single"
    },
    "entities" : {
      "instance" : {
        "endpoint" : "192.168.1.203:3306",
        "type" : "Cluster",
        "datastore" : {
          "type" : "gaussdb-mysql",
          "version" : "8.0"
        }
      },
      "resource_ids" : [ "a48e43ff268f4c0e879652d65e63d0fbin07.vm",
                         "a48e43ff268f4c0e879652d65e63d0fbin07.volume" ]
    }
  }
}
""")

# 002_d2b5c130f16ac11a.txt: the same page in Chinese.
SEED_002 = json.loads(
    '{ "job" : { "id" : "f9959f52-aa4d-43f7-be74-44b6fc20b239", "name" : "CreateGaussDBforMySQLInstance", '
    '"status" : "Completed", "created" : "2018-08-06T10:41:14+0800", "ended" : "2018-08-06T16:41:14+0000", '
    '"process" : "", "instance" : { "id" : "a48e43ff268f4c0e879652d65e63d0fbin07", '
    '"name" : "DO-NOT-TOUCH-mgr2-mysql-single" }, "entities" : { "instance" : { '
    '"endpoint" : "192.168.1.203:3306", "type" : "Cluster", "datastore" : { "type" : "gaussdb-mysql", '
    '"version" : "8.0" } }, "resource_ids" : [ "a48e43ff268f4c0e879652d65e63d0fbin07.vm", '
    '"a48e43ff268f4c0e879652d65e63d0fbin07.volume" ] } } }'
)

# 003_f647500b957a8881.txt: legacy GaussDB(for MySQL) page. The page prints one "}" too many after
# "entities": {} (the text is not valid JSON); it is left out here, nothing else is changed.
SEED_003 = json.loads("""
{
  "job": {
    "id": "31b8ae23-c687-4d80-b7b4-42a66c9bb886",
    "name": " RestartGaussDBInstance",
    "status": "Completed",
    "created": "2018-08-06T10:41:14+0000",
    "ended": "2018-08-06T16:41:14+0000",
    "process": "",
    "instance": {
      "id": "a48e43ff268f4c0e879652d65e63d0fbin01",
      "name": "DO-NOT-TOUCH-mgr2-gaussdb"
    },
    "entities": {}
  }
}
""")

# 001_e4d19febcb87d358.txt: DDS ShowJobDetail, its three examples.
SEED_001_COMPLETED = json.loads("""
{
  "job": {
    "id": "f85104b5-4a9c-4e0f-9505-fc5409d8f7ae",
    "name": "Create_MongoDB",
    "status": "Completed",
    "created": "2021-07-12T09:22:04+0000",
    "ended": "2021-07-12T10:10:13+0000",
    "progress": "",
    "instance": {
      "id": "d87f5b33049144ec95f0cab0a5f22cfbin02",
      "name": "dds-5ff4-sh"
    },
    "fail_reason": null
  }
}
""")
SEED_001_RUNNING = json.loads("""
{
  "job": {
    "id": "9d10bfd1-affb-49c3-b977-298950a8d6fa",
    "name": "Create_MongoDB",
    "status": "Running",
    "created": "2021-07-13T07:28:43+0000",
    "ended": "2021-07-13T07:28:53+0000",
    "progress": "9%",
    "instance": {
      "id": "cf538a2dd8ec4b26860b27060902712fin02",
      "name": "dds-3a98-wcc"
    },
    "fail_reason": null
  }
}
""")
SEED_001_FAILED = json.loads("""
{
  "job": {
    "id": "a03b1b8a-b756-467c-8a49-38720c3d23ec",
    "name": "Restore_MongoDB_Replica",
    "status": "Failed",
    "created": "2021-07-13T04:55:58+0000",
    "ended": "2021-07-13T05:20:04+0000",
    "progress": "",
    "instance": {
      "id": "7beb15d5db9c4742b7c817789244844ein02",
      "name": "lenn-v3-restore-4"
    },
"fail_reason": "Failed to upgrade the DB Agent."
  }
}
""")

# 004_d3ec0f6f6096153e.txt: GaussDB (openGauss) ListTasks.
SEED_004 = json.loads(
    '{ "tasks" : [ { "instance_info" : { "instance_id" : "ce2dce50f365430abe161bab79495a6ein14", '
    '"instance_name" : "gauss-6568-zzh", "instance_status" : "creating" }, '
    '"job_id" : "03bc055a-135c-4245-8bd8-b0bc6d3350b3", "name" : "CreateGaussDBV5Instance", '
    '"status" : "Failed", "process" : "", "created_at": "2022-08-05T08:15:07+0800", '
    '"ended_at": "2022-08-09T03:06:52+0800", "fail_reason" : "500000" }, { "instance_info" : { '
    '"instance_id" : "20ba433bd7ee40da9cf35064f04f9e4cin14", "instance_name" : "gauss-7875-lt-m", '
    '"instance_status" : "deleted" }, "job_id" : "2cc16e0b-75ab-4a28-9453-16517e990bba", '
    '"name" : "DeleteGaussDBV5Instance", "status" : "Completed", "process" : "", '
    '"created_at": "2022-08-06T09:15:07+0800", "ended_at": "2022-08-10T03:06:52+0800", '
    '"fail_reason" : null } ], "total_count" : 2 }'
)

# Error body: Tables 7/8 of seeds 000/002; values from TaurusDB "Abnormal Request Results".
ERROR_EXAMPLE = {"error_code": "DBS.280234", "error_msg": "Invalid DB instance name."}

# --------------------------------------------------------------------------------------------------
# No seed holds these APIs: bodies built from the documented fields (API-NOTES.md, SDK models 3.1.219).

# TaurusDB ListImmediateJobs (TaskDetailInfo): one item per documented status.
TAURUSDB_LIST = {
    "jobs": [
        {
            "instance_id": "a48e43ff268f4c0e879652d65e63d0fbin07",
            "instance_name": "DO-NOT-TOUCH-mgr2-mysql-single",
            "instance_status": "normal",
            "job_id": "31b8ae23-c687-4d80-b7b4-42a66c9bb886",
            "order_id": "",
            "job_name": "CreateGaussDBforMySQLInstance",
            "status": "Completed",
            "process": "",
            "created_time": "2018-08-06T10:41:14+0800",
            "ended_time": "2018-08-06T16:41:14+0000",
            "fail_reason": None,
            "show_detail": True,
            "extend_fields": None,
        },
        {
            "instance_id": "a48e43ff268f4c0e879652d65e63d0fbin07",
            "instance_name": "DO-NOT-TOUCH-mgr2-mysql-single",
            "instance_status": "abnormal",
            "job_id": "6b00c41d-d54f-4bcb-80da-566ccedc2b5d",
            "job_name": "RebootGaussDBforMySQLInstance",
            "status": "Failed",
            "process": "",
            "created_time": "2024-01-01T00:00:00+0800",
            "ended_time": "2024-01-01T00:05:00+0800",
            "fail_reason": "500000",
            "show_detail": False,
        },
        {
            "instance_id": None,
            "instance_name": None,
            "job_id": "f9959f52-aa4d-43f7-be74-44b6fc20b239",
            "job_name": "ResizeGaussDBforMySQLFlavor",
            "status": "Running",
            "process": "60%",
            "created_time": "2024-01-01T01:00:00+0000",
            "ended_time": None,
            "fail_reason": None,
            "extend_fields": {"any": "thing"},
        },
        {
            "job_id": "a9767ede-fe0f-4888-9003-e843a4c90514",
            "job_name": "GaussDBforMySQLBindEIP",
            "status": "Pending",
            "created_time": "2024-01-01T02:00:00+0800",
            "ended_time": "",
        },
        {
            "job_id": "a9767ede-fe0f-4888-9003-e843a4c90515",
            "job_name": "UpgradeGaussDBforMySQLDatabaseVersion",
            "status": "Unauthorized",
            "created_time": "2024-01-01T03:00:00+0800",
        },
        {
            "job_id": "a9767ede-fe0f-4888-9003-e843a4c90516",
            "job_name": "UpgradeGaussDBforMySQLDatabaseVersion",
            "status": "Canceled",
            "created_time": "2024-01-01T04:00:00+0800",
            "ended_time": "2024-01-01T04:00:01+0800",
        },
    ],
    "total_count": 6,
    "action_names": ["CreateGaussDBforMySQLInstance", "RebootGaussDBforMySQLInstance"],
}

# GaussDB (openGauss) ShowJobDetail (JobDetail, JobInstanceInfo): note progress, not process.
GAUSSDB_DETAIL = {
    "job": {
        "id": "03bc055a-135c-4245-8bd8-b0bc6d3350b3",
        "name": "CreateGaussDBV5Instance",
        "status": "Running",
        "created": "2021-07-12T09:22:04+0800",
        "ended": "",
        "progress": "60%",
        "instance": {"id": "ce2dce50f365430abe161bab79495a6ein14", "name": "gauss-6568-zzh"},
        "fail_reason": None,
    }
}

# DDS ListTasks (JobInfo), GET /v3.1/{project_id}/jobs: the item of the DDS page's example, plus a
# running task; total_count is in the documented fields (the page's example leaves it out).
DDS_LIST = {
    "jobs": [
        {
            "id": "2f406db7-bdc4-402f-9dc4-2c1b094a5f93",
            "name": "RestartReplicaSetInstance",
            "status": "Completed",
            "created_at": "2022-09-05T06:24:14+0000",
            "ended_at": "2022-09-05T06:25:43+0000",
            "progress": "",
            "instance_id": "1f311e6a299345d7bbc878874844e233in02",
            "instance_name": "dds-6be2-fwyrestore",
            "fail_reason": "",
        },
        {
            "id": "9d10bfd1-affb-49c3-b977-298950a8d6fa",
            "name": "CreateMongoDB",
            "status": "Running",
            "created_at": "2022-09-05T07:00:00+0000",
            "ended_at": None,
            "progress": "9%",
            "instance_id": None,
            "instance_name": None,
            "fail_reason": None,
        },
    ],
    "total_count": 2,
}

# RDS ListTasks (Task), GET /v3/{project_id}/tasklist: the API reference's example ("Querying Instant Tasks",
# rds_13_0002), plus a running task.
RDS_LIST = {
    "tasks": [
        {
            "id": "676e9f17f9b74289883a44a47b8101f5",
            "name": "RestoreSqlserverInInstance",
            "instance_id": "4d00c7e9d22145deb889937a72b59c8ein01",
            "instance_name": "rds-local-scale",
            "instance_status": "FAILED",
            "order_id": "",
            "process": "",
            "create_time": "2020-07-15T07:46:10+0000",
            "end_time": "2020-07-15T09:46:10+0000",
            "status": "Completed",
        },
        {
            "id": "31b8ae23-c687-4d80-b7b4-42a66c9bb886",
            "name": "CreateMysqlSingleHAInstance",
            "instance_id": "a48e43ff268f4c0e879652d65e63d0fbin01",
            "instance_name": "DO-NOT-TOUCH-mgr2-mysql-single",
            "instance_status": "BUILD",
            "order_id": "",
            "process": "60",
            "create_time": "2018-08-06T10:41:14+0000",
            "end_time": "",
            "status": "Running",
        },
    ],
    "actions": ["RestoreSqlserverInInstance", "CreateMysqlSingleHAInstance"],
    "total_count": 2,
}

# RDS ListJobInfo, GET /v3/{project_id}/jobs?id=: the reference's "Task fails to be executed" example
# (rds_13_0003), its id written without the example's stray spaces.
RDS_DETAIL_FAILED = {
    "job": {
        "id": "31b8ae23-c687-4d80-b7b4-42a66c9bb886",
        "name": "CreateMysqlSingleHAInstance",
        "status": "Failed",
        "created": "2018-08-06T10:41:14+0000",
        "ended": "2018-08-06T16:41:14+0000",
        "process": "",
        "instance": {"id": "a48e43ff268f4c0e879652d65e63d0fbin01", "name": "DO-NOT-TOUCH-mgr2-mysql-single"},
        "entities": {"instance": {"type": "Single", "datastore": {"type": "mysql", "version": "5.7"}}},
        "fail_reason": "createVM failed.",
    }
}
# ... and its "Binding an EIP" example: a completed task whose entities hold public_ip only.
RDS_DETAIL_BIND = {
    "job": {
        "id": "31b8ae23-c687-4d80-b7b4-42a66c9bb886",
        "name": "MysqlBindEIP",
        "status": "Completed",
        "created": "2018-08-06T10:41:14+0000",
        "ended": "2018-08-06T16:41:14+0000",
        "process": "",
        "instance": {"id": "a48e43ff268f4c0e879652d65e63d0fbin01", "name": "DO-NOT-TOUCH-mgr2-mysql-single"},
        "entities": {"public_ip": "10.10.10.1"},
    }
}

EXAMPLES = [
    pytest.param("taurusdb_detail", SEED_000, id="seed000-taurusdb-detail"),
    pytest.param("taurusdb_detail", SEED_002, id="seed002-taurusdb-detail-zh"),
    pytest.param("taurusdb_detail", SEED_003, id="seed003-taurusdb-detail-legacy"),
    pytest.param("dds_detail", SEED_001_COMPLETED, id="seed001-dds-detail-completed"),
    pytest.param("dds_detail", SEED_001_RUNNING, id="seed001-dds-detail-running"),
    pytest.param("dds_detail", SEED_001_FAILED, id="seed001-dds-detail-failed"),
    pytest.param("gaussdb_list", SEED_004, id="seed004-gaussdb-list"),
    pytest.param("taurusdb_list", TAURUSDB_LIST, id="documented-taurusdb-list"),
    pytest.param("gaussdb_detail", GAUSSDB_DETAIL, id="documented-gaussdb-detail"),
    pytest.param("dds_list", DDS_LIST, id="documented-dds-list"),
    pytest.param("rds_list", RDS_LIST, id="documented-rds-list"),
    pytest.param("rds_detail", RDS_DETAIL_FAILED, id="documented-rds-detail-failed"),
    pytest.param("rds_detail", RDS_DETAIL_BIND, id="documented-rds-detail-bind-eip"),
    pytest.param("error", ERROR_EXAMPLE, id="documented-error"),
]

# Per task schema: a valid body, where its first record sits, and what each API calls its fields.
RECORDS = {
    "taurusdb_list": (TAURUSDB_LIST, ("jobs", 0), "job_id", "job_name", "created_time", "ended_time"),
    "taurusdb_detail": (SEED_000, ("job",), "id", "name", "created", "ended"),
    "gaussdb_list": (SEED_004, ("tasks", 0), "job_id", "name", "created_at", "ended_at"),
    "gaussdb_detail": (GAUSSDB_DETAIL, ("job",), "id", "name", "created", "ended"),
    "dds_list": (DDS_LIST, ("jobs", 0), "id", "name", "created_at", "ended_at"),
    "dds_detail": (SEED_001_FAILED, ("job",), "id", "name", "created", "ended"),
    "rds_list": (RDS_LIST, ("tasks", 0), "id", "name", "create_time", "end_time"),
    "rds_detail": (RDS_DETAIL_FAILED, ("job",), "id", "name", "created", "ended"),
}
TASK_SCHEMAS = tuple(RECORDS)
ARRAY_KEYS = {"taurusdb_list": "jobs", "gaussdb_list": "tasks", "dds_list": "jobs", "rds_list": "tasks"}


def record(name: str) -> tuple[dict[str, Any], dict[str, Any], tuple[Any, ...]]:
    """A deep copy of the schema's valid body, its first record (inside the copy) and that record's path."""
    body, path = copy.deepcopy(RECORDS[name][0]), RECORDS[name][1]
    return body, get_at(body, path), path


# --------------------------------------------------------------------------------------------------
# The schema files themselves.


def walk(node: Any, path: tuple[Any, ...] = ()):
    """Every (path, sub-schema dict) of a schema."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*path, index))


@pytest.mark.parametrize("name", RESPONSE_SCHEMAS)
def test_schema_file_is_a_valid_draft_2020_12_schema(name: str) -> None:
    schema = load(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"taskwatch:{name}"
    assert schema["title"]
    assert schema["description"]


@pytest.mark.parametrize("name", RESPONSE_SCHEMAS)
def test_every_property_is_described_and_unknown_fields_stay_allowed(name: str) -> None:
    for path, node in walk(load(name)):
        assert node.get("additionalProperties", True) is not False, path
        if path and path[-1] == "properties":
            for key, sub in node.items():
                assert sub.get("description"), (*path, key)


@pytest.mark.parametrize("name", TASK_SCHEMAS)
def test_record_schema_sits_in_defs_and_times_share_one_pattern(name: str) -> None:
    schema = load(name)
    assert set(schema["$defs"]) >= {"task", "time", "ended_time"}
    patterns = {node["pattern"] for _, node in walk(schema) if "pattern" in node}
    assert patterns == {r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$"}
    if name in ARRAY_KEYS:
        assert schema["properties"][ARRAY_KEYS[name]]["items"] == {"$ref": "#/$defs/task"}
    else:
        assert schema["properties"]["job"]["$ref"] == "#/$defs/task"


# --------------------------------------------------------------------------------------------------
# Documented bodies pass.


@pytest.mark.parametrize(("name", "document"), EXAMPLES)
def test_documented_example_validates(name: str, document: Any) -> None:
    assert errors(name, document) == []


def test_taurusdb_accepts_all_six_documented_statuses() -> None:
    statuses = {job["status"] for job in TAURUSDB_LIST["jobs"]}
    assert statuses == {"Running", "Completed", "Failed", "Pending", "Unauthorized", "Canceled"}
    for status in statuses:
        body = copy.deepcopy(SEED_000)
        body["job"]["status"] = status
        assert errors("taurusdb_detail", body) == [], status


@pytest.mark.parametrize("name", ["gaussdb_list", "gaussdb_detail", "dds_list", "dds_detail", "rds_list", "rds_detail"])
@pytest.mark.parametrize("status", ["Pending", "Unauthorized", "Canceled"])
def test_gaussdb_dds_and_rds_know_only_running_completed_failed(name: str, status: str) -> None:
    body, item, path = record(name)
    item["status"] = status
    assert errors(name, body) == [((*path, "status"), "enum")]


@pytest.mark.parametrize("name", TASK_SCHEMAS)
@pytest.mark.parametrize("ended", [None, "", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00.123+08:00"])
def test_ended_may_be_empty_or_null_while_running(name: str, ended: Any) -> None:
    body, item, _ = record(name)
    item[RECORDS[name][5]] = ended
    assert errors(name, body) == []


@pytest.mark.parametrize("name", TASK_SCHEMAS)
def test_optional_fields_may_be_absent(name: str) -> None:
    body, item, _ = record(name)
    _, _, id_field, name_field, created_field, _ = RECORDS[name]
    for key in list(item):
        if key not in {id_field, name_field, "status", created_field}:
            del item[key]
    assert errors(name, body) == []


@pytest.mark.parametrize("name", TASK_SCHEMAS)
def test_nullable_fields_accept_null(name: str) -> None:
    body, item, _ = record(name)
    for key in (
        "fail_reason",
        "process",
        "progress",
        "instance",
        "instance_info",
        "entities",
        "instance_id",
        "instance_name",
        "instance_status",
        "order_id",
        "show_detail",
    ):
        if key in load(name)["$defs"]["task"]["properties"]:
            item[key] = None
    assert errors(name, body) == []


@pytest.mark.parametrize("name", ["taurusdb_detail", "gaussdb_detail", "dds_detail", "gaussdb_list"])
def test_instance_object_fields_accept_null(name: str) -> None:
    body, item, _ = record(name)
    key = "instance_info" if name == "gaussdb_list" else "instance"
    item[key] = {field: None for field in item[key]}
    assert errors(name, body) == []


# --------------------------------------------------------------------------------------------------
# Bad records fail, at the path the function reports.


@pytest.mark.parametrize("name", TASK_SCHEMAS)
def test_missing_id_fails_at_the_record(name: str) -> None:
    body, item, path = record(name)
    id_field = RECORDS[name][2]
    del item[id_field]
    assert errors(name, body) == [(path, "required")]
    (error,) = Draft202012Validator(load(name)).iter_errors(body)
    assert repr(id_field) in error.message


@pytest.mark.parametrize("name", TASK_SCHEMAS)
@pytest.mark.parametrize("field_index", [2, 3, 4], ids=["id", "name", "created"])
def test_every_required_field_is_required(name: str, field_index: int) -> None:
    body, item, path = record(name)
    del item[RECORDS[name][field_index]]
    assert errors(name, body) == [(path, "required")]


@pytest.mark.parametrize("name", TASK_SCHEMAS)
def test_missing_status_fails(name: str) -> None:
    body, item, path = record(name)
    del item["status"]
    assert errors(name, body) == [(path, "required")]


@pytest.mark.parametrize("name", TASK_SCHEMAS)
@pytest.mark.parametrize("status", ["Success", "running", "", None])
def test_status_outside_the_enum_fails(name: str, status: Any) -> None:
    body, item, path = record(name)
    item["status"] = status
    assert errors(name, body) == [((*path, "status"), "enum")]


@pytest.mark.parametrize("name", TASK_SCHEMAS)
@pytest.mark.parametrize(
    "created",
    ["2024-01-01 00:00:00", "2024-01-01T00:00:00", "2024-01-01 00:00:00+0800", "1704067200000", ""],
)
def test_created_time_in_another_format_fails(name: str, created: str) -> None:
    body, item, path = record(name)
    created_field = RECORDS[name][4]
    item[created_field] = created
    if name in DETAIL_SCHEMAS:  # "" is allowed there (instance still being created), so it is an anyOf
        expected = [] if created == "" else [((*path, created_field), "anyOf")]
    else:
        expected = [((*path, created_field), "pattern")]
    assert errors(name, body) == expected


@pytest.mark.parametrize("name", TASK_SCHEMAS)
def test_created_time_null_fails(name: str) -> None:
    body, item, path = record(name)
    created_field = RECORDS[name][4]
    item[created_field] = None
    keyword = "anyOf" if name in DETAIL_SCHEMAS else "type"
    assert errors(name, body) == [((*path, created_field), keyword)]


@pytest.mark.parametrize("name", TASK_SCHEMAS)
@pytest.mark.parametrize("ended", ["2024-01-01 00:00:00", 1704067200000, "-"])
def test_ended_time_in_another_format_fails(name: str, ended: Any) -> None:
    body, item, path = record(name)
    ended_field = RECORDS[name][5]
    item[ended_field] = ended
    assert errors(name, body) == [((*path, ended_field), "anyOf")]


@pytest.mark.parametrize("name", TASK_SCHEMAS)
@pytest.mark.parametrize("field_index", [2, 3], ids=["id", "name"])
@pytest.mark.parametrize("value", [123, 1.5, True, ["x"], {"x": 1}, None])
def test_non_string_id_or_name_fails(name: str, field_index: int, value: Any) -> None:
    body, item, path = record(name)
    key = RECORDS[name][field_index]
    item[key] = value
    assert errors(name, body) == [((*path, key), "type")]


@pytest.mark.parametrize("name", TASK_SCHEMAS)
@pytest.mark.parametrize("field_index", [2, 3], ids=["id", "name"])
def test_empty_id_or_name_fails(name: str, field_index: int) -> None:
    body, item, path = record(name)
    key = RECORDS[name][field_index]
    item[key] = ""
    assert errors(name, body) == [((*path, key), "minLength")]


@pytest.mark.parametrize("name", TASK_SCHEMAS)
def test_number_as_fail_reason_fails(name: str) -> None:
    body, item, path = record(name)
    item["fail_reason"] = 500000
    assert errors(name, body) == [((*path, "fail_reason"), "type")]


@pytest.mark.parametrize(
    ("name", "key", "value"),
    [
        ("taurusdb_list", "process", 60),
        ("taurusdb_list", "instance_id", 1),
        ("taurusdb_list", "instance_name", 1),
        ("taurusdb_list", "instance_status", 1),
        ("taurusdb_list", "order_id", 1),
        ("taurusdb_list", "show_detail", "true"),
        ("taurusdb_list", "extend_fields", "{}"),
        ("taurusdb_detail", "process", 60),
        ("taurusdb_detail", "instance", "a48e43ff268f4c0e879652d65e63d0fbin07"),
        ("taurusdb_detail", "entities", []),
        ("gaussdb_list", "process", 60),
        ("gaussdb_list", "instance_info", []),
        ("gaussdb_detail", "progress", 60),
        ("gaussdb_detail", "instance", "x"),
        ("dds_list", "progress", 9),
        ("dds_list", "instance_id", 1),
        ("dds_list", "instance_name", 1),
        ("dds_detail", "progress", 9),
        ("dds_detail", "instance", []),
    ],
)
def test_optional_fields_are_typed_when_present(name: str, key: str, value: Any) -> None:
    body, item, path = record(name)
    item[key] = value
    assert errors(name, body) == [((*path, key), "type")]


@pytest.mark.parametrize(
    ("name", "parent", "key"),
    [
        ("taurusdb_detail", "instance", "id"),
        ("taurusdb_detail", "instance", "name"),
        ("gaussdb_detail", "instance", "id"),
        ("dds_detail", "instance", "name"),
        ("gaussdb_list", "instance_info", "instance_id"),
        ("gaussdb_list", "instance_info", "instance_name"),
        ("gaussdb_list", "instance_info", "instance_status"),
    ],
)
def test_instance_object_fields_are_strings(name: str, parent: str, key: str) -> None:
    body, item, path = record(name)
    item[parent][key] = 42
    assert errors(name, body) == [((*path, parent, key), "type")]


def test_error_path_points_at_the_bad_record_among_many() -> None:
    body = copy.deepcopy(TAURUSDB_LIST)
    body["jobs"][3]["status"] = "Done"
    assert errors("taurusdb_list", body) == [(("jobs", 3, "status"), "enum")]
    (error,) = Draft202012Validator(load("taurusdb_list")).iter_errors(body)
    assert list(error.absolute_path) == ["jobs", 3, "status"]


def test_each_bad_record_is_reported_separately() -> None:
    body = copy.deepcopy(SEED_004)
    del body["tasks"][0]["job_id"]
    body["tasks"][1]["created_at"] = "2024-01-01 00:00:00"
    assert errors("gaussdb_list", body) == [
        (("tasks", 0), "required"),
        (("tasks", 1, "created_at"), "pattern"),
    ]


# Envelopes.


@pytest.mark.parametrize("name", LIST_SCHEMAS)
def test_total_count_is_optional(name: str) -> None:
    """A list answer without total_count is accepted (the pager does not need it), and typed when present."""
    body = copy.deepcopy(RECORDS[name][0])
    del body["total_count"]
    assert errors(name, body) == []


@pytest.mark.parametrize("name", LIST_SCHEMAS)
@pytest.mark.parametrize(
    ("value", "keyword"), [(-1, "minimum"), ("2", "type"), (2.5, "type"), (None, "type")]
)
def test_total_count_is_a_non_negative_integer(name: str, value: Any, keyword: str) -> None:
    body = copy.deepcopy(RECORDS[name][0])
    body["total_count"] = value
    assert errors(name, body) == [(("total_count",), keyword)]


@pytest.mark.parametrize("name", LIST_SCHEMAS)
def test_missing_array_fails(name: str) -> None:
    body = copy.deepcopy(RECORDS[name][0])
    del body[ARRAY_KEYS[name]]
    assert errors(name, body) == [((), "required")]


@pytest.mark.parametrize("name", LIST_SCHEMAS)
@pytest.mark.parametrize("value", [{"0": {}}, "[]", None, 0])
def test_array_that_is_not_an_array_fails(name: str, value: Any) -> None:
    body = copy.deepcopy(RECORDS[name][0])
    body[ARRAY_KEYS[name]] = value
    assert errors(name, body) == [((ARRAY_KEYS[name],), "type")]


@pytest.mark.parametrize("name", LIST_SCHEMAS)
def test_empty_page_is_valid(name: str) -> None:
    assert errors(name, {ARRAY_KEYS[name]: [], "total_count": 0}) == []


@pytest.mark.parametrize("name", LIST_SCHEMAS)
def test_item_that_is_not_an_object_fails(name: str) -> None:
    body = copy.deepcopy(RECORDS[name][0])
    body[ARRAY_KEYS[name]][0] = "31b8ae23-c687-4d80-b7b4-42a66c9bb886"
    assert errors(name, body) == [((ARRAY_KEYS[name], 0), "type")]


@pytest.mark.parametrize("name", DETAIL_SCHEMAS)
def test_detail_without_job_fails(name: str) -> None:
    assert errors(name, {}) == [((), "required")]
    assert errors(name, {"job": None}) == [(("job",), "type")]
    assert errors(name, {"job": []}) == [(("job",), "type")]


@pytest.mark.parametrize("name", RESPONSE_SCHEMAS)
@pytest.mark.parametrize("body", [[], "", None, 0])
def test_body_that_is_not_an_object_fails(name: str, body: Any) -> None:
    assert errors(name, body) == [((), "type")]


def test_taurusdb_action_names_are_strings() -> None:
    body = copy.deepcopy(TAURUSDB_LIST)
    body["action_names"] = ["CreateGaussDBforMySQLInstance", 7]
    assert errors("taurusdb_list", body) == [(("action_names", 1), "type")]


# --------------------------------------------------------------------------------------------------
# Unknown extra fields pass (the APIs add fields).


@pytest.mark.parametrize("name", TASK_SCHEMAS)
def test_unknown_extra_fields_pass(name: str) -> None:
    body, item, _ = record(name)
    body["request_id"] = "7b7b5b0f-0000-4000-8000-000000000000"
    item["new_field"] = {"added": ["by", "the", "API"]}
    item["priority"] = 3
    for key in ("instance", "instance_info"):
        if isinstance(item.get(key), dict):
            item[key]["type"] = "Cluster"
    assert errors(name, body) == []


# --------------------------------------------------------------------------------------------------
# Error body.


def test_error_body_needs_code_and_message() -> None:
    assert errors("error", {"error_code": "APIG.0308", "error_msg": "throttled", "request_id": "r-1"}) == []
    assert errors("error", {"error_code": "DBS.280234"}) == [((), "required")]
    assert errors("error", {"error_msg": "Invalid DB instance name."}) == [((), "required")]
    assert errors("error", {"error_code": 280234, "error_msg": "x"}) == [(("error_code",), "type")]
    assert errors("error", {"error_code": "DBS.280234", "error_msg": None}) == [(("error_msg",), "type")]


# --------------------------------------------------------------------------------------------------
# The shared time pattern.


@pytest.mark.parametrize(
    "text",
    [
        "2018-08-06T10:41:14+0800",
        "2018-08-06T16:41:14+0000",
        "2021-07-12T09:22:04-0530",
        "2021-07-12T09:22:04+08:00",
        "2021-07-12T09:22:04Z",
        "2021-07-12T09:22:04.123Z",
        "2021-07-12T09:22:04.123456+0800",
    ],
)
def test_time_pattern_accepts_offsets(text: str) -> None:
    body = copy.deepcopy(SEED_000)
    body["job"]["created"] = text
    assert errors("taurusdb_detail", body) == []


@pytest.mark.parametrize(
    "text",
    [
        "2018-08-06 10:41:14+0800",
        "2018-08-06T10:41:14",
        "2018-08-06T10:41+0800",
        "2018-08-06T10:41:14+08",
        "2018-08-06T10:41:14 +0800",
        "18-08-06T10:41:14+0800",
        "2018-08-06T10:41:14+0800x",
        "x2018-08-06T10:41:14+0800",
        "2018-08-06T10:41:14.+0800",
    ],
)
def test_time_pattern_rejects_other_formats(text: str) -> None:
    body, item, path = record("dds_list")
    item[RECORDS["dds_list"][4]] = text
    assert errors("dds_list", body) == [((*path, RECORDS["dds_list"][4]), "pattern")]


@pytest.mark.parametrize("name", DETAIL_SCHEMAS)
def test_detail_created_may_be_empty_while_creating(name: str) -> None:
    """TaurusDB's SDK notes `created` is empty while an instance is being created; openGauss and DDS share
    the detail shape, so "" is accepted there too (and still no other format)."""
    body, item, path = record(name)
    item["created"] = ""
    assert errors(name, body) == []
    item["created"] = "2018-08-06 10:41:14"
    assert errors(name, body) == [((*path, "created"), "anyOf")]


def test_taurusdb_list_order_id_and_show_detail_accept_null_like_the_other_fields() -> None:
    body, item, _ = record("taurusdb_list")
    item["order_id"] = None
    item["show_detail"] = None
    assert errors("taurusdb_list", body) == []
    item["show_detail"] = "false"
    assert [keyword for _, keyword in errors("taurusdb_list", body)] == ["type"]
