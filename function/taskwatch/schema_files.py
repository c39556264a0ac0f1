"""The JSON Schemas shipped with the package, each compiled once per process."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_DIR = Path(__file__).with_name("schemas")


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Parsed schemas/<name>.schema.json."""
    with (SCHEMA_DIR / f"{name}.schema.json").open(encoding="utf-8") as handle:
        return json.load(handle)


@cache
def validator(name: str) -> Draft202012Validator:
    """A validator built once per process and reused by every call and every warm invocation."""
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def describe_error(error: Any) -> str:
    """What a jsonschema error expected, without echoing the offending value (it may be anything)."""
    rule, want = error.validator, error.validator_value
    texts = {
        "type": lambda: f"expected type {want}",
        "enum": lambda: "expected one of " + ", ".join(map(str, want)),
        "const": lambda: f"expected {want!r}",
        "pattern": lambda: f"expected text matching {want}",
        "minimum": lambda: f"expected a value >= {want}",
        "maximum": lambda: f"expected a value <= {want}",
        "minLength": lambda: f"expected at least {want} characters",
        "maxLength": lambda: f"expected at most {want} characters",
        "minItems": lambda: f"expected at least {want} items",
        "maxItems": lambda: f"expected at most {want} items",
        "uniqueItems": lambda: "expected no repeated items",
        "required": lambda: error.message.replace(" is a required property", "") + " is required",
        "additionalProperties": lambda: "unexpected key: " + error.message.split("(")[-1].rstrip(")"),
        "anyOf": lambda: "expected one of the allowed forms (see the schema)",
    }
    return texts.get(rule, lambda: f"failed {rule}")()


def error_path(error: Any) -> str:
    """['jobs', 3, 'status'] -> 'jobs[3].status'."""
    text = ""
    for part in error.absolute_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(root)"
