"""Bedrock's error wire format: a JSON body ``{"message": ...}`` plus ``x-amzn-ErrorType``.

The Messages API routes (``/anthropic/v1/...``) answer the same errors in Anthropic's
envelope instead (:func:`anthropic_response`): ``{"type": "error", "error": {"type":
"invalid_request_error", "message": ...}}``, the type taken from the shared table in
:mod:`claude_bedrock.wire.messages_api`, the status unchanged.

Status codes come from botocore's service models (``bedrock-runtime/*/service-2.json``,
``error.httpStatusCode``); the authentication errors are the ones AWS's front door emits
before any service code runs. Messages are fixed strings or built from request *metadata*
(a model id, a key name): never from secrets or request bodies, so an error can be logged
and shown anywhere.
"""

from __future__ import annotations

import json
from typing import Any, Final

from ..wire import eventstream
from ..wire.messages_api import (
    ERROR_TYPE_BY_BEDROCK_EXCEPTION,
    ERROR_TYPE_BY_STATUS,
    error_envelope,
)
from .http_types import Response

__all__ = [
    "ERROR_STATUS",
    "INJECTED_HEADER",
    "STREAM_EXCEPTION_TYPES",
    "STREAM_THROTTLING",
    "BedrockError",
    "access_denied",
    "anthropic_error_type",
    "anthropic_response",
    "injected_exception_frame",
    "internal_error",
    "not_found",
    "throttled",
    "validation_error",
]

#: HTTP status of every error type the emulator can emit.
ERROR_STATUS: Final[dict[str, int]] = {
    # bedrock-runtime service model (service-2.json)
    "AccessDeniedException": 403,
    "ConflictException": 400,
    "InternalServerException": 500,
    "ModelErrorException": 424,
    "ModelNotReadyException": 429,
    "ModelStreamErrorException": 424,
    "ModelTimeoutException": 408,
    "ResourceNotFoundException": 404,
    "ServiceQuotaExceededException": 400,
    "ServiceUnavailableException": 503,
    "ThrottlingException": 429,
    "ValidationException": 400,
    # AWS front door (authentication / routing), common to every AWS JSON service
    "UnrecognizedClientException": 403,
    "InvalidSignatureException": 403,
    "IncompleteSignatureException": 403,
    "ExpiredTokenException": 403,
    "MissingAuthenticationTokenException": 403,
    "UnknownOperationException": 404,
    "RequestEntityTooLargeException": 413,
}

#: Error type -> the lower-camel member name Bedrock uses in ``:exception-type`` stream frames
#: (the ``ResponseStream`` union of bedrock-runtime's service model).
STREAM_EXCEPTION_TYPES: Final[dict[str, str]] = {
    "InternalServerException": "internalServerException",
    "ModelStreamErrorException": "modelStreamErrorException",
    "ValidationException": "validationException",
    "ThrottlingException": "throttlingException",
    "ModelTimeoutException": "modelTimeoutException",
    "ServiceUnavailableException": "serviceUnavailableException",
}


class BedrockError(Exception):
    """An error Bedrock would return; raise it from any handler or middleware.

    ``extra`` adds members some error shapes carry (``originalStatusCode``,
    ``resourceName``...). ``message_key`` is ``"Message"`` for the few front-door errors
    AWS spells with a capital M; botocore and our client read both spellings.
    """

    def __init__(
        self,
        error_type: str,
        message: str,
        *,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
        message_key: str = "message",
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.status = status if status is not None else ERROR_STATUS.get(error_type, 400)
        self.extra = extra or {}
        self.message_key = message_key
        self.headers = headers or []

    def __repr__(self) -> str:
        return f"BedrockError({self.error_type!r}, {self.message!r}, status={self.status})"

    def payload(self) -> dict[str, Any]:
        """The JSON document of the error (also the payload of an event-stream exception)."""
        return {self.message_key: self.message, **self.extra}

    def to_response(self) -> Response:
        """The HTTP response; the request id header is added by the dispatcher."""
        body = json.dumps(self.payload(), separators=(",", ":")).encode()
        headers = [("x-amzn-ErrorType", self.error_type), *self.headers]
        return Response(status=self.status, body=body, headers=headers)


def anthropic_error_type(error: BedrockError) -> str:
    """The Anthropic error ``type`` that carries the meaning of a Bedrock error: by its
    exception name, else by its status (a 5xx the table does not name is an ``api_error``)."""
    return (
        ERROR_TYPE_BY_BEDROCK_EXCEPTION.get(error.error_type)
        or ERROR_TYPE_BY_STATUS.get(error.status)
        or ("api_error" if error.status >= 500 else "invalid_request_error")
    )


def anthropic_response(error: BedrockError, *, error_type_header: bool) -> Response:
    """``error`` in Anthropic's envelope, with its status and extra headers (``Retry-After``).

    ``error_type_header`` keeps Bedrock's ``x-amzn-ErrorType`` beside it, as an AWS front
    door adds to whatever the service behind it answers.
    """
    envelope = error_envelope(anthropic_error_type(error), error.message)
    body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()
    headers = [("x-amzn-ErrorType", error.error_type)] if error_type_header else []
    return Response(status=error.status, body=body, headers=[*headers, *error.headers])


def validation_error(message: str) -> BedrockError:
    """A 400 ``ValidationException``."""
    return BedrockError("ValidationException", message)


def access_denied(message: str) -> BedrockError:
    """A 403 ``AccessDeniedException``."""
    return BedrockError("AccessDeniedException", message)


def not_found(message: str) -> BedrockError:
    """A 404 ``ResourceNotFoundException``."""
    return BedrockError("ResourceNotFoundException", message)


def throttled(message: str = "Too many requests, please wait before trying again.") -> BedrockError:
    """A 429 ``ThrottlingException`` (Bedrock's wording by default)."""
    return BedrockError("ThrottlingException", message)


def internal_error() -> BedrockError:
    """A 500 ``InternalServerException`` that reveals nothing about the failure."""
    return BedrockError(
        "InternalServerException",
        "The server encountered an internal error while processing the request.",
    )


#: Bedrock's text for a ``throttlingException`` frame inside a stream, as botocore users quote
#: it (``EventStreamError: An error occurred (throttlingException) when calling the
#: InvokeModelWithResponseStream operation: ...``, aws-samples/aws-genai-llm-chatbot#220; one
#: comment there, and BerriAI/litellm#589, show two spaces before "Wait": the report's own
#: single-space text is kept).
STREAM_THROTTLING: Final = (
    "Too many requests, please wait before trying again. "
    "You have sent too many requests. Wait before trying again."
)
#: The event-stream header on every exception frame the emulator injects (value ``"true"``):
#: Bedrock's frames carry only ``:``-prefixed headers, which clients read; this one labels the
#: frame as the emulator's without changing the message a client shows.
INJECTED_HEADER: Final = "x-emulator-injected"


def injected_exception_frame(member: str, message: str) -> bytes:
    """An exception frame (``member``: ``throttlingException``...) as Bedrock sends it
    mid-stream, labelled by :data:`INJECTED_HEADER` rather than in its message."""
    headers: dict[str, eventstream.HeaderValue] = {
        ":exception-type": member,
        ":content-type": "application/json",
        ":message-type": "exception",
        INJECTED_HEADER: "true",
    }
    return eventstream.encode_message(headers, json.dumps({"message": message}).encode())
