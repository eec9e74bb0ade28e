"""The client against hostile HTTP servers (issue 17, items 11 to 14): bodies without end or
that inflate without bound, wrong lengths, trickles and pings that never make progress,
secrets echoed back, redirects to another host. Each call runs with its own bound (a worker
thread joined with a timeout): the assertions are on how the call ended (exception type,
memory held), never on how long it took."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import socket
import ssl
import threading
import tracemalloc
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import trustme
from hostile import MESSAGE, Conn, chunk_frame, head, serving

from _secret_scan import register_secret
from claude_bedrock import (
    AnthropicBedrock,
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AsyncAnthropicBedrock,
)
from claude_bedrock.wire.eventstream import encode_event
from splice import splice

MODES = ["sync", "async"]
MODEL = "global.anthropic.claude-opus-4-6-v1"
TOKEN = "hostile-session-TOKEN-" + "z" * 60
SECRET = "hostile/SECRET/key/0123456789abcdefghij"
API_KEY = "ABSK-hostile-API-key-0123456789abcdef"
for _secret in (TOKEN, SECRET, API_KEY):
    register_secret(_secret)
MiB = 1 << 20
#: The test's own bound on one call: a call still running after it is a failure.
BOUND = 20.0
BODY = json.dumps(MESSAGE).encode()


def _options(url: str, **extra: Any) -> dict[str, Any]:
    auth: dict[str, Any] = {"aws_access_key": "AKIDHOSTILE0000001", "aws_secret_key": SECRET,
                            "aws_session_token": TOKEN}  # fmt: skip
    if "api_key" in extra:
        auth = {}
    return {"aws_region": "us-west-2", "base_url": url, "max_retries": 0, **auth, **extra}


def _ask(stream: bool) -> dict[str, Any]:
    hello = [{"role": "user", "content": "Hello"}]
    return {
        "model": MODEL,
        "max_tokens": 64,
        "messages": hello,
        **({"stream": True} if stream else {}),
    }


def _sync(url: str, stream: bool, options: dict[str, Any]) -> Any:
    with AnthropicBedrock(**_options(url, **options)) as client:
        answer = client.messages.create(**_ask(stream))
        return [event.type for event in answer] if stream else answer


async def _async(url: str, stream: bool, options: dict[str, Any]) -> Any:
    async with AsyncAnthropicBedrock(**_options(url, **options)) as client:
        answer = await client.messages.create(**_ask(stream))
        return [event.type async for event in answer] if stream else answer


def call(mode: str, url: str, *, stream: bool = False, **options: Any) -> Any:
    """One call in a worker thread, bounded by :data:`BOUND`: its result or its exception."""
    outcome: list[Any] = []

    def work() -> None:
        try:
            if mode == "async":
                outcome.append(asyncio.run(_async(url, stream, options)))
            else:
                outcome.append(_sync(url, stream, options))
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(BOUND)
    assert outcome, "the call did not end"
    return outcome[0]


def measured(fn: Callable[[], Any]) -> tuple[Any, int]:
    """``fn()`` and the peak of Python allocations while it ran."""
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------- 11: memory


def _endless(conn: Conn) -> None:
    """A 200 without Content-Length that never ends (until 256 MiB or the client leaves)."""
    piece = b"a" * 65536
    if conn.send(head(200, "Content-Type: application/json", "Connection: close") + b'{"id":"'):
        for _ in range(4096):
            if not conn.send(piece):
                return


@pytest.mark.parametrize("mode", MODES)
def test_a_body_without_end_is_capped(mode: str) -> None:
    with serving(_endless) as server:
        error, peak = measured(lambda: call(mode, server.url, max_response_bytes=MiB))
    assert isinstance(error, APIResponseValidationError), error
    assert "max_response_bytes" in str(error)
    assert peak < 8 * MiB


BOMB = gzip.compress(b"\0" * (64 * MiB), 9)


def _bomb(conn: Conn) -> None:
    """About 64 KB of gzip that inflates to 64 MiB."""
    lines = ("Content-Type: application/json", "Content-Encoding: gzip",
             f"Content-Length: {len(BOMB)}")  # fmt: skip
    conn.send(head(200, *lines) + BOMB)


@pytest.mark.parametrize("mode", MODES)
def test_an_encoding_not_asked_for_is_refused(mode: str) -> None:
    with serving(_bomb) as server:
        error, peak = measured(lambda: call(mode, server.url))
        asked = server.requests[0].headers().get("accept-encoding")
    assert asked == "identity"
    assert isinstance(error, APIResponseValidationError), error
    assert "gzip" in str(error)
    assert peak < 8 * MiB


@pytest.mark.parametrize("mode", MODES)
def test_decompression_is_bounded(mode: str) -> None:
    options = {"max_response_bytes": MiB, "default_headers": {"accept-encoding": "gzip"}}
    with serving(_bomb) as server:
        error, peak = measured(lambda: call(mode, server.url, **options))
    assert isinstance(error, APIResponseValidationError), error
    assert "max_response_bytes" in str(error)
    assert peak < 8 * MiB


def test_a_small_gzip_answer_asked_for_is_read() -> None:
    packed = gzip.compress(BODY)

    def script(conn: Conn) -> None:
        conn.send(head(200, "Content-Type: application/json", "Content-Encoding: gzip",
                       f"Content-Length: {len(packed)}") + packed)  # fmt: skip

    for mode in MODES:
        with serving(script) as server:
            message = call(mode, server.url, default_headers={"accept-encoding": "gzip"})
        assert message.id == "msg_hostile"


# --------------------------------------------------------------------------- 12: framing


def _framed(*lines: str, body: bytes = BODY) -> Callable[[Conn], None]:
    def script(conn: Conn) -> None:
        conn.send(head(200, "Content-Type: application/json", *lines) + body)

    return script


FRAMINGS = {
    "short": _framed("Content-Length: 100000"),
    "negative": _framed("Content-Length: -1", "Connection: close"),
    "conflicting": _framed(f"Content-Length: {len(BODY)}", "Content-Length: 100000"),
    "comma-list": _framed(f"Content-Length: {len(BODY)}, 100000"),
    "chunked-cut": _framed("Transfer-Encoding: chunked", body=b"%x\r\n" % len(BODY) + BODY),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framing", sorted(FRAMINGS))
def test_framing_errors_are_connection_errors_and_retried(mode: str, framing: str) -> None:
    with serving(FRAMINGS[framing]) as server:
        error = call(mode, server.url, max_retries=1)
        attempts = len(server.requests)
    assert type(error) is APIConnectionError, error
    assert attempts == 2  # retried as a lost connection is


# --------------------------------------------------------------------------- 13: deadlines

ONE_SECOND = httpx.Timeout(1.0)


def _trickled_body(conn: Conn) -> None:
    lines = ("Content-Type: application/json", f"Content-Length: {len(BODY)}")
    if conn.send(head(200, *lines)):
        conn.trickle(BODY, 0.2)


def _trickled_head(conn: Conn) -> None:
    conn.trickle(head(200, "Content-Type: application/json", "X-Slow: " + "s" * 200), 0.2)


def _stream_of(*first: dict[str, Any], then: bytes) -> Callable[[Conn], None]:
    def script(conn: Conn) -> None:
        lines = ("Content-Type: application/vnd.amazon.eventstream", "Connection: close")
        if not conn.send(head(200, *lines) + b"".join(chunk_frame(e) for e in first)):
            return
        while conn.wait(0.2) and conn.send(then):
            pass

    return script


def _trickled_frame(conn: Conn) -> None:
    """The first event, then one more frame a byte at a time: bytes, but no event."""
    lines = ("Content-Type: application/vnd.amazon.eventstream", "Connection: close")
    if conn.send(head(200, *lines) + chunk_frame(START)):
        conn.trickle(chunk_frame({"type": "content_block_stop", "index": 0}), 0.2)


START = {"type": "message_start", "message": {**MESSAGE, "content": [], "stop_reason": None}}
PING = chunk_frame({"type": "ping"})
UNKNOWN = encode_event("somethingNew", b"{}")
DEADLINES = {
    "trickled-body": (_trickled_body, False),
    "trickled-head": (_trickled_head, False),
    "pings-only": (_stream_of(then=PING), True),
    "unknown-frames-only": (_stream_of(then=UNKNOWN), True),
    "pings-after-start": (_stream_of(START, then=PING), True),
    "trickled-frame": (_trickled_frame, True),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", sorted(DEADLINES))
def test_no_progress_ends_in_our_timeout(mode: str, case: str) -> None:
    script, stream = DEADLINES[case]
    with serving(script) as server:
        error = call(mode, server.url, stream=stream, timeout=ONE_SECOND)
    assert type(error) is APITimeoutError, error


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", ["trickled-body", "pings-after-start"])
def test_the_deadline_holds_through_a_users_http_client(mode: str, case: str) -> None:
    script, stream = DEADLINES[case]
    http_client: Any = httpx.AsyncClient() if mode == "async" else httpx.Client()
    with serving(script) as server:
        error = call(mode, server.url, stream=stream, timeout=ONE_SECOND, http_client=http_client)
    assert type(error) is APITimeoutError, error


# --------------------------------------------------------------------------- 14: secrets


def _echo(conn: Conn) -> None:
    """A 400 whose message is the request's headers, as a careless proxy would say it."""
    text = conn.request.split(b"\r\n\r\n")[0].decode("latin-1")
    bare = [v.rpartition("Signature=")[2] for v in conn.headers().values() if "Signature=" in v]
    body = json.dumps({"message": f"bad request: {text} {bare}", "echo": {"headers": text}})
    body = body.encode()
    conn.send(head(400, "Content-Type: application/json", f"Content-Length: {len(body)}") + body)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("auth", ["sigv4", "api_key"])
