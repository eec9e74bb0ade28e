"""Messages <-> Converse translation, rule by rule: what maps where, and what is refused."""

from __future__ import annotations

import base64
import warnings
from typing import Any

import pytest

from claude_bedrock import ClientValidationError
from claude_bedrock.converse import (
    ConverseTranslationError,
    TextOnlyPdfWarning,
    from_converse,
    from_converse_request,
    to_converse,
    to_converse_response,
)
from claude_bedrock.types import Message

from .conftest import make_pdf, make_png

PDF = make_pdf(1, "lemur")
PDF64 = base64.b64encode(PDF).decode()
PNG = make_png()
PNG64 = base64.b64encode(PNG).decode()


def call(*content: Any, **extra: Any) -> dict[str, Any]:
    return {
        "model": "opus",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": list(content)}],
        **extra,
    }


def pdf_block(**extra: Any) -> dict[str, Any]:
    source = {"type": "base64", "media_type": "application/pdf", "data": PDF64}
    return {"type": "document", "source": source, **extra}


def refused(params: dict[str, Any], field: str) -> ConverseTranslationError:
    with pytest.raises(ConverseTranslationError) as caught:
        to_converse(params)
    assert caught.value.field == field
    assert isinstance(caught.value, ClientValidationError)
    return caught.value


# -- what goes where -------------------------------------------------------------------------


def test_native_fields_and_model_specific_fields() -> None:
    request = to_converse(
        call(
            {"type": "text", "text": "hi"},
            temperature=0.2,
            top_p=0.8,
            top_k=7,
            stop_sequences=["END"],
            system="Be brief.",
            metadata={"user_id": "u-1"},
            thinking={"type": "enabled", "budget_tokens": 1024},
            betas=["context-1m-2025-08-07"],
            anthropic_version="bedrock-2023-05-31",
            stream=False,
            service_tier="priority",
        )
    )
    assert request["modelId"] == "opus"
    assert request["inferenceConfig"] == {
        "maxTokens": 64,
        "temperature": 0.2,
        "topP": 0.8,
        "stopSequences": ["END"],
    }
    assert request["system"] == [{"text": "Be brief."}]
    assert request["serviceTier"] == {"type": "priority"}
    assert request["additionalModelRequestFields"] == {
        "top_k": 7,
        "metadata": {"user_id": "u-1"},
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "anthropic_beta": ["context-1m-2025-08-07"],
    }
    assert "anthropic_version" not in str(request) and "stream" not in request


def test_string_content_and_system_are_single_text_blocks() -> None:
    request = to_converse(
        {
            "max_tokens": 5,
            "messages": [{"role": "user", "content": "Hello"}],
            "system": [{"type": "text", "text": "S"}],
        }
    )
    assert request["messages"] == [{"role": "user", "content": [{"text": "Hello"}]}]
    assert request["system"] == [{"text": "S"}]


def test_image_becomes_bytes_and_format() -> None:
    image = {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": PNG64},
    }
    block = to_converse(call(image))["messages"][0]["content"][0]
    assert block == {"image": {"format": "png", "source": {"bytes": PNG}}}
    wire = to_converse(call(image), wire=True)["messages"][0]["content"][0]
    assert wire["image"]["source"]["bytes"] == PNG64  # the same base64 text, never decoded


def test_cache_control_becomes_a_cache_point_after_the_block() -> None:
    text = {"type": "text", "text": "long", "cache_control": {"type": "ephemeral", "ttl": "1h"}}
    tool = {"name": "t", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral"}}
    request = to_converse(call(text, {"type": "text", "text": "q"}, tools=[tool]))
    assert request["messages"][0]["content"] == [
        {"text": "long"},
        {"cachePoint": {"type": "default", "ttl": "1h"}},
        {"text": "q"},
    ]
    assert request["toolConfig"]["tools"][1] == {"cachePoint": {"type": "default"}}


def test_tools_and_every_tool_choice() -> None:
    tool = {"name": "get_weather", "description": "Weather", "input_schema": {"type": "object"}}
    for choice, expected in (
        ({"type": "auto"}, {"auto": {}}),
        ({"type": "any"}, {"any": {}}),
        ({"type": "tool", "name": "get_weather"}, {"tool": {"name": "get_weather"}}),
    ):
        config = to_converse(call({"type": "text", "text": "x"}, tools=[tool], tool_choice=choice))
        assert config["toolConfig"] == {
            "tools": [
                {
                    "toolSpec": {
                        "name": "get_weather",
                        "description": "Weather",
                        "inputSchema": {"json": {"type": "object"}},
                    }
                }
            ],
            "toolChoice": expected,
        }


def test_tool_use_and_result_with_error_status() -> None:
    params = {
        "max_tokens": 9,
        "messages": [
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "toolu_1", "name": "w", "input": {"c": "Oslo"}}
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "is_error": True,
                        "content": "boom",
                    }
                ],
            },
        ],
    }
    messages = to_converse(params)["messages"]
    assert messages[1]["content"] == [
        {"toolUse": {"toolUseId": "toolu_1", "name": "w", "input": {"c": "Oslo"}}}
    ]
    assert messages[2]["content"] == [
        {"toolResult": {"toolUseId": "toolu_1", "content": [{"text": "boom"}], "status": "error"}}
    ]


