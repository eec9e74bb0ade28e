"""A send flow under the adaptive limiter (``throughput="adaptive"``): each attempt waits
for a ticket of its model's windows (:mod:`._throughput`) and gives it back with what the
answer taught.

It wraps :func:`._senders.send_flow` the way the hooked senders do (a generator passing the
flow's steps through), so the plain path is untouched and the retries, their timing and the
error mapping stay the flow's own. What is gated: calls that generate (InvokeModel and its
stream, Converse and its stream, the Messages API), keyed by endpoint and model. CountTokens
and the control plane are free of Bedrock's token quotas, and pass.

A streamed call gives its ticket back once its first event arrived: its output is still
coming, but from then on it can no longer be throttled, and holding the ticket until the
caller finished reading would tie the window to the caller's pace.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Generator
from typing import Any, Final
from urllib.parse import unquote, urlsplit

import httpx

from ._exceptions import APIStatusError, RateLimitError
from ._retry import retry_after_seconds
from ._senders import Call, Flow, Prime, Send
from ._throughput import ADMITTED, Admit, AsyncGate, Signal, SyncGate, Ticket

__all__ = ["admission", "gated_flow"]

#: Statuses that mean the quota or the capacity ran out (the windows shrink).
CONGESTION: Final = frozenset({429, 503, 529})

_MODEL_PATH = re.compile(
    r"/model/([^/]+)/(invoke|invoke-with-response-stream|converse|converse-stream)$"
)
_MAX_TOKENS = re.compile(rb'"(?:max_tokens|maxTokens)"\s*:\s*(\d+)')
#: Bytes of a request body per token, roughly (English prose and JSON punctuation).
_BYTES_PER_TOKEN: Final = 4


def admission(method: str, url: str, body: bytes | None) -> tuple[str, int] | None:
    """The window key (endpoint and model) and the estimated tokens of a call, or None for
    a call the limiter lets through (not a generation).

    The estimate is what Bedrock admits a call on: the input (from the body's size) plus
    ``max_tokens``; a regular expression finds ``max_tokens`` so the body is parsed as JSON
    only on the Messages API, where the model is in the body.
    """
    if method != "POST" or not body:
        return None
    parts = urlsplit(url)
    match = _MODEL_PATH.search(parts.path)
    if match is not None:
        model = unquote(match.group(1))
    elif parts.path.endswith("/v1/messages"):
        try:
            model = str(json.loads(body).get("model", ""))
        except (ValueError, AttributeError):
            return None
    else:
        return None
    found = _MAX_TOKENS.search(body)
    output = int(found.group(1)) if found else 0
    return f"{parts.netloc}/{model}", len(body) // _BYTES_PER_TOKEN + output


def _signal_of(response: httpx.Response) -> Signal:
    """:func:`_signal` of an error answer whose body was read (a stream's is not yet)."""
    try:
        content = response.content
    except httpx.ResponseNotRead:
        return "both"
    return _signal_text(content[:2048].decode("utf-8", "replace"))


def _signal(error: APIStatusError) -> Signal:
    """Which quota Bedrock says ran out ("Too many tokens…" / "Too many requests…")."""
    return _signal_text(str(error.message))


def _signal_text(text: str) -> Signal:
    text = text.lower()
    if "too many tokens" in text or "tokens per" in text:
        return "tokens"
    if "too many requests" in text or "requests per" in text:
        return "requests"
    return "both"


def _settle(gate: SyncGate | AsyncGate, ticket: Ticket, result: Any) -> None:
    """Give ``ticket`` back: ``result`` is a response, an exception, or None (success)."""
    if isinstance(result, httpx.Response) and result.status_code >= 400:
        if result.status_code in CONGESTION:
            signal = _signal_of(result) if result.status_code == 429 else "capacity"
            after = retry_after_seconds(result.headers)
            gate.release(ticket, "throttled", signal=signal, retry_after=after)
        else:
            gate.release(ticket, "other")
    elif isinstance(result, APIStatusError) and result.status_code in CONGESTION:
        signal = _signal(result) if result.status_code == 429 else "capacity"
        gate.release(ticket, "throttled", signal=signal)
    elif isinstance(result, BaseException):
        gate.release(ticket, "other")
    else:
        gate.release(ticket, "ok")


def gated_flow(
    flow: Flow, gate: SyncGate | AsyncGate, call: Call, deadline: float
) -> Generator[Any, Any, tuple[httpx.Response, Any]]:
    """``flow``'s steps, each :class:`Send` preceded by an :class:`Admit` for its ticket."""
    method, url, body = call[0], call[1], call[2]
    found = admission(method, url, body)
    if found is None:
        return (yield from flow)
    key, tokens = found
    until = time.monotonic() + deadline
    attempts = 0
    ticket: Ticket | None = None
    step: Any = next(flow)
    while True:
        if type(step) is Send:
            ticket = yield Admit(gate, key, tokens, until, retry=attempts > 0)
            attempts += 1
            if ticket is None:
                flow.close()
                raise _no_room(key, deadline)
            admitted = ADMITTED.get()
            if admitted is not None and not admitted:
                admitted.append(time.perf_counter())
        try:
            result = yield step
        except BaseException as exc:
            if ticket is not None:
                _settle(gate, ticket, exc)
                ticket = None
            step = _advance(flow, exc, None)
        else:
            if ticket is not None and _settles(step, result):
                _settle(gate, ticket, result)
                ticket = None
            step = _advance(flow, None, result)
        if isinstance(step, _Done):
            if ticket is not None:  # a stream failed before its first event
                _settle(gate, ticket, step.error)
            if step.error is not None:
                raise step.error
            value: tuple[httpx.Response, Any] = step.value
            return value


def _settles(step: Any, result: Any) -> bool:
    """Whether this step's result ends the attempt's claim on the window: an answer that
    is not streamed, an error answer, or a stream's first event."""
    if type(step) is Send:
        response: httpx.Response = result
        return not step.stream or response.status_code >= 400
    return type(step) is Prime


class _Done:
    """The wrapped flow finished: its return value, or the error it raised."""

    def __init__(self, value: Any = None, error: BaseException | None = None) -> None:
        self.value = value
        self.error = error


def _advance(flow: Flow, exc: BaseException | None, result: Any) -> Any:
    try:
        return flow.throw(exc) if exc is not None else flow.send(result)
    except StopIteration as done:
        return _Done(done.value)
    except BaseException as error:
        return _Done(error=error)


def _no_room(key: str, deadline: float) -> RateLimitError:
    """Raised when no ticket came within the call's deadline (the model's windows stayed
    full, or a ``Retry-After`` outlasted it)."""
    model = key.split("/", 1)[-1]
    return RateLimitError(
        f"throughput='adaptive': no room for this call to {model} within retry_deadline "
        f"({deadline:g} s): the model's quota is in use by this client's other calls. Raise "
        "retry_deadline to wait longer, or ask AWS for a higher quota (Service Quotas).",
        status_code=429,
        error_type="ThrottlingException",
    )
