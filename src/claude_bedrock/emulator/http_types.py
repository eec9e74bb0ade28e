"""The request and response objects handlers work with.

Plain slotted classes rather than a framework's: the server builds one ``Request`` per HTTP
request on the hot path, and handlers only need bytes, headers and a few fields.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from .auth import Identity

__all__ = [
    "AbortConnection",
    "AnyResponse",
    "Headers",
    "Request",
    "Response",
    "StreamingResponse",
]


class Headers:
    """Request headers: the ordered pairs as received plus a case-insensitive lookup.

    Names are lower-case (HTTP/1.1 names are case-insensitive; h11 lower-cases them).
    Repeated headers are joined with ``","`` by :meth:`get`, as RFC 9110 allows.
    """

    __slots__ = ("_map", "_pairs")

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs
        lookup: dict[str, str] = {}
        for name, value in pairs:
            lookup[name] = f"{lookup[name]},{value}" if name in lookup else value
        self._map = lookup

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._map.get(name.lower(), default)

    def get_all(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self._pairs if key == lowered]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._map

    def __getitem__(self, name: str) -> str:
        return self._map[name.lower()]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def items(self) -> list[tuple[str, str]]:
        """The pairs in arrival order (what SigV4 canonicalisation needs)."""
        return list(self._pairs)

    def __repr__(self) -> str:
        # Authorization and security tokens are secrets: show names only.
        return f"Headers({[name for name, _ in self._pairs]!r})"


@dataclass(slots=True, eq=False)
class Request:
    """One HTTP request, as handlers and middlewares see it.

    ``raw_path`` is the path exactly as sent (still percent-encoded), which both routing and
    SigV4 need; ``path_params`` holds the router's *decoded* ``{param}`` values.
    ``identity`` is set by authentication; ``operation`` by routing (e.g. ``"InvokeModel"``),
    so middlewares (logging, fault injection) can act per operation.
    """

    method: str
    raw_path: str
    raw_query: str
    headers: Headers
    body: bytes
    request_id: str
    received_at: float
    client: tuple[str, int] | None = None
    path_params: dict[str, str] = field(default_factory=dict)
    operation: str | None = None
    identity: Identity | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    #: The body's hex SHA-256, taken by the server as the body streamed in (None: not
    #: taken; SigV4 then hashes ``body`` itself).
    body_sha256: str | None = None
    #: True while the body has not been read (the server's pre-body check): authentication
    #: then judges what the headers alone can condemn.
    body_pending: bool = False
    _query: dict[str, list[str]] | None = field(default=None, repr=False)

    @property
    def query(self) -> dict[str, list[str]]:
        """Decoded query parameters (parsed on first use)."""
        if self._query is None:
            self._query = parse_qs(self.raw_query, keep_blank_values=True)
        return self._query

    def query_value(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The body parsed as JSON, once (raises ``ValueError`` on a body
        :func:`.json_body.loads` refuses: malformed, too deep, unpaired surrogates)."""
        from .json_body import decoded

        return decoded(self)


@dataclass(slots=True)
class Response:
    """A complete response; ``content-length`` is set by the server."""

    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str | None = "application/json"

    @classmethod
    def json(
        cls, data: Any, status: int = 200, headers: list[tuple[str, str]] | None = None
    ) -> Response:
        body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
        return cls(status=status, body=body, headers=headers or [])


@dataclass(slots=True)
class StreamingResponse:
    """A response whose body is produced incrementally (sent with chunked encoding).

    The iterator may raise :class:`AbortConnection` to cut the connection mid-body.
    """

    body: AsyncIterator[bytes]
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str | None = "application/octet-stream"


AnyResponse = Response | StreamingResponse


class AbortConnection(Exception):  # noqa: N818 - it is a signal, not an error condition
    """Raised by a handler or a body iterator to drop the connection (fault injection).

    ``reset=True`` sends a TCP RST (the client sees "connection reset by peer");
    ``reset=False`` closes cleanly after what was already sent, so the client sees a
    truncated response.
    """

    def __init__(self, *, reset: bool = True) -> None:
        super().__init__("connection aborted on purpose")
        self.reset = reset
