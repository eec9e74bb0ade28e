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
* ``write``: sending the request; ``pool``: waiting for a free connection (async client);
* the attempt as a whole (:mod:`._transports._deadline`): a non-streamed answer must be
  complete, and a stream must deliver its first real event, within the attempt's timeout
  (the largest of the four: ``timeout=3`` is 3 s in all, however the bytes trickle in);
  after that a stream may go at most ``read`` seconds between real events (``ping``
  events and frames of unknown types are not progress).

The official SDK (httpx) applies ``read`` per read only, so a server trickling a byte per
second never times out there; this client adds the attempt deadline above.

Surfaces: a client's requests go to one of Bedrock's hosts, each with its SigV4 signing
name: ``bedrock-runtime`` (InvokeModel, Converse, CountTokens, and the Messages API at
``/anthropic/v1/messages``; signing name ``bedrock``), the control plane (``bedrock``) and
``bedrock-mantle`` (the Messages API; ``bedrock-mantle``). :meth:`RequestCore.route` says
where a Messages API surface is reached (URLs, signing name, ``anthropic-version``);
``build_request(signing=...)`` signs for a host other than the client's own.

The total: retries stop ``retry_deadline`` seconds (default 60) after the call began, so a
non-streamed call ends at the latest ``retry_deadline`` plus one attempt's timeout after it
started, and a stream delivers its first event by then or fails; once events flow, a stream
lasts as long as the model writes, with at most ``read`` seconds between events (see
:mod:`._retry` for what is retried).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypedDict, TypeVar, cast
from urllib.parse import quote, urlencode

import httpx

from ._config import (
    DEFAULT_REGION,
    Endpoints,
    resolve_endpoints,
    resolve_mantle_base,
    resolve_mantle_region,
    resolve_region,
)
from ._credentials import resolve_auth
from ._debug_log import mask, scrub, setup_from_env
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    status_error_for,
)
from ._retry import DEFAULT_MAX_RETRIES, DEFAULT_RETRY_DEADLINE, RetryPolicy
from ._secrets import redact, redact_body, remember, signature_of
from ._transports._body import max_response_bytes as _checked_cap
from ._transports._deadline import DEADLINE, Deadline, attempt_timeout
from ._version import __version__
from .wire.messages_api import (
    ANTHROPIC_VERSION,
    BASE_PATH,
    COUNT_TOKENS_PATH,
    MANTLE_SIGNING_NAME,
    MESSAGES_PATH,
    RUNTIME_SIGNING_NAME,
    Surface,
    read_error_envelope,
)
from .wire.signing import SigV4Signer

if TYPE_CHECKING:
    from .catalog import Catalog, ResolvedModel

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_RETRY_DEADLINE",
    "DEFAULT_TIMEOUT",
    "RequestCore",
    "RequestOptions",
    "Route",
    "connection_error",
]

setup_from_env()

DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=5.0)
USER_AGENT = f"claude-bedrock/{__version__} (python)"
_JSON = "application/json"

Service = Literal["runtime", "control", "mantle"]
MessagesSurface = Literal["runtime-messages", "mantle"]
#: The Anthropic API's own paths, after a Messages surface's ``.../anthropic`` base.
_MESSAGES = MESSAGES_PATH.removeprefix(BASE_PATH)
_COUNT_TOKENS = COUNT_TOKENS_PATH.removeprefix(BASE_PATH)


T = TypeVar("T")


class RequestOptions(TypedDict, total=False):
    """``options=`` of the low-level ``client.get`` / ``client.post`` (the SDK's names)."""

    headers: Mapping[str, str]
    params: Mapping[str, object]
    timeout: float | httpx.Timeout
    max_retries: int
    #: Keys merged over ``body`` (``post``).
    extra_json: Mapping[str, object]


def with_query(url: str, query: Mapping[str, object]) -> str:
    """``url`` with ``query`` appended, encoded as SigV4 signs it (``%20``, not ``+``)."""
    pairs = [
        (name, item)
        for name, value in query.items()
        for item in (value if isinstance(value, list | tuple) else [value])
    ]
    encoded = urlencode(pairs, quote_via=quote, safe="-_.~")
    return f"{url}{'&' if '?' in url else '?'}{encoded}" if encoded else url


