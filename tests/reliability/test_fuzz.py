"""Fuzzing with hypothesis: random bytes and mangled requests on a raw socket, random JSON
bodies to every runtime route, random event-stream frames through the client's stream
pipeline. The emulator must answer 4xx (or close the connection), never 500, never hang,
and keep serving; the client must raise only its own typed errors."""

from __future__ import annotations

import base64
import json
import os
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from faultkit import MODEL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_bedrock import APIError
from claude_bedrock.emulator import Emulator, Limits
from claude_bedrock.streaming import Stream
from claude_bedrock.wire.eventstream import encode_event, encode_exception, encode_message

FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "400")), deadline=None,
                derandomize="FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
ROUTES = [f"/model/{MODEL}/invoke", f"/model/{MODEL}/invoke-with-response-stream",
          f"/model/{MODEL}/converse", f"/model/{MODEL}/converse-stream",
          f"/model/{MODEL}/count-tokens"]  # fmt: skip
#: Longest a fuzz answer may take: far above any real answer, far below a hang.
PATIENCE = 10.0


@pytest.fixture(scope="module")
def target() -> Iterator[Emulator]:
    with Emulator(limits=Limits(max_body_bytes=64 * 1024, read_timeout=2.0)) as emulator:
        yield emulator


def exchange(emulator: Emulator, data: bytes) -> bytes:
    """Send ``data``, close our side, read until the server closes: the raw answer."""
    host, port = emulator.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=PATIENCE) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:  # the server may refuse early (a cap) and close: that is fine
            pass
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
        except TimeoutError:
            raise AssertionError(f"the emulator hung on {data[:200]!r}") from None
    return answer


def statuses(answer: bytes) -> list[int]:
    """Status codes of the (possibly several, pipelined) answers in ``answer``."""
    codes = []
    for line in answer.split(b"\r\n"):
        if line.startswith(b"HTTP/1.1 ") and line[9:12].isdigit():
            codes.append(int(line[9:12]))
    return codes


def assert_still_serving(emulator: Emulator) -> None:
    assert httpx.get(f"{emulator.url}/_emulator/health", timeout=PATIENCE).status_code == 200


METHODS = st.sampled_from([b"GET", b"POST", b"PUT", b"HEAD", b"DELETE", b"OPTIONS", b"P\x00ST"])
KNOWN_TARGETS = [r.encode() for r in ROUTES] + [b"/", b"*", b"/_emulator/health"]
TARGETS = st.one_of(st.sampled_from(KNOWN_TARGETS), st.binary(max_size=80))
HEADER = st.tuples(st.binary(min_size=0, max_size=30), st.binary(max_size=60))


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    """HTTP/1.1-shaped requests with random parts (and sometimes broken framing)."""
    method, target = draw(METHODS), draw(TARGETS)
    version = draw(st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/9.9", b"", b"HTTP/1.1 x"]))
    headers = draw(st.lists(HEADER, max_size=8))
    body = draw(st.binary(max_size=300))
    framing = draw(st.sampled_from(["length", "wrong-length", "chunked", "bad-chunked", "none"]))
    lines = [method + b" " + target + b" " + version, b"host: fuzz"]
    lines += [name + b": " + value for name, value in headers]
    if framing == "length":
        lines.append(b"content-length: %d" % len(body))
    elif framing == "wrong-length":
        lines.append(b"content-length: %d" % (len(body) + draw(st.integers(-50, 50))))
    elif framing == "chunked":
        lines.append(b"transfer-encoding: chunked")
        body = b"%x\r\n%b\r\n0\r\n\r\n" % (len(body), body) if body else b"0\r\n\r\n"
    elif framing == "bad-chunked":
        lines.append(b"transfer-encoding: chunked")
        body = draw(st.sampled_from([b"zz\r\n", b"-1\r\n", b"5\r\nab", b"ffffffffffffffffff\r\n"]))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


@FUZZ
@given(st.one_of(st.binary(max_size=1500), requests()))
def test_random_bytes_on_a_raw_socket(target: Emulator, data: bytes) -> None:
    answer = exchange(target, data)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 "), answer[:200]
    assert not any(code >= 500 for code in statuses(answer)), answer[:400]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)  # fmt: skip
