"""Our client over Converse against the emulator: ``client.converse`` (sync, async, streams)
and ``messages.create(..., api="converse")`` giving what InvokeModel gives."""

from __future__ import annotations

import asyncio
import base64
import warnings
from typing import Any

import pytest

from claude_bedrock import (
    AnthropicBedrock,
    APIConnectionError,
    BadRequestError,
    ClientValidationError,
    DocumentLimitError,
    InternalServerError,
    RateLimitError,
    ServiceUnavailableError,
    StreamError,
)
from claude_bedrock.converse import ConverseRequestError, ConverseResponse, TextOnlyPdfWarning
from claude_bedrock.emulator import Emulator
from claude_bedrock.types import Message

from .conftest import MODEL, async_client_for, client_for, make_pdf, make_png

FAULT = "x-emulator-stream-fault"
TOOL = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
PNG64 = base64.b64encode(make_png(3, 2)).decode()
PROMPTS: dict[str, dict[str, Any]] = {
    "plain": {"messages": [{"role": "user", "content": "Hello, world"}]},
    "system and blocks": {
        "system": "You are terse.",
        "messages": [
            {
                "role": "user",
                "content": [{"type": "text", "text": "Two"}, {"type": "text", "text": "blocks"}],
            }
        ],
    },
    "stop sequence": {
        "stop_sequences": ["deterministic"],
        "messages": [{"role": "user", "content": "Hello"}],
    },
    "max tokens": {"max_tokens": 5, "messages": [{"role": "user", "content": "Hello there"}]},
    "tools": {
        "tools": [TOOL],
        "tool_choice": {"type": "any"},
        "messages": [{"role": "user", "content": "Use get_weather for Oslo"}],
    },
    "thinking": {
        "max_tokens": 3000,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "messages": [{"role": "user", "content": "Think first"}],
    },
    "image": {
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": PNG64},
                    },
                    {"type": "text", "text": "What colour?"},
                ],
            }
        ]
    },
    "tool round trip": {
        "tools": [TOOL],
        "messages": [
            {"role": "user", "content": "Use get_weather"},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "toolu_1",
                        "name": "get_weather",
                        "input": {"city": "Oslo"},
                    }
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "12 C"}],
            },
        ],
    },
}


def _kwargs(prompt: dict[str, Any]) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 300, **prompt}


def _comparable(message: Message) -> dict[str, Any]:
    data = message.model_dump()
    for block in data["content"]:
        if block["type"] == "tool_use":
            block["id"] = "<random>"
    del data["id"]
    return data


@pytest.mark.parametrize("name", list(PROMPTS))
def test_same_prompt_gives_the_same_message_over_both_apis(
    client: AnthropicBedrock, name: str
) -> None:
    invoked = client.messages.create(**_kwargs(PROMPTS[name]))
    conversed = client.messages.create(**_kwargs(PROMPTS[name]), api="converse")
    assert _comparable(conversed) == _comparable(invoked)
    assert conversed.usage == invoked.usage
    assert conversed.cost == invoked.cost
    assert conversed.request_id and conversed.request_id != invoked.request_id


@pytest.mark.parametrize("name", ["plain", "tools", "thinking", "max tokens"])
def test_streamed_converse_gives_the_invoke_message(client: AnthropicBedrock, name: str) -> None:
    invoked = client.messages.create(**_kwargs(PROMPTS[name]))
    stream = client.messages.create(**_kwargs(PROMPTS[name]), api="converse", stream=True)
    kinds = [event.type for event in stream]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    final = stream.current_message_snapshot
    assert _comparable(final) == _comparable(invoked)
    assert final.cost == invoked.cost and final.request_id == stream.request_id
    metrics = stream.invocation_metrics
    assert metrics is not None and metrics["outputTokenCount"] == invoked.usage.output_tokens


def test_message_stream_helpers_over_converse(client: AnthropicBedrock) -> None:
    invoked = client.messages.create(**_kwargs(PROMPTS["plain"]))
    with client.messages.stream(**_kwargs(PROMPTS["plain"]), api="converse") as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == invoked.content[0].text  # type: ignore[union-attr]
    assert final.usage == invoked.usage


