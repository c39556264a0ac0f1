"""Validation of list pages with jsonschema, fast enough for tens of thousands of records a second.

A page is checked in two parts: its envelope (the document with the record array left empty) against the
whole schema, and each record against the schema's record definition. Record definitions here are flat
objects (`required` plus one subschema per property), so a record is valid exactly when its required keys
are present and each property value is valid under its own subschema. jsonschema checks each
(property, value) pair; the verdict for pairs it has already checked (the same status, task name or
instance on many records) is remembered, which is where the speed comes from. A record that is not
valid is then validated whole, to report every failing path and reason. (A closed definition,
additionalProperties false, adds one check: the record's keys are among the properties.)
"""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator

from .schema_files import built_once, describe_error, error_path, load_schema, validator

FLAT_KEYWORDS = {"type", "required", "properties", "description", "title", "$comment"}
SCALARS = (str, int, float, bool, type(None))
MEMO_LIMIT = 50_000  # remembered verdicts per page validator, so memory stays bounded in warm containers
ERRORS_LIMIT = 512  # remembered error lists of invalid records (a bad record is listed again every run)
# Only short values and records are remembered: the memos are bounded in entries, and a long value (a
# 3,000-character fail_reason) is rarely repeated, yet held by the memo it would outlive its page (a first
# run over a month of failures lets each page go: its reasons must go with it).
MEMO_TEXT_LIMIT = 256  # characters of a string value remembered by its verdict
ERRORS_KEY_LIMIT = 4096  # characters of a record's JSON text remembered with its errors


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """Replace local "#/$defs/..." references by the definitions themselves (our schemas have no cycles)."""
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = _inline(defs[ref.split("/")[-1]], defs)
        siblings = {k: _inline(v, defs) for k, v in node.items() if k not in ("$ref", "description", "title")}
        return {"allOf": [target, siblings]} if siblings else target
    return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}


class RecordValidator:
    """Validates records against one record definition; fast for flat definitions (see the module doc)."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.whole = Draft202012Validator(record)
        closed = record.get("additionalProperties") is False  # no other keys allowed: a key-set check
        keywords = set(record) - ({"additionalProperties"} if closed else set())
        flat = record.get("type") == "object" and keywords <= FLAT_KEYWORDS
        self.fields = ({name: Draft202012Validator(sub) for name, sub in record.get("properties", {}).items()}
                       if flat else None)
        self.closed = closed
        self.required = frozenset(record.get("required", ()))
        # Keyed by (name, type, value): True == 1 and hash alike, yet only 1 is an integer to jsonschema.
        self.memo: dict[tuple[str, type, Any], bool] = {}
        # An invalid record stays in its listing for a month and is read again on every run: its errors
        # (a whole jsonschema pass) are remembered by its exact JSON text, types and all.
        self.error_memo: dict[str, list[tuple[str, str]]] = {}

    def is_valid(self, item: Any) -> bool:
        if self.fields is None or not isinstance(item, dict):
            return self.whole.is_valid(item)
        if not self.required <= item.keys() or (self.closed and not item.keys() <= self.fields.keys()):
            return False
        memo = self.memo
        for name, value in item.items():
            field = self.fields.get(name)
            if field is None:
                continue
            if isinstance(value, SCALARS) and not (type(value) is str and len(value) > MEMO_TEXT_LIMIT):
                key = (name, type(value), value)
                verdict = memo.get(key)
                if verdict is None:
                    if len(memo) >= MEMO_LIMIT:
                        memo.clear()
                    verdict = memo[key] = field.is_valid(value)
            else:
                verdict = field.is_valid(value)
            if not verdict:
                return False
        return True

    def errors(self, item: Any, prefix: str) -> list[str]:
        """Every failing path and reason of one record, as 'prefix.path: what was expected'."""
        found = [f"{prefix}{'.' if path else ''}{path}: {reason}" for path, reason in self._errors(item)]
        return found or [f"{prefix}: does not match its schema"]

    def _errors(self, item: Any) -> list[tuple[str, str]]:
        """(path or "", reason) of each failing part, remembered by the record's JSON text."""
        try:
            key: str | None = json.dumps(item, sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError):  # not JSON data (not from a response): not remembered
            key = None
        if key is not None and len(key) > ERRORS_KEY_LIMIT:
            key = None
        remembered = self.error_memo.get(key) if key is not None else None
        if remembered is not None:
            return remembered
        found = [(error_path(e) if e.absolute_path else "", describe_error(e)) for e in self.whole.iter_errors(item)]
        if key is not None:
            if len(self.error_memo) >= ERRORS_LIMIT:
                self.error_memo.clear()
            self.error_memo[key] = found
        return found