def cast_response(response: httpx.Response, cast_to: type[T]) -> T:
    """What ``client.get`` / ``client.post`` return: the ``httpx.Response`` itself, its text
    or bytes, the parsed JSON (``object``, ``dict``...), or ``cast_to`` built from the JSON
    (``model_validate`` for pydantic models, else ``cast_to(json)``)."""
    if cast_to is httpx.Response:
        return cast(T, response)
    if cast_to is str:
        return cast(T, response.text)
    if cast_to is bytes:
        return cast(T, response.content)
    from ._body import json_body, validated  # a 200 that is not JSON: our error, not json's

    data = json_body(response, "Bedrock")
    if cast_to in (object, dict, list, type(None)) or data is None:
        return cast(T, data)
    if hasattr(cast_to, "model_validate"):
        return cast(T, validated(cast(Any, cast_to), response, "Bedrock", data))
    return cast(T, cast(Any, cast_to)(data))


class Route(NamedTuple):
    """Where one Messages API surface is reached from a client, computed once per client."""

    messages_url: str
    count_tokens_url: str
    #: SigV4 signing name of the host (``bedrock`` on bedrock-runtime).
    signing: str
    #: The ``anthropic-version`` header the surface's documentation asks for.
    version: str


def connection_error(exc: Exception, request: httpx.Request | None) -> APIConnectionError:
    """httpx's timeouts become :class:`APITimeoutError`, everything else a connection error."""
    if isinstance(exc, httpx.TimeoutException):
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return APITimeoutError(f"Request timed out ({detail}).", request)
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
        default_query: Mapping[str, object] | None = None,
        control_plane_url: str | None = None,
        context_1m: bool = False,
        endpoint: Literal["global", "regional"] | None = None,
        retry_deadline: float | None = None,
        surface: Surface = "invoke",
        skip_auth: bool = False,
        max_response_bytes: int | None = None,
    ) -> None:
        mantle = surface == "mantle"
        self._api_key, self._credentials = resolve_auth(
            api_key=api_key, access_key=aws_access_key, secret_key=aws_secret_key,
            session_token=aws_session_token, profile=aws_profile, mantle=mantle,
            skip_auth=skip_auth,
        )  # fmt: skip
        #: The surface calls take unless they say otherwise (``api=`` on a call).
        self.surface: Surface = surface
        self.aws_profile = aws_profile
        url = str(base_url) if base_url is not None else None
        if mantle:
            region = resolve_mantle_region(aws_region, aws_profile)
            base = resolve_mantle_base(region, url)
            self.aws_region = region or DEFAULT_REGION  # signs for a gateway named by base_url
            self.endpoints: Endpoints = Endpoints(runtime=base, control=base, mantle=base)
        else:
            self.aws_region = resolve_region(aws_region, aws_profile)
            self.endpoints = resolve_endpoints(self.aws_region, url, control_plane_url)
        self._signer = SigV4Signer(
            self.aws_region, MANTLE_SIGNING_NAME if mantle else RUNTIME_SIGNING_NAME
        )
        self._signers = {self._signer.service: self._signer}
        self._routes: dict[str, Route] = {}
        if timeout is None:
            timeout = DEFAULT_TIMEOUT
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._timeout_ext = self.timeout.as_dict()
        self._attempt_timeout = attempt_timeout(self._timeout_ext)
        #: The most a non-streamed answer may hold (``max_response_bytes=``).
        self.max_response_bytes = _checked_cap(max_response_bytes)
        remember(self._api_key)
        self._remembered: str | None = None
        self.retry = RetryPolicy(max_retries, retry_deadline)
        self._default_headers = {k.lower(): v for k, v in (default_headers or {}).items()}
        self._default_query = dict(default_query or {})
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
        return self.endpoints.mantle if self.surface == "mantle" else self.endpoints.runtime

    @property
    def api_key(self) -> str | None:
        return self._api_key

    @property
    def signing_name(self) -> str:
        """The SigV4 signing name of the client's own host."""
        return self._signer.service

    def __repr__(self) -> str:
        if self._api_key is not None:
            auth = f"api_key={mask(self._api_key)}"
        elif self._credentials is not None:
            auth = f"credentials={self._credentials!r}"
        else:
            auth = "skip_auth=True"
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
        signing: str | None = None,
    ) -> httpx.Request:
        """A signed request, ready to send. Called again for every retry (fresh timestamp).

        ``signing``: the SigV4 signing name, when the host is not the client's own (token
        counting on bedrock-mantle from ``AnthropicBedrock``); ignored with an API key.
        """
        if self._default_query:
            url = with_query(url, self._default_query)
        headers: dict[str, str] = {"content-type": _JSON, "accept": accept}
        if self._default_headers:
            headers.update(self._default_headers)
        if extra_headers:
            for k, v in extra_headers.items():
                headers[k.lower()] = v
        content = body if body is not None else b""
        if self._api_key is not None:
            headers["authorization"] = f"Bearer {self._api_key}"
        elif self._credentials is not None:
            signer = self._signer if signing is None else self._signer_for(signing)
            credentials = self._credentials.get()
            if credentials.secret_key is not self._remembered:  # new (refreshed) credentials
                remember(credentials.secret_key, credentials.session_token)
                self._remembered = credentials.secret_key
            headers.update(signer.sign(method, url, headers, content, credentials))
        headers["user-agent"] = USER_AGENT
        # What the answer may be encoded with (unsigned, as http.client adds it): anything
        # else is refused unread (``_transports._body``).
        headers.setdefault("accept-encoding", "identity")
        if timeout is None:
            ext, total = self._timeout_ext, self._attempt_timeout
        else:
            t = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
            ext = t.as_dict()
            total = attempt_timeout(ext)
        deadline = Deadline(total, ext.get("read"))
        return httpx.Request(
            method, url, headers=headers, content=content,
            extensions={"timeout": ext, DEADLINE: deadline},
        )  # fmt: skip

    def low_level(
        self, path: str, body: object, options: RequestOptions
    ) -> tuple[str, bytes | None, Mapping[str, str] | None, float | httpx.Timeout | None]:
        """``(url, body, headers, timeout)`` of a ``client.get`` / ``client.post``: a relative
        ``path`` is joined to ``base_url`` (as the SDK joins it), an absolute URL kept."""
        if path.startswith(("http://", "https://")):
            url = path
        else:
            url = self.base_url.rstrip("/") + "/" + path.lstrip("/")
        if options.get("params"):
            url = with_query(url, options["params"])
        extra = options.get("extra_json")
        if extra:
            body = {**cast(Mapping[str, object], body or {}), **extra}
        content = None if body is None else json.dumps(body).encode()
        return url, content, options.get("headers"), options.get("timeout")

    def _signer_for(self, signing: str) -> SigV4Signer:
        signer = self._signers.get(signing)
        if signer is None:
            signer = self._signers[signing] = SigV4Signer(self.aws_region, signing)
        return signer

    def url(self, service: Service, path: str) -> str:
        if service == "runtime":
            return self.endpoints.runtime + path
        if service == "control":
            return self.endpoints.control + path
        return self.endpoints.mantle + path

    def route(self, surface: MessagesSurface) -> Route:
        """Where a Messages API surface is reached: ``mantle`` (bedrock-mantle, signing name
        ``bedrock-mantle``) or ``runtime-messages`` (bedrock-runtime's ``/anthropic`` path,
        signing name ``bedrock``). Both ask for ``anthropic-version: 2023-06-01``."""
        route = self._routes.get(surface)
        if route is None:
            if surface == "mantle":
                base, signing = self.endpoints.mantle, MANTLE_SIGNING_NAME
            else:
                base, signing = self.endpoints.runtime + BASE_PATH, RUNTIME_SIGNING_NAME
            route = Route(base + _MESSAGES, base + _COUNT_TOKENS, signing, ANTHROPIC_VERSION)
            self._routes[surface] = route
        return route

    def error_from_response(self, response: httpx.Response) -> APIStatusError:
        """Map an error answer to a class: Bedrock's (JSON ``message`` + ``x-amzn-ErrorType``)
        or the Messages API's (Anthropic's ``{"type": "error", "error": {"type", "message"}}``).

        With Anthropic's envelope, ``error_type`` is the Anthropic name as sent
        (``overloaded_error``) and the class follows the status (a Bedrock error type
        header, when one comes too, picks the more specific class).
        """
        body: Any = None
        message = ""
        try:
            body = response.json()
        except Exception:
            text = response.text
            body = text
            message = text[:500]
        envelope = read_error_envelope(body)
        if isinstance(body, dict):
            message = str(body.get("message") or body.get("Message") or "")
        if envelope is not None:
            message = envelope[1] or envelope[0]
        error_type = response.headers.get("x-amzn-errortype")
        if not error_type and isinstance(body, dict):
            error_type = body.get("__type")
        if not message:
            message = f"HTTP {response.status_code} from Bedrock"
        signature = signature_of(response.request)  # the rest is redacted by APIError
        error = status_error_for(
            response.status_code, redact(message, *signature), error_type=error_type,
            response=response, body=redact_body(body, *signature),
        )  # fmt: skip
        if envelope is not None:
            error.error_type = envelope[0]
            if error.request_id is None:
                error.request_id = response.headers.get("request-id")
        return error
