"""The preflight's pure parts: telling the offset reading from three pages, naming encryption from a PUT's
headers, classifying a transport failure, and scrubbing every printed line."""

from __future__ import annotations

import hashlib

import pytest
from preflight.bucket import encryption
from preflight.diagnose import obs_transport
from preflight.offsets import ITEM, PAGE, infer_reading
from preflight.rows import FAIL, OK, Row, exit_code, render
from ship.redact import Redactor

TASKS = [f"t{n:02d}" for n in range(40)]  # newest first, as the task centers list them
L = 10


def item_offset(offset: int) -> list[str]:
    return TASKS[offset:offset + L]


def page_number(offset: int) -> list[str]:
    start = (max(offset, 1) - 1) * L
    return TASKS[start:start + L]


@pytest.mark.parametrize(("fetch", "reading"), [(item_offset, ITEM), (page_number, PAGE)])
def test_each_reading_is_recognised(fetch, reading: str) -> None:
    found = infer_reading(fetch(0), fetch(2), fetch(L), L)
    assert found.reading == reading, found.explanation


def test_just_over_one_page_is_enough() -> None:
    tasks = TASKS[:L + 1]
    assert infer_reading(tasks[:L], tasks[2:L + 2], tasks[L:2 * L], L).reading == ITEM
    assert infer_reading(tasks[:L], tasks[L:2 * L], [], L).reading == PAGE


@pytest.mark.parametrize(("first", "at_two", "at_limit", "says"), [
    (TASKS[:L], TASKS[:L], TASKS[:L], "ignore offset"),
    (TASKS[:5], [], [], "one page only"),
    (TASKS[:L], [], [], "returned no tasks"),
    (TASKS[:L], TASKS[2:L + 2], TASKS[5:15], "did not continue"),
    (TASKS[:L], TASKS[1:L + 1], TASKS[L:2 * L], "no recognisable way"),
])
def test_what_fits_neither_reading_is_not_guessed(first: list[str], at_two: list[str], at_limit: list[str],
                                                  says: str) -> None:
    found = infer_reading(first, at_two, at_limit, L)
    assert found.reading is None and says in found.explanation


def test_encryption_is_read_from_the_header_or_an_etag_that_is_not_the_md5() -> None:
    body = b'{"probe": 1}'
    md5 = '"' + hashlib.md5(body).hexdigest() + '"'
    assert encryption({"ETag": md5}, body).startswith("not encrypted")
    kms = encryption({"ETag": '"3f2a"', "x-obs-server-side-encryption": "kms",
                      "x-obs-server-side-encryption-kms-key-id": "urn:kms:key"}, body)
    assert "x-obs-server-side-encryption: kms, a KMS key" in kms and "is not the body's MD5" in kms
    sse_obs = encryption({"ETag": md5, "x-obs-server-side-encryption": "AES256"}, body)
    assert "AES256" in sse_obs and "is the body's MD5" in sse_obs
    assert "probably encrypts" in encryption({"ETag": '"3f2a"'}, body)


def test_a_timeout_and_a_refused_connection_get_their_own_fix() -> None:
    assert "no answer in time" in obs_transport("OBS PUT b/k: ReadTimeout").fix
    assert "cannot connect" in obs_transport("OBS PUT b/k: ConnectionError").fix


def test_every_rendered_line_is_scrubbed_and_only_a_failure_fails() -> None:
    secret = "TESTSKsecretThatMustNotShow0001"
    rows = [Row(OK, "a", "h", f"detail with {secret}"), Row("WARN", "b", "h", "x", fix=f"use {secret}")]
    text = "\n".join(render(rows, Redactor([secret])))
    assert secret not in text and text.count("***") == 2 and "fix: use ***" in text
    assert exit_code(rows) == 0 and exit_code([*rows, Row(FAIL, "c", "h", "y")]) == 1
