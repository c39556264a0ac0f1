"""A foreign host on loopback: a plain TCP listener that records every connection and the first bytes sent.

It stands in for an attacker's host. It answers nothing useful (HTTP 502, then it closes), so whatever
reaches it, a TLS ClientHello or a signed plain-HTTP request with its credentials, is recorded and fails.
A test asserts that its `connections` stay empty.
"""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Listener:
    """Accepts on (host, port) in a thread; `connections` holds the bytes each client sent first."""

    def __init__(self, host: str, port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.host, self.port = self.sock.getsockname()[:2]
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="foreign-host", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            with client:
                client.settimeout(1)
                received = b""
                try:
                    while b"\r\n\r\n" not in received and len(received) < 65536:
                        chunk = client.recv(4096)
                        if not chunk:
                            break
                        received += chunk
                        if not received.startswith((b"GET", b"PUT", b"POST", b"HEAD", b"DELETE")):
                            break  # TLS or anything else: the connection itself is the finding
                    client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    pass
                self.connections.append(received or b"(connected, sent nothing)")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@contextmanager
def foreign_host(host: str = "127.0.0.2", port: int = 0) -> Iterator[Listener]:
    listener = Listener(host, port)
    try:
        yield listener
    finally:
        listener.close()


def https_port_listener() -> Listener:
    """A listener on port 443 of some 127.x.y.z address, so that a URL without a port reaches it (close it
    after use). The address is picked at random so that parallel suites do not collide; PermissionError
    when this machine does not let the tests bind port 443."""
    last: OSError | None = None
    for _ in range(20):
        host = f"127.{random.randint(1, 254)}.{random.randint(0, 254)}.{random.randint(2, 254)}"
        try:
            return Listener(host, 443)
        except PermissionError:
            raise
        except OSError as exc:
            last = exc
    raise RuntimeError(f"cannot bind port 443 on any loopback address: {last}")
