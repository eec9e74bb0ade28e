"""The send-and-retry loops of the sync and async clients (over :class:`ClientCore`).

Each loop signs a fresh request per attempt, sends it through our own keep-alive transport
(or the caller's ``httpx`` client), maps what came back, and asks the client's
:class:`~._retry.RetryPolicy` whether and when to try again. Streams are read up to their
first event before being handed over (``send_stream``), so that a stream failing before it
is retried like any other failed request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from ._exceptions import APIConnectionError, APIError, APIStatusError, APITimeoutError
from ._logging import log, log_exchange, log_failure, log_retry, scrub
from ._retry import retryable_error

if TYPE_CHECKING:
    from ._base_client import ClientCore

__all__ = ["AsyncSender", "SyncSender", "connection_error"]

_JSON = "application/json"
_DEBUG = logging.DEBUG
P = TypeVar("P")


def connection_error(exc: Exception, request: httpx.Request | None) -> APIConnectionError:
    """httpx's timeouts become :class:`APITimeoutError`, everything else a connection error."""
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"Request timed out ({type(exc).__name__}).", request)
    return APIConnectionError(scrub(f"Connection error: {type(exc).__name__}: {exc}"), request)


def _env_proxies() -> bool:
    """Whether the environment names a proxy (then httpx, which honours it, sends)."""
    import urllib.request

    proxies = urllib.request.getproxies_environment()
    return any(proxies.get(scheme) for scheme in ("http", "https", "all"))


def _reason(error: APIError) -> str:
    if isinstance(error, APIStatusError):
        return f"HTTP {error.status_code} {error.error_type or type(error).__name__}"
    return type(error).__name__


class SyncSender:
    """The blocking send-and-retry loop."""

    def __init__(self, core: ClientCore, http_client: httpx.Client | None) -> None:
        from ._transport import FastHTTPTransport

        self._core = core
        self._owns_http = http_client is None
        self._http = http_client
        # Our own client sends straight through the transport (see _transport.py for the
        # measured reason); a user's httpx.Client is used as it is, proxies and all.
        self._transport = FastHTTPTransport() if http_client is None else None
        if self._transport is not None and _env_proxies():
            self._transport, self._http = None, httpx.Client(timeout=core.timeout)

    def _send_once(self, request: httpx.Request, stream: bool) -> httpx.Response:
        if self._transport is not None:
            response = self._transport.handle_request(request)
            if not stream:
                response.read()
            return response
        assert self._http is not None
        return self._http.send(request, stream=stream)

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
    ) -> httpx.Response:
        """Send with retries; a response with a status under 400, else the mapped error."""
        request_args = (method, url, body, extra_headers, timeout, accept)
        response, _ = self._send(request_args, stream, None)
        return response

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
    ) -> tuple[httpx.Response, P]:
        """Open a stream and read it up to its first event with ``prime``; a failure there
        (an :class:`APIError` that :func:`~._retry.retryable_error` accepts) is retried."""
        request_args = (method, url, body, extra_headers, timeout, accept)
        response, primed = self._send(request_args, True, prime)
        return response, primed

    def _send(
        self, args: tuple[Any, ...], stream: bool, prime: Callable[[httpx.Response], Any] | None
    ) -> tuple[httpx.Response, Any]:
        method, url, body, extra_headers, timeout, accept = args
        core = self._core
        started = time.monotonic()
        attempt = 0
        while True:
            request = core.build_request(
                method, url, body, extra_headers=extra_headers, timeout=timeout, accept=accept
            )
            sent = time.monotonic()
            try:
                response = self._send_once(request, stream)
            except httpx.TransportError as exc:
                error: APIError = connection_error(exc, request)
                delay = core.retry.delay(attempt, started)
            else:
                if log.isEnabledFor(_DEBUG):
                    log_exchange(request, response, sent, attempt)
                if response.status_code < 400:
                    if prime is None:
                        return response, None
                    try:
                        return response, prime(response)
                    except APIError as exc:  # the stream failed before its first event
                        response.close()
                        error = exc
                        retry = retryable_error(exc)
                        delay = core.retry.delay(attempt, started) if retry else None
                    except BaseException:
                        response.close()
                        raise
                else:
                    error = _sync_error(core, response, stream)
                    delay = core.retry.delay(attempt, started, response)
            if delay is None:
                if log.isEnabledFor(_DEBUG):
                    log_failure(request, error, started, attempt)
                raise error
            log_retry(request, _reason(error), delay, attempt)
            time.sleep(delay)
            attempt += 1

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        elif self._owns_http and self._http is not None:
            self._http.close()


