"""A user's ``httpx.Client`` / ``httpx.AsyncClient`` seen as a transport.

Used for ``http_client=`` (the user's client, unchanged: its proxies, TLS, HTTP/2, event
hooks) and, with a client of ours, when proxy variables (``HTTPS_PROXY``...) are set,
because ``httpx`` honours them and our fast transports do not speak to proxies. Either way
the sender sees one interface (``handle_request`` returns an unread response) and the
retries, signing and error mapping stay ours. The sync one has each send's wait for the
response head watched against the attempt's deadline (:mod:`._headwatch`).

Redirects: a client with ``follow_redirects=True`` still follows them, hop by hop here, so
that a redirect to another host does not carry our signing headers there (httpx drops
``Authorization`` on a cross-origin redirect, but not ``X-Amz-Security-Token``,
``X-Amz-Date`` or ``X-Amz-Content-Sha256``: a session token would reach that host).
"""

from __future__ import annotations

import httpx

from ._deadline import deadline_of
from ._headwatch import watch
from ._tls import TLSTrust, certificate_failure, refused

#: What signs a request (SigV4 or an API key): never sent on to another host.
SIGNING_HEADERS = ("authorization", "x-amz-security-token", "x-amz-date",
                   "x-amz-content-sha256", "x-api-key")  # fmt: skip
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _same_origin(old: httpx.URL, new: httpx.URL) -> bool:
    """Same scheme, host and port, or an upgrade from http to https on the same host (the
    one exception httpx makes too)."""
    if old.host.lower() != new.host.lower():
        return False
    if old.scheme == new.scheme:
        return (old.port or _DEFAULT_PORTS.get(old.scheme)) == (
            new.port or _DEFAULT_PORTS.get(new.scheme)
        )
    return (
        old.scheme == "http"
        and new.scheme == "https"
        and old.port in (None, 80)
        and (new.port in (None, 443))
    )


def next_hop(
    client: httpx.Client | httpx.AsyncClient, response: httpx.Response, hops: int
) -> httpx.Request | None:
    """The request a redirect leads to, if ``client`` follows redirects; without our signing
    headers when it leaves the origin."""
    following = response.next_request
    if following is None or not client.follow_redirects:
        return None
    if hops > client.max_redirects:
        raise httpx.TooManyRedirects("Exceeded maximum allowed redirects.", request=following)
    if not _same_origin(response.request.url, following.url):
        for name in SIGNING_HEADERS:
            following.headers.pop(name, None)
    return following


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
        head_watch = watch(request, deadline_of(request))
        send = self._send if head_watch is None else head_watch.send
        try:
            response = send(self.client, request)
            history: list[httpx.Response] = []
            while (following := next_hop(self.client, response, len(history) + 1)) is not None:
                response.close()
                history.append(response)
                response = send(self.client, following)
                response.history = list(history)
            return response
        except httpx.ConnectError as exc:
            error = _refusal(exc, self._trust)
            if error is None:
                raise
            raise error from None

    @staticmethod
    def _send(client: httpx.Client, request: httpx.Request) -> httpx.Response:
        return client.send(request, stream=True, follow_redirects=False)

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
            response = await self.client.send(request, stream=True, follow_redirects=False)
            history: list[httpx.Response] = []
            while (following := next_hop(self.client, response, len(history) + 1)) is not None:
                await response.aclose()
                history.append(response)
                response = await self.client.send(following, stream=True, follow_redirects=False)
                response.history = list(history)
            return response
        except httpx.ConnectError as exc:
            error = _refusal(exc, self._trust)
            if error is None:
                raise
            raise error from None

    async def aclose(self) -> None:
        await self.client.aclose()
