"""Converse and ConverseStream on the emulator through boto3: answers from the InvokeModel
engine, event-stream frames boto3 parses, and Bedrock's validation errors."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator, Mapping
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError

from claude_bedrock.converse import from_converse, to_converse
from claude_bedrock.emulator import DeterministicEngine, Emulator
from claude_bedrock.types import Message
from converse.files import make_pdf, make_png

from .conftest import MODEL, REGION, RawClient, body, error_of, invoke

PDF = make_pdf(3, "okapi")
PNG = make_png(4, 3)
WEATHER = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Weather for a city",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            }
        },
    }
}


def user(*content: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"role": "user", "content": list(content)}]


def converse(runtime: Any, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("modelId", MODEL)
    response: dict[str, Any] = runtime.converse(**kwargs)
    response.pop("ResponseMetadata")
    return response


def stream_events(runtime: Any, **kwargs: Any) -> list[dict[str, Any]]:
    kwargs.setdefault("modelId", MODEL)
    return list(runtime.converse_stream(**kwargs)["stream"])


def refusal(runtime: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        converse(runtime, **kwargs)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(caught.value.response["Error"]["Message"])


def text_of(events: list[dict[str, Any]]) -> str:
    return "".join(
        e["contentBlockDelta"]["delta"].get("text", "") for e in events if "contentBlockDelta" in e
    )


# -- answers ---------------------------------------------------------------------------------


def test_converse_answers_with_usage_and_metrics(runtime: Any) -> None:
    response = converse(
        runtime, messages=user({"text": "Hello, world"}), inferenceConfig={"maxTokens": 200}
    )
    assert response["stopReason"] == "end_turn"
    text = response["output"]["message"]["content"][0]["text"]
    assert text.startswith('[emulator] You said: "Hello, world"')
    usage = response["usage"]
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"] > 0
    assert isinstance(response["metrics"]["latencyMs"], int)


def test_same_prompt_same_text_and_usage_as_invoke_model(runtime: Any) -> None:
    answer = invoke(
        runtime,
        body(max_tokens=200, system="Be brief.", messages=[{"role": "user", "content": "Hi"}]),
    )
    response = converse(
        runtime,
        messages=user({"text": "Hi"}),
        system=[{"text": "Be brief."}],
        inferenceConfig={"maxTokens": 200},
    )
    assert response["output"]["message"]["content"][0]["text"] == answer["content"][0]["text"]
    assert response["usage"]["inputTokens"] == answer["usage"]["input_tokens"]
    assert response["usage"]["outputTokens"] == answer["usage"]["output_tokens"]


def test_converse_stream_events_as_boto3_parses_them(runtime: Any) -> None:
    kwargs: dict[str, Any] = {
        "messages": user({"text": "Hello, world"}),
        "inferenceConfig": {"maxTokens": 200},
    }
    events = stream_events(runtime, **kwargs)
    kinds = [next(iter(event)) for event in events]
    assert kinds[0] == "messageStart" and events[0]["messageStart"] == {"role": "assistant"}
    assert kinds[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    assert set(kinds[1:-3]) == {"contentBlockDelta"}
    answer = converse(runtime, **kwargs)
    assert text_of(events) == answer["output"]["message"]["content"][0]["text"]
    metadata = events[-1]["metadata"]
    assert metadata["usage"] == answer["usage"] and "latencyMs" in metadata["metrics"]
    assert events[-2]["messageStop"] == {"stopReason": "end_turn"}


def test_tools_round_trip(runtime: Any) -> None:
    tools = {"tools": [WEATHER], "toolChoice": {"tool": {"name": "get_weather"}}}
    first = converse(runtime, messages=user({"text": "Weather in Oslo?"}), toolConfig=tools)
    assert first["stopReason"] == "tool_use"
    use = first["output"]["message"]["content"][0]["toolUse"]
    assert use["name"] == "get_weather" and isinstance(use["input"]["city"], str)
    history = [
        *user({"text": "Weather in Oslo?"}),
        first["output"]["message"],
        *user(
            {
                "toolResult": {
                    "toolUseId": use["toolUseId"],
                    "content": [{"json": {"temp": 12}}, {"text": "dry"}],
                }
            }
        ),
    ]
    second = converse(runtime, messages=history, toolConfig={"tools": [WEATHER]})
    assert second["stopReason"] == "end_turn"
    assert "Received 1 tool result(s)" in second["output"]["message"]["content"][0]["text"]


def test_tool_use_streams_as_start_and_input_deltas(runtime: Any) -> None:
    tools = {"tools": [WEATHER], "toolChoice": {"any": {}}}
    events = stream_events(runtime, messages=user({"text": "Use get_weather"}), toolConfig=tools)
    start = events[1]["contentBlockStart"]
    assert start["contentBlockIndex"] == 0 and start["start"]["toolUse"]["name"] == "get_weather"
    raw = "".join(
        e["contentBlockDelta"]["delta"]["toolUse"]["input"]
        for e in events
        if "contentBlockDelta" in e
    )
    answer = converse(runtime, messages=user({"text": "Use get_weather"}), toolConfig=tools)
    assert json.loads(raw) == answer["output"]["message"]["content"][0]["toolUse"]["input"]
    assert events[-2]["messageStop"]["stopReason"] == "tool_use"


def test_reasoning_content_with_signature(runtime: Any) -> None:
    kwargs: dict[str, Any] = {
        "messages": user({"text": "Think"}),
        "inferenceConfig": {"maxTokens": 3000},
        "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 1024}},
    }
    reasoning = converse(runtime, **kwargs)["output"]["message"]["content"][0]["reasoningContent"]
    assert reasoning["reasoningText"]["text"].startswith("[emulator] Considering")
    assert reasoning["reasoningText"]["signature"]
    deltas = [
        e["contentBlockDelta"]["delta"]
        for e in stream_events(runtime, **kwargs)
        if "contentBlockDelta" in e
    ]
    streamed = "".join(
        d["reasoningContent"].get("text", "") for d in deltas if "reasoningContent" in d
    )
    assert streamed == reasoning["reasoningText"]["text"]
    signatures = [
        d["reasoningContent"]["signature"]
        for d in deltas
        if "signature" in d.get("reasoningContent", {})
    ]
    assert signatures == [reasoning["reasoningText"]["signature"]]


def test_pdf_and_image(runtime: Any) -> None:
    content = [
        {
            "document": {
                "format": "pdf",
                "name": "Field notes",
                "source": {"bytes": PDF},
                "citations": {"enabled": True},
            }
        },
        {"image": {"format": "png", "source": {"bytes": PNG}}},
        {"text": "What is in these?"},
    ]
    response = converse(runtime, messages=user(*content), inferenceConfig={"maxTokens": 300})
    events = stream_events(runtime, messages=user(*content), inferenceConfig={"maxTokens": 300})
    assert text_of(events) == response["output"]["message"]["content"][0]["text"]
    assert events[-1]["metadata"]["usage"] == response["usage"]


class RecordingEngine(DeterministicEngine):
    """The default engine, keeping each request it is given (what the translation produced)."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[dict[str, Any]] = []

    def respond(self, request: Mapping[str, Any], model: str) -> dict[str, Any]:
        self.requests.append(copy.deepcopy(dict(request)))
        return super().respond(request, model)


