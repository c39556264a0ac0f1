"""Never print a secret: a scrubber for every line deploy prints, and a fingerprint of encrypted variables.

The fingerprint lets a second deploy tell whether the encrypted variables changed without reading them back
(FunctionGraph may mask encrypted_user_data). It is PBKDF2-SHA256 over the canonical JSON of the values with
a random salt and 100,000 iterations, kept at the end of the function's description:
"<Description> [taskwatch-secrets pbkdf2-sha256$100000$<salt>$<hash>]". The salt is reused while the values
stay the same, so the description does not change from deploy to deploy.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from collections.abc import Iterable, Mapping

from . import paths

ITERATIONS = 100_000
_MARKER = re.compile(r" \[taskwatch-secrets (pbkdf2-sha256\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+))\]$")


class Redactor:
    """Replaces every known secret value in a text with ***: the function's own scrubber
    (taskwatch.secrets_scrub: prefixes, URL-encoded and base64 forms too), given deploy's values (the
    credentials and the encrypted variables)."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        paths.import_function_package()
        from taskwatch.secrets_scrub import Scrubber

        self.scrubber = Scrubber(secrets)

    def __call__(self, text: str) -> str:
        return self.scrubber(text)


def fingerprint(values: Mapping[str, str], salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    salt = salt if salt is not None else os.urandom(16)
    canonical = json.dumps(dict(values), sort_keys=True, separators=(",", ":")).encode("utf-8")
    digest = hashlib.pbkdf2_hmac("sha256", canonical, salt, iterations)
    return f"pbkdf2-sha256${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def split_description(description: str) -> tuple[str, str | None]:
    """(the description as the template wrote it, the fingerprint or None)."""
    match = _MARKER.search(description or "")
    if not match:
        return description or "", None
    return description[: match.start()], match.group(1)


def matches(stored: str | None, values: Mapping[str, str]) -> bool:
    """Whether a stored fingerprint was made from exactly these values (no values: no fingerprint)."""
    if not values:
        return stored is None
    if stored is None:
        return False
    _, iterations, salt, _ = stored.split("$")
    expected = fingerprint(values, base64.b64decode(salt), int(iterations))
    return hmac.compare_digest(expected, stored)


def description_with(description: str, values: Mapping[str, str], stored: str | None) -> str:
    """The description to send: the template's, plus the (reused when still right) fingerprint."""
    if not values:
        return description
    mark = stored if matches(stored, values) else fingerprint(values)
    return f"{description} [taskwatch-secrets {mark}]"
