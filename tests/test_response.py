"""``with_raw_response`` and ``with_streaming_response`` on every client class, sync and
async, beside the official SDK 2.16 making the same calls to the same emulator: the same
status, headers, retries and parsed results, and a body read lazily by the streaming form."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
import warnings
from typing import Any

import anthropic
import httpx
import pytest

from claude_bedrock import (
    AnthropicBedrock,
    AnthropicBedrockMantle,
    APIResponse,
    APIStatusError,
    AsyncAnthropicBedrock,
    AsyncAnthropicBedrockMantle,
    AsyncAPIResponse,
    Stream,
    UnknownModelWarning,
)
from claude_bedrock._senders import SyncSender
from claude_bedrock.emulator import Emulator
from claude_bedrock.types.message import Message

pytestmark = pytest.mark.usefixtures("client_env")

RUNTIME_MODEL = "global.anthropic.claude-opus-4-6-v1"
MANTLE_MODEL = "anthropic.claude-opus-4-7"
HELLO = [{"role": "user", "content": "Hello, world"}]


def _arguments(emulator: Emulator, mantle: bool) -> dict[str, Any]:
    return {
        "aws_access_key": emulator.access_key, "aws_secret_key": emulator.secret_key,
        "aws_region": "us-east-1" if mantle else "us-west-2",
        "base_url": f"{emulator.url}/anthropic" if mantle else emulator.url,
    }  # fmt: skip


#: (ours, the SDK's, model) for each family; the sync and async classes of each.
FAMILIES = {
    "runtime": (AnthropicBedrock, anthropic.AnthropicBedrock, RUNTIME_MODEL),
    "mantle": (AnthropicBedrockMantle, anthropic.AnthropicBedrockMantle, MANTLE_MODEL),
}
ASYNC_FAMILIES = {
    "runtime": (AsyncAnthropicBedrock, anthropic.AsyncAnthropicBedrock, RUNTIME_MODEL),
    "mantle": (AsyncAnthropicBedrockMantle, anthropic.AsyncAnthropicBedrockMantle, MANTLE_MODEL),
}


def _pair(emulator: Emulator, family: str, **extra: Any) -> tuple[Any, Any, str]:
    ours, sdk, model = FAMILIES[family]
    arguments = {**_arguments(emulator, family == "mantle"), **extra}
    return ours(**arguments), sdk(**arguments), model


def _apair(emulator: Emulator, family: str, **extra: Any) -> tuple[Any, Any, str]:
    ours, sdk, model = ASYNC_FAMILIES[family]
    arguments = {**_arguments(emulator, family == "mantle"), **extra}
    return ours(**arguments), sdk(**arguments), model


def _fault(kind: str) -> dict[str, str]:
    return {"x-emulator-fault": kind, "x-emulator-fault-key": uuid.uuid4().hex}


def _facts(message: Any) -> tuple[Any, ...]:
    """What two clients' answers to the same call share (ids and request ids differ)."""
    return (
        type(message).__name__, message.role, message.model, message.stop_reason,
        [block.text for block in message.content], message.usage.input_tokens,
        message.usage.output_tokens,
    )  # fmt: skip


def _request_id(raw: Any) -> str | None:
    """What each client's ``request_id`` should be: the SDK reads ``request-id``; ours falls
    back on Bedrock's ``x-amzn-RequestId``."""
    return raw.headers.get("request-id") or raw.headers.get("x-amzn-requestid")


@pytest.mark.parametrize("family", list(FAMILIES))
def test_raw_create_matches_the_sdk(bedrock_emulator: Emulator, family: str) -> None:
    ours, sdk, model = _pair(bedrock_emulator, family)
    with ours, sdk:
        mine = ours.messages.with_raw_response.create(model=model, max_tokens=32, messages=HELLO)
        theirs = sdk.messages.with_raw_response.create(model=model, max_tokens=32, messages=HELLO)
        assert isinstance(mine, APIResponse) and isinstance(mine.http_response, httpx.Response)
        for name in ("status_code", "method", "retries_taken", "is_closed", "http_version"):
            assert getattr(mine, name) == getattr(theirs, name), name
        assert mine.headers["content-type"] == theirs.headers["content-type"]
        assert str(mine.url) == str(theirs.url)
        assert mine.request_id == _request_id(mine) and mine.request_id
        assert theirs.request_id == theirs.headers.get("request-id")
        assert mine.elapsed.total_seconds() > 0 and theirs.elapsed.total_seconds() > 0
        parsed = mine.parse()
        assert isinstance(parsed, Message) and parsed is mine.parse()  # cached
        assert _facts(parsed) == _facts(theirs.parse())
        assert mine.json()["content"] == theirs.json()["content"]
        assert json.loads(mine.text()) == mine.json() and mine.content == mine.read()


