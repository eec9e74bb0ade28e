"""Exception hierarchy.

The names and the inheritance tree mirror the Anthropic SDK's, so that code written
``except anthropic.RateLimitError`` switches to ``except claude_bedrock.RateLimitError``
with one import changed. Every API error also carries what Bedrock said: the
``x-amzn-ErrorType`` (``error_type``), the message and the request id.

Errors raised *before* a request is sent (a model not offered in the region, a PDF
over the limits, missing credentials) are :class:`ClientValidationError` subclasses:
they say what is wrong and what to do instead, and cost no round trip.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._secrets import redact

if TYPE_CHECKING:
    import httpx

__all__ = [
    "AnthropicError",
    "ClaudeBedrockError",
    "APIError",
    "APIStatusError",
    "APIConnectionError",
    "APITimeoutError",
    "APIResponseValidationError",
    "ResponseTooLargeError",
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
    "ModelEndOfLifeError",
    "SurfaceNotSupportedError",
    "UnknownModelWarning",
    "ModelIdMendedWarning",
    "LegacyModelWarning",
    "RetiredBetaWarning",
    "ServiceTierWarning",
]


class AnthropicError(Exception):
    """Base of every error this package raises (same name as the Anthropic SDK's base)."""


#: Our own name for the base class; ``AnthropicError`` is kept for drop-in compatibility.
ClaudeBedrockError = AnthropicError


class APIError(AnthropicError):
    """An error that concerns a request to Bedrock."""

    message: str
    request: httpx.Request | None
    body: object | None
    error_type: str | None
    request_id: str | None

    def __init__(
        self,
        message: str,
        request: httpx.Request | None = None,
        *,
        body: object | None = None,
        error_type: str | None = None,
        request_id: str | None = None,
    ) -> None:
        # A server may echo the request (headers, token) into its message: never keep ours.
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.request = request
        self.body = body
        self.error_type = error_type
        self.request_id = request_id

    def __str__(self) -> str:
        parts = [self.message]
        if self.error_type:
            parts.insert(0, f"{self.error_type}:")
        if self.request_id:
            parts.append(f"(request id {self.request_id})")
        return " ".join(parts)


class APIResponseValidationError(APIError):
    """A 2xx answer that is not a valid Bedrock response: not JSON, not the shape the
    operation returns (an error document, a proxy's HTML page, ``[]``, a cut body, a field of
    the wrong type), or an unreadable stream frame or event.

    The official SDK's class and constructor (``response, body, *, message``); like
    :class:`APIStatusError` it also carries ``request_id`` (``x-amzn-RequestId``, else
    ``request-id``), read from the response unless given. ``response`` and ``status_code``
    are None only when there was no HTTP response (a body parsed on its own).
    """

    response: httpx.Response | None
    status_code: int | None

    def __init__(
        self,
        response: httpx.Response | None,
        body: object | None = None,
        *,
        message: str | None = None,
        request_id: str | None = None,
    ) -> None:
        request = response.request if response is not None else None
        if request_id is None and response is not None:
            headers = response.headers
            request_id = headers.get("x-amzn-requestid") or headers.get("request-id")
        super().__init__(
            message or "The server's answer is not a valid Bedrock response.",
            request,
            body=body,
            request_id=request_id,
        )
        self.response = response
        self.status_code = response.status_code if response is not None else None


class ResponseTooLargeError(APIResponseValidationError):
    """The answer is larger than the client's ``max_response_bytes`` allows (refused unread)."""


class APIStatusError(APIError):
    """Bedrock answered with a 4xx or 5xx status (or an exception frame in a stream)."""

    status_code: int
    response: httpx.Response | None

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response | None = None,
        status_code: int | None = None,
        body: object | None = None,
        error_type: str | None = None,
        request_id: str | None = None,
    ) -> None:
        request = response.request if response is not None else None
        if request_id is None and response is not None:
            request_id = response.headers.get("x-amzn-requestid")
        super().__init__(message, request, body=body, error_type=error_type, request_id=request_id)
        self.response = response
        if status_code is None:
            status_code = response.status_code if response is not None else 0
        self.status_code = status_code


