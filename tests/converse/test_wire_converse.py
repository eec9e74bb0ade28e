"""The neutral Converse layer (``claude_bedrock.wire.converse``): it imports nothing from the
client, answers with violations instead of advice, takes its limits as data, and its
stream translation gives events the official Anthropic SDK reads."""

from __future__ import annotations

import ast
import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import pydantic
import pytest
from anthropic.lib.streaming._messages import accumulate_event

import claude_bedrock
from claude_bedrock import ClientValidationError
from claude_bedrock import converse as client
from claude_bedrock.emulator.engine import message_to_events
from claude_bedrock.wire import converse as wire

from .conftest import make_png

SRC = Path(claude_bedrock.__file__).parent
PNG64 = base64.b64encode(make_png()).decode()


def _imports(path: Path) -> list[str]:
    """Absolute names of the ``claude_bedrock`` modules ``path`` imports."""
    package = ".".join(path.relative_to(SRC.parent).parts[:-1])
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            names += [module] if node.module else [f"{module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return [n for n in names if n.split(".")[0] == "claude_bedrock"]


def test_the_wire_layer_imports_nothing_from_the_client() -> None:
    files = sorted((SRC / "wire" / "converse").glob("*.py"))
    assert len(files) >= 8
    for path in files:
        for name in _imports(path):
            assert name.startswith("claude_bedrock.wire"), f"{path.name} imports {name}"


@pytest.mark.parametrize("module", ["converse.py", "count_tokens.py"])
def test_the_emulator_converse_routes_import_nothing_private_from_the_client(module: str) -> None:
    allowed = ("claude_bedrock.wire", "claude_bedrock.emulator", "claude_bedrock.catalog")
    names = _imports(SRC / "emulator" / module)
    assert any(n.startswith("claude_bedrock.wire.converse") for n in names)
    for name in names:
        assert name.startswith(allowed), f"emulator/{module} imports {name}"


# -- errors: a violation, never advice -------------------------------------------------------


def request(*content: Any, **extra: Any) -> dict[str, Any]:
    return {"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": list(content)}],
            **extra}  # fmt: skip


