"""InvokeModel and InvokeModelWithResponseStream through real clients (boto3, Anthropic SDK)."""

from __future__ import annotations

import base64
import json
from typing import Any

import anthropic
import pytest
from botocore.exceptions import ClientError, EventStreamError

from claude_bedrock.emulator import Emulator
from claude_bedrock.wire import eventstream

from .conftest import MODEL, REGION, RawClient, body, error_of, invoke


def _stream_events(runtime: Any, payload: dict[str, Any], **kwargs: Any) -> list[dict[str, Any]]:
    response = runtime.invoke_model_with_response_stream(
        modelId=MODEL, body=json.dumps(payload), **kwargs
    )
    return [json.loads(part["chunk"]["bytes"]) for part in response["body"]]


def _text(message: dict[str, Any]) -> str:
    return "".join(b["text"] for b in message["content"] if b["type"] == "text")


def _streamed_text(events: list[dict[str, Any]]) -> str:
    return "".join(
        e["delta"]["text"]
        for e in events
        if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta"
    )


def test_boto3_invoke_model_returns_a_messages_api_response(runtime: Any) -> None:
    response = runtime.invoke_model(modelId=MODEL, body=json.dumps(body()))
    message = json.loads(response["body"].read())
    assert response["contentType"] == "application/json"
    assert message["id"].startswith("msg_bdrk_")
    assert (message["type"], message["role"]) == ("message", "assistant")
    assert message["model"] == "claude-opus-4-6"
    assert message["stop_reason"] == "end_turn" and message["stop_sequence"] is None
    assert _text(message).startswith("[emulator]") and "Hello, world" in _text(message)
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    usage = message["usage"]
    assert int(headers["x-amzn-bedrock-input-token-count"]) == usage["input_tokens"] > 0
    assert int(headers["x-amzn-bedrock-output-token-count"]) == usage["output_tokens"] > 0
    assert headers["x-amzn-requestid"] == response["ResponseMetadata"]["RequestId"]


def test_answers_are_deterministic(runtime: Any) -> None:
    first, second = invoke(runtime, body()), invoke(runtime, body())
    assert first["content"] == second["content"] and first["usage"] == second["usage"]
    assert first["id"] != second["id"]


def test_model_ids_in_every_accepted_form(runtime: Any) -> None:
    forms = [
        "global.anthropic.claude-opus-4-6-v1",
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        f"arn:aws:bedrock:{REGION}:123456789012:inference-profile/"
        "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        f"arn:aws:bedrock:{REGION}:123456789012:inference-profile/"
        "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ]
    names = [invoke(runtime, body(), model=form)["model"] for form in forms]
    assert names == [
        "claude-opus-4-6",
        "claude-sonnet-4-5-20250929",
        "claude-haiku-4-5-20251001",
        "claude-sonnet-4-5-20250929",
    ]


def test_base_id_of_a_profile_only_model_is_refused(runtime: Any) -> None:
    with pytest.raises(ClientError) as caught:
        invoke(runtime, body(), model="anthropic.claude-opus-4-6-v1")
    assert caught.value.response["Error"]["Message"] == (
        "Invocation of model ID anthropic.claude-opus-4-6-v1 with on-demand throughput "
        "isn\u2019t supported. Retry your request with the ID or ARN of an inference profile "
        "that contains this model."
    )


@pytest.mark.parametrize(
    "model",
    [
        "amazon.titan-text-express-v1",
        "anthropic.gpt-5",
        "nope",
        "jp.anthropic.claude-opus-4-6-v1",  # a profile of another geography
        "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
    ],
)
def test_unknown_model_is_a_validation_error(runtime: Any, model: str) -> None:
    with pytest.raises(ClientError) as caught:
        invoke(runtime, body(), model=model)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"] == "The provided model identifier is invalid."


def test_anthropic_sdk_messages_create(emulator: Emulator) -> None:
    client = anthropic.AnthropicBedrock(
        aws_access_key=emulator.access_key,
        aws_secret_key=emulator.secret_key,
        aws_region=REGION,
        base_url=emulator.url,
        max_retries=0,
    )
    message = client.messages.create(
        model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "Hello, world"}]
    )
    assert message.model == "claude-opus-4-6"
    assert message.content[0].type == "text"
    assert message.content[0].text.startswith('[emulator] You said: "Hello, world"')
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0


