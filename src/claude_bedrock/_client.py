"""``AnthropicBedrock`` and ``AsyncAnthropicBedrock``: the two entry points.

The constructor takes exactly the Anthropic SDK Bedrock client's arguments, so switching is
one import; a few keyword arguments of our own follow them. Resources hang off the client
(``client.messages``, later ``client.models``...) and are created on first use, so a client
costs little to build.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import import_module
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    Literal,
    Self,
    TypedDict,
    TypeVar,
    Unpack,
    cast,
    overload,
)  # fmt: skip

import httpx

from ._request_core import (
    DEFAULT_MAX_RETRIES,
    RequestCore,
    RequestOptions,
    cast_response,
)
from ._sdk_surface import NOT_GIVEN, NotGivenType, SDKAttributes, copy_client
from ._senders import AsyncSender, SyncSender
from ._throughput import AsyncGate, SyncGate, ThroughputCore
from ._transports import (
    AnyHTTPClient,
    AnyTransport,
    TLSTrust,
    Verify,
    for_async_client,
    for_sync_client,
)
from .wire.messages_api import Surface

if TYPE_CHECKING:
    from .converse import AsyncConverse, Converse
    from .resources.beta import AsyncBeta, Beta
    from .resources.invocation_logging import AsyncInvocationLogging, InvocationLogging
    from .resources.messages import AsyncMessages, Messages
    from .resources.models import AsyncModels, Models

__all__ = [
    "AnthropicBedrock",
    "AsyncAnthropicBedrock",
    "ClientOptions",
    "ConnectionOptions",
    "RequestOptions",
]

Api = Literal["invoke", "converse", "messages"]
#: ``api=`` -> the surface a client's calls take by default.
_SURFACE_OF_API: dict[str, Surface] = {
    "invoke": "invoke",
    "converse": "converse",
    "messages": "runtime-messages",
}


class ConnectionOptions(TypedDict, total=False):
    """Keyword-only options of ours that every client class takes."""

    #: No retry starts after this many seconds from the call's start (default 60).
    retry_deadline: float
    #: The most a non-streamed answer may hold, in bytes (default 64 MiB); a larger one
    #: raises :class:`~claude_bedrock.ResponseTooLargeError` instead of filling memory.
    max_response_bytes: int
    #: Which CAs to trust: ``False``, a CA bundle file or directory, or an
    #: ``ssl.SSLContext``. Unset: ``AWS_CA_BUNDLE``, the AWS profile's ``ca_bundle``,
    #: ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``, then certifi's bundle.
    verify: Verify
    #: Send through this ``httpx`` transport instead of the network, e.g. a
    #: :class:`~claude_bedrock.MockTransport` in unit tests.
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport
    #: ``"adaptive"``: learn each model's quota (calls and tokens in flight, AIMD) and absorb
    #: throttling up to ``retry_deadline`` instead of raising it (see ``_throughput``).
    #: Shared by every call of the client and its copies, across threads or tasks.
    throughput: Literal["adaptive"] | None
    #: Models or profiles to try, in order, after a capacity or throttling error (a call's
    #: own ``fallbacks=`` replaces them); see ``resources._fallbacks``.
    fallbacks: Sequence[str]


class ClientOptions(ConnectionOptions, total=False):
    """Keyword-only options of ours, after the Anthropic SDK's arguments."""

    control_plane_url: str | None
    context_1m: bool
    endpoint: Literal["global", "regional"] | None
    #: Where ``messages`` calls go unless a call says (``api=``): ``"invoke"`` (InvokeModel,
    #: the default), ``"converse"``, or ``"messages"`` (the Messages API on bedrock-runtime).
    api: Api


def _throughput_option(value: object) -> ThroughputCore | None:
    if value is None:
        return None
    if value == "adaptive":
        return ThroughputCore()
    raise ValueError(f"throughput={value!r}: expected 'adaptive' or None (fixed concurrency)")


def _fallbacks_option(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"fallbacks= takes a list of model IDs or profiles, not {value!r}")
    if not all(isinstance(item, str) and item for item in value):
        raise TypeError(f"fallbacks= takes a list of model IDs or profiles, not {value!r}")
    return tuple(value)


def surface_of_api(api: str) -> Surface:
    surface = _SURFACE_OF_API.get(api)
    if surface is None:
        raise ValueError(
            f"api={api!r}: expected 'invoke' (InvokeModel), 'converse' (Converse) or "
            "'messages' (the Messages API on bedrock-runtime)"
        )
    return surface


