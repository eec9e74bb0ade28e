"""A misbehaving S3 on 127.0.0.1 for the failing-storage tests: an HTTP proxy in front of
the real test S3 (SeaweedFS, ``tests/s3server.py``) that hangs or fails on purpose.

Modes (``HostileS3(upstream, mode=...)``):

* ``"hang"``: accepts connections, reads the requests and never answers (a stalled S3);
* ``"hang-writes"``: reads reach the real S3, writes are never answered;
* ``"fail-writes"``: reads (GET, HEAD, LIST) reach the real S3; every write (PUT, POST,
  DELETE) after the first ``allow_writes`` is answered ``status`` (500 InternalError,
  503 SlowDown or 403 AccessDenied) with S3's XML error document;
* ``"proxy"``: everything passes (a baseline, and a way to count writes).

Each request is forwarded on its own upstream connection with ``Connection: close`` (not a
signed header), and the client's connection is closed after the answer, so the proxy needs
no HTTP framing beyond the request head and its ``Content-Length``. The ``Host`` header is
passed through untouched: SigV4 signatures stay valid. No test patches a function: the
emulator talks real HTTP to this server.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Final

__all__ = ["HostileS3"]

_WRITES: Final = frozenset({b"PUT", b"POST", b"DELETE"})
_MODES: Final = ("hang", "hang-writes", "fail-writes", "proxy")
_HOP_BY_HOP: Final = (b"connection", b"keep-alive", b"expect")
_ERRORS: Final = {
    500: (b"Internal Server Error", b"InternalError", b"We encountered an internal error."),
    503: (b"Slow Down", b"SlowDown", b"Please reduce your request rate."),
    403: (b"Forbidden", b"AccessDenied", b"Access Denied"),
}


class HostileS3:
    """A threaded loopback proxy; use as a context manager (``url``, ``writes``, ``hung``).
    ``mode`` may be changed while it runs (S3 that works, then stalls)."""

    def __init__(
        self, upstream: str, *, mode: str = "proxy", allow_writes: int = 0, status: int = 500
    ) -> None:
        if mode not in _MODES:
            raise ValueError(f"unknown mode {mode!r}")
        host, _, port = upstream.removeprefix("http://").rstrip("/").partition(":")
        self._upstream = (host, int(port or 80))
        self.mode = mode
        self.allow_writes = allow_writes
        self.status = status
        self.writes = 0  # writes that reached the real S3
        self.refused = 0  # writes answered with an error
        self.hung = 0  # requests left unanswered
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._conns: list[socket.socket] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def __enter__(self) -> HostileS3:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closing.set()
        self._server.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.close()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            head, body = _read_request(conn)
            if head is None:
                return
            method = head.split(b" ", 1)[0].upper()
            if self.mode == "hang" or (self.mode == "hang-writes" and method in _WRITES):
                with self._lock:
                    self.hung += 1
                self._closing.wait()  # never answer; keep the connection open
                return
            if method in _WRITES:
                with self._lock:
                    refuse = self.mode == "fail-writes" and self.writes >= self.allow_writes
                    if refuse:
                        self.refused += 1
                    else:
                        self.writes += 1
                if refuse:
                    conn.sendall(_error(self.status))
                    return
            _forward(self._upstream, head, body, conn)


def _read_request(conn: socket.socket) -> tuple[bytes | None, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"expect" and value.strip().lower() == b"100-continue":
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")  # botocore waits for it
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head, rest


def _forward(upstream: tuple[str, int], head: bytes, body: bytes, conn: socket.socket) -> None:
    lines = [
        line
        for line in head.split(b"\r\n")
        if line.split(b":", 1)[0].strip().lower() not in _HOP_BY_HOP
    ]
    request = b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body
    with socket.create_connection(upstream, timeout=30) as up:
        up.sendall(request)
        while chunk := up.recv(65536):
            conn.sendall(chunk)


def _error(status: int) -> bytes:
    phrase, code, message = _ERRORS[status]
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>' + code + b"</Code><Message>"
        + message + b"</Message><RequestId>hostile-s3</RequestId></Error>"
    )  # fmt: skip
    head = (
        b"HTTP/1.1 %d %s\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n"
        b"Connection: close\r\n\r\n" % (status, phrase, len(body))
    )
    return head + body
