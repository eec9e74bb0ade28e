"""The HTTP server's sending side: a response's head, its body (whole or streamed as it is
produced), and the answer to a request h11 could not parse.

Kept apart from :mod:`.server`, which reads requests and manages connections: this module
only turns an application's response into bytes on one connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable

import h11

from ._write_buffer import FLUSH_BYTES, Coalescer, DateCache, drop_connection, reason_phrase
from .errors import BedrockError
from .http_types import AbortConnection, AnyResponse, StreamingResponse

__all__ = ["ResponseWriter"]

logger = logging.getLogger("claude_bedrock.emulator")

_SERVER_HEADER = (b"server", b"claude-bedrock-emulator")


class ResponseWriter:
    """Writes responses for one server; ``closing()`` tells whether it is shutting down
    (every response then says ``Connection: close``)."""

    def __init__(self, closing: Callable[[], bool]) -> None:
        self._closing = closing
        self._dates = DateCache()

    def head(
        self, response: AnyResponse, request_id: str, *, length: int | None, close: bool
    ) -> h11.Response:
        """The status line and headers every answer carries (``Date``, ``Server``, the
        request id Bedrock's clients log), plus the response's own."""
        headers: list[tuple[bytes, bytes]] = [
            (b"date", self._dates.get()),
            _SERVER_HEADER,
            (b"x-amzn-requestid", request_id.encode()),
        ]
        if response.content_type is not None:
            headers.append((b"content-type", response.content_type.encode("latin-1")))
        if length is not None:
            headers.append((b"content-length", str(length).encode()))
        for name, value in response.headers:
            headers.append((name.encode("latin-1"), value.encode("latin-1")))
        if close or self._closing():
            headers.append((b"connection", b"close"))
        return h11.Response(
            status_code=response.status, headers=headers, reason=reason_phrase(response.status)
        )

    async def send(
        self,
        h11_conn: h11.Connection,
        writer: asyncio.StreamWriter,
        response: AnyResponse,
        request_id: str,
        *,
        close: bool,
        head_only: bool = False,
    ) -> bool:
        """Write ``response`` (``head_only``: a HEAD's answer, without its body); returns
        whether the connection may serve another request."""
        if isinstance(response, StreamingResponse):
            return await self._send_stream(h11_conn, writer, response, request_id, close=close)
        head = self.head(response, request_id, length=len(response.body), close=close)
        data = h11_conn.send(head)
        if response.body and not head_only:
            data += h11_conn.send(h11.Data(data=response.body))
        data += h11_conn.send(h11.EndOfMessage())
        writer.write(data)
        await writer.drain()
        return not close

    async def _send_stream(
        self,
        h11_conn: h11.Connection,
        writer: asyncio.StreamWriter,
        response: StreamingResponse,
        request_id: str,
        *,
        close: bool,
    ) -> bool:
        body = response.body
        out = Coalescer(h11_conn, writer)
        try:
            out.send(self.head(response, request_id, length=None, close=close))
            async for chunk in body:
                if writer.is_closing():  # the client hung up: stop generating for nobody
                    raise ConnectionResetError("client closed the connection mid-stream")
                out.data(chunk)
                if out.pending > FLUSH_BYTES:
                    out.flush()
                    await writer.drain()
            out.send(h11.EndOfMessage())
            await writer.drain()
        except AbortConnection as abort:
            out.flush()
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            drop_connection(writer, reset=abort.reset)
            return False
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception:
            logger.exception("response stream failed; dropping the connection")
            drop_connection(writer, reset=True)
            return False
        finally:
            aclose = getattr(body, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()
        return not close

    async def send_protocol_error(
        self, h11_conn: h11.Connection, writer: asyncio.StreamWriter, exc: h11.RemoteProtocolError
    ) -> None:
        """Bedrock's JSON for a request h11 refused (malformed, or a head too large), if
        the connection can still carry an answer."""
        if h11_conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        status = exc.error_status_hint
        error_type = "ValidationException"
        message = "Malformed HTTP request."
        if status == 431:
            message = "Request header section too large."
        response = BedrockError(error_type, message, status=status).to_response()
        with contextlib.suppress(h11.LocalProtocolError, ConnectionError):
            await self.send(h11_conn, writer, response, str(uuid.uuid4()), close=True)
