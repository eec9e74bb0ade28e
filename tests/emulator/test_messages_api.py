"""The Messages API routes, driven by the official SDK (2.16) as its users drive Bedrock.

``AnthropicBedrockMantle`` (SigV4 ``bedrock-mantle`` or a key) and a plain ``Anthropic``
client with a key and a profile ID (bedrock-runtime's ``/anthropic`` path) must work against
the emulator with only ``base_url`` changed; errors must surface as the SDK's exception
classes, from the status and envelope Bedrock answers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import anthropic
import boto3
import pytest
from botocore.config import Config

from claude_bedrock.emulator import Emulator

from .messages_support import (
    MANTLE_MODEL,
    MESSAGES,
    PROFILE_MODEL,
    PROMPT,
    REGION,
    SDK_VERSION_HEADER,
    close_clients,
    kept,
)


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield from close_clients()


def _mantle(
    emulator: Emulator, api_key: str | None = None, headers: dict[str, str] | None = None
) -> anthropic.AnthropicBedrockMantle:
    """The SDK's Mantle client on the emulator, SigV4 unless ``api_key`` is given."""
    credentials: dict[str, Any] = (
        {"api_key": api_key}
        if api_key is not None
        else {"aws_access_key": emulator.access_key, "aws_secret_key": emulator.secret_key}
    )
    return kept(
        anthropic.AnthropicBedrockMantle(
            aws_region=REGION,
            base_url=emulator.url + "/anthropic",
            max_retries=0,
            default_headers={**SDK_VERSION_HEADER, **(headers or {})},
            **credentials,
        )
    )


def _plain(emulator: Emulator) -> anthropic.Anthropic:
    """A plain Anthropic client with a Bedrock API key, as AWS's samples use the runtime."""
    return kept(
        anthropic.Anthropic(
            base_url=emulator.url + "/anthropic",
            api_key=emulator.api_key,
            max_retries=0,
            default_headers=SDK_VERSION_HEADER,
        )
    )


def _invoke_text(emulator: Emulator) -> tuple[str, int]:
    """The same prompt through InvokeModel (boto3): the answer every surface must give."""
    runtime = boto3.client(  # closed after the test, like the SDK clients
        "bedrock-runtime",
        endpoint_url=emulator.url,
        aws_access_key_id=emulator.access_key,
        aws_secret_access_key=emulator.secret_key,
        region_name=REGION,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    kept(runtime)
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, "messages": MESSAGES}
    response = runtime.invoke_model(modelId=PROFILE_MODEL, body=json.dumps(body))
    answer = json.loads(response["body"].read())
    return answer["content"][0]["text"], answer["usage"]["input_tokens"]


def test_mantle_sigv4_create_answers_as_invoke_model(emulator: Emulator) -> None:
    message = _mantle(emulator).messages.create(
        model=MANTLE_MODEL, max_tokens=64, messages=MESSAGES
    )
    text, input_tokens = _invoke_text(emulator)
    assert message.type == "message" and message.role == "assistant"
    assert message.id.startswith("msg_bdrk_")
    assert message.content[0].type == "text"
    assert message.content[0].text == text  # the same engine on every surface
    assert PROMPT in text
    assert message.usage.input_tokens == input_tokens
    assert message.stop_reason == "end_turn"


def test_mantle_sigv4_stream_text_and_events(emulator: Emulator) -> None:
    client = _mantle(emulator)
    created = client.messages.create(model=MANTLE_MODEL, max_tokens=64, messages=MESSAGES)
    with client.messages.stream(model=MANTLE_MODEL, max_tokens=64, messages=MESSAGES) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) > 1  # really streamed, in several deltas
    assert "".join(pieces) == created.content[0].text == final.content[0].text
    assert final.usage.output_tokens == created.usage.output_tokens
    with client.messages.stream(model=MANTLE_MODEL, max_tokens=64, messages=MESSAGES) as stream:
        kinds = [event.type for event in stream]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert "content_block_delta" in kinds and "message_delta" in kinds


def test_mantle_count_tokens_matches_the_usage_of_a_call(emulator: Emulator) -> None:
    client = _mantle(emulator)
    counted = client.messages.count_tokens(model=MANTLE_MODEL, messages=MESSAGES)
    created = client.messages.create(model=MANTLE_MODEL, max_tokens=64, messages=MESSAGES)
    assert counted.input_tokens == created.usage.input_tokens > 0
    system = "You are terse. " * 20
    longer = client.messages.count_tokens(model=MANTLE_MODEL, messages=MESSAGES, system=system)
    assert longer.input_tokens > counted.input_tokens


