"""The emulator's token counter: one deterministic approximation used everywhere.

This is **not** Claude's tokenizer (which is not public). It counts "pieces": runs of word
characters and single punctuation marks (``\\w+|[^\\w\\s]``), so ``"Hello, world"`` is 3
pieces. Usage figures (InvokeModel, streaming metrics, CountTokens) all come from here, so
they agree with each other, grow with the input, and are stable across runs and machines.

Rules, so that callers and tests can reason about the numbers:

* text: its pieces;
* each message costs :data:`MESSAGE_OVERHEAD` on top of its content, each request
  :data:`REQUEST_OVERHEAD`, and a request with tools :data:`TOOLS_OVERHEAD` once;
* a tool definition: pieces of its name, description and JSON schema (keys sorted);
* ``tool_use``: name plus its JSON input; ``tool_result``: its content plus 2;
* images: 1 token per :data:`IMAGE_BYTES_PER_TOKEN` bytes of decoded data (at least 16);
  documents: their text, or 1 token per :data:`DOCUMENT_BYTES_PER_TOKEN` decoded bytes;
* anything unknown: the pieces of its JSON form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "DOCUMENT_BYTES_PER_TOKEN",
    "IMAGE_BYTES_PER_TOKEN",
    "MESSAGE_OVERHEAD",
    "REQUEST_OVERHEAD",
    "TOOLS_OVERHEAD",
    "Segment",
    "count_block",
    "count_content",
    "count_input_tokens",
    "count_text",
    "input_segments",
    "piece_ends",
    "prefix_end",
]

REQUEST_OVERHEAD: Final = 4
MESSAGE_OVERHEAD: Final = 3
TOOLS_OVERHEAD: Final = 20
IMAGE_BYTES_PER_TOKEN: Final = 100
DOCUMENT_BYTES_PER_TOKEN: Final = 32
_MIN_MEDIA_TOKENS: Final = 16

_PIECE = re.compile(r"\w+|[^\w\s]")


def count_text(text: str) -> int:
    """Pieces in ``text``."""
    return len(_PIECE.findall(text))


def piece_ends(text: str) -> list[int]:
    """End offset of every piece, so ``text[:ends[n-1]]`` holds exactly ``n`` pieces."""
    return [match.end() for match in _PIECE.finditer(text)]


def prefix_end(text: str, pieces: int) -> int:
    """Offset just after the ``pieces``-th piece (``len(text)`` if there are fewer)."""
    if pieces <= 0:
        return 0
    for index, match in enumerate(_PIECE.finditer(text), start=1):
        if index == pieces:
            return match.end()
    return len(text)


def _base64_size(data: object) -> int:
    return len(data) * 3 // 4 if isinstance(data, str) else 0


def _count_json(value: object) -> int:
    return count_text(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))


def _count_source(source: object, bytes_per_token: int) -> int:
    if not isinstance(source, Mapping):
        return _MIN_MEDIA_TOKENS
    kind = source.get("type")
    if kind == "base64":
        return max(_MIN_MEDIA_TOKENS, -(-_base64_size(source.get("data")) // bytes_per_token))
    if kind == "text":
        data = source.get("data")
        return count_text(data) if isinstance(data, str) else _MIN_MEDIA_TOKENS
    if kind == "content":
        return count_content(source.get("content"))
    return _count_json(source)


def count_block(block: object) -> int:
    """Tokens of one content block (or a bare string)."""
    if isinstance(block, str):
        return count_text(block)
    if not isinstance(block, Mapping):
        return _count_json(block)
    kind = block.get("type")
    if kind == "text":
        text = block.get("text")
        return count_text(text) if isinstance(text, str) else 0
    if kind == "image":
        return _count_source(block.get("source"), IMAGE_BYTES_PER_TOKEN)
    if kind == "document":
        extra = sum(count_text(str(block[k])) for k in ("title", "context") if block.get(k))
        return _count_source(block.get("source"), DOCUMENT_BYTES_PER_TOKEN) + extra
    if kind == "tool_use":
        return count_text(str(block.get("name", ""))) + _count_json(block.get("input", {}))
    if kind == "tool_result":
        return count_content(block.get("content", "")) + 2
    if kind == "thinking":
        thinking = block.get("thinking")
        return count_text(thinking) if isinstance(thinking, str) else 0
    if kind == "redacted_thinking":
        data = block.get("data")
        return len(data) // 4 if isinstance(data, str) else 0
    return _count_json(block)


def count_content(content: object) -> int:
    """Tokens of a message's ``content`` (a string or a list of blocks)."""
    if isinstance(content, str):
        return count_text(content)
    if isinstance(content, list):
        return sum(count_block(block) for block in content)
    return 0


def _count_tool(tool: object) -> int:
    if not isinstance(tool, Mapping):
        return _count_json(tool)
    if "input_schema" not in tool:  # a server tool (bash, text editor...): its JSON form
        return _count_json(tool)
    total = count_text(str(tool.get("name", "")))
    description = tool.get("description")
    if isinstance(description, str):
        total += count_text(description)
    return total + _count_json(tool.get("input_schema"))


@dataclass(frozen=True, slots=True)
class Segment:
    """One cacheable unit of a prompt, in prompt order (tools, system, messages).

    ``cached`` is true when the unit carries ``cache_control``: the prompt prefix up to and
    including it can be written to (and later read from) the prompt cache.
    """

    tokens: int
    cached: bool
    item: Any


def _has_cache_control(item: object) -> bool:
    return isinstance(item, Mapping) and item.get("cache_control") is not None


def input_segments(body: Mapping[str, Any]) -> Iterator[Segment]:
    """The request's prompt as :class:`Segment` units; their tokens sum to the input count."""
    tools = body.get("tools")
    if isinstance(tools, list) and tools:
        yield Segment(REQUEST_OVERHEAD + TOOLS_OVERHEAD, False, None)
        for tool in tools:
            yield Segment(_count_tool(tool), _has_cache_control(tool), tool)
    else:
        yield Segment(REQUEST_OVERHEAD, False, None)
    system = body.get("system")
    if isinstance(system, str):
        yield Segment(count_text(system), False, system)
    elif isinstance(system, list):
        for block in system:
            yield Segment(count_block(block), _has_cache_control(block), block)
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in messages:
            if not isinstance(message, Mapping):
                continue
            content = message.get("content")
            yield Segment(MESSAGE_OVERHEAD, False, message.get("role"))
            if isinstance(content, str):
                yield Segment(count_text(content), False, content)
            elif isinstance(content, list):
                for block in content:
                    yield Segment(count_block(block), _has_cache_control(block), block)


def count_input_tokens(body: Mapping[str, Any]) -> int:
    """Input tokens of a Messages API request body (system, messages, tools)."""
    return sum(segment.tokens for segment in input_segments(body))