class APIConnectionError(APIError):
    """The request never got an HTTP answer (refused, reset, DNS, TLS)."""

    def __init__(self, message: str = "Connection error.", request: httpx.Request | None = None):
        super().__init__(message, request)


class APITimeoutError(APIConnectionError):
    """The request took longer than the configured timeout (connect, read or total)."""

    def __init__(self, message: str = "Request timed out.", request: httpx.Request | None = None):
        super().__init__(message, request)


class BadRequestError(APIStatusError):
    """400: ValidationException and friends: the request itself is wrong."""


class AuthenticationError(APIStatusError):
    """401: the credentials were not accepted."""


class PermissionDeniedError(APIStatusError):
    """403: AccessDenied, unknown access key, bad signature, expired token."""


class NotFoundError(APIStatusError):
    """404: ResourceNotFoundException (unknown model, job, profile)."""


class ConflictError(APIStatusError):
    """409: ConflictException."""


class RequestTooLargeError(APIStatusError):
    """413: the body is larger than Bedrock accepts."""


class UnprocessableEntityError(APIStatusError):
    """422."""


class RateLimitError(APIStatusError):
    """429: ThrottlingException, ModelNotReadyException, quota errors."""


class InternalServerError(APIStatusError):
    """5xx: InternalServerException and other server faults."""


class ServiceUnavailableError(InternalServerError):
    """503: ServiceUnavailableException."""


class ModelTimeoutError(APIStatusError):
    """408: ModelTimeoutException: the model took too long; retrying usually works."""


class ModelError(APIStatusError):
    """424: ModelErrorException: the model failed to process the request."""


class ServiceQuotaExceededError(RateLimitError):
    """ServiceQuotaExceededException: a quota of the account is exhausted."""


class ModelNotReadyError(RateLimitError):
    """ModelNotReadyException (429): the model is not ready to serve yet; retry later."""


class StreamError(APIStatusError):
    """An exception frame arrived inside an event stream (``modelStreamErrorException``)."""


# Bedrock error types whose class is more specific than the status code alone tells.
_BY_ERROR_TYPE: dict[str, type[APIStatusError]] = {
    "ValidationException": BadRequestError,
    "AccessDeniedException": PermissionDeniedError,
    "UnrecognizedClientException": PermissionDeniedError,
    "InvalidSignatureException": PermissionDeniedError,
    "ExpiredTokenException": PermissionDeniedError,
    "ResourceNotFoundException": NotFoundError,
    "ModelTimeoutException": ModelTimeoutError,
    "ModelErrorException": ModelError,
    "ThrottlingException": RateLimitError,
    "ServiceQuotaExceededException": ServiceQuotaExceededError,
    "ModelNotReadyException": ModelNotReadyError,
    "InternalServerException": InternalServerError,
    "ServiceUnavailableException": ServiceUnavailableError,
    "ModelStreamErrorException": StreamError,
    "ConflictException": ConflictError,
}

_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: ModelTimeoutError,
    409: ConflictError,
    413: RequestTooLargeError,
    422: UnprocessableEntityError,
    424: ModelError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}


def normalize_error_type(raw: str | None) -> str | None:
    """``x-amzn-ErrorType`` may look like ``ThrottlingException:http://...``; keep the name.

    Stream exception frames use lower camel case (``throttlingException``); we report the
    upper camel case name Bedrock uses everywhere else.
    """
    if not raw:
        return None
    name = raw.split(":", 1)[0].strip()
    return name[:1].upper() + name[1:]


def status_error_for(
    status_code: int,
    message: str,
    *,
    error_type: str | None = None,
    response: httpx.Response | None = None,
    body: Any = None,
    request_id: str | None = None,
) -> APIStatusError:
    """Build the most specific error class for a Bedrock error answer."""
    error_type = normalize_error_type(error_type)
    cls = _BY_ERROR_TYPE.get(error_type or "") or _BY_STATUS.get(status_code)
    if cls is None:
        cls = InternalServerError if status_code >= 500 else APIStatusError
    return cls(
        message,
        response=response,
        status_code=status_code,
        body=body,
        error_type=error_type,
        request_id=request_id,
    )


