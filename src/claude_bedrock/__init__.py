"""Claude on Amazon Bedrock: a fast drop-in client, a CLI, and a local Bedrock emulator.

``from claude_bedrock import AnthropicBedrock`` is all most programs need. Names are
imported on first use (PEP 562), so ``import claude_bedrock`` costs almost nothing and a
program pays only for the parts it touches (the CLI never loads pydantic to print help).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._client import AnthropicBedrock, AsyncAnthropicBedrock
    from ._exceptions import (
        AnthropicError,
        APIConnectionError,
        APIError,
        APIResponseValidationError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ClaudeBedrockError,
        ClientValidationError,
        ConflictError,
        ContextWindowError,
        CredentialsError,
        DocumentLimitError,
        InternalServerError,
        InvalidModelError,
        ModelError,
        ModelNotAvailableError,
        ModelNotReadyError,
        ModelTimeoutError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        RequestTooLargeError,
        ServiceQuotaExceededError,
        ServiceUnavailableError,
        StreamError,
        UnprocessableEntityError,
    )
    from ._transports import MockTransport
    from .streaming import (
        AsyncMessageStream,
        AsyncMessageStreamManager,
        AsyncStream,
        MessageStream,
        MessageStreamManager,
        Stream,
    )

_LAZY: dict[str, str] = {
    "AnthropicBedrock": "._client",
    "AsyncAnthropicBedrock": "._client",
    "MockTransport": "._transports",
    "types": ".types",
    "Stream": ".streaming",
    "AsyncStream": ".streaming",
    "MessageStream": ".streaming",
    "AsyncMessageStream": ".streaming",
    "MessageStreamManager": ".streaming",
    "AsyncMessageStreamManager": ".streaming",
}
_EXCEPTIONS = (
    "AnthropicError", "ClaudeBedrockError", "APIError", "APIStatusError", "APIConnectionError",
    "APITimeoutError", "APIResponseValidationError", "BadRequestError", "AuthenticationError",
    "PermissionDeniedError", "NotFoundError", "ConflictError", "RequestTooLargeError",
    "UnprocessableEntityError", "RateLimitError", "InternalServerError",
    "ServiceUnavailableError", "ModelTimeoutError", "ModelError", "ServiceQuotaExceededError",
    "ModelNotReadyError", "StreamError", "ClientValidationError", "InvalidModelError",
    "ModelNotAvailableError", "DocumentLimitError", "ContextWindowError", "CredentialsError",
)  # fmt: skip
_LAZY.update(dict.fromkeys(_EXCEPTIONS, "._exceptions"))

__all__ = [
    "__version__",
    "AnthropicBedrock",
    "AsyncAnthropicBedrock",
    "MockTransport",
    "Stream",
    "AsyncStream",
    "MessageStream",
    "AsyncMessageStream",
    "MessageStreamManager",
    "AsyncMessageStreamManager",
    "AnthropicError",
    "ClaudeBedrockError",
    "APIError",
    "APIStatusError",
    "APIConnectionError",
    "APITimeoutError",
    "APIResponseValidationError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "RequestTooLargeError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "ServiceUnavailableError",
    "ModelTimeoutError",
    "ModelError",
    "ServiceQuotaExceededError",
    "ModelNotReadyError",
    "StreamError",
    "ClientValidationError",
    "InvalidModelError",
    "ModelNotAvailableError",
    "DocumentLimitError",
    "ContextWindowError",
    "CredentialsError",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'claude_bedrock' has no attribute {name!r}")
    mod = import_module(module, __name__)
    value = mod if name == "types" else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
