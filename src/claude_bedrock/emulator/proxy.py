"""``serve --record``: forward every request to Bedrock (or another emulator), re-signed with
the user's own credentials, and append each exchange to a cassette.

Installed as an emulator extension (:func:`recorder`) whose middleware runs *before*
authentication: the incoming signature is never checked (the client may sign with anything;
the proxy listens on loopback only) and never forwarded. Each request is re-signed for the
upstream host with the credentials of botocore's chain (environment, profile, SSO,
instance role...: the chain the client itself uses), or ``AWS_BEARER_TOKEN_BEDROCK`` when
the chain has none. ``upstream="aws"`` sends each request to the real endpoint of its
surface and Region (:data:`AWS_HOSTS`); any other value is a base URL (tests put one
emulator in front of another).

Streams are passed through as they arrive, cut into frames (event stream) or events (SSE)
for the cassette, each with its time since the response began. The line is written when
the response has ended (a stream: when the client has read it all).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

import httpx

from ..wire import signing
from .cassette import (
    Chunk,
    Exchange,
    StreamSplitter,
    is_secret_header,
    kept_response_headers,
    redact,
    request_key,
    stream_kind,
)
from .errors import BedrockError
from .http_types import AnyResponse, Request, Response, StreamingResponse

if TYPE_CHECKING:
    from .app import EmulatorApp
    from .routing import Handler

__all__ = ["AWS_HOSTS", "CassetteWriter", "recorder"]

#: Real endpoint host and SigV4 signing name of each surface (AWS "Endpoints supported by
#: Amazon Bedrock"; the Messages API hosts: :mod:`claude_bedrock.wire.messages_api`).
AWS_HOSTS: Final[dict[str, tuple[str, str]]] = {
    "runtime": ("bedrock-runtime.{region}.amazonaws.com", "bedrock"),
    "runtime-messages": ("bedrock-runtime.{region}.amazonaws.com", "bedrock"),
    "mantle": ("bedrock-mantle.{region}.api.aws", "bedrock-mantle"),
    "control": ("bedrock.{region}.amazonaws.com", "bedrock"),
    "sts": ("sts.{region}.amazonaws.com", "sts"),
}
#: Incoming headers not forwarded: hop-by-hop ones, the ones the HTTP client sets itself, and
#: every one that carries or dates a credential (the request is signed again).
_NOT_FORWARDED: Final = frozenset(
    {"host", "content-length", "connection", "transfer-encoding", "expect", "keep-alive"}
    | {"accept-encoding", "x-api-key"}
)
#: Request headers kept in the cassette, for the reader (the key has the semantic ones).
_KEPT_REQUEST_HEADERS: Final = ("content-type", "accept", "anthropic-version", "user-agent")
Credentials = Callable[[], "signing.Credentials | str | None"]


def botocore_credentials(profile: str | None = None) -> Credentials:
    """Credentials from botocore's chain, refreshed as botocore refreshes them; a string is a
    Bedrock API key (``AWS_BEARER_TOKEN_BEDROCK``), used only when the chain finds none."""
    import botocore.session

    session = botocore.session.Session(profile=profile)
    found = session.get_credentials()

    def current() -> signing.Credentials | str | None:
        if found is not None:
            frozen = found.get_frozen_credentials()
            return signing.Credentials(frozen.access_key, frozen.secret_key, frozen.token)
        return os.environ.get("AWS_BEARER_TOKEN_BEDROCK") or None

    return current


class CassetteWriter:
    """Appends exchanges to a JSONL file (one line each, flushed), secrets redacted."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def append(self, exchange: Exchange, secrets: list[str]) -> None:
        line = json.dumps(exchange.to_json(), ensure_ascii=False, separators=(",", ":"))
        with self.path.open("a", encoding="utf-8") as out:
            out.write(redact(line, secrets) + "\n")
        self.count += 1


