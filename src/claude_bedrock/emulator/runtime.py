"""Bedrock runtime routes: InvokeModel and InvokeModelWithResponseStream.

``POST /model/{modelId}/invoke`` answers with the Messages API JSON and Bedrock's usage
headers. ``POST /model/{modelId}/invoke-with-response-stream`` answers with AWS
event-stream frames: one ``chunk`` event per Anthropic stream event, whose JSON payload is
``{"bytes": base64(event JSON)}``; the final ``message_stop`` event carries
``amazon-bedrock-invocationMetrics`` as Bedrock's does.

Test hook (emulator started with ``faults``): the header ``x-emulator-stream-fault: NAME@N`` makes a
stream fail after ``N`` events (``@N`` optional, default 0). ``NAME`` is one of the stream
exception members of the service model (``throttlingException``, ``modelStreamErrorException``,
``internalServerException``, ``validationException``, ``serviceUnavailableException``,
``modelTimeoutException``; the ``ThrottlingException`` spelling works too), sent as an
``:exception-type`` frame; or ``reset`` (TCP reset) / ``truncate`` (connection closed
without the end of the chunked body).
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Container, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ..wire import eventstream
from ..wire.rules.context import context_window_violation
from . import tokens
from .app import EmulatorApp
from .errors import (
    STREAM_EXCEPTION_TYPES,
    STREAM_THROTTLING,
    injected_exception_frame,
    validation_error,
)
from .http_types import AbortConnection, Request, Response, StreamingResponse
from .model_ids import InvocationModel, resolve_invocation_model
from .rule_checks import RequestView, enforce, lenient_skips
from .validation import validate_invoke_body

__all__ = [
    "STREAM_FAULT_HEADER",
    "StreamFault",
    "chunk_frame",
    "padding",
    "prepare_invocation",
    "register",
    "stream_fault",
]

STREAM_FAULT_HEADER: Final = "x-emulator-stream-fault"

_STREAM_MESSAGES: Final[dict[str, str]] = {
    "throttlingException": STREAM_THROTTLING,
    "modelStreamErrorException": "The model stream was interrupted (injected by the emulator).",
    "internalServerException": "The server encountered an internal error while processing "
    "the request.",
    "validationException": "The request failed validation (injected by the emulator).",
    "serviceUnavailableException": "The service is temporarily unavailable. Try again later.",
    "modelTimeoutException": "The model took too long to respond (injected by the emulator).",
}
_ABORTS: Final = {"reset": True, "truncate": False}
_PADDING: Final = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def register(app: EmulatorApp) -> None:
    """Install the runtime routes on ``app``."""
    routes = _RuntimeRoutes(app)
    app.add_route("POST", "/model/{modelId}/invoke", routes.invoke, operation="InvokeModel")
    app.add_route(
        "POST",
        "/model/{modelId}/invoke-with-response-stream",
        routes.invoke_stream,
        operation="InvokeModelWithResponseStream",
    )


@dataclass(frozen=True, slots=True)
class StreamFault:
    """A stream fault asked for with ``x-emulator-stream-fault: NAME@N``: after ``after``
    frames, send the exception ``name`` or (``reset``, ``truncate``) drop the connection."""

    name: str
    after: int

    def abort(self) -> AbortConnection | None:
        """The connection drop this fault is, or None when it is an exception frame."""
        return AbortConnection(reset=_ABORTS[self.name]) if self.name in _ABORTS else None


def stream_fault(
    app: EmulatorApp, request: Request, exceptions: Container[str], operation: str = ""
) -> StreamFault | None:
    """The stream fault ``request`` asks for; ``exceptions`` are the names its stream models.

    Read only when the emulator was started with faults (never by a stray header against an
    emulator meant to behave). InvokeModelWithResponseStream and ConverseStream share it;
    ``operation`` names the latter in the error, as its streams differ.
    """
    value = request.headers.get(STREAM_FAULT_HEADER)
    if value is None or not app.config.faults:
        return None
    name, _, count = value.strip().partition("@")
    name = STREAM_EXCEPTION_TYPES.get(name, name)
    if name not in exceptions and name not in _ABORTS:
        where = f" for {operation}" if operation else ""
        raise validation_error(f"Unknown {STREAM_FAULT_HEADER} value{where}: {name!r}.")
    if count and not count.isdigit():
        raise validation_error(f"{STREAM_FAULT_HEADER}: expected NAME@N with N an integer.")
    return StreamFault(name, int(count or 0))


def padding(index: int) -> str:
    """Bedrock's ``p`` member for the ``index``-th frame: a length-varying filler that keeps
    frame sizes from revealing the content (as Bedrock's own frames do)."""
    return _PADDING[: 8 + index % 40]


def prepare_invocation(
    app: EmulatorApp, request: Request, surface: str | None = None
) -> tuple[InvocationModel, dict[str, Any]]:
    """The model and the validated body of an InvokeModel-style request, checked as Bedrock
    does (model ID for the caller's Region, body schema and rules, output and context
    limits). Shared with the other routes that take an Anthropic body."""
    region = request.identity.region if request.identity else app.config.region
    model = resolve_invocation_model(request.path_params["modelId"], region)
    skip = lenient_skips(app.config.lenient)
    body = validate_invoke_body(request.body, max_output_tokens=model.output_limit, skip=skip)
    if surface is not None:  # the caller names its surface to have the rule table run
        enforce(RequestView(surface, model.info, body), lenient=app.config.lenient)
    limit = model.context_limit(body.get("anthropic_beta") or [])
    too_long = context_window_violation(tokens.count_input_tokens(body), body["max_tokens"], limit)
    if too_long and "context.prompt_too_long" not in skip:  # M: --lenient turns it off
        raise validation_error("Input is too long for requested model.")
    return model, body


class _RuntimeRoutes:
    def __init__(self, app: EmulatorApp) -> None:
        self.app = app

    async def invoke(self, request: Request) -> Response:
        model, body = prepare_invocation(self.app, request, "invoke")
        message = self.app.config.engine.respond(body, model.response_name)
        usage = message["usage"]
        latency = int((time.monotonic() - request.received_at) * 1000)
        headers = [
            ("X-Amzn-Bedrock-Input-Token-Count", str(usage["input_tokens"])),
            ("X-Amzn-Bedrock-Output-Token-Count", str(usage["output_tokens"])),
            ("X-Amzn-Bedrock-Invocation-Latency", str(latency)),
        ]
        if usage.get("cache_read_input_tokens") or usage.get("cache_creation_input_tokens"):
            headers += [
                (
                    "X-Amzn-Bedrock-Cache-Read-Input-Token-Count",
                    str(usage.get("cache_read_input_tokens", 0)),
                ),
                (
                    "X-Amzn-Bedrock-Cache-Write-Input-Token-Count",
                    str(usage.get("cache_creation_input_tokens", 0)),
                ),
            ]
        return Response.json(message, headers=headers)

    async def invoke_stream(self, request: Request) -> StreamingResponse:
        fault = stream_fault(self.app, request, _STREAM_MESSAGES)
        model, body = prepare_invocation(self.app, request, "invoke-stream")
        events = self.app.config.engine.stream_events(body, model.response_name)
        frames = _frames(events, request.received_at, self.app.config.pace, fault)
        return StreamingResponse(
            body=frames,
            content_type=eventstream.CONTENT_TYPE,
            headers=[("X-Amzn-Bedrock-Content-Type", "application/json")],
        )


def _usage(events: list[dict[str, Any]]) -> dict[str, int]:
    usage: dict[str, int] = {}
    for event in events:
        if event["type"] == "message_start":
            usage.update(event["message"].get("usage", {}))
        elif event["type"] == "message_delta":
            usage.update(event.get("usage", {}))
    return usage


def _metrics(usage: Mapping[str, int], started: float, first_byte: float) -> dict[str, int]:
    now = time.monotonic()
    metrics = {
        "inputTokenCount": usage.get("input_tokens", 0),
        "outputTokenCount": usage.get("output_tokens", 0),
        "invocationLatency": int((now - started) * 1000),
        "firstByteLatency": int((first_byte - started) * 1000),
    }
    if usage.get("cache_read_input_tokens") or usage.get("cache_creation_input_tokens"):
        metrics["cacheReadInputTokenCount"] = usage.get("cache_read_input_tokens", 0)
        metrics["cacheWriteInputTokenCount"] = usage.get("cache_creation_input_tokens", 0)
    return metrics


def _delta_tokens(event: Mapping[str, Any]) -> int:
    if event["type"] != "content_block_delta":
        return 0
    delta = event["delta"]
    text = delta.get("text") or delta.get("thinking") or delta.get("partial_json") or ""
    return tokens.count_text(text)


def chunk_frame(event: Mapping[str, Any], index: int) -> bytes:
    """One Bedrock ``chunk`` frame carrying an Anthropic stream event.

    ``p`` is the padding field Bedrock adds to hide payload sizes; clients must ignore it.
    """
    raw = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
    payload = {"bytes": base64.b64encode(raw).decode(), "p": padding(index)}
    return eventstream.encode_event("chunk", json.dumps(payload, separators=(",", ":")).encode())


async def _frames(
    events: list[dict[str, Any]], started: float, pace: float | None, fault: StreamFault | None
) -> AsyncIterator[bytes]:
    usage = _usage(events)
    first_byte = time.monotonic()
    deadline = time.monotonic()
    for index, event in enumerate(events):
        if fault is not None and index == fault.after:
            if abort := fault.abort():
                raise abort
            yield injected_exception_frame(fault.name, _STREAM_MESSAGES[fault.name])
            return
        if pace:
            deadline += _delta_tokens(event) / pace
            delay = deadline - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        if index == 0:
            first_byte = time.monotonic()
        if event["type"] == "message_stop":
            event = {
                **event,
                "amazon-bedrock-invocationMetrics": _metrics(usage, started, first_byte),
            }
        yield chunk_frame(event, index)
