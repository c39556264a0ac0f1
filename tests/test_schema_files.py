"""A schema is checked against the metaschema before its first use, unless the package build checked exactly
those bytes (schemas/checked.json, written by layers/package_function.py): the skip is bound to the digest."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from jsonschema.exceptions import SchemaError
from taskwatch import schema_files

BROKEN = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "minProperties": "two"}


@pytest.fixture
def schema_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """schema_files reading a copy of the shipped schemas plus one that the metaschema rejects ("broken")."""
    copy = tmp_path / "schemas"
    shutil.copytree(schema_files.SCHEMA_DIR, copy)
    (copy / "broken.schema.json").write_text(json.dumps(BROKEN), encoding="utf-8")
    monkeypatch.setattr(schema_files, "SCHEMA_DIR", copy)
    monkeypatch.setattr(schema_files, "CHECKED_FILE", copy / schema_files.CHECKED_FILE.name)
    caches = (schema_files._schema_file, schema_files._checked_at_build, schema_files.validator)
    for cached in caches:
        cached.cache_clear()
    yield copy
    for cached in caches:
        cached.cache_clear()


def _record(schema_dir: Path, digests: dict[str, str]) -> None:
    record = {"metaschema": "https://json-schema.org/draft/2020-12/schema", "sha256": digests}
    (schema_dir / "checked.json").write_text(json.dumps(record), encoding="utf-8")


def test_the_source_tree_has_no_record_so_every_schema_is_checked_at_run_time(schema_dir: Path) -> None:
    assert not schema_files.CHECKED_FILE.exists()
    with pytest.raises(SchemaError):
        schema_files.validator("broken")
    assert not schema_files.validator("state").is_valid([])  # the shipped ones pass the check and work


def test_the_build_record_refuses_an_invalid_schema(schema_dir: Path) -> None:
    with pytest.raises(ValueError, match=r"broken\.schema\.json: not a valid Draft 2020-12 schema"):
        schema_files.checked_manifest(schema_dir)
    (schema_dir / "broken.schema.json").unlink()
    record = schema_files.checked_manifest(schema_dir)
    assert sorted(record["sha256"]) == sorted(p.name for p in schema_dir.glob("*.schema.json"))
    assert record["metaschema"] == "https://json-schema.org/draft/2020-12/schema"


def test_recorded_bytes_are_not_checked_again(schema_dir: Path) -> None:
    # A record naming the broken schema's exact digest (as if the build had checked it): no check at run
    # time, which is what makes the check's cost disappear from a cold start. The build never writes this
    # for a broken schema (previous test); here it shows the skip is real.
    _record(schema_dir, {"broken.schema.json": schema_files._schema_file("broken")[1]})
    assert schema_files.validator("broken") is not None


@pytest.mark.parametrize("record", [
    {"broken.schema.json": "0" * 64},  # the file changed after the build (edited in place)
    {"other.schema.json": "whatever"},  # not recorded
    "not json",  # an unreadable record counts as none
])
def test_anything_but_the_recorded_bytes_is_checked(schema_dir: Path, record) -> None:
    if isinstance(record, dict):
        _record(schema_dir, record)
    else:
        (schema_dir / "checked.json").write_text(record, encoding="utf-8")
    with pytest.raises(SchemaError):
        schema_files.validator("broken")


def test_a_record_for_another_metaschema_counts_as_none(schema_dir: Path) -> None:
    digest = schema_files._schema_file("broken")[1]
    (schema_dir / "checked.json").write_text(json.dumps(
        {"metaschema": "http://json-schema.org/draft-07/schema#", "sha256": {"broken.schema.json": digest}}))
    with pytest.raises(SchemaError):
        schema_files.validator("broken")
