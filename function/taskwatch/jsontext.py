"""JSON text from outside, read strictly: no NaN or Infinity, no nesting deep enough to exhaust the stack,
and no lone UTF-16 surrogates (they cannot be encoded as UTF-8 later, in state or messages)."""

from __future__ import annotations

import json
import re
from typing import Any

# An escaped high surrogate not followed by a low one, or a low one not preceded by a high one.
_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads_strict(text: str | bytes, allow_constants: bool = False) -> Any:
    """json.loads that raises ValueError for anything it should not accept (including deep nesting).
    With allow_constants, NaN and Infinity are read as floats, for a later check that can name the key."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")  # one bad byte must not cost the whole page
    if "\\u" in text and ("\\ud" in text or "\\uD" in text):
        text = _LONE_SURROGATE.sub(r"\\ufffd", text)
    try:
        return json.loads(text) if allow_constants else json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("nested too deeply") from None
