"""Converse's own checks on a conversation, as neutral violations.

Bedrock applies these before the model sees anything (so its answers do not carry the
"The model returned the following errors:" prefix): the conversation starts with a user
message and alternates roles, no content is empty and no text blank, tool results answer
the tool uses of the turn before, and images keep within the limits (passed in as data:
the catalogue's ``pdf_limits``). Document rules (count, names, size, pages, text block)
are checked elsewhere, for both APIs. The emulator words each violation as Bedrock does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from ._errors import Violation

__all__ = ["ImageLimits", "conversation_violation"]


class ImageLimits(Protocol):
    """Converse's image limits, as data (the catalogue's ``pdf_limits`` is one)."""

    @property
    def converse_max_images(self) -> int: ...
    @property
    def converse_max_image_bytes(self) -> int: ...


def _size(blob: object) -> int:
    return len(blob) * 3 // 4 if isinstance(blob, str) else 0


def _images(content: Sequence[Any]) -> Iterator[Mapping[str, Any]]:
    """The images of one message, tool results included."""
    for block in content:
        for part in [block, *((block.get("toolResult") or {}).get("content") or [])]:
            if part.get("image") is not None:
                yield part["image"]


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


def _image_limits(messages: Sequence[Mapping[str, Any]], limits: ImageLimits) -> Violation | None:
    images = [image for m in messages for image in _images(m.get("content") or [])]
    if len(images) > limits.converse_max_images:
        return Violation("too_many_images", "messages", len(images), limits.converse_max_images)
    for image in images:
        size = _size((image.get("source") or {}).get("bytes"))
        if size > limits.converse_max_image_bytes:
            return Violation("image_too_large", "messages", size, limits.converse_max_image_bytes)
    return None


def conversation_violation(
    messages: Sequence[Mapping[str, Any]], limits: ImageLimits
) -> Violation | None:
    """The first rule the (shape-valid, wire-form) ``messages`` break, or None."""
    return (
        _roles(messages) or _blocks(messages) or _tools(messages) or _image_limits(messages, limits)
    )
