"""The answer of ``messages.count_tokens`` (the Anthropic SDK's ``MessageTokensCount``)."""

from __future__ import annotations

from ._base import BaseModel


class MessageTokensCount(BaseModel):
    input_tokens: int
