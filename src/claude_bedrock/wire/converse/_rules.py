"""Converse's own checks on a conversation, as neutral violations.

Bedrock applies most of these before the model sees anything (so its answers do not carry
the "The model returned the following errors:" prefix): the conversation starts with a user
message and alternates roles, no content is empty and no text blank, tool results answer
the tool uses of the turn before. The image limits (passed in as data: the catalogue's
``pdf_limits``) are the model's, which the emulator's Converse route prefixes. Document
rules (count, names, size, pages, text block) are checked elsewhere, for both APIs. The
emulator words each violation as Bedrock does.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any, Protocol

from ._errors import Violation

__all__ = ["ImageLimits", "conversation_violation"]


class ImageLimits(Protocol):
    """Converse's image limits, as data (the catalogue's ``pdf_limits`` is one)."""

    @property
    def converse_max_images(self) -> int: ...
    @property
    def converse_max_image_bytes(self) -> int: ...


def _encoded_size(blob: object) -> int:
    """The image's size as the model checks it: its base64 text's length (the wire form)."""
    return len(blob) if isinstance(blob, str) else 0


def _images(messages: Sequence[Mapping[str, Any]]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every image with its path (``messages.0.content.1.image``), tool results included."""
    for i, message in enumerate(messages):
        for j, block in enumerate(message.get("content") or []):
            if block.get("image") is not None:
                yield f"messages.{i}.content.{j}.image", block["image"]
            for k, part in enumerate((block.get("toolResult") or {}).get("content") or []):
                if part.get("image") is not None:
                    yield f"messages.{i}.content.{j}.toolResult.content.{k}.image", part["image"]


def _documents(messages: Sequence[Mapping[str, Any]]) -> int:
    return sum(1 for m in messages for b in m.get("content") or [] if b.get("document") is not None)


def _roles(messages: Sequence[Mapping[str, Any]]) -> Violation | None:
    if not messages or messages[0].get("role") != "user":
        role = messages[0].get("role") if messages else None
        return Violation("first_message_role", "messages.0", role, "user")
    for index, (before, message) in enumerate(zip(messages, messages[1:], strict=False), 1):
        if message.get("role") == "system":
            return Violation("system_role", f"messages.{index}", "system")
        if before.get("role") == message.get("role"):
            return Violation("alternating_roles", f"messages.{index}", message.get("role"))
    return None


def _blocks(messages: Sequence[Mapping[str, Any]]) -> Violation | None:
    for i, message in enumerate(messages):
        content = message.get("content") or []
        if not content:
            return Violation("empty_content", f"messages.{i}")
        for j, block in enumerate(content):
            text = block.get("text")
            if isinstance(text, str) and not text.strip():
                return Violation("blank_text", f"messages.{i}.content.{j}", text)
    return None


def _ids(content: Sequence[Mapping[str, Any]], kind: str) -> list[str]:
    return [str(b[kind].get("toolUseId")) for b in content if b.get(kind) is not None]


def _tools(messages: Sequence[Mapping[str, Any]]) -> Violation | None:
    for i, message in enumerate(messages):
        content = message.get("content") or []
        if message.get("role") == "user" and i > 0:
            uses = _ids(messages[i - 1].get("content") or [], "toolUse")
            results = _ids(content, "toolResult")
            if len(results) > len(uses):
                return Violation(
                    "extra_tool_results", f"messages.{i}.content", len(results), len(uses)
                )
        if message.get("role") == "assistant" and i + 1 < len(messages):
            answered = _ids(messages[i + 1].get("content") or [], "toolResult")
            missing = [u for u in _ids(content, "toolUse") if u not in answered]
            if missing:
                return Violation("missing_tool_results", f"messages.{i + 1}.content", missing)
    return None


def _image_limits(
    messages: Sequence[Mapping[str, Any]], limits: ImageLimits, skip: Collection[str]
) -> Violation | None:
    """Images and documents together at most ``converse_max_images`` (the model's count:
    "too many images and documents: 19 + 5 > 20"); each image's base64 text at most the
    base64 length of ``converse_max_image_bytes`` (3.75 MiB of bytes: 5,242,880)."""
    images = list(_images(messages))
    documents = _documents(messages)
    if len(images) + documents > limits.converse_max_images and "too_many_images" not in skip:
        count = f"{len(images)} + {documents}"
        return Violation("too_many_images", "messages", count, limits.converse_max_images)
    encoded_limit = 4 * -(-limits.converse_max_image_bytes // 3)
    for path, image in images:
        size = _encoded_size((image.get("source") or {}).get("bytes"))
        if size > encoded_limit:
            return Violation("image_too_large", f"{path}.source", size, encoded_limit)
    return None


def conversation_violation(
    messages: Sequence[Mapping[str, Any]], limits: ImageLimits, skip: Collection[str] = ()
) -> Violation | None:
    """The first rule the (shape-valid, wire-form) ``messages`` break, or None. ``skip``:
    rule names not to check (``too_many_images``, whose sources are uncertain, for a
    lenient emulator)."""
    return (
        _roles(messages)
        or _blocks(messages)
        or _tools(messages)
        or _image_limits(messages, limits, skip)
    )
