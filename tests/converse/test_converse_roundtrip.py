"""Property tests: Messages -> Converse -> Messages is the identity, for every block type the
two formats share, for requests (boto3's Python form and the wire JSON), answers and streams."""

from __future__ import annotations

import base64
import json
import warnings
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from claude_bedrock._stream_accumulate import Accumulator
from claude_bedrock.converse import (
    TextOnlyPdfWarning,
    ToAnthropic,
    anthropic_to_converse,
    from_converse,
    from_converse_request,
    to_converse,
    to_converse_response,
)
from claude_bedrock.emulator.engine import message_to_events
from claude_bedrock.types import Message
from claude_bedrock.types.converse import EVENT_CLASSES

text = st.text(min_size=1, max_size=30)
b64 = st.binary(min_size=1, max_size=40).map(lambda b: base64.b64encode(b).decode())
ident = st.from_regex(r"[a-zA-Z0-9_-]{1,20}", fullmatch=True)
index = st.integers(min_value=0, max_value=50)
json_value = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
json_object = st.dictionaries(st.text(max_size=8), json_value, max_size=4)
cache_control = st.none() | st.sampled_from(
    [{"type": "ephemeral"}, {"type": "ephemeral", "ttl": "5m"}, {"type": "ephemeral", "ttl": "1h"}]
)


def _with_cache(block: dict[str, Any], cache: dict[str, Any] | None) -> dict[str, Any]:
    return block if cache is None else {**block, "cache_control": cache}


@st.composite
def citation(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            ["char_location", "page_location", "content_block_location", "search_result_location"]
        )
    )
    keys = {
        "char_location": ("start_char_index", "end_char_index"),
        "page_location": ("start_page_number", "end_page_number"),
        "content_block_location": ("start_block_index", "end_block_index"),
        "search_result_location": ("start_block_index", "end_block_index"),
    }[kind]
    out: dict[str, Any] = {"type": kind, "cited_text": draw(st.text(max_size=20))}
    if kind == "search_result_location":
        out.update(search_result_index=draw(index), source=draw(text), title=draw(st.none() | text))
    else:
        out.update(document_index=draw(index), document_title=draw(st.none() | text))
    out.update({keys[0]: draw(index), keys[1]: draw(index)})
    return out


@st.composite
def text_block(draw: st.DrawFn, cited: bool = True) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "text", "text": draw(text)}
    if cited and draw(st.booleans()):
        block["citations"] = draw(st.lists(citation(), min_size=1, max_size=3))
    return block


@st.composite
def image_block(draw: st.DrawFn) -> dict[str, Any]:
    media = draw(st.sampled_from(["image/png", "image/jpeg", "image/gif", "image/webp"]))
    return {"type": "image", "source": {"type": "base64", "media_type": media, "data": draw(b64)}}


_DOC_MEDIA = [
    "application/pdf",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
]


@st.composite
def document_block(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["base64", "text", "content"]))
    if kind == "base64":
        source = {
            "type": "base64",
            "media_type": draw(st.sampled_from(_DOC_MEDIA)),
            "data": draw(b64),
        }
    elif kind == "text":
        source = {"type": "text", "media_type": "text/plain", "data": draw(st.text(max_size=40))}
    else:
        parts = draw(st.lists(text, min_size=1, max_size=3))
        source = {"type": "content", "content": [{"type": "text", "text": p} for p in parts]}
    block: dict[str, Any] = {
        "type": "document",
        "source": source,
        "title": draw(st.from_regex(r"[A-Za-z0-9()\[\]-]{1,12}", fullmatch=True)),
    }
    if draw(st.booleans()):
        block["context"] = draw(text)
    if draw(st.booleans()):
        block["citations"] = {"enabled": draw(st.booleans())}
    return block


@st.composite
def search_result_block(draw: st.DrawFn) -> dict[str, Any]:
    parts = draw(st.lists(text, min_size=1, max_size=3))
    block: dict[str, Any] = {
        "type": "search_result",
        "source": draw(text),
        "title": draw(text),
        "content": [{"type": "text", "text": p} for p in parts],
    }
    if draw(st.booleans()):
        block["citations"] = {"enabled": draw(st.booleans())}
    return block


@st.composite
def tool_use_block(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["tool_use", "server_tool_use"]))
    return {"type": kind, "id": draw(ident), "name": draw(ident), "input": draw(json_object)}


@st.composite
def tool_result_block(draw: st.DrawFn) -> dict[str, Any]:
    inner = st.one_of(
        text_block(cited=False), image_block(), document_block(), search_result_block()
    )
    block: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": draw(ident),
        "content": draw(st.lists(inner, max_size=3)),
    }
    if draw(st.booleans()):
        block["is_error"] = draw(st.booleans())
    return block


