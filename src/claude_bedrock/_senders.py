"""Send and retry, written once: an I/O-free flow driven by thin sync and async loops.

:func:`send_flow` is a generator in the manner of httpx's ``Auth.auth_flow``: it signs a
fresh request per attempt (:meth:`RequestCore.build_request`), yields what must be done —
:class:`Send` a request, :class:`Prime` a stream (read it up to its first event),
:class:`Read` or :class:`Close` a response, :class:`Sleep` before the next attempt — and
receives the result, or the exception it raised, thrown back in. It maps what came back and
asks the client's :class:`~._retry.RetryPolicy` whether and when to try again. The
:class:`SyncSender` and :class:`AsyncSender` drivers only carry those steps out, blocking or
awaiting, through the transport chosen at construction (:mod:`._transports`), whichever it
is. A stream that fails before its first event is retried like any other failed request:
nothing has reached the caller yet.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import httpx

from ._debug_log import log, log_exchange, log_failure, log_retry
from ._exceptions import APIError, APIStatusError
from ._request_core import connection_error
from ._retry import retryable_error
from ._throughput import Admit, AsyncGate, SyncGate
from ._transports import TrustError
from ._transports._body import bounded_body, check_encoding
from ._transports._deadline import deadline_of, guard

if TYPE_CHECKING:
    from ._request_core import RequestCore

__all__ = ["AsyncSender", "SyncSender", "send_flow"]

_JSON = "application/json"
_DEBUG = logging.DEBUG
P = TypeVar("P")


class Send(NamedTuple):
    """Send ``request``; answer with the response, its body read unless ``stream``.

    Read means read under the client's ``max_response_bytes`` (:mod:`._transports._body`)
    and the attempt's deadline (:mod:`._transports._deadline`); a stream's encoding is
    checked before it is handed on.
    """

    request: httpx.Request
    stream: bool


class Prime(NamedTuple):
    """Read a stream up to its first event; answer with what the caller's ``prime`` gave."""

    response: httpx.Response


class Read(NamedTuple):
    """Read the rest of a streamed (error) answer."""

    response: httpx.Response


class Close(NamedTuple):
    """Close a response that will not be handed over."""

    response: httpx.Response


class Sleep(NamedTuple):
    """Wait before the next attempt."""

    seconds: float


Step = Send | Prime | Read | Close | Sleep | Admit
#: Yields steps, receives their results; returns ``(response, primed or None)``.
Flow = Generator[Step, Any, tuple[httpx.Response, Any]]
Call = tuple[str, str, bytes | None, Mapping[str, str] | None, float | httpx.Timeout | None, str]


def gate_flow(flow: Flow, sender: SyncSender | AsyncSender, call: Call) -> Flow:
    """``flow`` under the sender's adaptive limiter, if it has one (:mod:`._gated`)."""
    if sender.gate is None:
        return flow
    from ._gated import gated_flow

    return gated_flow(flow, sender.gate, call, sender._core.retry.deadline)


def _reason(error: APIError) -> str:
    if isinstance(error, APIStatusError):
        return f"HTTP {error.status_code} {error.error_type or type(error).__name__}"
    return type(error).__name__