def test_json_tool_results_reach_claude_as_text() -> None:
    request = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "toolResult": {
                            "toolUseId": "t1",
                            "content": [{"json": {"temp": 21}}],
                            "status": "success",
                        }
                    }
                ],
            }
        ]
    }
    block = from_converse_request(request)["messages"][0]["content"][0]
    assert block == {
        "type": "tool_result",
        "tool_use_id": "t1",
        "is_error": False,
        "content": [{"type": "text", "text": '{"temp": 21}'}],
    }


def test_thinking_and_redacted_thinking_become_reasoning_content() -> None:
    secret = base64.b64encode(b"\x00opaque").decode()
    assistant = [
        {"type": "thinking", "thinking": "hmm", "signature": "c2ln"},
        {"type": "redacted_thinking", "data": secret},
    ]
    params = {
        "max_tokens": 9,
        "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": assistant}],
    }
    blocks = to_converse(params)["messages"][1]["content"]
    assert blocks == [
        {"reasoningContent": {"reasoningText": {"text": "hmm", "signature": "c2ln"}}},
        {"reasoningContent": {"redactedContent": b"\x00opaque"}},
    ]


def test_documents_keep_title_context_and_citations() -> None:
    block = pdf_block(title="Annual report (2024)", context="finance", citations={"enabled": True})
    document = to_converse(call(block, {"type": "text", "text": "q"}))["messages"][0]["content"][0]
    assert document == {
        "document": {
            "format": "pdf",
            "name": "Annual report (2024)",
            "source": {"bytes": PDF},
            "context": "finance",
            "citations": {"enabled": True},
        }
    }


def test_text_documents_go_as_txt_bytes() -> None:
    block = {
        "type": "document",
        "title": "Notes",
        "source": {"type": "text", "media_type": "text/plain", "data": "Grass is green."},
    }
    document = to_converse(call(block, {"type": "text", "text": "q"}))["messages"][0]["content"][0]
    assert document["document"]["format"] == "txt"
    assert document["document"]["source"] == {"bytes": b"Grass is green."}
    assert (
        from_converse_request({"messages": [{"role": "user", "content": [document]}]})["messages"][
            0
        ]["content"][0]
        == block
    )


def test_untitled_documents_get_distinct_valid_names() -> None:
    content = to_converse(
        call(
            pdf_block(citations={"enabled": True}),
            pdf_block(citations={"enabled": True}),
            {"type": "text", "text": "q"},
        )
    )
    names = [b["document"]["name"] for b in content["messages"][0]["content"][:2]]
    assert names == ["Document 1", "Document 2"]


def test_text_with_citations_is_citations_content() -> None:
    citation = {
        "type": "char_location",
        "cited_text": "green",
        "document_index": 0,
        "document_title": "Notes",
        "start_char_index": 9,
        "end_char_index": 14,
    }
    params = {
        "max_tokens": 9,
        "messages": [
            {"role": "user", "content": "q"},
            {
                "role": "assistant",
                "content": [{"type": "text", "text": "It is green.", "citations": [citation]}],
            },
        ],
    }
    block = to_converse(params)["messages"][1]["content"][0]
    assert block == {
        "citationsContent": {
            "content": [{"text": "It is green."}],
            "citations": [
                {
                    "title": "Notes",
                    "sourceContent": [{"text": "green"}],
                    "location": {"documentChar": {"documentIndex": 0, "start": 9, "end": 14}},
                }
            ],
        }
    }


# -- the PDF rule --------------------------------------------------------------------------


def test_pdf_without_citations_warns_by_default() -> None:
    with pytest.warns(TextOnlyPdfWarning, match="Scan 7"):
        to_converse(call(pdf_block(title="Scan 7"), {"type": "text", "text": "q"}))


def test_pdf_citations_can_be_enabled_instead_of_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        request = to_converse(
            call(pdf_block(title="Scan 7"), {"type": "text", "text": "q"}), pdf_citations="enable"
        )
    assert request["messages"][0]["content"][0]["document"]["citations"] == {"enabled": True}


def test_pdf_with_citations_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        to_converse(
            call(
                pdf_block(title="Scan 7", citations={"enabled": True}),
                {"type": "text", "text": "q"},
            )
        )


# -- refused: no equivalent, never dropped ---------------------------------------------------


def test_tool_choice_none_is_refused() -> None:
    tool = {"name": "t", "input_schema": {"type": "object"}}
    error = refused(
        call({"type": "text", "text": "x"}, tools=[tool], tool_choice={"type": "none"}),
        "tool_choice.type",
    )
    assert "none" in str(error) and 'api="invoke"' in str(error)


def test_disable_parallel_tool_use_is_refused() -> None:
    tool = {"name": "t", "input_schema": {"type": "object"}}
    choice = {"type": "auto", "disable_parallel_tool_use": True}
    refused(
        call({"type": "text", "text": "x"}, tools=[tool], tool_choice=choice),
        "tool_choice.disable_parallel_tool_use",
    )