@pytest.fixture(scope="module")
def recording() -> Iterator[tuple[RecordingEngine, Any]]:
    engine = RecordingEngine()
    with Emulator(engine=engine) as emulator:
        client = boto3.client(
            "bedrock-runtime",
            endpoint_url=emulator.url,
            region_name=REGION,
            aws_access_key_id=emulator.access_key,
            aws_secret_access_key=emulator.secret_key,
            config=Config(retries={"max_attempts": 1}),
        )
        yield engine, client


def test_the_engine_gets_the_invoke_model_body(recording: tuple[RecordingEngine, Any]) -> None:
    """The same conversation through both APIs reaches the engine as the same Messages body,
    PDF and image bytes intact."""
    engine, client = recording
    converse(
        client,
        system=[{"text": "Be brief."}, {"cachePoint": {"type": "default"}}],
        messages=user(
            {
                "document": {
                    "format": "pdf",
                    "name": "Field notes",
                    "source": {"bytes": PDF},
                    "citations": {"enabled": True},
                }
            },
            {"image": {"format": "png", "source": {"bytes": PNG}}},
            {"text": "Describe"},
        ),
        inferenceConfig={"maxTokens": 300, "temperature": 0.5, "stopSequences": ["STOP"]},
        toolConfig={"tools": [WEATHER], "toolChoice": {"auto": {}}},
        additionalModelRequestFields={"top_k": 40},
    )
    messages_body = body(
        max_tokens=300,
        temperature=0.5,
        top_k=40,
        stop_sequences=["STOP"],
        system=[{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        tools=[
            {
                "name": "get_weather",
                "description": "Weather for a city",
                "input_schema": WEATHER["toolSpec"]["inputSchema"]["json"],  # type: ignore[index]
            }
        ],
        tool_choice={"type": "auto"},
        messages=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "document",
                        "title": "Field notes",
                        "citations": {"enabled": True},
                        "source": {
                            "type": "base64",
                            "media_type": "application/pdf",
                            "data": base64.b64encode(PDF).decode(),
                        },
                    },
                    {
                        "type": "image",
                        "source": {
                            "type": "base64",
                            "media_type": "image/png",
                            "data": base64.b64encode(PNG).decode(),
                        },
                    },
                    {"type": "text", "text": "Describe"},
                ],
            }
        ],
    )
    invoke(client, messages_body)
    via_converse, via_invoke = engine.requests[-2:]
    assert via_converse == via_invoke