def test_anthropic_sdk_with_a_bedrock_api_key(emulator: Emulator) -> None:
    client = anthropic.AnthropicBedrock(
        api_key=emulator.api_key, aws_region=REGION, base_url=emulator.url, max_retries=0
    )
    message = client.messages.create(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "Hi"}]
    )
    assert message.stop_reason in ("end_turn", "max_tokens")


def test_anthropic_sdk_stream_matches_create(emulator: Emulator) -> None:
    client = anthropic.AnthropicBedrock(
        aws_access_key=emulator.access_key,
        aws_secret_key=emulator.secret_key,
        aws_region=REGION,
        base_url=emulator.url,
        max_retries=0,
    )
    kwargs: Any = {
        "model": MODEL,
        "max_tokens": 200,
        "messages": [{"role": "user", "content": "Tell me a story emulator:tokens=150"}],
    }
    created = client.messages.create(**kwargs)
    with client.messages.stream(**kwargs) as stream:
        texts = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(texts) > 10
    assert "".join(texts) == created.content[0].text == final.content[0].text
    assert final.usage.output_tokens == created.usage.output_tokens
    assert final.stop_reason == created.stop_reason


def test_boto3_stream_text_equals_invoke_text(runtime: Any) -> None:
    payload = body(
        messages=[{"role": "user", "content": "Stream this emulator:tokens=300"}], max_tokens=400
    )
    events = _stream_events(runtime, payload)
    message = invoke(runtime, payload)
    assert _streamed_text(events) == _text(message)
    kinds = [e["type"] for e in events]
    assert kinds[:2] == ["message_start", "content_block_start"]
    assert kinds[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert events[-2]["usage"]["output_tokens"] == message["usage"]["output_tokens"]
    metrics = events[-1]["amazon-bedrock-invocationMetrics"]
    assert metrics["inputTokenCount"] == message["usage"]["input_tokens"]
    assert metrics["outputTokenCount"] == message["usage"]["output_tokens"]
    assert metrics["invocationLatency"] >= metrics["firstByteLatency"] >= 0


def test_stream_of_a_tool_call_rebuilds_the_input(runtime: Any) -> None:
    tool = {
        "name": "get_weather",
        "description": "Weather for a city",
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
            "required": ["city", "days"],
        },
    }
    payload = body(tools=[tool], tool_choice={"type": "tool", "name": "get_weather"})
    events = _stream_events(runtime, payload)
    message = invoke(runtime, payload)
    partial = "".join(
        e["delta"]["partial_json"]
        for e in events
        if e["type"] == "content_block_delta" and e["delta"]["type"] == "input_json_delta"
    )
    assert json.loads(partial) == message["content"][-1]["input"]
    assert events[-2]["delta"]["stop_reason"] == "tool_use"


def test_stream_validation_errors_come_before_the_stream(runtime: Any) -> None:
    with pytest.raises(ClientError) as caught:
        _stream_events(runtime, body(max_tokens=None))
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "required key [max_tokens] not found" in caught.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ("throttlingException", "throttlingException"),
        ("ModelStreamErrorException", "modelStreamErrorException"),
        ("internalServerException", "internalServerException"),
        ("serviceUnavailableException", "serviceUnavailableException"),
    ],
)
def test_injected_stream_exception_reaches_boto3(runtime: Any, fault: str, code: str) -> None:
    def add_header(request: Any, **_: Any) -> None:
        request.headers["x-emulator-stream-fault"] = f"{fault}@3"

    runtime.meta.events.register_first("before-sign.bedrock-runtime.*", add_header)
    try:
        response = runtime.invoke_model_with_response_stream(modelId=MODEL, body=json.dumps(body()))
        received = []
        with pytest.raises(EventStreamError) as caught:
            for part in response["body"]:
                received.append(part)
    finally:
        runtime.meta.events.unregister("before-sign.bedrock-runtime.*", add_header)
    assert len(received) == 3
    assert caught.value.response["Error"]["Code"] == code


