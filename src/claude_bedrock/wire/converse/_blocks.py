"""Content blocks, Messages format -> Converse format (rules in :mod:`._common`)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ._common import (
    IMAGE_FORMATS,
    OFFICE_FORMATS,
    DocumentNameLimits,
    citation_to_converse,
    document_name_problem,
    fail,
    mapping,
    only,
)

__all__ = ["Forward", "block_to_converse", "cache_point", "content_to_converse"]


@dataclass(slots=True)
class Forward:
    """State of one Messages -> Converse translation.

    ``wire``: blobs as base64 text (HTTP body) instead of ``bytes`` (boto3's form).
    ``name_limits``: Converse's document-name rule (the catalogue's ``pdf_limits``).
    ``enable_pdf_citations``: a PDF without citations gets them enabled; otherwise its name
    is collected in ``text_only_pdfs`` (Claude will see its text only: the client warns).
    """

    name_limits: DocumentNameLimits | None = None
    wire: bool = False
    enable_pdf_citations: bool = False
    names: set[str] = field(default_factory=set)
    text_only_pdfs: list[str] = field(default_factory=list)

    def blob(self, data: object, where: str) -> bytes | str:
        if not isinstance(data, str):
            raise fail("expected base64 text", where)
        if self.wire:
            return data
        try:
            return base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise fail("not valid base64", where) from None


def content_to_converse(content: object, where: str, out: Forward) -> list[dict[str, Any]]:
    """A message's ``content`` (string or blocks) as Converse content blocks."""
    if isinstance(content, str):
        return [{"text": content}]
    if not isinstance(content, list | tuple):
        raise fail("expected a string or a list of content blocks", where)
    blocks: list[dict[str, Any]] = []
    for index, block in enumerate(content):
        blocks.extend(block_to_converse(block, f"{where}.{index}", out))
    return blocks


def block_to_converse(block: object, where: str, out: Forward) -> list[dict[str, Any]]:
    """One Messages block as one Converse block, plus a ``cachePoint`` if it is cached."""
    block = mapping(block, where)
    kind = block.get("type")
    handler = _TO_CONVERSE.get(kind)  # type: ignore[arg-type]
    if handler is None:
        raise fail(
            f"content blocks of type {kind!r} have no Converse equivalent", f"{where}.type",
            "unsupported_block", value=kind,
        )  # fmt: skip
    converted = handler(block, where, out)
    cache = block.get("cache_control")
    if cache is None:
        return [converted]
    return [converted, {"cachePoint": cache_point(cache, f"{where}.cache_control")}]


def cache_point(cache: object, where: str) -> dict[str, Any]:
    cache = mapping(cache, where)
    only(cache, frozenset({"type", "ttl"}), where)
    if cache.get("type") != "ephemeral":
        raise fail(
            f"cache type {cache.get('type')!r} has no Converse equivalent", where,
            "no_equivalent", value=cache.get("type"),
        )  # fmt: skip
    point: dict[str, Any] = {"type": "default"}
    if cache.get("ttl") is not None:
        point["ttl"] = cache["ttl"]
    return point


def _text(block: Mapping[str, Any], where: str, out: Forward) -> dict[str, Any]:
    only(block, frozenset({"type", "text", "citations", "cache_control"}), where)
    text = block.get("text")
    if not isinstance(text, str):
        raise fail("a text block needs a string `text`", f"{where}.text")
    citations = block.get("citations")
    if not citations:
        return {"text": text}
    converted = [citation_to_converse(c, f"{where}.citations.{i}") for i, c in enumerate(citations)]
    return {"citationsContent": {"content": [{"text": text}], "citations": converted}}