def test_cache_points_cache_the_same_way_over_both_apis() -> None:
    system = [
        {
            "type": "text",
            "text": "A long, stable system prompt. " * 20,
            "cache_control": {"type": "ephemeral"},
        }
    ]
    kwargs = {
        "model": MODEL,
        "max_tokens": 50,
        "system": system,
        "messages": [{"role": "user", "content": "Hi"}],
    }
    usages: dict[str, list[Any]] = {}
    for api in ("invoke", "converse"):
        with Emulator() as emulator, client_for(emulator) as client:
            usages[api] = [client.messages.create(**kwargs, api=api).usage for _ in range(2)]  # type: ignore[arg-type]
    assert usages["converse"] == usages["invoke"]
    first, second = usages["converse"]
    assert first.cache_creation_input_tokens > 0 and second.cache_read_input_tokens > 0


def test_converse_create_is_typed(client: AnthropicBedrock) -> None:
    response = client.converse.create(
        model="opus",
        messages=[{"role": "user", "content": [{"text": "Hello, world"}]}],
        inferenceConfig={"maxTokens": 100, "stopSequences": ["reply"]},
        additionalModelResponseFieldPaths=["/stop_sequence"],
        performanceConfig={"latency": "standard"},
        serviceTier="priority",
    )
    assert isinstance(response, ConverseResponse)
    assert response.stopReason == "stop_sequence"
    assert response.additionalModelResponseFields == {"stop_sequence": "reply"}
    assert response.text.startswith("[emulator] You said") and "reply" not in response.text
    usage = response.usage
    assert usage.totalTokens == usage.inputTokens + usage.outputTokens > 0
    assert response.metrics.latencyMs >= 0 and response.request_id
    assert response.performanceConfig == {"latency": "standard"}
    assert response.serviceTier == {"type": "priority"}
    assert response.cost is not None and response.cost.usd > 0
    assert response.to_dict()["output"]["message"]["content"][0]["text"] == response.text


def test_converse_stream_events_rebuild_the_create_answer(client: AnthropicBedrock) -> None:
    kwargs: dict[str, Any] = {
        "modelId": MODEL,
        "messages": [{"role": "user", "content": [{"text": "Use get_weather"}]}],
        "toolConfig": {
            "tools": [
                {"toolSpec": {"name": "get_weather", "inputSchema": {"json": TOOL["input_schema"]}}}
            ],
            "toolChoice": {"tool": {"name": "get_weather"}},
        },
    }
    created = client.converse.create(**kwargs)
    with client.converse.stream(**kwargs) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds == [
        "messageStart",
        "contentBlockStart",
        *["contentBlockDelta"] * (len(kinds) - 5),
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    assert final.stopReason == created.stopReason == "tool_use"
    use, created_use = (
        final.output.message.content[0].toolUse,
        created.output.message.content[0].toolUse,
    )  # type: ignore[union-attr]
    assert use is not None and created_use is not None and use.input == created_use.input
    assert final.usage == created.usage and final.cost == created.cost


def test_converse_text_stream(client: AnthropicBedrock) -> None:
    created = client.converse.create(
        modelId=MODEL, messages=[{"role": "user", "content": [{"text": "Hi"}]}]
    )
    stream = client.converse.stream(
        modelId=MODEL, messages=[{"role": "user", "content": [{"text": "Hi"}]}]
    )
    assert "".join(stream.text_stream) == created.text
    assert stream.get_final_response().text == created.text


def test_async_converse_and_messages_over_converse(bedrock_emulator: Emulator) -> None:
    async def main() -> tuple[Any, ...]:
        async with async_client_for(bedrock_emulator) as client:
            message = await client.messages.create(**_kwargs(PROMPTS["tools"]), api="converse")
            stream = await client.messages.create(
                **_kwargs(PROMPTS["plain"]), api="converse", stream=True
            )
            async for _ in stream:
                pass
            async with client.messages.stream(
                **_kwargs(PROMPTS["plain"]), api="converse"
            ) as helper:
                text = "".join([piece async for piece in helper.text_stream])
            created = await client.converse.create(
                modelId=MODEL, messages=[{"role": "user", "content": [{"text": "Hi"}]}]
            )
            converse_stream = await client.converse.stream(
                modelId=MODEL, messages=[{"role": "user", "content": [{"text": "Hi"}]}]
            )
            async with converse_stream:
                final = await converse_stream.get_final_response()
            return message, stream.current_message_snapshot, text, created, final

    message, snapshot, text, created, final = asyncio.run(main())
    with client_for(bedrock_emulator) as client:
        assert _comparable(message) == _comparable(
            client.messages.create(**_kwargs(PROMPTS["tools"]))
        )
        plain = client.messages.create(**_kwargs(PROMPTS["plain"]))
    assert _comparable(snapshot) == _comparable(plain) and text == plain.content[0].text  # type: ignore[union-attr]
    assert final.text == created.text and final.usage == created.usage


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("throttlingException", RateLimitError),
        ("modelStreamErrorException", StreamError),
        ("validationException", BadRequestError),
        ("internalServerException", InternalServerError),
        ("serviceUnavailableException", ServiceUnavailableError),
    ],
)
def test_in_stream_exceptions_raise_their_error_class(
    client: AnthropicBedrock, fault: str, error: type[Exception]
) -> None:
    stream = client.converse.stream(
        modelId=MODEL,
        messages=[{"role": "user", "content": [{"text": "Hi"}]}],
        extra_headers={FAULT: f"{fault}@3"},
    )
    seen = []
    with pytest.raises(error) as caught:
        for event in stream:
            seen.append(event.type)
    assert seen[0] == "messageStart" and len(seen) == 3
    assert caught.value.error_type == fault[:1].upper() + fault[1:]  # type: ignore[attr-defined]