@st.composite
def thinking_block(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        return {"type": "redacted_thinking", "data": draw(b64)}
    return {"type": "thinking", "thinking": draw(text), "signature": draw(text)}


any_block = st.one_of(
    st.tuples(text_block(), cache_control).map(lambda t: _with_cache(*t)),
    st.tuples(image_block(), cache_control).map(lambda t: _with_cache(*t)),
    st.tuples(document_block(), cache_control).map(lambda t: _with_cache(*t)),
    st.tuples(search_result_block(), cache_control).map(lambda t: _with_cache(*t)),
    st.tuples(tool_result_block(), cache_control).map(lambda t: _with_cache(*t)),
    tool_use_block(),
    thinking_block(),
)


def _unique_titles(messages: list[dict[str, Any]]) -> None:
    """Converse needs distinct document names: number every title."""
    count = 0

    def walk(blocks: list[dict[str, Any]]) -> None:
        nonlocal count
        for block in blocks:
            if block["type"] == "document":
                count += 1
                block["title"] = f"{block['title']} {count}"
            elif block["type"] == "tool_result":
                walk(block["content"])

    for message in messages:
        walk(message["content"])


@st.composite
def tool(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {"name": draw(ident)}
    if draw(st.booleans()):
        out["description"] = draw(text)
    out["input_schema"] = {"type": "object", "properties": draw(json_object)}
    if draw(st.booleans()):
        out["strict"] = draw(st.booleans())
    return _with_cache(out, draw(cache_control))


@st.composite
def messages_params(draw: st.DrawFn) -> dict[str, Any]:
    messages = [
        {
            "role": draw(st.sampled_from(["user", "assistant"])),
            "content": draw(st.lists(any_block, min_size=1, max_size=4)),
        }
        for _ in range(draw(st.integers(min_value=1, max_value=3)))
    ]
    _unique_titles(messages)
    params: dict[str, Any] = {"max_tokens": draw(st.integers(1, 200_000)), "messages": messages}
    if draw(st.booleans()):
        params["model"] = draw(st.sampled_from(["opus", "global.anthropic.claude-opus-4-6-v1"]))
    optional = {
        "system": st.lists(
            st.tuples(text_block(cited=False), cache_control).map(lambda t: _with_cache(*t)),
            min_size=1,
            max_size=2,
        ),
        "temperature": st.floats(0, 1),
        "top_p": st.floats(0, 1),
        "top_k": st.integers(0, 500),
        "stop_sequences": st.lists(text, min_size=1, max_size=3),
        "thinking": st.builds(
            lambda n: {"type": "enabled", "budget_tokens": n}, st.integers(1024, 9000)
        ),
        "metadata": st.builds(lambda u: {"user_id": u}, text),
        "anthropic_beta": st.lists(ident, min_size=1, max_size=2, unique=True),
        "service_tier": st.sampled_from(["priority", "default", "flex", "reserved"]),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            params[key] = draw(strategy)
    tools = draw(st.lists(tool(), max_size=3))
    if tools:
        params["tools"] = tools
        if draw(st.booleans()):
            kind = draw(st.sampled_from(["auto", "any", "tool"]))
            params["tool_choice"] = {
                "type": kind,
                **({"name": tools[0]["name"]} if kind == "tool" else {}),
            }
    return params


@settings(max_examples=300, deadline=None)
@given(messages_params())
def test_request_round_trip_is_the_identity(params: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TextOnlyPdfWarning)
        python_form = to_converse(params)
        wire_form = json.loads(json.dumps(to_converse(params, wire=True)))
    assert from_converse_request(python_form) == params
    assert from_converse_request(wire_form) == params


answer_block = st.one_of(text_block(), tool_use_block(), thinking_block())


@st.composite
def answers(draw: st.DrawFn) -> Message:
    usage = {
        "input_tokens": draw(index),
        "output_tokens": draw(index),
        "cache_creation_input_tokens": draw(index),
        "cache_read_input_tokens": draw(index),
    }
    stop = draw(
        st.sampled_from(
            [
                "end_turn",
                "tool_use",
                "max_tokens",
                "stop_sequence",
                "refusal",
                "model_context_window_exceeded",
            ]
        )
    )
    return Message.model_validate(
        {
            "id": "msg_" + draw(ident),
            "model": draw(ident),
            "content": draw(st.lists(answer_block, max_size=4)),
            "stop_reason": stop,
            "stop_sequence": draw(text) if stop == "stop_sequence" else None,
            "usage": usage,
        }
    )


@settings(max_examples=200, deadline=None)
@given(answers(), st.booleans())
def test_answer_round_trip_is_the_identity(message: Message, wire: bool) -> None:
    response = to_converse_response(
        message, wire=wire, response_field_paths=["/stop_sequence", "/id", "/model"]
    )
    if wire:
        response = json.loads(json.dumps(response))
    assert from_converse(response) == message


@settings(max_examples=150, deadline=None)
@given(answers())
def test_stream_round_trip_rebuilds_the_answer(message: Message) -> None:
    """Anthropic events -> Converse frames' payloads (as sent) -> typed -> Anthropic events."""
    message = message.model_copy(
        update={"content": [b for b in message.content if getattr(b, "citations", None) is None]}
    )  # the engine's stream has no citation deltas
    events = message_to_events(message.model_dump())
    adapter, accumulator = ToAnthropic(message.id, message.model), Accumulator()
    for kind, payload in anthropic_to_converse(events, response_field_paths=["/stop_sequence"]):
        typed = EVENT_CLASSES[kind].model_validate_json(json.dumps(payload))
        for event in adapter.feed(typed):
            accumulator.apply(event)
    assert adapter.done and accumulator.done
    rebuilt = accumulator.snapshot
    assert rebuilt is not None and rebuilt.model_dump() == message.model_dump()
    assert accumulator.invocation_metrics is not None
    assert accumulator.invocation_metrics["outputTokenCount"] == message.usage.output_tokens
