"""An asyncio HTTP/1.1 server built on ``h11``.

Why not uvicorn or another ASGI server: the emulator has to control the connection itself.
Fault injection aborts or resets a connection in the middle of a response, AWS event-stream
frames go out as they are produced with chunked transfer encoding, and the server enforces
Bedrock-like caps (body size, header count and size) with AWS-style errors. ASGI hides the
socket, so those would all be workarounds; with h11 they are a few lines. h11 does the HTTP
parsing (keep-alive, pipelining, ``Content-Length`` and chunked bodies, ``Expect:
100-continue``); this module reads requests and manages connection lifetimes. Responses
are written by :mod:`._respond`; a refused body is drained by :mod:`._drain`, and answered
in its route's format by the application (``precheck``, ``too_large``: :mod:`.body_limit`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import h11

from ._drain import announces_body, declared_length, drain
from ._respond import ResponseWriter
from ._write_buffer import drop_connection
from .errors import BedrockError
from .http_types import AbortConnection, AnyResponse, Headers, Request, Response, StreamingResponse
from .routing import Handler, Match, Route, Router

__all__ = [
    "AbortConnection",
    "HTTPServer",
    "Handler",
    "Headers",
    "Limits",
    "Match",
    "Request",
    "Response",
    "Route",
    "Router",
    "StreamingResponse",
]

logger = logging.getLogger("claude_bedrock.emulator")

App = Callable[[Request], Awaitable[AnyResponse]]

_READ_SIZE = 65536
_SERVER_HEADER = (b"server", b"claude-bedrock-emulator")


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps applied before a request reaches the application.

    ``max_body_bytes`` defaults to InvokeModel's body limit (the ``Body`` blob shape of
    bedrock-runtime's service model: ``max: 25000000``).
    """

    max_body_bytes: int = 25_000_000
    max_header_bytes: int = 32 * 1024
    max_header_count: int = 100
    idle_timeout: float = 75.0
    read_timeout: float = 60.0
    #: After an answer sent before the body was read: how long and how much of the rest is
    #: read and dropped before closing (nginx's lingering_time and lingering_timeout).
    linger_time: float = 30.0
    linger_timeout: float = 5.0
    linger_bytes: int = 2 * 25_000_000


class _Connection:
    """Per-connection bookkeeping used by graceful shutdown."""

    __slots__ = ("busy", "writer")

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.busy = False


