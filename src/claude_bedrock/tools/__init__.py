"""Tool helpers, as the official SDK 2.16's ``anthropic.lib.tools``: typed functions as
tools (:func:`beta_tool`, :func:`beta_async_tool`) and the loop that runs them
(:class:`ToolRunner`, what ``client.beta.messages.tool_runner(...)`` returns)."""

from ._functions import (
    BetaAsyncFunctionTool,
    BetaFunctionTool,
    ToolError,
    beta_async_tool,
    beta_tool,
)
from ._runner import AsyncToolRunner, BetaAsyncToolRunner, BetaToolRunner, ToolRunner

__all__ = [
    "AsyncToolRunner",
    "BetaAsyncFunctionTool",
    "BetaAsyncToolRunner",
    "BetaFunctionTool",
    "BetaToolRunner",
    "ToolError",
    "ToolRunner",
    "beta_async_tool",
    "beta_tool",
]
