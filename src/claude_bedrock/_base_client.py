"""The request machinery shared by the sync and async clients: sign, send, retry, map errors.

Everything that does not wait on the network is a plain function or a method of
:class:`ClientCore`, written once; the sync and async clients differ only in the thin
``send`` loops at the bottom. The hot path (one ``messages.create``) does no work that
could be done once per client: endpoints, signers, the user agent and resolved model IDs
are computed at construction or cached on first use.

Timeouts (``timeout=``, a number of seconds or an ``httpx.Timeout``; default 600 s, 5 s to
connect), all per attempt and all raising :class:`APITimeoutError` (a subclass of
:class:`APIConnectionError`, so ``except APIConnectionError`` still catches both, while
``except APITimeoutError`` tells a slow server from an unreachable one):

* ``connect``: opening the TCP (and TLS) connection;
* ``read``: the longest silence allowed while waiting for the response head or any later
  byte of the body, so a stream that stalls mid-answer fails after ``read`` seconds;
* ``write``: sending the request; ``pool``: waiting for a free connection (async client).

The total: retries stop ``retry_deadline`` seconds (default 60) after the call began, so a
call ends at the latest ``retry_deadline`` plus one attempt's timeout after it started (see
:mod:`._retry` for what is retried).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import httpx

from ._config import Endpoints, resolve_endpoints, resolve_region
from ._credentials import CredentialSource
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    CredentialsError,
    status_error_for,
)
from ._logging import log, log_exchange, log_failure, log_retry, mask, scrub, setup_from_env
from ._retry import DEFAULT_MAX_RETRIES, DEFAULT_RETRY_DEADLINE, RetryPolicy, retryable_error
from ._version import __version__
from .signing import SigV4Signer

if TYPE_CHECKING:
    from .catalog import ResolvedModel

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_RETRY_DEADLINE",
    "DEFAULT_TIMEOUT",
    "AsyncSender",
    "ClientCore",
    "SyncSender",
    "connection_error",
]

setup_from_env()

DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=5.0)
USER_AGENT = f"claude-bedrock/{__version__} (python)"
_JSON = "application/json"
_DEBUG = logging.DEBUG

Service = Literal["runtime", "control"]
P = TypeVar("P")


class ClientCore:
    """Configuration and per-request helpers common to both clients."""

    def __init__(
        self,
        *,
        aws_secret_key: str | None,
        aws_access_key: str | None,
        aws_region: str | None,
        aws_profile: str | None,
        aws_session_token: str | None,
        api_key: str | None,
        base_url: str | httpx.URL | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        control_plane_url: str | None = None,
        context_1m: bool = False,
        endpoint: Literal["global", "regional"] | None = None,
        retry_deadline: float | None = None,
    ) -> None:
        import os

        if api_key is None:
            api_key = os.environ.get("AWS_BEARER_TOKEN_BEDROCK") or None
        explicit_aws = any(
            v is not None for v in (aws_access_key, aws_secret_key, aws_session_token, aws_profile)
        )
        if api_key is not None and explicit_aws:
            raise CredentialsError(
                "Cannot use both a Bedrock API key (`api_key` / AWS_BEARER_TOKEN_BEDROCK) and AWS "
                "credentials (`aws_access_key`, `aws_secret_key`, `aws_session_token`, "
                "`aws_profile`): choose one."
            )
        self._api_key = api_key
        self.aws_region = resolve_region(aws_region, aws_profile)
        self.aws_profile = aws_profile
        self.endpoints: Endpoints = resolve_endpoints(
            self.aws_region, str(base_url) if base_url is not None else None, control_plane_url
        )
        self._credentials = (
            None
            if api_key is not None
            else CredentialSource(
                access_key=aws_access_key,
                secret_key=aws_secret_key,
                session_token=aws_session_token,
                profile=aws_profile,
            )
        )
        self._signer = SigV4Signer(self.aws_region, "bedrock")
        if timeout is None:
            timeout = DEFAULT_TIMEOUT
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._timeout_ext = self.timeout.as_dict()
        self.retry = RetryPolicy(max_retries, retry_deadline)
        self._default_headers = {k.lower(): v for k, v in (default_headers or {}).items()}
        self.context_1m = context_1m
        self.endpoint = endpoint
        self._resolved: dict[tuple[str, str | None], ResolvedModel] = {}

    @property
    def max_retries(self) -> int:
        return self.retry.max_retries

    @property
    def retry_deadline(self) -> float:
        """Seconds after the start of a call past which no retry is started."""
        return self.retry.deadline

    # -- identity -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self.endpoints.runtime

    @property
    def api_key(self) -> str | None:
        return self._api_key

    def __repr__(self) -> str:
        auth = (
            f"api_key={mask(self._api_key)}"
            if self._api_key is not None
            else f"credentials={self._credentials!r}"
        )
        return (
            f"{type(self).__name__}(region={self.aws_region!r}, base_url={self.base_url!r}, {auth})"
        )

    # -- models -------------------------------------------------------------------------

    def resolve_model(
        self, model: str, endpoint: Literal["global", "regional"] | None = None
    ) -> ResolvedModel:
        """The catalogue's resolution, cached per client (it is on every call's path)."""
        endpoint = endpoint or self.endpoint
        key = (model, endpoint)
        resolved = self._resolved.get(key)
        if resolved is None:
            from .catalog import Catalog

            resolved = Catalog.default().resolve(model, self.aws_region, endpoint)
            self._resolved[key] = resolved
        return resolved

    # -- requests -----------------------------------------------------------------------

    def build_request(
        self,
        method: str,
        url: str,
        body: bytes | None,
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
        accept: str = _JSON,
    ) -> httpx.Request:
        """A signed request, ready to send. Called again for every retry (fresh timestamp)."""
        headers: dict[str, str] = {"content-type": _JSON, "accept": accept}
        if self._default_headers:
            headers.update(self._default_headers)
        if extra_headers:
            for k, v in extra_headers.items():
                headers[k.lower()] = v
        content = body if body is not None else b""
        if self._api_key is not None:
            auth = {"authorization": f"Bearer {self._api_key}"}
        else:
            assert self._credentials is not None
            auth = self._signer.sign(method, url, headers, content, self._credentials.get())
        headers.update(auth)
        headers["user-agent"] = USER_AGENT
        if timeout is None:
            ext = self._timeout_ext
        else:
            t = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
            ext = t.as_dict()
        return httpx.Request(
            method, url, headers=headers, content=content, extensions={"timeout": ext}
        )

    def url(self, service: Service, path: str) -> str:
        base = self.endpoints.runtime if service == "runtime" else self.endpoints.control
        return base + path

    def error_from_response(self, response: httpx.Response) -> APIStatusError:
        """Map a Bedrock error answer (JSON ``message`` + ``x-amzn-ErrorType``) to a class."""
        body: Any = None
        message = ""
        try:
            body = response.json()
        except Exception:
            text = response.text
            body = text
            message = text[:500]
        if isinstance(body, dict):
            message = str(body.get("message") or body.get("Message") or "")
        error_type = response.headers.get("x-amzn-errortype")
        if not error_type and isinstance(body, dict):
            error_type = body.get("__type")
        if not message:
            message = f"HTTP {response.status_code} from Bedrock"
        return status_error_for(
            response.status_code, message, error_type=error_type, response=response, body=body
        )


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
