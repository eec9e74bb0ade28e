"""The content attributes of a span, for a client whose ``open_telemetry`` option says
``traces={"content_mode": "content"}`` (the default, ``metadata_only``, records none).

The shapes are the OpenTelemetry GenAI conventions' (``gen_ai.system_instructions``,
``gen_ai.input.messages``, ``gen_ai.output.messages``: lists of messages of *parts*), built
as the official SDK 2.16 builds them (``anthropic/lib/_tracing/_content.py``): a text block
is a ``text`` part, thinking a ``reasoning`` part, ``tool_use`` a ``tool_call`` part,
``tool_result`` a ``tool_call_response`` part, any other block ``{"type": "anthropic_<type>"}``.
Image and document data, and ``encrypted_*`` fields, are never recorded.

Kept within ``traces.max_content_bytes`` more simply than the SDK: the newest parts are kept
whole while they fit, the older ones are dropped, and ``anthropic.content.truncated`` says so
(the SDK also cuts the one text part that straddles the limit).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["content_attributes"]

_ATTRIBUTES = ("gen_ai.system_instructions", "gen_ai.input.messages", "gen_ai.output.messages")


def _get(value: object, key: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(key)
    return getattr(value, key, None)


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _without_data(value: object) -> object:
    """``value`` without image and document data and ``encrypted_*`` fields, at any depth."""
    if isinstance(value, list | tuple):
        return [_without_data(item) for item in value]
    fields = value.model_dump() if hasattr(value, "model_dump") else value
    if not isinstance(fields, Mapping):
        return value
    if fields.get("type") in ("image", "document"):
        return {"type": fields["type"]}
    return {k: _without_data(v) for k, v in fields.items() if not str(k).startswith("encrypted_")}


def _result_content(content: object) -> object:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list | tuple):
        return []
    blocks: list[object] = []
    for block in content:
        kind = _get(block, "type")
        keep = kind in ("text", "search_result")
        blocks.append(_without_data(block) if keep else {"type": str(kind or "unknown")})
    return blocks


def _part(block: object) -> dict[str, object]:
    kind = _get(block, "type")
    if kind == "text":
        return {"type": "text", "content": _get(block, "text")}
    if kind == "thinking":
        return {"type": "reasoning", "content": _get(block, "thinking")}
    if kind in ("tool_use", "server_tool_use"):
        arguments = _get(block, "input")
        return {"type": "tool_call", "id": _get(block, "id"), "name": _get(block, "name"),
                "arguments": arguments}  # fmt: skip
    if kind == "tool_result":
        content = _result_content(_get(block, "content"))
        return {"type": "tool_call_response", "id": _get(block, "tool_use_id"), "response": content}
    return {"type": f"anthropic_{kind}" if isinstance(kind, str) else "anthropic_unknown"}


def _parts(content: object) -> list[dict[str, object]]:
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    if isinstance(content, list | tuple):
        return [_part(block) for block in content]
    return []


def content_attributes(body: Mapping[str, Any], output: object, limit: int) -> dict[str, Any]:
    """The content attributes of a ``messages.create`` call: its ``body`` (Anthropic-shaped,
    on every surface) and ``output`` (the answer's content blocks, or ``None`` when there is
    none), within ``limit`` bytes of JSON in UTF-8."""
    messages = body.get("messages") or []
    lists: dict[str, list[dict[str, object]]] = {}
    system = body.get("system")
    if system is not None:
        lists["gen_ai.system_instructions"] = [{"role": "", "parts": _parts(system)}]
    lists["gen_ai.input.messages"] = [
        {"role": str(_get(m, "role") or "user"), "parts": _parts(_get(m, "content"))}
        for m in messages
    ]
    if output is not None:
        lists["gen_ai.output.messages"] = [{"role": "assistant", "parts": _parts(output)}]
    attributes: dict[str, Any] = {}
    stops = body.get("stop_sequences")
    if isinstance(stops, list | tuple) and stops:
        attributes["gen_ai.request.stop_sequences"] = [str(s) for s in stops]
    # Newest first: drop the oldest parts (system, then input, then output) that do not fit.
    room = limit
    kept: dict[int, list[dict[str, object]]] = {}
    truncated = False
    ordered = [(key, i, m) for key in _ATTRIBUTES for i, m in enumerate(lists.get(key, []))]
    for index in range(len(ordered) - 1, -1, -1):
        parts = ordered[index][2]["parts"]
        assert isinstance(parts, list)
        fitting: list[dict[str, object]] = []
        for part in reversed(parts):
            size = len(_json(part).encode())
            if truncated or size > room:
                truncated = True
                continue
            room -= size
            fitting.insert(0, part)
        kept[index] = fitting
    for key in _ATTRIBUTES:
        if key not in lists:
            continue
        entries = [(i, m) for i, (k, _, m) in enumerate(ordered) if k == key]
        if key == "gen_ai.system_instructions":
            value: object = kept[entries[0][0]] if entries else []
        else:
            value = [{"role": m["role"], "parts": kept[i]} for i, m in entries]
        attributes[key] = _json(value)
    if truncated:
        attributes["anthropic.content.truncated"] = True
    return attributes