def _image(block: Mapping[str, Any], where: str, out: Forward) -> dict[str, Any]:
    only(block, frozenset({"type", "source", "cache_control"}), where)
    source = mapping(block.get("source"), f"{where}.source")
    if source.get("type") != "base64":
        raise fail(
            f"image sources of type {source.get('type')!r} have no Converse equivalent "
            "(Converse takes the image bytes or an S3 location)",
            f"{where}.source.type", "image_source", value=source.get("type"),
        )  # fmt: skip
    only(source, frozenset({"type", "media_type", "data"}), f"{where}.source")
    media = source.get("media_type")
    if media not in IMAGE_FORMATS:
        raise fail(
            f"unsupported image media type {media!r}", f"{where}.source.media_type",
            "no_equivalent", value=media, limit=tuple(IMAGE_FORMATS),
        )  # fmt: skip
    data = out.blob(source.get("data"), f"{where}.source.data")
    return {"image": {"format": IMAGE_FORMATS[media], "source": {"bytes": data}}}


def _document_source(
    source: Mapping[str, Any], where: str, out: Forward
) -> tuple[str, dict[str, Any]]:
    kind = source.get("type")
    if kind == "base64":
        only(source, frozenset({"type", "media_type", "data"}), where)
        media = source.get("media_type")
        fmt = "pdf" if media == "application/pdf" else OFFICE_FORMATS.get(str(media))
        if fmt is None:
            raise fail(
                f"unsupported document media type {media!r}", f"{where}.media_type",
                "no_equivalent", value=media,
            )  # fmt: skip
        return fmt, {"bytes": out.blob(source.get("data"), f"{where}.data")}
    if kind == "text":
        only(source, frozenset({"type", "media_type", "data"}), where)
        if not isinstance(source.get("data"), str):
            raise fail("a text source needs a string `data`", f"{where}.data")
        # As txt bytes, not Converse's `text` source: Bedrock takes that one only with
        # citations ("DocumentSource ... must set one of the following keys: bytes,
        # s3Location"), while bytes always work.
        raw = source["data"].encode("utf-8")
        return "txt", {"bytes": base64.b64encode(raw).decode("ascii") if out.wire else raw}
    if kind == "content":
        only(source, frozenset({"type", "content"}), where)
        content = source.get("content")
        if isinstance(content, str):
            return "txt", {"content": [{"text": content}]}
        parts = []
        for i, part in enumerate(content if isinstance(content, list) else [None]):
            part = mapping(part, f"{where}.content.{i}")
            only(part, frozenset({"type", "text"}), f"{where}.content.{i}")
            if part.get("type") != "text":
                raise fail(
                    "only text blocks have a Converse equivalent", f"{where}.content.{i}",
                    "no_equivalent", value=part.get("type"),
                )  # fmt: skip
            parts.append({"text": part.get("text")})
        return "txt", {"content": parts}
    raise fail(
        f"document sources of type {kind!r} have no Converse equivalent (Converse takes bytes, "
        "text, text blocks or an S3 location)",
        f"{where}.type", "no_equivalent", value=kind,
    )  # fmt: skip


def _document(block: Mapping[str, Any], where: str, out: Forward) -> dict[str, Any]:
    allowed = frozenset({"type", "source", "title", "context", "citations", "cache_control"})
    only(block, allowed, where)
    fmt, source = _document_source(
        mapping(block.get("source"), f"{where}.source"), f"{where}.source", out
    )
    name = block.get("title")
    if name is None:
        name = f"Document {len(out.names) + 1}"
        while name in out.names:
            name += " (1)"
    problem = document_name_problem(name, out.name_limits) if out.name_limits else None
    if problem is not None:
        raise fail(
            f"{problem} (Converse uses the title as the document name)", f"{where}.title",
            "document_name", value=name,
        )  # fmt: skip
    if name in out.names:
        raise fail(
            f"two documents are named {name!r}; Converse needs distinct document names",
            f"{where}.title", "duplicate_document_name", value=name,
        )  # fmt: skip
    out.names.add(name)
    document: dict[str, Any] = {"format": fmt, "name": name, "source": source}
    if block.get("context") is not None:
        document["context"] = block["context"]
    citations = block.get("citations")
    if citations is not None:
        citations = mapping(citations, f"{where}.citations")
        only(citations, frozenset({"enabled"}), f"{where}.citations")
        document["citations"] = {"enabled": bool(citations.get("enabled"))}
    if fmt == "pdf" and not document.get("citations", {}).get("enabled"):
        if out.enable_pdf_citations:
            document["citations"] = {"enabled": True}
        else:
            out.text_only_pdfs.append(name)
    return {"document": document}