def test_server_tools_are_refused() -> None:
    tool = {"type": "bash_20250124", "name": "bash"}
    assert "additionalModelRequestFields" in str(
        refused(call({"type": "text", "text": "x"}, tools=[tool]), "tools.0.type")
    )


def test_url_sources_are_refused() -> None:
    image = {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}
    refused(call(image), "messages.0.content.0.source.type")


def test_unknown_block_type_is_refused() -> None:
    refused(call({"type": "container_upload", "file_id": "f"}), "messages.0.content.0.type")


def test_unknown_block_field_is_refused_by_name() -> None:
    refused(call({"type": "text", "text": "x", "sparkle": True}), "messages.0.content.0.sparkle")


def test_invalid_document_title_is_refused_not_renamed() -> None:
    error = refused(call(pdf_block(title="report.pdf")), "messages.0.content.0.title")
    assert "report.pdf" in str(error)


def test_duplicate_document_titles_are_refused() -> None:
    blocks = [pdf_block(title="Same", citations={"enabled": True})] * 2
    refused(call(*blocks, {"type": "text", "text": "q"}), "messages.0.content.1.title")


def test_web_search_citations_are_refused() -> None:
    citation = {
        "type": "web_search_result_location",
        "url": "https://a.b",
        "title": "t",
        "encrypted_index": "x",
        "cited_text": "c",
    }
    params = {
        "max_tokens": 5,
        "messages": [
            {"role": "user", "content": "q"},
            {
                "role": "assistant",
                "content": [{"type": "text", "text": "t", "citations": [citation]}],
            },
        ],
    }
    refused(params, "messages.1.content.0.citations.0.type")


def test_anthropic_service_tiers_without_bedrock_equivalent_are_refused() -> None:
    refused(call({"type": "text", "text": "x"}, service_tier="standard_only"), "service_tier")


def test_cache_control_inside_a_tool_result_is_refused() -> None:
    result = {
        "type": "tool_result",
        "tool_use_id": "t",
        "content": [{"type": "text", "text": "r", "cache_control": {"type": "ephemeral"}}],
    }
    refused(call(result), "messages.0.content.0.content.0.cache_control")


def test_converse_only_fields_have_no_messages_equivalent() -> None:
    for key, value in (
        ("guardrailConfig", {"guardrailIdentifier": "g"}),
        ("promptVariables", {"x": {"text": "y"}}),
    ):
        with pytest.raises(ConverseTranslationError) as caught:
            from_converse_request({"messages": [], key: value})
        assert caught.value.field == key


def test_additional_fields_may_not_override_native_ones() -> None:
    request = {
        "messages": [{"role": "user", "content": [{"text": "x"}]}],
        "system": [{"text": "s"}],
        "additionalModelRequestFields": {"system": "other"},
    }
    with pytest.raises(ConverseTranslationError, match="The additional field system conflicts"):
        from_converse_request(request)


def test_blocks_with_no_messages_equivalent_are_refused() -> None:
    video = {"video": {"format": "mp4", "source": {"bytes": b"v"}}}
    with pytest.raises(ConverseTranslationError) as caught:
        from_converse_request({"messages": [{"role": "user", "content": [video]}]})
    assert caught.value.field == "messages.0.content.0.video"


# -- answers ---------------------------------------------------------------------------------


def answer(stop_reason: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [{"type": "text", "text": "ok"}],
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": 5,
            "output_tokens": 2,
            "cache_creation_input_tokens": 3,
            "cache_read_input_tokens": 4,
        },
        **extra,
    }


def test_usage_counts_cache_tokens_in_the_total() -> None:
    response = to_converse_response(answer("end_turn"))
    assert response["usage"] == {
        "inputTokens": 5,
        "outputTokens": 2,
        "totalTokens": 14,
        "cacheReadInputTokens": 4,
        "cacheWriteInputTokens": 3,
    }


def test_answer_round_trip_with_requested_fields() -> None:
    original = Message.model_validate(answer("stop_sequence", stop_sequence="END"))
    response = to_converse_response(
        original, response_field_paths=["/stop_sequence", "/id", "/model"]
    )
    assert response["additionalModelResponseFields"] == {
        "stop_sequence": "END",
        "id": "msg_1",
        "model": "claude-x",
    }
    assert from_converse(response) == original


def test_stop_reasons_without_exact_equivalent_are_kept_aside() -> None:
    response = to_converse_response(answer("end_turn"))
    response["stopReason"] = "guardrail_intervened"
    message = from_converse(response, model="m", request_id="r-1")
    assert message.stop_reason == "refusal"
    assert message.converse_stop_reason == "guardrail_intervened"  # type: ignore[attr-defined]
    assert message.id == "msg_converse_r-1" and message.request_id == "r-1"


def test_pause_turn_has_no_converse_stop_reason() -> None:
    with pytest.raises(ConverseTranslationError):
        to_converse_response(answer("pause_turn"))


def test_response_field_paths_must_be_json_pointers() -> None:
    with pytest.raises(ConverseTranslationError, match="JSON pointer"):
        to_converse_response(answer("end_turn"), response_field_paths=["stop_sequence"])
