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
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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


def for_sync_client(
    *,
    transport: httpx.BaseTransport | None,
    http_client: httpx.Client | None,
    trust: TLSTrust,
    timeout: httpx.Timeout,
) -> tuple[httpx.BaseTransport, bool]:
    """``(transport, owned)``: what the sync client sends through, and whether closing the
    client closes it (not when it is the user's)."""
    if transport is not None:
        return transport, False
    if http_client is not None:
        return HTTPXClientTransport(http_client), False
    if _env_proxies():
        proxied = httpx.Client(timeout=timeout, verify=trust.context())
        return HTTPXClientTransport(proxied, trust), True
    return FastHTTPTransport(trust=trust), True


def for_async_client(
    *,
    transport: httpx.AsyncBaseTransport | None,
    http_client: httpx.AsyncClient | None,
    trust: TLSTrust,
    timeout: httpx.Timeout,
) -> tuple[httpx.AsyncBaseTransport, bool]:
    """Async twin of :func:`for_sync_client`."""
    if transport is not None:
        return transport, False
    if http_client is not None:
        return AsyncHTTPXClientTransport(http_client), False
    if _env_proxies():
        proxied = httpx.AsyncClient(timeout=timeout, verify=trust.context())
        return AsyncHTTPXClientTransport(proxied, trust), True
    from ._async import FastAsyncTransport

    return FastAsyncTransport(trust=trust), True