class _Recorder:
    def __init__(
        self, app: EmulatorApp, path: str | Path, upstream: str, credentials: Credentials
    ) -> None:
        self.default_region = app.config.region
        self.writer = CassetteWriter(path)
        self.upstream = upstream
        self.credentials = credentials
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:  # created on the server's own event loop
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(300.0, connect=10.0))
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    def _target(self, surface: str, region: str, request: Request) -> tuple[str, str]:
        """The upstream URL and signing name for this request."""
        host, service = AWS_HOSTS.get(surface, AWS_HOSTS["control"])
        base = f"https://{host.format(region=region)}" if self.upstream == "aws" else self.upstream
        query = f"?{request.raw_query}" if request.raw_query else ""
        return base.rstrip("/") + request.raw_path + query, service

    def _headers(
        self, request: Request, url: str, region: str, service: str
    ) -> tuple[dict[str, str], list[str]]:
        headers = {name: value for name, value in request.headers.items()
                   if name not in _NOT_FORWARDED and not is_secret_header(name)}  # fmt: skip
        headers["accept-encoding"] = "identity"  # frames recorded as sent, never re-encoded
        credentials = self.credentials()
        if isinstance(credentials, str):
            headers["authorization"] = f"Bearer {credentials}"
            return headers, [credentials]
        if credentials is None:
            raise BedrockError(
                "UnrecognizedClientException",
                "The recording proxy found no AWS credentials (botocore's chain) "
                "and no AWS_BEARER_TOKEN_BEDROCK.",
            )
        signer = signing.SigV4Signer(region, service)
        headers.update(signer.sign(request.method, url, headers, request.body, credentials))
        secrets = [credentials.secret_key, credentials.session_token or ""]
        return headers, [s for s in secrets if s]

    async def middleware(self, request: Request, call_next: Handler) -> AnyResponse:
        if request.raw_path.startswith("/_emulator/"):
            return await call_next(request)
        key = request_key(request, self.default_region)
        url, service = self._target(key["surface"], key["region"], request)
        headers, secrets = self._headers(request, url, key["region"], service)
        exchange = Exchange(
            key=key,
            status=0,
            headers=[],
            request_headers=[
                [n, v] for n, v in request.headers.items() if n in _KEPT_REQUEST_HEADERS
            ],  # fmt: skip
            recorded_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        outgoing = self.client.build_request(request.method, url, headers=headers,
                                             content=request.body)  # fmt: skip
        started = time.perf_counter()
        try:
            upstream = await self.client.send(outgoing, stream=True)
        except httpx.HTTPError as exc:  # nothing to record: no answer came
            raise BedrockError(
                "ServiceUnavailableException",
                f"The recording proxy could not reach {outgoing.url.host} ({type(exc).__name__}).",
            ) from None
        exchange.status = upstream.status_code
        exchange.headers = kept_response_headers(upstream.headers.multi_items())
        content_type = upstream.headers.get("content-type")
        replay_headers = [(n, v) for n, v in exchange.headers if n != "content-type"]
        kind = stream_kind(content_type)
        if kind is None:
            try:
                exchange.body = await upstream.aread()
            finally:
                await upstream.aclose()
            self.writer.append(exchange, secrets)
            return Response(upstream.status_code, exchange.body, replay_headers, content_type)
        body = self._relay(upstream, exchange, kind, started, secrets)
        return StreamingResponse(body, upstream.status_code, replay_headers, content_type)

    async def _relay(
        self,
        upstream: httpx.Response,
        exchange: Exchange,
        kind: str,
        started: float,
        secrets: list[str],
    ) -> AsyncIterator[bytes]:
        splitter = StreamSplitter(kind)
        exchange.chunks = chunks = []
        try:
            async for data in upstream.aiter_bytes():
                for unit in splitter.feed(data):
                    chunks.append(Chunk(unit, time.perf_counter() - started))
                    yield unit
            rest = splitter.close()
            if rest:
                chunks.append(Chunk(rest, time.perf_counter() - started))
                yield rest
        finally:
            await upstream.aclose()
            # A stream the client abandoned is still written: what was received, as received.
            self.writer.append(exchange, secrets)


def recorder(
    path: str | Path,
    upstream: str = "aws",
    *,
    credentials: Credentials | None = None,
    profile: str | None = None,
) -> Callable[[EmulatorApp], None]:
    """The extension that turns an emulator into a recording proxy (see the module docstring).

    ``credentials`` replaces botocore's chain (a callable returning
    :class:`~claude_bedrock.wire.signing.Credentials` or an API key string).
    """
    if upstream != "aws" and not upstream.startswith(("http://", "https://")):
        raise ValueError(f"upstream must be 'aws' or an http(s) URL, not {upstream!r}")
    chain = credentials or botocore_credentials(profile)

    def register(app: EmulatorApp) -> None:
        proxy = _Recorder(app, path, upstream, chain)
        app.state["cassette_recorder"] = proxy
        app.add_middleware(proxy.middleware, before_auth=True)
        app.add_shutdown_hook(proxy.close)

    return register