def send_flow(
    core: RequestCore, call: Call, stream: bool, prime: bool, signing: str | None = None
) -> Flow:
    """Attempts of one call, until a response under 400 (primed if ``prime``) or an error
    the retry policy gives up on (raised). ``signing``: see ``RequestCore.build_request``."""
    method, url, body, extra_headers, timeout, accept = call
    started = time.monotonic()
    attempt = 0
    while True:
        request = core.build_request(
            method, url, body, extra_headers=extra_headers, timeout=timeout, accept=accept,
            signing=signing,
        )  # fmt: skip
        sent = time.monotonic()
        try:
            response = yield Send(request, stream)
        except httpx.TransportError as exc:
            error: APIError = connection_error(exc, request)
            retry = not isinstance(exc, TrustError)  # the same certificate would be refused
            delay = core.retry.delay(attempt, started) if retry else None
        else:
            if log.isEnabledFor(_DEBUG):
                log_exchange(request, response, sent, attempt)
            if response.status_code < 400:
                if not prime:
                    return response, None
                try:
                    return response, (yield Prime(response))
                except APIError as exc:  # the stream failed before its first event
                    yield Close(response)
                    error = exc
                    retry = retryable_error(exc)
                    delay = core.retry.delay(attempt, started) if retry else None
                except BaseException:
                    yield Close(response)
                    raise
            else:
                error = yield from _error_answer(core, response, stream)
                delay = core.retry.delay(attempt, started, response)
        if delay is None:
            if log.isEnabledFor(_DEBUG):
                log_failure(request, error, started, attempt)
            raise error
        log_retry(request, _reason(error), delay, attempt)
        yield Sleep(delay)
        attempt += 1


def _error_answer(
    core: RequestCore, response: httpx.Response, stream: bool
) -> Generator[Step, Any, APIError]:
    """The error an error answer maps to (a streamed one is read, small, and closed)."""
    if stream:
        try:
            yield Read(response)
        except httpx.TransportError as exc:
            return connection_error(exc, response.request)
        finally:
            yield Close(response)
    return core.error_from_response(response)


class SyncSender:
    """Drives :func:`send_flow` with blocking calls."""

    #: The adaptive limiter's gate (``throughput="adaptive"``), shared by the client's copies.
    gate: SyncGate | None = None

    def __init__(self, core: RequestCore, transport: httpx.BaseTransport, owned: bool) -> None:
        """``owned``: ``close()`` closes ``transport`` (not when it is the user's)."""
        self._core = core
        self._transport = transport
        self._owned = owned

    def send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        *,
        stream: bool = False,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
        accept: str = _JSON,
        signing: str | None = None,
    ) -> httpx.Response:
        """Send with retries; a response with a status under 400, else the mapped error."""
        call = (method, url, body, extra_headers, timeout, accept)
        return self._run(self._flow(call, stream, False, signing), None)[0]

    def send_stream(
        self,
        method: str,
        url: str,
        body: bytes | None,
        prime: Callable[[httpx.Response], P],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
        accept: str = _JSON,
        signing: str | None = None,
    ) -> tuple[httpx.Response, P]:
        """Open a stream and read it up to its first event with ``prime``; a failure there
        (an :class:`APIError` that :func:`~._retry.retryable_error` accepts) is retried."""
        call = (method, url, body, extra_headers, timeout, accept)
        return self._run(self._flow(call, True, True, signing), prime)

    def _flow(self, call: Call, stream: bool, prime: bool, signing: str | None) -> Flow:
        """The steps of one call (a subclass may wrap them: ``resources._hooked``)."""
        return gate_flow(send_flow(self._core, call, stream, prime, signing), self, call)

    def _run(
        self, flow: Flow, prime: Callable[[httpx.Response], Any] | None
    ) -> tuple[httpx.Response, Any]:
        try:
            step = next(flow)
            while True:
                try:
                    result = self._do(step, prime)
                except BaseException as exc:
                    step = flow.throw(exc)
                else:
                    step = flow.send(result)
        except StopIteration as done:
            value: tuple[httpx.Response, Any] = done.value
            return value

    def _do(self, step: Step, prime: Callable[[httpx.Response], Any] | None) -> Any:
        if type(step) is Admit:
            return step.gate.acquire(step.key, step.tokens, step.deadline, step.retry)
        if type(step) is Send:
            response = self._transport.handle_request(step.request)
            guard(response, False)
            try:
                if step.stream:
                    check_encoding(response)
                else:
                    self._read(response)
            except BaseException:
                response.close()
                raise
            return response
        if type(step) is Prime:
            assert prime is not None
            return prime(step.response)
        if type(step) is Read:
            return self._read(step.response)
        if type(step) is Close:
            return step.response.close()
        assert type(step) is Sleep
        time.sleep(step.seconds)
        return None

    def _read(self, response: httpx.Response) -> bytes:
        """The body, read under the cap (``max_response_bytes``)."""
        body = bounded_body(response, self._core.max_response_bytes)
        if body is None:
            return response.content
        for chunk in response.iter_raw():
            body.feed(chunk)
        return body.finish()

    def close(self) -> None:
        if self._owned:
            self._transport.close()


