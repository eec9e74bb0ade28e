"""The replay server the streaming benchmarks share: pre-encoded answers over keep-alive
HTTP/1.1, one thread per connection, in a process of its own (so its CPU is not counted
as the clients')."""

from __future__ import annotations

import multiprocessing
import socket
import threading
from collections.abc import Callable
from typing import Any


def read_request(conn: socket.socket, pending: bytes) -> tuple[bytes, bytes] | None:
    """Read one request (headers + content-length body): (its body, what follows it), or
    None when the client closed the connection."""
    while b"\r\n\r\n" not in pending:
        data = conn.recv(65536)
        if not data:
            return None
        pending += data
    head, _, rest = pending.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        data = conn.recv(65536)
        if not data:
            return None
        rest += data
    return rest[:length], rest[length:]


def serve_forever(port_out: Any, answer: Callable[[bytes], bytes]) -> None:
    """Listen on a free loopback port (sent through ``port_out``); answer each request's
    body with the bytes ``answer`` gives (a whole HTTP response)."""
    listener = socket.create_server(("127.0.0.1", 0))
    port_out.send(listener.getsockname()[1])

    def handle(conn: socket.socket) -> None:
        with conn:
            pending = b""
            while (got := read_request(conn, pending)) is not None:
                body, pending = got
                conn.sendall(answer(body))

    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def start(target: Callable[..., None], *args: Any) -> tuple[int, multiprocessing.Process]:
    """Run ``target(*args, port_out)`` in its own process; its port and the process."""
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=target, args=(*args, child), daemon=True)
    process.start()
    return parent.recv(), process