def test_default_max_tokens_is_4096(runtime: Any) -> None:
    response = converse(runtime, messages=user({"text": "emulator:tokens=5000 please"}))
    assert response["stopReason"] == "max_tokens"
    assert response["usage"]["outputTokens"] == 4096


def test_additional_response_field_paths(runtime: Any) -> None:
    response = converse(
        runtime,
        messages=user({"text": "Hello"}),
        inferenceConfig={"stopSequences": ["deterministic"]},
        additionalModelResponseFieldPaths=["/stop_sequence", "/usage/output_tokens", "/nowhere"],
    )
    fields = response["additionalModelResponseFields"]
    assert fields == {
        "stop_sequence": "deterministic",
        "usage": {"output_tokens": response["usage"]["outputTokens"]},
    }
    assert response["stopReason"] == "stop_sequence"
    assert "must start with '/'" in refusal(
        runtime,
        messages=user({"text": "Hello"}),
        additionalModelResponseFieldPaths=["stop_sequence"],
    )


def test_performance_config_and_service_tier_are_echoed(runtime: Any) -> None:
    kwargs: dict[str, Any] = {
        "messages": user({"text": "Hi"}),
        "performanceConfig": {"latency": "optimized"},
        "serviceTier": {"type": "flex"},
    }
    response = converse(runtime, **kwargs)
    assert response["performanceConfig"] == {"latency": "optimized"}
    assert response["serviceTier"] == {"type": "flex"}
    assert stream_events(runtime, **kwargs)[-1]["metadata"]["serviceTier"] == {"type": "flex"}


def test_cache_points_report_cache_tokens() -> None:
    with Emulator() as emulator:
        client = boto3.client(
            "bedrock-runtime",
            endpoint_url=emulator.url,
            region_name=REGION,
            aws_access_key_id=emulator.access_key,
            aws_secret_access_key=emulator.secret_key,
        )
        system = [
            {"text": "A stable prompt worth caching. " * 30},
            {"cachePoint": {"type": "default"}},
        ]
        first, second = (
            converse(client, system=system, messages=user({"text": "Hi"}))["usage"]
            for _ in range(2)
        )
    assert first["cacheWriteInputTokens"] > 0 and first["cacheReadInputTokens"] == 0
    assert second["cacheReadInputTokens"] == first["cacheWriteInputTokens"]
    assert second["totalTokens"] == first["totalTokens"]


# -- in-stream failures ----------------------------------------------------------------------


def test_stream_fault_reaches_boto3_as_an_event_stream_error(runtime: Any) -> None:
    def add_fault(request: Any, **_: Any) -> None:
        request.headers["x-emulator-stream-fault"] = "throttlingException@2"

    events = runtime.meta.events
    events.register_first("before-sign.bedrock-runtime.ConverseStream", add_fault)
    try:
        stream = runtime.converse_stream(modelId=MODEL, messages=user({"text": "Hi"}))["stream"]
        seen = []
        with pytest.raises(EventStreamError) as caught:
            for event in stream:
                seen.append(event)
    finally:
        events.unregister("before-sign.bedrock-runtime.ConverseStream", add_fault)
    assert len(seen) == 2 and caught.value.response["Error"]["Code"] == "throttlingException"
    # Bedrock's in-stream wording as aws-samples/aws-genai-llm-chatbot#220 quotes it.
    assert caught.value.response["Error"]["Message"] == (
        "Too many requests, please wait before trying again. "
        "You have sent too many requests. Wait before trying again."
    )


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        # InvokeModel's stream models it; botocore's ConverseStreamOutput does not.
        ("modelTimeoutException@1", "value for ConverseStream: 'modelTimeoutException'"),
        ("throttlingException@x", "expected NAME@N with N an integer"),
    ],
)
def test_converse_stream_refuses_faults_its_stream_cannot_carry(
    raw: RawClient, fault: str, words: str
) -> None:
    payload = {"messages": user({"text": "Hi"})}
    response = raw.post(
        f"/model/{MODEL}/converse-stream", payload, headers={"x-emulator-stream-fault": fault}
    )
    status, kind, message = error_of(response)
    assert (status, kind) == (400, "ValidationException") and words in message


