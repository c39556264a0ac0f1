"""Text that comes from outside (task names, fail reasons, error messages) made safe to log and send."""

from __future__ import annotations

import re

from .secrets_scrub import SCRUBBER

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")
_SURROGATES = re.compile("[\ud800-\udfff]")


def clean(text: object, limit: int = 2000) -> str:
    """Drop ANSI escapes, control and bidirectional-override characters; cap the length."""
    value = "" if text is None else str(text)
    value = _CONTROL.sub("", _ANSI.sub("", _SURROGATES.sub("\ufffd", value[: limit * 4])))
    return value if len(value) <= limit else value[: limit - 1] + "…"


def one_line(text: object, limit: int = 200) -> str:
    """clean() folded onto one line, for log lines and subjects."""
    return _SPACES.sub(" ", clean(text, limit * 2)).strip()[:limit]


def scrub(text: object) -> str:
    """Remove every known secret (secrets_scrub.SCRUBBER) from a text; scrub before cutting, never after."""
    return SCRUBBER(text)
