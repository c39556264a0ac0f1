"""The JSON Schemas shipped with the package, each compiled once per process.

A schema is checked against its metaschema (Draft 2020-12) before its first use, unless the package build
already checked exactly these bytes: layers/package_function.py checks every schema and records the SHA-256
of each in schemas/checked.json (see `checked_manifest`). The metaschema check costs far more than building
the validator (tenths of a second per schema on a cold start), and the files of a built package do not
change; a schema whose bytes differ from the record (edited after the build, or run from a source tree
without the record) is checked at run time, as before.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from functools import cache, wraps
from pathlib import Path
from typing import Any, TypeVar

from jsonschema import Draft202012Validator

SCHEMA_DIR = Path(__file__).with_name("schemas")
SUFFIX = ".schema.json"
CHECKED_FILE = SCHEMA_DIR / "checked.json"  # written by the package build, absent in the source tree
Built = TypeVar("Built")


def built_once(build: Callable[..., Built]) -> Callable[..., Built]:
    """functools.cache that builds each value once even when threads ask at the same moment (the sources'
    threads reach their first page together): a bare cache lets each of them build it, the whole cost again."""
    cached = cache(build)
    lock = threading.RLock()

    @wraps(build)
    def once(*args: Any) -> Built:
        with lock:
            return cached(*args)

    once.cache_info = cached.cache_info  # type: ignore[attr-defined]
    once.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
    return once


@built_once
def _schema_file(name: str) -> tuple[dict[str, Any], str]:
    """Parsed schemas/<name>.schema.json and the SHA-256 of its bytes."""
    data = (SCHEMA_DIR / f"{name}{SUFFIX}").read_bytes()
    return json.loads(data.decode("utf-8")), hashlib.sha256(data).hexdigest()


def load_schema(name: str) -> dict[str, Any]:
    """Parsed schemas/<name>.schema.json."""
    return _schema_file(name)[0]


@built_once
def _checked_at_build() -> dict[str, str]:
    """{file name: sha256} of the schemas the package build checked; empty when there is no usable record
    (any doubt means every schema is checked at run time)."""
    try:
        record = json.loads(CHECKED_FILE.read_text(encoding="utf-8"))
        if record.get("metaschema") != Draft202012Validator.META_SCHEMA["$id"]:
            return {}
        return {str(name): str(digest) for name, digest in record["sha256"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


@built_once
def validator(name: str) -> Draft202012Validator:
    """A validator built once per process and reused by every call and every warm invocation."""
    schema, digest = _schema_file(name)
    if _checked_at_build().get(f"{name}{SUFFIX}") != digest:
        Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def checked_manifest(schema_dir: Path = SCHEMA_DIR) -> dict[str, Any]:
    """What the package build writes to schemas/checked.json: every schema checked against the metaschema
    (a SchemaError names the first bad one, and the build stops), with the SHA-256 of its bytes."""
    digests = {}
    for path in sorted(schema_dir.glob(f"*{SUFFIX}")):
        data = path.read_bytes()
        try:
            Draft202012Validator.check_schema(json.loads(data.decode("utf-8")))
        except Exception as exc:
            raise ValueError(f"{path.name}: not a valid Draft 2020-12 schema: {getattr(exc, 'message', exc)}") from exc
        digests[path.name] = hashlib.sha256(data).hexdigest()
    return {"metaschema": Draft202012Validator.META_SCHEMA["$id"], "sha256": digests}


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
