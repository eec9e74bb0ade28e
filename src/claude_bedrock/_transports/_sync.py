"""A keep-alive HTTP/1.1 transport for httpx, built on the standard library's ``http.client``.

Why not httpx's default transport: measured on this project's benchmark (client CPU per
InvokeModel against a local server, ``bench/bench_invoke.py``), ``httpx.Client.send`` costs
about 470 µs of which httpcore + h11 are about 390 µs, while the same request through an
``http.client`` connection costs about 220 µs. That difference is most of our per-call
budget, so the sync client sends through this transport and skips ``httpx.Client``'s
cookie, auth and redirect machinery, none of which Bedrock uses. It is still an
``httpx.BaseTransport`` taking and returning ``httpx`` objects. Its TLS context comes from
the client's :class:`~._tls.TLSTrust` (``verify=``, ``AWS_CA_BUNDLE``...); a user who needs
more (HTTP/2, client certificates) passes ``http_client=httpx.Client(...)``.
"""

from __future__ import annotations

import functools
import http.client
import io
import socket
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import httpx

from ._deadline import DEADLINE, HONOURED, Deadline
from ._http11 import framing, socket_readable
from ._tls import TLSTrust

__all__ = ["FastHTTPTransport"]

_Key = tuple[str, str, int]
_READ_SIZE = 65536
_JOIN_LIMIT = 65536


class _DeadlineSocketIO(io.RawIOBase):
    """The socket as ``http.client`` reads it, each ``recv`` bounded by the attempt's
    deadline as well as the read timeout (a server trickling bytes gets no more time)."""

    def __init__(self, sock: socket.socket, conn: _OneWrite) -> None:
        self._sock = sock
        # The socket's own reader: it holds a reference, so the socket stays open while the
        # answer is read even after ``http.client`` closes a will-close connection.
        self._raw = sock.makefile("rb", buffering=0)
        self._conn = conn
        self._timeout: float | None = -1.0

    def close(self) -> None:
        self._raw.close()
        super().close()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        conn = self._conn
        deadline = conn.deadline
        timeout = conn.read_timeout
        if deadline is not None:
            try:
                timeout = deadline.limit(timeout)
            except httpx.ReadTimeout as exc:  # as a socket says it: the reader maps it back
                raise TimeoutError(str(exc)) from None
        if timeout != self._timeout:
            self._sock.settimeout(timeout)
            self._timeout = timeout
        try:
            return self._raw.readinto(buffer)
        except TimeoutError:
            if deadline is not None and deadline.passed():
                raise TimeoutError(str(deadline.expired())) from None
            raise


class _Response(http.client.HTTPResponse):
    def __init__(self, sock: socket.socket, *, conn: _OneWrite, **kwargs: Any) -> None:
        super().__init__(sock, **kwargs)
        self.fp = io.BufferedReader(_DeadlineSocketIO(sock, conn), _READ_SIZE)


class _OneWrite:
    """Send the request head and a bytes body in one write; read the answer under the
    attempt's deadline (:class:`_DeadlineSocketIO`).

    ``http.client`` writes them separately; with TCP_NODELAY that is two packets and two
    system calls per request, measured as about a fifth of our per-call CPU on loopback.
    """

    _buffer: list[bytes]
    deadline: Deadline | None = None
    read_timeout: float | None = None
    response_class: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # http.client builds each answer with ``self.response_class(sock, method=...)``.
        self.response_class = functools.partial(_Response, conn=self)

    def _send_output(self, message_body: Any = None, encode_chunked: bool = False) -> None:
        self._buffer.extend((b"", b""))
        msg = b"\r\n".join(self._buffer)
        del self._buffer[:]
        # Small bodies ride with the head; a large one (a long-context prompt) is sent on its
        # own rather than copied once more into a joined buffer.
        if isinstance(message_body, bytes) and len(message_body) <= _JOIN_LIMIT:
            msg += message_body
            message_body = None
        self.send(msg)  # type: ignore[attr-defined]
        if message_body is not None:
            self.send(message_body)  # type: ignore[attr-defined]


class _HTTPConnection(_OneWrite, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_OneWrite, http.client.HTTPSConnection):
    pass


#: What reading an answer may raise (``TimeoutError`` is an ``OSError``).
_READ_ERRORS = (OSError, http.client.HTTPException)


def _read_error(exc: BaseException) -> httpx.TransportError:
    """httpx's exception for a failure while reading an answer (head or body)."""
    if isinstance(exc, TimeoutError):
        return httpx.ReadTimeout(str(exc) or "read timed out")
    return httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}")


