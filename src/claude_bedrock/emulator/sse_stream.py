"""The Messages API's stream as Bedrock's Messages surfaces send it: Server-Sent Events.

Each Anthropic stream event goes out as ``event: <type>`` plus ``data: <json>`` (encoded by
the neutral :mod:`claude_bedrock.wire.sse` codec, the one our client decodes with), with a
``ping`` right after ``message_start`` as Anthropic's API sends. An error after the stream
has started is an ``error`` event carrying Anthropic's envelope
(``{"type": "error", "error": {"type": "overloaded_error", ...}}``), after which the
stream ends: the HTTP status was already 200.

Events are written in chunks of up to :data:`CHUNK_BYTES` (the first chunk, the
``message_start`` and its ``ping``, at once), or one by one when the emulator paces its
output (``pace`` tokens per second) or a fault is due.

Test hook (emulator started with faults): ``x-emulator-stream-fault: NAME@N`` ends the
stream after ``N`` events (the ping not counted) with an ``error`` event of type ``NAME``,
an Anthropic error type (``overloaded_error``, ``api_error``, ``rate_limit_error``...) or
one of Bedrock's stream exceptions (``throttlingException``, ``ThrottlingException``...),
or drops the connection (``reset``, ``truncate``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any, Final

from ..wire import sse
from ..wire.messages_api import (
    ERROR_TYPE_BY_BEDROCK_EXCEPTION,
    STATUS_BY_ERROR_TYPE,
    error_envelope,
)
from . import tokens
from .errors import STREAM_EXCEPTION_TYPES
from .runtime import StreamFault

__all__ = [
    "CHUNK_BYTES",
    "CONTENT_TYPE",
    "PING",
    "STREAM_FAULTS",
    "encode_event",
    "error_event",
    "fault_error_type",
    "sse_body",
]

CONTENT_TYPE: Final = "text/event-stream; charset=utf-8"
CHUNK_BYTES: Final = 32 * 1024
PING: Final = sse.encode('{"type":"ping"}', event="ping")

_BEDROCK_BY_MEMBER: Final = {member: name for name, member in STREAM_EXCEPTION_TYPES.items()}
#: The names ``x-emulator-stream-fault`` takes: Anthropic's error types and the members of
#: Bedrock's ``ResponseStream`` exceptions (mapped to the Anthropic type of the same meaning).
STREAM_FAULTS: Final = frozenset({*STATUS_BY_ERROR_TYPE, *_BEDROCK_BY_MEMBER})
_FAULT_MESSAGES: Final[dict[str, str]] = {
    "overloaded_error": "Overloaded",
    "api_error": "Internal server error",
    "rate_limit_error": "Too many requests, please wait before trying again.",
}


def encode_event(event: Mapping[str, Any]) -> bytes:
    """One Anthropic event as SSE bytes, named by its ``type``."""
    data = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    return sse.encode(data, event=str(event["type"]))


def error_event(error_type: str, message: str) -> bytes:
    """The ``error`` event that ends a stream which fails after it started."""
    return sse.encode(json.dumps(error_envelope(error_type, message)), event="error")


def fault_error_type(name: str) -> str:
    """The Anthropic error type of a stream fault's ``NAME``."""
    bedrock = _BEDROCK_BY_MEMBER.get(name)
    return ERROR_TYPE_BY_BEDROCK_EXCEPTION.get(bedrock, "api_error") if bedrock else name


def _fault_event(fault: StreamFault) -> bytes:
    error_type = fault_error_type(fault.name)
    message = _FAULT_MESSAGES.get(error_type, "The request failed")
    return error_event(error_type, f"{message} (injected by the emulator).")


def _delta_tokens(event: Mapping[str, Any]) -> int:
    if event["type"] != "content_block_delta":
        return 0
    delta = event["delta"]
    text = delta.get("text") or delta.get("thinking") or delta.get("partial_json") or ""
    return tokens.count_text(text)


async def sse_body(
    events: list[dict[str, Any]], *, pace: float | None = None, fault: StreamFault | None = None
) -> AsyncIterator[bytes]:
    """The SSE bytes of ``events`` (a whole answer, ``message_start`` first)."""
    buffer = bytearray()
    deadline = time.monotonic()
    one_by_one = bool(pace) or fault is not None
    for index, event in enumerate(events):
        if fault is not None and index == fault.after:
            if buffer:
                yield bytes(buffer)
            if abort := fault.abort():
                raise abort
            yield _fault_event(fault)
            return
        if pace:
            deadline += _delta_tokens(event) / pace
            delay = deadline - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        buffer += encode_event(event)
        if index == 0:
            buffer += PING
        if index == 0 or one_by_one or len(buffer) >= CHUNK_BYTES:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)