def test_converse_stream_reset_fault_drops_the_connection(raw: RawClient) -> None:
    payload = {"messages": user({"text": "Hi"})}
    with pytest.raises(httpx.HTTPError):
        raw.post(
            f"/model/{MODEL}/converse-stream",
            payload,
            headers={"x-emulator-stream-fault": "reset@2"},
        )


# -- validation ------------------------------------------------------------------------------


def test_conversation_must_start_with_user(runtime: Any) -> None:
    message = refusal(runtime, messages=[{"role": "assistant", "content": [{"text": "Hi"}]}])
    assert message == (
        "A conversation must start with a user message. Try again with a conversation that "
        "starts with a user message."
    )


def test_roles_must_alternate(runtime: Any) -> None:
    message = refusal(runtime, messages=[*user({"text": "a"}), *user({"text": "b"})])
    assert message.startswith("A conversation must alternate between user and assistant roles.")


def test_blank_text_and_empty_content(runtime: Any) -> None:
    assert refusal(runtime, messages=user({"text": "ok"}, {"text": "  "})) == (
        "The text field in the ContentBlock object at messages.0.content.1 is blank. Add text "
        "to the text field, and try again."
    )
    assert refusal(runtime, messages=[{"role": "user", "content": []}]).startswith(
        "The content field in the Message object at messages.0 is empty."
    )


