"""Verifier for Huawei Cloud API Gateway AK/SK signatures (SDK-HMAC-SHA256), written independently.

Why: tests must prove the function's requests are really signed, so the emulator recomputes the
signature from what arrived on the wire and compares. It deliberately does not import the SDK's signer.

Algorithm (API Gateway "AK/SK signing"):
  CanonicalRequest = METHOD \\n CanonicalURI (each decoded path segment re-encoded, trailing '/')
                     \\n CanonicalQuery (pairs sorted, key and value encoded, '&'-joined)
                     \\n CanonicalHeaders ("name:value" per signed header, lower-case names, values
                     trimmed, each followed by \\n) \\n SignedHeaders (';'-joined) \\n hex(sha256(body))
  StringToSign     = "SDK-HMAC-SHA256" \\n X-Sdk-Date \\n hex(sha256(CanonicalRequest))
  Signature        = hex(HMAC-SHA256(SK, StringToSign))
The body hash is the literal X-Sdk-Content-Sha256 header when present (e.g. UNSIGNED-PAYLOAD).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_AUTH = re.compile(
    r"^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]+)\s*$"
)


@dataclass(frozen=True)
class Verdict:
    """ok, or the reason the signature was refused (for the error message and for debugging)."""

    ok: bool
    reason: str = ""
    canonical_request: str = ""


def _encode(text: str) -> str:
    return quote(text, safe="~")


def canonical_uri(raw_path: str) -> str:
    path = "/".join(_encode(segment) for segment in unquote(raw_path).split("/"))
    return path if path.endswith("/") else path + "/"


def canonical_query(items: list[tuple[str, str | None]]) -> str:
    pairs = sorted((key, "" if value is None else value) for key, value in items)
    return "&".join(f"{_encode(key)}={_encode(value)}" for key, value in pairs)


def _wire_text(value: str) -> str:
    """http.server decodes header bytes as latin-1; the signer signed the UTF-8 text."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


class SdkHmacVerifier:
    """Checks one AK/SK pair; `clock` is the real wall clock (clients sign with real time)."""

    def __init__(
        self, ak: str, sk: str, max_skew_seconds: float = 900.0, clock: Callable[[], float] = time.time
    ) -> None:
        self.ak = ak
        self.sk = sk
        self.max_skew_seconds = max_skew_seconds
        self.clock = clock

    def verify(
        self,
        method: str,
        raw_path: str,
        query_items: list[tuple[str, str | None]],
        headers: object,
        body: bytes,
    ) -> Verdict:
        get = headers.get  # type: ignore[attr-defined]
        authorization = get("Authorization")
        if not authorization:
            return Verdict(False, "missing Authorization header")
        match = _AUTH.match(str(authorization))
        if not match:
            return Verdict(False, "malformed Authorization header")
        access, signed_text, signature = match.groups()
        if access != self.ak:
            return Verdict(False, "unknown access key")
        signed = signed_text.split(";")
        if signed != sorted(signed) or any(name != name.lower() or not name for name in signed):
            return Verdict(False, "SignedHeaders must be sorted lower-case names")
        if "x-sdk-date" not in signed:
            return Verdict(False, "X-Sdk-Date is not signed")
        sdk_date = get("X-Sdk-Date")
        if not sdk_date:
            return Verdict(False, "missing X-Sdk-Date header")
        try:
            signed_at = datetime.strptime(str(sdk_date), DATE_FORMAT).replace(tzinfo=timezone.utc)
        except ValueError:
            return Verdict(False, "X-Sdk-Date is not YYYYMMDDTHHMMSSZ")
        if abs(self.clock() - signed_at.timestamp()) > self.max_skew_seconds:
            return Verdict(False, "X-Sdk-Date is too far from the server time")
        lines = []
        for name in signed:
            value = get(name)
            if value is None:
                return Verdict(False, f"signed header {name!r} is missing")
            lines.append(f"{name}:{_wire_text(str(value)).strip()}")
        canonical_headers = "\n".join(lines) + "\n"
        content_hash = get("X-Sdk-Content-Sha256")
        if not body:
            payload_hash = EMPTY_SHA256
        elif content_hash:
            payload_hash = str(content_hash)
        else:
            payload_hash = hashlib.sha256(body).hexdigest()
        canonical = "\n".join(
            [
                method.upper(),
                canonical_uri(raw_path),
                canonical_query(query_items),
                canonical_headers,
                signed_text,
                payload_hash,
            ]
        )
        string_to_sign = "\n".join(
            [ALGORITHM, str(sdk_date), hashlib.sha256(canonical.encode("utf-8")).hexdigest()]
        )
        expected = hmac.new(self.sk.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256)
        if not hmac.compare_digest(expected.hexdigest(), signature.lower()):
            return Verdict(False, "signature mismatch", canonical)
        return Verdict(True, "", canonical)
