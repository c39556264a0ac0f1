"""The fast page validator agrees with plain jsonschema validation of the whole page, record by record."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from taskwatch.schema_files import validator
from taskwatch.validation import PageValidator

KEYS = {"taurusdb_list": "jobs", "gaussdb_list": "tasks", "dds_list": "jobs", "rds_list": "tasks"}
TIMES = st.sampled_from(["2026-11-23T07:00:00+0800", "2026-11-23T07:00:00Z", "2026-11-23 07:00:00", "", "x"])
VALUES = st.one_of(st.none(), st.integers(-2, 2), st.booleans(), TIMES, st.text(max_size=6),
                   st.sampled_from(["Failed", "Running", "Completed", "Pending", "Canceled"]),
                   st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.none(), max_size=2))
FIELDS = ["job_id", "id", "created", "ended", "instance", "job_name", "name", "status", "created_time", "created_at",
          "ended_time", "ended_at",
          "instance_id", "instance_name", "fail_reason", "process", "progress", "instance_info", "extra"]
RECORDS = st.one_of(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=12), VALUES)


def reference(schema_name: str, document: dict) -> set[int]:
    """Indexes of failing records according to jsonschema over the whole document."""
    key = KEYS[schema_name]
    return {e.absolute_path[1] for e in validator(schema_name).iter_errors(document)
            if len(e.absolute_path) >= 2 and e.absolute_path[0] == key}


@pytest.mark.parametrize("schema_name", sorted(KEYS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(RECORDS, max_size=8))
def test_same_verdicts_as_whole_page_validation(schema_name: str, records: list) -> None:
    page = PageValidator(schema_name, KEYS[schema_name])
    document = {KEYS[schema_name]: records, "total_count": len(records)}
    envelope, record_errors = page.check(document)
    assert envelope == []
    assert set(record_errors) == reference(schema_name, document)
    again, second = page.check(document)  # with the memo warm
    assert set(second) == set(record_errors) and again == []


def test_record_errors_name_the_path_and_envelope_errors_fail_the_page() -> None:
    page = PageValidator("gaussdb_list", "tasks")
    good = {"job_id": "j", "name": "n", "status": "Failed", "created_at": "2026-11-23T07:00:00+0800"}
    bad = {**good, "status": "Lost", "created_at": "yesterday"}
    envelope, errors = page.check({"tasks": [good, bad], "total_count": "2"})
    assert envelope == ["total_count: expected type integer"]
    assert sorted(errors[1]) == ["tasks[1].created_at: expected text matching "
                                 r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$",
                                 "tasks[1].status: expected one of Running, Completed, Failed"]
    envelope, errors = page.check({"tasks": "nope", "total_count": 1})
    assert envelope == ["tasks: expected type array"] and errors == {}


ENTRY_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-1, 3), TIMES,
                         st.sampled_from(["dds", "gaussdb", "failed", "stuck", "2026-11-23T07:00:00Z"]),
                         st.text(max_size=5))
ENTRY_KEYS = ["service", "region", "project_id", "id", "name", "status", "first_seen", "created", "alert",
              "attempts", "notified_at", "detailed", "unknown"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=st.dictionaries(st.text(min_size=1, max_size=4),
                               st.dictionaries(st.sampled_from(ENTRY_KEYS), ENTRY_VALUES, max_size=12), max_size=4))
def test_state_validator_agrees_with_whole_document_validation(entries: dict) -> None:
    from taskwatch.state.document import state_validator

    document = {"format": "taskwatch-state", "version": 1, "created_at": "2026-11-23T07:00:00Z",
                "updated_at": "2026-11-23T07:00:00Z", "tasks": entries, "sources": {},
                "checksum": "sha256:" + "0" * 64}
    whole_ok = validator("state").is_valid(document)
    assert (state_validator().first_error(document) is None) == whole_ok


@pytest.mark.parametrize("schema_name", ["taurusdb_detail", "gaussdb_detail", "dds_detail", "rds_detail"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(job=RECORDS, extra=st.dictionaries(st.sampled_from(["other", "job_extra"]), VALUES, max_size=2))
def test_detail_validator_agrees_with_whole_document_validation(schema_name: str, job, extra: dict) -> None:
    from taskwatch.validation import DetailValidator

    document = {"job": job, **extra}
    found = DetailValidator(schema_name).errors(document)
    assert (found == []) == validator(schema_name).is_valid(document)
