"""A user's ``httpx.Client`` / ``httpx.AsyncClient`` seen as a transport.

Used for ``http_client=`` (the user's client, unchanged: its proxies, TLS, HTTP/2, event
hooks) and, with a client of ours, when proxy variables (``HTTPS_PROXY``...) are set,
because ``httpx`` honours them and our fast transports do not speak to proxies. Either way
the sender sees one interface (``handle_request`` returns an unread response) and the
retries, signing and error mapping stay ours.
"""

from __future__ import annotations

import httpx

from ._tls import TLSTrust, certificate_failure, refused

__all__ = ["AsyncHTTPXClientTransport", "HTTPXClientTransport"]

#: What a user's own ``http_client`` trusts, for the message of a refused certificate.
_USERS_TLS = "the CAs of your http_client (its own verify= argument)"
_USERS_ADVICE = (
    "The client's verify=, AWS_CA_BUNDLE and the profile's ca_bundle do not apply to an "
    "http_client of yours: give it the CA that signed the server's certificate, e.g. "
    "httpx.Client(verify=ssl.create_default_context(cafile='/path/to/ca.pem')), or set "
    "SSL_CERT_FILE / SSL_CERT_DIR, which httpx reads."
)


def _refusal(exc: httpx.ConnectError, trust: TLSTrust | None) -> httpx.ConnectError | None:
    """A refused certificate told as such (httpx words it as a bare SSL error)."""
    failure = certificate_failure(exc)
    if failure is None:
        return None
    if trust is not None:
        return trust.refused(failure)
    return refused(failure, _USERS_TLS, _USERS_ADVICE)


class HTTPXClientTransport(httpx.BaseTransport):
    """Sends through an ``httpx.Client``; ``close`` closes that client."""

    def __init__(self, client: httpx.Client, trust: TLSTrust | None = None) -> None:
        """``trust``: the TLS settings ``client`` was built with, if it is ours."""
        self.client = client
        self._trust = trust

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return self.client.send(request, stream=True)
        except httpx.ConnectError as exc:
            error = _refusal(exc, self._trust)
            if error is None:
                raise
            raise error from None

    def close(self) -> None:
        self.client.close()


class AsyncHTTPXClientTransport(httpx.AsyncBaseTransport):
    """Sends through an ``httpx.AsyncClient``; ``aclose`` closes that client."""

    def __init__(self, client: httpx.AsyncClient, trust: TLSTrust | None = None) -> None:
        """``trust``: the TLS settings ``client`` was built with, if it is ours."""
        self.client = client
        self._trust = trust

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self.client.send(request, stream=True)
        except httpx.ConnectError as exc:
            error = _refusal(exc, self._trust)
            if error is None:
                raise
            raise error from None

    async def aclose(self) -> None:
        await self.client.aclose()
