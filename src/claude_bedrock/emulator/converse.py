"""Bedrock runtime routes: Converse and ConverseStream, answered by the InvokeModel engine.

``POST /model/{modelId}/converse`` and ``/converse-stream`` translate the Converse request
into the Messages body InvokeModel takes
(:func:`claude_bedrock.wire.converse.from_converse_request`),
check it with the very checks InvokeModel runs (:func:`.runtime.prepare_invocation`),
ask the same engine, and translate the answer back. So a prompt gets the same text and
usage through either API, and the two translations are tested against each other.

Checks, in Bedrock's order: documents (count, names, size, pages, text block: the
:mod:`.documents` middleware, before this handler); the model ID; the request against
botocore's shapes (:func:`claude_bedrock.wire.converse.first_violation`, unknown fields
refused); Converse's own rules (roles, blank text, tool results, image limits:
:func:`claude_bedrock.wire.converse.conversation_violation`, worded here as Bedrock words
them); then the model's checks, whose messages carry Bedrock's "The model returned the
following errors: " prefix. A request that does not translate gets Bedrock's message when
its wording is known, else the translation's own description.

Not emulated, and refused with the error Bedrock gives when it cannot find one: guardrails
(``guardrailConfig``) and prompt management (``promptVariables``). Without
``inferenceConfig.maxTokens``, Claude gets 4096 (what Bedrock applies in practice) or the
model's ceiling if lower. ``performanceConfig`` and ``serviceTier`` are echoed back.

The ``x-emulator-stream-fault: NAME@N`` request header makes ConverseStream fail after
``N`` events, as for InvokeModelWithResponseStream (``NAME``: a ConverseStream exception
member such as ``throttlingException``, or ``reset`` / ``truncate``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, Final

from ..catalog import Catalog
from ..wire import eventstream
from ..wire.converse import (
    ConverseTranslationError,
    Violation,
    anthropic_to_converse,
    conversation_violation,
    first_violation,
    from_converse_request,
    to_converse_response,
)
from . import json_body, tokens
from .app import EmulatorApp
from .errors import STREAM_THROTTLING, BedrockError, injected_exception_frame, validation_error
from .http_types import Request, Response, StreamingResponse
from .model_ids import INVALID_MODEL, InvocationModel, resolve_invocation_model
from .rule_checks import RequestView, conversation_skips, enforce
from .runtime import StreamFault, padding, prepare_invocation, stream_fault

__all__ = ["DEFAULT_MAX_TOKENS", "conversation_message", "register", "translation_message"]

#: ``max_tokens`` when the request has no ``inferenceConfig.maxTokens``.
DEFAULT_MAX_TOKENS: Final = 4096
_MODEL_PREFIX: Final = "The model returned the following errors: "
# Bedrock's own messages from the InvokeModel checks, passed on without the model prefix.
# (Not "The maximum tokens you requested...": the one Converse report, GenAI IDP #204,
# shows it with the prefix.)
_BEDROCK_MESSAGES: Final = (INVALID_MODEL, "Invocation of model ID", "Input is too long")
#: The exception members of botocore's ``ConverseStreamOutput`` (no modelTimeoutException).
_STREAM_EXCEPTIONS: Final = {
    "internalServerException": "The server encountered an internal error while processing "
    "the request.",
    "modelStreamErrorException": "The model stream was interrupted (injected by the emulator).",
    "validationException": "The request failed validation (injected by the emulator).",
    "throttlingException": STREAM_THROTTLING,
    "serviceUnavailableException": "The service is temporarily unavailable. Try again later.",
}
#: Bedrock's wording for Converse's conversation rules, as users of the service report it
#: (``{field}``, ``{value}``, ``{limit}``: the violation's).
_CONVERSATION_MESSAGES: Final = {
    "first_message_role": "A conversation must start with a user message. Try again with a "
    "conversation that starts with a user message.",
    # The front end's enum check as a 2024 report quotes it (continuedev/continue #1938).
    "system_role": "1 validation error detected: Value 'system' at '{coral}.member.role' "
    "failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]",
    "alternating_roles": "A conversation must alternate between user and assistant roles. "
    "Make sure the conversation alternates between user and assistant roles and try again.",
    "empty_content": "The content field in the Message object at {field} is empty. Add a "
    "ContentBlock object to the content field and try again.",
    "blank_text": "The text field in the ContentBlock object at {field} is blank. Add text to "
    "the text field, and try again.",
    "extra_tool_results": "The number of toolResult blocks at {field} exceeds the number of "
    "toolUse blocks of previous turn.",
    "missing_tool_results": "Expected toolResult blocks at {field} for the following Ids: {value}",
    # The model's own limits (a 2025 boto3 report; Anthropic's API words them alike), passed
    # on with the model prefix on Converse (_MODEL_SIDE).
    "too_many_images": "messages: too many images and documents: {value} > {limit}",
    "image_too_large": "{field}: image exceeds 5 MB maximum: {value} bytes > {limit} bytes",
}
#: Conversation rules the model, not Bedrock, enforces: Converse prefixes their message.
_MODEL_SIDE: Final = frozenset({"too_many_images", "image_too_large"})


def register(app: EmulatorApp) -> None:
    """Install the Converse routes on ``app``."""
    routes = _ConverseRoutes(app)
    app.add_route("POST", "/model/{modelId}/converse", routes.converse, operation="Converse")
    app.add_route(
        "POST", "/model/{modelId}/converse-stream", routes.converse_stream,
        operation="ConverseStream",
    )  # fmt: skip


@dataclasses.dataclass(slots=True)
class _Prepared:
    model: InvocationModel
    body: dict[str, Any]
    paths: list[str]
    echo: dict[str, Any]


def _parse(raw: bytes, shape: str) -> dict[str, Any]:
    try:
        request = json_body.loads(raw or b"{}")
    except json_body.MalformedJson as error:
        raise validation_error(json_body.malformed_message("Converse", error)) from None
    problem = first_violation(request, shape)
    if problem is not None:
        raise validation_error(problem)
    assert isinstance(request, dict)
    return request


def _not_emulated(request: dict[str, Any]) -> None:
    if request.get("guardrailConfig") is not None:
        raise validation_error(
            "The guardrail identifier or version provided in the request does not exist."
        )
    if request.get("promptVariables") is not None:
        raise validation_error(
            "promptVariables can only be used with a prompt from Prompt management as modelId."
        )


def conversation_message(violation: Violation) -> str:
    """Bedrock's message for a broken conversation rule."""
    value = violation.value
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    field = violation.field or ""
    coral = ".".join(f"{int(p) + 1}" if p.isdigit() else p for p in field.split("."))
    return _CONVERSATION_MESSAGES[violation.rule].format(
        field=field, coral=coral, value=value, limit=violation.limit
    )


