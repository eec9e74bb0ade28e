"""messages.count_tokens over Bedrock's CountTokens, against the emulator.

The count must equal ``usage.input_tokens`` of a call with the same input (the emulator
counts both with one counter), our client must agree with boto3's ``count_tokens``, and
the wire form must be botocore's (``input.invokeModel.body`` as base64, base model ID).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import anyio
import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from claude_bedrock import (
    AnthropicBedrock,
    AsyncAnthropicBedrock,
    BadRequestError,
    InvalidModelError,
    documents,
)
from claude_bedrock.emulator import Emulator
from claude_bedrock.resources._flow import arun
from claude_bedrock.resources.count_tokens import (
    converse_count_flow,
    converse_input,
    count_converse_tokens,
    invoke_input,
)
from test_documents import make_pdf

REGION = "us-west-2"
MODEL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
BASE = "anthropic.claude-sonnet-4-5-20250929-v1:0"
TOOL = {
    "name": "get_weather",
    "description": "Weather for a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}

CASES: dict[str, dict[str, Any]] = {
    "hello": {"messages": [{"role": "user", "content": "Hello, world"}]},
    "system and turns": {
        "system": "You answer in French.",
        "messages": [
            {"role": "user", "content": "Bonjour"},
            {"role": "assistant", "content": "Bonjour !"},
            {"role": "user", "content": [{"type": "text", "text": "Comment ça va, aujourd'hui ?"}]},
        ],
    },
    "tools": {
        "tools": [TOOL],
        "messages": [{"role": "user", "content": "Is it raining in Lyon?"}],
    },
    "pdf": {
        "messages": [
            {
                "role": "user",
                "content": [
                    documents.pdf(make_pdf(4, "heron")),
                    {"type": "text", "text": "What is on page 3?"},
                ],
            }
        ],
    },  # fmt: skip
}


@pytest.fixture
def client(bedrock_emulator: Emulator) -> Iterator[AnthropicBedrock]:
    with AnthropicBedrock(
        aws_region=REGION, base_url=bedrock_emulator.url,
        aws_access_key=bedrock_emulator.access_key, aws_secret_key=bedrock_emulator.secret_key,
    ) as c:  # fmt: skip
        yield c


@pytest.fixture(scope="module")
def runtime(bedrock_emulator: Emulator) -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=bedrock_emulator.url,
        aws_access_key_id=bedrock_emulator.access_key,
        aws_secret_access_key=bedrock_emulator.secret_key,
        region_name=REGION,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


@pytest.mark.parametrize("case", CASES)
def test_count_equals_usage_of_the_same_call(client: AnthropicBedrock, case: str) -> None:
    params = CASES[case]
    counted = client.messages.count_tokens(model=MODEL, **params)
    message = client.messages.create(model=MODEL, max_tokens=32, **params)
    assert counted.input_tokens == message.usage.input_tokens > 0


def test_count_grows_with_the_input(client: AnthropicBedrock) -> None:
    short = client.messages.count_tokens(model=MODEL, messages=CASES["hello"]["messages"])
    longer = client.messages.count_tokens(
        model=MODEL, messages=[{"role": "user", "content": "Hello, world, and hello again"}]
    )
    assert longer.input_tokens > short.input_tokens


@pytest.mark.parametrize("case", CASES)
def test_boto3_count_tokens_agrees_with_ours(
    client: AnthropicBedrock, runtime: Any, case: str
) -> None:
    params = CASES[case]
    ours = client.messages.count_tokens(model=MODEL, **params).input_tokens
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 32, **params}
    answer = runtime.count_tokens(
        modelId=BASE, input={"invokeModel": {"body": json.dumps(body).encode()}}
    )
    assert answer["inputTokens"] == ours


def test_async_count_tokens(bedrock_emulator: Emulator, client: AnthropicBedrock) -> None:
    params = CASES["system and turns"]

    async def main() -> int:
        async with AsyncAnthropicBedrock(
            aws_region=REGION, base_url=bedrock_emulator.url,
            aws_access_key=bedrock_emulator.access_key,
            aws_secret_key=bedrock_emulator.secret_key,
        ) as aclient:  # fmt: skip
            return (await aclient.messages.count_tokens(model=MODEL, **params)).input_tokens

    assert anyio.run(main) == client.messages.count_tokens(model=MODEL, **params).input_tokens


def test_converse_input_counts_like_the_equivalent_invoke_body(
    client: AnthropicBedrock, runtime: Any
) -> None:
    pdf = make_pdf(2, "ibis")
    converse = {
        "system": [{"text": "Be brief."}],
        "messages": [{"role": "user", "content": [
            {"document": {"format": "pdf", "name": "Birds", "source": {"bytes": pdf},
                          "citations": {"enabled": True}}},
            {"text": "What bird is this about?"},
        ]}],
        "toolConfig": {"tools": [{"toolSpec": {
            "name": TOOL["name"], "description": TOOL["description"],
            "inputSchema": {"json": TOOL["input_schema"]}}}]},
    }  # fmt: skip
    ours = count_converse_tokens(client, MODEL, converse).input_tokens
    boto = runtime.count_tokens(modelId=BASE, input={"converse": converse})["inputTokens"]
    invoke_equivalent = client.messages.count_tokens(
        model=MODEL,
        system=[{"type": "text", "text": "Be brief."}],
        tools=[TOOL],
        messages=[{"role": "user", "content": [
            {"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                            "data": base64.b64encode(pdf).decode()},
             "title": "Birds", "citations": {"enabled": True}},
            {"type": "text", "text": "What bird is this about?"},
        ]}],
    ).input_tokens  # fmt: skip
    assert ours == boto == invoke_equivalent
    answer = runtime.converse(modelId=MODEL, inferenceConfig={"maxTokens": 32}, **converse)
    assert answer["usage"]["inputTokens"] == ours


def test_wire_form_is_botocores() -> None:
    raw = b'{"messages":[]}'
    request = json.loads(invoke_input(raw))
    assert request == {"input": {"invokeModel": {"body": base64.b64encode(raw).decode()}}}
    block = {"document": {"format": "pdf", "name": "x", "source": {"bytes": b"%PDF"}}}
    converse = json.loads(converse_input({"messages": [{"role": "user", "content": [block]}]}))
    document = converse["input"]["converse"]["messages"][0]["content"][0]["document"]
    assert document["source"]["bytes"] == base64.b64encode(b"%PDF").decode()


def test_profile_ids_are_refused_but_our_client_sends_the_base_id(
    client: AnthropicBedrock, runtime: Any
) -> None:
    body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 8,
                       "messages": [{"role": "user", "content": "hi"}]}).encode()  # fmt: skip
    with pytest.raises(ClientError) as caught:
        runtime.count_tokens(modelId=MODEL, input={"invokeModel": {"body": body}})
    assert caught.value.response["Error"]["Message"] == (
        "The provided model doesn't support counting tokens."
    )
    for model in (MODEL, "us.anthropic.claude-sonnet-4-5-20250929-v1:0", BASE):
        counted = client.messages.count_tokens(
            model=model, messages=[{"role": "user", "content": "hi"}]
        )
        assert counted.input_tokens > 0


def test_errors(client: AnthropicBedrock, runtime: Any) -> None:
    with pytest.raises(InvalidModelError):  # not a model ID: refused before sending
        client.messages.count_tokens(model="claude nonexistent", messages=[])
    with pytest.raises(BadRequestError, match="at least one message"):
        client.messages.count_tokens(model=MODEL, messages=[])
    with pytest.raises(ClientError, match="model identifier is invalid"):
        runtime.count_tokens(modelId="anthropic.nope-v1:0",
                             input={"invokeModel": {"body": b"{}"}})  # fmt: skip
    with pytest.raises(ClientError, match="Malformed input request"):
        runtime.count_tokens(modelId=BASE, input={"invokeModel": {"body": b"not json"}})


def test_a_body_without_max_tokens_is_counted(runtime: Any) -> None:
    body = {"anthropic_version": "bedrock-2023-05-31",
            "messages": [{"role": "user", "content": "Hello, world"}]}  # fmt: skip
    with_max = runtime.count_tokens(
        modelId=BASE,
        input={"invokeModel": {"body": json.dumps({**body, "max_tokens": 9}).encode()}},
    )["inputTokens"]
    without = runtime.count_tokens(
        modelId=BASE, input={"invokeModel": {"body": json.dumps(body).encode()}}
    )["inputTokens"]
    assert with_max == without > 0


def test_too_many_pdf_pages_are_refused_when_counting(
    client: AnthropicBedrock, runtime: Any
) -> None:
    encoded = base64.b64encode(make_pdf(101)).decode()
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 8, "messages": [
        {"role": "user", "content": [{"type": "document", "source": {
            "type": "base64", "media_type": "application/pdf", "data": encoded}}]}]}  # fmt: skip
    with pytest.raises(ClientError, match="A maximum of 100 PDF pages"):
        runtime.count_tokens(
            modelId=BASE, input={"invokeModel": {"body": json.dumps(body).encode()}}
        )


def test_async_converse_count_is_boto3s(bedrock_emulator: Emulator, runtime: Any) -> None:
    """An async client counts a Converse input by driving the same flow (``arun``)."""
    converse = {"messages": [{"role": "user", "content": [{"text": "How many tokens?"}]}]}

    async def main() -> int:
        async with AsyncAnthropicBedrock(
            aws_region=REGION, base_url=bedrock_emulator.url,
            aws_access_key=bedrock_emulator.access_key,
            aws_secret_key=bedrock_emulator.secret_key,
        ) as aclient:  # fmt: skip
            flow = converse_count_flow(aclient._core, MODEL, converse)
            return (await arun(aclient, flow)).input_tokens

    boto = runtime.count_tokens(modelId=BASE, input={"converse": converse})["inputTokens"]
    assert anyio.run(main) == boto
