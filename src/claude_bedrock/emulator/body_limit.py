"""What a route answers for a request body over the front door's cap, in the route's format.

The HTTP server refuses such a body without reading it (a declared ``Content-Length`` over
the cap) or stops reading it (a chunked body that grows past it), and asks the application
for the answer: a client must see the error its route speaks, not a generic one.

- InvokeModel and its stream: the HTTP body *is* the operation's ``body`` member (the
  ``Body`` blob of bedrock-runtime's service model: ``max: 25000000``), and Bedrock answers
  an over-long one as Coral validates any member: 400 ``ValidationException``, "1
  validation error detected: Value at 'body' failed to satisfy constraint: Member must have
  length less than or equal to 25000000" (quoted in langchain-aws issue #419; rule
  ``invoke.body_too_large`` of the request-rule table).
- Every other route: no source shows Bedrock's answer, so the emulator keeps its own front
  door refusal, 413 ``RequestEntityTooLargeException`` "Request body exceeds the maximum
  size of N bytes." (an emulator wording), rendered by the route's ``render_error`` when it
  has one: the Messages API routes answer it in Anthropic's envelope as 413
  ``request_too_large`` (the type Anthropic's own API documents for an oversized request),
  STS as its XML ``ErrorResponse``.
"""

from __future__ import annotations

import logging
from typing import Final

from .errors import BedrockError
from .http_types import AnyResponse, Request
from .routing import Router

__all__ = ["PAYLOAD_MEMBER", "too_large_error", "too_large_response"]

logger = logging.getLogger("claude_bedrock.emulator")

#: Operations whose HTTP body is one blob member of the service model (rest-json
#: ``payload``), by the member's name: its ``max`` is the cap, and Coral names it.
PAYLOAD_MEMBER: Final[dict[str, str]] = {
    "InvokeModel": "body",
    "InvokeModelWithResponseStream": "body",
}

#: Coral's words for a member longer than its ``max`` (quoted in langchain-aws #419).
_CORAL_TOO_LONG: Final = (
    "1 validation error detected: Value at '{member}' failed to satisfy constraint: "
    "Member must have length less than or equal to {limit}"
)


def too_large_error(operation: str | None, limit: int) -> BedrockError:
    """The error for a body over ``limit`` bytes sent to ``operation`` (see the module)."""
    member = PAYLOAD_MEMBER.get(operation or "")
    if member is not None:
        message = _CORAL_TOO_LONG.format(member=member, limit=limit)
        return BedrockError("ValidationException", message)
    return BedrockError(
        "RequestEntityTooLargeException",
        f"Request body exceeds the maximum size of {limit} bytes.",
    )


def too_large_response(router: Router, request: Request, limit: int) -> AnyResponse:
    """The answer to ``request`` (its head: the body unread or cut off) whose body is over
    ``limit`` bytes, in its route's error format."""
    match = router.match(request.method, request.raw_path)
    if match is None or isinstance(match, tuple):
        return too_large_error(None, limit).to_response()
    route = match.route
    request.path_params = match.params
    request.operation = route.operation
    error = too_large_error(route.operation, limit)
    if route.render_error is None:
        return error.to_response()
    try:
        return route.render_error(request, error)
    except Exception:  # a renderer that needed the body: Bedrock's JSON rather than nothing
        logger.exception("rendering a body-too-large error failed for %s", request.raw_path)
        return error.to_response()
