"""Bedrock's Messages API routes: ``POST /anthropic/v1/messages`` and ``.../count_tokens``.

What the official SDK's ``AnthropicBedrockMantle`` calls on ``bedrock-mantle`` and what a
plain ``Anthropic(base_url=".../anthropic")`` client calls on ``bedrock-runtime``:
Anthropic's request shape (``model`` and ``stream`` in the body, ``anthropic-version`` and
``anthropic-beta`` headers, ``anthropic-workspace-id`` on mantle), the Messages JSON or an
SSE stream back (:mod:`.sse_stream`), errors in Anthropic's envelope. Which surface a
request reached, how it authenticates and how model IDs are refused is
:mod:`.messages_surface`.

The same engine answers as on InvokeModel: the body, stripped of the Messages-only fields
(``model``, ``stream``, ``user_profile_id``) and given the ``anthropic-beta`` header as
``anthropic_beta``, is validated and counted exactly as an InvokeModel body is
(:func:`~.validation.validate_invoke_body`, the PDF checks, the context window), so the
two paths agree on every answer and every count.

Structured outputs: a create call with ``output_config.format`` is refused on the surfaces
:data:`~..wire.structured_outputs.STRUCTURED_OUTPUTS` marks (mantle: the 400 AWS documented;
the wording is ours, see :mod:`.output_config`).

``count_tokens`` exists on mantle only: the runtime answers it with its front door's
``UnknownOperationException``, as it does every other ``/anthropic/v1/*`` route it lacks
(the router's answer to unknown paths).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from ..wire.messages_api import (
    BETA_HEADER,
    COUNT_TOKENS_PATH,
    INVOKE_ANTHROPIC_VERSION,
    MESSAGES_PATH,
)
from ..wire.rules.context import context_window_violation
from . import tokens
from .app import EmulatorApp
from .document_checks import check_invoke_documents
from .errors import BedrockError, validation_error
from .http_types import Request, Response, StreamingResponse
from .messages_surface import (
    SURFACE_KEY,
    MessagesAuthenticator,
    MessagesSurface,
    check_version,
    check_version_for_model,
    check_workspace,
    messages_model,
    parsed_body,
    render_error,
)
from .model_ids import InvocationModel
from .output_config import refuse_format_on
from .rule_checks import RequestView, enforce, lenient_skips
from .runtime import stream_fault
from .sse_stream import CONTENT_TYPE, STREAM_FAULTS, sse_body
from .validation import validate_invoke_body

__all__ = ["COUNT_OPERATION", "CREATE_OPERATION", "register"]

CREATE_OPERATION: Final = "CreateMessage"
COUNT_OPERATION: Final = "CountMessageTokens"
#: Body fields of the Messages API that an InvokeModel body does not have.
_MESSAGES_ONLY: Final = ("model", "stream", "user_profile_id")
#: Fields ``count_tokens`` does not take (Anthropic: "Extra inputs are not permitted").
_NOT_COUNTED: Final = ("max_tokens", "stream")
_MALFORMED: Final = "Malformed input request, please reformat your input and try again."


def register(app: EmulatorApp) -> None:
    """Install the Messages API routes."""
    routes = _MessagesRoutes(app)
    options: dict[str, Any] = {
        "authenticate": MessagesAuthenticator(app.authenticator),
        "render_error": render_error,
    }
    app.add_route("POST", MESSAGES_PATH, routes.create, operation=CREATE_OPERATION, **options)
    app.add_route(
        "POST", COUNT_TOKENS_PATH, routes.count_tokens, operation=COUNT_OPERATION, **options
    )


def _payload(request: Request) -> dict[str, Any]:
    body = parsed_body(request)
    if not isinstance(body, dict):
        raise validation_error(_MALFORMED)
    return body


def _model_id(payload: Mapping[str, Any]) -> str:
    if "model" not in payload:
        raise validation_error("model: Field required")
    model = payload["model"]
    if not isinstance(model, str):
        raise validation_error("model: Input should be a valid string")
    return model


def _betas(request: Request) -> list[str]:
    """The ``anthropic-beta`` header's flags (comma-separated, repeated headers joined)."""
    header = request.headers.get(BETA_HEADER) or ""
    return [flag.strip() for flag in header.split(",") if flag.strip()]


def _invoke_body(
    request: Request,
    payload: Mapping[str, Any],
    model: InvocationModel,
    *,
    counting: bool,
    skip: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The InvokeModel body this Messages request is, validated as InvokeModel validates."""
    body = {k: v for k, v in payload.items() if k not in _MESSAGES_ONLY}
    body["anthropic_version"] = INVOKE_ANTHROPIC_VERSION
    betas = _betas(request)
    if betas:
        sent = body.get("anthropic_beta")
        body["anthropic_beta"] = [*sent, *betas] if isinstance(sent, list) else betas
    if counting:
        body["max_tokens"] = 1  # counting needs no output budget: supply one to validate
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    validated = validate_invoke_body(raw, max_output_tokens=model.output_limit, skip=skip)
    check_invoke_documents(validated)
    return validated


class _MessagesRoutes:
    def __init__(self, app: EmulatorApp) -> None:
        self.app = app

    def _prepare(
        self, request: Request, *, counting: bool
    ) -> tuple[InvocationModel, dict[str, Any], dict[str, Any]]:
        """Headers, body and model checked in Anthropic's order (headers first)."""
        surface: MessagesSurface = request.extras[SURFACE_KEY]
        version = check_version(request)
        check_workspace(request, surface)
        payload = _payload(request)
        region = request.identity.region if request.identity else self.app.config.region
        model = messages_model(_model_id(payload), region, surface)
        skip = lenient_skips(self.app.config.lenient)
        if "version.2026_10_21_on_older_models" not in skip:  # L: --lenient turns it off
            check_version_for_model(version, model)
        if counting:
            extra = next((key for key in _NOT_COUNTED if key in payload), None)
            if extra is not None:
                raise validation_error(f"{extra}: Extra inputs are not permitted")
        elif "output_config.format_refused" not in skip:  # M: --lenient turns it off
            refuse_format_on(surface, payload)
        body = _invoke_body(request, payload, model, counting=counting, skip=skip)
        if not counting:
            view = RequestView(surface, model.info, body)
            enforce(view, lenient=self.app.config.lenient)
        return model, payload, body

    async def create(self, request: Request) -> Response | StreamingResponse:
        model, payload, body = self._prepare(request, counting=False)
        stream = payload.get("stream", False)
        if not isinstance(stream, bool):
            raise validation_error("stream: Input should be a valid boolean")
        limit = model.context_limit(body.get("anthropic_beta") or [])
        count = tokens.count_input_tokens(body)
        too_long = context_window_violation(count, body["max_tokens"], limit)
        if too_long and "context.prompt_too_long" not in lenient_skips(self.app.config.lenient):
            raise validation_error("Input is too long for requested model.")
        engine = self.app.config.engine
        if not stream:
            return Response.json(engine.respond(body, model.response_name))
        fault = stream_fault(self.app, request, STREAM_FAULTS)
        events = engine.stream_events(body, model.response_name)
        return StreamingResponse(
            body=sse_body(events, pace=self.app.config.pace, fault=fault),
            content_type=CONTENT_TYPE,
            headers=[("Cache-Control", "no-cache")],
        )

    async def count_tokens(self, request: Request) -> Response:
        if request.extras[SURFACE_KEY] == "runtime-messages":
            raise BedrockError(
                "UnknownOperationException",
                "The requested operation is not recognized by the service.",
            )
        _model, _payload, body = self._prepare(request, counting=True)
        return Response.json({"input_tokens": tokens.count_input_tokens(body)})