VALID: dict[str, Any] = {
    "anthropic_version": "bedrock-2023-05-31", "max_tokens": 64,
    "messages": [{"role": "user", "content": "hi"}],
}  # fmt: skip
FIELDS = st.sampled_from(["anthropic_version", "max_tokens", "messages", "system", "tools",
                          "tool_choice", "temperature", "top_k", "stop_sequences", "thinking",
                          "anthropic_beta", "metadata", "inferenceConfig", "messages.0",
                          "messages.0.content", "messages.0.role"])  # fmt: skip


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """Anything from random JSON to a valid body with one field replaced or removed."""
    kind = draw(st.sampled_from(["json", "mutated", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=400))
    if kind == "json":
        return json.dumps(draw(JSON)).encode()
    document = json.loads(json.dumps(VALID))
    for _ in range(draw(st.integers(1, 3))):
        *path, last = draw(FIELDS).split(".")
        parent: Any = document
        for part in path:  # follow the path while it still exists (earlier edits may break it)
            if isinstance(parent, list) and part.isdigit() and int(part) < len(parent):
                parent = parent[int(part)]
            elif isinstance(parent, dict) and part in parent:
                parent = parent[part]
            else:
                parent = None
                break
        if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
            parent[int(last)] = draw(JSON)
        elif isinstance(parent, dict):
            if draw(st.booleans()):
                parent.pop(last, None)
            else:
                parent[last] = draw(JSON)
    return json.dumps(document).encode()


@pytest.fixture(scope="module")
def http(target: Emulator) -> Iterator[httpx.Client]:
    headers = {"authorization": f"Bearer {target.api_key}", "content-type": "application/json"}
    with httpx.Client(base_url=target.url, headers=headers, timeout=PATIENCE) as client:
        yield client


@FUZZ
@given(st.sampled_from(ROUTES), bodies())
def test_random_json_bodies(target: Emulator, http: httpx.Client, route: str, body: bytes) -> None:
    with http.stream("POST", route, content=body) as response:
        content = response.read()
    assert response.status_code < 500, (response.status_code, content[:300], body[:300])
    if response.status_code >= 400:
        assert response.headers["x-amzn-errortype"] and json.loads(content)["message"]


# -- the client's side: random event streams ------------------------------------------------------


def chunk(event: Any) -> bytes:
    raw = json.dumps(event).encode()
    return encode_event("chunk", json.dumps({"bytes": base64.b64encode(raw).decode()}).encode())


EVENT_TYPES = st.sampled_from(["message_start", "content_block_start", "content_block_delta",
                               "content_block_stop", "message_delta", "message_stop", "ping",
                               "error", "surprise"])  # fmt: skip
START = {"type": "message_start", "message": {"id": "m", "type": "message", "role": "assistant",
         "model": "x", "content": [], "stop_reason": None,
         "usage": {"input_tokens": 1, "output_tokens": 0}}}  # fmt: skip


@st.composite
def events(draw: st.DrawFn) -> Any:
    kind = draw(EVENT_TYPES)
    shapes: dict[str, Any] = {
        "message_start": START,
        "content_block_start": {"type": kind, "index": draw(st.integers(-1, 3)),
                                "content_block": draw(st.sampled_from([
                                    {"type": "text", "text": ""},
                                    {"type": "tool_use", "id": "t", "name": "n", "input": {}},
                                    {"type": "thinking", "thinking": "", "signature": ""},
                                    {"type": "weird"}, {}]))},
        "content_block_delta": {"type": kind, "index": draw(st.integers(-1, 3)),
                                "delta": draw(st.sampled_from([
                                    {"type": "text_delta", "text": "a"},
                                    {"type": "input_json_delta", "partial_json": '{"a'},
                                    {"type": "thinking_delta", "thinking": "t"},
                                    {"type": "signature_delta", "signature": "s"},
                                    {"type": "citations_delta", "citation": {}},
                                    {"type": "new_delta"}, {}]))},
        "content_block_stop": {"type": kind, "index": draw(st.integers(-1, 3))},
        "message_delta": {"type": kind, "delta": {"stop_reason": "end_turn"},
                          "usage": draw(st.sampled_from([{"output_tokens": 3}, {}, None]))},
        "message_stop": {"type": kind},
        "ping": {"type": kind},
        "error": {"type": kind, "error": {"type": "overloaded_error", "message": "busy"}},
        "surprise": {"type": kind, "x": 1},
    }  # fmt: skip
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON)  # not even the right shape
    return shapes[kind]


FRAMES = st.one_of(
    events().map(chunk),
    st.binary(max_size=60),
    st.sampled_from([encode_exception("throttlingException", b'{"message":"slow"}'),
                     encode_exception("mystery", b"not json"),
                     encode_message({":message-type": "error", ":error-code": "X"}, b""),
                     encode_message({":message-type": "event", ":event-type": "other"}, b"{}"),
                     encode_event("chunk", b'{"bytes":"!!"}'),
                     encode_event("chunk", b"[]")]),
)  # fmt: skip


@FUZZ
@given(st.lists(FRAMES, max_size=12), st.booleans(), st.integers(1, 97))
def test_random_event_streams_raise_only_typed_errors(
    frames: list[bytes], start_first: bool, split: int
) -> None:
    data = b"".join(([chunk(START)] if start_first else []) + frames)
    pieces = [data[i : i + split] for i in range(0, len(data), split)]
    request = httpx.Request("POST", "http://127.0.0.1/model/x/invoke-with-response-stream")
    response = httpx.Response(200, stream=httpx.ByteStream(b""), request=request)
    response.stream = _Pieces(pieces)  # type: ignore[assignment]
    stream = Stream(response)
    try:
        for _ in stream:
            pass
        snapshot = stream.current_message_snapshot
        assert snapshot.role == "assistant"
    except (APIError, RuntimeError) as exc:  # RuntimeError: no message_start to snapshot
        if isinstance(exc, RuntimeError):
            assert "message_start" in str(exc)


class _Pieces(httpx.SyncByteStream):
    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces

    def __iter__(self) -> Iterator[bytes]:
        yield from self._pieces
