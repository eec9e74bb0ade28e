"""Low-level helpers of the HTTP server: write coalescing, Date header, connection aborts."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import struct
import time
from email.utils import formatdate
from http import HTTPStatus

import h11

__all__ = ["FLUSH_BYTES", "Coalescer", "DateCache", "drop_connection", "reason_phrase"]

FLUSH_BYTES = 65536


class DateCache:
    """``Date`` header value, formatted at most once per second (formatdate is slow)."""

    __slots__ = ("_second", "_value")

    def __init__(self) -> None:
        self._second = -1
        self._value = b""

    def get(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._value = formatdate(now, usegmt=True).encode()
        return self._value


class Coalescer:
    """Sends what a streaming body produces within one event-loop turn in one write.

    A body that yields many small frames back to back (an unpaced event stream) would cost
    a ``send`` syscall per frame: measured at ~75% of the server's time for 1,000 concurrent
    streams. Data is buffered and flushed by a ``call_soon`` callback, i.e. as soon as the
    producer really waits (a paced stream still goes out frame by frame), or when the
    buffer passes ``FLUSH_BYTES`` (then with back-pressure).
    """

    __slots__ = ("_conn", "_data", "_encoded", "_scheduled", "_writer")

    def __init__(self, h11_conn: h11.Connection, writer: asyncio.StreamWriter) -> None:
        self._conn = h11_conn
        self._writer = writer
        self._encoded = bytearray()
        self._data = bytearray()
        self._scheduled = False

    @property
    def pending(self) -> int:
        return len(self._data) + len(self._encoded)

    def data(self, chunk: bytes) -> None:
        if chunk:
            self._data += chunk
            self._schedule()

    def send(self, event: h11.Response | h11.EndOfMessage) -> None:
        """Queue a non-data event, after any buffered data, and flush everything now."""
        self._frame_data()
        self._encoded += self._conn.send(event)
        self.flush()

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._on_tick)

    def _on_tick(self) -> None:
        self._scheduled = False
        self.flush()

    def _frame_data(self) -> None:
        if self._data:
            self._encoded += self._conn.send(h11.Data(data=bytes(self._data)))
            self._data.clear()

    def flush(self) -> None:
        self._frame_data()
        if self._encoded and not self._writer.is_closing():
            self._writer.write(bytes(self._encoded))
        self._encoded.clear()


@functools.lru_cache(maxsize=64)
def reason_phrase(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode()
    except ValueError:
        return b""


def drop_connection(writer: asyncio.StreamWriter, *, reset: bool) -> None:
    """Close the connection now; with ``reset`` the peer gets a TCP RST instead of a FIN."""
    if reset:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
    else:
        writer.close()