class ClientValidationError(AnthropicError, ValueError):
    """Raised before any request is sent: the call cannot succeed as written.

    The message always says what to do instead.
    """


class InvalidModelError(ClientValidationError):
    """The model ID or alias is not one Bedrock knows for Anthropic."""

    def __init__(self, message: str, *, model: str, suggestions: list[str] | None = None):
        super().__init__(message)
        self.model = model
        self.suggestions = suggestions or []


class ModelNotAvailableError(ClientValidationError):
    """The model exists, but not in the scope (global / geography) the call would use."""

    def __init__(
        self,
        message: str,
        *,
        model: str,
        region: str,
        offered_in: list[str],
        suggestion: str | None = None,
    ):
        super().__init__(message)
        self.model = model
        self.region = region
        self.offered_in = offered_in
        self.suggestion = suggestion


class ModelEndOfLifeError(ModelNotAvailableError):
    """The model reached end of life on Bedrock (and the account's live list does not offer it).

    ``eol_date`` is the ISO date Bedrock stopped serving it; ``successor`` the base ID to use
    instead (also in ``suggestion``), when the catalogue names one.
    """

    def __init__(
        self,
        message: str,
        *,
        model: str,
        region: str,
        eol_date: str,
        successor: str | None = None,
        offered_in: list[str] | None = None,
    ):
        super().__init__(
            message, model=model, region=region, offered_in=offered_in or [], suggestion=successor
        )
        self.eol_date = eol_date
        self.successor = successor


class SurfaceNotSupportedError(ModelNotAvailableError):
    """A source the catalogue marks certain says this surface does not serve the model.

    ``surface`` is the one asked for (``invoke``, ``converse``, ``count-tokens``,
    ``runtime-messages``, ``mantle``); ``served_by`` the surfaces that do serve it.
    """

    def __init__(
        self,
        message: str,
        *,
        model: str,
        region: str,
        surface: str,
        served_by: list[str],
        suggestion: str | None = None,
    ):
        super().__init__(message, model=model, region=region, offered_in=[], suggestion=suggestion)
        self.surface = surface
        self.served_by = served_by


class UnknownModelWarning(UserWarning):
    """A well-formed model ID the bundled catalogue does not know: sent as written, unpriced.

    Issued once per ID. Bedrock decides; ``claude-bedrock models --refresh`` (or
    ``client.models.refresh()``) reads the account's live model lists.
    """


class ModelIdMendedWarning(UserWarning):
    """A model ID that documents print but Bedrock refuses was replaced by the one it accepts.

    Issued once per ID; the message names both. The catalogue's ``mended_ids`` lists the
    replacements with their sources.
    """


class LegacyModelWarning(FutureWarning):
    """The model is in Bedrock's Legacy state: it still works, and ends on the date given.

    A ``FutureWarning`` (shown by default) because it is meant for the people running the
    program, not only for developers; issued once per model.
    """


class RetiredBetaWarning(UserWarning):
    """A beta flag Bedrock retired (``context-1m-2025-08-07``, retired 2026-04-30) was sent:
    it has no effect any more. Still sent as asked; issued once per process."""


class ServiceTierWarning(UserWarning):
    """``service_tier`` is not one of Bedrock's tiers (``priority``, ``default``, ``flex``,
    ``reserved``): ``"auto"`` is sent as ``default``, another value as given (Bedrock
    decides). Issued once per value and process."""


class DocumentLimitError(ClientValidationError):
    """A document (PDF) breaks one of Bedrock's limits; ``limit`` names which."""

    def __init__(self, message: str, *, limit: str, actual: float, maximum: float):
        super().__init__(message)
        self.limit = limit
        self.actual = actual
        self.maximum = maximum


class ContextWindowError(ClientValidationError):
    """The input does not fit the model's context window (or needs the 1M beta)."""


class CredentialsError(AnthropicError):
    """No usable AWS credentials (none found, expired, or both an API key and keys given)."""
