"""The deterministic engine: limits, stop sequences, tools, thinking, caching, usage."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_bedrock.emulator.engine import DeterministicEngine, message_to_events
from claude_bedrock.emulator.schema_values import example_for
from claude_bedrock.emulator.tokens import count_input_tokens, count_text

from .conftest import body, invoke
from .schema_check import errors

MODEL = "claude-opus-4-6"


def _respond(engine: DeterministicEngine | None = None, **overrides: Any) -> dict[str, Any]:
    return (engine or DeterministicEngine()).respond(body(**overrides), MODEL)


def _text(message: dict[str, Any]) -> str:
    return "".join(b["text"] for b in message["content"] if b["type"] == "text")


def _user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def test_the_engine_says_it_is_an_emulator() -> None:
    message = _respond()
    assert _text(message).startswith("[emulator]") and "not Claude" in _text(message)
    assert message["model"] == MODEL


def test_max_tokens_truncates() -> None:
    full = _respond(max_tokens=4096, messages=_user("a long question emulator:tokens=500"))
    assert full["usage"]["output_tokens"] == 500 and full["stop_reason"] == "end_turn"
    cut = _respond(max_tokens=37, messages=_user("a long question emulator:tokens=500"))
    assert cut["stop_reason"] == "max_tokens" and cut["stop_sequence"] is None
    assert cut["usage"]["output_tokens"] == 37 == count_text(_text(cut))
    assert _text(full).startswith(_text(cut))


def test_stop_sequences() -> None:
    message = _respond(messages=_user("alpha beta HALT gamma"), stop_sequences=["gamma", "HALT"])
    assert message["stop_reason"] == "stop_sequence" and message["stop_sequence"] == "HALT"
    assert _text(message).endswith("alpha beta ")
    assert message["usage"]["output_tokens"] == count_text(_text(message))


def test_max_tokens_before_the_stop_sequence_wins() -> None:
    message = _respond(max_tokens=2, messages=_user("alpha HALT"), stop_sequences=["HALT"])
    assert message["stop_reason"] == "max_tokens" and message["stop_sequence"] is None


@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=8), st.text(max_size=200))
@settings(max_examples=60, deadline=None)
def test_usage_grows_with_the_input(words: list[str], extra: str) -> None:
    base = " ".join(words)
    longer = f"{base} more words, and more punctuation! {extra}"
    small = _respond(messages=_user(base))["usage"]["input_tokens"]
    large = _respond(messages=_user(longer))["usage"]["input_tokens"]
    assert large > small > 0
    assert small == count_input_tokens(body(messages=_user(base)))


def test_usage_counts_system_and_tools() -> None:
    plain = _respond()["usage"]["input_tokens"]
    with_system = _respond(system="You are a careful assistant.")["usage"]["input_tokens"]
    tools = [{"name": "lookup", "description": "Find a thing", "input_schema": {"type": "object"}}]
    with_tools = _respond(tools=tools)["usage"]["input_tokens"]
    assert plain < with_system and plain < with_tools


WEATHER = {
    "name": "get_weather",
    "description": "Current weather",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "minLength": 2},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
        },
        "required": ["city", "unit"],
        "additionalProperties": False,
    },
}
CLOCK = {"name": "get_time", "input_schema": {"type": "object", "properties": {}}}


def test_forced_tool_use() -> None:
    message = _respond(tools=[CLOCK, WEATHER], tool_choice={"type": "tool", "name": "get_weather"})
    assert message["stop_reason"] == "tool_use"
    [block] = message["content"]
    assert block["type"] == "tool_use" and block["name"] == "get_weather"
    assert block["id"].startswith("toolu_bdrk_")
    assert errors(block["input"], WEATHER["input_schema"]) == []


def test_tool_choice_any_and_auto_and_none() -> None:
    any_choice = _respond(tools=[CLOCK, WEATHER], tool_choice={"type": "any"})
    assert any_choice["content"][-1]["name"] == "get_time"
    mentioned = _respond(tools=[CLOCK, WEATHER], messages=_user("use get_weather for Paris"))
    assert mentioned["content"][-1]["name"] == "get_weather"
    auto = _respond(tools=[CLOCK, WEATHER], messages=_user("just chat"))
    assert auto["stop_reason"] == "end_turn" and auto["content"][0]["type"] == "text"
    none = _respond(
        tools=[WEATHER], tool_choice={"type": "none"}, messages=_user("use get_weather")
    )
    assert none["content"][0]["type"] == "text"


def test_answer_after_a_tool_result() -> None:
    messages = [
        {"role": "user", "content": "weather? use get_weather"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "Sunny, 21C"}],
        },
    ]
    message = _respond(tools=[WEATHER], messages=messages)
    assert message["stop_reason"] == "end_turn"
    assert "1 tool result(s)" in _text(message) and "Sunny, 21C" in _text(message)


def test_forced_tool_through_boto3_is_schema_valid(runtime: Any) -> None:
    payload = body(tools=[WEATHER], tool_choice={"type": "tool", "name": "get_weather"})
    message = invoke(runtime, payload)
    assert errors(message["content"][0]["input"], WEATHER["input_schema"]) == []


# -- schema-valid values for generated schemas -------------------------------------------

_PATTERNS = [r"^[A-Z]{3}-\d{2,4}$", r"^[a-z]+@[a-z]+\.com$", r"^\d+$", r"^(red|green|blue)$"]


@st.composite
def _integer(draw: st.DrawFn) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer"}
    step = draw(st.integers(1, 7))
    low = draw(st.integers(-1000, 1000))
    if draw(st.booleans()):
        schema["minimum"] = low
    if draw(st.booleans()):
        schema["maximum"] = low + step * draw(st.integers(1, 5))
    if draw(st.booleans()) and "minimum" in schema:
        schema["exclusiveMinimum"] = schema.pop("minimum") - 1
    if draw(st.booleans()):
        schema["multipleOf"] = step
    return schema


@st.composite
def _number(draw: st.DrawFn) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "number"}
    low = draw(st.floats(-1e6, 1e6, allow_nan=False))
    width = draw(st.floats(1, 1e4))
    if draw(st.booleans()):
        schema["exclusiveMinimum" if draw(st.booleans()) else "minimum"] = low
    if draw(st.booleans()):
        schema["exclusiveMaximum" if draw(st.booleans()) else "maximum"] = low + width
    # Wider than the largest step: an interval exactly one step wide with an exclusive
    # end ([1e-26, 2) and multipleOf 2) holds no multiple, and the schema no value.
    if draw(st.booleans()) and width > 3:
        schema["multipleOf"] = draw(st.sampled_from([0.5, 0.25, 1, 2]))
    return schema


@st.composite
def _string(draw: st.DrawFn) -> dict[str, Any]:
    choice = draw(st.integers(0, 3))
    if choice == 0:
        low = draw(st.integers(0, 40))
        return {"type": "string", "minLength": low, "maxLength": low + draw(st.integers(0, 20))}
    if choice == 1:
        return {"type": "string", "pattern": draw(st.sampled_from(_PATTERNS))}
    if choice == 2:
        fmt = draw(st.sampled_from(["date-time", "date", "email", "uri", "uuid"]))
        return {"type": "string", "format": fmt}
    return {"type": "string", "enum": draw(st.lists(st.text(max_size=8), min_size=1, max_size=4))}


_leaf = st.one_of(
    _integer(),
    _number(),
    _string(),
    st.just({"type": "boolean"}),
    st.just({"type": "null"}),
    st.builds(lambda v: {"const": v}, st.integers() | st.text(max_size=5)),
)


_names = st.text(alphabet="abcdefghijklmnop_", min_size=1, max_size=8)


@st.composite
def _object_of(draw: st.DrawFn, children: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    props = draw(st.dictionaries(_names, children, max_size=5))
    required = draw(st.lists(st.sampled_from(sorted(props)), unique=True)) if props else []
    schema: dict[str, Any] = {"type": "object", "properties": props, "required": required}
    if draw(st.booleans()):
        schema["additionalProperties"] = False
    return schema


@st.composite
def _array_of(draw: st.DrawFn, children: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    low = draw(st.integers(0, 4))
    return {
        "type": "array",
        "items": draw(children),
        "minItems": low,
        "maxItems": low + draw(st.integers(0, 3)),
    }


def _extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    nullable = st.builds(lambda s: {"anyOf": [s, {"type": "null"}]}, children)
    return st.one_of(_object_of(children), _array_of(children), nullable)


_schemas = st.recursive(_leaf, _extend, max_leaves=12)


@st.composite
def _input_schemas(draw: st.DrawFn) -> dict[str, Any]:
    inner = draw(_object_of(_schemas))
    if draw(st.booleans()):
        return {"$defs": {"Args": inner}, "$ref": "#/$defs/Args"}
    return inner


@given(_input_schemas(), st.text(max_size=20))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_values_satisfy_generated_schemas(schema: dict[str, Any], seed: str) -> None:
    value = example_for(schema, seed=seed)
    assert errors(value, schema) == [], (json.dumps(schema), value)
    assert example_for(schema, seed=seed) == value


def test_specific_schema_features() -> None:
    schema = {
        "type": "object",
        "properties": {
            "tags": {
                "type": "array",
                "items": {"type": "string", "enum": ["a", "b", "c"]},
                "minItems": 3,
                "uniqueItems": True,
            },
            "when": {"type": "string", "format": "date-time"},
            "code": {"type": "string", "pattern": r"^[A-Z]{2}\d{3}$"},
            "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "kind": {
                "oneOf": [{"type": "integer", "minimum": 10}, {"type": "string", "maxLength": 0}]
            },
            "both": {
                "allOf": [
                    {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]},
                    {"properties": {"y": {"type": "boolean"}}, "required": ["y"]},
                ]
            },
        },
        "required": ["tags", "when", "code", "ratio", "kind", "both"],
        "minProperties": 6,
    }
    value = example_for(schema)
    assert errors(value, schema) == []
    assert sorted(value["tags"]) == ["a", "b", "c"]


# -- thinking, caching, streaming --------------------------------------------------------


def test_thinking_block_comes_first_and_is_signed() -> None:
    message = _respond(max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 1024})
    thinking, text = message["content"]
    assert thinking["type"] == "thinking" and thinking["thinking"].startswith("[emulator]")
    assert thinking["signature"] and text["type"] == "text"
    events = message_to_events(message)
    deltas = [e["delta"]["type"] for e in events if e["type"] == "content_block_delta"]
    assert "thinking_delta" in deltas and "signature_delta" in deltas
    assert message["usage"]["output_tokens"] == count_text(thinking["thinking"]) + count_text(
        text["text"]
    )


def test_prompt_cache_writes_then_reads() -> None:
    engine = DeterministicEngine()
    system = [
        {
            "type": "text",
            "text": "A long shared context. " * 50,
            "cache_control": {"type": "ephemeral"},
        }
    ]
    first = _respond(engine, system=system)["usage"]
    second = _respond(engine, system=system, messages=_user("another question"))["usage"]
    assert first["cache_creation_input_tokens"] > 0 and first["cache_read_input_tokens"] == 0
    assert second["cache_read_input_tokens"] == first["cache_creation_input_tokens"]
    assert second["cache_creation_input_tokens"] == 0
    uncached = _respond(engine)["usage"]
    assert uncached["cache_creation_input_tokens"] == uncached["cache_read_input_tokens"] == 0


def test_cache_minimum_is_configurable() -> None:
    engine = DeterministicEngine(min_cacheable_tokens=1024)
    system = [{"type": "text", "text": "Short.", "cache_control": {"type": "ephemeral"}}]
    usage = _respond(engine, system=system)["usage"]
    assert usage["cache_creation_input_tokens"] == 0


def test_events_rebuild_the_message() -> None:
    message = _respond(
        max_tokens=4096,
        messages=_user("hello emulator:tokens=80"),
        thinking={"type": "enabled", "budget_tokens": 2000},
    )
    events = message_to_events(message)
    rebuilt: list[dict[str, Any]] = []
    for event in events:
        if event["type"] == "content_block_start":
            rebuilt.append(dict(event["content_block"]))
        elif event["type"] == "content_block_delta":
            delta, block = event["delta"], rebuilt[event["index"]]
            key = {
                "text_delta": "text",
                "thinking_delta": "thinking",
                "signature_delta": "signature",
            }[delta["type"]]
            block[key] += delta[key]
    assert rebuilt == message["content"]
    assert events[0]["message"]["id"] == message["id"]