def translation_message(error: ConverseTranslationError) -> str:
    """What Bedrock answers to a request that does not translate: its own words when
    known, else the path and the translation's description."""
    return error.bedrock_message or str(error)


def _model_error(error: BedrockError) -> BedrockError:
    if error.error_type != "ValidationException" or error.message.startswith(_BEDROCK_MESSAGES):
        return error
    return validation_error(_MODEL_PREFIX + error.message)


class _ConverseRoutes:
    def __init__(self, app: EmulatorApp) -> None:
        self.app = app

    def _prepare(self, request: Request, shape: str) -> _Prepared:
        region = request.identity.region if request.identity else self.app.config.region
        model = resolve_invocation_model(request.path_params["modelId"], region, "converse")
        converse = _parse(request.body, shape)
        sent = dict(converse)
        _not_emulated(converse)
        limits = Catalog.default().pdf_limits
        skip = conversation_skips(self.app.config.lenient)
        violation = conversation_violation(converse.get("messages") or [], limits, skip)
        if violation is not None:
            prefix = _MODEL_PREFIX if violation.rule in _MODEL_SIDE else ""
            raise validation_error(prefix + conversation_message(violation))
        paths = converse.pop("additionalModelResponseFieldPaths", None) or []
        echo: dict[str, Any] = {
            k: converse.pop(k) for k in ("performanceConfig", "serviceTier") if k in converse
        }
        for key in ("requestMetadata", "projectIdentifier"):
            converse.pop(key, None)  # logging and project tags: nothing to emulate
        try:
            params = from_converse_request(converse)
        except ConverseTranslationError as exc:
            raise validation_error(translation_message(exc)) from None
        params.pop("service_tier", None)
        body = {"anthropic_version": "bedrock-2023-05-31", **params}
        body.setdefault("max_tokens", min(DEFAULT_MAX_TOKENS, model.output_limit([])))
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        try:
            model, body = prepare_invocation(self.app, dataclasses.replace(request, body=raw))
        except BedrockError as error:
            raise _model_error(error) from None
        surface = "converse" if shape == "ConverseRequest" else "converse-stream"
        enforce(RequestView(surface, model.info, body, sent), lenient=self.app.config.lenient)
        return _Prepared(model, body, paths, echo)

    async def converse(self, request: Request) -> Response:
        prepared = self._prepare(request, "ConverseRequest")
        message = self.app.config.engine.respond(prepared.body, prepared.model.response_name)
        latency = int((time.monotonic() - request.received_at) * 1000)
        try:
            answer = to_converse_response(
                message, wire=True, latency_ms=latency, response_field_paths=prepared.paths
            )
        except ConverseTranslationError as exc:
            raise validation_error(translation_message(exc)) from None
        answer.update(prepared.echo)
        return Response.json(answer)

    async def converse_stream(self, request: Request) -> StreamingResponse:
        fault = stream_fault(self.app, request, _STREAM_EXCEPTIONS, "ConverseStream")
        prepared = self._prepare(request, "ConverseStreamRequest")
        events = self.app.config.engine.stream_events(prepared.body, prepared.model.response_name)
        pairs = list(anthropic_to_converse(events, response_field_paths=prepared.paths))
        frames = _frames(pairs, prepared.echo, request.received_at, self.app.config.pace, fault)
        return StreamingResponse(body=frames, content_type=eventstream.CONTENT_TYPE)


