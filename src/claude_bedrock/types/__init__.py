"""Typed request and response shapes."""

from ._base import BaseModel
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
    Usage,
)

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
    "Usage",
]