class HTTPServer:
    """Serves ``app`` (an async callable ``Request -> Response | StreamingResponse``)."""

    def __init__(self, app: App, *, limits: Limits | None = None) -> None:
        self._app = app
        self.limits = limits or Limits()
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self._out = ResponseWriter(lambda: self._closing)
        #: Connections draining a refused body (see _refuse_early): shutdown closes them.
        self._lingering: set[asyncio.StreamWriter] = set()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Listen on ``host:port`` (``port=0`` picks a free port); returns the bound address."""
        self._server = await asyncio.start_server(
            self._on_connect, host, port, backlog=4096, limit=_READ_SIZE, reuse_address=True
        )
        bound = self._server.sockets[0].getsockname()
        return str(bound[0]), int(bound[1])

    async def shutdown(self, timeout: float = 10.0) -> None:
        """Stop accepting, close idle connections, let in-flight requests finish.

        Requests still running after ``timeout`` seconds are cancelled.
        """
        self._closing = True
        if self._server is not None:
            self._server.close()
        for conn in list(self._connections):
            if not conn.busy:
                conn.writer.close()
        for writer in list(self._lingering):  # answered already: nothing left to finish
            writer.close()
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1.0)
        if self._server is not None:
            await self._server.wait_closed()

    # -- connection loop -------------------------------------------------------------------

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        conn = _Connection(writer)
        self._connections.add(conn)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await self._serve(conn, reader, writer)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            pass
        except h11.LocalProtocolError:  # a response the client's framing cannot take
            drop_connection(writer, reset=True)
        except asyncio.CancelledError:
            drop_connection(writer, reset=True)
        finally:
            self._connections.discard(conn)
            if task is not None:
                self._tasks.discard(task)
            if not writer.is_closing():
                writer.close()

    async def _serve(
        self, conn: _Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        h11_conn = h11.Connection(
            h11.SERVER, max_incomplete_event_size=self.limits.max_header_bytes
        )
        while not self._closing or conn.busy:
            try:
                event = await self._next_event(h11_conn, reader, writer, self.limits.idle_timeout)
            except h11.RemoteProtocolError as exc:
                await self._out.send_protocol_error(h11_conn, writer, exc)
                return
            if not isinstance(event, h11.Request):
                return  # ConnectionClosed (or a stray event on a dead connection)
            if writer.is_closing():  # shutdown closed it as the request came in: no one
                return  # can get the answer, so the request must not run (nor be logged)
            conn.busy = True
            try:
                keep_alive = await self._handle(h11_conn, reader, writer, event)
            finally:
                conn.busy = False
            if not keep_alive or self._closing or h11_conn.our_state is not h11.DONE:
                return
            try:
                h11_conn.start_next_cycle()
            except h11.LocalProtocolError:
                return

    async def _next_event(
        self,
        h11_conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        timeout: float,
    ) -> object:
        while True:
            event = h11_conn.next_event()
            if event is not h11.NEED_DATA:
                return event
            if h11_conn.they_are_waiting_for_100_continue:
                writer.write(h11_conn.send(h11.InformationalResponse(status_code=100, headers=[])))
            async with asyncio.timeout(timeout):
                data = await reader.read(_READ_SIZE)
            h11_conn.receive_data(data)

    async def _handle(
        self,
        h11_conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        event: h11.Request,
    ) -> bool:
        """Read the body, run the app, send the response; returns whether to keep alive."""
        request_id = str(uuid.uuid4())
        pairs = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in event.headers]
        early = self._precheck(pairs)
        if early is not None:
            await self._refuse_early(h11_conn, reader, writer, early.to_response(), request_id)
            return False
        raw_path, _, raw_query = _origin_form(event.target.decode("latin-1")).partition("?")
        method = event.method.decode("ascii")
        headers = Headers(pairs)
        client = writer.get_extra_info("peername")

        def head() -> Request:  # the request as its head shows it, the body unread
            return Request(method, raw_path, raw_query, headers, b"", request_id,
                           time.monotonic(), client, body_pending=True)  # fmt: skip

        oversize = declared_length(headers) > self.limits.max_body_bytes
        if oversize or announces_body(headers, over=_READ_SIZE):  # more than one read: check
            refusal = self._app_precheck(head())  # first (authentication, then the size)
            if refusal is None and oversize:
                refusal = self._too_large(head())
            if refusal is not None:
                await self._refuse_early(h11_conn, reader, writer, refusal, request_id)
                return False
        read = await self._read_body(h11_conn, reader, writer)
        if read is None:  # a chunked body that grew past the cap: cut off
            too_large = self._too_large(head())
            await self._refuse_early(h11_conn, reader, writer, too_large, request_id)
            return False
        body, digest = read
        request = Request(
            method=method,
            raw_path=raw_path,
            raw_query=raw_query,
            headers=headers,
            body=body,
            request_id=request_id,
            received_at=time.monotonic(),
            client=client,
            body_sha256=digest,
        )
        response: AnyResponse
        try:
            response = await self._app(request)
        except AbortConnection as abort:
            drop_connection(writer, reset=abort.reset)
            return False
        except Exception:  # the app is expected to map errors itself; this is a last resort
            logger.exception("unhandled error in %s %s", request.method, raw_path)
            response = Response(status=500, body=b'{"message":"Internal server error"}')
        head_only = request.method == "HEAD"
        return await self._out.send(
            h11_conn, writer, response, request.request_id, close=False, head_only=head_only
        )

    def _precheck(self, pairs: list[tuple[str, str]]) -> BedrockError | None:
        if len(pairs) > self.limits.max_header_count:
            return BedrockError(
                "ValidationException",
                f"Too many request headers (maximum {self.limits.max_header_count}).",
                status=431,
            )
        # h11 caps only a header block still incomplete in its buffer; one read can hold a
        # complete oversized block, so the size is checked here too.
        size = sum(len(name) + len(value) + 4 for name, value in pairs)
        if size > self.limits.max_header_bytes:
            return BedrockError(
                "ValidationException", "Request header section too large.", status=431
            )
        return None

    def _too_large(self, request: Request) -> AnyResponse:
        """The answer to a body over the cap, in the route's format (the app's
        ``too_large``, see :mod:`.body_limit`), else the server's own 413."""
        limit = self.limits.max_body_bytes
        too_large = getattr(self._app, "too_large", None)
        if too_large is not None:
            try:
                return too_large(request, limit)  # type: ignore[no-any-return]
            except Exception:
                logger.exception("body-too-large answer failed in %s", request.raw_path)
        return BedrockError(
            "RequestEntityTooLargeException",
            f"Request body exceeds the maximum size of {limit} bytes.",
        ).to_response()

    def _app_precheck(self, request: Request) -> AnyResponse | None:
        """The app's answer to a request its head alone condemns (see ``EmulatorApp.precheck``;
        an app without one, or one that fails, reads every body as before)."""
        precheck = getattr(self._app, "precheck", None)
        if precheck is None:
            return None
        try:
            return precheck(request)  # type: ignore[no-any-return]
        except Exception:  # the full path will meet the same failure and answer it
            logger.exception("pre-body check failed in %s %s", request.method, request.raw_path)
            return None

    async def _read_body(
        self, h11_conn: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[bytes, str] | None:
        """The body and its hex SHA-256, taken as it streams in (SigV4 needs the hash; one
        pass, no second copy), or None past the cap. The chunks go into one growing buffer
        whose ``getvalue`` hands its memory over without copying it."""
        buffer = io.BytesIO()
        digest = hashlib.sha256()
        size = 0
        cap = self.limits.max_body_bytes
        while True:
            event = await self._next_event(h11_conn, reader, writer, self.limits.read_timeout)
            if isinstance(event, h11.Data):
                size += len(event.data)
                if size > cap:
                    return None
                buffer.write(event.data)
                digest.update(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return buffer.getvalue(), digest.hexdigest()
            else:
                raise ConnectionResetError("connection closed while reading the body")

    async def _refuse_early(
        self,
        h11_conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        response: AnyResponse,
        request_id: str,
    ) -> None:
        """Answer before (all of) the body was read, then close gracefully: the answer
        goes out with ``Connection: close``, the sending side is shut, and the rest of the
        body is drained (see :mod:`._drain`) within the ``linger_*`` limits."""
        await self._out.send(h11_conn, writer, response, request_id, close=True)
        if writer.can_write_eof():
            with contextlib.suppress(OSError, RuntimeError):
                writer.write_eof()
        limits = self.limits
        self._lingering.add(writer)
        try:
            await drain(reader, limits.linger_time, limits.linger_timeout, limits.linger_bytes,
                        stopping=lambda: self._closing)  # fmt: skip
        finally:
            self._lingering.discard(writer)


def _origin_form(target: str) -> str:
    """``/path?query`` from a request target, also in absolute form (sent to proxies)."""
    if target.startswith(("http://", "https://")):
        path_start = target.find("/", target.find("//") + 2)
        return target[path_start:] if path_start >= 0 else "/"
    return target
