"""What a call's span records (:mod:`._tracing` starts and ends it): the request's
attributes, the answer's, the error, and a stream's events up to its end.

Imported only by a client that has spans, so none of this costs a client without them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import SpanKind, Status, StatusCode

if TYPE_CHECKING:
    from opentelemetry.trace import Span

    from ._stream_accumulate import Accumulator
    from ._tracing import Tracing
    from .resources._params import PreparedCall
    from .types.message import Message

CREATE = "anthropic.messages.create"
COUNT = "anthropic.messages.count_tokens"

__all__ = [
    "StreamSpan", "chat_attributes", "finish", "finish_count", "record_error", "record_message",
    "server", "start", "start_count",
]  # fmt: skip

log = logging.getLogger(__name__)

_SURFACES = {"runtime-messages": "messages", "count-tokens": "count-tokens"}
#: Request attributes read off the (Anthropic-shaped) body: the SDK's, and the GenAI
#: conventions' sampling parameters (which the SDK 2.16 no longer takes).
_REQUEST: tuple[tuple[str, tuple[str, ...], type | tuple[type, ...]], ...] = (
    ("gen_ai.request.max_tokens", ("max_tokens",), int),
    ("gen_ai.request.temperature", ("temperature",), (float, int)),
    ("gen_ai.request.top_p", ("top_p",), (float, int)),
    ("gen_ai.request.top_k", ("top_k",), (float, int)),
    ("gen_ai.request.reasoning.level", ("output_config", "effort"), str),
    ("anthropic.request.service_tier", ("service_tier",), str),
    ("anthropic.thinking.type", ("thinking", "type"), str),
    ("anthropic.thinking.budget_tokens", ("thinking", "budget_tokens"), int),
)
_USAGE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("gen_ai.usage.cache_write.input_tokens", ("cache_creation_input_tokens",)),
    ("gen_ai.usage.cache_read.input_tokens", ("cache_read_input_tokens",)),
    ("anthropic.usage.cache_creation.ephemeral_5m_input_tokens",
     ("cache_creation", "ephemeral_5m_input_tokens")),
    ("anthropic.usage.cache_creation.ephemeral_1h_input_tokens",
     ("cache_creation", "ephemeral_1h_input_tokens")),
    ("anthropic.response.service_tier", ("service_tier",)),
    ("gen_ai.usage.output_tokens", ("output_tokens",)),
    ("gen_ai.usage.reasoning.output_tokens", ("output_tokens_details", "thinking_tokens")),
)  # fmt: skip


# --------------------------------------------------------------------------- spans


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        data = data.get(name) if isinstance(data, Mapping) else getattr(data, name, None)
    return data


def server(client: Any, mantle: bool) -> dict[str, Any]:
    from urllib.parse import urlsplit

    endpoints = client._core.endpoints
    url = urlsplit(endpoints.mantle if mantle else endpoints.runtime)
    port = url.port or (80 if url.scheme == "http" else 443)
    return {"server.address": url.hostname or "", "server.port": port}


def start(tracing: Tracing, client: Any, call: PreparedCall, attributes: dict[str, Any]) -> Span:
    """Start the call's span with what the request says (so a sampler sees it)."""
    attributes.update(tracing.attributes)
    attributes.update(server(client, call.surface == "mantle"))
    attributes["http.request.method"] = "POST"
    attributes["claude_bedrock.surface"] = _SURFACES.get(call.surface, call.surface)
    attributes["claude_bedrock.model_id"] = call.resolved.model_id
    span = tracing.tracer.start_span(CREATE, kind=SpanKind.CLIENT, attributes=attributes)
    if tracing.propagation:
        try:
            from opentelemetry.propagate import inject

            inject(call.headers, context=tracing.api.set_span_in_context(span))
        except Exception:
            log.debug("could not write the trace context into the headers", exc_info=True)
    return span


def chat_attributes(call: PreparedCall, stream: bool) -> dict[str, Any]:
    body = call.body
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": call.requested_model or call.resolved.model_id,
        "http.route": "/v1/messages",
    }
    for attribute, path, kind in _REQUEST:
        value = _dig(body, path)
        if isinstance(value, kind) and not isinstance(value, bool):
            attributes[attribute] = value
    betas = body.get("anthropic_beta") or call.headers.get("anthropic-beta", "").split(",")
    betas = [b.strip() for b in betas if isinstance(b, str) and b.strip()]
    if betas:
        attributes["anthropic.beta"] = betas
    formats = _dig(body, ("output_config", "format", "type"))
    if formats == "json_schema":
        attributes["gen_ai.output.type"] = "json"
    if stream:
        attributes["gen_ai.request.stream"] = True
    return attributes


def record_error(span: Span, error: BaseException) -> None:
    """The SDK's ``error.type`` (ours: Bedrock's ``x-amzn-ErrorType`` when it names one)."""
    if not isinstance(error, Exception):  # a cancellation leaves the status unset
        return
    from ._exceptions import APIConnectionError, APIStatusError, APITimeoutError

    if isinstance(error, APITimeoutError):
        kind = "client_timeout_error"
    elif isinstance(error, APIConnectionError):
        kind = "connection_error"
    elif isinstance(error, APIStatusError):
        kind = error.error_type or str(error.status_code)
        if error.status_code >= 400:
            span.set_attribute("http.response.status_code", error.status_code)
    else:
        kind = "client_error"
    span.set_attribute("error.type", kind)
    span.set_status(Status(StatusCode.ERROR))