def frame(event_type: str, payload: dict[str, Any], index: int) -> bytes:
    """One ConverseStream event frame: the member shape's JSON, plus Bedrock's ``p`` padding."""
    data = {**payload, "p": padding(index)}
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return eventstream.encode_event(event_type, raw)


def _delta_tokens(event_type: str, payload: dict[str, Any]) -> int:
    if event_type != "contentBlockDelta":
        return 0
    delta = payload["delta"]
    text = delta.get("text") or (delta.get("reasoningContent") or {}).get("text")
    return tokens.count_text(text or (delta.get("toolUse") or {}).get("input") or "")


def _with_metadata(
    pairs: list[tuple[str, dict[str, Any]]], echo: dict[str, Any], started: float
) -> Iterator[tuple[str, dict[str, Any]]]:
    for event_type, payload in pairs:
        if event_type == "metadata":
            latency = int((time.monotonic() - started) * 1000)
            payload = {**payload, "metrics": {"latencyMs": latency}, **echo}
        yield event_type, payload


async def _frames(
    pairs: list[tuple[str, dict[str, Any]]],
    echo: dict[str, Any],
    started: float,
    pace: float | None,
    fault: StreamFault | None,
) -> AsyncIterator[bytes]:
    deadline = time.monotonic()
    for index, (event_type, payload) in enumerate(_with_metadata(pairs, echo, started)):
        if fault is not None and index == fault.after:
            if abort := fault.abort():
                raise abort
            yield injected_exception_frame(fault.name, _STREAM_EXCEPTIONS[fault.name])
            return
        if pace:
            deadline += _delta_tokens(event_type, payload) / pace
            delay = deadline - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        yield frame(event_type, payload, index)
