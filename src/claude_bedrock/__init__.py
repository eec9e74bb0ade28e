"""Claude on Amazon Bedrock: a fast drop-in client, a CLI, and a local Bedrock emulator.

``from claude_bedrock import AnthropicBedrock`` is all most programs need. Names are
imported on first use (PEP 562), so ``import claude_bedrock`` costs almost nothing and a
program pays only for the parts it touches (the CLI never loads pydantic to print help).
The exception classes are the exception: they import nothing, so they are loaded at once
and exported under the names :mod:`._exceptions` lists (one list, not two to keep alike).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._exceptions import *  # noqa: F403  (the exception classes: no dependencies, cheap)
from ._exceptions import __all__ as _exception_names
from ._version import __version__

if TYPE_CHECKING:
    from ._client import AnthropicBedrock, AsyncAnthropicBedrock
    from ._mantle_client import AnthropicBedrockMantle, AsyncAnthropicBedrockMantle
    from ._middleware import (
        APIRequest,
        AsyncCallNext,
        AsyncMiddlewareCallable,
        CallNext,
        Middleware,
        MiddlewareCallable,
        MiddlewareInput,
    )
    from ._placeholders import NOT_GIVEN, NotGiven, Omit, not_given, omit
    from ._response import APIResponse, AsyncAPIResponse
    from ._transports import MockTransport
    from .streaming import (
        AsyncMessageStream,
        AsyncMessageStreamManager,
        AsyncStream,
        MessageStream,
        MessageStreamManager,
        Stream,
    )
    from .tools import beta_async_tool, beta_tool

_LAZY: dict[str, str] = {
    "AnthropicBedrock": "._client",
    "AsyncAnthropicBedrock": "._client",
    "AnthropicBedrockMantle": "._mantle_client",
    "AsyncAnthropicBedrockMantle": "._mantle_client",
    "MockTransport": "._transports",
    "APIRequest": "._middleware",
    "Middleware": "._middleware",
    "MiddlewareInput": "._middleware",
    "MiddlewareCallable": "._middleware",
    "AsyncMiddlewareCallable": "._middleware",
    "CallNext": "._middleware",
    "AsyncCallNext": "._middleware",
    "APIResponse": "._response",
    "AsyncAPIResponse": "._response",
    "NOT_GIVEN": "._placeholders",
    "NotGiven": "._placeholders",
    "not_given": "._placeholders",
    "Omit": "._placeholders",
    "omit": "._placeholders",
    "types": ".types",
    "tools": ".tools",
    "beta_tool": ".tools",
    "beta_async_tool": ".tools",
    "Stream": ".streaming",
    "AsyncStream": ".streaming",
    "MessageStream": ".streaming",
    "AsyncMessageStream": ".streaming",
    "MessageStreamManager": ".streaming",
    "AsyncMessageStreamManager": ".streaming",
}

__all__ = [
    "__version__",
    "AnthropicBedrock",
    "AsyncAnthropicBedrock",
    "AnthropicBedrockMantle",
    "AsyncAnthropicBedrockMantle",
    "MockTransport",
    "APIRequest",
    "APIResponse",
    "AsyncAPIResponse",
    "Middleware",
    "MiddlewareInput",
    "MiddlewareCallable",
    "AsyncMiddlewareCallable",
    "CallNext",
    "AsyncCallNext",
    "NOT_GIVEN",
    "NotGiven",
    "not_given",
    "Omit",
    "omit",
    "Stream",
    "AsyncStream",
    "MessageStream",
    "AsyncMessageStream",
    "MessageStreamManager",
    "AsyncMessageStreamManager",
    "beta_tool",
    "beta_async_tool",
    *_exception_names,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'claude_bedrock' has no attribute {name!r}")
    mod = import_module(module, __name__)
    value = mod if name in ("types", "tools") else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
