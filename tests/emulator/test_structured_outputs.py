"""The emulator's structured outputs and tool loop: ``output_config`` on InvokeModel (its
shape checked as Bedrock's schema stage checks every field), JSON answers valid against
the schema, and a multi-step tool loop a tool runner can drive."""

from __future__ import annotations

import json
from typing import Any

import pytest

from claude_bedrock.emulator.engine import DeterministicEngine, message_to_events
from claude_bedrock.emulator.errors import BedrockError
from claude_bedrock.emulator.validation import validate_invoke_body

from .conftest import MODEL as MODEL_ID
from .conftest import body, invoke
from .schema_check import errors

MODEL = "claude-opus-4-6"
SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "minLength": 2},
        "days": {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1},
        "sky": {"enum": ["clear", "cloudy"]},
    },
    "required": ["city", "days", "sky"],
    "additionalProperties": False,
}
FORMAT = {"type": "json_schema", "schema": SCHEMA}
CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
WEATHER = {"name": "get_weather", "input_schema": CITY}
CLOCK = {"name": "get_time", "input_schema": {"type": "object", "properties": {}}}
SPARE = {"name": "get_news", "input_schema": {"type": "object", "properties": {}}}


def _violations(output_config: object) -> str:
    raw = json.dumps(body(output_config=output_config)).encode()
    with pytest.raises(BedrockError) as caught:
        validate_invoke_body(raw)
    return caught.value.message


@pytest.mark.parametrize(
    "config",
    [{"effort": "high"}, {"format": FORMAT}, {"effort": "max", "format": FORMAT}, {}],
)
def test_output_config_is_an_invoke_body_field(config: dict[str, Any]) -> None:
    payload = body(output_config=config)
    assert validate_invoke_body(json.dumps(payload).encode()) == payload


@pytest.mark.parametrize(
    ("config", "violation"),
    [
        ("high", "#/output_config: expected type: JSONObject, found: String"),
        ({"effort": "extreme"}, "#/output_config/effort: extreme is not a valid enum value"),
        ({"colour": 1}, "#/output_config: extraneous key [colour] is not permitted"),
        ({"format": {"type": "json_object", "schema": {}}},
         "#/output_config/format/type: json_object is not a valid enum value"),
        ({"format": {"type": "json_schema"}},
         "#/output_config/format: required key [schema] not found"),
        ({"format": {"type": "json_schema", "schema": "{}"}},
         "#/output_config/format/schema: expected type: JSONObject, found: String"),
    ],
)  # fmt: skip
def test_a_malformed_output_config_is_refused_in_bedrocks_style(
    config: object, violation: str
) -> None:
    message = _violations(config)
    assert message.startswith("Malformed input request: ") and violation in message


def test_the_answer_is_json_valid_against_the_schema_and_deterministic() -> None:
    engine = DeterministicEngine()
    payload = body(output_config={"format": FORMAT})
    first, second = engine.respond(payload, MODEL), engine.respond(payload, MODEL)
    [block] = first["content"]
    assert block["type"] == "text" and first["stop_reason"] == "end_turn"
    assert errors(json.loads(block["text"]), SCHEMA) == []
    assert block == second["content"][0]
    streamed = "".join(
        e["delta"]["text"] for e in message_to_events(first) if e["type"] == "content_block_delta"
    )
    assert streamed == block["text"]


def _turn(engine: DeterministicEngine, messages: list[dict[str, Any]], **extra: Any) -> Any:
    return engine.respond(body(messages=messages, **extra), MODEL)


def _results(message: dict[str, Any], text: str) -> dict[str, Any]:
    return {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": b["id"], "content": f"{b['name']}: {text}"}
        for b in message["content"] if b["type"] == "tool_use"
    ]}  # fmt: skip


def test_a_prompt_naming_two_tools_runs_two_rounds_then_answers_from_both_results() -> None:
    engine = DeterministicEngine()
    tools = [CLOCK, WEATHER, SPARE]
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "Use get_weather for Paris, then get_time."}
    ]
    called = []
    for answer in ("Sunny", "12:00"):
        reply = _turn(engine, messages, tools=tools)
        assert reply["stop_reason"] == "tool_use"
        [use] = [b for b in reply["content"] if b["type"] == "tool_use"]
        called.append(use["name"])
        messages += [{"role": "assistant", "content": reply["content"]}, _results(reply, answer)]
    final = _turn(engine, messages, tools=tools)
    assert called == ["get_time", "get_weather"]  # the tools list's order, each once
    assert final["stop_reason"] == "end_turn"
    text = final["content"][0]["text"]
    assert "Received 2 tool result(s)" in text
    assert "get_time: Sunny" in text and "get_weather: 12:00" in text
    again = DeterministicEngine()
    assert _turn(again, messages, tools=tools)["content"] == final["content"]


def test_a_new_prompt_starts_a_new_loop() -> None:
    engine = DeterministicEngine()
    first = _turn(engine, [{"role": "user", "content": "get_time please"}], tools=[CLOCK])
    messages = [
        {"role": "user", "content": "get_time please"},
        {"role": "assistant", "content": first["content"]},
        _results(first, "09:00"),
        {"role": "assistant", "content": "It is 09:00."},
        {"role": "user", "content": "and now? get_time"},
    ]
    assert _turn(engine, messages, tools=[CLOCK])["stop_reason"] == "tool_use"


def test_boto3_invoke_and_converse_get_json_valid_against_the_schema(runtime: Any) -> None:
    """Through boto3 (botocore's own service model): InvokeModel's ``output_config.format``
    and Converse's native ``outputConfig.textFormat`` (the schema as a JSON string)."""
    invoked = invoke(runtime, body(output_config={"effort": "low", "format": FORMAT}))
    assert errors(json.loads(invoked["content"][0]["text"]), SCHEMA) == []
    structure = {"jsonSchema": {"schema": json.dumps(SCHEMA), "name": "weather"}}
    answer = runtime.converse(
        modelId=MODEL_ID,
        messages=[{"role": "user", "content": [{"text": "Hello, world"}]}],
        outputConfig={"textFormat": {"type": "json_schema", "structure": structure}},
    )
    text = answer["output"]["message"]["content"][0]["text"]
    assert errors(json.loads(text), SCHEMA) == [] and text == invoked["content"][0]["text"]
