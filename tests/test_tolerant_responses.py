"""A reply from a newer API version must be read, not refused after the call was billed.

The reply below carries what this client's types do not list: content block types added
by later API versions (web search, web fetch and code execution results, a container
upload, and one no client knows yet), a stop reason, message fields and usage fields
beyond ours. It is served over HTTP on 127.0.0.1, as an InvokeModel answer and as an
InvokeModelWithResponseStream answer, to our client and to the official SDK (which reads
such replies: it builds its models without validating them); both read the same fields.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from claude_bedrock import AnthropicBedrock, APIResponseValidationError, AsyncAnthropicBedrock
from claude_bedrock.types import TextBlock, ToolUseBlock, UnknownBlock
from claude_bedrock.wire.eventstream import encode_event
from replyserver import ReplyServer

MODEL = "global.anthropic.claude-opus-4-6-v1"
KEYS = {"aws_access_key": "AKIDTOLERANT00000001", "aws_region": "us-west-2",
        "aws_secret_key": "tolerant/test/secret/key/000000000000000"}  # fmt: skip
ASK: dict[str, Any] = {"model": MODEL, "max_tokens": 500,
                       "messages": [{"role": "user", "content": "Search the news"}]}  # fmt: skip

NEW_BLOCKS: list[dict[str, Any]] = [
    {"type": "server_tool_use", "id": "srvtoolu_01", "name": "web_search",
     "input": {"query": "news"}},
    {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_01", "content": [
        {"type": "web_search_result", "url": "https://example.com/a", "title": "A",
         "encrypted_content": "EqgfCioIARgB", "page_age": "1 day"}]},
    {"type": "web_fetch_tool_result", "tool_use_id": "srvtoolu_02", "content": {
        "type": "web_fetch_result", "url": "https://example.com/a", "retrieved_at": "2026-01-02",
        "content": {"type": "document", "source": {"type": "text", "media_type": "text/plain",
                                                   "data": "A page"}}}},
    {"type": "code_execution_tool_result", "tool_use_id": "srvtoolu_03", "content": {
        "type": "code_execution_result", "stdout": "42\n", "stderr": "", "return_code": 0,
        "content": []}},
    {"type": "container_upload", "file_id": "file_011"},
    {"type": "hologram", "frames": [1, 2, 3], "caption": {"lang": "en", "text": "hi"}},
    {"type": "text", "text": "Here is the news.", "citations": None},
    {"type": "tool_use", "id": "toolu_01", "name": "notify", "input": {"to": "me"}},
]  # fmt: skip
NEW_STOP = "paused_for_human_review"
NEW_USAGE: dict[str, Any] = {
    "input_tokens": 120, "output_tokens": 80, "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 10, "cache_creation": {"ephemeral_5m_input_tokens": 0,
                                                     "ephemeral_1h_input_tokens": 0},
    "server_tool_use": {"web_search_requests": 1, "web_fetch_requests": 1},
    "output_tokens_details": {"thinking_tokens": 12}, "inference_geo": "us",
    "service_tier": "standard", "speed": "standard", "carbon_grams": 0.25,
}  # fmt: skip
REPLY: dict[str, Any] = {
    "id": "msg_bdrk_01Newer", "type": "message", "role": "assistant", "model": "claude-opus-4-6",
    "content": NEW_BLOCKS, "stop_reason": NEW_STOP, "stop_sequence": None, "usage": NEW_USAGE,
    "container": {"id": "container_01", "expires_at": "2026-01-02T00:00:00Z"},
    "stop_details": None,
}  # fmt: skip


def _chunk(event: dict[str, Any]) -> bytes:
    payload = {"bytes": base64.b64encode(json.dumps(event).encode()).decode(), "p": "abc"}
    return encode_event("chunk", json.dumps(payload).encode())


def stream_frames() -> list[bytes]:
    """The same reply as Bedrock streams it: blocks whole at their start, usage at the end."""
    start = {**REPLY, "content": [], "stop_reason": None,
             "usage": {"input_tokens": 120, "output_tokens": 1, "cache_read_input_tokens": 10,
                       "cache_creation_input_tokens": 0, "inference_geo": "us"}}  # fmt: skip
    frames = [_chunk({"type": "message_start", "message": start})]
    for index, block in enumerate(NEW_BLOCKS):
        frames.append(_chunk({"type": "content_block_start", "index": index,
                              "content_block": block}))  # fmt: skip
        frames.append(_chunk({"type": "content_block_stop", "index": index}))
    frames += [
        _chunk({"type": "message_delta", "delta": {"stop_reason": NEW_STOP,
                "stop_sequence": None}, "usage": {"output_tokens": 80,
                "server_tool_use": NEW_USAGE["server_tool_use"]}}),
        _chunk({"type": "message_stop", "amazon-bedrock-invocationMetrics": {
            "inputTokenCount": 120, "outputTokenCount": 80}}),
    ]  # fmt: skip
    return frames


@pytest.fixture(scope="module")
def server() -> Iterator[ReplyServer]:
    s = ReplyServer({
        "/invoke": ("application/json", [json.dumps(REPLY).encode()]),
        "/invoke-with-response-stream": ("application/vnd.amazon.eventstream", stream_frames()),
        "/bad/model/": ("application/json", [b"<html>oops</html>"]),
    })  # fmt: skip
    yield s
    s.close()


def ours(server: ReplyServer, path: str = "/good") -> AnthropicBedrock:
    return AnthropicBedrock(base_url=server.url + path, max_retries=0, **KEYS)


def sdk(server: ReplyServer) -> anthropic.AnthropicBedrock:
    return anthropic.AnthropicBedrock(base_url=server.url + "/good", max_retries=0, **KEYS)


def check_newer_reply(message: Any) -> None:
    kinds = [block.type for block in message.content]
    assert kinds == [block["type"] for block in NEW_BLOCKS]
    unknown = [b for b in message.content if isinstance(b, UnknownBlock)]
    assert [b.type for b in unknown] == kinds[1:6]
    assert isinstance(message.content[6], TextBlock)
    assert isinstance(message.content[7], ToolUseBlock)
    hologram = message.content[5]
    assert hologram.frames == [1, 2, 3] and hologram.model_dump() == NEW_BLOCKS[5]
    assert message.content[1].model_dump() == NEW_BLOCKS[1]
    assert message.stop_reason == NEW_STOP


# The SDK builds a block type it does not know as its first variant (a TextBlock) and
# pydantic warns when it dumps it; ours dumps without warnings (checked in the last test).
SDK_DUMP_WARNS = pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")


@SDK_DUMP_WARNS
def test_create_reads_a_newer_reply_as_the_sdk_does(server: ReplyServer) -> None:
    with ours(server) as client:
        mine = client.messages.create(**ASK)
    theirs = sdk(server).messages.create(**ASK)
    check_newer_reply(mine)
    assert mine.usage.carbon_grams == 0.25  # type: ignore[attr-defined]
    assert mine.usage.server_tool_use == NEW_USAGE["server_tool_use"]  # type: ignore[attr-defined]
    assert mine.model_dump()["usage"] == NEW_USAGE
    assert mine.model_dump()["container"] == REPLY["container"]
    same = {"mode": "json", "exclude_none": True}
    assert mine.to_dict(**same) == theirs.to_dict(**same)  # type: ignore[arg-type]
    assert mine.cost is not None and mine.request_id == "req-reply-server-1"


@pytest.mark.anyio
async def test_async_create_reads_it_too(server: ReplyServer) -> None:
    async with AsyncAnthropicBedrock(base_url=server.url + "/good", max_retries=0, **KEYS) as c:
        check_newer_reply(await c.messages.create(**ASK))


@SDK_DUMP_WARNS
def test_stream_reads_a_newer_reply_as_the_sdk_does(server: ReplyServer) -> None:
    with ours(server) as client, client.messages.stream(**ASK) as stream:
        events = list(stream)
        mine = stream.get_final_message()
    with sdk(server).messages.stream(**ASK) as their_stream:
        their_events = list(their_stream)
        theirs = their_stream.get_final_message()
    assert [e.type for e in events] == [e.type for e in their_events]
    check_newer_reply(mine)
    assert [b.to_dict(exclude_none=True) for b in mine.content] == [
        b.to_dict(exclude_none=True) for b in theirs.content
    ]
    assert mine.stop_reason == theirs.stop_reason == NEW_STOP
    usage = ("input_tokens", "output_tokens", "cache_read_input_tokens", "inference_geo")
    assert {k: getattr(mine.usage, k) for k in usage} == {
        k: getattr(theirs.usage, k) for k in usage
    }
    assert mine.usage.server_tool_use == NEW_USAGE["server_tool_use"]  # type: ignore[attr-defined]
    # create() and the stream read the reply the same way.
    with ours(server) as client:
        created = client.messages.create(**ASK)
    assert [b.model_dump() for b in created.content] == [b.model_dump() for b in mine.content]


@pytest.mark.filterwarnings("error")
def test_our_dump_round_trips_without_warnings(server: ReplyServer) -> None:
    with ours(server) as client:
        mine = client.messages.create(**ASK)
    again = type(mine).model_validate_json(mine.model_dump_json())
    assert again.model_dump() == mine.model_dump() and json.loads(mine.to_json()) == REPLY


def test_an_unreadable_answer_is_a_typed_error(server: ReplyServer) -> None:
    with ours(server, "/bad") as client, pytest.raises(APIResponseValidationError) as caught:
        client.messages.create(**ASK)
    assert caught.value.status_code == 200 and caught.value.body == b"<html>oops</html>"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