def test_echoed_secrets_are_redacted(mode: str, auth: str) -> None:
    options = {"api_key": API_KEY} if auth == "api_key" else {}
    with serving(_echo) as server:
        error = call(mode, server.url, **options)
    assert isinstance(error, APIError), error
    text = "\n".join([str(error), repr(error), error.message, json.dumps(error.body)])
    for secret in (TOKEN, SECRET, API_KEY):
        assert secret not in text
    assert "Signature=" not in text or "Signature=<redacted>" in text
    signature = server.requests[0].headers().get("authorization", "").rpartition("Signature=")[2]
    assert auth == "api_key" or (len(signature) == 64 and signature not in text)
    assert "bad request" in text  # the rest of the message is kept


SIGNING_HEADERS = ("authorization", "x-amz-security-token", "x-amz-date", "x-amz-content-sha256")


@pytest.mark.parametrize("mode", MODES)
def test_a_redirect_to_another_host_drops_the_signing_headers(mode: str) -> None:
    def answer(conn: Conn) -> None:
        conn.send(head(200, "Content-Type: application/json", f"Content-Length: {len(BODY)}")
                  + BODY)  # fmt: skip

    with serving(answer, host="localhost") as elsewhere:
        target = f"http://localhost:{elsewhere.port}/model/x/invoke"

        def redirect(conn: Conn) -> None:
            conn.send(head(307, f"Location: {target}", "Content-Length: 0"))

        with serving(redirect) as server:
            if mode == "async":
                http_client: Any = httpx.AsyncClient(follow_redirects=True)
            else:
                http_client = httpx.Client(follow_redirects=True)
            message = call(mode, server.url, http_client=http_client)
            sent = server.requests[0].headers()
        received = elsewhere.requests[0].headers()
    assert message.id == "msg_hostile"
    assert "x-amz-security-token" in sent  # the first host did get them
    for name in SIGNING_HEADERS:
        assert name not in received, name


