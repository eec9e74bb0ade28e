"""A keep-alive HTTP/1.1 transport for httpx on asyncio streams, with an O(1) pool.

Why not httpx's default transport: httpcore 1.0's pool rescans every connection (and polls
every idle socket) each time a request starts or ends, and its keep-alive check is
quadratic (encode/httpcore#1035). Measured with 1,000 concurrent streams against the local
emulator (``tests/reliability/test_load.py``): 20 to 60 s through ``httpx.AsyncClient``,
most of it in ``_assign_requests_to_connections``, against about 3 s through this
transport, which keeps idle connections in a per-origin stack and waiters in a queue.

It speaks what Bedrock needs (requests with a bytes body; responses framed by
Content-Length, chunked encoding or connection close) and is still an
``httpx.AsyncBaseTransport`` taking and returning ``httpx`` objects. TLS trusts what the
client's :class:`~._tls.TLSTrust` says; HTTP/2 or client certificates: pass
``http_client=httpx.AsyncClient(...)`` and it is used unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections import deque
from typing import Any

import httpx

from ._deadline import DEADLINE, HONOURED, Deadline
from ._http11 import Head, chunk_size, encode_head, framing, parse_head, socket_readable
from ._tls import TLSTrust

__all__ = ["FastAsyncTransport"]

_Key = tuple[str, str, int]
_READ_SIZE = 65536
_MAX_HEAD = 65536
_BODY_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError)


class _Conn:
    __slots__ = ("idle_since", "key", "reader", "writer")

    def __init__(self, key: _Key, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.key = key
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0

    def reusable(self, now: float, expiry: float) -> bool:
        """Still open, not idle for too long, and silent: an idle connection the server
        closed (or wrote to) is readable before asyncio has noticed."""
        if now - self.idle_since >= expiry or self.writer.is_closing() or self.reader.at_eof():
            return False
        sock = self.writer.get_extra_info("socket")
        return sock is not None and not socket_readable(sock.fileno())


class FastAsyncTransport(httpx.AsyncBaseTransport):
    """Connection pool per scheme, host and port; ``max_connections`` open at most."""

    def __init__(
        self,
        *,
        max_connections: int = 1000,
        max_keepalive: int = 100,
        keepalive_expiry: float = 5.0,
        trust: TLSTrust | None = None,
    ) -> None:
        self._idle: dict[_Key, list[_Conn]] = {}
        self._idle_count = 0
        self._open = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._max_connections = max_connections
        self._max_keepalive = max_keepalive
        self._expiry = keepalive_expiry
        self._trust = trust if trust is not None else TLSTrust()
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- pool ------------------------------------------------------------------------------

    def open_connections(self) -> int:
        """Connections open now, idle or in use (tests check that none leaked)."""
        return self._open

    def idle_connections(self) -> int:
        return self._idle_count

    async def _acquire(self, key: _Key, timeout: dict[str, Any]) -> tuple[_Conn, bool]:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._rebind(loop)
        while True:
            conn = self._pop_idle(key)
            if conn is not None:
                return conn, True
            if self._closed:
                raise httpx.ConnectError("the transport is closed")
            if self._open < self._max_connections:
                self._open += 1
                try:
                    return await self._connect(key, timeout), False
                except BaseException:
                    self._open -= 1
                    self._wake()
                    raise
            if self._evict_other():
                continue
            await self._wait(timeout.get("pool"))

    def _rebind(self, loop: asyncio.AbstractEventLoop) -> None:
        """A new event loop (a client reused across ``asyncio.run`` calls): the pooled
        connections belong to the old one and cannot be used from this one."""
        idle, self._idle, self._idle_count = self._idle, {}, 0
        self._waiters.clear()  # futures of the old loop: nobody waits on them any more
        for conns in idle.values():
            for conn in conns:
                self._discard(conn)
        self._loop = loop

    def _pop_idle(self, key: _Key) -> _Conn | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            self._idle_count -= 1
            if conn.reusable(now, self._expiry):
                return conn
            self._discard(conn)
        return None

    def _evict_other(self) -> bool:
        """At the limit: close an idle connection (another origin's) to make room."""
        for idle in self._idle.values():
            if idle:
                self._idle_count -= 1
                self._discard(idle.pop(0))
                return True
        return False

    async def _wait(self, timeout: float | None) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                self._wake()  # woken, but leaving: pass the turn on
            if isinstance(exc, TimeoutError):
                raise httpx.PoolTimeout("no connection became free in time") from None
            raise
        finally:
            if not waiter.done():
                waiter.cancel()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _release(self, conn: _Conn) -> None:
        if self._closed or self._idle_count >= self._max_keepalive:
            self._discard(conn)
            return
        conn.idle_since = time.monotonic()
        self._idle.setdefault(conn.key, []).append(conn)
        self._idle_count += 1
        self._wake()

    def _discard(self, conn: _Conn) -> None:
        with contextlib.suppress(RuntimeError):  # its event loop is closed: nothing to tell it
            conn.writer.close()
        self._open -= 1
        self._wake()

    async def _connect(self, key: _Key, timeout: dict[str, Any]) -> _Conn:
        scheme, host, port = key
        context = self._trust.context() if scheme == "https" else None
        try:
            async with asyncio.timeout(timeout.get("connect")):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=context, server_hostname=host if context else None,
                    limit=_MAX_HEAD,
                )  # fmt: skip
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc) or "connect timed out") from None
        except ssl.SSLCertVerificationError as exc:
            raise self._trust.refused(exc) from None
        except OSError as exc:
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from None
        return _Conn(key, reader, writer)

    # -- requests --------------------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        key: _Key = (scheme, url.host, url.port or (443 if scheme == "https" else 80))
        timeout: dict[str, Any] = request.extensions.get("timeout", {})
        message = encode_head(request) + request.content
        while True:
            conn, reused = await self._acquire(key, timeout)
            try:
                status, reason, headers, will_close = await _exchange(conn, message, timeout)
                kind, length = framing(request.method, status, headers)
                break
            except _Unsent:
                self._discard(conn)
                if reused:  # closed while idle: the request never reached the server
                    continue
                raise httpx.WriteError("connection closed before the request was sent") from None
            except BaseException:
                self._discard(conn)
                raise
        body = _Body(self, conn, kind, length, timeout.get("read"), will_close or kind < 0)
        body.deadline = request.extensions.get(DEADLINE)
        return httpx.Response(
            status, headers=headers, stream=body, request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason, HONOURED: True},
        )  # fmt: skip

    async def aclose(self) -> None:
        self._closed = True
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._rebind(loop)
        idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                self._idle_count -= 1
                self._discard(conn)
        await asyncio.sleep(0)  # let asyncio really close the sockets before returning


