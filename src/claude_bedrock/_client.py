"""``AnthropicBedrock`` and ``AsyncAnthropicBedrock``: the two entry points.

The constructor takes exactly the Anthropic SDK Bedrock client's arguments, so switching is
one import; a few keyword arguments of our own follow them. Resources hang off the client
(``client.messages``, later ``client.models``...) and are created on first use, so a client
costs little to build.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    overload,
)  # fmt: skip

import httpx

from ._request_core import DEFAULT_MAX_RETRIES, RequestCore
from ._senders import AsyncSender, SyncSender
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
    from .resources.invocation_logging import AsyncInvocationLogging, InvocationLogging
    from .resources.messages import AsyncMessages, Messages
    from .resources.models import AsyncModels, Models

__all__ = ["AnthropicBedrock", "AsyncAnthropicBedrock", "ClientOptions", "ConnectionOptions"]

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
    #: Which CAs to trust: ``False``, a CA bundle file or directory, or an
    #: ``ssl.SSLContext``. Unset: ``AWS_CA_BUNDLE``, the AWS profile's ``ca_bundle``,
    #: ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``, then certifi's bundle.
    verify: Verify
    #: Send through this ``httpx`` transport instead of the network, e.g. a
    #: :class:`~claude_bedrock.MockTransport` in unit tests.
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport


class ClientOptions(ConnectionOptions, total=False):
    """Keyword-only options of ours, after the Anthropic SDK's arguments."""

    control_plane_url: str | None
    context_1m: bool
    endpoint: Literal["global", "regional"] | None
    #: Where ``messages`` calls go unless a call says (``api=``): ``"invoke"`` (InvokeModel,
    #: the default), ``"converse"``, or ``"messages"`` (the Messages API on bedrock-runtime).
    api: Api


def surface_of_api(api: str) -> Surface:
    surface = _SURFACE_OF_API.get(api)
    if surface is None:
        raise ValueError(
            f"api={api!r}: expected 'invoke' (InvokeModel), 'converse' (Converse) or "
            "'messages' (the Messages API on bedrock-runtime)"
        )
    return surface


class _ClientBase:
    _core: RequestCore

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
        http_client: httpx.Client | httpx.AsyncClient | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
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
        self._core = RequestCore(**core_arguments, **options)
        if (http_client is not None or transport is not None) and verify is not None:
            given = "http_client" if http_client is not None else "transport"
            raise ValueError(f"verify= sets our own connections' TLS: configure {given} instead")
        if http_client is not None and transport is not None:
            raise ValueError("pass http_client= or transport=, not both")
        self._init_sender(http_client, transport, self._trust(verify))

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

    @property
    def aws_region(self) -> str:
        return self._core.aws_region

    @property
    def base_url(self) -> str:
        return self._core.endpoints.runtime

    @property
    def control_plane_url(self) -> str:
        return self._core.endpoints.control

    @property
    def max_retries(self) -> int:
        return self._core.max_retries

    @property
    def timeout(self) -> httpx.Timeout:
        return self._core.timeout

    @property
    def retry_deadline(self) -> float:
        return self._core.retry_deadline

    def __repr__(self) -> str:
        return repr(self._core).replace("RequestCore", type(self).__name__, 1)


R = TypeVar("R")


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


class SyncClient(_ClientBase):
    """What every blocking client adds: the blocking sender, ``close`` and ``with``."""

    _sender: SyncSender

    def _init_sender(
        self, http_client: AnyHTTPClient, transport: AnyTransport, trust: TLSTrust
    ) -> None:
        chosen = for_sync_client(transport, http_client, trust, self._core.timeout)
        self._sender = SyncSender(self._core, *chosen)

    def close(self) -> None:
        """Close the connection pool (only if this client created it)."""
        self._sender.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient(_ClientBase):
    """What every asyncio client adds: the awaiting sender, ``close`` and ``async with``."""

    _sender: AsyncSender

    def _init_sender(
        self, http_client: AnyHTTPClient, transport: AnyTransport, trust: TLSTrust
    ) -> None:
        chosen = for_async_client(transport, http_client, trust, self._core.timeout)
        self._sender = AsyncSender(self._core, *chosen)

    async def close(self) -> None:
        """Close the connection pool (only if this client created it)."""
        await self._sender.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class AnthropicBedrock(SyncClient):
    """Synchronous client for Claude on Amazon Bedrock (drop-in for the Anthropic SDK's)."""

    messages: _Resource[Messages] = _Resource(".resources.messages", "Messages")
    models: _Resource[Models] = _Resource(".resources.models", "Models", _MODELS_DOC)
    converse: _Resource[Converse] = _Resource(".converse", "Converse", _CONVERSE_DOC)
    invocation_logging: _Resource[InvocationLogging] = _Resource(
        ".resources.invocation_logging", "InvocationLogging", _LOGGING_DOC
    )


class AsyncAnthropicBedrock(AsyncClient):
    """asyncio client for Claude on Amazon Bedrock (drop-in for the Anthropic SDK's)."""

    messages: _Resource[AsyncMessages] = _Resource(".resources.messages", "AsyncMessages")
    models: _Resource[AsyncModels] = _Resource(".resources.models", "AsyncModels", _MODELS_DOC)
    converse: _Resource[AsyncConverse] = _Resource(".converse", "AsyncConverse", _CONVERSE_DOC)
    invocation_logging: _Resource[AsyncInvocationLogging] = _Resource(
        ".resources.invocation_logging", "AsyncInvocationLogging", _LOGGING_DOC
    )