def _text(error: Any) -> str:
    return f"{error_path(error)}: {describe_error(error)}"


class PageValidator:
    """Validates one kind of list response: built once per process per schema (see page_validator)."""

    def __init__(self, schema_name: str, items_key: str) -> None:
        schema = load_schema(schema_name)
        self.items_key = items_key
        self.whole = validator(schema_name)
        self.records = RecordValidator(_inline(schema["$defs"]["task"], schema["$defs"]))

    def check(self, document: Any, records: bool = True) -> tuple[list[str], dict[int, list[str]]]:
        """(envelope errors, {record index: errors}) — each error as 'path: what was expected'. With
        records=False only the envelope is checked (a page looked at, not taken: see TaskCenter.peek_ids)."""
        items = document.get(self.items_key) if isinstance(document, dict) else None
        if not isinstance(items, list):
            return [_text(e) for e in self.whole.iter_errors(document)], {}
        envelope = [_text(e) for e in self.whole.iter_errors({**document, self.items_key: []})]
        if not records:
            return envelope, {}
        record_errors = {index: self.records.errors(item, f"{self.items_key}[{index}]")
                         for index, item in enumerate(items) if not self.records.is_valid(item)}
        return envelope, record_errors


class DetailValidator:
    """Validates one kind of detail response {job: {...}}: the envelope, then the job as a record."""

    def __init__(self, schema_name: str, key: str = "job") -> None:
        schema = load_schema(schema_name)
        self.key = key
        self.whole = validator(schema_name)
        self.record = RecordValidator(_inline(schema["$defs"]["task"], schema["$defs"]))

    def errors(self, document: Any) -> list[str]:
        job = document.get(self.key) if isinstance(document, dict) else None
        if not isinstance(job, dict):
            return [_text(e) for e in self.whole.iter_errors(document)]
        envelope = [_text(e) for e in self.whole.iter_errors({**document, self.key: {}})
                    if list(e.absolute_path)[:1] != [self.key]]
        return envelope + ([] if self.record.is_valid(job) else self.record.errors(job, self.key))


class MapValidator:
    """Validates a document whose `key` maps names to flat records (the state's tasks): the envelope with
    the map left empty, then each record. Returns the first error as 'path: what was expected'."""

    def __init__(self, schema_name: str, key: str) -> None:
        schema = load_schema(schema_name)
        self.key = key
        self.whole = validator(schema_name)
        record = schema["properties"][key]["additionalProperties"]
        self.records = RecordValidator(_inline(record, schema.get("$defs", {})))

    def first_error(self, document: Any) -> str | None:
        records = document.get(self.key) if isinstance(document, dict) else None
        envelope = {**document, self.key: {}} if isinstance(records, dict) else document
        errors = sorted(self.whole.iter_errors(envelope), key=lambda e: [str(p) for p in e.absolute_path])
        if errors:
            return _text(errors[0])
        for name, record in (records or {}).items():
            if not self.records.is_valid(record):
                return self.records.errors(record, f"{self.key}.{name}")[0]
        return None


@built_once
def page_validator(schema_name: str, items_key: str) -> PageValidator:
    """One PageValidator per list schema per process (warm invocations reuse it)."""
    return PageValidator(schema_name, items_key)


@built_once
def detail_validator(schema_name: str) -> DetailValidator:
    """One DetailValidator per detail schema per process."""
    return DetailValidator(schema_name)


@built_once
def map_validator(schema_name: str, key: str) -> MapValidator:
    """One MapValidator per schema per process (the state's)."""
    return MapValidator(schema_name, key)
