"""The deterministic engine's tool loop: one call per tool the prompt names, then an answer.

A conversation is a loop when its last user message holds tool results: the prompt is the
last user message with content of its own (text, documents...), and every tool it names
(in the ``tools`` list's order) is called once, one per turn, before the engine answers
with text that echoes every result. Emulator behaviour chosen for tool-runner tests, not a
model's judgement.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["loop_results", "mentioned_tools", "next_in_loop", "text_of", "tool_results"]


def text_of(content: object) -> str:
    """The text of a message's content: its text blocks, tool results and documents."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts = []
    for block in content:
        if isinstance(block, Mapping):
            if block.get("type") == "text" and isinstance(block.get("text"), str):
                parts.append(block["text"])
            elif block.get("type") == "tool_result":
                parts.append(text_of(block.get("content")))
            elif block.get("type") == "document":
                from .document_checks import document_text

                parts.append(document_text(block))
    return "\n".join(p for p in parts if p)


def tool_results(message: Mapping[str, Any]) -> int:
    """How many ``tool_result`` blocks a message holds."""
    content = message.get("content")
    if not isinstance(content, list):
        return 0
    return sum(1 for b in content if isinstance(b, Mapping) and b.get("type") == "tool_result")


def _loop(request: Mapping[str, Any]) -> tuple[str, list[Mapping[str, Any]]] | None:
    """The prompt of a tool loop (the last user message with text of its own, not only
    tool results) and the messages after it; None when the last user message has no
    tool result (no loop is running)."""
    messages = [m for m in request.get("messages") or [] if isinstance(m, Mapping)]
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        content = message.get("content")
        if message.get("role") != "user":
            continue
        if isinstance(content, str) or any(
            isinstance(b, Mapping) and b.get("type") != "tool_result" for b in content or []
        ):
            if index == len(messages) - 1:
                return None
            return text_of(content), messages[index + 1 :]
    return None


def _called(after: list[Mapping[str, Any]]) -> set[str]:
    return {
        str(block.get("name"))
        for message in after
        if message.get("role") == "assistant" and isinstance(message.get("content"), list)
        for block in message["content"]
        if isinstance(block, Mapping) and block.get("type") == "tool_use"
    }


def next_in_loop(
    tools: list[Mapping[str, Any]], request: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """``tool_choice: auto`` after tool results: the next tool the prompt names (in the
    ``tools`` list's order) that was not called since the prompt, one per turn."""
    loop = _loop(request)
    if loop is None:
        return None
    prompt, after = loop
    called = _called(after)
    return next((t for t in mentioned_tools(tools, prompt) if t["name"] not in called), None)


def loop_results(request: Mapping[str, Any]) -> tuple[str, int] | None:
    """Every tool result since the loop's prompt, as text (what the final answer echoes),
    and how many; None for a single round (the last user message says it all)."""
    loop = _loop(request)
    if loop is None:
        return None
    rounds = [m for m in loop[1] if m.get("role") == "user"]
    if len(rounds) < 2:
        return None
    text = "\n".join(text_of(m.get("content")) for m in rounds)
    return text, sum(tool_results(m) for m in rounds)


_WORD: Final = re.compile(r"[\w-]+")


def mentioned_tools(tools: list[Mapping[str, Any]], text: str) -> list[Mapping[str, Any]]:
    """The tools ``text`` names (as a whole word), in the ``tools`` list's order.

    The text's words (runs of word characters and hyphens, the characters tool names are
    made of) are collected once, so many tools and a long prompt cost one pass, not one
    regex search per tool; a name with other characters is searched for on its own."""
    words: set[str] | None = None
    found = []
    for tool in tools:
        name = tool["name"]
        if _WORD.fullmatch(name):
            if words is None:
                words = set(_WORD.findall(text))
            if name in words:
                found.append(tool)
        elif re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
            found.append(tool)
    return found