class AsyncSender:
    """Drives :func:`send_flow` with awaits (twin of :class:`SyncSender`)."""

    gate: AsyncGate | None = None

    def __init__(self, core: RequestCore, transport: httpx.AsyncBaseTransport, owned: bool) -> None:
        self._core = core
        self._transport = transport
        self._owned = owned

    async def send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        *,
        stream: bool = False,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
        accept: str = _JSON,
        signing: str | None = None,
    ) -> httpx.Response:
        """Async twin of :meth:`SyncSender.send`."""
        call = (method, url, body, extra_headers, timeout, accept)
        return (await self._run(self._flow(call, stream, False, signing), None))[0]

    async def send_stream(
        self,
        method: str,
        url: str,
        body: bytes | None,
        prime: Callable[[httpx.Response], Awaitable[P]],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
        accept: str = _JSON,
        signing: str | None = None,
    ) -> tuple[httpx.Response, P]:
        """Async twin of :meth:`SyncSender.send_stream`."""
        call = (method, url, body, extra_headers, timeout, accept)
        return await self._run(self._flow(call, True, True, signing), prime)

    def _flow(self, call: Call, stream: bool, prime: bool, signing: str | None) -> Flow:
        return gate_flow(send_flow(self._core, call, stream, prime, signing), self, call)

    async def _run(
        self, flow: Flow, prime: Callable[[httpx.Response], Awaitable[Any]] | None
    ) -> tuple[httpx.Response, Any]:
        try:
            step = next(flow)
            while True:
                try:
                    result = await self._do(step, prime)
                except BaseException as exc:
                    step = flow.throw(exc)
                else:
                    step = flow.send(result)
        except StopIteration as done:
            value: tuple[httpx.Response, Any] = done.value
            return value

    async def _do(
        self, step: Step, prime: Callable[[httpx.Response], Awaitable[Any]] | None
    ) -> Any:
        if type(step) is Admit:
            assert isinstance(step.gate, AsyncGate)
            return await step.gate.acquire(step.key, step.tokens, step.deadline, step.retry)
        if type(step) is Send:
            response = await self._head(step.request)
            guard(response, True)
            try:
                if step.stream:
                    check_encoding(response)
                else:
                    await self._read(response)
            except BaseException:
                await response.aclose()
                raise
            return response
        if type(step) is Prime:
            assert prime is not None
            return await prime(step.response)
        if type(step) is Read:
            return await self._read(step.response)
        if type(step) is Close:
            return await step.response.aclose()
        assert type(step) is Sleep
        import asyncio

        await asyncio.sleep(step.seconds)
        return None

    async def _head(self, request: httpx.Request) -> httpx.Response:
        """Send, waiting for the response head no longer than the attempt's deadline."""
        deadline = deadline_of(request)
        if deadline is None or deadline.at is None:
            return await self._transport.handle_async_request(request)
        import asyncio

        try:
            async with asyncio.timeout(deadline.limit(None)):
                return await self._transport.handle_async_request(request)
        except TimeoutError:
            if deadline.passed():
                raise deadline.expired() from None
            raise

    async def _read(self, response: httpx.Response) -> bytes:
        """Async twin of :meth:`SyncSender._read`."""
        body = bounded_body(response, self._core.max_response_bytes)
        if body is None:
            return response.content
        async for chunk in response.aiter_raw():
            body.feed(chunk)
        return body.finish()

    async def close(self) -> None:
        if self._owned:
            await self._transport.aclose()
