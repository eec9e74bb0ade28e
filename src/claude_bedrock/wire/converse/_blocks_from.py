"""Content blocks, Converse format -> Messages format (rules in :mod:`._common`)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from ._common import (
    IMAGE_TYPES,
    OFFICE_TYPES,
    TEXT_FORMATS,
    b64_text,
    citation_from_converse,
    fail,
)
from ._errors import ConverseTranslationError

__all__ = ["blocks_from_converse", "cache_control", "one_member", "unknown_member"]


def one_member(block: object, where: str) -> tuple[str, Any]:
    if not isinstance(block, Mapping):
        raise fail("expected an object", where)
    members = [(k, v) for k, v in block.items() if v is not None]
    if len(members) != 1:
        names = ", ".join(k for k, _ in members) or "none"
        raise fail(f"a union block must set exactly one member (got: {names})", where)
    return members[0]


def unknown_member(member: str, where: str) -> ConverseTranslationError:
    """The error for a union member at ``where`` that the Messages format has no slot for."""
    return fail(
        f"{member!r} has no Messages API equivalent",
        f"{where}.{member}",
        "no_equivalent",
        value=member,
    )


def blocks_from_converse(blocks: object, where: str) -> list[dict[str, Any]]:
    """Converse content blocks as Messages blocks (``cachePoint`` -> ``cache_control``)."""
    if not isinstance(blocks, list | tuple):
        raise fail("expected a list of content blocks", where)
    out: list[dict[str, Any]] = []
    for index, block in enumerate(blocks):
        here = f"{where}.{index}"
        member, value = one_member(block, here)
        if member == "cachePoint":
            if not out:
                raise fail("a cachePoint must follow the block it caches", here)
            out[-1]["cache_control"] = cache_control(value, f"{here}.cachePoint")
            continue
        handler = _FROM_CONVERSE.get(member)
        if handler is None:
            raise fail(
                f"{member!r} blocks have no Messages API equivalent",
                f"{here}.{member}",
                "no_equivalent",
                value=member,
            )
        out.append(handler(value, f"{here}.{member}"))
    return out


def cache_control(point: Mapping[str, Any], where: str) -> dict[str, Any]:
    if point.get("type") != "default":
        raise fail(f"cache point type {point.get('type')!r} is not known", f"{where}.type")
    out: dict[str, Any] = {"type": "ephemeral"}
    if point.get("ttl") is not None:
        out["ttl"] = point["ttl"]
    return out


def _text_from(value: Any, where: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def _citations_from(value: Mapping[str, Any], where: str) -> dict[str, Any]:
    text = "".join(str(part.get("text", "")) for part in value.get("content") or [])
    citations = [
        citation_from_converse(c, f"{where}.citations.{i}")
        for i, c in enumerate(value.get("citations") or [])
    ]
    return {"type": "text", "text": text, "citations": citations}


def _image_from(value: Mapping[str, Any], where: str) -> dict[str, Any]:
    source = value.get("source") or {}
    if "bytes" not in source:
        raise fail(
            "only image bytes have a Messages API equivalent", f"{where}.source", "no_equivalent"
        )
    media = IMAGE_TYPES.get(value.get("format", ""))
    if media is None:
        raise fail(f"unsupported image format {value.get('format')!r}", f"{where}.format")
    data = b64_text(source["bytes"], f"{where}.source.bytes")
    return {"type": "image", "source": {"type": "base64", "media_type": media, "data": data}}


def _document_from(value: Mapping[str, Any], where: str) -> dict[str, Any]:
    source, fmt = value.get("source") or {}, value.get("format")
    member, data = one_member(source, f"{where}.source")
    if member == "text":
        out_source: dict[str, Any] = {"type": "text", "media_type": "text/plain", "data": data}
    elif member == "content":
        parts = [{"type": "text", "text": part.get("text")} for part in data]
        out_source = {"type": "content", "content": parts}
    elif member == "bytes" and fmt in TEXT_FORMATS:
        raw = base64.b64decode(b64_text(data, f"{where}.source.bytes"))
        text = raw.decode("utf-8", errors="replace")
        out_source = {"type": "text", "media_type": "text/plain", "data": text}
    elif member == "bytes" and (fmt == "pdf" or fmt in OFFICE_TYPES):
        media = "application/pdf" if fmt == "pdf" else OFFICE_TYPES[str(fmt)]
        out_source = {"type": "base64", "media_type": media,
                      "data": b64_text(data, f"{where}.source.bytes")}  # fmt: skip
    else:
        raise fail(
            f"document source {member!r} ({fmt}) has no Messages API equivalent",
            where,
            "no_equivalent",
            value=member,
        )
    out: dict[str, Any] = {"type": "document", "source": out_source, "title": value.get("name")}
    if value.get("context") is not None:
        out["context"] = value["context"]
    if value.get("citations") is not None:
        out["citations"] = {"enabled": bool(value["citations"].get("enabled"))}
    return out


def _tool_use_from(value: Mapping[str, Any], where: str) -> dict[str, Any]:
    kind = "server_tool_use" if value.get("type") == "server_tool_use" else "tool_use"
    return {"type": kind, "id": value.get("toolUseId"), "name": value.get("name"),
            "input": value.get("input")}  # fmt: skip


def _tool_result_from(value: Mapping[str, Any], where: str) -> dict[str, Any]:
    if value.get("type") is not None:
        raise fail(
            "tool result types have no Messages API equivalent", f"{where}.type", "no_equivalent"
        )
    parts: list[dict[str, Any]] = []
    for index, part in enumerate(value.get("content") or []):
        here = f"{where}.content.{index}"
        member, sub = one_member(part, here)
        if member == "json":  # Bedrock hands JSON results to Claude as their text
            parts.append({"type": "text", "text": json.dumps(sub, ensure_ascii=False)})
        elif member in ("text", "image", "document", "searchResult"):
            parts.append(_FROM_CONVERSE[member](sub, f"{here}.{member}"))
        else:
            raise fail(
                f"{member!r} has no Messages API equivalent",
                f"{here}.{member}",
                "no_equivalent",
                value=member,
            )
    out: dict[str, Any] = {"type": "tool_result", "tool_use_id": value.get("toolUseId"),
                           "content": parts}  # fmt: skip
    if value.get("status") is not None:
        out["is_error"] = value["status"] == "error"
    return out


def _reasoning_from(value: Mapping[str, Any], where: str) -> dict[str, Any]:
    member, sub = one_member(value, where)
    if member == "redactedContent":
        return {"type": "redacted_thinking", "data": b64_text(sub, f"{where}.redactedContent")}
    if member != "reasoningText":
        raise unknown_member(member, where)
    return {"type": "thinking", "thinking": sub.get("text"), "signature": sub.get("signature", "")}


def _search_result_from(value: Mapping[str, Any], where: str) -> dict[str, Any]:
    parts = [{"type": "text", "text": part.get("text")} for part in value.get("content") or []]
    out: dict[str, Any] = {"type": "search_result", "source": value.get("source"),
                           "title": value.get("title"), "content": parts}  # fmt: skip
    if value.get("citations") is not None:
        out["citations"] = {"enabled": bool(value["citations"].get("enabled"))}
    return out


_FROM_CONVERSE: Final[dict[str, Callable[[Any, str], dict[str, Any]]]] = {
    "text": _text_from,
    "citationsContent": _citations_from,
    "image": _image_from,
    "document": _document_from,
    "toolUse": _tool_use_from,
    "toolResult": _tool_result_from,
    "reasoningContent": _reasoning_from,
    "searchResult": _search_result_from,
}