def record_message(span: Span, tracing: Tracing, call: PreparedCall, message: Message | None,
                   complete: bool) -> None:  # fmt: skip
    """What the answer says; ``complete``: its ``message_delta`` has arrived (before it, a
    stream's stop reason and output tokens are placeholders, which the SDK leaves out)."""
    try:
        if message is not None:
            span.set_attribute("gen_ai.response.id", message.id)
            span.set_attribute("gen_ai.response.model", message.model)
            usage = message.usage
            cached = (usage.cache_read_input_tokens or 0) + (usage.cache_creation_input_tokens or 0)
            span.set_attribute("gen_ai.usage.input_tokens", usage.input_tokens + cached)
            for attribute, path in _USAGE:
                if not complete and attribute.startswith("gen_ai.usage.output"):
                    continue
                value = _dig(usage, path)
                if isinstance(value, int | str) and not isinstance(value, bool):
                    span.set_attribute(attribute, value)
            if complete and message.stop_reason is not None:
                span.set_attribute("anthropic.message.stop_reason", message.stop_reason)
                span.set_attribute("gen_ai.response.finish_reasons", [message.stop_reason])
            if message._cost is not None:
                span.set_attribute("claude_bedrock.cost.usd", message._cost.usd)
            if message._request_id:
                span.set_attribute("aws.request_id", message._request_id)
        if tracing.content:
            from ._tracing_content import content_attributes

            output = message.content if message is not None and complete else None
            for key, value in content_attributes(call.body, output, tracing.limit).items():
                span.set_attribute(key, value)
    except Exception:
        log.debug("could not record the answer on its span", exc_info=True)


def finish(span: Span, tracing: Tracing, call: PreparedCall, result: Any) -> Any:
    """Record a call's result (a message, or a stream that keeps the span until it ends)."""
    accumulator = getattr(result, "_accumulator", None)
    if accumulator is not None:
        traced_stream(result, StreamSpan(span, tracing, call, accumulator))
        return result
    span.set_attribute("http.response.status_code", 200)
    record_message(span, tracing, call, result, complete=True)
    span.set_status(Status(StatusCode.OK))
    span.end()
    return result


# --------------------------------------------------------------------------- streams


def start_count(tracing: Tracing, client: Any, model: str) -> Span:
    attributes = {
        **tracing.attributes, **server(client, client._core.surface == "mantle"),
        "gen_ai.request.model": model, "http.request.method": "POST",
        "http.route": "/v1/messages/count_tokens",
    }  # fmt: skip
    return tracing.tracer.start_span(COUNT, kind=SpanKind.CLIENT, attributes=attributes)


def finish_count(span: Span, result: Any) -> Any:
    span.set_attribute("anthropic.message.count_tokens.input_tokens", result.input_tokens)
    span.set_attribute("http.response.status_code", 200)
    span.set_status(Status(StatusCode.OK))
    span.end()
    return result


class StreamSpan:
    """Ends a stream's span once: read to the end, failed, or closed / dropped first."""

    __slots__ = ("_accumulator", "_call", "_first", "_span", "_tracing", "_start_ns")

    def __init__(self, span: Span, tracing: Tracing, call: PreparedCall,
                 accumulator: Accumulator) -> None:  # fmt: skip
        self._span: Span | None = span
        self._tracing, self._call, self._accumulator = tracing, call, accumulator
        self._first = True
        self._start_ns = time.time_ns()
        span.set_attribute("http.response.status_code", 200)

    def item(self, event: Any) -> None:
        if self._first and event.type == "content_block_delta" and self._span is not None:
            self._first = False
            seconds = (time.time_ns() - self._start_ns) / 1e9
            self._span.set_attribute("gen_ai.response.time_to_first_chunk", seconds)

    def end(self, how: str, error: BaseException | None = None) -> None:
        span, self._span = self._span, None
        if span is None:
            return
        accumulator = self._accumulator
        message = accumulator.snapshot
        complete = message is not None and message.stop_reason is not None
        record_message(span, self._tracing, self._call, message, complete)
        if error is not None:
            record_error(span, error)
        elif how == "read" and accumulator.done:
            span.set_status(Status(StatusCode.OK))
        span.end()


class _Events:
    """A stream's events through its span (sync): the SDK's end rules."""

    def __init__(self, inner: Any, record: StreamSpan) -> None:
        self._inner, self._record = inner, record

    def __iter__(self) -> _Events:
        return self

    def __next__(self) -> Any:
        try:
            event = next(self._inner)
        except StopIteration:
            self._record.end("read")
            raise
        except BaseException as error:
            self._record.end("failed", error)
            raise
        self._record.item(event)
        return event

    def close(self) -> None:
        self._inner.close()
        self._record.end("closed")

    def __del__(self) -> None:
        self._record.end("closed")


class _AsyncEvents:
    """Async :class:`_Events`."""

    def __init__(self, inner: Any, record: StreamSpan) -> None:
        self._inner, self._record = inner, record

    def __aiter__(self) -> _AsyncEvents:
        return self

    async def __anext__(self) -> Any:
        try:
            event = await self._inner.__anext__()
        except StopAsyncIteration:
            self._record.end("read")
            raise
        except BaseException as error:
            self._record.end("failed", error)
            raise
        self._record.item(event)
        return event

    async def aclose(self) -> None:
        await self._inner.aclose()
        self._record.end("closed")

    def __del__(self) -> None:
        self._record.end("closed")


def traced_stream(stream: Any, record: StreamSpan) -> None:
    """Put the span between a raw stream and its reader (``MessageStream`` wraps the same)."""
    inner = stream._iterator
    wrapper = _AsyncEvents if hasattr(inner, "__anext__") else _Events
    stream._iterator = stream._source = wrapper(inner, record)
    stream._generators = (stream._iterator, inner)
