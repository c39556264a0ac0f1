"""OBS calls never follow a redirect. `requests` would follow it, drop Authorization on the change of host
but keep x-obs-security-token, and a 404 at the new host would read as "no state": a fresh baseline.
A 3xx from OBS is a StateError naming the status; a real listener stands in for the other host and must
receive nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import STATE_KEY, alerted_keys, emulator_with, invoke
from tests.emulator import CloudEmulator, Fault
from tests.fixtures import AK, BUCKET, SK, TOKEN, FakeContext


class Listener:
    """A real HTTP server on loopback that records every request it gets and answers 404 (as a host that
    holds no such object would)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                outer.requests.append((self.command, self.path, dict(self.headers.items())))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_PUT = do_HEAD = do_POST = _any

            def log_message(self, *args: object) -> None:  # quiet
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


@pytest.fixture
def cloud(env, monkeypatch) -> Iterator[CloudEmulator]:
    """The emulator expecting agency credentials with a security token (what the redirect would carry)."""
    with emulator_with(monkeypatch, security_token=TOKEN) as emu:
        monkeypatch.delenv("CLOUD_SDK_AK")
        monkeypatch.delenv("CLOUD_SDK_SK")
        yield emu


def agency() -> FakeContext:
    return FakeContext(ak=AK, sk=SK, token=TOKEN)


def redirect(listener: Listener, status: int, call: str) -> Fault:
    location = f"{listener.url}/{BUCKET}/{STATE_KEY}"
    return Fault(call=call, kind="answer", status=status, headers=(("Location", location),))


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirected_state_read_is_an_error_not_a_fresh_baseline(cloud, listener, status) -> None:
    first = invoke(context=agency())
    assert first["outcome"] == "ok" and len(alerted_keys(cloud)) == 2, first
    saved = cloud.obs_objects[(BUCKET, STATE_KEY)]

    cloud.faults.add(redirect(listener, status, "obs.get"))
    redirected = invoke(context=agency())

    assert listener.requests == [], "the security token went to another host"
    assert redirected["outcome"] == "failed" and redirected["error_type"] == "StateError", redirected
    assert f"HTTP {status} redirect refused" in redirected["errors"][0]
    assert cloud.obs_objects[(BUCKET, STATE_KEY)] == saved, "no fresh baseline may replace the state"
    assert len(alerted_keys(cloud)) == 2


@pytest.mark.parametrize("status", [302, 307])
def test_a_redirect_on_the_first_run_takes_no_baseline(cloud, listener, status) -> None:
    cloud.faults.add(redirect(listener, status, "obs.get"))
    summary = invoke(context=agency())
    assert listener.requests == []
    assert summary["outcome"] == "failed" and summary.get("baselined", 0) == 0, summary
    assert (BUCKET, STATE_KEY) not in cloud.obs_objects and cloud.smn_messages == []


@pytest.mark.parametrize("status", [307, 308])
def test_a_redirected_write_sends_nothing_elsewhere(cloud, listener, status) -> None:
    """307/308 would repeat the PUT, body and token included, at the new host."""
    cloud.faults.add(redirect(listener, status, "obs.put"))
    summary = invoke(context=agency())
    assert listener.requests == []
    assert summary["outcome"] == "failed", summary
    assert any(f"HTTP {status} redirect refused" in e for e in summary["errors"]), summary["errors"]
    cloud.faults.clear()
    again = invoke(context=agency())
    assert again["outcome"] == "ok" and len(alerted_keys(cloud)) == 2, again
