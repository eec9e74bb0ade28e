"""A hostile HTTP server for the client's tests: raw sockets on 127.0.0.1, one scripted
answer per connection (wrong lengths, endless or trickled bodies, gzip bombs, pings only,
echoed secrets, redirects). Written for the tests, so it can break HTTP in ways a real
server library will not. (A plain module beside the tests, imported by name.)"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

from claude_bedrock.wire.eventstream import encode_event

__all__ = ["MESSAGE", "Conn", "HostileServer", "chunk_frame", "head"]

MESSAGE: dict[str, Any] = {
    "id": "msg_hostile", "type": "message", "role": "assistant", "model": "claude-opus-4-6",
    "content": [{"type": "text", "text": "Hi"}], "stop_reason": "end_turn",
    "stop_sequence": None, "usage": {"input_tokens": 3, "output_tokens": 2},
}  # fmt: skip


def head(status: int = 200, *headers: str) -> bytes:
    """A response head with the given header lines (nothing added: the test says it all)."""
    lines = [f"HTTP/1.1 {status} X", *headers, "", ""]
    return "\r\n".join(lines).encode("latin-1")


def chunk_frame(event: dict[str, Any]) -> bytes:
    """One InvokeModel stream ``chunk`` frame carrying an Anthropic event."""
    raw = base64.b64encode(json.dumps(event).encode()).decode()
    return encode_event("chunk", json.dumps({"bytes": raw}).encode())


class Conn:
    """One accepted connection: the request received and the socket to answer on."""

    def __init__(self, sock: socket.socket, request: bytes, stopped: threading.Event) -> None:
        self.sock = sock
        self.request = request
        self._stopped = stopped

    def send(self, data: bytes) -> bool:
        """Send; False once the client has gone or the test is over (stop trickling)."""
        if self._stopped.is_set():
            return False
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def wait(self, seconds: float) -> bool:
        """Sleep, or return False at once when the test ends."""
        return not self._stopped.wait(seconds)

    def trickle(self, data: bytes, every: float) -> None:
        """``data`` one byte at a time, ``every`` seconds apart, while anyone listens."""
        for i in range(len(data)):
            if not self.send(data[i : i + 1]) or not self.wait(every):
                return

    def headers(self) -> dict[str, str]:
        """The request's headers, names lower-cased."""
        lines = self.request.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]
        return {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines)}


Script = Callable[[Conn], None]


class HostileServer:
    """Answers each connection with ``script(conn)``; counts the requests it got."""

    def __init__(self, script: Script, host: str = "127.0.0.1") -> None:
        self._script = script
        self._listener = socket.create_server((host, 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self.requests: list[Conn] = []
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> HostileServer:
        self._accepter.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopped.set()
        self._listener.close()
        for thread in [self._accepter, *self._threads]:
            thread.join(10)

    def _accept(self) -> None:
        self._listener.settimeout(0.1)  # closing a socket does not wake a blocked accept()
        while not self._stopped.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        with sock, contextlib.suppress(OSError):
            sock.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data:
                more = sock.recv(65536)
                if not more:
                    return
                data += more
            top, _, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in top.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(body) < length:
                more = sock.recv(65536)
                if not more:
                    return
                body += more
            conn = Conn(sock, data, self._stopped)
            self.requests.append(conn)
            self._script(conn)


@contextlib.contextmanager
def serving(script: Script, host: str = "127.0.0.1") -> Iterator[HostileServer]:
    with HostileServer(script, host) as server:
        yield server