def _tool_use(block: Mapping[str, Any], where: str, out: Forward) -> dict[str, Any]:
    only(block, frozenset({"type", "id", "name", "input", "cache_control"}), where)
    use: dict[str, Any] = {
        "toolUseId": block.get("id"), "name": block.get("name"), "input": block.get("input"),
    }  # fmt: skip
    if block["type"] == "server_tool_use":
        use["type"] = "server_tool_use"
    return {"toolUse": use}


def _tool_result(block: Mapping[str, Any], where: str, out: Forward) -> dict[str, Any]:
    allowed = frozenset({"type", "tool_use_id", "content", "is_error", "cache_control"})
    only(block, allowed, where)
    content = block.get("content")
    parts: list[dict[str, Any]] = []
    if isinstance(content, str):
        parts = [{"text": content}]
    elif content is not None:
        if not isinstance(content, list | tuple):
            raise fail("expected a string or a list of content blocks", f"{where}.content")
        for index, item in enumerate(content):
            here = f"{where}.content.{index}"
            converted = block_to_converse(item, here, out)
            if len(converted) > 1:
                raise fail(
                    "cache_control inside a tool result has no Converse equivalent",
                    f"{here}.cache_control", "cache_in_tool_result",
                )  # fmt: skip
            if not set(converted[0]) <= {"text", "image", "document", "searchResult"}:
                raise fail(
                    "no Converse equivalent inside a tool result", f"{here}.type",
                    "no_equivalent", value=next(iter(converted[0])),
                )  # fmt: skip
            parts.append(converted[0])
    result: dict[str, Any] = {"toolUseId": block.get("tool_use_id"), "content": parts}
    if block.get("is_error") is not None:
        result["status"] = "error" if block["is_error"] else "success"
    return {"toolResult": result}


def _thinking(block: Mapping[str, Any], where: str, out: Forward) -> dict[str, Any]:
    only(block, frozenset({"type", "thinking", "signature"}), where)
    text: dict[str, Any] = {"text": block.get("thinking")}
    if block.get("signature") is not None:
        text["signature"] = block["signature"]
    return {"reasoningContent": {"reasoningText": text}}


def _redacted(block: Mapping[str, Any], where: str, out: Forward) -> dict[str, Any]:
    only(block, frozenset({"type", "data"}), where)
    return {"reasoningContent": {"redactedContent": out.blob(block.get("data"), f"{where}.data")}}


def _search_result(block: Mapping[str, Any], where: str, out: Forward) -> dict[str, Any]:
    allowed = frozenset({"type", "source", "title", "content", "citations", "cache_control"})
    only(block, allowed, where)
    parts = []
    for i, part in enumerate(block.get("content") or []):
        part = mapping(part, f"{where}.content.{i}")
        only(part, frozenset({"type", "text"}), f"{where}.content.{i}")
        parts.append({"text": part.get("text")})
    result: dict[str, Any] = {
        "source": block.get("source"), "title": block.get("title"), "content": parts,
    }  # fmt: skip
    if block.get("citations") is not None:
        result["citations"] = {"enabled": bool(mapping(block["citations"], where).get("enabled"))}
    return {"searchResult": result}


_Handler = Callable[[Mapping[str, Any], str, Forward], dict[str, Any]]
_TO_CONVERSE: Final[dict[str, _Handler]] = {
    "text": _text,
    "image": _image,
    "document": _document,
    "tool_use": _tool_use,
    "server_tool_use": _tool_use,
    "tool_result": _tool_result,
    "thinking": _thinking,
    "redacted_thinking": _redacted,
    "search_result": _search_result,
}
