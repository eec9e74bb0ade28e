"""InvokeModel body validation, with Bedrock's wording."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from claude_bedrock.emulator.errors import BedrockError
from claude_bedrock.emulator.validation import validate_invoke_body

from .conftest import body, invoke

PREFIX = "Malformed input request: "
SUFFIX = ", please reformat your input and try again."


def _message(payload: object, **kwargs: Any) -> str:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    with pytest.raises(BedrockError) as caught:
        validate_invoke_body(raw, **kwargs)
    assert caught.value.error_type == "ValidationException"
    assert caught.value.status == 400
    return caught.value.message


#: everit's report of the schema's legacy branch, first whenever the body has ``messages``.
NOT_LEGACY = '#: subject must not be valid against schema {"required":["messages"]}'


def _schema(payload: object) -> list[str]:
    """The violations, in order (everit concatenates them with no separator)."""
    message = _message(payload)
    assert message.startswith(PREFIX) and message.endswith(SUFFIX)
    content = message[len(PREFIX) : -len(SUFFIX)]
    if isinstance(payload, dict) and "messages" in payload:
        assert content.startswith(NOT_LEGACY)
        content = content[len(NOT_LEGACY) :]
    return [part for part in re.split(r"(?=#[:/])", content) if part]


def test_valid_bodies_pass_unchanged() -> None:
    payload = body(
        system=[{"type": "text", "text": "Be brief", "cache_control": {"type": "ephemeral"}}],
        temperature=0.5,
        top_p=0.9,
        top_k=40,
        stop_sequences=["END"],
        anthropic_beta=["context-1m-2025-08-07"],
        metadata={"user_id": "u-1"},
    )
    assert validate_invoke_body(json.dumps(payload).encode()) == payload


@pytest.mark.parametrize("version", ["bedrock-2023-05-31", "2026-10-21", "2023-06-01"])
def test_accepted_anthropic_versions(version: str) -> None:
    validate_invoke_body(json.dumps(body(anthropic_version=version)).encode())


def test_the_version_the_installed_anthropic_sdk_sends_is_accepted() -> None:
    from anthropic._constants import ANTHROPIC_API_VERSION

    validate_invoke_body(json.dumps(body(anthropic_version=ANTHROPIC_API_VERSION)).encode())


def test_missing_anthropic_version() -> None:
    assert _message(body(anthropic_version=None)) == (
        f"Malformed input request: {NOT_LEGACY}#: required key [anthropic_version] not found, "
        "please reformat your input and try again."
    )


def test_bad_anthropic_version() -> None:
    assert _schema(body(anthropic_version="v2")) == [
        "#/anthropic_version: v2 is not a valid enum value"
    ]


def test_model_and_stream_keys_are_extraneous() -> None:
    assert _schema(body(model="claude", stream=True)) == [
        "#: extraneous key [model] is not permitted",
        "#: extraneous key [stream] is not permitted",
    ]


def test_missing_max_tokens() -> None:
    assert _schema(body(max_tokens=None)) == ["#: required key [max_tokens] not found"]


@pytest.mark.parametrize(
    ("overrides", "violation"),
    [
        ({"max_tokens": "100"}, "#/max_tokens: expected type: Integer, found: String"),
        ({"max_tokens": 1.5}, "#/max_tokens: expected type: Integer, found: BigDecimal"),
        ({"max_tokens": 0}, "#/max_tokens: 0 is not greater or equal to 1"),
        ({"temperature": 1.5}, "#/temperature: 1.5 is not less or equal to 1"),
        ({"temperature": None, "top_p": -0.1}, "#/top_p: -0.1 is not greater or equal to 0"),
        ({"top_k": 501}, "#/top_k: 501 is not less or equal to 500"),
        ({"messages": "hi"}, "#/messages: expected type: JSONArray, found: String"),
        ({"system": 3}, "#/system: expected type: String or JSONArray, found: Integer"),
        ({"stop_sequences": [1]}, "#/stop_sequences/0: expected type: String, found: Integer"),
        (
            {"messages": [{"role": "system", "content": "x"}]},
            "#/messages/0/role: system is not a valid enum value",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "video"}]}]},
            "#/messages/0/content/0/type: video is not a valid enum value",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "text"}]}]},
            "#/messages/0/content/0: required key [text] not found",
        ),
        (
            {"messages": [{"role": "user", "content": "x", "name": "bob"}]},
            "#/messages/0: extraneous key [name] is not permitted",
        ),
        (
            {"thinking": {"type": "adaptive-ish"}},
            "#/thinking/type: adaptive-ish is not a valid enum value",
        ),
        (
            {"tool_choice": {"type": "sometimes"}},
            "#/tool_choice/type: sometimes is not a valid enum value",
        ),
        ({"tools": [{"name": "x"}]}, "#/tools/0: required key [input_schema] not found"),
    ],
)
def test_schema_violations(overrides: dict[str, Any], violation: str) -> None:
    assert _schema(body(**overrides)) == [violation]


def test_several_violations_are_listed_together() -> None:
    payload = {"messages": [], "top_n": 1}
    assert _schema(payload) == [
        "#: required key [anthropic_version] not found",
        "#: required key [max_tokens] not found",
        "#: extraneous key [top_n] is not permitted",
    ]


@pytest.mark.parametrize("raw", [b"", b"{not json", b"\xff\xfe"])
def test_malformed_json(raw: bytes) -> None:
    assert _message(raw) == "Malformed input request, please reformat your input and try again."


def test_body_must_be_an_object() -> None:
    assert _schema([1, 2]) == ["#: expected type: JSONObject, found: JSONArray"]


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([], "messages: at least one message is required"),
        (
            [{"role": "assistant", "content": "Hi"}],
            'messages: first message must use the "user" role',
        ),
        (
            [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
            'messages: roles must alternate between "user" and "assistant", but found '
            'multiple "user" roles in a row',
        ),
        (
            [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": "b"},
                {"role": "assistant", "content": "c"},
            ],
            'messages: roles must alternate between "user" and "assistant", but found '
            'multiple "assistant" roles in a row',
        ),
        ([{"role": "user", "content": ""}], "messages.0: all messages must have non-empty"),
        (
            [{"role": "user", "content": [{"type": "text", "text": ""}]}],
            "messages: text content blocks must be non-empty",
        ),
    ],
)
def test_conversation_rules(messages: list[Any], expected: str) -> None:
    assert _message(body(messages=messages)).startswith(expected)


def test_a_final_assistant_prefill_may_be_empty_or_not() -> None:
    for prefill in ("The answer is", ""):
        messages = [{"role": "user", "content": "Q"}, {"role": "assistant", "content": prefill}]
        validate_invoke_body(json.dumps(body(messages=messages)).encode())


def test_max_tokens_above_the_model_limit() -> None:
    assert _message(body(max_tokens=5000), max_output_tokens=4096) == (
        "The maximum tokens you requested exceeds the model limit of 4096. "
        "Try again with a maximum tokens value that is lower than 4096."
    )


def test_thinking_rules() -> None:
    thinking = {"type": "enabled", "budget_tokens": 2048}
    assert _message(body(max_tokens=1024, thinking=thinking)).startswith(
        "`max_tokens` must be greater than `thinking.budget_tokens`"
    )
    assert "temperature" in _message(body(max_tokens=4096, thinking=thinking, temperature=0.2))
    small = {"type": "enabled", "budget_tokens": 10}
    assert _message(body(max_tokens=4096, thinking=small)) == (
        "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
    )


def test_tool_choice_rules() -> None:
    assert _message(body(tool_choice={"type": "any"})) == (
        "tool_choice.any may only be specified while providing tools"  # the quoted form
    )
    tools = [{"name": "a", "input_schema": {"type": "object"}}]
    assert "`b`" in _message(body(tools=tools, tool_choice={"type": "tool", "name": "b"}))


def test_tool_use_and_tool_result_must_pair() -> None:
    use = {"type": "tool_use", "id": "toolu_1", "name": "a", "input": {}}
    result = {"type": "tool_result", "tool_use_id": "toolu_2", "content": "ok"}
    orphan_use = [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [use]},
        {"role": "user", "content": "next"},
    ]
    assert "`tool_use` ids were found without `tool_result`" in _message(body(messages=orphan_use))
    wrong_id = [*orphan_use[:2], {"role": "user", "content": [result]}]
    assert "unexpected `tool_use_id`" in _message(body(messages=wrong_id))


def test_validation_errors_through_boto3(runtime: Any) -> None:
    with pytest.raises(ClientError) as caught:
        invoke(runtime, body(model="claude", max_tokens=None))
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (  # everit's form (pingcap/autoflow #574, JetBrains/koog #500)
        f"Malformed input request: {NOT_LEGACY}#: required key [max_tokens] not found#: "
        "extraneous key [model] is not permitted, please reformat your input and try again."
    )
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_max_tokens_limit_of_the_catalogue_through_boto3(runtime: Any) -> None:
    with pytest.raises(ClientError) as caught:
        invoke(runtime, body(max_tokens=10_000_000))
    assert "exceeds the model limit" in caught.value.response["Error"]["Message"]


def test_quoted_values_are_truncated_not_reflected_at_length() -> None:
    huge = "x" * 10_000
    message = _message(body(anthropic_version=huge, **{huge: 1}))
    assert huge not in message and len(message) < 400
