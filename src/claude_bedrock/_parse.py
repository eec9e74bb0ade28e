"""Claude's replies, JSON -> typed: one path for ``create()`` answers and stream events.

Every surface goes through here: InvokeModel's answer body (:func:`parse_message`), the
events inside Bedrock's event-stream ``chunk`` frames and the ``data:`` of the Messages
API's Server-Sent Events (:func:`parse_event`). A reply newer than this client must not
break a program after the call was billed, so:

* the types themselves accept what a newer API adds (an unknown content block type
  becomes :class:`~.types.message.UnknownBlock`, an unknown stop reason stays a string,
  unknown fields stay as extra fields);
* the strict, fast path is one pydantic-core call (``validate_json``, 1.7 us per event);
  what it still rejects (a new delta type, a field of a new shape) is built leniently,
  as the official SDK builds every reply (it does not validate them);
* what cannot be read (not JSON, no ``type``) or reads wrong where the client relies on
  it (:data:`MESSAGE`, :data:`EVENTS`: an error document or ``{}`` for a message, a
  ``content`` that is not a list, a token count or an ``index`` that is not a
  non-negative integer) raises an :class:`APIResponseValidationError` with the request
  id, never a raw ``pydantic.ValidationError``, ``ValueError`` or ``OverflowError``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pydantic
import pydantic_core

from ._body import invalid
from ._exceptions import APIStatusError, status_error_for
from ._shapes import event_problem, message_problem
from .types import stream_events as ev
from .types.message import Message, Usage, block_class
from .wire.messages_api import STATUS_BY_ERROR_TYPE

if TYPE_CHECKING:
    import httpx

__all__ = [
    "ANTHROPIC_ERROR_STATUS", "anthropic_error", "lenient_event", "parse_event", "parse_message",
    "validate_event",
]  # fmt: skip

log = logging.getLogger("claude_bedrock")

#: Status of the Anthropic API's ``error`` types (in-stream ``error`` events carry no status).
ANTHROPIC_ERROR_STATUS = STATUS_BY_ERROR_TYPE

#: The strict, fast path of :func:`parse_event` (hot loops inline it, then call
#: :func:`lenient_event` for what it rejects).
validate_event = pydantic.TypeAdapter(ev.RawMessageStreamEvent).validate_json
_validate_message = Message.model_validate_json
_from_json = pydantic_core.from_json


def _invalid(message: str, raw: object, response: httpx.Response | None) -> Exception:
    return invalid(response, f"Got an unreadable reply ({message})", raw)


def _object(raw: bytes | str, response: httpx.Response | None) -> dict[str, Any]:
    try:
        data = _from_json(raw)
    except ValueError as exc:
        raise _invalid(f"not JSON ({exc})", raw, response) from None
    if not isinstance(data, dict):
        raise _invalid("not a JSON object", raw, response)
    return data


def parse_message(raw: bytes | str, response: httpx.Response | None = None) -> Message:
    """A whole answer (``messages.create``): typed, whatever a newer API added to it."""
    try:
        return _validate_message(raw)
    except pydantic.ValidationError:
        data = _object(raw, response)
    problem = message_problem(data)
    if problem is not None:
        raise _invalid(f"not a message: {problem}", data, response)
    log.debug("lenient parse of an answer the types reject")
    return loose_message(data)


def parse_event(
    raw: bytes | str, response: httpx.Response | None = None
) -> ev.RawMessageStreamEvent | None:
    """One stream event; None for those that carry nothing (``ping``, unknown types).

    An ``error`` event raises its error class (``overloaded_error`` -> 529...).
    """
    try:
        event: ev.RawMessageStreamEvent = validate_event(raw)
        return event
    except pydantic.ValidationError:
        return lenient_event(raw, response)


def lenient_event(
    raw: bytes | str, response: httpx.Response | None
) -> ev.RawMessageStreamEvent | None:
    """An event the strict types reject: an error, a ping, or a shape new to us."""
    data = _object(raw, response)
    kind = data.get("type")
    if not isinstance(kind, str):
        raise _invalid("stream event has no `type`", raw, response)
    if kind == "error":
        raise anthropic_error(data, response)
    builder = _LENIENT.get(kind)
    if builder is None:
        if kind != "ping":
            log.debug("ignoring stream event of unknown type %r", kind)
        return None
    problem = event_problem(kind, data)
    if problem is not None:
        raise _invalid(f"malformed {kind} event: {problem}", data, response)
    try:
        return builder(data)
    except (KeyError, TypeError, AttributeError, ValueError, OverflowError) as exc:
        raise _invalid(f"malformed {kind} event ({exc!r})", data, response) from None


def anthropic_error(data: dict[str, Any], response: httpx.Response | None) -> APIStatusError:
    """An Anthropic ``{"type": "error", "error": {"type", "message"}}`` as its error class."""
    error = data.get("error")
    error = error if isinstance(error, dict) else {}
    kind = str(error.get("type") or "api_error")
    message = str(error.get("message") or kind)
    exc = status_error_for(
        ANTHROPIC_ERROR_STATUS.get(kind, 500), message, response=response, body=data
    )
    exc.error_type = kind  # the Anthropic name as is, not Bedrock-capitalised
    return exc


# --------------------------------------------------------------------------- lenient shapes


def _loose_block(block: dict[str, Any]) -> Any:
    cls = block_class(block.get("type"))
    try:
        return cls.model_validate(block)
    except pydantic.ValidationError:
        return cls.model_construct(**block)


def loose_message(data: dict[str, Any]) -> Message:
    """A message the strict types reject, built as sent (the blocks typed where they fit)."""
    message = dict(data)
    message["content"] = [_loose_block(b) for b in message.get("content") or []]
    message["usage"] = Usage.model_construct(**(message.get("usage") or {}))
    return Message.model_construct(**message)


def _loose_message_start(data: dict[str, Any]) -> ev.RawMessageStartEvent:
    return ev.RawMessageStartEvent.model_construct(
        type="message_start", message=loose_message(data["message"])
    )


def _loose_block_start(data: dict[str, Any]) -> ev.RawContentBlockStartEvent:
    return ev.RawContentBlockStartEvent.model_construct(
        type="content_block_start",
        index=int(data["index"]),
        content_block=_loose_block(data["content_block"]),
    )


def _loose_block_delta(data: dict[str, Any]) -> ev.RawContentBlockDeltaEvent:
    return ev.RawContentBlockDeltaEvent.model_construct(
        type="content_block_delta",
        index=int(data["index"]),
        delta=ev.UnknownDelta.model_construct(**data["delta"]),  # type: ignore[arg-type]
    )


def _loose_message_delta(data: dict[str, Any]) -> ev.RawMessageDeltaEvent:
    usage = dict(data.get("usage") or {})
    usage.setdefault("output_tokens", 0)
    return ev.RawMessageDeltaEvent.model_construct(
        type="message_delta",
        delta=ev.Delta.model_construct(**(data.get("delta") or {})),
        usage=ev.MessageDeltaUsage.model_construct(**usage),
    )


def _loose_block_stop(data: dict[str, Any]) -> ev.RawContentBlockStopEvent:
    return ev.RawContentBlockStopEvent.model_construct(
        type="content_block_stop", index=int(data["index"])
    )


def _loose_message_stop(data: dict[str, Any]) -> ev.RawMessageStopEvent:
    metrics = data.get("amazon-bedrock-invocationMetrics")
    return ev.RawMessageStopEvent.model_construct(
        type="message_stop", invocation_metrics=metrics if isinstance(metrics, dict) else None
    )


_LENIENT: dict[str, Callable[[dict[str, Any]], ev.RawMessageStreamEvent]] = {
    "message_start": _loose_message_start,
    "content_block_start": _loose_block_start,
    "content_block_delta": _loose_block_delta,
    "content_block_stop": _loose_block_stop,
    "message_delta": _loose_message_delta,
    "message_stop": _loose_message_stop,
}
