"""Typed request and response shapes."""

from . import stream_events
from ._base import BaseModel
from .count_tokens import MessageTokensCount
from .message import (
    ContentBlock,
    Cost,
    Message,
    RedactedThinkingBlock,
    ServerToolUseBlock,
    StopReason,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    UnknownBlock,
    Usage,
)
from .parsed import ParsedMessage, ParsedTextBlock
from .stream_events import *  # noqa: F403  (its ``__all__``: one list, not two)

__all__ = [
    "BaseModel",
    "ContentBlock",
    "Cost",
    "Message",
    "RedactedThinkingBlock",
    "ServerToolUseBlock",
    "StopReason",
    "TextBlock",
    "ThinkingBlock",
    "ToolUseBlock",
    "UnknownBlock",
    "Usage",
    "MessageTokensCount",
    "ParsedMessage",
    "ParsedTextBlock",
    *stream_events.__all__,
]