def test_mantle_with_a_bearer_key(emulator: Emulator) -> None:
    client = _mantle(emulator, api_key=emulator.api_key)
    message = client.messages.create(model=MANTLE_MODEL, max_tokens=64, messages=MESSAGES)
    assert PROMPT in message.content[0].text
    with client.messages.stream(model=MANTLE_MODEL, max_tokens=64, messages=MESSAGES) as stream:
        assert stream.get_final_text() == message.content[0].text
    assert client.messages.count_tokens(model=MANTLE_MODEL, messages=MESSAGES).input_tokens > 0


def test_plain_anthropic_client_on_the_runtime_messages_path(emulator: Emulator) -> None:
    client = _plain(emulator)
    message = client.messages.create(model=PROFILE_MODEL, max_tokens=64, messages=MESSAGES)
    text, _ = _invoke_text(emulator)
    assert message.content[0].text == text
    with client.messages.stream(model=PROFILE_MODEL, max_tokens=64, messages=MESSAGES) as stream:
        assert "".join(stream.text_stream) == text


def test_async_mantle_client(emulator: Emulator) -> None:
    async def run() -> tuple[str, str]:
        client = anthropic.AsyncAnthropicBedrockMantle(
            aws_region=REGION,
            aws_access_key=emulator.access_key,
            aws_secret_key=emulator.secret_key,
            base_url=emulator.url + "/anthropic",
            max_retries=0,
            default_headers=SDK_VERSION_HEADER,
        )
        async with client:
            created = await client.messages.create(
                model=MANTLE_MODEL, max_tokens=64, messages=MESSAGES
            )
            async with client.messages.stream(
                model=MANTLE_MODEL, max_tokens=64, messages=MESSAGES
            ) as stream:
                streamed = await stream.get_final_text()
        return created.content[0].text, streamed

    created, streamed = asyncio.run(run())
    assert created == streamed and PROMPT in created


def test_wrong_secret_is_refused_as_bedrock_refuses_it(emulator: Emulator) -> None:
    client = kept(
        anthropic.AnthropicBedrockMantle(
            aws_region=REGION,
            aws_access_key=emulator.access_key,
            aws_secret_key="not-the-secret",
            base_url=emulator.url + "/anthropic",
            max_retries=0,
            default_headers=SDK_VERSION_HEADER,
        )
    )
    with pytest.raises(anthropic.PermissionDeniedError) as caught:
        client.messages.create(model=MANTLE_MODEL, max_tokens=64, messages=MESSAGES)
    assert caught.value.status_code == 403
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["error"]["type"] == "authentication_error"
    assert "signature we calculated does not match" in caught.value.body["error"]["message"]
    assert "not-the-secret" not in str(caught.value)


def test_a_wrong_key_is_refused(emulator: Emulator) -> None:
    client = _mantle(emulator, api_key="ABSK-not-a-key")
    with pytest.raises(anthropic.PermissionDeniedError) as caught:
        client.messages.create(model=MANTLE_MODEL, max_tokens=64, messages=MESSAGES)
    assert "API Key is valid" in str(caught.value)
    assert "ABSK-not-a-key" not in str(caught.value)


def test_unknown_model_on_mantle_is_not_found(emulator: Emulator) -> None:
    with pytest.raises(anthropic.NotFoundError) as caught:
        _mantle(emulator).messages.create(
            model="anthropic.claude-nonexistent-9", max_tokens=64, messages=MESSAGES
        )
    assert "The model 'anthropic.claude-nonexistent-9' does not exist" in str(caught.value)


def test_unknown_profile_on_the_runtime_is_an_invalid_identifier(emulator: Emulator) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        _plain(emulator).messages.create(
            model="us.anthropic.claude-nonexistent-9", max_tokens=64, messages=MESSAGES
        )
    assert caught.value.body == {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "message": "The provided model identifier is invalid.",
        },
    }


def test_an_injected_throttle_is_a_rate_limit_error(emulator: Emulator) -> None:
    client = _mantle(emulator, headers={"x-emulator-fault": "throttle"})
    with pytest.raises(anthropic.RateLimitError) as caught:
        client.messages.create(model=MANTLE_MODEL, max_tokens=64, messages=MESSAGES)
    assert caught.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]


def test_an_error_mid_stream_reaches_the_sdk(emulator: Emulator) -> None:
    client = _mantle(emulator, headers={"x-emulator-stream-fault": "overloaded_error@3"})
    seen: list[str] = []
    with (
        pytest.raises(anthropic.APIStatusError) as caught,
        client.messages.stream(model=MANTLE_MODEL, max_tokens=64, messages=MESSAGES) as stream,
    ):
        seen.extend(event.type for event in stream)
    assert caught.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]
    assert seen[0] == "message_start" and "message_stop" not in seen
