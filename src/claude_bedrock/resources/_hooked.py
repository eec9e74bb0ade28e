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
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx

from .._exceptions import APIConnectionError
from .._middleware import APIRequest, middleware_base
from .._parse import parse_message
from .._request_core import connection_error
from .._response import APIResponse, AsyncAPIResponse, StreamAlreadyConsumed
from .._senders import AsyncSender, Call, Flow, Send, SyncSender, send_flow

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
    data = response.json() if response.content else None
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


class HookedSyncSender(SyncSender):
    """:class:`SyncSender` with the middleware chain and/or a :class:`Record`."""

    def __init__(
        self,
        core: Any,
        transport: httpx.BaseTransport,
        owned: bool,
        middleware: tuple[Any, ...] = (),
        record: Record | None = None,
    ) -> None:
        super().__init__(core, transport, owned)
        self._middleware = middleware
        self._record = record
        self._chain = _chain(middleware, self._innermost, True) if middleware else None
        self._flow_core: Any = _Unsigned(core) if middleware else core

    def send(
        self, method: str, url: str, body: bytes | None, *, stream: bool = False,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None, accept: str = _JSON,
        signing: str | None = None,
    ) -> httpx.Response:  # fmt: skip
        call = (method, url, body, extra_headers, timeout, accept)
        return self._hooked(call, stream, None, signing)[0]

    def send_stream(
        self, method: str, url: str, body: bytes | None, prime: Callable[[httpx.Response], Any],
        *, extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None, accept: str = _JSON,
        signing: str | None = None,
    ) -> tuple[httpx.Response, Any]:  # fmt: skip
        call = (method, url, body, extra_headers, timeout, accept)
        return self._hooked(call, True, prime, signing)

    def _hooked(
        self, call: Call, stream: bool, prime: Callable[[httpx.Response], Any] | None,
        signing: str | None,
    ) -> tuple[httpx.Response, Any]:  # fmt: skip
        record = self._record
        pause = record.pause if record is not None else None
        wire_stream = stream or pause is not None
        primes = prime is not None and pause is None
        flow = send_flow(self._flow_core, call, wire_stream, primes, signing)
        response, primed = self._drive(flow, prime, call, (stream, wire_stream), signing)
        if pause is not None:
            assert record is not None
            record.pause = None
            pause(response)
            if not stream:
                try:
                    response.read()
                except httpx.StreamConsumed as exc:
                    raise StreamAlreadyConsumed() from exc
                except httpx.TransportError as exc:
                    raise connection_error(exc, response.request) from exc
            if prime is not None:
                primed = prime(response)
        return response, primed

    def _drive(
        self, flow: Flow, prime: Any, call: Call, streams: tuple[bool, bool], signing: str | None
    ) -> tuple[httpx.Response, Any]:
        attempt = -1
        record = self._record
        try:
            step = next(flow)
            while True:
                try:
                    if type(step) is Send:
                        attempt += 1
                        if record is not None:
                            record.started = time.monotonic()
                        if self._chain is None:
                            result = self._do(step, prime)
                        else:
                            request = _request_of(self._core, call, streams, signing, attempt)
                            try:
                                result = _unwrap(self._chain(request))
                            except APIConnectionError as exc:
                                raise _transport_cause(exc) from None
                    else:
                        result = self._do(step, prime)
                except BaseException as exc:
                    step = flow.throw(exc)
                else:
                    step = flow.send(result)
        except StopIteration as done:
            value: tuple[httpx.Response, Any] = done.value
            if record is not None:
                record.response, record.retries = value[0], attempt
            return value

    def _innermost(self, request: APIRequest) -> APIResponse[Any]:
        """The end of the chain: sign what the chain made of the request, send it once."""
        sent = _build(self._core, request)
        started = time.monotonic()
        try:
            response = self._transport.handle_request(sent)
            if not request._unread:
                try:
                    response.read()
                except BaseException:
                    response.close()
                    raise
        except httpx.TransportError as exc:
            raise connection_error(exc, sent) from exc
        raw: APIResponse[Any] = APIResponse(
            response, retries_taken=request.retries_taken,
            parse=partial(generic_parse, response), started=started,
        )  # fmt: skip
        return raw


