"""Bedrock's Anthropic Messages API surfaces, as facts both sides share.

Bedrock serves Claude's Messages API (Anthropic's request shape, ``model`` in the body,
Server-Sent Events when ``stream`` is true) in two places besides InvokeModel/Converse:

* ``bedrock-mantle``: ``https://bedrock-mantle.{region}.api.aws/anthropic/v1/messages``,
  SigV4 signing name ``bedrock-mantle`` or a Bedrock API key; bare model IDs only
  (``anthropic.claude-opus-5``), in-Region only. What the official SDK's
  ``AnthropicBedrockMantle`` calls.
* ``bedrock-runtime``: ``https://bedrock-runtime.{region}.amazonaws.com/anthropic/v1/messages``,
  SigV4 signing name ``bedrock`` or a Bedrock API key; inference-profile IDs
  (``global.anthropic.claude-opus-5``). What AWS recommends for new applications.

Sources: AWS "Inference using Anthropic Messages API", AWS "Endpoints supported by Amazon
Bedrock", Anthropic "Claude in Amazon Bedrock" (see ``catalog/sources.json``:
``aws-messages-api``, ``aws-endpoints``, ``anthropic-mantle``). Neutral like the rest of
:mod:`claude_bedrock.wire`: no wording of our own, no exception classes.
"""

from __future__ import annotations

from typing import Any, Final, Literal

#: The surfaces a Claude call can take. ``invoke``: InvokeModel and
#: InvokeModelWithResponseStream; ``converse``: Converse and ConverseStream;
#: ``count-tokens``: bedrock-runtime's CountTokens; ``runtime-messages``: the Messages API on
#: bedrock-runtime; ``mantle``: the Messages API on bedrock-mantle.
Surface = Literal["invoke", "converse", "count-tokens", "runtime-messages", "mantle"]
SURFACES: Final[tuple[Surface, ...]] = (
    "invoke",
    "converse",
    "count-tokens",
    "runtime-messages",
    "mantle",
)

MESSAGES_PATH: Final = "/anthropic/v1/messages"
COUNT_TOKENS_PATH: Final = "/anthropic/v1/messages/count_tokens"
#: The path prefix the official SDK's ``base_url`` ends with on both surfaces.
BASE_PATH: Final = "/anthropic"

MANTLE_HOST: Final = "bedrock-mantle.{region}.api.aws"
RUNTIME_HOST: Final = "bedrock-runtime.{region}.amazonaws.com"
MANTLE_SIGNING_NAME: Final = "bedrock-mantle"
RUNTIME_SIGNING_NAME: Final = "bedrock"

#: ``anthropic-version`` header the AWS documentation asks for on both Messages surfaces.
#: (``2026-10-21`` is accepted for Claude 4.7 and later only; older models may answer 400.)
ANTHROPIC_VERSION: Final = "2023-06-01"
#: ``anthropic_version`` body field of InvokeModel, for every Claude model.
INVOKE_ANTHROPIC_VERSION: Final = "bedrock-2023-05-31"

VERSION_HEADER: Final = "anthropic-version"
BETA_HEADER: Final = "anthropic-beta"
WORKSPACE_HEADER: Final = "anthropic-workspace-id"
API_KEY_HEADER: Final = "x-api-key"

#: Anthropic's error ``type`` for an HTTP status, as the Messages API answers.
ERROR_TYPE_BY_STATUS: Final[dict[int, str]] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}

#: The HTTP status of each Anthropic error ``type`` (the inverse, for a stream's ``error`` event).
STATUS_BY_ERROR_TYPE: Final[dict[str, int]] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}

#: Bedrock's exception names and the Anthropic error type that carries the same meaning.
ERROR_TYPE_BY_BEDROCK_EXCEPTION: Final[dict[str, str]] = {
    "ValidationException": "invalid_request_error",
    "AccessDeniedException": "permission_error",
    "UnrecognizedClientException": "authentication_error",
    "InvalidSignatureException": "authentication_error",
    "ExpiredTokenException": "authentication_error",
    "ResourceNotFoundException": "not_found_error",
    "ThrottlingException": "rate_limit_error",
    "ServiceQuotaExceededException": "rate_limit_error",
    "ModelNotReadyException": "rate_limit_error",
    "ModelTimeoutException": "api_error",
    "ModelErrorException": "api_error",
    "InternalServerException": "api_error",
    "ServiceUnavailableException": "overloaded_error",
}


def error_envelope(error_type: str, message: str) -> dict[str, Any]:
    """Anthropic's error body: ``{"type": "error", "error": {"type": ..., "message": ...}}``."""
    return {"type": "error", "error": {"type": error_type, "message": message}}


def read_error_envelope(body: object) -> tuple[str, str] | None:
    """``(type, message)`` of an Anthropic error body, or None if ``body`` is not one."""
    if not isinstance(body, dict) or body.get("type") != "error":
        return None
    error = body.get("error")
    if not isinstance(error, dict):
        return None
    error_type, message = error.get("type"), error.get("message")
    if not isinstance(error_type, str):
        return None
    return error_type, message if isinstance(message, str) else ""
