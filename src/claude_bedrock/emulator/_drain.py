"""Refusing a request before its body is read, without losing the answer.

A server that answers early (bad credentials, a declared length over the cap) and closes
at once resets the connection under a client still writing its body (unread data makes
the kernel send RST), and most clients write the whole body before reading: they would
see a broken pipe instead of the 403. So the server answers, shuts its sending side, and
reads and drops what still comes (RFC 9112 section 9.6, "tear-down"; nginx's lingering
close), bounded in time and bytes, holding one read buffer at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from .http_types import Headers

__all__ = ["announces_body", "declared_length", "drain"]

#: Bytes dropped per read: fewer wake-ups per refused megabyte than the server's reads.
_DRAIN_SIZE = 262144


def announces_body(headers: Headers, over: int = 0) -> bool:
    """Whether a request's head announces a body of more than ``over`` bytes (chunked: of
    unknown size, so yes). Only such a body is worth refusing before it is read: a body of
    one read costs nothing to take in, and a bodiless request keeps its connection alive."""
    if headers.get("transfer-encoding") is not None:
        return True
    return declared_length(headers) > over


def declared_length(headers: Headers) -> int:
    """The body size a request's ``Content-Length`` declares (0: none, or not a number;
    h11 refuses such a head before this is asked)."""
    length = (headers.get("content-length") or "").strip()
    return int(length) if length.isdigit() else 0


async def drain(
    reader: asyncio.StreamReader,
    total_time: float,
    idle_time: float,
    max_bytes: int,
    *,
    stopping: Callable[[], bool] = lambda: False,
) -> int:
    """Read and drop what the client still sends until it stops (end of stream), goes
    quiet for ``idle_time`` seconds, ``total_time`` passes, ``max_bytes`` are dropped or
    ``stopping()`` (a shutdown) says so; returns the bytes dropped."""
    drained = 0
    with contextlib.suppress(OSError, TimeoutError):
        async with asyncio.timeout(total_time):
            while drained < max_bytes and not stopping():
                async with asyncio.timeout(idle_time):
                    data = await reader.read(_DRAIN_SIZE)
                if not data:
                    break
                drained += len(data)
    return drained
