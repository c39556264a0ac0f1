"""What a warm instance keeps between invocations (taskwatch/warm.py) must not keep what an invocation's
environment decides: a change made between two invocations takes effect on the next one."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import invoke
from tests.fixtures import FakeContext

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
                   "http_proxy", "https_proxy", "all_proxy", "no_proxy")


def _closed_port() -> int:
    """A local port nothing listens on (a proxy that is gone)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _first_invocation_behind_a_dead_proxy(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A warm instance's first invocation, with a proxy that does not answer: nothing is read."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("TASKWATCH_RESERVE", "2")
    first = invoke(context=FakeContext(budget_ms=8_000))
    assert first["outcome"] == "failed" and any("ProxyError" in e for e in first["errors"]), first


def test_a_proxy_setting_removed_between_invocations_no_longer_routes_the_state(emulator, env, monkeypatch) -> None:
    """The first invocation runs with a proxy that does not answer: nothing is read. The proxy setting is then
    removed; the second invocation's SDK calls go straight to the hosts, and so must its OBS calls: a
    session kept from the first invocation with the proxy it read then would leave the state unreadable."""
    _first_invocation_behind_a_dead_proxy(monkeypatch)
    monkeypatch.delenv("HTTP_PROXY")
    second = invoke()
    assert not [e for e in second["errors"] if "OBS" in e], second["errors"]
    assert second["state"]["written"] is True, second


@pytest.mark.parametrize("variable", ["NO_PROXY", "no_proxy"])
def test_a_host_exempted_from_the_proxy_between_invocations_is_reached_directly(
        emulator, env, monkeypatch, variable) -> None:
    """The same change made the other usual way: the proxy stays, the hosts are exempted from it."""
    _first_invocation_behind_a_dead_proxy(monkeypatch)
    monkeypatch.setenv(variable, "127.0.0.1,localhost")
    second = invoke()
    assert not [e for e in second["errors"] if "OBS" in e], second["errors"]
    assert second["state"]["written"] is True, second


def test_a_proxy_login_reaches_no_log_line_summary_or_kept_key(emulator, env, monkeypatch, capsys) -> None:
    """A proxy URL may carry a login. Neither the failures through that proxy nor what the warm instance
    keeps for later invocations (the shelf's keys) show it."""
    from taskwatch.warm import SHELF

    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    login = "proxy-user:Proxy-Passw0rd-Unseen"
    monkeypatch.setenv("HTTP_PROXY", f"http://{login}@127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("TASKWATCH_RESERVE", "2")
    failed = invoke(context=FakeContext(budget_ms=8_000))
    assert failed["outcome"] == "failed", failed
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # the OBS host exempted: the state is read, the rest listed
    summary = invoke(context=FakeContext(budget_ms=8_000))
    assert summary["state"]["written"] is True, summary
    output = capsys.readouterr()
    for text in (output.out, output.err, repr(failed), repr(summary), repr(SHELF._idle)):
        assert "Proxy-Passw0rd-Unseen" not in text


@pytest.mark.parametrize("content_type", ["application/xml", "application/bson"])
def test_a_listing_answered_with_an_unreadable_typed_body_is_reported(emulator, env, content_type) -> None:
    """A gateway's page with a content type the SDK decodes itself (XML, BSON) and a body that is not one:
    the listing fails and is reported for its source; the other sources and the state go on."""
    from tests.emulator import Fault

    emulator.faults.add(Fault(call="dds.list", kind="answer", status=200, body=b"<html>gateway</html",
                              headers=[("Content-Type", content_type)], times=None))
    summary = invoke()
    assert summary["state"]["written"] is True, summary
    assert any("dds" in error for error in summary["errors"]), summary["errors"]
    assert [s for s in summary["sources"] if "dds" in s["source"] and not s["ok"]], summary["sources"]


def test_rotated_temporary_credentials_are_used_by_the_next_invocation(env, monkeypatch) -> None:
    """FunctionGraph hands each invocation the agency's temporary credentials of the moment. After a
    rotation the old token is refused: a client or session kept with it would fail every call."""
    from tests.conftest import emulator_with
    from tests.fixtures import AK, SK

    with emulator_with(monkeypatch, security_token="token-before-rotation") as emu:
        first = invoke(context=FakeContext(ak=AK, sk=SK, token="token-before-rotation"))
        assert first["outcome"] == "ok" and first["state"]["written"] is True, first["errors"]
        emu.security_token = "token-after-rotation"
        second = invoke(context=FakeContext(ak=AK, sk=SK, token="token-after-rotation"))
        assert second["outcome"] == "ok" and not second["errors"], second["errors"]
        assert second["state"]["bytes_read"] > 0, second["state"]
        stale = invoke(context=FakeContext(ak=AK, sk=SK, token="token-before-rotation"))
        assert stale["outcome"] != "ok" and stale["errors"], stale  # the old token is refused indeed


def test_a_borrower_never_given_back_holds_its_clients_only_as_long_as_it_lives(monkeypatch) -> None:
    """warm.py: 'A borrower that is never given back (a tool, not a run) holds its clients only as long as
    it lives' -- the preflight checks build a TaskCenter per target and service with a Deadline of their own
    and never give it back. Once that Deadline and the client are dropped, neither may stay in memory."""
    import gc
    import weakref

    from huaweicloudsdkdds.v3 import DdsClient
    from taskwatch import sdk
    from taskwatch.credentials import Credentials
    from taskwatch.deadline import Deadline
    from taskwatch.warm import Shelf

    shelf = Shelf()
    monkeypatch.setattr(sdk, "SHELF", shelf)
    deadline = Deadline(None, 0.0)
    client = sdk.build_client(DdsClient, "https://dds.xx-test-1.example.com", "p1",
                              Credentials("AK-TOOL", "SK-TOOL"), 30, deadline=deadline)
    gone_deadline, gone_client = weakref.ref(deadline), weakref.ref(client)
    del deadline, client
    gc.collect()
    assert gone_deadline() is None and gone_client() is None
    assert len(shelf._lent) == 0


def test_a_state_edited_to_hold_a_lone_surrogate_escape_is_treated_as_unreadable(emulator, env) -> None:
    """Another writer (a tool, a hand edit) stores the state with json.dumps' default ASCII escapes and a
    lone surrogate in a text ("\\ud800"). Its checksum no longer covers the bytes, so the run recomputes it:
    the object is unreadable, kept aside and reported like any other, never an unexpected exception."""
    import json

    from tests.conftest import STATE_KEY
    from tests.fixtures import BUCKET

    invoke()
    document = json.loads(emulator.obs_objects[(BUCKET, STATE_KEY)])
    document["writer"] = "edited \ud800 by hand"
    emulator.obs_put_object(BUCKET, STATE_KEY, json.dumps(document).encode("ascii"))
    summary = invoke()
    assert any("state unreadable" in e for e in summary["errors"]), summary["errors"]
    assert summary["state"]["written"] is True, summary
    assert [key for (_bucket, key) in emulator.obs_objects if key.startswith(STATE_KEY + ".unreadable-")]


def test_a_state_with_a_valid_leading_checksum_over_a_lone_surrogate_escape_is_unreadable(emulator, env) -> None:
    """The same text, but the other writer put a leading checksum that covers its bytes (how this function
    lays the object out): the checksum holds, so it is not recomputed; the text still cannot be written
    back, and a run that read it must not fail on every save."""
    import hashlib

    from tests.conftest import STATE_KEY
    from tests.fixtures import BUCKET

    invoke()
    stored = emulator.obs_objects[(BUCKET, STATE_KEY)]
    head = b'{"checksum":"sha256:'
    assert stored.startswith(head) and b'"name":"' in stored
    rest = stored[len(head) + 64 + 2:].replace(b'"name":"', b'"name":"\\ud800', 1)
    forged = head + hashlib.sha256(b"{" + rest).hexdigest().encode("ascii") + b'",' + rest
    emulator.obs_put_object(BUCKET, STATE_KEY, forged)
    summary = invoke()
    assert summary["outcome"] != "failed" or "internal error" not in " ".join(summary["errors"]), summary["errors"]
    assert summary["state"]["written"] is not None, summary
    again = invoke()
    assert not [e for e in again["errors"] if "internal error" in e], again["errors"]
