"""Converse's own checks on a conversation, with Bedrock's wording.

Bedrock applies these before the model sees anything (so they do not carry the "The
model returned the following errors:" prefix). The quoted messages are Bedrock's, as
users of the service report them; the image limits come from the catalogue
(``pdf_limits``). Document rules (count, names, size, pages, text block) are checked by
:mod:`claude_bedrock.emulator.documents` for both APIs. Returns the first problem, or None.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

__all__ = ["conversation_problem"]

START: Final = (
    "A conversation must start with a user message. Try again with a conversation that "
    "starts with a user message."
)
ALTERNATE: Final = (
    "A conversation must alternate between user and assistant roles. Make sure the "
    "conversation alternates between user and assistant roles and try again."
)
TOO_MANY_IMAGES: Final = "You can't include more than {n} images in a request."


def _size(blob: object) -> int:
    return len(blob) * 3 // 4 if isinstance(blob, str) else 0


def _images(content: Sequence[Any]) -> Iterator[Mapping[str, Any]]:
    """The images of one message, tool results included."""
    for block in content:
        for part in [block, *((block.get("toolResult") or {}).get("content") or [])]:
            if part.get("image") is not None:
                yield part["image"]


def _roles(messages: Sequence[Mapping[str, Any]]) -> str | None:
    if not messages or messages[0].get("role") != "user":
        return START
    for index, (before, message) in enumerate(zip(messages, messages[1:], strict=False), 1):
        if message.get("role") == "system":
            return (
                f"The system role at messages.{index} is not supported. Put system prompts in "
                "the system field and try again."
            )
        if before.get("role") == message.get("role"):
            return ALTERNATE
    return None


def _blocks(messages: Sequence[Mapping[str, Any]]) -> str | None:
    for i, message in enumerate(messages):
        content = message.get("content") or []
        if not content:
            return (
                f"The content field in the Message object at messages.{i} is empty. Add a "
                "ContentBlock object to the content field and try again."
            )
        for j, block in enumerate(content):
            text = block.get("text")
            if isinstance(text, str) and not text.strip():
                return (
                    f"The text field in the ContentBlock object at messages.{i}.content.{j} "
                    "is blank. Add text to the text field, and try again."
                )
    return None


def _ids(content: Sequence[Mapping[str, Any]], kind: str) -> list[str]:
    return [str(b[kind].get("toolUseId")) for b in content if b.get(kind) is not None]


def _tools(messages: Sequence[Mapping[str, Any]]) -> str | None:
    for i, message in enumerate(messages):
        content = message.get("content") or []
        if message.get("role") == "user" and i > 0:
            uses = _ids(messages[i - 1].get("content") or [], "toolUse")
            if len(_ids(content, "toolResult")) > len(uses):
                return (
                    f"The number of toolResult blocks at messages.{i}.content exceeds the "
                    "number of toolUse blocks of previous turn."
                )
        if message.get("role") == "assistant" and i + 1 < len(messages):
            answered = _ids(messages[i + 1].get("content") or [], "toolResult")
            missing = [u for u in _ids(content, "toolUse") if u not in answered]
            if missing:
                return (
                    f"Expected toolResult blocks at messages.{i + 1}.content for the following "
                    f"Ids: {', '.join(missing)}"
                )
    return None


def _image_limits(messages: Sequence[Mapping[str, Any]], limits: Any) -> str | None:
    images = [image for m in messages for image in _images(m.get("content") or [])]
    if len(images) > limits.converse_max_images:
        return TOO_MANY_IMAGES.format(n=limits.converse_max_images)
    for image in images:
        size = _size((image.get("source") or {}).get("bytes"))
        if size > limits.converse_max_image_bytes:
            return (
                f"An image is {size} bytes; images can be at most "
                f"{limits.converse_max_image_bytes} bytes (3.75 MB)."
            )
    return None


def conversation_problem(messages: Sequence[Mapping[str, Any]], limits: Any) -> str | None:
    """The first rule the (shape-valid, wire-form) ``messages`` break, or None."""
    return (
        _roles(messages) or _blocks(messages) or _tools(messages) or _image_limits(messages, limits)
    )
