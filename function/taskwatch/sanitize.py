"""Text that comes from outside (task names, fail reasons, error messages) made safe to log and send."""

from __future__ import annotations

import re

from .secrets_scrub import SCRUBBER

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
# C0/C1 controls (keeping \t and \n), zero-width and bidirectional marks, embeddings, overrides and isolates
# (U+061C, U+200B-U+200F, U+202A-U+202E, U+2066-U+2069), the Unicode line and paragraph separators
# (U+2028, U+2029: a line break to many readers) and the byte-order mark.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")
_SURROGATES = re.compile("[\ud800-\udfff]")


def clean(text: object, limit: int = 2000) -> str:
    """Drop ANSI escapes, control, line-separator and bidirectional characters; cap the length. Known secrets
    are scrubbed first, so no cut made here or later can leave a recognisable piece of one."""
    value = "" if text is None else str(text)
    value = SCRUBBER(value[: limit * 4])  # a secret cut by this first cut is still matched by its prefix
    cleaned = _CONTROL.sub("", _ANSI.sub("", _SURROGATES.sub("\ufffd", value)))
    # Scrubbed again when characters were dropped: a secret broken up by them (a zero-width space, an ANSI
    # escape) is whole only now.
    value = cleaned if cleaned == value else SCRUBBER(cleaned)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def one_line(text: object, limit: int = 200) -> str:
    """clean() folded onto one line, for log lines and subjects."""
    return _SPACES.sub(" ", clean(text, limit * 2)).strip()[:limit]


def scrub(text: object) -> str:
    """Remove every known secret (secrets_scrub.SCRUBBER) from a text; scrub before cutting, never after."""
    return SCRUBBER(text)
