"""Senders with hooks: the middleware chain and the recording behind raw responses.

A client without middleware sends through the plain :class:`~.._senders.SyncSender`, and a
call not made through ``with_raw_response`` / ``with_streaming_response`` never meets this
module: the hooks cost nothing when unused. Otherwise the sender is a
:class:`HookedSyncSender` (:class:`HookedAsyncSender`), which drives the same
:func:`~.._senders.send_flow` (so the retries, their timing and the error mapping are the
plain sender's) with two differences:

* each HTTP attempt goes through the middleware chain: the chain sees an unsigned
  :class:`~.._middleware.APIRequest` of the attempt, and the innermost ``call_next`` signs
  whatever the chain made of it (``RequestCore.build_request``) and sends it, returning an
  :class:`~.._response.APIResponse` for every answer;
* a :class:`Record` (one per raw call) receives the last response and the number of retries
  and, for ``with_streaming_response``, a ``pause`` hook called with the first answer under
  400 before its body is read (the call resumes, and reads it, when the caller parses).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

import httpx

from .._body import json_body
from .._exceptions import APIConnectionError
from .._middleware import APIRequest, middleware_base
from .._parse import parse_message
from .._request_core import connection_error
from .._response import APIResponse, AsyncAPIResponse, StreamAlreadyConsumed
from .._senders import (
    AsyncSender,
    Call,
    Flow,
    Prime,
    Read,
    Send,
    SyncSender,
    gate_flow,
    send_flow,
)  # fmt: skip

__all__ = ["HookedAsyncSender", "HookedSyncSender", "Record"]

_JSON = "application/json"


@dataclass(slots=True)
class Record:
    """What one raw call learns from the sender (its last response, and the retries)."""

    response: httpx.Response | None = None
    retries: int = 0
    #: ``time.monotonic()`` when the last attempt was sent.
    started: float = 0.0
    #: ``with_streaming_response``: called once, with the first answer under 400, unread.
    pause: Callable[[httpx.Response], Any] | None = None


def generic_parse(response: httpx.Response) -> Any:
    """``parse()`` of a middleware's ``call_next`` response, which knows nothing of the call:
    a Messages answer becomes a ``Message``, any other JSON its decoded value."""
    if not response.is_stream_consumed:
        raise TypeError(
            "a streamed answer: read it with iter_bytes()/iter_lines(), or let the call "
            "that made it parse it"
        )
    data = json_body(response, "Bedrock")
    if isinstance(data, dict) and data.get("type") == "message":
        return parse_message(response.content, response)
    return data


async def _async_generic_parse(response: httpx.Response) -> Any:
    return generic_parse(response)


def _handler(entry: Any, sync: bool) -> Any:
    if middleware_base(entry) is not None:
        return entry.handle if sync else entry.handle_async
    return entry


def _chain(middleware: tuple[Any, ...], innermost: Any, sync: bool) -> Any:
    """The chain, outermost first; built once per sender (it depends on nothing else)."""
    chain = innermost
    for entry in reversed(middleware):
        chain = _link(_handler(entry, sync), chain)
    return chain


def _link(handler: Any, call_next: Any) -> Any:
    def handle(request: APIRequest) -> Any:
        return handler(request, call_next)

    return handle


def _request_of(
    core: Any, call: Call, streams: tuple[bool, bool], signing: str | None, attempt: int
) -> APIRequest:
    """``streams``: whether the call streams (SSE or event stream), and whether the body is
    left unread (also for ``with_streaming_response``)."""
    method, url, body, extra_headers, timeout, accept = call
    headers = {k.lower(): v for k, v in (extra_headers or {}).items()}
    return APIRequest(
        method=method.lower(), url=url, headers=headers, content=body, timeout=timeout,
        max_retries=core.max_retries, stream=streams[0], retries_taken=attempt, accept=accept,
        signing=signing, unread=streams[1],
    )  # fmt: skip


def _build(core: Any, request: APIRequest) -> httpx.Request:
    return core.build_request(  # type: ignore[no-any-return]
        request.method.upper(), request.url, request.content, extra_headers=request.headers,
        timeout=request.timeout, accept=request._accept, signing=request._signing,
    )  # fmt: skip


def _unwrap(result: Any) -> httpx.Response:
    if isinstance(result, APIResponse | AsyncAPIResponse):
        return result.http_response
    raise TypeError(
        "middleware must return the response of call_next(), or an APIResponse it built "
        f"(claude_bedrock parses the answer after the chain); got {type(result).__name__}"
    )


def _transport_cause(exc: APIConnectionError) -> BaseException:
    """A connection failure raised through the chain goes back to the retry policy as the
    transport error it came from (so it is retried like any other)."""
    cause = exc.__cause__
    return cause if isinstance(cause, httpx.TransportError) else exc


class _Unsigned:
    """The request core as :func:`~.._senders.send_flow` sees it under a middleware chain:
    the flow's own request of each attempt is left unsigned (only logged and named in
    errors), since the innermost ``call_next`` signs what the chain made of it."""

    def __init__(self, core: Any) -> None:
        self.retry = core.retry
        self.error_from_response = core.error_from_response

    def build_request(
        self, method: str, url: str, body: bytes | None, *,
        extra_headers: Mapping[str, str] | None = None, accept: str = _JSON, **_: Any,
    ) -> httpx.Request:  # fmt: skip
        headers = {"accept": accept, **(extra_headers or {})}
        return httpx.Request(method, url, headers=headers, content=body or b"")


class Chained(NamedTuple):
    """Send one attempt through the middleware chain (instead of a plain :class:`Send`)."""

    request: APIRequest


class Pause(NamedTuple):
    """Hand the first answer under 400, unread, to ``hook`` (``with_streaming_response``)."""

    hook: Callable[[httpx.Response], Any]
    response: httpx.Response


#: A hooked sender's steps: :data:`~.._senders.Step`, :class:`Chained` and :class:`Pause`.
HookedFlow = Generator[Any, Any, tuple[httpx.Response, Any]]


def hooked_flow(
    sender: _Hooks, call: Call, stream: bool, prime: bool, signing: str | None
) -> HookedFlow:
    """The steps of one call through a hooked sender, written once for both drivers:
    :func:`~.._senders.send_flow`'s, each attempt's :class:`Send` turned into a
    :class:`Chained` under middleware and recorded in the sender's :class:`Record`, then,
    for ``with_streaming_response``, a :class:`Pause` before the body is read."""
    record: Record | None = sender._record
    pause = record.pause if record is not None else None
    wire_stream = stream or pause is not None
    primes = prime and pause is None
    flow = send_flow(sender._flow_core, call, wire_stream, primes, signing)
    flow = gate_flow(flow, sender, call)  # type: ignore[arg-type]  # a hooked sender is one
    attempts = _attempts(sender, flow, call, (stream, wire_stream), signing)
    response, primed = yield from attempts
    if pause is None:
        return response, primed
    assert record is not None
    record.pause = None
    yield Pause(pause, response)
    if not stream:
        try:
            yield Read(response)
        except httpx.StreamConsumed as exc:
            raise StreamAlreadyConsumed() from exc
        except httpx.TransportError as exc:
            raise connection_error(exc, response.request) from exc
    if prime:
        primed = yield Prime(response)
    return response, primed


def _attempts(
    sender: _Hooks, flow: Flow, call: Call, streams: tuple[bool, bool], signing: str | None
) -> HookedFlow:
    """``flow``'s steps, passed through; each :class:`Send` counted, timed for the
    :class:`Record`, and sent through the chain when there is one."""
    record: Record | None = sender._record
    chained = sender._chain is not None
    attempt = -1
    step: Any = next(flow)
    while True:
        if type(step) is Send:
            attempt += 1
            if record is not None:
                record.started = time.monotonic()
            if chained:
                step = Chained(_request_of(sender._core, call, streams, signing, attempt))
        try:
            try:
                result = yield step
            except BaseException as exc:
                step = flow.throw(exc)
            else:
                step = flow.send(result)
        except StopIteration as done:
            value: tuple[httpx.Response, Any] = done.value
            if record is not None:
                record.response, record.retries = value[0], attempt
            return value


class _Hooks:
    """What both hooked senders hold, and the flow they drive (set up once per sender)."""

    _core: Any
    _middleware: tuple[Any, ...]
    _record: Record | None
    _chain: Any
    _flow_core: Any

    def _init_hooks(self, middleware: tuple[Any, ...], record: Record | None, sync: bool) -> None:
        self._middleware = middleware
        self._record = record
        innermost = getattr(self, "_innermost")  # noqa: B009  (each driver's own)
        self._chain = _chain(middleware, innermost, sync) if middleware else None
        self._flow_core = _Unsigned(self._core) if middleware else self._core

    def _flow(self, call: Call, stream: bool, prime: bool, signing: str | None) -> HookedFlow:
        return hooked_flow(self, call, stream, prime, signing)


def _raw(
    cls: type[Any], response: httpx.Response, request: APIRequest, started: float, parse: Any
) -> Any:
    return cls(
        response, retries_taken=request.retries_taken, parse=partial(parse, response),
        started=started,
    )  # fmt: skip


class HookedSyncSender(_Hooks, SyncSender):
    """:class:`SyncSender` with the middleware chain and/or a :class:`Record`: it drives
    :func:`hooked_flow` and carries out its two extra steps."""

    def __init__(
        self,
        core: Any,
        transport: httpx.BaseTransport,
        owned: bool,
        middleware: tuple[Any, ...] = (),
        record: Record | None = None,
    ) -> None:
        super().__init__(core, transport, owned)
        self._init_hooks(middleware, record, sync=True)

    def _do(self, step: Any, prime: Callable[[httpx.Response], Any] | None) -> Any:
        if type(step) is Chained:
            try:
                return _unwrap(self._chain(step.request))
            except APIConnectionError as exc:
                raise _transport_cause(exc) from None
        if type(step) is Pause:
            return step.hook(step.response)
        return super()._do(step, prime)

    def _innermost(self, request: APIRequest) -> APIResponse[Any]:
        """The end of the chain: sign what the chain made of the request, send it once."""
        sent = _build(self._core, request)
        started = time.monotonic()
        try:  # the plain driver's own send (the body read unless left unread)
            response: httpx.Response = super()._do(Send(sent, request._unread), None)
        except httpx.TransportError as exc:
            raise connection_error(exc, sent) from exc
        raw: APIResponse[Any] = _raw(APIResponse, response, request, started, generic_parse)
        return raw


class HookedAsyncSender(_Hooks, AsyncSender):
    """Async twin of :class:`HookedSyncSender` (the chain and ``pause`` are awaited)."""

    def __init__(
        self,
        core: Any,
        transport: httpx.AsyncBaseTransport,
        owned: bool,
        middleware: tuple[Any, ...] = (),
        record: Record | None = None,
    ) -> None:
        super().__init__(core, transport, owned)
        self._init_hooks(middleware, record, sync=False)

    async def _do(self, step: Any, prime: Callable[[httpx.Response], Awaitable[Any]] | None) -> Any:
        if type(step) is Chained:
            try:
                return _unwrap(await self._chain(step.request))
            except APIConnectionError as exc:
                raise _transport_cause(exc) from None
        if type(step) is Pause:
            return await step.hook(step.response)
        return await super()._do(step, prime)

    async def _innermost(self, request: APIRequest) -> AsyncAPIResponse[Any]:
        """Async :meth:`HookedSyncSender._innermost`."""
        sent = _build(self._core, request)
        started = time.monotonic()
        try:
            response: httpx.Response = await super()._do(Send(sent, request._unread), None)
        except httpx.TransportError as exc:
            raise connection_error(exc, sent) from exc
        raw: AsyncAPIResponse[Any] = _raw(
            AsyncAPIResponse, response, request, started, _async_generic_parse
        )
        return raw
