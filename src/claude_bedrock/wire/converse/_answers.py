"""Answers: a Messages API message <-> a Converse response, both as JSON-shaped dicts.

Converse has no message id nor model name; :func:`message_from_converse` takes them from
``additionalModelResponseFields`` when the request asked for the ``/id`` and ``/model``
paths (``messages.create(api="converse")`` does, with ``/stop_sequence``:
:data:`DEFAULT_RESPONSE_FIELD_PATHS`), else makes an id and uses the ``model`` argument.
Usage: ``totalTokens`` counts input, output and both cache figures. Stop reasons map one
to one except ``refusal`` <-> ``content_filtered`` (and ``guardrail_intervened`` ->
``refusal``); ``pause_turn`` has no Converse value.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Final

from ._blocks import Forward, content_to_converse
from ._blocks_from import blocks_from_converse
from ._common import fail, mapping

__all__ = [
    "DEFAULT_RESPONSE_FIELD_PATHS",
    "STOP_FROM_CONVERSE",
    "STOP_TO_CONVERSE",
    "message_from_converse",
    "response_fields",
    "to_converse_response",
    "usage_from_converse",
    "usage_to_converse",
]

#: Paths ``messages.create(api="converse")`` asks for, so its ``Message`` matches InvokeModel's.
DEFAULT_RESPONSE_FIELD_PATHS: Final = ("/stop_sequence", "/id", "/model")
STOP_TO_CONVERSE: Final = {
    "end_turn": "end_turn", "tool_use": "tool_use", "max_tokens": "max_tokens",
    "stop_sequence": "stop_sequence", "refusal": "content_filtered",
    "model_context_window_exceeded": "model_context_window_exceeded",
}  # fmt: skip
STOP_FROM_CONVERSE: Final[dict[str, str | None]] = {
    **{v: k for k, v in STOP_TO_CONVERSE.items()},
    "guardrail_intervened": "refusal",
    "malformed_model_output": None,
    "malformed_tool_use": None,
}
MESSAGE_BLOCKS: Final = frozenset(
    {"text", "tool_use", "server_tool_use", "thinking", "redacted_thinking"}
)


def usage_to_converse(usage: Mapping[str, Any]) -> dict[str, int]:
    """Messages ``usage`` as Converse ``TokenUsage`` (totalTokens includes cache tokens)."""
    read, write = usage.get("cache_read_input_tokens"), usage.get("cache_creation_input_tokens")
    out = {
        "inputTokens": usage.get("input_tokens") or 0,
        "outputTokens": usage.get("output_tokens") or 0,
    }
    out["totalTokens"] = out["inputTokens"] + out["outputTokens"] + (read or 0) + (write or 0)
    if read is not None:
        out["cacheReadInputTokens"] = read
    if write is not None:
        out["cacheWriteInputTokens"] = write
    return out


def usage_from_converse(usage: Mapping[str, Any]) -> dict[str, int]:
    out = {
        "input_tokens": usage.get("inputTokens", 0),
        "output_tokens": usage.get("outputTokens", 0),
    }
    if usage.get("cacheWriteInputTokens") is not None:
        out["cache_creation_input_tokens"] = usage["cacheWriteInputTokens"]
    if usage.get("cacheReadInputTokens") is not None:
        out["cache_read_input_tokens"] = usage["cacheReadInputTokens"]
    return out


def response_fields(message: Mapping[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """``additionalModelResponseFields`` for JSON-pointer ``paths`` into a Messages answer."""
    fields: dict[str, Any] = {}
    for path in paths:
        if not path.startswith("/"):
            raise fail(f"{path!r} is not a JSON pointer (it must start with '/')",
                       "additionalModelResponseFieldPaths", value=path)  # fmt: skip
        keys = [k.replace("~1", "/").replace("~0", "~") for k in path[1:].split("/")]
        value: Any = message
        for key in keys:
            if isinstance(value, Mapping) and key in value:
                value = value[key]
            elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
                value = value[int(key)]
            else:
                break
        else:
            target = fields
            for key in keys[:-1]:
                target = target.setdefault(key, {})
            target[keys[-1]] = value
    return fields


def to_converse_response(
    message: Mapping[str, Any],
    *,
    wire: bool = False,
    latency_ms: int = 0,
    response_field_paths: Iterable[str] = (),
) -> dict[str, Any]:
    """A Messages API answer as a Converse response (what Bedrock's Converse returns)."""
    data = mapping(message, "message")
    stop = data.get("stop_reason")
    if stop not in STOP_TO_CONVERSE:
        raise fail(
            f"stop reason {stop!r} has no Converse equivalent",
            "stop_reason",
            "no_equivalent",
            value=stop,
        )
    content = content_to_converse(data.get("content") or [], "content", Forward(wire=wire))
    response: dict[str, Any] = {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": STOP_TO_CONVERSE[stop],
        "usage": usage_to_converse(data.get("usage") or {}),
        "metrics": {"latencyMs": latency_ms},
    }
    fields = response_fields(data, response_field_paths)
    if fields:
        response["additionalModelResponseFields"] = fields
    return response


def message_from_converse(
    data: Mapping[str, Any], *, model: str | None = None, request_id: str | None = None
) -> dict[str, Any]:
    """A Converse response (boto3's dict or the wire JSON) as a Messages API message.

    A stop reason with no exact Messages equivalent (``guardrail_intervened`` ->
    ``refusal``; ``malformed_model_output`` / ``malformed_tool_use`` -> None) is also kept
    as ``converse_stop_reason``.
    """
    output = (data.get("output") or {}).get("message") or {}
    content = blocks_from_converse(output.get("content") or [], "output.message.content")
    for index, block in enumerate(content):
        if block["type"] not in MESSAGE_BLOCKS:
            raise fail(f"{block['type']!r} blocks cannot appear in an answer",
                       f"output.message.content.{index}", "no_equivalent",
                       value=block["type"])  # fmt: skip
    fields = data.get("additionalModelResponseFields") or {}
    stop = data.get("stopReason")
    values: dict[str, Any] = {
        "id": fields.get("id") or f"msg_converse_{request_id or uuid.uuid4().hex}",
        "type": "message",
        "role": "assistant",
        "model": fields.get("model") or model or "",
        "content": content,
        "stop_reason": STOP_FROM_CONVERSE.get(stop) if stop is not None else None,
        "stop_sequence": fields.get("stop_sequence"),
        "usage": usage_from_converse(data.get("usage") or {}),
    }
    tier = (data.get("serviceTier") or {}).get("type")
    if tier is not None:
        values["usage"]["service_tier"] = tier
    if stop is not None and STOP_TO_CONVERSE.get(str(values["stop_reason"])) != stop:
        values["converse_stop_reason"] = stop
    return values
