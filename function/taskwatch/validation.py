"""Validation of list pages with jsonschema, fast enough for tens of thousands of records a second.

A page is checked in two parts: its envelope (the document with the record array left empty) against the
whole schema, and each record against the schema's record definition. Record definitions here are flat
objects (`required` plus one subschema per property), so a record is valid exactly when its required keys
are present and each property value is valid under its own subschema. jsonschema checks each
(property, value) pair; the verdict for pairs it has already checked (the same status, task name or
instance on many records) is remembered, which is where the speed comes from. A record that is not
valid is then validated whole, to report every failing path and reason.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from .schema_files import describe_error, error_path, load_schema, validator

FLAT_KEYWORDS = {"type", "required", "properties", "description", "title", "$comment"}
SCALARS = (str, int, float, bool, type(None))
MEMO_LIMIT = 50_000  # remembered verdicts per page validator, so memory stays bounded in warm containers


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


class PageValidator:
    """Validates one kind of list response: built once per process per schema (see page_validator)."""

    def __init__(self, schema_name: str, items_key: str) -> None:
        schema = load_schema(schema_name)
        self.items_key = items_key
        self.whole = validator(schema_name)
        record = _inline(schema["$defs"]["task"], schema["$defs"])
        self.record = Draft202012Validator(record)
        flat = record.get("type") == "object" and set(record) <= FLAT_KEYWORDS
        self.fields = ({name: Draft202012Validator(sub) for name, sub in record.get("properties", {}).items()}
                       if flat else None)
        self.required = frozenset(record.get("required", ()))
        self.memo: dict[tuple[str, Any], bool] = {}

    def check(self, document: Any) -> tuple[list[str], dict[int, list[str]]]:
        """(envelope errors, {record index: errors}) — each error as 'path: what was expected'."""
        items = document.get(self.items_key) if isinstance(document, dict) else None
        if not isinstance(items, list):
            return [self._text(e) for e in self.whole.iter_errors(document)], {}
        envelope = [self._text(e) for e in self.whole.iter_errors({**document, self.items_key: []})]
        record_errors: dict[int, list[str]] = {}
        for index, item in enumerate(items):
            if not self._valid(item):
                prefix = f"{self.items_key}[{index}]"
                record_errors[index] = [
                    f"{prefix}{'.' if e.absolute_path else ''}{error_path(e) if e.absolute_path else ''}: "
                    f"{describe_error(e)}"
                    for e in self.record.iter_errors(item)
                ] or [f"{prefix}: does not match its schema"]
        return envelope, record_errors

    def _valid(self, item: Any) -> bool:
        if self.fields is None or not isinstance(item, dict):
            return self.record.is_valid(item)
        if not self.required <= item.keys():
            return False
        memo = self.memo
        for name, value in item.items():
            field = self.fields.get(name)
            if field is None:
                continue
            if isinstance(value, SCALARS):
                key = (name, value)
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

    @staticmethod
    def _text(error: Any) -> str:
        return f"{error_path(error)}: {describe_error(error)}"


_VALIDATORS: dict[str, PageValidator] = {}


def page_validator(schema_name: str, items_key: str) -> PageValidator:
    """One PageValidator per list schema per process (warm invocations reuse it)."""
    found = _VALIDATORS.get(schema_name)
    if found is None:
        found = _VALIDATORS[schema_name] = PageValidator(schema_name, items_key)
    return found
