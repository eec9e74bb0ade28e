"""What every request of a client needs before and after the network: configuration,
signing, request building and error mapping, written once for the sync and async clients.

:class:`RequestCore` holds a client's resolved configuration (region, endpoints,
credentials, timeouts, retry policy) and turns a call into a signed ``httpx.Request``, and
an error answer or a transport failure into our exceptions. It does no I/O: sending and
retrying are :mod:`._senders`' job, over the transports of :mod:`._transports`. The hot
path (one ``messages.create``) does no work that could be done once per client: endpoints,
signers, the user agent and resolved model IDs are computed at construction or cached on
first use.

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

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import httpx

from ._config import Endpoints, resolve_endpoints, resolve_region
from ._credentials import CredentialSource
from ._debug_log import mask, scrub, setup_from_env
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    CredentialsError,
    status_error_for,
)
from ._retry import DEFAULT_MAX_RETRIES, DEFAULT_RETRY_DEADLINE, RetryPolicy
from ._version import __version__
from .wire.messages_api import Surface
from .wire.signing import SigV4Signer

if TYPE_CHECKING:
    from .catalog import Catalog, ResolvedModel

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_RETRY_DEADLINE",
    "DEFAULT_TIMEOUT",
    "RequestCore",
    "connection_error",
]

setup_from_env()

DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=5.0)
USER_AGENT = f"claude-bedrock/{__version__} (python)"
_JSON = "application/json"

Service = Literal["runtime", "control"]


def connection_error(exc: Exception, request: httpx.Request | None) -> APIConnectionError:
    """httpx's timeouts become :class:`APITimeoutError`, everything else a connection error."""
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"Request timed out ({type(exc).__name__}).", request)
    return APIConnectionError(scrub(f"Connection error: {type(exc).__name__}: {exc}"), request)


class RequestCore:
    """One client's configuration, and the I/O-free steps of each of its requests."""

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
        self._resolved: dict[tuple[str, str | None, str], ResolvedModel] = {}
        self._catalog: Catalog | None = None

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

    @property
    def catalog(self) -> Catalog:
        """The catalogue this client resolves against: the default one, until
        ``client.models.refresh()`` puts the account's live lists over it."""
        if self._catalog is None:
            from .catalog import Catalog

            self._catalog = Catalog.default()
        return self._catalog

    @catalog.setter
    def catalog(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._resolved.clear()

    def resolve_model(
        self,
        model: str,
        endpoint: Literal["global", "regional"] | None = None,
        surface: Surface = "invoke",
    ) -> ResolvedModel:
        """The catalogue's resolution, cached per client (it is on every call's path)."""
        endpoint = endpoint or self.endpoint
        key = (model, endpoint, surface)
        resolved = self._resolved.get(key)
        if resolved is None:
            resolved = self.catalog.resolve(model, self.aws_region, endpoint, surface=surface)
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
