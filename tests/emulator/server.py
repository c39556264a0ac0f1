"""Real HTTP/1.1 listeners on 127.0.0.1, one per emulated cloud host.

Why: the function's SDK clients and its OBS code must speak real HTTP (keep-alive, Content-Length,
connection errors) to be tested honestly. Each host gets its own port, as real services have distinct
hosts. Every thread is a daemon; stop() also closes kept-alive client connections so no thread lingers.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import sys
import threading
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .wire import Request, Response

Dispatch = Callable[[Request], Response]
_NO_BODY_STATUS = frozenset({204, 304})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # http.server writes headers and body in two sends: with Nagle on, the body would wait for the client's
    # delayed ACK (~40 ms on Linux) on every response. Real endpoints do not behave like that.
    disable_nagle_algorithm = True
    server_version = "CloudEmulator"
    sys_version = ""
    server: EmulatorHTTPServer

    def do_GET(self) -> None:
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.send_error(400, "Bad request body")
            return
        request = Request(method=self.command, target=self.path, headers=self.headers, body=body)
        response = self.server.dispatch(request)
        try:
            self._write(response)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True

    do_HEAD = do_GET
    do_PUT = do_GET
    do_POST = do_GET
    do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: request records are kept by the dispatcher."""

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _write(self, response: Response) -> None:
        if response.action == "reset":
            self._reset()
            return
        body = response.body
        declared = len(body)
        if response.action == "truncate":
            sent = body[: len(body) // 2]
            declared = len(body) if len(body) >= 2 else len(body) + 64
        else:
            sent = body
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.status not in _NO_BODY_STATUS:
            self.send_header("Content-Length", str(declared))
        self.end_headers()
        if self.command != "HEAD" and response.status not in _NO_BODY_STATUS:
            self.wfile.write(sent)
        if response.action == "truncate":
            self.wfile.flush()
            self.close_connection = True

    def _reset(self) -> None:
        """Drop the connection without an answer (RST where the platform allows)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # rfile holds the only makefile reference (wfile writes to the socket directly): closing both
        # releases the descriptor now, and with SO_LINGER 0 the kernel answers with a reset.
        with contextlib.suppress(OSError):
            self.rfile.close()
        self.connection.close()


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threading server that tracks its connections and threads so stop() can end them."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # socketserver's default backlog of 5 drops bursts of new connections

    def __init__(self, host: str, dispatch: Dispatch, on_error: Callable[[str], None] | None = None) -> None:
        self.dispatch = dispatch
        self.on_error = on_error
        self._track_lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._workers: list[threading.Thread] = []
        self.accepted = 0  # TCP connections accepted: a client that keeps its connections opens few
        super().__init__((host, 0), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def process_request(self, request: Any, client_address: Any) -> None:
        worker = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), daemon=True
        )
        with self._track_lock:
            self.accepted += 1
            self._connections.add(request)
            self._workers = [w for w in self._workers if w.is_alive()]
            self._workers.append(worker)
        worker.start()

    def shutdown_request(self, request: Any) -> None:
        with self._track_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            return
        if self.on_error is not None:  # a bug outside the dispatcher (reading, writing) is loud too
            self.on_error(traceback.format_exc())
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self._track_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def join_workers(self, timeout: float) -> None:
        with self._track_lock:
            workers = list(self._workers)
        for worker in workers:
            worker.join(timeout)


# How often an idle accept loop wakes up to look for a shutdown request. A new connection wakes it at once;
# stop() wakes it with a connection of its own, so this only bounds the idle wake-ups (each takes the GIL
# from the code under test: one listener per host, all of them idle most of the time).
POLL_INTERVAL = 0.5


class Listener:
    """One server plus the thread running its accept loop."""

    def __init__(self, host: str, dispatch: Dispatch, name: str,
                 on_error: Callable[[str], None] | None = None) -> None:
        self.server = EmulatorHTTPServer(host, dispatch, on_error)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, name=f"emu-{name}",
            daemon=True,
        )

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        stopping = threading.Thread(target=self.server.shutdown, daemon=True)
        stopping.start()
        while stopping.is_alive() and self.thread.is_alive():
            self._wake()  # the accept loop sees the shutdown request as soon as its select returns
            stopping.join(0.05)
        stopping.join(5)
        self.server.server_close()
        self.server.close_connections()
        self.thread.join(5)

    def join_workers(self, timeout: float) -> None:
        self.server.join_workers(timeout)

    def _wake(self) -> None:
        """Connect and leave at once: the accept loop's select returns, and it checks for shutdown first."""
        with contextlib.suppress(OSError), socket.create_connection(self.server.server_address[:2], timeout=1):
            pass
