"""The state bucket: HEAD the bucket, then write, read back and delete a probe object next to the state
object (never the state object itself, nor the lease), through the function's own ObsStore and signature.

The probe's answers also show whether the bucket encrypts objects: OBS then says x-obs-server-side-encryption,
and the ETag is not the MD5 of the body.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping

import requests
from taskwatch.config import Config
from taskwatch.credentials import Credentials
from taskwatch.deadline import Deadline
from taskwatch.errors import StateError
from taskwatch.state import ObsStore, open_store
from taskwatch.timeutil import iso, utcnow

from .diagnose import Verdict, obs_error, obs_transport
from .hosts import shown
from .rows import FAIL, OK, WARN, Row

PROBE_PREFIX = "doctor-probe-"


def probe_name(store: ObsStore) -> str:
    """<state key>.doctor-probe-<random>: beside the state object, never the state object or the lease."""
    name = store.sibling(PROBE_PREFIX + secrets.token_hex(6))
    if name in (store.key, store.sibling("lease")):
        raise AssertionError("the probe object must never be the state object or the lease")
    return name


def _code(response: requests.Response) -> str:
    body = response.text if response.content else ""
    start, end = body.find("<Code>"), body.find("</Code>")
    return body[start + 6:end][:64] if 0 <= start < end else ""


def encryption(headers: Mapping[str, str], body: bytes) -> str:
    """What a PUT answer's headers say about server-side encryption, in one phrase."""
    header = headers.get("x-obs-server-side-encryption")
    etag = headers.get("ETag", "").strip('"').lower()
    if header:
        key = headers.get("x-obs-server-side-encryption-kms-key-id")
        return f"objects are encrypted (x-obs-server-side-encryption: {header}{', a KMS key' if key else ''}); " \
               f"the ETag {'is' if etag == hashlib.md5(body).hexdigest() else 'is not'} the body's MD5"
    if etag and etag != hashlib.md5(body).hexdigest():
        return "the ETag is not the body's MD5: the bucket probably encrypts objects (no encryption header seen)"
    return "not encrypted (no encryption header; the ETag is the body's MD5)"


class _Call:
    """One raw OBS call through the store's own signing; a transport failure becomes a Verdict."""

    def __init__(self, store: ObsStore) -> None:
        self.store = store

    def __call__(self, method: str, name: str, data: bytes | None = None) -> requests.Response | Verdict:
        try:
            return self.store._send(method, name, data)
        except StateError as exc:
            return obs_transport(str(exc))


def check_state_bucket(config: Config, credentials: Credentials) -> list[Row]:
    try:
        store = open_store(config, credentials, Deadline(None, 0.0))
    except StateError as exc:
        return [Row(FAIL, "state", "-", str(exc), "fix TASKWATCH_STATE_URI")]
    if not isinstance(store, ObsStore):
        return [Row(WARN, "state", "-", f"a local file ({store.key}): fine for local runs, not on FunctionGraph",
                    "use obs://bucket/key for a deployed function")]
    host = shown(store.base.replace("{bucket}", store.bucket))
    name = f"state bucket {store.bucket}"
    call = _Call(store)
    rows: list[Row] = []
    head = call("HEAD", "")
    if isinstance(head, Verdict):
        return [Row(head.status, f"{name}: head", host, head.detail, head.fix)]
    if head.status_code != 200:
        verdict = obs_error("obs.head_bucket", head.status_code, _code(head))
        rows.append(Row(verdict.status, f"{name}: head", host, verdict.detail, verdict.fix))
        if verdict.status == FAIL:
            return rows
    else:
        rows.append(_location(name, host, head, config.obs_region))
    return rows + _probe(store, call, name, host)


def _location(name: str, host: str, head: requests.Response, region: str) -> Row:
    location = head.headers.get("x-obs-bucket-location")
    if location and location != region:
        return Row(FAIL, f"{name}: head", host, f"the bucket is in {location}, the configuration says {region}",
                   f"set TASKWATCH_OBS_REGION={location}")
    return Row(OK, f"{name}: head", host, f"bucket exists (location {location or 'not stated'})")


def _probe(store: ObsStore, call: _Call, name: str, host: str) -> list[Row]:
    probe = probe_name(store)
    body = json.dumps({"probe": "taskwatch doctor", "at": iso(utcnow())}).encode("utf-8")
    rows: list[Row] = []
    put = call("PUT", probe, body)
    if isinstance(put, Verdict) or put.status_code != 200:
        verdict = put if isinstance(put, Verdict) else obs_error("obs.put", put.status_code, _code(put))
        return [Row(verdict.status, f"{name}: write", host, f"{probe}: {verdict.detail}", verdict.fix)]
    rows.append(Row(OK, f"{name}: write", host, f"{probe}: written; {encryption(put.headers, body)}"))
    got = call("GET", probe)
    if isinstance(got, Verdict) or got.status_code != 200:
        verdict = got if isinstance(got, Verdict) else obs_error("obs.get", got.status_code, _code(got))
        rows.append(Row(verdict.status, f"{name}: read", host, f"{probe}: {verdict.detail}", verdict.fix))
    elif got.content != body:
        rows.append(Row(FAIL, f"{name}: read", host, f"{probe}: read back {len(got.content)} bytes that differ "
                                                     f"from the {len(body)} written",
                        "something between this machine and OBS changes objects (a proxy?)"))
    else:
        rows.append(Row(OK, f"{name}: read", host, f"{probe}: read back unchanged"))
    gone = call("DELETE", probe)
    if isinstance(gone, Verdict) or gone.status_code not in (200, 204):
        verdict = gone if isinstance(gone, Verdict) else obs_error("obs.delete", gone.status_code, _code(gone))
        rows.append(Row(verdict.status, f"{name}: delete", host, f"{probe}: {verdict.detail}",
                        f"{verdict.fix}; then delete {probe} by hand"))
    else:
        rows.append(Row(OK, f"{name}: delete", host, f"{probe}: deleted"))
    return rows
