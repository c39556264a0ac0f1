"""OBS objects over plain HTTP, path style: GET/HEAD/PUT/DELETE /{bucket}/{key}, and HEAD /{bucket} (HeadBucket).

Why: the function keeps its state in one OBS object using its own header signature; the emulator checks
that signature against an independent oracle (esdk-obs-python's Authentication, a TEST-only dependency)
and implements the conditional reads the function relies on (If-Match 412, If-None-Match 304).
HeadBucket answers 200 with x-obs-bucket-location (the emulator's region) and x-obs-storage-class, or 404
without a body (a HEAD answer has none), as the OBS API reference documents.
PUT documents no If-Match, so PUT ignores conditional headers (there is no compare-and-swap write).
A Content-MD5 that does not match the body is refused with 400 BadDigest, encrypted bucket or not.

Encrypted bucket (`encryption="kms"` for SSE-KMS, `"obs"` for SSE-OBS): the object's ETag is then not the
MD5 of the body (OBS computes it over what it stores), and every answer about the object carries
x-obs-server-side-encryption (kms / AES256), as OBS documents for server-side encryption.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from xml.sax.saxutils import escape

from obs.auth import Authentication
from obs.convertor import Adapter

from .service import Route, Service
from .wire import Request, Response

_CALLS = {"GET": "obs.get", "HEAD": "obs.head", "PUT": "obs.put", "DELETE": "obs.delete"}
_FAULT_STATUS = {
    "429": (429, "TooManyRequests", "Too many requests."),
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "503": (503, "ServiceUnavailable", "Please reduce your request rate."),
    "401": (401, "Unauthorized", "Authentication required."),
    "403": (403, "AccessDenied", "Access Denied"),
}


@dataclass
class StoredObject:
    data: bytes
    etag: str  # quoted, as sent in the ETag header
    content_type: str
    last_modified: datetime
    metadata: dict[str, str]


ENCRYPTION_HEADER = {"kms": "kms", "obs": "AES256"}  # x-obs-server-side-encryption per bucket encryption


class ObjectStore:
    """Thread-safe buckets and objects; `encryption` ("kms", "obs" or None) is every bucket's default."""

    def __init__(self, buckets: list[str], encryption: str | None = None) -> None:
        self._lock = threading.Lock()
        self.buckets = set(buckets)
        self.encryption: str | None = None
        self.set_encryption(encryption)
        self._objects: dict[tuple[str, str], StoredObject] = {}

    def set_encryption(self, encryption: str | None) -> None:
        """Change the buckets' default encryption, as an owner can at any time: objects written from now on
        are encrypted (their ETag is no longer the MD5); objects already stored keep theirs."""
        if encryption is not None and encryption not in ENCRYPTION_HEADER:
            raise ValueError(f"encryption must be one of {sorted(ENCRYPTION_HEADER)} or None")
        self.encryption = encryption

    def put(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: str = "application/octet-stream",
        metadata: dict[str, str] | None = None,
    ) -> StoredObject:
        obj = StoredObject(
            data=bytes(data),
            etag='"' + (uuid.uuid4().hex if self.encryption else hashlib.md5(data).hexdigest()) + '"',
            content_type=content_type,
            last_modified=datetime.now(timezone.utc),
            metadata=dict(metadata or {}),
        )
        with self._lock:
            if bucket not in self.buckets:
                raise KeyError(f"unknown bucket {bucket!r}")
            self._objects[(bucket, key)] = obj
        return obj

    def get(self, bucket: str, key: str) -> StoredObject | None:
        with self._lock:
            return self._objects.get((bucket, key))

    def delete(self, bucket: str, key: str) -> None:
        with self._lock:
            self._objects.pop((bucket, key), None)

    def encryption_headers(self, region: str, project_id: str) -> list[tuple[str, str]]:
        """What OBS adds to its answers about an object in an encrypted bucket."""
        if self.encryption is None:
            return []
        headers = [("x-obs-server-side-encryption", ENCRYPTION_HEADER[self.encryption])]
        if self.encryption == "kms":
            headers.append(("x-obs-server-side-encryption-kms-key-id",
                            f"urn:kms:{region}:{project_id}:key/0f0e0d0c-0b0a-4909-8807-060504030201"))
        return headers

    def snapshot(self) -> dict[tuple[str, str], bytes]:
        with self._lock:
            return {k: v.data for k, v in self._objects.items()}


def xml_error(status: int, code: str, message: str, **extra: str) -> Response:
    request_id = uuid.uuid4().hex[:16].upper()
    fields = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in extra.items())
    body = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>"
        f"<RequestId>{request_id}</RequestId><HostId>emulator</HostId>{fields}</Error>"
    ).encode()
    return Response(status=status, body=body, headers=[("Content-Type", "application/xml")])


def _etags(header: str) -> list[str]:
    tags = []
    for part in header.split(","):
        tag = part.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        tags.append(tag.strip('"'))
    return tags


