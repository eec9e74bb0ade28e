"""What ``messages.parse(output_format=...)`` returns: a :class:`~.message.Message` whose
text blocks also carry the validated output, shaped as the official SDK's ``ParsedMessage``.

Each text block becomes a :class:`ParsedTextBlock` with ``parsed_output`` (the text
validated against the requested type), and :attr:`ParsedMessage.parsed_output` is the first
such value. ``parsed_output`` is excluded from ``model_dump()`` / ``to_dict()`` / ``to_json()``
as in the SDK, so a parsed message serialises exactly as the answer Bedrock sent.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import pydantic

from .message import Message, TextBlock

__all__ = ["ParsedMessage", "ParsedTextBlock", "ResponseFormatT", "parsed_block", "parsed_message"]

ResponseFormatT = TypeVar("ResponseFormatT")


class ParsedTextBlock(TextBlock, Generic[ResponseFormatT]):
    """A text block and its text validated against the requested output type."""

    parsed_output: ResponseFormatT | None = pydantic.Field(default=None, exclude=True)


class ParsedMessage(Message, Generic[ResponseFormatT]):
    """A message from ``messages.parse`` (or a parsed stream's ``get_final_message()``)."""

    @property
    def parsed_output(self) -> ResponseFormatT | None:
        """The first text block's validated output that is truthy, as the SDK's (None when
        no text block parsed)."""
        for block in self.content:
            if isinstance(block, ParsedTextBlock) and block.parsed_output:
                return block.parsed_output  # type: ignore[no-any-return]
        return None


def parsed_block(block: Any, parse_text: Any) -> Any:
    """A text block as a :class:`ParsedTextBlock` (any other block as it is)."""
    if not isinstance(block, TextBlock):
        return block
    fields = dict(block)
    fields["parsed_output"] = None if parse_text is None else parse_text(block.text)
    return ParsedTextBlock.model_construct(_fields_set=block.model_fields_set, **fields)


def parsed_message(
    message: Message, parse_text: Any, *, parsed_type: type[ParsedMessage[Any]] = ParsedMessage
) -> ParsedMessage[Any]:
    """``message`` as a :class:`ParsedMessage`: every text block parsed by ``parse_text``
    (``None`` for no output type), the other blocks and the call facts (cost, request id,
    invocation metrics) kept as they are. Built without validating again: the answer was
    read once already, tolerantly (see :mod:`.._parse`)."""
    content = [parsed_block(block, parse_text) for block in message.content]
    fields = dict(message)
    fields["content"] = content
    parsed = parsed_type.model_construct(_fields_set=message.model_fields_set, **fields)
    if message.__pydantic_private__:
        parsed.__pydantic_private__ = dict(message.__pydantic_private__)
    return parsed
