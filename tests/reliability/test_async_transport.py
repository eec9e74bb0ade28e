"""The async client's own HTTP/1.1 transport against a scripted server: framing (length,
chunked, close-delimited, no body), keep-alive, informational answers, malformed answers,
the connection limit, cancellation."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
from faultkit import CLOSE_WAIT, auntil, sockets_to

from claude_bedrock._transports import FastAsyncTransport

Script = Callable[[socket.socket], bool]  # writes one answer; True keeps the connection


class Server:
    """Raw HTTP on loopback; the request path names the script that answers it."""

    def __init__(self) -> None:
        self.scripts: dict[str, Script] = {}
        self.connections = 0
        self.active = 0
        self.most_active = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with self._lock:
            self.connections += 1
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        try:
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                path = head.split(b" ")[1].decode()
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length")), 0)  # fmt: skip
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                buffer = buffer[length:]
                if not self.scripts[path](conn):
                    return
        except OSError:
            pass
        finally:
            with self._lock:
                self.active -= 1
            conn.close()

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


def answer(raw: bytes, keep: bool = True, pause: float = 0.0) -> Script:
    def script(conn: socket.socket) -> bool:
        if pause:
            threading.Event().wait(pause)
        conn.sendall(raw)
        return keep

    return script


def pieces(*parts: bytes, keep: bool = True) -> Script:
    """An answer written in several packets, a little apart (exercises partial reads)."""

    def script(conn: socket.socket) -> bool:
        for part in parts:
            conn.sendall(part)
            threading.Event().wait(0.01)
        return keep

    return script


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"


def run(coro_factory: Callable[[FastAsyncTransport], object], **options: object) -> object:
    async def main() -> object:
        transport = FastAsyncTransport(**options)  # type: ignore[arg-type]
        try:
            return await coro_factory(transport)  # type: ignore[misc]
        finally:
            await transport.aclose()

    return asyncio.run(main())


async def get(transport: FastAsyncTransport, url: str, method: str = "GET",
              timeout: httpx.Timeout | None = None) -> httpx.Response:  # fmt: skip
    request = httpx.Request(
        method, url, extensions={"timeout": (timeout or httpx.Timeout(5)).as_dict()}
    )
    response = await transport.handle_async_request(request)
    await response.aread()
    return response


def test_content_length_and_keep_alive(server: Server) -> None:
    server.scripts["/ok"] = answer(OK)

    async def go(t: FastAsyncTransport) -> list[bytes]:
        bodies = [(await get(t, server.url + "/ok")).content for _ in range(3)]
        assert t.open_connections() == t.idle_connections() == 1
        return bodies

    assert run(go) == [b"hello"] * 3 and server.connections == 1


def test_chunked_with_extensions_and_trailers_in_pieces(server: Server) -> None:
    server.scripts["/chunked"] = pieces(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhel",
        b"lo\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n",
    )
    server.scripts["/ok"] = answer(OK)

    async def go(t: FastAsyncTransport) -> tuple[bytes, bytes]:
        first = await get(t, server.url + "/chunked")
        second = await get(t, server.url + "/ok")  # same connection: the framing was exact
        return first.content, second.content

    assert run(go) == (b"hello world", b"hello") and server.connections == 1


def test_close_delimited_body_and_connection_close(server: Server) -> None:
    server.scripts["/eof"] = answer(b"HTTP/1.1 200 OK\r\n\r\nuntil the end", keep=False)
    server.scripts["/close"] = answer(
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", keep=False
    )

    async def go(t: FastAsyncTransport) -> list[bytes]:
        bodies = [(await get(t, server.url + path)).content for path in ("/eof", "/close")]
        assert t.open_connections() == 0  # neither is kept
        return bodies

    assert run(go) == [b"until the end", b"ok"] and server.connections == 2


def test_no_body_answers_and_informational_ones(server: Server) -> None:
    server.scripts["/head"] = answer(b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n")
    server.scripts["/204"] = answer(b"HTTP/1.1 204 No Content\r\n\r\n")
    server.scripts["/100"] = answer(b"HTTP/1.1 100 Continue\r\n\r\n" + OK)

    async def go(t: FastAsyncTransport) -> list[tuple[int, bytes]]:
        out = []
        for method, path in (("HEAD", "/head"), ("GET", "/204"), ("GET", "/100")):
            response = await get(t, server.url + path, method)
            out.append((response.status_code, response.content))
        return out

    assert run(go) == [(200, b""), (204, b""), (200, b"hello")] and server.connections == 1


@pytest.mark.parametrize(
    ("raw", "error"),
    [(b"HTPP/1.1 200 OK\r\n\r\n", httpx.RemoteProtocolError),
     (b"HTTP/1.1 2000 OK\r\n\r\n", httpx.RemoteProtocolError),
     (b"HTTP/1.1 200 OK\r\n bad: fold\r\n\r\n", httpx.RemoteProtocolError),
     (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", httpx.RemoteProtocolError),
     (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", httpx.ReadError),
     (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", httpx.ReadError),
     (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY", httpx.ReadError),
     (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", httpx.ReadError),
     (b"", httpx.RemoteProtocolError),
     (b"HTTP/1.1 200", httpx.RemoteProtocolError)],
)  # fmt: skip
def test_malformed_answers_are_errors_and_close_the_connection(
    server: Server, raw: bytes, error: type[Exception]
) -> None:
    server.scripts["/bad"] = answer(raw, keep=False)

    async def go(t: FastAsyncTransport) -> None:
        with pytest.raises(error):
            await get(t, server.url + "/bad")
        assert t.open_connections() == 0

    run(go)


def test_connection_limit_and_pool_timeout(server: Server) -> None:
    server.scripts["/slow"] = answer(OK, pause=0.2)

    async def limited(t: FastAsyncTransport) -> list[bytes]:
        responses = await asyncio.gather(*(get(t, server.url + "/slow") for _ in range(6)))
        return [r.content for r in responses]

    assert run(limited, max_connections=2) == [b"hello"] * 6
    assert server.most_active == 2

    async def starved(t: FastAsyncTransport) -> None:
        timeout = httpx.Timeout(5, pool=0.05)
        held = asyncio.create_task(get(t, server.url + "/slow"))
        await asyncio.sleep(0.05)
        with pytest.raises(httpx.PoolTimeout):
            await get(t, server.url + "/slow", timeout=timeout)
        assert (await held).content == b"hello"

    run(starved, max_connections=1)


def test_cancelled_reads_discard_their_connection(server: Server) -> None:
    release, sent = threading.Event(), threading.Event()

    def stall(conn: socket.socket) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
        sent.set()
        release.wait(30)
        return False

    server.scripts["/stall"] = stall
    server.scripts["/ok"] = answer(OK)

    async def go(t: FastAsyncTransport) -> bytes:
        task = asyncio.create_task(get(t, server.url + "/stall"))
        # Cancelled once the answer is half sent (a fixed 0.1 s could cancel it before the
        # connection was even made on a busy machine, and test nothing).
        await auntil(sent.is_set, "the server sent half the answer")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert t.open_connections() == 0  # a half-read connection is never pooled
        return (await get(t, server.url + "/ok")).content

    try:
        assert run(go) == b"hello"
    finally:
        release.set()


def test_a_connection_the_server_closed_while_idle_is_replaced(server: Server) -> None:
    server.scripts["/once"] = answer(OK, keep=False)  # closes without saying so

    async def go(t: FastAsyncTransport) -> list[bytes]:
        first = await get(t, server.url + "/once")
        # Until the FIN has arrived (a fixed 0.1 s was a race with a starved server thread,
        # which then closed the connection under the second request).
        await auntil(lambda: sockets_to(server.url, CLOSE_WAIT) == 1, "the server's FIN")
        second = await get(t, server.url + "/once")
        return [first.content, second.content]

    assert run(go) == [b"hello", b"hello"] and server.connections == 2