class _Unsent(Exception):  # noqa: N818 - a signal inside this module
    """Writing the request failed: the server cannot have read it whole (safe to resend).

    A connection closed *after* the request was written is not resent here: the server
    may have run it, so only the client's retry policy (``max_retries``) may send it again.
    """


async def _exchange(conn: _Conn, message: bytes, timeout: dict[str, Any]) -> Head:
    """Send the request, read the response head (skipping 1xx answers)."""
    try:
        conn.writer.write(message)
        async with asyncio.timeout(timeout.get("write")):
            await conn.writer.drain()
    except TimeoutError:
        raise httpx.WriteTimeout("write timed out") from None
    except OSError:
        raise _Unsent from None
    while True:
        try:
            async with asyncio.timeout(timeout.get("read")):
                raw = await conn.reader.readuntil(b"\r\n\r\n")
        except TimeoutError:
            raise httpx.ReadTimeout("timed out waiting for the response") from None
        except asyncio.IncompleteReadError as exc:
            where = "inside the response head" if exc.partial else "without a response"
            raise httpx.RemoteProtocolError(f"the server closed the connection {where}") from None
        except asyncio.LimitOverrunError:
            raise httpx.RemoteProtocolError("response head too large") from None
        except OSError as exc:
            raise httpx.ReadError(f"{type(exc).__name__}: {exc}") from None
        head = parse_head(raw)
        if not 100 <= head[0] < 200:
            return head


class _Body(httpx.AsyncByteStream):
    """One response body; gives the connection back to the pool once fully read.

    Each read waits at most the read timeout, and no later than the attempt's deadline
    (:mod:`._deadline`: a trickle or a stream of pings gets no more time)."""

    deadline: Deadline | None = None

    def __init__(
        self, transport: FastAsyncTransport, conn: _Conn, kind: int, length: int,
        read_timeout: float | None, close_after: bool,
    ) -> None:  # fmt: skip
        self._transport = transport
        self._conn: _Conn | None = conn
        self._framing = kind
        self._left = length  # fixed: bytes left; chunked: bytes left in the current chunk
        self._timeout = read_timeout
        self._close_after = close_after
        self._done = False
        if kind == 0 and length == 0:
            self._finish()

    def __aiter__(self) -> _Body:
        return self

    async def __anext__(self) -> bytes:
        if self._done:
            raise StopAsyncIteration
        conn = self._conn
        if conn is None:
            raise httpx.StreamClosed()
        deadline = self.deadline
        try:
            limit = self._timeout if deadline is None else deadline.limit(self._timeout)
            async with asyncio.timeout(limit):
                data = await self._read(conn.reader)
        except TimeoutError:
            self._drop()
            if deadline is not None and deadline.passed():
                raise deadline.expired() from None
            raise httpx.ReadTimeout("timed out reading the response body") from None
        except BaseException as exc:
            self._drop()
            if isinstance(exc, _BODY_ERRORS):
                kind = type(exc).__name__
                raise httpx.ReadError(f"{kind}: {exc}" if str(exc) else kind) from None
            raise
        if not data:
            raise StopAsyncIteration
        return data

    async def _read(self, reader: asyncio.StreamReader) -> bytes:
        if self._framing == 0:
            data = await reader.read(min(self._left, _READ_SIZE))
            if not data:
                raise asyncio.IncompleteReadError(b"", self._left)
            self._left -= len(data)
            if not self._left:
                self._finish()
            return data
        if self._framing < 0:
            data = await reader.read(_READ_SIZE)
            if not data:
                self._finish()
            return data
        if not self._left:
            self._left = chunk_size(await reader.readuntil(b"\r\n"))
            if not self._left:
                while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                    pass
                self._finish()
                return b""
        data = await reader.read(min(self._left, _READ_SIZE))
        if not data:
            raise asyncio.IncompleteReadError(b"", self._left)
        self._left -= len(data)
        if not self._left and await reader.readexactly(2) != b"\r\n":
            raise ValueError("chunk not followed by CRLF")
        return data

    def _finish(self) -> None:
        self._done = True
        conn, self._conn = self._conn, None
        if conn is not None:
            if self._close_after:
                self._transport._discard(conn)
            else:
                self._transport._release(conn)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._transport._discard(conn)

    async def aclose(self) -> None:
        """Closing before the end: a half-read connection is never reused."""
        if self._conn is not None:
            self._drop()
            await asyncio.sleep(0)  # asyncio closes the socket on the next loop turn: now