class _ResponseStream(httpx.SyncByteStream):
    """The body of one response; gives the connection back to the pool once fully read."""

    def __init__(
        self, transport: FastHTTPTransport, key: _Key, conn: http.client.HTTPConnection,
        response: http.client.HTTPResponse,
    ) -> None:  # fmt: skip
        self._transport = transport
        self._key = key
        self._conn: http.client.HTTPConnection | None = conn
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        response = self._response
        try:
            while True:
                chunk = response.read1(_READ_SIZE)
                if not chunk:
                    break
                yield chunk
        except _READ_ERRORS as exc:
            self._discard()
            raise _read_error(exc) from None
        if response.length:  # http.client's read1 takes a short body for the end of it
            missing = response.length
            self._discard()
            raise httpx.RemoteProtocolError(
                f"the server closed the connection {missing} bytes short of its Content-Length"
            )

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        response = self._response
        # read1() leaves a Content-Length response open at length 0: it is complete all the
        # same, and must be closed before http.client lets the connection send again.
        complete = response.isclosed() or response.length == 0
        if complete and not response.will_close:
            response.close()
            self._transport._release(self._key, conn)
        else:  # closed early or the server asked to close: never reuse a half-read socket
            response.close()  # the socket's last reference (the connection's is gone)
            conn.close()

    def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._response.close()
            conn.close()


class FastHTTPTransport(httpx.BaseTransport):
    """A thread-safe pool of ``http.client`` connections, per scheme, host and port."""

    def __init__(self, *, max_keepalive: int = 100, trust: TLSTrust | None = None) -> None:
        self._idle: dict[_Key, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._max_keepalive = max_keepalive
        self._trust = trust if trust is not None else TLSTrust()
        self._closed = False

    def _acquire(
        self, key: _Key, timeout: dict[str, Any]
    ) -> tuple[http.client.HTTPConnection, bool]:
        conn: http.client.HTTPConnection
        while True:
            with self._lock:
                idle = self._idle.get(key)
                if not idle:
                    break
                conn = idle.pop()
            if conn.sock is not None and not socket_readable(conn.sock.fileno()):
                return conn, True
            conn.close()  # closed by the server while idle
        scheme, host, port = key
        connect = timeout.get("connect")
        if scheme == "https":
            context = self._trust.context()
            conn = _HTTPSConnection(host, port, timeout=connect, context=context)
        else:
            conn = _HTTPConnection(host, port, timeout=connect)
        try:
            conn.connect()
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc) or "connect timed out") from None
        except ssl.SSLCertVerificationError as exc:
            conn.close()
            raise self._trust.refused(exc) from None
        except OSError as exc:
            conn.close()
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from None
        if conn.sock is not None:
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, False

    def _release(self, key: _Key, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if not self._closed and len(idle) < self._max_keepalive:
                idle.append(conn)
                return
        conn.close()

    def idle_connections(self) -> int:
        """How many connections wait in the pool (tests use it to see that none leaked)."""
        with self._lock:
            return sum(len(v) for v in self._idle.values())

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        port = url.port or (443 if scheme == "https" else 80)
        key: _Key = (scheme, url.host, port)
        timeout: dict[str, Any] = request.extensions.get("timeout", {})
        deadline = request.extensions.get(DEADLINE)
        body = request.content
        target = url.raw_path.decode("ascii")
        headers = dict(request.headers)
        while True:
            conn, reused = self._acquire(key, timeout)
            conn.deadline = deadline  # type: ignore[attr-defined]
            conn.read_timeout = timeout.get("read")  # type: ignore[attr-defined]
            if conn.sock is not None:
                conn.sock.settimeout(timeout.get("read"))
            try:
                conn.request(request.method, target, body=body, headers=headers)
            except TimeoutError as exc:
                conn.close()
                raise httpx.WriteTimeout(str(exc) or "write timed out") from None
            except OSError as exc:
                conn.close()
                if reused:  # closed while idle: the request cannot have reached the server
                    continue
                raise httpx.WriteError(f"{type(exc).__name__}: {exc}") from None
            # From here the server may have run the request: it is not resent by the
            # transport, only by the client's retry policy (max_retries).
            try:
                response = conn.getresponse()
                answer = response.getheaders()
                # http.client reads a negative or doubled Content-Length as "until close":
                # the same checks as the async transport instead (a framing error).
                framing(request.method, response.status, [
                    (name.encode("latin-1"), value.encode("latin-1")) for name, value in answer
                ])  # fmt: skip
                break
            except (*_READ_ERRORS, httpx.RemoteProtocolError) as exc:
                conn.close()
                if isinstance(exc, httpx.RemoteProtocolError):
                    raise
                raise _read_error(exc) from None
        return httpx.Response(
            response.status,
            headers=answer,
            stream=_ResponseStream(self, key, conn, response),
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": response.reason.encode(),
                HONOURED: True,
            },  # fmt: skip
            request=request,
        )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()
