"""Streaming end to end: our client against the emulator and against a scripted server.

The emulator gives real answers (text, tools, thinking) and injects Bedrock's stream
exceptions; the scripted server below (raw sockets on 127.0.0.1) replays hand-built
event-stream frames, for what only bytes chosen one by one can show: an exception frame
at a precise point, a bad CRC, a frame cut at the end of the body, a dropped connection,
a stalled server, and the shapes the Anthropic SDK must accumulate exactly like us.
"""

from __future__ import annotations

import base64
import gzip
import json
import pickle
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anthropic
import botocore
import httpx
import pytest

from claude_bedrock import (
    AnthropicBedrock,
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AsyncAnthropicBedrock,
    BadRequestError,
    InternalServerError,
    ModelTimeoutError,
    RateLimitError,
    ServiceUnavailableError,
    StreamError,
)
from claude_bedrock._stream_decode import EXCEPTION_STATUS
from claude_bedrock.emulator import Emulator
from claude_bedrock.types.message import Message, TextBlock, ThinkingBlock, ToolUseBlock
from claude_bedrock.types.stream_events import (
    ContentBlockStopEvent,
    InputJsonEvent,
    MessageStopEvent,
    RawContentBlockDeltaEvent,
    RawContentBlockStopEvent,
    RawMessageStartEvent,
    RawMessageStopEvent,
    TextDelta,
    TextEvent,
    ThinkingEvent,
)
from claude_bedrock.wire.eventstream import ChecksumMismatch, TruncatedFrame, encode_event
from claude_bedrock.wire.eventstream import encode_exception as exception_frame

MODEL = "global.anthropic.claude-opus-4-6-v1"
REGION = "us-west-2"
ACCESS, SECRET = "AKIDSTREAMTEST000001", "stream/test/secret/key/00000000000000000"
FAULT = "x-emulator-stream-fault"


def ask(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 2000,
            "messages": [{"role": "user", "content": text}], **extra}  # fmt: skip


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def client(bedrock_emulator: Emulator) -> Iterator[AnthropicBedrock]:
    with AnthropicBedrock(
        aws_region=REGION, base_url=bedrock_emulator.url, max_retries=0,
        aws_access_key=bedrock_emulator.access_key, aws_secret_key=bedrock_emulator.secret_key,
    ) as c:  # fmt: skip
        yield c


def async_client(emulator: Emulator) -> AsyncAnthropicBedrock:
    return AsyncAnthropicBedrock(
        aws_region=REGION, base_url=emulator.url, max_retries=0,
        aws_access_key=emulator.access_key, aws_secret_key=emulator.secret_key,
    )  # fmt: skip


# =========================================================================== emulator


