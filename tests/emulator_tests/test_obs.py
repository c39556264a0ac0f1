"""OBS objects over plain HTTP, signed with esdk-obs-python's Authentication (test-only oracle)."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta, timezone

import pytest
import requests
from obs.auth import Authentication
from obs.convertor import Adapter

from tests.emulator import CloudEmulator

from .conftest import obs_request

BUCKET = "taskwatch-state"


def test_put_then_get_round_trip(emu: CloudEmulator) -> None:
    data = b'{"version": 1, "seen": []}'
    put = obs_request(emu, "PUT", BUCKET, "state/taskwatch.json", data=data)
    assert put.status_code == 200
    assert put.headers["ETag"] == '"' + hashlib.md5(data).hexdigest() + '"'
    got = obs_request(emu, "GET", BUCKET, "state/taskwatch.json")
    assert got.status_code == 200 and got.content == data
    assert got.headers["ETag"] == put.headers["ETag"]
    assert got.headers["Content-Type"] == "application/json"
    assert emu.obs_objects == {(BUCKET, "state/taskwatch.json"): data}
    counts = emu.request_counts()
    assert counts["obs.put"] == 1 and counts["obs.get"] == 1


def test_conditional_get(emu: CloudEmulator) -> None:
    etag = emu.obs_put_object(BUCKET, "k.json", b"{}")
    assert obs_request(emu, "GET", BUCKET, "k.json", headers={"If-Match": etag}).status_code == 200
    stale = obs_request(emu, "GET", BUCKET, "k.json", headers={"If-Match": '"0123"'})
    assert stale.status_code == 412 and b"<Code>PreconditionFailed</Code>" in stale.content
    same = obs_request(emu, "GET", BUCKET, "k.json", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    changed = obs_request(emu, "GET", BUCKET, "k.json", headers={"If-None-Match": '"other"'})
    assert changed.status_code == 200 and changed.content == b"{}"


def test_put_ignores_if_match_because_obs_documents_none(emu: CloudEmulator) -> None:
    emu.obs_put_object(BUCKET, "k.json", b"old")
    put = obs_request(emu, "PUT", BUCKET, "k.json", data=b"new", headers={"If-Match": '"nope"'})
    assert put.status_code == 200 and emu.obs_objects[(BUCKET, "k.json")] == b"new"


def test_missing_key_bucket_and_head_delete(emu: CloudEmulator) -> None:
    missing = obs_request(emu, "GET", BUCKET, "absent.json")
    assert missing.status_code == 404 and b"<Code>NoSuchKey</Code>" in missing.content
    no_bucket = obs_request(emu, "GET", "other-bucket", "k")
    assert no_bucket.status_code == 404 and b"<Code>NoSuchBucket</Code>" in no_bucket.content
    emu.obs_put_object(BUCKET, "dir/a b.json", b"12345")
    head = obs_request(emu, "HEAD", BUCKET, "dir/a b.json")
    assert head.status_code == 200 and head.headers["Content-Length"] == "5" and head.content == b""
    assert obs_request(emu, "DELETE", BUCKET, "dir/a b.json").status_code == 204
    assert obs_request(emu, "HEAD", BUCKET, "dir/a b.json").status_code == 404


def test_wrong_signature_and_access_key_are_403(emu: CloudEmulator) -> None:
    bad = obs_request(emu, "GET", BUCKET, "k", sk="not-the-secret")
    assert bad.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in bad.content
    wrong_ak = obs_request(emu, "GET", BUCKET, "k", ak="SOMEONEELSE")
    assert wrong_ak.status_code == 403 and b"<Code>InvalidAccessKeyId</Code>" in wrong_ak.content
    unsigned = requests.get(f"{emu.endpoints['obs']}/{BUCKET}/k", timeout=5)
    assert unsigned.status_code == 403


def test_signature_covers_content_type_and_md5(emu: CloudEmulator) -> None:
    data = b"payload"
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    ok = obs_request(
        emu, "PUT", BUCKET, "m", data=data, headers={"Content-MD5": md5, "Content-Type": "text/plain"}
    )
    assert ok.status_code == 200
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    bad = obs_request(emu, "PUT", BUCKET, "m", data=data, headers={"Content-MD5": wrong})
    assert bad.status_code == 400 and b"BadDigest" in bad.content
    # Sign as text/plain but send application/json: the signature no longer matches.
    resp = obs_request(emu, "PUT", BUCKET, "m", data=data, headers={"Content-Type": "text/plain"})
    assert resp.status_code == 200
    prepared = requests.Request(
        "PUT", f"{emu.endpoints['obs']}/{BUCKET}/m", data=data, headers=dict(resp.request.headers)
    ).prepare()
    prepared.headers["Content-Type"] = "application/json"
    assert requests.Session().send(prepared, timeout=5).status_code == 403


def test_clock_skew_is_refused(emu: CloudEmulator) -> None:
    old = datetime.now(timezone.utc) - timedelta(minutes=16)
    resp = obs_request(emu, "GET", BUCKET, "k", date=old)
    assert resp.status_code == 403 and b"<Code>RequestTimeTooSkewed</Code>" in resp.content
    near = datetime.now(timezone.utc) - timedelta(minutes=14)
    assert obs_request(emu, "GET", BUCKET, "k", date=near).status_code == 404


def test_security_token_is_required_and_signed(token_emu: CloudEmulator) -> None:
    emu = token_emu
    without = obs_request(emu, "GET", BUCKET, "k")
    assert without.status_code == 403 and b"InvalidSecurityToken" in without.content
    wrong = obs_request(emu, "GET", BUCKET, "k", headers={"x-obs-security-token": "nope"})
    assert wrong.status_code == 403
    right = obs_request(emu, "GET", BUCKET, "k", headers={"x-obs-security-token": "TESTTOKEN-abc123"})
    assert right.status_code == 404  # authenticated; the key just does not exist
    # The token is an x-obs header, so it is part of the signature: adding it after signing fails.
    headers = {k: v for k, v in right.request.headers.items() if k.lower() != "x-obs-security-token"}
    auth = Authentication(emu.ak, emu.sk, False, Adapter("obs"), headers["Host"], False)
    headers["Authorization"] = auth.doAuth("GET", BUCKET, "k", {}, dict(headers))["Authorization"]
    headers["x-obs-security-token"] = "TESTTOKEN-abc123"
    late = requests.get(f"{emu.endpoints['obs']}/{BUCKET}/k", headers=headers, timeout=5)
    assert late.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in late.content


def test_chunked_upload_is_read_whole(emu: CloudEmulator) -> None:
    put = obs_request(emu, "PUT", BUCKET, "chunked.json", data=iter([b'{"a": ', b"1}"]))
    assert put.status_code == 200 and put.request.headers.get("Transfer-Encoding") == "chunked"
    assert emu.obs_objects[(BUCKET, "chunked.json")] == b'{"a": 1}'


def test_head_bucket_answers_location_or_404_without_body(emu: CloudEmulator) -> None:
    head = obs_request(emu, "HEAD", BUCKET, "")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["x-obs-bucket-location"] == emu.region
    missing = obs_request(emu, "HEAD", "other-bucket", "")
    assert missing.status_code == 404 and missing.content == b""
    assert obs_request(emu, "HEAD", BUCKET, "", sk="wrong-secret").status_code == 403
    assert [r["call"] for r in emu.requests] == ["obs.head_bucket"] * 3


@pytest.mark.parametrize(("encryption", "header"), [("kms", "kms"), ("obs", "AES256")])
def test_encrypted_bucket_etag_is_not_the_md5_and_answers_say_encrypted(encryption: str, header: str) -> None:
    emulator = CloudEmulator(obs_encryption=encryption, seed_examples=False).start()
    try:
        data = b'{"version": 1}'
        md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
        put = obs_request(emulator, "PUT", BUCKET, "s.json", data=data, headers={"Content-MD5": md5})
        assert put.status_code == 200 and put.headers["x-obs-server-side-encryption"] == header
        assert put.headers["ETag"].strip('"') != hashlib.md5(data).hexdigest()
        assert len(put.headers["ETag"].strip('"')) == 32
        got = obs_request(emulator, "GET", BUCKET, "s.json")
        assert got.content == data and got.headers["ETag"] == put.headers["ETag"]
        assert got.headers["x-obs-server-side-encryption"] == header
        assert ("x-obs-server-side-encryption-kms-key-id" in got.headers) == (encryption == "kms")
        same = obs_request(emulator, "GET", BUCKET, "s.json", headers={"If-None-Match": put.headers["ETag"]})
        assert same.status_code == 304
        wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
        bad = obs_request(emulator, "PUT", BUCKET, "s.json", data=b"changed", headers={"Content-MD5": wrong})
        assert bad.status_code == 400 and b"BadDigest" in bad.content
        assert emulator.obs_objects[(BUCKET, "s.json")] == data
    finally:
        emulator.stop()
    assert emulator.errors == []


def test_unknown_encryption_is_refused() -> None:
    with pytest.raises(ValueError, match="encryption"):
        CloudEmulator(obs_encryption="sse-c")