# --------------------------------------------------------------------------- the option


def test_max_response_bytes_is_an_option_of_every_client_and_copy() -> None:
    from claude_bedrock import MockTransport, ResponseTooLargeError

    transport = MockTransport(lambda request: httpx.Response(200, json=MESSAGE))
    options = _options("http://127.0.0.1:9", transport=transport)
    with AnthropicBedrock(**options) as client:
        assert client.messages.create(**_ask(False)).id == "msg_hostile"
        small = client.with_options(max_response_bytes=100)
        with pytest.raises(ResponseTooLargeError, match="max_response_bytes"):
            small.messages.create(**_ask(False))
    with pytest.raises(ValueError, match="max_response_bytes"):
        AnthropicBedrock(**_options("http://127.0.0.1:9", max_response_bytes=0))


def test_a_redirect_on_the_same_origin_keeps_them() -> None:
    def script(conn: Conn) -> None:
        if b" /moved " in conn.request.split(b"\r\n", 1)[0]:
            conn.send(head(200, "Content-Type: application/json",
                           f"Content-Length: {len(BODY)}") + BODY)  # fmt: skip
        else:
            conn.send(head(307, "Location: /moved", "Content-Length: 0"))

    with serving(script) as server:
        message = call("sync", server.url, http_client=httpx.Client(follow_redirects=True))
        moved = server.requests[1].headers()
    assert message.id == "msg_hostile"
    assert "x-amz-security-token" in moved and "authorization" in moved


