"""Bedrock's event-stream frames -> typed events: the readers of the stream pipeline.

``invoke-with-response-stream``: each ``chunk`` frame's JSON payload is
``{"bytes": base64(one Anthropic event JSON)}`` (plus a ``p`` padding field Bedrock adds
to hide sizes); the event itself is read by :func:`._parse.parse_event`, the path every
surface shares. ``exception`` frames carry a modelled error (``throttlingException``...),
``error`` frames an unmodelled one; both end the stream with the matching error class
(:func:`bedrock_failure`, shared with ``converse-stream``).

This runs once per streamed token, so it is written for speed (measured on 20,000 deltas,
see ``bench/bench_streaming.py``): the base64 text is sliced straight out of the payload
when it starts with ``{"bytes":"`` (base64 has no quote or backslash, so the next quote
ends it): 0.3 us instead of 2.8 us for ``json.loads``; any other shape takes the general
JSON path.
"""

from __future__ import annotations

from binascii import Error as Base64Error
from binascii import a2b_base64
from typing import TYPE_CHECKING, Any

import pydantic
import pydantic_core

from ._body import invalid
from ._exceptions import APIError, APIStatusError, status_error_for
from ._parse import lenient_event, validate_event
from ._stream_accumulate import message_pipeline
from ._stream_pipeline import Pipeline, Reader
from .wire.eventstream import Decoder
from .wire.eventstream import Message as Frame

if TYPE_CHECKING:
    import httpx

    from .types.stream_events import RawMessageStreamEvent

__all__ = ["EXCEPTION_STATUS", "InvokeReader", "bedrock_failure", "invoke_pipeline"]

#: HTTP status of each exception member of Bedrock's ``ResponseStream`` (botocore's
#: bedrock-runtime service model, ``error.httpStatusCode``; checked by the tests).
EXCEPTION_STATUS: dict[str, int] = {
    "internalServerException": 500,
    "modelStreamErrorException": 424,
    "validationException": 400,
    "throttlingException": 429,
    "modelTimeoutException": 408,
    "serviceUnavailableException": 503,
}

_from_json = pydantic_core.from_json
_BYTES_PREFIX = b'{"bytes":"'
_PREFIX_LENGTH = len(_BYTES_PREFIX)


def invoke_pipeline(response: httpx.Response) -> Pipeline[Frame, RawMessageStreamEvent]:
    """The pipeline of an ``invoke-with-response-stream`` body, accumulating a Message."""
    return message_pipeline(Decoder(), InvokeReader(response), response)


class InvokeReader(Reader):
    """One ``invoke-with-response-stream`` frame -> one Anthropic event (or None)."""

    def __call__(self, frame: Frame) -> RawMessageStreamEvent | None:
        headers = frame.headers
        if headers.get(":message-type") != "event":
            raise bedrock_failure(frame, self._response)
        if headers.get(":event-type") != "chunk":
            return None
        payload = frame.payload
        try:
            if payload.startswith(_BYTES_PREFIX):
                encoded: Any = payload[_PREFIX_LENGTH : payload.index(b'"', _PREFIX_LENGTH)]
            else:
                encoded = _from_json(payload).get("bytes")
                if not isinstance(encoded, str):
                    raise ValueError("no base64 `bytes` field")
            raw = a2b_base64(encoded, strict_mode=True)
        except (ValueError, AttributeError, Base64Error) as exc:
            raise invalid(
                self._response,
                f"Got an unreadable event stream chunk ({exc})",
                payload,
            ) from None
        try:  # parse_event, inlined: this runs once per token
            event: RawMessageStreamEvent = validate_event(raw)
            return event
        except pydantic.ValidationError:
            return lenient_event(raw, self._response)


def bedrock_failure(frame: Frame, response: httpx.Response) -> APIError:
    """The error an ``exception`` or ``error`` frame carries, as its error class."""
    kind = frame.message_type
    if kind == "exception":
        return _exception(frame, response)
    if kind == "error":
        code = frame.error_code or "InternalServerException"
        message = frame.error_message or f"{code} in the event stream"
        status = EXCEPTION_STATUS.get(code[:1].lower() + code[1:], 500)
        return status_error_for(status, message, error_type=code, response=response)
    return invalid(
        response, f"Got an unreadable event stream (frame of unknown :message-type {kind!r})", b""
    )


def _exception(frame: Frame, response: httpx.Response) -> APIStatusError:
    name = frame.exception_type or "internalServerException"
    body: Any
    try:
        body = _from_json(frame.payload)
    except ValueError:
        body = frame.payload.decode("utf-8", "replace")
    message = ""
    if isinstance(body, dict):
        message = str(body.get("message") or body.get("Message") or "")
        original = body.get("originalStatusCode")
        if original is not None:
            message += f" (model status {original}: {body.get('originalMessage') or ''})"
    status = EXCEPTION_STATUS.get(name[:1].lower() + name[1:], 500)
    return status_error_for(
        status, message.strip() or name, error_type=name, response=response, body=body
    )
