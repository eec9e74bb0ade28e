"""Both Messages API surfaces end to end, against the emulator's Messages routes.

``AnthropicBedrockMantle`` (bedrock-mantle: bare model IDs, SigV4 ``bedrock-mantle`` or a key)
and ``AnthropicBedrock(api="messages")`` (bedrock-runtime's ``/anthropic`` path: profile IDs,
SigV4 ``bedrock``) talk HTTP to the in-process emulator, which verifies the signature, picks
the surface from the signing name or the model's form, applies Bedrock's model rules and
answers with the same engine as InvokeModel: so the same prompt gives the same text and the
same token count on every surface.
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from claude_bedrock import (
    AnthropicBedrock,
    AnthropicBedrockMantle,
    AsyncAnthropicBedrockMantle,
    BadRequestError,
    ModelNotAvailableError,
    NotFoundError,
    UnknownModelWarning,
)
from claude_bedrock.emulator import Emulator

REGION = "us-east-1"
#: Served by bedrock-mantle in us-east-1 (bare ID) and by the runtime (profile ID).
MANTLE_MODEL = "anthropic.claude-opus-4-7"
RUNTIME_MODEL = "us.anthropic.claude-opus-4-7"
MESSAGES = [{"role": "user", "content": "Name three primary colours."}]


@pytest.fixture(autouse=True)
def release_clients() -> Iterator[None]:
    """The clients a test built and dropped release their sockets now, not at some later
    collection (the load test counts file descriptors)."""
    yield
    gc.collect()


@pytest.fixture
def mantle(bedrock_emulator: Emulator) -> Iterator[AnthropicBedrockMantle]:
    with AnthropicBedrockMantle(
        aws_region=REGION, base_url=f"{bedrock_emulator.url}/anthropic", max_retries=0,
        aws_access_key=bedrock_emulator.access_key, aws_secret_key=bedrock_emulator.secret_key,
    ) as client:  # fmt: skip
        yield client


@pytest.fixture
def runtime(bedrock_emulator: Emulator) -> Iterator[AnthropicBedrock]:
    with AnthropicBedrock(
        aws_region=REGION, base_url=bedrock_emulator.url, max_retries=0, api="messages",
        aws_access_key=bedrock_emulator.access_key, aws_secret_key=bedrock_emulator.secret_key,
    ) as client:  # fmt: skip
        yield client


def _surfaces(mantle: AnthropicBedrockMantle, runtime: AnthropicBedrock) -> list[tuple[Any, str]]:
    return [(mantle, MANTLE_MODEL), (runtime, RUNTIME_MODEL)]


def test_create_on_both_surfaces(mantle: AnthropicBedrockMantle, runtime: AnthropicBedrock) -> None:
    texts = []
    for client, model in _surfaces(mantle, runtime):
        message = client.messages.create(model=model, max_tokens=64, messages=MESSAGES)
        assert message.role == "assistant" and message.stop_reason in ("end_turn", "max_tokens")
        assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
        assert message.cost is not None and message.cost.usd > 0
        texts.append(message.content[0].text)
    invoke = runtime.messages.create(model=RUNTIME_MODEL, max_tokens=64, messages=MESSAGES,
                                     api="invoke")  # fmt: skip
    assert texts == [invoke.content[0].text] * 2  # one engine behind every surface


def test_streams_on_both_surfaces(
    mantle: AnthropicBedrockMantle, runtime: AnthropicBedrock
) -> None:
    for client, model in _surfaces(mantle, runtime):
        created = client.messages.create(model=model, max_tokens=64, messages=MESSAGES)
        with client.messages.stream(model=model, max_tokens=64, messages=MESSAGES) as stream:
            deltas = list(stream.text_stream)
            final = stream.get_final_message()
        assert "".join(deltas) == final.content[0].text == created.content[0].text
        assert final.usage.output_tokens == created.usage.output_tokens
        raw = client.messages.create(model=model, max_tokens=64, messages=MESSAGES, stream=True)
        events = [event.type for event in raw]
        assert events[0] == "message_start" and events[-1] == "message_stop"


def test_count_tokens_agrees_across_surfaces(
    mantle: AnthropicBedrockMantle, runtime: AnthropicBedrock
) -> None:
    on_mantle = mantle.messages.count_tokens(model=MANTLE_MODEL, messages=MESSAGES)
    on_runtime = runtime.messages.count_tokens(model=RUNTIME_MODEL, messages=MESSAGES)
    created = mantle.messages.create(model=MANTLE_MODEL, max_tokens=16, messages=MESSAGES)
    assert on_mantle.input_tokens == on_runtime.input_tokens == created.usage.input_tokens > 0


def test_keys_work_on_both_surfaces(bedrock_emulator: Emulator) -> None:
    mantle = AnthropicBedrockMantle(aws_region=REGION, api_key=bedrock_emulator.api_key,
                                    base_url=f"{bedrock_emulator.url}/anthropic")  # fmt: skip
    runtime = AnthropicBedrock(aws_region=REGION, api_key=bedrock_emulator.api_key,
                               base_url=bedrock_emulator.url, api="messages")  # fmt: skip
    for client, model in _surfaces(mantle, runtime):
        with client:
            assert client.messages.create(model=model, max_tokens=8, messages=MESSAGES).content


def test_workspace_header_reaches_mantle(mantle: AnthropicBedrockMantle) -> None:
    message = mantle.messages.create(model=MANTLE_MODEL, max_tokens=8, messages=MESSAGES,
                                     workspace_id="default")  # fmt: skip
    assert message.content


def test_a_profile_id_on_mantle_is_refused_before_sending(
    mantle: AnthropicBedrockMantle,
) -> None:
    with pytest.raises(ModelNotAvailableError, match=MANTLE_MODEL):
        mantle.messages.create(model=RUNTIME_MODEL, max_tokens=8, messages=MESSAGES)


def test_unknown_models_are_sent_and_bedrock_answers(
    mantle: AnthropicBedrockMantle, runtime: AnthropicBedrock
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(NotFoundError) as on_mantle:
            mantle.messages.create(model="anthropic.claude-nonesuch-9", max_tokens=8,
                                   messages=MESSAGES)  # fmt: skip
        with pytest.raises(BadRequestError) as on_runtime:
            runtime.messages.create(model="us.anthropic.claude-nonesuch-9", max_tokens=8,
                                    messages=MESSAGES)  # fmt: skip
    ours = [w for w in caught if not issubclass(w.category, ResourceWarning)]
    assert [w.category for w in ours] == [UnknownModelWarning] * 2  # one per ID
    assert "refresh" in str(ours[0].message)
    assert on_mantle.value.error_type == "not_found_error"
    assert on_runtime.value.status_code == 400
    assert "model identifier is invalid" in on_runtime.value.message


def test_async_mantle_create_stream_count(bedrock_emulator: Emulator) -> None:
    async def calls() -> tuple[str, str, int]:
        async with AsyncAnthropicBedrockMantle(
            aws_region=REGION, base_url=f"{bedrock_emulator.url}/anthropic",
            aws_access_key=bedrock_emulator.access_key,
            aws_secret_key=bedrock_emulator.secret_key,
        ) as client:  # fmt: skip
            message = await client.messages.create(model=MANTLE_MODEL, max_tokens=32,
                                                   messages=MESSAGES)  # fmt: skip
            async with client.messages.stream(model=MANTLE_MODEL, max_tokens=32,
                                              messages=MESSAGES) as stream:  # fmt: skip
                text = await stream.get_final_text()
            count = await client.messages.count_tokens(model=MANTLE_MODEL, messages=MESSAGES)
            return message.content[0].text, text, count.input_tokens

    created, streamed, tokens = asyncio.run(calls())
    assert created == streamed and tokens > 0


def test_runtime_messages_create_stream_count(runtime: AnthropicBedrock) -> None:
    """bedrock-runtime's Messages path with whatever catalogue is bundled: same engine, same
    text and token counts as InvokeModel and CountTokens."""
    message = runtime.messages.create(model=RUNTIME_MODEL, max_tokens=64, messages=MESSAGES)
    invoke = runtime.messages.create(model=RUNTIME_MODEL, max_tokens=64, messages=MESSAGES,
                                     api="invoke")  # fmt: skip
    with runtime.messages.stream(model=RUNTIME_MODEL, max_tokens=64, messages=MESSAGES) as s:
        streamed = s.get_final_text()
    count = runtime.messages.count_tokens(model=RUNTIME_MODEL, messages=MESSAGES)
    assert message.content[0].text == invoke.content[0].text == streamed
    assert count.input_tokens == message.usage.input_tokens == invoke.usage.input_tokens > 0
    assert message.cost is not None and message.cost == invoke.cost


def test_runtime_messages_errors_in_anthropics_envelope(runtime: AnthropicBedrock) -> None:
    with pytest.raises(BadRequestError) as info:
        runtime.messages.create(model=RUNTIME_MODEL, max_tokens=64, messages=MESSAGES,
                                extra_headers={"anthropic-version": "1999-01-01"})  # fmt: skip
    assert info.value.error_type == "invalid_request_error"
    assert "anthropic-version" in info.value.message


def test_anthropicbedrock_counts_on_mantle_what_only_mantle_counts(
    mantle: AnthropicBedrockMantle, runtime: AnthropicBedrock
) -> None:
    """Opus 5: CountTokens does not serve it (AWS's model card); bedrock-mantle's
    count_tokens does. Through the emulator (one host for both), signed ``bedrock-mantle``:
    the emulator's runtime would answer ``UnknownOperationException`` on that path."""
    counted = runtime.messages.count_tokens(
        model="global.anthropic.claude-opus-5", messages=MESSAGES
    )
    direct = mantle.messages.count_tokens(model="anthropic.claude-opus-5", messages=MESSAGES)
    created = runtime.messages.create(model="global.anthropic.claude-opus-5", max_tokens=16,
                                      messages=MESSAGES)  # fmt: skip
    assert counted.input_tokens == direct.input_tokens == created.usage.input_tokens > 0


def test_a_model_only_mantle_serves_is_refused_elsewhere_with_the_class_to_use(
    runtime: AnthropicBedrock,
) -> None:
    from claude_bedrock import SurfaceNotSupportedError

    for api in ("invoke", "messages"):
        with pytest.raises(SurfaceNotSupportedError, match="AnthropicBedrockMantle") as info:
            runtime.messages.create(model="anthropic.claude-mythos-5", max_tokens=8,
                                    messages=MESSAGES, api=api)  # fmt: skip
        assert info.value.served_by == ["mantle"]
