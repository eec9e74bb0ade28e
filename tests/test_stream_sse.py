"""The Messages API's SSE stream through our stream pipeline, against the official SDK.

The same ``text/event-stream`` bytes (the Anthropic API's format: ``event: message_start``
+ ``data: {json}``, ``ping``, ``error``) are served over HTTP on 127.0.0.1 to the official
``anthropic`` client (``/v1/messages``, its own SSE decoder and accumulator) and read by
our pipeline (``wire/sse.py`` + the same event parsing and accumulation as InvokeModel
streams): same events, same snapshots, same final message, same errors.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest

from claude_bedrock import APIConnectionError, APIStatusError, InternalServerError, RateLimitError
from claude_bedrock._stream_iter import aprime, prime
from claude_bedrock._stream_sse import EVENT_STREAM, sse_pipeline
from claude_bedrock.streaming import AsyncMessageStream, AsyncStream, MessageStream, Stream
from claude_bedrock.wire.sse import encode
from replyserver import ReplyServer

ASK: dict[str, Any] = {"model": "claude-opus-4-6", "max_tokens": 100,
                       "messages": [{"role": "user", "content": "hi"}]}  # fmt: skip


def sse(event: dict[str, Any]) -> bytes:
    return encode(json.dumps(event), event=event["type"])


START = sse({"type": "message_start", "message": {
    "id": "msg_01Sse", "type": "message", "role": "assistant", "model": "claude-opus-4-6",
    "content": [], "stop_reason": None, "stop_sequence": None,
    "usage": {"input_tokens": 12, "output_tokens": 1, "cache_read_input_tokens": 4}}})  # fmt: skip
PING = sse({"type": "ping"})
BODY = [
    START,
    PING,
    sse({"type": "content_block_start", "index": 0,
         "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
    sse({"type": "content_block_delta", "index": 0,
         "delta": {"type": "thinking_delta", "thinking": "Hmm, "}}),
    sse({"type": "content_block_delta", "index": 0,
         "delta": {"type": "thinking_delta", "thinking": "let me see."}}),
    sse({"type": "content_block_delta", "index": 0,
         "delta": {"type": "signature_delta", "signature": "c2ln"}}),
    sse({"type": "content_block_stop", "index": 0}),
    sse({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}),
    sse({"type": "content_block_delta", "index": 1,
         "delta": {"type": "text_delta", "text": "Hello\nthere"}}),
    b": a comment the decoder skips\n",
    sse({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "!"}}),
    sse({"type": "content_block_stop", "index": 1}),
    sse({"type": "content_block_start", "index": 2, "content_block": {
        "type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {}}}),
    sse({"type": "content_block_delta", "index": 2,
         "delta": {"type": "input_json_delta", "partial_json": '{"q": "sk'}}),
    sse({"type": "content_block_delta", "index": 2,
         "delta": {"type": "input_json_delta", "partial_json": 'y"}'}}),
    sse({"type": "content_block_stop", "index": 2}),
    sse({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
         "usage": {"output_tokens": 30}}),
    sse({"type": "message_stop"}),
]  # fmt: skip
TEXT_ONLY = [
    sse({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    sse({"type": "content_block_delta", "index": 0,
         "delta": {"type": "text_delta", "text": "Hello\nthere"}}),
]  # fmt: skip
OVERLOADED = sse({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
RATE = sse({"type": "error", "error": {"type": "rate_limit_error", "message": "Slow down"}})
ROUTES = {
    "/full/v1/messages": (EVENT_STREAM, BODY),
    "/overloaded/v1/messages": (EVENT_STREAM, [START, PING, *TEXT_ONLY, OVERLOADED]),
    "/rate/v1/messages": (EVENT_STREAM, [RATE]),
    "/cut/v1/messages": (EVENT_STREAM, [START, *TEXT_ONLY, b"event: content_block_delta\ndata: {"]),
    "/short/v1/messages": (EVENT_STREAM, BODY[:-1]),
}


@pytest.fixture(scope="module")
def server() -> Iterator[ReplyServer]:
    s = ReplyServer(ROUTES)  # type: ignore[arg-type]
    yield s
    s.close()


def open_ours(http: httpx.Client, url: str) -> MessageStream:
    """What a Messages API surface will do: send, then prime the SSE pipeline."""
    response = http.send(http.build_request("POST", url + "/v1/messages", json=ASK), stream=True)
    return MessageStream(Stream(response, None, prime(sse_pipeline(response), response)))


def sdk(url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key="sk-test", base_url=url, max_retries=0)


def test_same_events_and_final_message_as_the_sdk(server: ReplyServer) -> None:
    url = server.url + "/full"
    with httpx.Client() as http, open_ours(http, url) as mine:
        my_events = list(mine)
        my_final = mine.get_final_message()
    with sdk(url).messages.stream(**ASK) as theirs:
        their_events = list(theirs)
        their_final = theirs.get_final_message()
    assert [e.type for e in my_events] == [e.type for e in their_events]
    for m, t in zip(my_events, their_events, strict=True):
        if m.type in ("text", "thinking", "input_json"):
            assert m.snapshot == t.snapshot  # type: ignore[union-attr]
    assert my_final.to_dict(exclude_none=True) == their_final.to_dict(exclude_none=True)
    assert my_final.content[1].text == "Hello\nthere!"  # type: ignore[union-attr]
    assert my_final.content[2].input == {"q": "sky"}  # type: ignore[union-attr]


def test_error_event_raises_the_class_of_its_type(server: ReplyServer) -> None:
    url = server.url + "/overloaded"
    with httpx.Client() as http, open_ours(http, url) as mine:
        with pytest.raises(APIStatusError, match="Overloaded") as caught:
            mine.until_done()
        assert mine.current_message_snapshot.content[0].text == "Hello\nthere"  # type: ignore[union-attr]
    assert caught.value.status_code == 529 and caught.value.error_type == "overloaded_error"
    assert isinstance(caught.value, InternalServerError)
    with (
        pytest.raises(anthropic.APIStatusError, match="Overloaded"),
        sdk(url).messages.stream(**ASK) as theirs,
    ):
        theirs.until_done()
    # Before the first event: raised when the stream is opened (a sender retries it there).
    with httpx.Client() as http, pytest.raises(RateLimitError, match="Slow down"):
        open_ours(http, server.url + "/rate")


def test_cut_and_short_bodies(server: ReplyServer) -> None:
    with httpx.Client() as http:
        cut = pytest.raises(APIConnectionError, match="cut inside an event")
        with open_ours(http, server.url + "/cut") as mine, cut:
            mine.until_done()
        short = pytest.raises(APIConnectionError, match="message_stop")
        with open_ours(http, server.url + "/short") as mine, short:
            mine.until_done()


@pytest.mark.anyio
async def test_async_driver_reads_the_same(server: ReplyServer) -> None:
    async with httpx.AsyncClient() as http:
        request = http.build_request("POST", server.url + "/full/v1/messages", json=ASK)
        response = await http.send(request, stream=True)
        primed = await aprime(sse_pipeline(response), response)
        async with AsyncMessageStream(AsyncStream(response, None, primed)) as stream:
            texts = [text async for text in stream.text_stream]
            final = await stream.get_final_message()
    assert texts == ["Hello\nthere", "!"] and final.stop_reason == "tool_use"
    assert response.is_closed


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
