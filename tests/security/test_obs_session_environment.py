"""The OBS session reads the process environment once, when it is built, and never takes credentials from a
~/.netrc: requests would otherwise put a netrc login into the Authorization header in place of the OBS
signature (the state could then be neither read nor saved), and scan the whole environment on every call.
The SDK's own session is the SDK's: its calls are signed by the SDK and a netrc entry for an API host would
spoil them the same way; there is no ~/.netrc in FunctionGraph, and the SDK offers no switch for it."""

from __future__ import annotations

from urllib.parse import urlsplit

from taskwatch.warm import SHELF

from tests.conftest import invoke


def test_a_netrc_entry_for_the_obs_host_does_not_replace_the_signature(emulator, env, monkeypatch, tmp_path) -> None:
    host = urlsplit(env["TASKWATCH_ENDPOINT_OBS"]).hostname
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine {host} login someone password not-the-obs-signature\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    SHELF.clear()  # a session built in this environment
    first = invoke()
    assert first["state"]["written"] is True, first["errors"]  # the emulator checks the OBS signature
    again = invoke()
    assert again["state"]["bytes_read"] > 0 and again["state"]["written"] is not None, again
    assert not [e for e in again["errors"] if "OBS" in e], again["errors"]