def test_in_stream_exception_over_messages_api_keeps_the_partial_message(
    client: AnthropicBedrock,
) -> None:
    stream = client.messages.create(
        **_kwargs(PROMPTS["plain"]),
        api="converse",
        stream=True,
        extra_headers={FAULT: "throttlingException@4"},
    )
    with pytest.raises(RateLimitError):
        list(stream)
    partial = stream.current_message_snapshot
    assert partial.stop_reason is None and partial.content[0].text  # type: ignore[union-attr]


def test_cut_stream_is_a_connection_error(client: AnthropicBedrock) -> None:
    stream = client.converse.stream(
        modelId=MODEL,
        messages=[{"role": "user", "content": [{"text": "Hi"}]}],
        extra_headers={FAULT: "truncate@2"},
    )
    with pytest.raises(APIConnectionError):
        list(stream)


def test_bedrock_validation_errors_surface_as_bad_request(client: AnthropicBedrock) -> None:
    with pytest.raises(BadRequestError, match="must alternate between user and assistant"):
        client.converse.create(
            modelId=MODEL,
            messages=[
                {"role": "user", "content": [{"text": "a"}]},
                {"role": "user", "content": [{"text": "b"}]},
            ],
        )


def test_misspelt_fields_are_refused_before_sending(client: AnthropicBedrock) -> None:
    with pytest.raises(ConverseRequestError, match="unknown field 'max_tokens'") as caught:
        client.converse.create(
            modelId=MODEL,
            messages=[{"role": "user", "content": [{"text": "a"}]}],
            inferenceConfig={"max_tokens": 5},
        )
    assert isinstance(caught.value, ClientValidationError)


def test_model_is_required_once(client: AnthropicBedrock) -> None:
    with pytest.raises(TypeError):
        client.converse.create(messages=[{"role": "user", "content": [{"text": "a"}]}])
    with pytest.raises(TypeError):
        client.converse.create(model="opus", modelId=MODEL, messages=[])


def test_unknown_keywords_are_refused_before_sending(
    client: AnthropicBedrock, bedrock_emulator: Emulator
) -> None:
    """The keywords are a TypedDict (as for ``messages.create``): a misspelt one (boto3's
    ``converse`` has no ``max_tokens``) is a ``TypeError`` naming it, sync and async."""
    messages = [{"role": "user", "content": [{"text": "a"}]}]
    bad: dict[str, Any] = {"max_tokens": 5}
    with pytest.raises(TypeError, match="max_tokens"):
        client.converse.create(modelId=MODEL, messages=messages, **bad)
    with pytest.raises(TypeError, match="max_tokens"):
        client.converse.stream(modelId=MODEL, messages=messages, **bad)

    async def main() -> None:
        async with async_client_for(bedrock_emulator) as aclient:
            with pytest.raises(TypeError, match="max_tokens"):
                await aclient.converse.create(modelId=MODEL, messages=messages, **bad)

    asyncio.run(main())