@pytest.mark.parametrize("family", list(FAMILIES))
def test_raw_counts_streams_and_retries_match_the_sdk(
    bedrock_emulator: Emulator, family: str
) -> None:
    ours, sdk, model = _pair(bedrock_emulator, family)
    with ours, sdk:
        # The SDK's AnthropicBedrock refuses count_tokens ("not supported in Bedrock yet").
        counters = (ours, sdk) if family == "mantle" else (ours,)
        counts = [
            client.messages.with_raw_response.count_tokens(model=model, messages=HELLO)
            for client in counters
        ]
        assert {raw.status_code for raw in counts} == {200}
        assert len({raw.parse().input_tokens for raw in counts}) == 1
        streams = [
            client.messages.with_raw_response.create(
                model=model, max_tokens=16, messages=HELLO, stream=True
            )
            for client in (ours, sdk)
        ]
        mine, theirs = (raw.parse() for raw in streams)
        assert isinstance(mine, Stream)
        assert [e.type for e in mine] == [e.type for e in theirs]
        retried = [
            client.messages.with_raw_response.create(
                model=model, max_tokens=8, messages=HELLO, extra_headers=_fault("503*1")
            )
            for client in (ours, sdk)
        ]
        assert [raw.retries_taken for raw in retried] == [1, 1]
        assert _facts(retried[0].parse()) == _facts(retried[1].parse())


@pytest.mark.parametrize("family", list(FAMILIES))
def test_streaming_response_reads_lazily_like_the_sdk(
    bedrock_emulator: Emulator, family: str
) -> None:
    ours, sdk, model = _pair(bedrock_emulator, family)
    call: dict[str, Any] = {"model": model, "max_tokens": 32, "messages": HELLO}
    with ours, sdk:
        bodies = []
        for client in (ours, sdk):
            with client.messages.with_streaming_response.create(**call) as raw:
                assert raw.status_code == 200 and not raw.is_closed  # the body is not read yet
                bodies.append(json.loads("".join(raw.iter_lines())))
            assert raw.is_closed
        assert bodies[0]["content"] == bodies[1]["content"]
        parsed = []
        for client in (ours, sdk):
            with client.messages.with_streaming_response.create(**call) as raw:
                assert not raw.is_closed
                parsed.append(raw.parse())
                assert raw.is_closed
        assert isinstance(parsed[0], Message) and _facts(parsed[0]) == _facts(parsed[1])
        events = []
        for client in (ours, sdk):
            with client.messages.with_streaming_response.create(**call, stream=True) as raw:
                events.append([event.type for event in raw.parse()])
        assert events[0] == events[1] and events[0][0] == "message_start"


def test_streaming_lines_of_an_sse_stream_match_the_sdk(bedrock_emulator: Emulator) -> None:
    ours, sdk, model = _pair(bedrock_emulator, "mantle")
    call: dict[str, Any] = {"model": model, "max_tokens": 16, "messages": HELLO, "stream": True}
    with ours, sdk:
        lines = []
        for client in (ours, sdk):
            with client.messages.with_streaming_response.create(**call) as raw:
                assert raw.headers["content-type"].startswith("text/event-stream")
                lines.append([line for line in raw.iter_lines() if line.startswith("event:")])
        assert lines[0] == lines[1] and "event: message_stop" in lines[0]


@pytest.mark.parametrize("family", list(FAMILIES))
def test_errors_raise_as_the_plain_call(bedrock_emulator: Emulator, family: str) -> None:
    ours, sdk, _ = _pair(bedrock_emulator, family, max_retries=0)
    call: dict[str, Any] = {"model": "anthropic.claude-nope-9", "max_tokens": 8, "messages": HELLO}
    warnings.simplefilter("ignore", UnknownModelWarning)
    with ours, sdk:
        raised = []
        for client in (ours, sdk):
            with pytest.raises(Exception) as error:  # noqa: PT011 (the class is compared)
                client.messages.with_raw_response.create(**call)
            raised.append((type(error.value).__name__, error.value.status_code))
        assert raised[0] == raised[1] and raised[0][1] >= 400
        streaming = ours.messages.with_streaming_response.create(**call)
        with pytest.raises(Exception) as streamed, streaming:  # noqa: PT011 (compared below)
            pass
        assert (type(streamed.value).__name__, streamed.value.status_code) == raised[0]


