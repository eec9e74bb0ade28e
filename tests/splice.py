"""Two sockets joined both ways, for the tests' TLS and proxy relays. (A plain module beside
the tests, imported by name.)"""

from __future__ import annotations

import contextlib
import socket
import threading

__all__ = ["pipe", "splice"]


def pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy bytes one way until either side closes, then close both."""
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def splice(a: socket.socket, b: socket.socket) -> None:
    """Copy both ways until either side closes (b to a on a thread of its own)."""
    threading.Thread(target=pipe, args=(b, a), daemon=True).start()
    pipe(a, b)
