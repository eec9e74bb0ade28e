"""The request machinery shared by the sync and async clients: sign, send, retry, map errors.

Everything that does not wait on the network is a plain function or a method of
:class:`ClientCore`, written once; the sync and async clients differ only in the thin
``send`` loops at the bottom. The hot path (one ``messages.create``) does no work that
could be done once per client: endpoints, signers, the user agent and resolved model IDs
are computed at construction or cached on first use.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import httpx

from ._config import Endpoints, resolve_endpoints, resolve_region
from ._credentials import CredentialSource, mask
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    CredentialsError,
    status_error_for,
)
from ._version import __version__
from .signing import SigV4Signer

if TYPE_CHECKING:
    from .catalog import ResolvedModel

log = logging.getLogger("claude_bedrock")

DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
#: A ``Retry-After`` longer than this is not waited for: the error goes to the caller.
MAX_RETRY_AFTER = 60.0
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
USER_AGENT = f"claude-bedrock/{__version__} (python)"
_JSON = "application/json"

Service = Literal["runtime", "control"]


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
        self.max_retries = max_retries
        self._default_headers = {k.lower(): v for k, v in (default_headers or {}).items()}
        self.context_1m = context_1m
        self.endpoint = endpoint
        self._resolved: dict[tuple[str, str | None], ResolvedModel] = {}

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

    def should_retry(self, attempt: int, response: httpx.Response | None) -> bool:
        if attempt >= self.max_retries:
            return False
        return response is None or response.status_code in RETRYABLE_STATUS

    def retry_delay(self, attempt: int, response: httpx.Response | None) -> float:
        """Honour ``Retry-After`` when Bedrock sends it; else exponential back-off, full jitter."""
        if response is not None:
            after = _retry_after_seconds(response.headers)
            if after is not None and 0 <= after <= MAX_RETRY_AFTER:
                return after
        ceiling = min(MAX_RETRY_DELAY, INITIAL_RETRY_DELAY * (2**attempt))
        return random.uniform(0, ceiling)

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


def _retry_after_seconds(headers: httpx.Headers) -> float | None:
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        return max(0.0, parsed.timestamp() - time.time())


def connection_error(exc: Exception, request: httpx.Request | None) -> APIConnectionError:
    """httpx's timeouts become :class:`APITimeoutError`, everything else a connection error."""
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"Request timed out ({type(exc).__name__}).", request)
    return APIConnectionError(f"Connection error: {type(exc).__name__}: {exc}", request)


class SyncSender:
    """The blocking send-and-retry loop over an ``httpx.Client``."""

    def __init__(self, core: ClientCore, http_client: httpx.Client | None) -> None:
        from ._transport import FastHTTPTransport

        self._core = core
        self._owns_http = http_client is None
        self._http = http_client
        # Our own client sends straight through the transport (see _transport.py for the
        # measured reason); a user's httpx.Client is used as it is, proxies and all.
        self._transport = FastHTTPTransport() if http_client is None else None

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
        core = self._core
        attempt = 0
        while True:
            request = core.build_request(
                method, url, body, extra_headers=extra_headers, timeout=timeout, accept=accept
            )
            try:
                response = self._send_once(request, stream)
            except httpx.TransportError as exc:
                if core.should_retry(attempt, None):
                    time.sleep(core.retry_delay(attempt, None))
                    attempt += 1
                    continue
                raise connection_error(exc, request) from None
            if response.status_code < 400:
                return response
            if stream:
                response.read()
                response.close()
            if core.should_retry(attempt, response):
                delay = core.retry_delay(attempt, response)
                log.debug("retrying %s %s after %.2fs (HTTP %s)", method, url, delay,
                          response.status_code)  # fmt: skip
                time.sleep(delay)
                attempt += 1
                continue
            raise core.error_from_response(response)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class AsyncSender:
    """The asyncio send-and-retry loop over an ``httpx.AsyncClient``."""

    def __init__(self, core: ClientCore, http_client: httpx.AsyncClient | None) -> None:
        self._core = core
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            timeout=core.timeout,
            limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100),
        )

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
        import asyncio

        core = self._core
        attempt = 0
        while True:
            request = core.build_request(
                method, url, body, extra_headers=extra_headers, timeout=timeout, accept=accept
            )
            try:
                response = await self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                if core.should_retry(attempt, None):
                    await asyncio.sleep(core.retry_delay(attempt, None))
                    attempt += 1
                    continue
                raise connection_error(exc, request) from None
            if response.status_code < 400:
                return response
            if stream:
                await response.aread()
                await response.aclose()
            if core.should_retry(attempt, response):
                await asyncio.sleep(core.retry_delay(attempt, response))
                attempt += 1
                continue
            raise core.error_from_response(response)

    async def close(self) -> None:
        if self._owns_http:
            await self._http.aclose()