def test_a_closed_unparsed_streaming_response_leaves_nothing_running(
    bedrock_emulator: Emulator,
) -> None:
    ours, _, model = _pair(bedrock_emulator, "runtime")

    def workers() -> set[threading.Thread]:  # response threads; a process-wide count moves
        # A set, compared by inclusion: a thread of an earlier test's client that ends
        # meanwhile lowered a count, while any new one of ours is still caught.
        return {t for t in threading.enumerate() if t.name == "claude-bedrock-response"}

    before = workers()
    with ours:
        for _ in range(3):
            with ours.messages.with_streaming_response.create(
                model=model, max_tokens=8, messages=HELLO
            ) as raw:
                assert raw.status_code == 200
        assert workers() <= before
        with ours.messages.with_streaming_response.create(
            model=model, max_tokens=8, messages=HELLO
        ) as raw:
            chunks = list(raw.iter_bytes())
        assert b"".join(chunks).startswith(b"{")
        with pytest.raises(RuntimeError, match="closed before it was parsed"):
            raw.parse()


def test_sub_resources_other_resources_and_subclasses_have_it(bedrock_emulator: Emulator) -> None:
    ours, _, model = _pair(bedrock_emulator, "runtime")
    with ours:
        raw = ours.converse.with_raw_response.create(
            modelId=model, messages=[{"role": "user", "content": [{"text": "Hi"}]}]
        )
        assert raw.status_code == 200 and raw.parse().output.message.role == "assistant"
        assert raw.request_id == raw.headers["x-amzn-requestid"]
        logging = ours.invocation_logging.with_raw_response.get()
        assert logging.status_code == 200 and logging.parse() is None

        # BetaMessages subclasses Messages: both forms for free, and on client.beta too
        raw = ours.beta.messages.with_raw_response.create(
            model=model, max_tokens=8, messages=HELLO, betas=["context-management-2025-06-27"]
        )
        assert isinstance(raw.parse(), Message)
        assert json.loads(raw.http_request.content)["anthropic_beta"] == [
            "context-management-2025-06-27"
        ]
        raw = ours.beta.with_raw_response.messages.create(model=model, max_tokens=8, messages=HELLO)
        assert raw.status_code == 200 and isinstance(raw.parse(), Message)
        assert repr(ours.messages.with_raw_response.batches) == "<Batches.with_raw_response>"
        with pytest.raises(TypeError, match="sent no HTTP request"):
            ours.models.with_raw_response.list(offline=True)
        with pytest.raises(AttributeError):
            _ = ours.messages.with_raw_response.not_a_method


def test_the_plain_path_is_untouched(bedrock_emulator: Emulator) -> None:
    ours, _, model = _pair(bedrock_emulator, "runtime")
    with ours:
        _ = ours.messages.with_raw_response.create(model=model, max_tokens=8, messages=HELLO)
        assert type(ours._sender) is SyncSender  # a raw call used its own view of the client
        assert ours.messages._client is ours


@pytest.mark.parametrize("family", list(ASYNC_FAMILIES))
def test_async_raw_and_streaming_match_the_sdk(bedrock_emulator: Emulator, family: str) -> None:
    async def scenario() -> None:
        ours, sdk, model = _apair(bedrock_emulator, family)
        call: dict[str, Any] = {"model": model, "max_tokens": 32, "messages": HELLO}
        async with ours, sdk:
            mine = await ours.messages.with_raw_response.create(**call)
            theirs = await sdk.messages.with_raw_response.create(**call)
            assert isinstance(mine, AsyncAPIResponse)
            assert (mine.status_code, mine.retries_taken) == (theirs.status_code, 0)
            assert mine.request_id == _request_id(mine)
            assert _facts(await mine.parse()) == _facts(await theirs.parse())
            assert (await mine.json())["content"] == (await theirs.json())["content"]
            count = await ours.messages.with_raw_response.count_tokens(model=model, messages=HELLO)
            assert (await count.parse()).input_tokens > 0
            bodies, parsed, events = [], [], []
            for client in (ours, sdk):
                async with client.messages.with_streaming_response.create(**call) as raw:
                    assert not raw.is_closed
                    bodies.append(json.loads("".join([line async for line in raw.iter_lines()])))
                async with client.messages.with_streaming_response.create(**call) as raw:
                    parsed.append(await raw.parse())
                async with client.messages.with_streaming_response.create(
                    **call, stream=True
                ) as raw:
                    events.append([event.type async for event in await raw.parse()])
                async with client.messages.with_streaming_response.create(**call) as raw:
                    pass  # closed unparsed: the paused call is abandoned
            assert bodies[0]["content"] == bodies[1]["content"]
            assert _facts(parsed[0]) == _facts(parsed[1])
            assert events[0] == events[1]
            with pytest.raises(APIStatusError):
                async with ours.messages.with_streaming_response.create(
                    model=model, max_tokens=0, messages=HELLO
                ):
                    pass
        assert len(asyncio.all_tasks()) == 1  # only this one: no paused call left behind

    asyncio.run(scenario())