def test_tool_results_must_match_tool_uses(runtime: Any) -> None:
    use = {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {}}}
    result = {"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "12 C"}]}}
    extra = {"toolResult": {"toolUseId": "tooluse_2", "content": [{"text": "?"}]}}
    history = [*user({"text": "q"}), {"role": "assistant", "content": [use]}]
    assert refusal(
        runtime, messages=[*history, *user(result, extra)], toolConfig={"tools": [WEATHER]}
    ) == (
        "The number of toolResult blocks at messages.2.content exceeds the number of toolUse "
        "blocks of previous turn."
    )
    assert refusal(
        runtime, messages=[*history, *user({"text": "no result"})], toolConfig={"tools": [WEATHER]}
    ) == ("Expected toolResult blocks at messages.2.content for the following Ids: tooluse_1")


def test_shape_errors_boto3_does_not_catch(runtime: Any) -> None:
    """Coral's wording (issue 16's rule table: continuedev/continue #1938 for the enum,
    sampling.temperature_top_p_range for the range; member positions 1-based)."""
    assert refusal(runtime, messages=[{"role": "bot", "content": [{"text": "x"}]}]) == (
        "1 validation error detected: Value 'bot' at 'messages.1.member.role' failed to "
        "satisfy constraint: Member must satisfy enum value set: [user, assistant, system]"
    )
    assert refusal(runtime, messages=user({"text": "x"}), inferenceConfig={"temperature": 1.5}) == (
        "1 validation error detected: Value '1.5' at 'inferenceConfig.temperature' failed to "
        "satisfy constraint: Member must have value less than or equal to 1"
    )


def test_patterns_match_whole_values(runtime: Any) -> None:
    """botocore's patterns are whole-value constraints: Bedrock refused the tool name
    'Complete Session' (aws-samples/remote-swe-agents PR #457) though ``[a-zA-Z0-9_-]+``
    matches part of it. boto3 does not check patterns, so the emulator must."""

    def tools(name: str) -> dict[str, Any]:
        spec = {"name": name, "inputSchema": {"json": {"type": "object"}}}
        return {"tools": [{"toolSpec": spec}]}

    message = refusal(runtime, messages=user({"text": "x"}), toolConfig=tools("Complete Session"))
    # Coral's member path (1-based, ``.member``), as in the quoted Bedrock answer
    assert "toolConfig.tools.1.member.toolSpec.name" in message and "[a-zA-Z0-9_-]+" in message
    assert converse(runtime, messages=user({"text": "x"}), toolConfig=tools("complete_session"))


def test_unknown_fields_are_refused(raw: RawClient) -> None:
    path = f"/model/{MODEL.replace(':', '%3A')}/converse"
    status, kind, message = error_of(
        raw.post(path, {"messages": user({"text": "x"}), "maxTokens": 5})
    )
    assert (status, kind) == (400, "ValidationException")
    assert "unknown field 'maxTokens'" in message
    nested = {"messages": [{"role": "user", "content": [{"text": "x", "type": "text"}]}]}
    _, _, message = error_of(raw.post(path, nested))
    assert message.startswith(
        "The ContentBlock object at messages.0.content.0 has an unknown field 'type'."
    )
    two = {
        "messages": [
            {"role": "user", "content": [{"text": "x", "cachePoint": {"type": "default"}}]}
        ]
    }
    _, _, message = error_of(raw.post(path, two))
    assert message.startswith(
        "ContentBlock object at messages.0.content.0 can set only one of the following keys: text,"
    )


def test_model_errors_carry_bedrocks_prefix(runtime: Any) -> None:
    message = refusal(
        runtime, messages=user({"text": "x"}), additionalModelRequestFields={"top_k": 9999}
    )
    assert message.startswith(
        "The model returned the following errors: Malformed input request: #: subject must "
        'not be valid against schema {"required":["messages"]}#/top_k'
    )
    # The one Converse report of it shows the prefix (GenAI IDP accelerator #204).
    assert refusal(
        runtime, messages=user({"text": "x"}), inferenceConfig={"maxTokens": 10_000_000}
    ).startswith(
        "The model returned the following errors: The maximum tokens you requested exceeds "
        "the model limit of"
    )


def test_bedrock_level_errors_have_no_prefix(runtime: Any) -> None:
    assert refusal(
        runtime, modelId="anthropic.claude-nothing-v9:0", messages=user({"text": "x"})
    ) == ("The provided model identifier is invalid.")


def test_additional_fields_cannot_override_converse_fields(runtime: Any) -> None:
    message = refusal(
        runtime,
        messages=user({"text": "x"}),
        system=[{"text": "s"}],
        additionalModelRequestFields={"system": "t"},
    )
    assert "The additional field system conflicts with an existing field." in message


def test_guardrails_are_not_emulated(runtime: Any) -> None:
    message = refusal(
        runtime,
        messages=user({"text": "x"}),
        guardrailConfig={"guardrailIdentifier": "abc123", "guardrailVersion": "1"},
    )
    assert message == "The guardrail identifier or version provided in the request does not exist."


def test_too_many_images(runtime: Any) -> None:
    images = [{"image": {"format": "png", "source": {"bytes": PNG}}}] * 21
    assert refusal(runtime, messages=user(*images, {"text": "x"})) == (  # the rule table's quote
        "The model returned the following errors: messages: too many images and documents: "
        "21 + 0 > 20"
    )


# -- interop: our translation with boto3's calls ---------------------------------------------


def test_to_converse_output_is_boto3_converse_input(runtime: Any) -> None:
    params = {
        "model": MODEL,
        "max_tokens": 200,
        "system": "Be brief.",
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {
                            "type": "base64",
                            "media_type": "image/png",
                            "data": base64.b64encode(PNG).decode(),
                        },
                    },
                    {"type": "text", "text": "Colour?"},
                ],
            }
        ],
        "top_k": 20,
    }
    request = to_converse(params)
    answer = from_converse(runtime.converse(**request), model="claude-opus-4-6")
    params.pop("model")
    invoked = invoke(runtime, body(**params))
    assert answer.model_dump(exclude={"id"}) == Message.model_validate(invoked).model_dump(
        exclude={"id"}
    )


def test_a_request_that_does_not_translate_gets_bedrocks_words_when_known(runtime: Any) -> None:
    """Bedrock's own message, without the translation's field path in front of it."""
    message = refusal(
        runtime,
        messages=user({"text": "x"}),
        inferenceConfig={"maxTokens": 5},
        additionalModelRequestFields={"max_tokens": 7},
    )
    assert message == "The additional field max_tokens conflicts with an existing field."
