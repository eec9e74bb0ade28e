"""How a client's requests reach the network: one interface, chosen once per client.

Every transport is an ``httpx.BaseTransport`` (sync client) or ``httpx.AsyncBaseTransport``
(async client): ``handle_request(request)`` returns the response with its body unread, and
``close()`` releases what it holds. The sender (:mod:`claude_bedrock._senders`) reads the
body, or leaves it to a stream, and never asks which transport it has. The choice, made at
construction by :func:`for_sync_client` / :func:`for_async_client`:

1. ``transport=`` given to the client: used as it is (:class:`MockTransport` for unit
   tests, or any ``httpx`` transport);
2. ``http_client=``: the user's ``httpx`` client, through :class:`HTTPXClientTransport`;
3. proxy variables set (``HTTPS_PROXY``, ``ALL_PROXY``...): an ``httpx`` client of ours,
   which honours them (and ``NO_PROXY``), with our TLS context;
4. otherwise our own keep-alive transports (:class:`FastHTTPTransport`,
   :class:`FastAsyncTransport`; their modules give the measured reasons).

TLS for 3 and 4 comes from one :class:`TLSTrust` per client (``verify=``,
``AWS_CA_BUNDLE``, the profile's ``ca_bundle``, ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``,
certifi).

Whatever the transport, an answer is read under the client's ``max_response_bytes`` and
in the encodings it asked for (:mod:`._body`), and every attempt under a deadline
(:mod:`._deadline`: our transports check it on each read, the drivers between the chunks
of any other; :mod:`._headwatch` cuts the wait for a head through a user's sync client).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

from ._httpx import AsyncHTTPXClientTransport, HTTPXClientTransport
from ._mock import MockTransport
from ._sync import FastHTTPTransport
from ._tls import TLSTrust, TrustError, Verify

if TYPE_CHECKING:
    from ._async import FastAsyncTransport

__all__ = [
    "AsyncHTTPXClientTransport",
    "FastAsyncTransport",
    "FastHTTPTransport",
    "HTTPXClientTransport",
    "MockTransport",
    "TLSTrust",
    "TrustError",
    "AnyHTTPClient",
    "AnyTransport",
    "Verify",
    "for_async_client",
    "for_sync_client",
]


def __getattr__(name: str) -> Any:
    """``FastAsyncTransport`` on first use: it imports asyncio, which sync programs skip."""
    if name == "FastAsyncTransport":
        from ._async import FastAsyncTransport

        return FastAsyncTransport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _env_proxies() -> bool:
    """Whether the environment names a proxy (then httpx, which honours it, sends)."""
    import urllib.request

    proxies = urllib.request.getproxies_environment()
    return any(proxies.get(scheme) for scheme in ("http", "https", "all"))


T = TypeVar("T")
TR = TypeVar("TR", httpx.BaseTransport, httpx.AsyncBaseTransport)
CL = TypeVar("CL", httpx.Client, httpx.AsyncClient)
#: What a client may be given (each client accepts its own kind, sync or async).
AnyHTTPClient = httpx.Client | httpx.AsyncClient | None
AnyTransport = httpx.BaseTransport | httpx.AsyncBaseTransport | None


@dataclass(frozen=True, slots=True)
class _Kind(Generic[TR, CL]):
    """The classes of one kind of client, sync or async."""

    transport: type[TR]
    client: type[CL]
    adapter: Callable[[CL, TLSTrust | None], TR]
    proxied: Callable[[httpx.Timeout, ssl.SSLContext], CL]
    fast: Callable[[TLSTrust], TR]


def _fast_async(trust: TLSTrust) -> httpx.AsyncBaseTransport:
    from ._async import FastAsyncTransport

    return FastAsyncTransport(trust=trust)


_SYNC = _Kind(
    httpx.BaseTransport,
    httpx.Client,
    HTTPXClientTransport,
    lambda timeout, context: httpx.Client(timeout=timeout, verify=context),
    lambda trust: FastHTTPTransport(trust=trust),
)
_ASYNC = _Kind(
    httpx.AsyncBaseTransport,
    httpx.AsyncClient,
    AsyncHTTPXClientTransport,
    lambda timeout, context: httpx.AsyncClient(timeout=timeout, verify=context),
    _fast_async,
)


def _of_kind(name: str, value: object, kind: type[T]) -> T | None:
    if value is not None and not isinstance(value, kind):
        raise TypeError(f"{name} must be an httpx.{kind.__name__}, got {type(value).__name__}")
    return value


def _choose(
    kind: _Kind[TR, CL],
    transport: AnyTransport,
    http_client: AnyHTTPClient,
    trust: TLSTrust,
    timeout: httpx.Timeout,
) -> tuple[TR, bool]:
    """``(transport, owned)``: what the client sends through (in the order of the module
    docstring), and whether closing the client closes it (not when it is the user's)."""
    given = _of_kind("transport", transport, kind.transport)
    if given is not None:
        return given, False
    user = _of_kind("http_client", http_client, kind.client)
    if user is not None:
        return kind.adapter(user, None), False
    if _env_proxies():
        return kind.adapter(kind.proxied(timeout, trust.context()), trust), True
    return kind.fast(trust), True


def for_sync_client(
    transport: AnyTransport, http_client: AnyHTTPClient, trust: TLSTrust, timeout: httpx.Timeout
) -> tuple[httpx.BaseTransport, bool]:
    """The sync client's transport, and whether it owns it."""
    return _choose(_SYNC, transport, http_client, trust, timeout)


def for_async_client(
    transport: AnyTransport, http_client: AnyHTTPClient, trust: TLSTrust, timeout: httpx.Timeout
) -> tuple[httpx.AsyncBaseTransport, bool]:
    """The async client's transport, and whether it owns it."""
    return _choose(_ASYNC, transport, http_client, trust, timeout)