# -- documents -------------------------------------------------------------------------------


def _pdf_content(citations: bool) -> list[dict[str, Any]]:
    document: dict[str, Any] = {
        "format": "pdf",
        "name": "Field notes",
        "source": {"bytes": make_pdf(2, "okapi")},
    }
    if citations:
        document["citations"] = {"enabled": True}
    return [{"document": document}, {"text": "Summarise the notes."}]


def test_pdf_without_citations_warns_on_converse_create(client: AnthropicBedrock) -> None:
    with pytest.warns(TextOnlyPdfWarning):
        client.converse.create(
            modelId=MODEL, messages=[{"role": "user", "content": _pdf_content(False)}]
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", TextOnlyPdfWarning)
        response = client.converse.create(
            modelId=MODEL, messages=[{"role": "user", "content": _pdf_content(True)}]
        )
    assert response.stopReason == "end_turn"


def test_pdf_over_messages_api_converse_matches_invoke(client: AnthropicBedrock) -> None:
    data = base64.b64encode(make_pdf(2, "tapir")).decode()
    document = {
        "type": "document",
        "title": "Tapir notes",
        "citations": {"enabled": True},
        "source": {"type": "base64", "media_type": "application/pdf", "data": data},
    }
    kwargs = _kwargs(
        {
            "messages": [
                {"role": "user", "content": [document, {"type": "text", "text": "Quote it"}]}
            ]
        }
    )
    invoked = client.messages.create(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TextOnlyPdfWarning)
        conversed = client.messages.create(**kwargs, api="converse")
    assert _comparable(conversed) == _comparable(invoked)


def test_invalid_document_names_are_refused_before_sending(client: AnthropicBedrock) -> None:
    content = _pdf_content(True)
    content[0]["document"]["name"] = "notes.pdf"
    with pytest.raises(ClientValidationError, match="notes.pdf"):
        client.converse.create(modelId=MODEL, messages=[{"role": "user", "content": content}])


def test_converse_document_limits_apply_before_sending_over_messages_api(
    client: AnthropicBedrock,
) -> None:
    data = base64.b64encode(make_pdf(1, "ibis")).decode()
    documents = [
        {
            "type": "document",
            "title": f"Part {n}",
            "citations": {"enabled": True},
            "source": {"type": "base64", "media_type": "application/pdf", "data": data},
        }
        for n in range(6)
    ]
    kwargs = _kwargs(
        {"messages": [{"role": "user", "content": [*documents, {"type": "text", "text": "Read"}]}]}
    )
    with pytest.raises(DocumentLimitError) as caught:
        client.messages.create(**kwargs, api="converse")
    assert caught.value.limit == "documents_per_request"
    assert (
        client.messages.create(**kwargs).stop_reason == "end_turn"
    )  # InvokeModel has no such limit


def test_pdf_without_citations_warns_over_messages_api(client: AnthropicBedrock) -> None:
    data = base64.b64encode(make_pdf(1, "ibis")).decode()
    document = {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": data},
    }
    kwargs = _kwargs(
        {"messages": [{"role": "user", "content": [document, {"type": "text", "text": "Read"}]}]}
    )
    with pytest.warns(TextOnlyPdfWarning) as record:
        client.messages.create(**kwargs, api="converse")
    assert len(record) == 1


def test_typed_answers_can_be_sent_back_as_history(client: AnthropicBedrock) -> None:
    question = {"role": "user", "content": [{"text": "Use get_weather"}]}
    tools = {
        "tools": [
            {"toolSpec": {"name": "get_weather", "inputSchema": {"json": TOOL["input_schema"]}}}
        ]
    }
    first = client.converse.create(
        modelId=MODEL, messages=[question], toolConfig={**tools, "toolChoice": {"any": {}}}
    )
    assert first.output.message is not None
    use = first.output.message.content[0].toolUse
    assert use is not None
    result = {
        "role": "user",
        "content": [{"toolResult": {"toolUseId": use.toolUseId, "content": [{"text": "9 C"}]}}],
    }
    second = client.converse.create(
        modelId=MODEL, messages=[question, first.output.message, result], toolConfig=tools
    )
    assert second.stopReason == "end_turn" and "Received 1 tool result(s)" in second.text
