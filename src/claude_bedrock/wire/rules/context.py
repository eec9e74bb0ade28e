"""Context rules: what fits a model's context window, and how many tokens it may write.

The limits are the catalogue's (per model, per beta flag); these functions only compare.
:data:`CONTEXT_1M_BETA` is the one place the 1M-context beta flag is spelled in code (the
catalogue's ``limits.json`` holds it as data, and a catalogue file may override it).
"""

from __future__ import annotations

from typing import Final

from . import Rule, Violation

__all__ = ["CONTEXT_1M_BETA", "context_window_violation", "max_tokens_violation"]

#: The beta flag that opens the 1M-token context window on the models that offer it.
CONTEXT_1M_BETA: Final = "context-1m-2025-08-07"


def context_window_violation(
    input_tokens: int, max_tokens: int, context_limit: int
) -> Violation | None:
    """Input plus ``max_tokens`` over the window: Bedrock's "Input is too long" rule."""
    if input_tokens + max_tokens > context_limit:
        return Violation(Rule.CONTEXT_WINDOW, context_limit, input_tokens + max_tokens)
    return None


def max_tokens_violation(max_tokens: int, output_limit: int) -> Violation | None:
    """``max_tokens`` over what the model may write with these betas."""
    if max_tokens > output_limit:
        return Violation(Rule.MAX_TOKENS, output_limit, max_tokens, "max_tokens")
    return None
