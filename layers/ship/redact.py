"""Never print a secret: a scrubber for every line deploy prints, and a keyed fingerprint of encrypted variables.

The fingerprint lets a second deploy tell whether the encrypted variables changed without reading them back
(FunctionGraph may mask encrypted_user_data). It sits at the end of the function's description, which anyone
with function:get can read, so it must not allow an offline guess of the values: it is an HMAC-SHA256 under a
key that is never stored beside it (nor anywhere in the cloud), over the function URN and the canonical JSON of
the values: "<Description> [taskwatch-secrets hmac-sha256:<base64url>]". Without the key a reader can test no
guess at all (a plain or salted hash, even PBKDF2, can be tested offline: a weak value fell in 0.13 s).

The key: TASKWATCH_DEPLOY_FINGERPRINT_KEY when set (at least 32 characters; for teams whose deployers or
rotating temporary keys differ), otherwise derived from the deployer's own secret key (CLOUD_SDK_SK), which
whoever could use it could already change the function with. A deploy with another key sees a fingerprint it
cannot confirm and sends the encrypted variables again (one configuration update, then stable). The URN in the
message keeps two functions with the same values from showing the same fingerprint. Descriptions written by
earlier versions (" [taskwatch-secrets pbkdf2-sha256$...]") are recognised, never confirmed, and replaced.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping

from . import paths

MIN_KEY_CHARS = 32
_MARKER = re.compile(r" \[taskwatch-secrets ((?:hmac-sha256:[A-Za-z0-9_-]{43})|(?:pbkdf2-sha256\$\d+\$[A-Za-z0-9+/=]+"
                     r"\$[A-Za-z0-9+/=]+))\]$")
_DERIVATION = b"taskwatch deploy: encrypted variables fingerprint key v1"


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


def fingerprint_key(sk: str, explicit: str | None = None) -> bytes:
    """The HMAC key: the explicit one when given, otherwise derived from the deployer's secret key."""
    if explicit:
        if len(explicit) < MIN_KEY_CHARS:
            raise ValueError(f"TASKWATCH_DEPLOY_FINGERPRINT_KEY: at least {MIN_KEY_CHARS} characters")
        return hashlib.sha256(explicit.encode("utf-8")).digest()
    if not sk:
        raise ValueError("no key for the encrypted variables' fingerprint (CLOUD_SDK_SK is empty)")
    return hmac.new(sk.encode("utf-8"), _DERIVATION, hashlib.sha256).digest()


def fingerprint(values: Mapping[str, str], key: bytes, function_urn: str) -> str:
    canonical = json.dumps(dict(values), sort_keys=True, separators=(",", ":"))
    mac = hmac.new(key, f"{function_urn}\n{canonical}".encode(), hashlib.sha256).digest()
    return "hmac-sha256:" + base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def split_description(description: str) -> tuple[str, str | None]:
    """(the description as the template wrote it, the fingerprint or None)."""
    match = _MARKER.search(description or "")
    if not match:
        return description or "", None
    return description[: match.start()], match.group(1)


def matches(stored: str | None, values: Mapping[str, str], key: bytes, function_urn: str) -> bool:
    """Whether a stored fingerprint was made from exactly these values under this key (no values: none)."""
    if not values:
        return stored is None
    if stored is None:
        return False
    return hmac.compare_digest(fingerprint(values, key, function_urn), stored)


def description_with(description: str, values: Mapping[str, str], key: bytes, function_urn: str) -> str:
    """The description to send: the template's, plus the fingerprint of the encrypted variables (if any)."""
    if not values:
        return description
    return f"{description} [taskwatch-secrets {fingerprint(values, key, function_urn)}]"
