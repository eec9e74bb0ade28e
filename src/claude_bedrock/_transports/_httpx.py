"""A user's ``httpx.Client`` / ``httpx.AsyncClient`` seen as a transport.

Used for ``http_client=`` (the user's client, unchanged: its proxies, TLS, HTTP/2, event
hooks) and, with a client of ours, when proxy variables (``HTTPS_PROXY``...) are set,
because ``httpx`` honours them and our fast transports do not speak to proxies. Either way
the sender sees one interface (``handle_request`` returns an unread response) and the
retries, signing and error mapping stay ours.
"""

from __future__ import annotations

import httpx

from ._tls import certificate_failure, refused

__all__ = ["AsyncHTTPXClientTransport", "HTTPXClientTransport", "USERS_TLS"]

#: What a user's own ``http_client`` trusts, for the message of a refused certificate.
USERS_TLS = "the CAs of your http_client (its own verify= argument)"


def _refusal(exc: httpx.ConnectError, trusted: str) -> httpx.ConnectError | None:
    """A refused certificate told as such (httpx words it as a bare SSL error)."""
    failure = certificate_failure(exc)
    return None if failure is None else refused(failure, trusted)


class HTTPXClientTransport(httpx.BaseTransport):
    """Sends through an ``httpx.Client``; ``close`` closes that client."""

    def __init__(self, client: httpx.Client, trusted: str = USERS_TLS) -> None:
        self.client = client
        self._trusted = trusted

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return self.client.send(request, stream=True)
        except httpx.ConnectError as exc:
            error = _refusal(exc, self._trusted)
            if error is None:
                raise
            raise error from None

    def close(self) -> None:
        self.client.close()


class AsyncHTTPXClientTransport(httpx.AsyncBaseTransport):
    """Sends through an ``httpx.AsyncClient``; ``aclose`` closes that client."""

    def __init__(self, client: httpx.AsyncClient, trusted: str = USERS_TLS) -> None:
        self.client = client
        self._trusted = trusted

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self.client.send(request, stream=True)
        except httpx.ConnectError as exc:
            error = _refusal(exc, self._trusted)
            if error is None:
                raise
            raise error from None

    async def aclose(self) -> None:
        await self.client.aclose()