class Obs(Service):
    name = "obs"

    def __init__(self, emu: Any, store: ObjectStore) -> None:
        super().__init__(emu)
        self.store = store

    # ---- routing and auth -----------------------------------------------------------------------
    def route(self, req: Request) -> Route | None:
        call = _CALLS.get(req.method)
        segments = req.raw_path.split("/")
        if call is None or len(segments) < 2 or not segments[1]:
            return None
        bucket = req.segments[0]
        key = "/".join(req.segments[1:])
        if not key:
            # HEAD /{bucket} (or /{bucket}/): HeadBucket; no other bucket-level API is emulated.
            return Route("obs.head_bucket", {"bucket": bucket, "key": ""}) if req.method == "HEAD" else None
        return Route(call, {"bucket": bucket, "key": key})

    def unknown_api(self, req: Request) -> Response:
        return xml_error(
            405, "MethodNotAllowed", "The emulator only serves object GET/HEAD/PUT/DELETE and bucket HEAD."
        )

    def authenticate(self, req: Request, route: Route) -> Response | None:
        date_text = req.header("x-obs-date") or req.header("Date")
        if not date_text:
            return xml_error(403, "AccessDenied", "Request has no Date or x-obs-date header.")
        try:
            signed_at = parsedate_to_datetime(date_text)
        except (TypeError, ValueError):
            return xml_error(403, "AccessDenied", "Invalid Date header.")
        if signed_at.tzinfo is None:
            signed_at = signed_at.replace(tzinfo=timezone.utc)
        skew = abs(time.time() - signed_at.timestamp())
        if skew > self.emu.max_skew.total_seconds():
            return xml_error(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the server's time is too large.",
                RequestTime=date_text,
                ServerTime=format_datetime(datetime.now(timezone.utc), usegmt=True),
            )
        authorization = req.header("Authorization") or ""
        if not authorization.startswith("OBS ") or ":" not in authorization:
            return xml_error(403, "AccessDenied", "Access Denied")
        access, signature = authorization[4:].rsplit(":", 1)
        if access != self.emu.ak:
            return xml_error(
                403,
                "InvalidAccessKeyId",
                "The access key Id you provided does not exist in our records.",
                AWSAccessKeyId=access,
            )
        token = req.header("x-obs-security-token")
        if token != self.emu.security_token:
            return xml_error(403, "InvalidSecurityToken", "The provided security token is not valid.")
        expected, canonical = self.expected_signature(req, route)
        if not hmac.compare_digest(expected, signature):
            return xml_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
                StringToSign=canonical,
                SignatureProvided=signature,
            )
        return None

    def expected_signature(self, req: Request, route: Route) -> tuple[str, str]:
        """Ask the independent oracle (esdk-obs-python) what this request's signature must be."""
        headers = {name: str(value) for name, value in req.headers.items()}
        headers.pop("Authorization", None)
        headers.pop("authorization", None)
        args = dict(req.query_items())
        oracle = Authentication(self.emu.ak, self.emu.sk, False, Adapter("obs"), req.header("Host"), False)
        result = oracle.doAuth(req.method, route.params["bucket"], route.params["key"], args, headers)
        authorization = result["Authorization"]
        return authorization.rsplit(":", 1)[1], result["CanonicalString"]

    # ---- handling -------------------------------------------------------------------------------
    def handle(self, req: Request, route: Route) -> Response:
        bucket, key = route.params["bucket"], route.params["key"]
        if bucket not in self.store.buckets:
            return xml_error(404, "NoSuchBucket", "The specified bucket does not exist.", BucketName=bucket)
        if route.call == "obs.head_bucket":
            return Response(status=200, headers=[("x-obs-bucket-location", self.emu.region),
                                                 ("x-obs-storage-class", "STANDARD")])
        if req.method == "PUT":
            return self._put(req, bucket, key)
        if req.method == "DELETE":
            self.store.delete(bucket, key)
            return Response(status=204)
        return self._get(req, bucket, key)

    def _put(self, req: Request, bucket: str, key: str) -> Response:
        content_md5 = req.header("Content-MD5")
        if content_md5 is not None:
            actual = base64.b64encode(hashlib.md5(req.body).digest()).decode("ascii")
            if content_md5.strip() != actual:
                return xml_error(
                    400, "BadDigest", "The Content-MD5 you specified did not match what we received."
                )
        metadata = {
            name.lower(): str(value)
            for name, value in req.headers.items()
            if name.lower().startswith("x-obs-meta-")
        }
        obj = self.store.put(
            bucket, key, req.body, req.header("Content-Type") or "application/octet-stream", metadata
        )
        return Response(status=200, headers=[("ETag", obj.etag), *self._encryption_headers()])

    def _get(self, req: Request, bucket: str, key: str) -> Response:
        obj = self.store.get(bucket, key)
        if obj is None:
            return xml_error(404, "NoSuchKey", "The specified key does not exist.", Key=key)
        bare = obj.etag.strip('"')
        if_match = req.header("If-Match")
        if if_match is not None and not ({"*", bare} & set(_etags(if_match))):
            return xml_error(
                412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold."
            )
        if_none_match = req.header("If-None-Match")
        if if_none_match is not None and {"*", bare} & set(_etags(if_none_match)):
            return Response(status=304, headers=[("ETag", obj.etag), *self._encryption_headers()])
        headers = [
            ("ETag", obj.etag),
            ("Content-Type", obj.content_type),
            ("Last-Modified", format_datetime(obj.last_modified, usegmt=True)),
            *obj.metadata.items(),
            *self._encryption_headers(),
        ]
        return Response(status=200, body=obj.data, headers=headers)

    def _encryption_headers(self) -> list[tuple[str, str]]:
        return self.store.encryption_headers(self.emu.region, self.emu.project_id)

    # ---- faults and decoration --------------------------------------------------------------------
    def is_list(self, call: str) -> bool:
        return False

    def fault_error(self, kind: str) -> Response:
        status, code, message = _FAULT_STATUS[kind]
        return xml_error(status, code, message)

    def malformed_body(self, route: Route) -> bytes:
        return b'{"version": 1, "seen": ['

    def decorate(self, response: Response, request_id: str) -> None:
        response.headers.append(("x-obs-request-id", request_id[:16].upper()))
        response.headers.append(("x-obs-id-2", request_id))
