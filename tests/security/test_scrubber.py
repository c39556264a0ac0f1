"""The scrubber on its own: which spellings of a secret it finds, and that it leaves other text alone."""

from __future__ import annotations

import base64
import io
import json
import logging
import re
from urllib.parse import quote, quote_plus

import pytest
from taskwatch.secrets_scrub import MASK, PREFIX, Scrubber

from tests.fixtures import AK, SK, TOKEN

SLASHY = "Abc+def/ghi=jkl+mno/pqr=stu"  # a token with every character URL and JSON treat specially


@pytest.fixture
def scrub() -> Scrubber:
    return Scrubber([AK, SK, TOKEN, SLASHY])


@pytest.mark.parametrize("secret", [AK, SK, TOKEN, SLASHY])
def test_every_spelling_of_a_secret_is_masked(scrub: Scrubber, secret: str) -> None:
    spellings = [secret, quote(secret, safe=""), quote(secret), quote_plus(secret),
                 re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(secret, safe="")),
                 secret.replace("/", "\\/")]
    for spelling in spellings:
        assert scrub(f"a {spelling} b") == f"a {MASK} b", spelling


@pytest.mark.parametrize("secret", [AK, SK, TOKEN, SLASHY])
@pytest.mark.parametrize("lead", ["", "x", "xy", "xyz"])
def test_base64_at_every_alignment_standard_and_urlsafe(scrub: Scrubber, secret: str, lead: str) -> None:
    data = f"{lead}header: {secret}; tail".encode()
    for encoded in (base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode(),
                    quote(base64.b64encode(data).decode(), safe="")):
        out = scrub(encoded)
        assert MASK in out, encoded
        # What is left decodes to nothing of the secret: at most a couple of characters either side.
        assert len(out) <= len(encoded) - len(secret) * 4 // 3 + len(MASK) + 4, (encoded, out)


@pytest.mark.parametrize("secret", [AK, SK, TOKEN])
def test_a_secret_cut_anywhere_after_its_first_characters(scrub: Scrubber, secret: str) -> None:
    for size in range(PREFIX, len(secret) + 1):
        assert scrub(f"error: {secret[:size]}") == f"error: {MASK}"
        assert scrub(f"error: {secret[:size]} and more") == f"error: {MASK} and more"
    for size in range(6, PREFIX):  # shorter pieces only where a text ends (a cut), ellipsis or not
        assert scrub(f"error: {secret[:size]}") == f"error: {MASK}"
        assert scrub(f"error: {secret[:size]}…") == f"error: {MASK}…"
        assert scrub(f"error: {secret[:size]} and more") == f"error: {secret[:size]} and more"


def test_other_text_is_left_alone(scrub: Scrubber) -> None:
    text = "taskwatch: 2 failed DDS tasks in ap-southeast-1 (TEST, token, AKSK, 0000000)"
    assert scrub(text) == text
    assert Scrubber()("anything " + SK) == "anything " + SK  # nothing registered: nothing known


def test_registering_is_idempotent_bounded_and_ignores_short_values() -> None:
    scrub = Scrubber()
    scrub.register(None, "", "abc", AK)
    scrub.register(AK)
    assert scrub("abc " + AK) == "abc " + MASK
    for number in range(40):
        scrub.register(f"RotatedSecretValue{number:04d}")
    assert scrub("RotatedSecretValue0039") == MASK


def test_json_values_keys_and_bytes(scrub: Scrubber) -> None:
    value = {"a": [1, None, True, {"k": f"x {TOKEN}"}], f"key {AK}": 2.5}
    cleaned = scrub.data(value)
    assert TOKEN not in json.dumps(cleaned) and AK not in json.dumps(cleaned)
    assert cleaned["a"][:3] == [1, None, True]
    untouched = {"a": [1, "plain"]}
    assert scrub.data(untouched) is untouched  # nothing to scrub: the very same object, no copy
    raw = b"\xff\xfe binary " + SK.encode() + b" \x00 end"
    assert scrub.bytes(raw) == b"\xff\xfe binary " + MASK.encode() + b" \x00 end"


def test_the_log_filter_scrubs_messages_arguments_and_tracebacks() -> None:
    from taskwatch.logs import get_logger
    from taskwatch.secrets_scrub import SCRUBBER

    SCRUBBER.register(AK, SK, TOKEN)
    logger = get_logger()
    stream = io.StringIO()
    handlers = [h for h in logger.handlers if isinstance(h, logging.StreamHandler)]
    previous = [h.stream for h in handlers]
    for handler in handlers:
        handler.stream = stream
    try:
        logger.warning("token %s and %r", TOKEN[:20], {"sk": SK})
        try:
            raise RuntimeError(f"echo Authorization: Access={AK} token {TOKEN}")
        except RuntimeError:
            logger.exception("failed with %s", quote(SK, safe=""))
    finally:
        for handler, old in zip(handlers, previous, strict=True):
            handler.stream = old
    text = stream.getvalue()
    assert "RuntimeError" in text and "Traceback" in text
    for secret in (AK, SK, TOKEN):
        assert secret[:PREFIX] not in text


def test_records_of_other_loggers_are_scrubbed_at_the_root_handlers() -> None:
    """urllib3, requests and the SDK log through the platform's root handlers: those scrub too."""
    from taskwatch.logs import get_logger
    from taskwatch.secrets_scrub import SCRUBBER

    SCRUBBER.register(AK, SK, TOKEN)
    stream = io.StringIO()
    platform = logging.StreamHandler(stream)  # what the runtime installs on the root logger
    root = logging.getLogger()
    root.addHandler(platform)
    try:
        get_logger()
        logging.getLogger("urllib3.connectionpool").warning("retrying with header %s", f"X-Security-Token: {TOKEN}")
    finally:
        root.removeHandler(platform)
    assert "retrying with header X-Security-Token: ***" in stream.getvalue()