class HookedAsyncSender(AsyncSender):
    """Async twin of :class:`HookedSyncSender` (``pause`` is awaited)."""

    def __init__(
        self,
        core: Any,
        transport: httpx.AsyncBaseTransport,
        owned: bool,
        middleware: tuple[Any, ...] = (),
        record: Record | None = None,
    ) -> None:
        super().__init__(core, transport, owned)
        self._middleware = middleware
        self._record = record
        self._chain = _chain(middleware, self._innermost, False) if middleware else None
        self._flow_core: Any = _Unsigned(core) if middleware else core

    async def send(
        self, method: str, url: str, body: bytes | None, *, stream: bool = False,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None, accept: str = _JSON,
        signing: str | None = None,
    ) -> httpx.Response:  # fmt: skip
        call = (method, url, body, extra_headers, timeout, accept)
        return (await self._hooked(call, stream, None, signing))[0]

    async def send_stream(
        self, method: str, url: str, body: bytes | None,
        prime: Callable[[httpx.Response], Awaitable[Any]], *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None, accept: str = _JSON,
        signing: str | None = None,
    ) -> tuple[httpx.Response, Any]:  # fmt: skip
        call = (method, url, body, extra_headers, timeout, accept)
        return await self._hooked(call, True, prime, signing)

    async def _hooked(
        self, call: Call, stream: bool, prime: Callable[[httpx.Response], Awaitable[Any]] | None,
        signing: str | None,
    ) -> tuple[httpx.Response, Any]:  # fmt: skip
        record = self._record
        pause = record.pause if record is not None else None
        wire_stream = stream or pause is not None
        primes = prime is not None and pause is None
        flow = send_flow(self._flow_core, call, wire_stream, primes, signing)
        response, primed = await self._drive(flow, prime, call, (stream, wire_stream), signing)
        if pause is not None:
            assert record is not None
            record.pause = None
            await pause(response)
            if not stream:
                try:
                    await response.aread()
                except httpx.StreamConsumed as exc:
                    raise StreamAlreadyConsumed() from exc
                except httpx.TransportError as exc:
                    raise connection_error(exc, response.request) from exc
            if prime is not None:
                primed = await prime(response)
        return response, primed

    async def _drive(
        self, flow: Flow, prime: Any, call: Call, streams: tuple[bool, bool], signing: str | None
    ) -> tuple[httpx.Response, Any]:
        attempt = -1
        record = self._record
        try:
            step = next(flow)
            while True:
                try:
                    if type(step) is Send:
                        attempt += 1
                        if record is not None:
                            record.started = time.monotonic()
                        if self._chain is None:
                            result = await self._do(step, prime)
                        else:
                            request = _request_of(self._core, call, streams, signing, attempt)
                            try:
                                result = _unwrap(await self._chain(request))
                            except APIConnectionError as exc:
                                raise _transport_cause(exc) from None
                    else:
                        result = await self._do(step, prime)
                except BaseException as exc:
                    step = flow.throw(exc)
                else:
                    step = flow.send(result)
        except StopIteration as done:
            value: tuple[httpx.Response, Any] = done.value
            if record is not None:
                record.response, record.retries = value[0], attempt
            return value

    async def _innermost(self, request: APIRequest) -> AsyncAPIResponse[Any]:
        """Async :meth:`HookedSyncSender._innermost`."""
        sent = _build(self._core, request)
        started = time.monotonic()
        try:
            response = await self._transport.handle_async_request(sent)
            if not request._unread:
                try:
                    await response.aread()
                except BaseException:
                    await response.aclose()
                    raise
        except httpx.TransportError as exc:
            raise connection_error(exc, sent) from exc
        raw: AsyncAPIResponse[Any] = AsyncAPIResponse(
            response, retries_taken=request.retries_taken,
            parse=partial(_async_generic_parse, response), started=started,
        )  # fmt: skip
        return raw