def test_stream_equals_create_and_events_come_in_order(client: AnthropicBedrock) -> None:
    kwargs = ask("Tell me a long story emulator:tokens=400")
    created = client.messages.create(**kwargs)
    with client.messages.stream(**kwargs) as stream:
        events = list(stream)
        final = stream.get_final_message()
    kinds = [e.type for e in events]
    assert kinds[:2] == ["message_start", "content_block_start"]
    assert kinds[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    middle = set(kinds[2:-3])
    assert middle == {"content_block_delta", "text"} and kinds.count("text") > 50
    assert final.content[0].text == created.content[0].text  # type: ignore[union-attr]
    assert final.stop_reason == created.stop_reason == "end_turn"
    assert final.usage == created.usage
    assert final.request_id == stream.request_id and final.request_id
    assert final.cost is not None and created.cost is not None
    assert final.cost.usd == created.cost.usd
    texts = [e for e in events if isinstance(e, TextEvent)]
    running = ""
    for event in texts:  # every snapshot is the text so far, this delta included
        running += event.text
        assert event.snapshot == running
    stop = events[-1]
    assert isinstance(stop, MessageStopEvent) and stop.message is final
    block_stop = events[-3]
    assert isinstance(block_stop, ContentBlockStopEvent)
    assert block_stop.content_block.text == running  # type: ignore[union-attr]


def test_text_stream_and_final_text(client: AnthropicBedrock) -> None:
    kwargs = ask("Say something emulator:tokens=120")
    created = client.messages.create(**kwargs)
    with client.messages.stream(**kwargs) as stream:
        pieces = list(stream.text_stream)
        assert len(pieces) > 10
        assert "".join(pieces) == stream.get_final_text() == created.content[0].text  # type: ignore[union-attr]


def test_invocation_metrics_are_exposed(client: AnthropicBedrock) -> None:
    with client.messages.stream(**ask("Hello metrics")) as stream:
        assert stream.invocation_metrics is None
        final = stream.get_final_message()
    metrics = stream.invocation_metrics
    assert metrics is not None and final.invocation_metrics == metrics
    assert metrics["inputTokenCount"] == final.usage.input_tokens
    assert metrics["outputTokenCount"] == final.usage.output_tokens
    assert {"invocationLatency", "firstByteLatency"} <= metrics.keys()


def test_tool_use_input_is_accumulated(client: AnthropicBedrock) -> None:
    units = {"type": "string", "enum": ["metric", "imperial"]}
    schema = {"type": "object", "required": ["city", "days", "units"],
              "properties": {"city": {"type": "string"}, "days": {"type": "integer"},
                             "units": units}}  # fmt: skip
    tool = {"name": "get_weather", "description": "Weather for a city", "input_schema": schema}
    kwargs = ask(
        "Weather please", tools=[tool], tool_choice={"type": "tool", "name": "get_weather"}
    )
    created = client.messages.create(**kwargs)
    with client.messages.stream(**kwargs) as stream:
        events = list(stream)
        final = stream.get_final_message()
    block, expected = final.content[-1], created.content[-1]
    assert isinstance(block, ToolUseBlock) and isinstance(expected, ToolUseBlock)
    assert block.input == expected.input and block.name == "get_weather"
    assert final.stop_reason == "tool_use"
    pieces = [e for e in events if isinstance(e, InputJsonEvent)]
    assert len(pieces) > 1 and "".join(p.partial_json for p in pieces) == json.dumps(block.input)
    assert pieces[-1].snapshot == block.input
    assert isinstance(pieces[0].snapshot, dict)  # a partial object, parsed leniently


def test_thinking_and_signature_are_accumulated(client: AnthropicBedrock) -> None:
    kwargs = ask("Think first", max_tokens=3000,
                 thinking={"type": "enabled", "budget_tokens": 1024})  # fmt: skip
    created = client.messages.create(**kwargs)
    with client.messages.stream(**kwargs) as stream:
        events = list(stream)
        final = stream.get_final_message()
    thinking, expected = final.content[0], created.content[0]
    assert isinstance(thinking, ThinkingBlock) and isinstance(expected, ThinkingBlock)
    assert thinking.thinking == expected.thinking and thinking.signature == expected.signature
    assert thinking.signature  # set by the signature delta, not left empty
    kinds = [e.type for e in events]
    assert "thinking" in kinds and kinds.count("signature") == 1
    last = [e for e in events if isinstance(e, ThinkingEvent)][-1]
    assert last.snapshot == thinking.thinking
    assert final.content[1].text == created.content[1].text  # type: ignore[union-attr]


def test_create_stream_true_yields_raw_events(client: AnthropicBedrock) -> None:
    kwargs = ask("Raw events emulator:tokens=80")
    created = client.messages.create(**kwargs)
    with client.messages.create(**kwargs, stream=True) as stream:
        events = list(stream)
    assert isinstance(events[0], RawMessageStartEvent)
    assert type(events[-1]) is RawMessageStopEvent and events[-1].invocation_metrics
    assert not any(e.type in ("text", "input_json") for e in events)
    assert all(type(e) is not ContentBlockStopEvent for e in events)
    text = "".join(e.delta.text for e in events if isinstance(e, RawContentBlockDeltaEvent)
                   and isinstance(e.delta, TextDelta))  # fmt: skip
    assert text == created.content[0].text  # type: ignore[union-attr]
    assert stream.current_message_snapshot.content[0].text == text  # type: ignore[union-attr]


EXCEPTIONS = [
    ("throttlingException", RateLimitError, 429),
    ("modelStreamErrorException", StreamError, 424),
    ("internalServerException", InternalServerError, 500),
    ("validationException", BadRequestError, 400),
    ("serviceUnavailableException", ServiceUnavailableError, 503),
    ("modelTimeoutException", ModelTimeoutError, 408),
]


def test_exception_statuses_are_botocores() -> None:
    path = next(Path(botocore.__file__).parent.glob("data/bedrock-runtime/*/service-2.json.gz"))
    model = json.loads(gzip.decompress(path.read_bytes()))
    members = model["shapes"]["ResponseStream"]["members"]
    expected = {name: model["shapes"][m["shape"]]["error"]["httpStatusCode"]
                for name, m in members.items() if name != "chunk"}  # fmt: skip
    assert expected == EXCEPTION_STATUS == {name: status for name, _, status in EXCEPTIONS}


@pytest.mark.parametrize(("fault", "cls", "status"), EXCEPTIONS)
def test_exception_frame_raises_its_class_and_keeps_the_text(
    client: AnthropicBedrock, fault: str, cls: type[APIStatusError], status: int
) -> None:
    kwargs = ask("A long answer emulator:tokens=200")
    full = client.messages.create(**kwargs).content[0].text  # type: ignore[union-attr]
    with client.messages.stream(**kwargs, extra_headers={FAULT: f"{fault}@8"}) as stream:
        received: list[str] = []
        with pytest.raises(cls) as caught:
            for text in stream.text_stream:
                received.append(text)
        error = caught.value
        assert error.status_code == status and type(error) is cls
        assert error.error_type == fault[0].upper() + fault[1:]
        assert error.message and error.request_id == stream.request_id
        partial = stream.current_message_snapshot.content[0].text  # type: ignore[union-attr]
        assert partial == "".join(received) and len(received) == 6  # 8 events - 2 starts
        assert full.startswith(partial)
        assert stream.get_final_text() == partial  # after the error: the partial answer
        assert stream.current_message_snapshot.stop_reason is None


@pytest.mark.parametrize("fault", ["reset", "truncate"])
def test_connection_lost_mid_stream(client: AnthropicBedrock, fault: str) -> None:
    with client.messages.stream(**ask("Long emulator:tokens=300"),
                                extra_headers={FAULT: f"{fault}@10"}) as stream:  # fmt: skip
        with pytest.raises(APIConnectionError):
            stream.until_done()
        assert stream.current_message_snapshot.content[0].text  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_async_stream_manager(bedrock_emulator: Emulator) -> None:
    async with async_client(bedrock_emulator) as client:
        kwargs = ask("Async please emulator:tokens=150")
        created = await client.messages.create(**kwargs)
        async with client.messages.stream(**kwargs) as stream:
            pieces = [text async for text in stream.text_stream]
            final = await stream.get_final_message()
        assert "".join(pieces) == final.content[0].text == created.content[0].text  # type: ignore[union-attr]
        assert final.invocation_metrics and final.cost and final.request_id
        async with client.messages.stream(**kwargs) as stream:
            kinds = [event.type async for event in stream]
        assert kinds[0] == "message_start" and kinds[-1] == "message_stop" and "text" in kinds
        raw = await client.messages.create(**kwargs, stream=True)
        async with raw:
            events = [event async for event in raw]
        assert [e.type for e in events][-1] == "message_stop"
        assert raw.current_message_snapshot.content[0].text == created.content[0].text  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_async_exception_frame(bedrock_emulator: Emulator) -> None:
    async with async_client(bedrock_emulator) as client:
        headers = {FAULT: "throttlingException@5"}
        async with client.messages.stream(**ask("Hi there"), extra_headers=headers) as stream:
            with pytest.raises(RateLimitError):
                await stream.until_done()
            assert stream.current_message_snapshot.content[0].text  # type: ignore[union-attr]


# =========================================================================== scripted server

Script = Callable[[socket.socket], bool]  # sends one response; True keeps the connection


class ScriptServer:
    """HTTP/1.1 on loopback; the request header ``x-script`` picks the response script."""

    def __init__(self) -> None:
        self.scripts: dict[str, Script] = {}
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            buffered = b""
            while True:
                while b"\r\n\r\n" not in buffered:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffered += data
                head, _, buffered = buffered.partition(b"\r\n\r\n")
                headers = dict(line.lower().split(b": ", 1) for line in head.split(b"\r\n")[1:])
                length = int(headers.get(b"content-length", b"0"))
                while len(buffered) < length:
                    buffered += conn.recv(65536)
                buffered = buffered[length:]
                if not self.scripts[headers[b"x-script"].decode()](conn):
                    return

    def close(self) -> None:
        self._listener.close()


_HEAD = (b"HTTP/1.1 200 OK\r\ncontent-type: application/vnd.amazon.eventstream\r\n"
         b"x-amzn-requestid: req-scripted-0001\r\n")  # fmt: skip


def chunked(*frames: bytes, end: bool = True) -> Script:
    """Each frame as one HTTP chunk, as Bedrock sends them; ``end=False`` drops the line."""

    def script(conn: socket.socket) -> bool:
        body = b"".join(b"%x\r\n%b\r\n" % (len(f), f) for f in frames)
        conn.sendall(_HEAD + b"transfer-encoding: chunked\r\n\r\n" + body + (b"0\r\n\r\n" * end))
        return end

    return script


def until_eof(data: bytes) -> Script:
    """A body delimited by closing the connection (it ends wherever ``data`` ends)."""

    def script(conn: socket.socket) -> bool:
        conn.sendall(_HEAD + b"connection: close\r\n\r\n" + data)
        return False

    return script


def chunk(event: dict[str, Any]) -> bytes:
    raw = base64.b64encode(json.dumps(event).encode()).decode()
    return encode_event("chunk", json.dumps({"bytes": raw, "p": "abcdefgh"}).encode())


def start(**usage: int) -> bytes:
    return chunk({"type": "message_start", "message": {
        "id": "msg_bdrk_test", "type": "message", "role": "assistant", "model": "claude-x",
        "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 1, **usage}}})  # fmt: skip


def block(index: int, content: dict[str, Any]) -> bytes:
    return chunk({"type": "content_block_start", "index": index, "content_block": content})


def delta(index: int, **fields: Any) -> bytes:
    return chunk({"type": "content_block_delta", "index": index, "delta": fields})


def text(index: int, value: str) -> bytes:
    return delta(index, type="text_delta", text=value)


def stop_block(index: int) -> bytes:
    return chunk({"type": "content_block_stop", "index": index})


def finish(reason: str = "end_turn", **usage: int) -> list[bytes]:
    return [
        chunk({"type": "message_delta", "delta": {"stop_reason": reason, "stop_sequence": None},
               "usage": {"output_tokens": 42, **usage}}),
        chunk({"type": "message_stop", "amazon-bedrock-invocationMetrics": {
            "inputTokenCount": 10, "outputTokenCount": 42, "invocationLatency": 9,
            "firstByteLatency": 3}}),
    ]  # fmt: skip


HELLO = [block(0, {"type": "text", "text": ""}), text(0, "Hel"), text(0, "lo")]
COMPLETE = [start(), *HELLO, stop_block(0), *finish()]


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptServer]:
    s = ScriptServer()
    yield s
    s.close()


@pytest.fixture
def scripted(server: ScriptServer) -> Iterator[Callable[..., AnthropicBedrock]]:
    clients: list[AnthropicBedrock] = []

    def make(script: Script, **options: Any) -> AnthropicBedrock:
        name = f"s{len(server.scripts)}"
        server.scripts[name] = script
        c = AnthropicBedrock(
            aws_access_key=ACCESS, aws_secret_key=SECRET, aws_region=REGION,
            base_url=server.url, max_retries=0, default_headers={"x-script": name}, **options,
        )  # fmt: skip
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


def stream_of(c: AnthropicBedrock) -> Any:
    return c.messages.stream(**ask("scripted"))


RICH = [
    start(cache_creation_input_tokens=3, cache_read_input_tokens=5),
    block(0, {"type": "thinking", "thinking": "", "signature": ""}),
    delta(0, type="thinking_delta", thinking="Let me "),
    delta(0, type="thinking_delta", thinking="think."),
    delta(0, type="signature_delta", signature="c2lnbmF0dXJl"),
    stop_block(0),
    block(1, {"type": "text", "text": "", "citations": []}),
    text(1, "The sky "),
    delta(1, type="citations_delta", citation={
        "type": "char_location", "cited_text": "blue", "document_index": 0,
        "document_title": "Sky", "start_char_index": 0, "end_char_index": 4}),
    text(1, "is blue."),
    stop_block(1),
    block(2, {"type": "tool_use", "id": "toolu_01", "name": "lookup", "input": {}}),
    delta(2, type="input_json_delta", partial_json='{"query": "sk'),
    delta(2, type="input_json_delta", partial_json='y", "n": [1, '),
    delta(2, type="input_json_delta", partial_json="2]}"),
    stop_block(2),
    *finish("tool_use", input_tokens=12),
]  # fmt: skip


def test_accumulation_matches_the_anthropic_sdk(scripted: Callable[..., AnthropicBedrock]) -> None:
    """Same frames to both clients: same events, snapshots and final message."""
    ours = scripted(chunked(*RICH))
    name = next(iter(ours._core._default_headers.values()))
    sdk = anthropic.AnthropicBedrock(
        aws_access_key=ACCESS, aws_secret_key=SECRET, aws_region=REGION,
        base_url=ours.base_url, max_retries=0, default_headers={"x-script": name},
    )  # fmt: skip
    with ours.messages.stream(**ask("rich")) as mine:
        my_events = list(mine)
        my_final = mine.get_final_message()
    with sdk.messages.stream(**ask("rich")) as theirs:
        their_events = list(theirs)
        their_final = theirs.get_final_message()
    assert [e.type for e in my_events] == [e.type for e in their_events]
    for m, t in zip(my_events, their_events, strict=True):
        if m.type in ("text", "thinking", "input_json"):
            assert m.snapshot == t.snapshot  # type: ignore[union-attr]
        if m.type == "citation":
            assert m.snapshot == [c.to_dict() for c in t.snapshot]  # type: ignore[union-attr]
        if m.type == "signature":
            assert m.signature == t.signature  # type: ignore[union-attr]
    assert [b.model_dump(exclude_none=True) for b in my_final.content] == [
        b.model_dump(exclude_none=True) for b in their_final.content
    ]
    assert my_final.stop_reason == their_final.stop_reason == "tool_use"
    usage = ("input_tokens", "output_tokens", "cache_creation_input_tokens",
             "cache_read_input_tokens")  # fmt: skip
    assert {k: getattr(my_final.usage, k) for k in usage} == {
        k: getattr(their_final.usage, k) for k in usage
    } == {"input_tokens": 12, "output_tokens": 42, "cache_creation_input_tokens": 3,
          "cache_read_input_tokens": 5}  # fmt: skip
    assert my_final.content[2].input == {"query": "sky", "n": [1, 2]}  # type: ignore[union-attr]
    assert my_final.content[1].citations[0]["cited_text"] == "blue"  # type: ignore[union-attr,index]
    metrics = {"inputTokenCount": 10, "outputTokenCount": 42, "invocationLatency": 9,
               "firstByteLatency": 3}  # fmt: skip
    assert my_final.invocation_metrics == metrics
    assert my_final.request_id == "req-scripted-0001"


def test_exception_frame_in_the_same_read_as_the_text(
    scripted: Callable[..., AnthropicBedrock],
) -> None:
    frames = [start(), *HELLO, exception_frame("throttlingException", b'{"message":"Slow down"}')]
    with stream_of(scripted(until_eof(b"".join(frames)))) as stream:
        with pytest.raises(RateLimitError, match="Slow down"):
            stream.until_done()
        assert stream.get_final_text() == "Hello"


def test_model_stream_error_keeps_the_original_status(
    scripted: Callable[..., AnthropicBedrock],
) -> None:
    payload = b'{"message":"Stream broke","originalStatusCode":500,"originalMessage":"boom"}'
    c = scripted(chunked(start(), *HELLO, exception_frame("modelStreamErrorException", payload)))
    with stream_of(c) as stream, pytest.raises(StreamError) as caught:
        stream.until_done()
    assert caught.value.status_code == 424 and "boom" in caught.value.message
    assert caught.value.body == json.loads(payload)


def test_error_frames_and_anthropic_error_events(
    scripted: Callable[..., AnthropicBedrock],
) -> None:
    from claude_bedrock.wire.eventstream import encode_message

    error = encode_message({":message-type": "error", ":error-code": "InternalFailure",
                            ":error-message": "It broke"}, b"")  # fmt: skip
    with stream_of(scripted(chunked(start(), error))) as stream:
        with pytest.raises(InternalServerError, match="It broke") as caught:
            stream.until_done()
        assert caught.value.status_code == 500
    overloaded = chunk({"type": "error", "error": {"type": "overloaded_error",
                                                   "message": "Overloaded"}})  # fmt: skip
    with stream_of(scripted(chunked(start(), *HELLO, overloaded))) as stream:
        with pytest.raises(APIStatusError, match="Overloaded") as caught:
            stream.until_done()
        assert caught.value.status_code == 529 and caught.value.error_type == "overloaded_error"
        assert stream.current_message_snapshot.content[0].text == "Hello"  # type: ignore[union-attr]


def test_corrupt_frame(scripted: Callable[..., AnthropicBedrock]) -> None:
    bad = bytearray(text(0, "never"))
    bad[-6] ^= 0xFF  # inside the payload: the message CRC no longer matches
    with stream_of(scripted(chunked(start(), *HELLO, bytes(bad), *COMPLETE[3:]))) as stream:
        with pytest.raises(APIResponseValidationError) as caught:
            stream.until_done()
        assert isinstance(caught.value.__cause__, ChecksumMismatch)
        assert stream.current_message_snapshot.content[0].text == "Hello"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "payload",
    [
        b'{"bytes":"not base64!"}',
        b'{"other": 1}',
        b"[1, 2",
        b'{"bytes":"' + base64.b64encode(b"not json") + b'"}',
    ],  # fmt: skip
)
def test_unreadable_chunk_payload(
    scripted: Callable[..., AnthropicBedrock], payload: bytes
) -> None:
    c = scripted(chunked(start(), encode_event("chunk", payload)))
    with stream_of(c) as stream, pytest.raises(APIResponseValidationError, match="unreadable"):
        stream.until_done()


def test_body_ending_inside_a_frame(scripted: Callable[..., AnthropicBedrock]) -> None:
    data = b"".join(COMPLETE)
    with stream_of(scripted(until_eof(data[:-20]))) as stream:
        with pytest.raises(APIConnectionError) as caught:
            stream.until_done()
        assert isinstance(caught.value.__cause__, TruncatedFrame)


def test_body_ending_before_message_stop(scripted: Callable[..., AnthropicBedrock]) -> None:
    with stream_of(scripted(chunked(*COMPLETE[:-2]))) as stream:
        with pytest.raises(APIConnectionError, match="message_stop"):
            stream.until_done()
        assert stream.current_message_snapshot.content[0].text == "Hello"  # type: ignore[union-attr]


def test_connection_dropped_mid_body(scripted: Callable[..., AnthropicBedrock]) -> None:
    with stream_of(scripted(chunked(start(), *HELLO, end=False))) as stream:
        with pytest.raises(APIConnectionError):
            list(stream.text_stream)
        assert stream.current_message_snapshot.content[0].text == "Hello"  # type: ignore[union-attr]


def test_stalled_server_times_out(scripted: Callable[..., AnthropicBedrock]) -> None:
    release = threading.Event()

    def stall(conn: socket.socket) -> bool:
        chunked(start(), *HELLO, end=False)(conn)
        release.wait(30)
        return False

    try:
        # A 2 s read timeout (was 0.3 s for the whole call): the head and the first events
        # come before the stall and must get through on a busy machine; the stall is 30 s.
        timeout = httpx.Timeout(30.0, read=2.0)
        with scripted(stall).messages.stream(**ask("x"), timeout=timeout) as stream:
            with pytest.raises(APITimeoutError):
                stream.until_done()
            assert stream.current_message_snapshot.content[0].text == "Hello"  # type: ignore[union-attr]
    finally:
        release.set()


def endless(gone: threading.Event) -> Script:
    """Text deltas until the client goes away; ``gone`` is set when it has."""

    def script(conn: socket.socket) -> bool:
        chunked(start(), HELLO[0], end=False)(conn)
        frame = text(0, "more ")
        try:
            for _ in range(100_000):
                conn.sendall(b"%x\r\n%b\r\n" % (len(frame), frame))
                threading.Event().wait(0.002)
        except OSError:
            gone.set()
        return False

    return script


def test_early_close_releases_the_connection(scripted: Callable[..., AnthropicBedrock]) -> None:
    gone = threading.Event()
    c = scripted(endless(gone))
    with c.messages.stream(**ask("x")) as stream:
        first = [next(stream.text_stream) for _ in range(3)]
    assert first[1:] == ["more ", "more "]
    assert gone.wait(10), "the server never saw the connection closed"
    assert stream.response.is_closed
    gone2 = threading.Event()
    raw = scripted(endless(gone2)).messages.create(**ask("x"), stream=True)
    next(iter(raw))
    raw.close()
    assert gone2.wait(10)
    assert list(raw) == []  # closed: iteration just ends


def test_dropped_stream_releases_the_connection(scripted: Callable[..., AnthropicBedrock]) -> None:
    gone = threading.Event()
    stream = scripted(endless(gone)).messages.stream(**ask("x")).__enter__()
    assert next(stream.text_stream) == "more "
    del stream  # never closed: reference counting must close it
    assert gone.wait(10)


@pytest.mark.anyio
async def test_async_early_close_releases_the_connection(server: ScriptServer) -> None:
    gone = threading.Event()
    server.scripts["async-endless"] = endless(gone)
    async with AsyncAnthropicBedrock(
        aws_access_key=ACCESS, aws_secret_key=SECRET, aws_region=REGION, base_url=server.url,
        default_headers={"x-script": "async-endless"},
    ) as c:  # fmt: skip
        async with c.messages.stream(**ask("x")) as stream:
            async for event in stream:
                if event.type == "text":
                    break
        assert gone.wait(10)


def test_finished_stream_returns_the_connection_to_the_pool(
    scripted: Callable[..., AnthropicBedrock], server: ScriptServer
) -> None:
    c = scripted(chunked(*COMPLETE))
    before = server.connections
    for _ in range(3):
        with stream_of(c) as stream:
            assert stream.get_final_text() == "Hello"
    assert server.connections == before + 1


def test_unknown_shapes_do_not_break_the_stream(scripted: Callable[..., AnthropicBedrock]) -> None:
    frames = [
        start(),
        chunk({"type": "ping"}),
        chunk({"type": "brand_new_event", "data": 1}),
        *HELLO,
        delta(0, type="brand_new_delta", stuff="x"),
        stop_block(0),
        block(1, {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []}),
        stop_block(1),
        encode_event("metadata", b"{}"),  # an event type Bedrock does not send (yet)
        *finish("a_new_stop_reason"),
    ]
    with stream_of(scripted(chunked(*frames))) as stream:
        events = list(stream)
        final = stream.get_final_message()
    assert "brand_new_event" not in [e.type for e in events]
    odd = [e for e in events if e.type == "content_block_delta"][-1]
    assert odd.delta.type == "brand_new_delta" and odd.delta.stuff == "x"  # type: ignore[union-attr]
    assert final.content[0].text == "Hello"  # type: ignore[union-attr]
    assert final.content[1].type == "web_search_tool_result"
    assert final.stop_reason == "a_new_stop_reason"


def test_lazy_snapshots_behave_like_fields(scripted: Callable[..., AnthropicBedrock]) -> None:
    with stream_of(scripted(chunked(*COMPLETE))) as stream:
        texts = [e for e in stream if isinstance(e, TextEvent)]
    eager = TextEvent(text="lo", snapshot="Hello")
    assert texts[1] == eager and repr(texts[1]) == repr(eager)
    assert texts[0].to_dict() == {"type": "text", "text": "Hel", "snapshot": "Hel"}
    assert pickle.loads(pickle.dumps(texts[1])) == eager
    assert json.loads(texts[1].model_dump_json()) == eager.model_dump()
    assert texts[1].model_fields_set == eager.model_fields_set | {"type"}


def test_final_message_is_a_valid_message(scripted: Callable[..., AnthropicBedrock]) -> None:
    with stream_of(scripted(chunked(*RICH))) as stream:
        final = stream.get_final_message()
    again = Message.model_validate_json(final.model_dump_json())
    assert again.model_dump() == final.model_dump()
    assert isinstance(again.content[1], TextBlock) and isinstance(again.content[2], ToolUseBlock)
    assert isinstance(stream.current_message_snapshot, Message)
    assert RawContentBlockStopEvent(index=0).type == "content_block_stop"