def _sync_error(core: ClientCore, response: httpx.Response, stream: bool) -> APIError:
    """The error an error answer maps to (a streamed one is read, small, and closed)."""
    if stream:
        try:
            response.read()
        except httpx.TransportError as exc:
            return connection_error(exc, response.request)
        finally:
            response.close()
    return core.error_from_response(response)


async def _async_error(core: ClientCore, response: httpx.Response, stream: bool) -> APIError:
    if stream:
        try:
            await response.aread()
        except httpx.TransportError as exc:
            return connection_error(exc, response.request)
        finally:
            await response.aclose()
    return core.error_from_response(response)


class AsyncSender:
    """The asyncio send-and-retry loop (twin of :class:`SyncSender`)."""

    def __init__(self, core: ClientCore, http_client: httpx.AsyncClient | None) -> None:
        from ._async_transport import FastAsyncTransport

        self._core = core
        self._owns_http = http_client is None
        self._http = http_client
        # As for the sync client, our own pool (see _async_transport.py for the measured
        # reason); a user's httpx.AsyncClient, or proxies from the environment, use httpx.
        self._transport: FastAsyncTransport | None = None
        if http_client is None:
            if _env_proxies():
                self._http = httpx.AsyncClient(timeout=core.timeout)
            else:
                self._transport = FastAsyncTransport()

    async def _send_once(self, request: httpx.Request, stream: bool) -> httpx.Response:
        if self._transport is not None:
            response = await self._transport.handle_async_request(request)
            if not stream:
                await response.aread()
            return response
        assert self._http is not None
        return await self._http.send(request, stream=stream)

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
    ) -> httpx.Response:
        """Async twin of :meth:`SyncSender.send`."""
        request_args = (method, url, body, extra_headers, timeout, accept)
        response, _ = await self._send(request_args, stream, None)
        return response

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
    ) -> tuple[httpx.Response, P]:
        """Async twin of :meth:`SyncSender.send_stream`."""
        request_args = (method, url, body, extra_headers, timeout, accept)
        response, primed = await self._send(request_args, True, prime)
        return response, primed

    async def _send(
        self,
        args: tuple[Any, ...],
        stream: bool,
        prime: Callable[[httpx.Response], Awaitable[Any]] | None,
    ) -> tuple[httpx.Response, Any]:
        import asyncio

        method, url, body, extra_headers, timeout, accept = args
        core = self._core
        started = time.monotonic()
        attempt = 0
        while True:
            request = core.build_request(
                method, url, body, extra_headers=extra_headers, timeout=timeout, accept=accept
            )
            sent = time.monotonic()
            try:
                response = await self._send_once(request, stream)
            except httpx.TransportError as exc:
                error: APIError = connection_error(exc, request)
                delay = core.retry.delay(attempt, started)
            else:
                if log.isEnabledFor(_DEBUG):
                    log_exchange(request, response, sent, attempt)
                if response.status_code < 400:
                    if prime is None:
                        return response, None
                    try:
                        return response, await prime(response)
                    except APIError as exc:  # the stream failed before its first event
                        await response.aclose()
                        error = exc
                        retry = retryable_error(exc)
                        delay = core.retry.delay(attempt, started) if retry else None
                    except BaseException:
                        await response.aclose()
                        raise
                else:
                    error = await _async_error(core, response, stream)
                    delay = core.retry.delay(attempt, started, response)
            if delay is None:
                if log.isEnabledFor(_DEBUG):
                    log_failure(request, error, started, attempt)
                raise error
            log_retry(request, _reason(error), delay, attempt)
            await asyncio.sleep(delay)
            attempt += 1

    async def close(self) -> None:
        if self._transport is not None:
            await self._transport.aclose()
        elif self._owns_http and self._http is not None:
            await self._http.aclose()