TEXT = {"type": "text", "text": "x"}
WEATHER = {"name": "weather", "input_schema": {"type": "object"}}
REFUSED = [
    # (Messages request, rule, field, what the client advises)
    (request({"type": "container_upload", "file_id": "f"}), "unsupported_block",
     "messages.0.content.0.type", 'send this call with api="invoke"'),
    ({**request(TEXT), "messages": [{"role": "user", "content": "x", "name": "n"}]},
     "unsupported_field", "messages.0.name", 'send this call with api="invoke"'),
    (request(TEXT, tools=[{"type": "web_search_20250305", "name": "web_search"}]),
     "server_tool", "tools.0.type", "additionalModelRequestFields"),
    (request(TEXT, tools=[WEATHER],
             tool_choice={"type": "auto", "disable_parallel_tool_use": True}),
     "parallel_tool_use", "tool_choice.disable_parallel_tool_use", 'use api="invoke"'),
    (request(TEXT, tools=[WEATHER], tool_choice={"type": "none"}),
     "tool_choice_none", "tool_choice.type", "leave the tools out of this call"),
    (request({"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}),
     "image_source", "messages.0.content.0.source.type", "send the bytes as base64"),
    (request({"type": "tool_result", "tool_use_id": "t",
              "content": [{**TEXT, "cache_control": {"type": "ephemeral"}}]}),
     "cache_in_tool_result", "messages.0.content.0.content.0.cache_control",
     "put it on the tool_result block itself"),
]  # fmt: skip


@pytest.mark.parametrize(("params", "rule", "field", "advice"), REFUSED)
def test_wire_errors_name_the_rule_and_the_client_adds_what_to_do(
    params: dict[str, Any], rule: str, field: str, advice: str
) -> None:
    with pytest.raises(wire.ConverseTranslationError) as neutral:
        wire.to_converse_request(params)
    assert not isinstance(neutral.value, ClientValidationError)
    assert isinstance(neutral.value, ValueError)
    assert (neutral.value.violation.rule, neutral.value.field) == (rule, field)
    assert "api=" not in str(neutral.value) and advice not in str(neutral.value)
    with pytest.raises(client.ConverseTranslationError) as caught:
        client.to_converse(params)
    assert isinstance(caught.value, ClientValidationError)
    assert caught.value.field == field and caught.value.violation == neutral.value.violation
    assert str(caught.value).startswith(str(neutral.value)) and advice in str(caught.value)


def test_a_conflicting_additional_field_carries_bedrocks_wording() -> None:
    converse = {
        "messages": [{"role": "user", "content": [{"text": "x"}]}],
        "system": [{"text": "s"}],
        "additionalModelRequestFields": {"system": "t"},
    }
    with pytest.raises(wire.ConverseTranslationError) as caught:
        wire.from_converse_request(converse)
    assert caught.value.violation == wire.Violation(
        "conflicting_field", "additionalModelRequestFields.system", "system"
    )
    assert caught.value.bedrock_message == (
        "The additional field system conflicts with an existing field."
    )


# -- limits are data -------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    converse_max_images: int = 1
    converse_max_image_bytes: int = 10
    document_name_min_length: int = 1
    document_name_max_length: int = 5
    document_name_pattern: str = r"[a-z]+"
    document_name_rule: str = "lowercase letters"


def _image() -> dict[str, Any]:
    return {"image": {"format": "png", "source": {"bytes": PNG64}}}


def test_conversation_rules_use_the_limits_they_are_given() -> None:
    two = [{"role": "user", "content": [_image(), _image(), {"text": "x"}]}]
    assert wire.conversation_violation(two, Limits()) == wire.Violation(
        "too_many_images",
        "messages",
        "2 + 0",
        1,  # images + documents (the model's count)
    )
    one = [{"role": "user", "content": [_image(), {"text": "x"}]}]
    size = len(PNG64) * 3 // 4
    # The model checks the base64 text: 10 bytes are 16 characters of base64.
    assert wire.conversation_violation(one, Limits()) == wire.Violation(
        "image_too_large", "messages.0.content.0.image.source", len(PNG64), 16
    )
    roomy = Limits(converse_max_images=2, converse_max_image_bytes=size)
    assert wire.conversation_violation(two, roomy) is None


def test_document_names_follow_the_limits_they_are_given() -> None:
    assert wire.document_name_problem("abc", Limits()) is None
    assert "1 to 5 characters" in str(wire.document_name_problem("abcdef", Limits()))
    assert "lowercase letters" in str(wire.document_name_problem("ABC", Limits()))
    block = {"type": "document", "title": "ABC",
             "source": {"type": "text", "media_type": "text/plain", "data": "d"}}  # fmt: skip
    with pytest.raises(wire.ConverseTranslationError) as caught:
        wire.to_converse_request(request(block), name_limits=Limits())
    assert caught.value.violation == wire.Violation(
        "document_name", "messages.0.content.0.title", "ABC"
    )
    assert wire.to_converse_request(request(block)).request["messages"][0]["content"][0]


def test_pdfs_without_citations_are_listed_not_warned_about() -> None:
    source = {"type": "base64", "media_type": "application/pdf", "data": PNG64}
    pdf = {"type": "document", "title": "report", "source": source}
    translated = wire.to_converse_request(request(pdf), wire=True)
    assert translated.text_only_pdfs == ["report"]
    enabled = wire.to_converse_request(request(pdf), enable_pdf_citations=True)
    assert enabled.text_only_pdfs == []
    assert enabled.request["messages"][0]["content"][0]["document"]["citations"] == {
        "enabled": True
    }


# -- streams: dicts the official SDK reads ---------------------------------------------------


def test_wire_stream_events_rebuild_the_answer_with_the_official_sdk() -> None:
    message = {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
        "content": [
            {"type": "thinking", "thinking": "Let me see.", "signature": "sig"},
            {"type": "text", "text": "It is sunny."},
            {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Oslo"}},
        ],
        "stop_reason": "tool_use", "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 30},
    }  # fmt: skip
    adapter = wire.ToAnthropic("msg_1", "claude-x")
    typed = pydantic.TypeAdapter(anthropic.types.RawMessageStreamEvent)
    snapshot: Any = None
    buffers: dict[int, bytes] = {}
    pairs = wire.anthropic_to_converse(message_to_events(message))
    for kind, payload in pairs:
        for event in adapter.feed(kind, json.loads(json.dumps(payload))):
            snapshot = accumulate_event(
                event=typed.validate_python(event), current_snapshot=snapshot, json_bufs=buffers
            )
    assert adapter.done
    rebuilt = snapshot.model_dump(include={"content", "stop_reason", "usage"}, exclude_none=True)
    assert rebuilt["content"] == message["content"]
    assert rebuilt["stop_reason"] == "tool_use"
    assert rebuilt["usage"]["output_tokens"] == 30 and rebuilt["usage"]["input_tokens"] == 12


def test_unknown_converse_events_give_no_anthropic_event() -> None:
    adapter = wire.ToAnthropic("msg_1", "claude-x")
    assert adapter.feed("futureEvent", {"anything": 1}) == []