class _ClientBase(SDKAttributes):
    _core: RequestCore
    #: A copy's original, whose connection pool the copy sends through (None: its own).
    _pool_owner: _ClientBase | None = None
    _closed = False
    #: The client's ``fallbacks=`` (see ``resources._fallbacks``).
    _fallbacks: tuple[str, ...] = ()

    def __init__(
        self,
        aws_secret_key: str | None = None,
        aws_access_key: str | None = None,
        aws_region: str | None = None,
        aws_profile: str | None = None,
        aws_session_token: str | None = None,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        open_telemetry: Any = None,
        http_client: httpx.Client | httpx.AsyncClient | None = None,
        middleware: Sequence[Any] | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        self._args = {
            "aws_secret_key": aws_secret_key, "aws_access_key": aws_access_key,
            "aws_region": aws_region, "aws_profile": aws_profile,
            "aws_session_token": aws_session_token, "api_key": api_key, "base_url": base_url,
            "timeout": timeout, "max_retries": max_retries, "default_headers": default_headers,
            "default_query": default_query, "open_telemetry": open_telemetry,
            "http_client": http_client, "middleware": middleware, **options,
        }  # fmt: skip
        self._open_telemetry = open_telemetry
        self._middleware: tuple[Any, ...] = tuple(middleware or ())
        core_options: dict[str, Any] = dict(options)
        core_options["surface"] = surface_of_api(core_options.pop("api", "invoke"))
        self._start(
            http_client,
            core_options,
            aws_secret_key=aws_secret_key,
            aws_access_key=aws_access_key,
            aws_region=aws_region,
            aws_profile=aws_profile,
            aws_session_token=aws_session_token,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            default_query=default_query,
        )

    def _start(
        self,
        http_client: httpx.Client | httpx.AsyncClient | None,
        options: dict[str, Any],
        **core_arguments: Any,
    ) -> None:
        """Build the request core and the sender (every client class, once)."""
        verify: Verify | None = options.pop("verify", None)
        transport = options.pop("transport", None)
        self._fallbacks = _fallbacks_option(options.pop("fallbacks", None))
        throughput = _throughput_option(options.pop("throughput", None))
        self._core = RequestCore(**core_arguments, **options)
        self._core.retry.absorb = throughput is not None
        if self._pool_owner is not None:  # a copy (see copy()): the owner's pool, not owned
            self._share_sender(self._pool_owner)
            self._share_gate(self._pool_owner, throughput)
            return
        if (http_client is not None or transport is not None) and verify is not None:
            given = "http_client" if http_client is not None else "transport"
            raise ValueError(f"verify= sets our own connections' TLS: configure {given} instead")
        if http_client is not None and transport is not None:
            raise ValueError("pass http_client= or transport=, not both")
        self._init_sender(http_client, transport, self._trust(verify))
        self._share_gate(None, throughput)

    def _share_sender(self, owner: _ClientBase) -> None:
        raise NotImplementedError

    def _share_gate(self, owner: _ClientBase | None, throughput: ThroughputCore | None) -> None:
        """The limiter's gate: the pool owner's when the copy keeps adaptive throughput (one
        set of windows per pool: the quota is the account's), else a new one or none."""
        sender: Any = self._sender  # type: ignore[attr-defined]
        if throughput is None:
            sender.gate = None
            return
        owned = getattr(getattr(owner, "_sender", None), "gate", None)
        if owned is not None:
            sender.gate = owned
        else:
            sender.gate = (SyncGate if isinstance(self, SyncClient) else AsyncGate)(throughput)

    def _trust(self, verify: Verify | None) -> TLSTrust:
        """The client's CAs; the AWS profile's ``ca_bundle`` is read only if needed."""
        from ._config import profile_ca_bundle

        profile = self._core.aws_profile
        return TLSTrust(verify, lambda: profile_ca_bundle(profile))

    def _init_sender(
        self, http_client: AnyHTTPClient, transport: AnyTransport, trust: TLSTrust
    ) -> None:
        """Choose the transport (:mod:`._transports`) once, and the sender over it."""
        raise NotImplementedError

    # -- copies -------------------------------------------------------------------------

    def copy(
        self,
        *,
        aws_secret_key: str | None = None,
        aws_access_key: str | None = None,
        aws_region: str | None = None,
        aws_profile: str | None = None,
        aws_session_token: str | None = None,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout | None | NotGivenType = NOT_GIVEN,
        http_client: httpx.Client | httpx.AsyncClient | None = None,
        max_retries: int | NotGivenType = NOT_GIVEN,
        open_telemetry: Any = None,
        default_headers: Mapping[str, str] | None = None,
        set_default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        set_default_query: Mapping[str, object] | None = None,
        middleware: Sequence[Any] | None | NotGivenType = NOT_GIVEN,
        **options: Unpack[ClientOptions],
    ) -> Self:
        """A new client of the same class with this one's arguments, those given replacing
        them (the official SDK's ``copy``). See :mod:`._sdk_surface`."""
        return copy_client(self, locals(), options)

    #: ``client.with_options(timeout=5).messages.create(...)``: the SDK's alias of ``copy``.
    with_options = copy

    @property
    def middleware(self) -> tuple[Any, ...]:
        """The client's middleware, outermost first (the SDK's). For a few calls with more,
        ``client.with_options(middleware=[*client.middleware, extra])``."""
        return self._middleware

    def with_middleware(self, *middleware: Any) -> Self:
        """A copy with ``middleware`` run after this client's own (the SDK's helper)."""
        return self.copy(middleware=[*self._middleware, *middleware])

    def __repr__(self) -> str:
        return repr(self._core).replace("RequestCore", type(self).__name__, 1)


R = TypeVar("R")
T = TypeVar("T")


class _Resource(Generic[R]):
    """A resource attribute (``client.messages``...): its module is imported and the
    resource built on first access, then kept in the instance (like ``cached_property``,
    one declaration per resource instead of a method per resource and client class)."""

    def __init__(self, module: str, name: str, doc: str | None = None) -> None:
        self._module = module
        self._name = name
        self._attr = name
        self.__doc__ = doc

    def __set_name__(self, owner: type, attr: str) -> None:
        self._attr = attr

    @overload
    def __get__(self, client: None, owner: type) -> _Resource[R]: ...
    @overload
    def __get__(self, client: _ClientBase, owner: type) -> R: ...
    def __get__(self, client: _ClientBase | None, owner: type) -> _Resource[R] | R:
        if client is None:
            return self
        resource: R = getattr(import_module(self._module, __package__), self._name)(client)
        client.__dict__[self._attr] = resource
        return resource


_MODELS_DOC = "The model catalogue merged with Bedrock's control plane (list, retrieve, resolve)."
_CONVERSE_DOC = "Bedrock's Converse API (``converse`` / ``converse-stream``), typed."
_LOGGING_DOC = "Bedrock's model invocation logging configuration (control plane)."
_BETA_DOC = "The SDK's ``client.beta``: ``beta.messages`` (``betas=``, the tool runner)."


class SyncClient(_ClientBase):
    """What every blocking client adds: the blocking sender, ``close``, ``with``, and the
    low-level ``get`` / ``post``."""

    _sender: SyncSender

    def _init_sender(
        self, http_client: AnyHTTPClient, transport: AnyTransport, trust: TLSTrust
    ) -> None:
        chosen = for_sync_client(transport, http_client, trust, self._core.timeout)
        self._sender = _sync_sender(self, *chosen)

    def _share_sender(self, owner: _ClientBase) -> None:
        assert isinstance(owner, SyncClient)
        self._sender = _sync_sender(self, owner._sender._transport, False)

    def get(self, path: str, *, cast_to: type[T], options: RequestOptions | None = None) -> T:
        """``GET`` a path no resource covers, signed like every request: a relative
        ``path`` is joined to ``base_url``. Returns ``cast_to`` built from the answer
        (``object`` or ``dict``: the parsed JSON; see :func:`._request_core.cast_response`);
        an error answer raises as any call does."""
        return self._request("GET", path, None, cast_to, options or {})

    def post(
        self,
        path: str,
        *,
        cast_to: type[T],
        body: object = None,
        options: RequestOptions | None = None,
    ) -> T:
        """``POST`` ``body`` (sent as JSON) to a path no resource covers; as :meth:`get`."""
        return self._request("POST", path, body, cast_to, options or {})

    def _request(
        self, method: str, path: str, body: object, cast_to: type[T], options: RequestOptions
    ) -> T:
        if "max_retries" in options:
            client = self.with_options(max_retries=options["max_retries"])
            return client._request(method, path, body, cast_to, _without_retries(options))
        url, content, headers, timeout = self._core.low_level(path, body, options)
        response = self._sender.send(method, url, content, extra_headers=headers, timeout=timeout)
        return cast_response(response, cast_to)

    def is_closed(self) -> bool:
        """Whether ``close()`` was called (on this client, or on the one whose pool it shares)."""
        return _is_closed(self)

    def close(self) -> None:
        """Close the connection pool (only if this client created it: not a copy's shared
        pool, nor the user's ``http_client``)."""
        self._closed = True
        self._sender.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient(_ClientBase):
    """What every asyncio client adds: the awaiting sender, ``close``, ``async with``, and
    the low-level ``get`` / ``post``."""

    _sender: AsyncSender

    def _init_sender(
        self, http_client: AnyHTTPClient, transport: AnyTransport, trust: TLSTrust
    ) -> None:
        chosen = for_async_client(transport, http_client, trust, self._core.timeout)
        self._sender = _async_sender(self, *chosen)

    def _share_sender(self, owner: _ClientBase) -> None:
        assert isinstance(owner, AsyncClient)
        self._sender = _async_sender(self, owner._sender._transport, False)

    async def get(self, path: str, *, cast_to: type[T], options: RequestOptions | None = None) -> T:
        """Async twin of :meth:`SyncClient.get`."""
        return await self._request("GET", path, None, cast_to, options or {})

    async def post(
        self,
        path: str,
        *,
        cast_to: type[T],
        body: object = None,
        options: RequestOptions | None = None,
    ) -> T:
        """Async twin of :meth:`SyncClient.post`."""
        return await self._request("POST", path, body, cast_to, options or {})

    async def _request(
        self, method: str, path: str, body: object, cast_to: type[T], options: RequestOptions
    ) -> T:
        if "max_retries" in options:
            client = self.with_options(max_retries=options["max_retries"])
            return await client._request(method, path, body, cast_to, _without_retries(options))
        url, content, headers, timeout = self._core.low_level(path, body, options)
        response = await self._sender.send(
            method, url, content, extra_headers=headers, timeout=timeout
        )
        return cast_response(response, cast_to)

    def is_closed(self) -> bool:
        """Whether ``close()`` was called (on this client, or on the one whose pool it shares)."""
        return _is_closed(self)

    async def close(self) -> None:
        """Close the connection pool (only if this client created it: not a copy's shared
        pool, nor the user's ``http_client``)."""
        self._closed = True
        await self._sender.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _sync_sender(client: _ClientBase, transport: httpx.BaseTransport, owned: bool) -> SyncSender:
    """The plain sender, or (with ``middleware=``, checked here as the SDK checks it) the
    hooked one that runs the chain around each attempt (:mod:`.resources._hooked`)."""
    if not client._middleware:
        return SyncSender(client._core, transport, owned)
    from ._middleware import validate_sync_middleware
    from .resources._hooked import HookedSyncSender

    validate_sync_middleware(client._middleware)
    return HookedSyncSender(client._core, transport, owned, client._middleware)


def _async_sender(
    client: _ClientBase, transport: httpx.AsyncBaseTransport, owned: bool
) -> AsyncSender:
    """Async :func:`_sync_sender`."""
    if not client._middleware:
        return AsyncSender(client._core, transport, owned)
    from ._middleware import validate_async_middleware
    from .resources._hooked import HookedAsyncSender

    validate_async_middleware(client._middleware)
    return HookedAsyncSender(client._core, transport, owned, client._middleware)


def _without_retries(options: RequestOptions) -> RequestOptions:
    rest = dict(options)
    del rest["max_retries"]
    return cast(RequestOptions, rest)


def _is_closed(client: _ClientBase) -> bool:
    if client._closed:
        return True
    if client._pool_owner is not None:
        return _is_closed(client._pool_owner)
    http_client = client._args.get("http_client")
    return http_client is not None and bool(http_client.is_closed)


class AnthropicBedrock(SyncClient):
    """Synchronous client for Claude on Amazon Bedrock (drop-in for the Anthropic SDK's)."""

    messages: _Resource[Messages] = _Resource(".resources.messages", "Messages")
    beta: _Resource[Beta] = _Resource(".resources.beta", "Beta", _BETA_DOC)
    models: _Resource[Models] = _Resource(".resources.models", "Models", _MODELS_DOC)
    converse: _Resource[Converse] = _Resource(".converse", "Converse", _CONVERSE_DOC)
    invocation_logging: _Resource[InvocationLogging] = _Resource(
        ".resources.invocation_logging", "InvocationLogging", _LOGGING_DOC
    )


class AsyncAnthropicBedrock(AsyncClient):
    """asyncio client for Claude on Amazon Bedrock (drop-in for the Anthropic SDK's)."""

    messages: _Resource[AsyncMessages] = _Resource(".resources.messages", "AsyncMessages")
    beta: _Resource[AsyncBeta] = _Resource(".resources.beta", "AsyncBeta", _BETA_DOC)
    models: _Resource[AsyncModels] = _Resource(".resources.models", "AsyncModels", _MODELS_DOC)
    converse: _Resource[AsyncConverse] = _Resource(".converse", "AsyncConverse", _CONVERSE_DOC)
    invocation_logging: _Resource[AsyncInvocationLogging] = _Resource(
        ".resources.invocation_logging", "AsyncInvocationLogging", _LOGGING_DOC
    )