# ------------------------------------------------- 13: a trickled head, a user's own client

THREE_SECONDS = httpx.Timeout(3.0)
#: The status line, a byte a second (16 s), then the rest of an empty 200 at once.
STATUS_LINE = b"HTTP/1.1 200 X\r\n"


def _head_trickle(outcome: list[str], ended: threading.Semaphore) -> Callable[[Conn], None]:
    """Trickles :data:`STATUS_LINE`; ``outcome`` says how that ended: "left" (the client
    closed the connection: a send failed), "done" (all sent) or "stopped" (the test ended)."""

    def script(conn: Conn) -> None:
        try:
            for i in range(len(STATUS_LINE)):
                try:
                    conn.sock.sendall(STATUS_LINE[i : i + 1])
                except OSError:
                    outcome.append("left")
                    return
                if not conn.wait(1.0):
                    outcome.append("stopped")
                    return
            outcome.append("done")
            conn.send(b"Content-Type: application/json\r\nContent-Length: 0\r\n\r\n")
        finally:
            ended.release()

    return script


@pytest.mark.parametrize("mode", MODES)
def test_a_trickled_head_through_a_users_http_client_is_cut_off(mode: str) -> None:
    """``timeout=3`` with the user's own client: the attempt's deadline ends the wait for a
    head trickled a byte a second, and the connection is closed (the server sees it go long
    before its 16 s trickle is over), not left to that client's own per-read timeouts. The
    retry opens a new connection, cut off the same way."""
    outcome: list[str] = []
    ended = threading.Semaphore(0)
    http_client: Any = httpx.AsyncClient() if mode == "async" else httpx.Client()
    with serving(_head_trickle(outcome, ended)) as server:
        error = call(mode, server.url, timeout=THREE_SECONDS, http_client=http_client,
                     max_retries=1)  # fmt: skip
        assert ended.acquire(timeout=BOUND) and ended.acquire(timeout=BOUND), outcome
    assert type(error) is APITimeoutError, error
    assert outcome == ["left", "left"]


class _TLSFront:
    """HTTPS on 127.0.0.1 in front of a hostile server (certificate from ``ca``): each TLS
    connection relayed to a plain one, closed both ways when either side goes."""

    def __init__(self, upstream: int, ca: trustme.CA) -> None:
        self._upstream = upstream
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(self._context)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self._listener.accept()
                threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            tls = self._context.wrap_socket(conn, server_side=True)
            plain = socket.create_connection(("127.0.0.1", self._upstream))
            splice(tls, plain)

    def close(self) -> None:
        self._listener.close()


def test_a_trickled_head_over_tls_through_a_users_http_client_is_cut_off() -> None:
    """The same over HTTPS (what Bedrock speaks): the TLS socket is shut down from the
    watchdog's thread while the sending thread waits in it."""
    ca = trustme.CA()
    outcome: list[str] = []
    ended = threading.Semaphore(0)
    with ca.cert_pem.tempfile() as bundle:
        http_client = httpx.Client(verify=ssl.create_default_context(cafile=bundle))
    with serving(_head_trickle(outcome, ended)) as server:
        front = _TLSFront(server.port, ca)
        try:
            error = call("sync", front.url, timeout=THREE_SECONDS, http_client=http_client)
            assert ended.acquire(timeout=BOUND), outcome
        finally:
            front.close()
    assert type(error) is APITimeoutError, error
    assert outcome == ["left"]