def test_injected_fault_seen_as_an_exception_frame(raw: RawClient) -> None:
    path = f"/model/{MODEL}/invoke-with-response-stream"
    response = raw.post(path, body(), headers={"x-emulator-stream-fault": "throttlingException@2"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.amazon.eventstream"
    decoder = eventstream.Decoder()
    messages = decoder.feed(response.content)
    assert [m.message_type for m in messages] == ["event", "event", "exception"]
    assert messages[-1].exception_type == "throttlingException"
    # Bedrock's in-stream wording (aws-samples/aws-genai-llm-chatbot#220), labelled as
    # injected by a frame header, not in the message.
    assert json.loads(messages[-1].payload)["message"] == (
        "Too many requests, please wait before trying again. "
        "You have sent too many requests. Wait before trying again."
    )
    assert messages[-1].headers["x-emulator-injected"] == "true"
    assert "x-emulator-injected" not in messages[0].headers
    first = json.loads(base64.b64decode(json.loads(messages[0].payload)["bytes"]))
    assert first["type"] == "message_start"


def test_unknown_fault_name_is_rejected(raw: RawClient) -> None:
    path = f"/model/{MODEL}/invoke-with-response-stream"
    response = raw.post(path, body(), headers={"x-emulator-stream-fault": "explode@1"})
    status, kind, message = error_of(response)
    assert (status, kind) == (400, "ValidationException") and "explode" in message


def test_connection_reset_fault(raw: RawClient) -> None:
    import httpx

    path = f"/model/{MODEL}/invoke-with-response-stream"
    with pytest.raises(httpx.HTTPError):
        raw.post(path, body(), headers={"x-emulator-stream-fault": "reset@2"})


def test_sdk_stream_surfaces_injected_exception(emulator: Emulator) -> None:
    client = anthropic.AnthropicBedrock(
        aws_access_key=emulator.access_key,
        aws_secret_key=emulator.secret_key,
        aws_region=REGION,
        base_url=emulator.url,
        max_retries=0,
        default_headers={"x-emulator-stream-fault": "throttlingException@4"},
    )
    messages: Any = [{"role": "user", "content": "Hi"}]
    with (
        pytest.raises(anthropic.APIError) as caught,
        client.messages.stream(model=MODEL, max_tokens=64, messages=messages) as stream,
    ):
        list(stream.text_stream)
    assert "Too many requests" in str(caught.value)


def test_pace_spreads_the_stream_over_time() -> None:
    """Pacing sleeps until each delta's due time, so the stream lasts at least
    tokens / pace seconds (a lower bound from the sleeps, not a speed threshold)."""
    import boto3

    from claude_bedrock.emulator.tokens import count_text

    pace = 400.0
    with Emulator(pace=pace) as paced:
        client = boto3.client(
            "bedrock-runtime",
            endpoint_url=paced.url,
            aws_access_key_id=paced.access_key,
            aws_secret_access_key=paced.secret_key,
            region_name=REGION,
        )
        payload = body(messages=[{"role": "user", "content": "go emulator:tokens=200"}])
        events = _stream_events(client, payload)
    streamed = sum(
        count_text(e["delta"].get("text", "")) for e in events if e["type"] == "content_block_delta"
    )
    latency_ms = events[-1]["amazon-bedrock-invocationMetrics"]["invocationLatency"]
    assert streamed == 200
    assert latency_ms >= int(streamed / pace * 1000) - 1


def test_context_window_and_the_retired_1m_beta(runtime: Any) -> None:
    """Sonnet 4.5 is back to 200K: above it Bedrock refuses, with or without the retired
    beta. Opus 4.6 has 1M natively, no beta needed."""
    long_text = "word " * 80_000  # 80k pieces + 128k max_tokens > 200k context
    sonnet = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    payload = body(max_tokens=64_000, messages=[{"role": "user", "content": long_text * 2}])
    for betas in ([], ["context-1m-2025-08-07"]):
        payload["anthropic_beta"] = betas
        with pytest.raises(ClientError) as caught:
            invoke(runtime, payload, model=sonnet)
        message = caught.value.response["Error"]["Message"]
        assert message == "Input is too long for requested model."
    opus = body(max_tokens=128_000, messages=[{"role": "user", "content": long_text}])
    assert invoke(runtime, opus)["usage"]["input_tokens"] > 80_000
