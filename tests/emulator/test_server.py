"""The HTTP/1.1 layer: keep-alive, pipelining, bodies, caps, streaming, aborts, shutdown."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import h11
import httpx
import pytest

from claude_bedrock.emulator import Emulator, EmulatorApp, Limits
from claude_bedrock.emulator.http_types import AbortConnection, Request, Response, StreamingResponse
from claude_bedrock.emulator.routing import Router

from .conftest import error_of

RELEASE = threading.Event()


def _routes(app: EmulatorApp) -> None:
    """Test-only routes installed through the public extension API."""

    async def echo(request: Request) -> Response:
        return Response.json(
            {
                "length": len(request.body),
                "sha256": hashlib.sha256(request.body).hexdigest(),
                "peer_port": request.client[1] if request.client else None,
                "path_params": request.path_params,
                "query": request.query,
                "request_id": request.request_id,
            }
        )

    async def stream(request: Request) -> StreamingResponse:
        count = int(request.query_value("count", "3") or 3)
        wait = request.query_value("wait") == "1"
        abort_at = int(request.query_value("abort", "-1") or -1)

        async def body() -> AsyncIterator[bytes]:
            for index in range(count):
                if index == abort_at:
                    raise AbortConnection(reset=True)
                yield f"part-{index};".encode()
                if wait and index == 0:
                    while not RELEASE.is_set():
                        await asyncio.sleep(0.01)

        return StreamingResponse(body=body(), content_type="text/plain")

    async def boom(request: Request) -> Response:
        raise RuntimeError("secret detail that must not leak")

    app.add_route("POST", "/_test/echo/{name}", echo, auth=False)
    app.add_route("GET", "/_test/echo/{name}", echo, auth=False)
    app.add_route("GET", "/_test/stream", stream, auth=False)
    app.add_route("GET", "/_test/boom", boom, auth=False)


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    limits = Limits(max_body_bytes=10_000, max_header_count=20, max_header_bytes=4096)
    with Emulator(extensions=[_routes], limits=limits) as emulator:
        yield emulator


def _address(emulator: Emulator) -> tuple[str, int]:
    url = httpx.URL(emulator.url)
    return url.host, url.port or 80


def _exchange(emulator: Emulator, data: bytes, responses: int = 1) -> list[tuple[Any, bytes]]:
    """Send raw bytes (possibly several pipelined requests), parse the responses.

    h11's client cannot pipeline, so each response gets a fresh parser that is first put in
    the "request sent" state and then fed the bytes left over by the previous one.
    """
    results: list[tuple[Any, bytes]] = []
    leftover = b""
    with socket.create_connection(_address(emulator), timeout=10) as sock:
        sock.sendall(data)
        while len(results) < responses:
            conn = h11.Connection(h11.CLIENT)
            conn.send(h11.Request(method="GET", target="/", headers=[("host", "x")]))
            conn.send(h11.EndOfMessage())
            if leftover:
                conn.receive_data(leftover)
            head: Any = None
            chunks: list[bytes] = []
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    conn.receive_data(sock.recv(65536))
                elif isinstance(event, h11.Response):
                    head = event
                elif isinstance(event, h11.Data):
                    chunks.append(bytes(event.data))
                elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                    break
            results.append((head, b"".join(chunks)))
            if isinstance(event, h11.ConnectionClosed) or head.status_code >= 400:
                break
            leftover = conn.trailing_data[0]
    return results


def test_router_matches_raw_segments_then_decodes() -> None:
    async def handler(request: Request) -> Response:
        return Response()

    router = Router()
    router.add("POST", "/model/{modelId}/invoke", handler)
    literal = router.add("POST", "/model/special/invoke", handler)
    arn = "arn%3Aaws%3Abedrock%3Aus-west-2%3A123456789012%3Ainference-profile%2Fus.anthropic.x"
    match = router.match("POST", f"/model/{arn}/invoke")
    assert match is not None and not isinstance(match, tuple)
    assert match.params == {
        "modelId": "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.x"
    }
    special = router.match("POST", "/model/special/invoke")
    assert not isinstance(special, tuple) and special is not None and special.route is literal
    assert router.match("GET", "/model/x/invoke") == ("POST",)
    assert router.match("POST", "/model/a/b/invoke") is None
    assert router.match("POST", "/model//invoke") is None
    with pytest.raises(ValueError, match="duplicate"):
        router.add("POST", "/model/{other}/invoke", handler)


def test_keep_alive_reuses_one_connection(server: Emulator) -> None:
    with httpx.Client(base_url=server.url) as client:
        ports = {client.post("/_test/echo/a", content=b"x").json()["peer_port"] for _ in range(5)}
    assert len(ports) == 1


def test_pipelined_requests_are_answered_in_order(server: Emulator) -> None:
    requests = b"".join(
        f"POST /_test/echo/n{i} HTTP/1.1\r\nHost: x\r\nContent-Length: {i}\r\n\r\n".encode()
        + b"z" * i
        for i in range(1, 4)
    )
    results = _exchange(server, requests, responses=3)
    import json

    lengths = [json.loads(body)["length"] for _, body in results]
    names = [json.loads(body)["path_params"]["name"] for _, body in results]
    assert lengths == [1, 2, 3] and names == ["n1", "n2", "n3"]


def test_chunked_request_body(server: Emulator) -> None:
    payload = [b"first,", b"second,", b"third"]

    def gen() -> Iterator[bytes]:
        yield from payload

    with httpx.Client(base_url=server.url) as client:
        response = client.post("/_test/echo/c", content=gen())
    data = b"".join(payload)
    assert response.json()["length"] == len(data)
    assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()


def test_percent_encoded_params_and_query(server: Emulator) -> None:
    response = httpx.get(server.url + "/_test/echo/a%2Fb%3Ac?x=1&x=2&y=")
    assert response.json()["path_params"] == {"name": "a/b:c"}
    assert response.json()["query"] == {"x": ["1", "2"], "y": [""]}


def test_every_response_has_a_request_id(server: Emulator) -> None:
    response = httpx.get(server.url + "/_test/echo/id")
    assert response.headers["x-amzn-requestid"] == response.json()["request_id"]
    assert response.headers["date"]


def test_body_over_the_cap_is_refused(server: Emulator) -> None:
    response = httpx.post(server.url + "/_test/echo/big", content=b"x" * 10_001)
    assert error_of(response)[:2] == (413, "RequestEntityTooLargeException")

    def gen() -> Iterator[bytes]:
        for _ in range(11):
            yield b"y" * 1000

    with httpx.Client(base_url=server.url) as client:
        chunked = client.post("/_test/echo/big", content=gen())
    assert chunked.status_code == 413 and chunked.headers["connection"] == "close"


def test_too_many_headers(server: Emulator) -> None:
    headers = {f"x-h{i}": "v" for i in range(25)}
    response = httpx.get(server.url + "/_test/echo/h", headers=headers)
    assert response.status_code == 431


def test_header_section_too_large(server: Emulator) -> None:
    request = b"GET /_test/echo/h HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8000 + b"\r\n\r\n"
    [(head, _)] = _exchange(server, request)
    assert head.status_code == 431


def test_malformed_request_line(server: Emulator) -> None:
    [(head, _)] = _exchange(server, b"NOT HTTP AT ALL\r\n\r\n")
    assert head.status_code == 400


def test_unknown_route(server: Emulator) -> None:
    for method, path in [("GET", "/nowhere"), ("DELETE", "/_test/echo/x")]:
        response = httpx.request(method, server.url + path)
        assert error_of(response)[:2] == (404, "UnknownOperationException")


def test_health_needs_no_credentials(server: Emulator) -> None:
    assert httpx.get(server.url + "/_emulator/health").json()["status"] == "ok"


def test_handler_crash_is_an_opaque_500(server: Emulator) -> None:
    response = httpx.get(server.url + "/_test/boom")
    assert error_of(response)[:2] == (500, "InternalServerException")
    assert "secret detail" not in response.text


def test_streaming_response_is_sent_incrementally(server: Emulator) -> None:
    RELEASE.clear()
    with (
        httpx.Client(base_url=server.url, timeout=10) as client,
        client.stream("GET", "/_test/stream?count=3&wait=1") as response,
    ):
        assert response.headers["transfer-encoding"] == "chunked"
        parts = response.iter_raw()
        first = next(parts)  # arrives while the handler is still blocked
        assert first == b"part-0;"
        RELEASE.set()
        rest = b"".join(parts)
    assert first + rest == b"part-0;part-1;part-2;"


def test_abort_resets_the_connection_mid_stream(server: Emulator) -> None:
    with pytest.raises(httpx.HTTPError):
        httpx.get(server.url + "/_test/stream?count=5&abort=2")
    assert httpx.get(server.url + "/_emulator/health").status_code == 200


def test_graceful_shutdown_finishes_in_flight_requests() -> None:
    RELEASE.clear()
    emulator = Emulator(extensions=[_routes], shutdown_timeout=30).start()
    received: list[bytes] = []
    with (
        httpx.Client(base_url=emulator.url, timeout=30) as client,
        client.stream("GET", "/_test/stream?count=3&wait=1") as response,
    ):
        parts = response.iter_raw()
        received.append(next(parts))
        stopper = threading.Thread(target=emulator.stop)
        stopper.start()
        address = _address_of(response)
        while _accepts(address):  # the listener closes first...
            pass
        RELEASE.set()  # ...then the in-flight stream is allowed to finish
        received.extend(parts)
        stopper.join(30)
    assert not stopper.is_alive()
    assert b"".join(received) == b"part-0;part-1;part-2;"


def test_shutdown_deadline_cancels_stuck_requests() -> None:
    RELEASE.clear()
    emulator = Emulator(extensions=[_routes], shutdown_timeout=0.2).start()
    with (
        httpx.Client(base_url=emulator.url, timeout=30) as client,
        client.stream("GET", "/_test/stream?count=3&wait=1") as response,
    ):
        parts = response.iter_raw()
        next(parts)
        emulator.stop()
        with pytest.raises(httpx.HTTPError):
            b"".join(parts)
    RELEASE.set()


def _address_of(response: httpx.Response) -> tuple[str, int]:
    url = response.request.url
    return url.host, url.port or 80


def _accepts(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


def test_expect_100_continue(server: Emulator) -> None:
    with socket.create_connection(_address(server), timeout=10) as sock:
        sock.sendall(
            b"POST /_test/echo/e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        interim = sock.recv(1024)
        assert interim.startswith(b"HTTP/1.1 100 ")
        sock.sendall(b"hello")
        final = b""
        while b'"length":5' not in final:
            final += sock.recv(65536)
    assert final.startswith(b"HTTP/1.1 200 OK")


def test_expect_100_continue_with_a_body_over_the_cap_gets_413_at_once(server: Emulator) -> None:
    with socket.create_connection(_address(server), timeout=10) as sock:
        sock.sendall(
            b"POST /_test/echo/e HTTP/1.1\r\nHost: x\r\nContent-Length: 999999\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        assert sock.recv(1024).startswith(b"HTTP/1.1 413 ")


def test_head_request_gets_headers_only_and_keeps_the_connection(server: Emulator) -> None:
    with httpx.Client(base_url=server.url) as client:
        head = client.head("/_emulator/health")
        after = client.get("/_emulator/health")
    assert head.status_code == 404 and head.content == b""
    assert int(head.headers["content-length"]) > 0
    assert after.json()["status"] == "ok"


def test_absolute_form_request_target(server: Emulator) -> None:
    request = b"GET http://localhost/_test/echo/abs?q=1 HTTP/1.1\r\nHost: localhost\r\n\r\n"
    [(head, data)] = _exchange(server, request)
    assert head.status_code == 200 and b'"name":"abs"' in data and b'"q":["1"]' in data
