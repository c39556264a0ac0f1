"""The OBS header signature (v2): Authorization: OBS {AK}:{base64(HMAC-SHA1(SK, StringToSign))}.

StringToSign = VERB \\n Content-MD5 \\n Content-Type \\n Date \\n CanonicalizedHeaders CanonicalizedResource,
where CanonicalizedHeaders are the x-obs-* headers (lower-cased, sorted, name:value\\n; the security token of
temporary credentials is one of them) and CanonicalizedResource is /bucket/key with the key URL-encoded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from email.utils import formatdate
from urllib.parse import quote


def http_date(timestamp: float | None = None) -> str:
    """RFC 1123 date, as OBS wants in the Date header (more than 15 minutes of skew is refused)."""
    return formatdate(timestamp, usegmt=True)


def string_to_sign(method: str, bucket: str, key: str, headers: Mapping[str, str],
                   sub_resources: Mapping[str, str | None] | None = None) -> str:
    lower = {name.lower(): value for name, value in headers.items()}
    date = "" if "x-obs-date" in lower else lower.get("date", "")
    lines = [method.upper(), lower.get("content-md5", ""), lower.get("content-type", ""), date]
    obs_headers = sorted((name, value) for name, value in lower.items() if name.startswith("x-obs-"))
    canonical_headers = "".join(f"{name}:{value}\n" for name, value in obs_headers)
    resource = f"/{bucket}/{quote(key, safe='/~')}" if key else f"/{bucket}/"
    if sub_resources:
        resource += "?" + "&".join(
            name if value is None else f"{name}={value}" for name, value in sorted(sub_resources.items())
        )
    return "\n".join(lines) + "\n" + canonical_headers + resource


def authorization(ak: str, sk: str, method: str, bucket: str, key: str, headers: Mapping[str, str],
                  sub_resources: Mapping[str, str | None] | None = None) -> str:
    """The Authorization header value for one request."""
    text = string_to_sign(method, bucket, key, headers, sub_resources)
    digest = hmac.new(sk.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    return f"OBS {ak}:{base64.b64encode(digest).decode('ascii')}"
