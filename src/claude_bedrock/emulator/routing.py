"""A small router for REST paths with ``{param}`` segments.

Matching is done on the *raw* (percent-encoded) path, segment by segment, and only then are
parameters unquoted: Bedrock model IDs contain ``:`` and ARNs contain ``/``, which clients
send percent-encoded inside one segment (``arn%3Aaws%3A...%2Fmodel``), so decoding first
would split an ARN across segments. Routes are bucketed by segment count, so a lookup costs
a dict access plus a short scan, whatever the number of routes.

A route may bring its own authentication and its own error format: the Messages API paths
(``/anthropic/v1/messages``) decide from the credentials which Bedrock surface they are
(SigV4 ``bedrock-mantle`` or ``bedrock``, or a key), and answer in Anthropic's error
envelope rather than Bedrock's JSON, while the rest of the pipeline (faults, logging,
middlewares) stays the same for every route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict
from urllib.parse import unquote

from .errors import BedrockError
from .http_types import AnyResponse, Request

if TYPE_CHECKING:
    from .auth import Identity

__all__ = [
    "Authenticate",
    "Handler",
    "Match",
    "Precheck",
    "RenderError",
    "Route",
    "RouteOptions",
    "Router",
]

Handler = Callable[[Request], Awaitable[AnyResponse]]
#: A route's own authentication: the identity, or a :class:`~.errors.BedrockError` raised.
Authenticate = Callable[[Request], "Identity"]
#: A route's own error format: the response for a :class:`~.errors.BedrockError` raised
#: while serving it (by the handler, a middleware or the authentication).
RenderError = Callable[[Request, BedrockError], AnyResponse]
#: An ``auth=False`` route's own pre-body check: the answer to a request its head alone
#: condemns (``request.body_pending``), else None (see ``EmulatorApp.precheck``).
Precheck = Callable[[Request], AnyResponse | None]


class RouteOptions(TypedDict, total=False):
    """The keyword options of :meth:`Router.add`, for the methods that pass them on."""

    operation: str | None
    auth: bool
    authenticate: Authenticate | None
    render_error: RenderError | None
    precheck: Precheck | None


@dataclass(frozen=True, slots=True)
class Route:
    """One registered route.

    ``auth=False`` skips authentication (emulator-only endpoints such as health checks);
    ``operation`` is the AWS operation name exposed to middlewares. ``authenticate``
    replaces the application's authenticator for this route; ``render_error`` replaces
    Bedrock's JSON error (see the module docstring).
    """

    method: str
    pattern: str
    handler: Handler
    segments: tuple[str | None, ...]
    params: tuple[str | None, ...]
    operation: str | None = None
    auth: bool = True
    authenticate: Authenticate | None = None
    render_error: RenderError | None = None
    precheck: Precheck | None = None


@dataclass(frozen=True, slots=True)
class Match:
    route: Route
    params: dict[str, str]


class Router:
    """Maps ``(method, raw path)`` to a handler.

    ``{name}`` matches exactly one non-empty segment; literal segments must match exactly.
    Literal routes win over parameterised ones at equal length (registration order otherwise).
    """

    def __init__(self) -> None:
        self._by_length: dict[int, list[Route]] = {}

    def add(
        self,
        method: str,
        pattern: str,
        handler: Handler,
        *,
        operation: str | None = None,
        auth: bool = True,
        authenticate: Authenticate | None = None,
        render_error: RenderError | None = None,
        precheck: Precheck | None = None,
    ) -> Route:
        """Register ``handler`` for ``method`` on ``pattern`` (e.g. ``/model/{modelId}/invoke``)."""
        if not pattern.startswith("/"):
            raise ValueError(f"route pattern must start with '/': {pattern!r}")
        parts = pattern.split("/")[1:]
        segments: list[str | None] = []
        params: list[str | None] = []
        for part in parts:
            if part.startswith("{") and part.endswith("}"):
                segments.append(None)
                params.append(part[1:-1])
            else:
                segments.append(part)
                params.append(None)
        route = Route(
            method.upper(),
            pattern,
            handler,
            tuple(segments),
            tuple(params),
            operation,
            auth,
            authenticate,
            render_error,
            precheck,
        )
        bucket = self._by_length.setdefault(len(parts), [])
        for existing in bucket:
            if existing.method == route.method and existing.segments == route.segments:
                raise ValueError(f"duplicate route {route.method} {pattern}")
        bucket.append(route)
        # Literal routes first: fewer parameters sorts earlier (stable for equal counts).
        bucket.sort(key=lambda r: sum(s is None for s in r.segments))
        return route

    def match(self, method: str, raw_path: str) -> Match | None | tuple[str, ...]:
        """The match, or ``None`` if no route has this path, or the allowed methods
        (a tuple) if the path exists for other methods only."""
        parts = raw_path.split("/")[1:]
        bucket = self._by_length.get(len(parts))
        if not bucket:
            return None
        allowed: list[str] = []
        for route in bucket:
            found = _match_segments(route, parts)
            if found is None:
                continue
            if route.method == method:
                return Match(route, found)
            allowed.append(route.method)
        return tuple(allowed) if allowed else None

    def routes(self) -> list[Route]:
        """Every registered route (for introspection and docs)."""
        return [route for bucket in self._by_length.values() for route in bucket]


def _match_segments(route: Route, parts: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for expected, name, actual in zip(route.segments, route.params, parts, strict=True):
        if expected is None:
            if not actual:
                return None
            params[name or ""] = unquote(actual)
        elif expected != actual:
            return None
    return params
