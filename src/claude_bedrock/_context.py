"""Early context-window check: refuse, before sending, a prompt that clearly cannot fit.

Claude's tokenizer is not public, so the check uses a *lower bound* on the input tokens
and only trips when even that bound does not fit; it can never block a call Bedrock would
accept (Bedrock remains the judge of the rest, with its "Input is too long for requested
model." error).

The bound counts whitespace-separated words in the prompt's text (system, text blocks,
tool results, text documents). Claude's tokens, like those of every byte-pair tokenizer
that pre-splits text on whitespace, never span two such words, so each word is at least
one token. For English that is about three quarters of the real count, so the check
trips at roughly 1.3 times the window: "clearly over". Images, PDFs, tool definitions and
thinking blocks count zero, which keeps it a lower bound.

Cost: one walk over the body adding string lengths; only when the text is long enough
that its words *could* exceed the window (more than about 2 characters per remaining
token) are the words counted, 64 K characters at a time so that no copy of a long prompt
is ever made (about 40 ms for 4 MB, measured).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from ._exceptions import ContextWindowError
from .wire.rules.context import context_window_violation

if TYPE_CHECKING:
    from .catalog import ModelInfo
    from .resources._params import PreparedCall

__all__ = ["check_context_window", "input_tokens_lower_bound", "prompt_texts"]

_CHUNK: Final = 65536


def _block_texts(block: object) -> Iterator[str]:
    if isinstance(block, str):
        yield block
        return
    if not isinstance(block, Mapping):
        return
    kind = block.get("type")
    if kind == "text" and isinstance(block.get("text"), str):
        yield block["text"]
    elif kind == "tool_result":
        yield from _content_texts(block.get("content"))
    elif kind == "document":
        source = block.get("source")
        if isinstance(source, Mapping):
            if source.get("type") == "text" and isinstance(source.get("data"), str):
                yield source["data"]
            elif source.get("type") == "content":
                yield from _content_texts(source.get("content"))


def _content_texts(content: object) -> Iterator[str]:
    if isinstance(content, str):
        yield content
    elif isinstance(content, list):
        for block in content:
            yield from _block_texts(block)


def prompt_texts(body: Mapping[str, Any]) -> Iterator[str]:
    """Every text of the prompt that certainly costs input tokens (see the module doc)."""
    yield from _content_texts(body.get("system"))
    for message in body.get("messages") or ():
        if isinstance(message, Mapping):
            yield from _content_texts(message.get("content"))


def _words(text: str, stop_after: int) -> int:
    """Whitespace-separated words of ``text`` (at least; stops once above ``stop_after``)."""
    if len(text) <= _CHUNK:
        return len(text.split())
    count = 0
    for start in range(0, len(text), _CHUNK):
        count += len(text[start : start + _CHUNK].split())
        if start and not text[start - 1].isspace() and not text[start].isspace():
            count -= 1  # a word cut by the chunk edge was counted in both chunks
        if count > stop_after:
            break
    return count


def input_tokens_lower_bound(body: Mapping[str, Any], *, stop_after: int | None = None) -> int:
    """A number of input tokens the body certainly reaches (0 when it is clearly small).

    With ``stop_after``, counting stops as soon as the bound exceeds it, and texts too
    short to get there are not counted at all.
    """
    texts = list(prompt_texts(body))
    most = sum((len(t) + 1) // 2 for t in texts)  # a word needs a character and a separator
    if stop_after is not None and most <= stop_after:
        return 0
    limit = stop_after if stop_after is not None else most
    total = 0
    for text in texts:
        total += _words(text, limit - total)
        if stop_after is not None and total > stop_after:
            break
    return total


def _advice(info: ModelInfo, tokens: int, max_tokens: int, limit: int, has_1m: bool) -> str:
    head = (
        f"The input is at least {tokens:,} tokens (a lower bound counted locally) and, with "
        f"max_tokens={max_tokens:,}, cannot fit the {limit:,}-token context window of "
        f"{info.name}."
    )
    if info.context_1m and not has_1m and tokens + max_tokens <= info.context_1m_tokens:
        return (
            f"{head} This catalogue entry opens 1M tokens with the beta "
            f"{info.context_1m_beta!r}: pass context_1m=True to the call (or to the client)."
        )
    if limit >= 1_000_000 or info.context_1m:
        return f"{head} Shorten the input or lower max_tokens."
    from .catalog import Catalog, model_names

    retired = (
        f" The 1M beta {info.context_1m_beta!r} was retired on 2026-04-30 and no longer "
        f"raises {info.name}'s window."
        if has_1m
        else ""
    )
    return (
        f"{head}{retired} The input is too long for this model: shorten it, or use a model "
        f"with a native 1M-token window ({model_names(Catalog.default().context_1m_models())})."
    )


def check_window(
    info: ModelInfo, body: Mapping[str, Any], sent_betas: Sequence[str] | None = None
) -> None:
    """Raise ContextWindowError if ``body`` clearly does not fit ``info``'s window, given
    the betas sent (``sent_betas``; None: the body's ``anthropic_beta``)."""
    betas = (body.get("anthropic_beta") or ()) if sent_betas is None else sent_betas
    betas = tuple(b for b in betas if isinstance(b, str))
    limit = info.context_limit(betas)
    max_tokens = body.get("max_tokens")
    max_tokens = max_tokens if isinstance(max_tokens, int) else 0
    tokens = input_tokens_lower_bound(body, stop_after=limit - max_tokens)
    if context_window_violation(tokens, max_tokens, limit) is not None:
        has_1m = info.context_1m_beta in betas
        raise ContextWindowError(_advice(info, tokens, max_tokens, limit, has_1m))


def check_context_window(call: PreparedCall) -> None:
    """The early check on a prepared call (no-op for models the catalogue does not know).

    For calls that generate (create, stream); not for count_tokens, whose purpose is to
    measure prompts, too long ones included.
    """
    info = call.resolved.info
    if info is not None:
        check_window(info, call.body, call.betas or None)
