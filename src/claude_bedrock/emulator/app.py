"""The emulator application: routing, authentication, middlewares, error mapping.

Extending the emulator (streaming, Converse, control plane, logging, batch, fault
injection...) never touches this file's logic. An *extension* is a function
``register(app: EmulatorApp) -> None`` that calls :meth:`EmulatorApp.add_route` and/or
:meth:`EmulatorApp.add_middleware` and may keep its state in ``app.state[...]``. Built-in
extensions are listed by import path in :data:`BUILTIN_EXTENSIONS`; more can be passed to
:class:`EmulatorApp` (or ``Emulator(extensions=...)``).

Order of a request: route lookup (unknown path: 404 ``UnknownOperationException``) ->
``before_auth`` middlewares -> authentication (skipped for ``auth=False`` routes) ->
middlewares -> handler. A :class:`~.errors.BedrockError` raised anywhere becomes Bedrock's
JSON error (or the route's own format: ``render_error``, as the Messages API routes answer
in Anthropic's envelope); any other exception becomes a 500 ``InternalServerException``
that reveals nothing (the traceback goes to the log). A route's ``authenticate`` replaces
the application's :class:`~.auth.Authenticator` for that route.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Unpack

from .auth import Authenticator, CredentialStore
from .body_limit import too_large_response
from .engine import DeterministicEngine, Engine
from .errors import BedrockError, internal_error
from .http_types import AbortConnection, AnyResponse, Request, Response
from .routing import Authenticate, Handler, Route, RouteOptions, Router
from .server import Limits

__all__ = [
    "BUILTIN_EXTENSIONS",
    "EmulatorApp",
    "EmulatorConfig",
    "Extension",
    "Middleware",
]

logger = logging.getLogger("claude_bedrock.emulator")

Middleware = Callable[[Request, Handler], Awaitable[AnyResponse]]
Extension = Callable[["EmulatorApp"], None]

#: Extensions every emulator loads, as ``"module:function"`` import paths (imported lazily,
#: in this order). Adding a feature module = adding one line here.
BUILTIN_EXTENSIONS: tuple[str, ...] = (
    "claude_bedrock.emulator.faults:register",  # first: faults precede the other middlewares
    "claude_bedrock.emulator.json_body:register",  # bodies decoded once, safely, for all
    "claude_bedrock.emulator.quotas:register",  # off unless config.quotas (see .quotas)
    "claude_bedrock.emulator.runtime:register",
    "claude_bedrock.emulator.converse:register",
    "claude_bedrock.emulator.control_plane:register",
    "claude_bedrock.emulator.document_checks:register",
    "claude_bedrock.emulator.count_tokens:register",
    "claude_bedrock.emulator.sts:register",
    "claude_bedrock.emulator.invocation_logging:register",
    "claude_bedrock.emulator.batch:register",
    "claude_bedrock.emulator.messages_api:register",
)


@dataclass
class EmulatorConfig:
    """Everything that shapes the emulator's behaviour (shared by all extensions).

    ``pace`` limits streamed output to that many tokens per second (None: as fast as
    possible). ``region`` is used when a request does not say (Bedrock API keys).
    """

    region: str = "us-east-1"
    pace: float | None = None
    credentials: CredentialStore = field(default_factory=CredentialStore.default)
    engine: Engine = field(default_factory=DeterministicEngine)
    limits: Limits = field(default_factory=Limits)
    shutdown_timeout: float = 10.0
    #: Fault injection (see :mod:`.faults`): None (off), ``"on"`` or ``"rate=0.05,seed=7"``.
    faults: str | None = None
    #: Enforce only the request rules marked certain (H) (see :mod:`.rule_checks`).
    lenient: bool = False
    #: Bedrock's quotas (see :mod:`.quotas`): None (off), ``"default"`` or a quota file,
    #: then ``,name=value`` options (``"default,window=2,tpm=400000,rpm=200,seed=7"``).
    quotas: str | None = None


def load_extension(spec: str | Extension) -> Extension:
    """An extension from its ``"module:function"`` path (or the callable itself)."""
    if callable(spec):
        return spec
    module_name, _, attr = spec.partition(":")
    module = importlib.import_module(module_name)
    extension = getattr(module, attr or "register")
    if not callable(extension):
        raise TypeError(f"extension {spec!r} is not callable")
    return extension  # type: ignore[no-any-return]


class EmulatorApp:
    """The ``Request -> Response`` callable the HTTP server runs."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        extensions: Iterable[str | Extension] = (),
        builtin: bool = True,
    ) -> None:
        self.config = config or EmulatorConfig()
        self.router = Router()
        self.state: dict[str, Any] = {}
        self.authenticator = Authenticator(
            self.config.credentials, default_region=self.config.region
        )
        self._outer: list[Middleware] = []
        self._inner: list[Middleware] = []
        self._shutdown_hooks: list[Callable[[], Awaitable[None]]] = []
        self._startup_hooks: list[Callable[[], Awaitable[None]]] = []
        self.add_route("GET", "/_emulator/health", self._health, auth=False)
        for spec in [*(BUILTIN_EXTENSIONS if builtin else ()), *extensions]:
            load_extension(spec)(self)

    # -- extension API ---------------------------------------------------------------------

    def add_route(
        self, method: str, pattern: str, handler: Handler, **options: Unpack[RouteOptions]
    ) -> Route:
        """Serve ``handler`` on ``method pattern`` (``{param}`` segments, raw-path matched).

        ``operation`` is the AWS operation name middlewares see; ``auth=False`` skips
        authentication; ``authenticate`` and ``render_error`` give the route its own
        authentication and error format (see :class:`~.routing.Route`)."""
        return self.router.add(method, pattern, handler, **options)

    def add_middleware(self, middleware: Middleware, *, before_auth: bool = False) -> None:
        """Wrap every routed request: ``await middleware(request, call_next)``.

        Middlewares added first run outermost. ``before_auth`` ones also see requests that
        will fail authentication (``request.identity`` is then still None).
        """
        (self._outer if before_auth else self._inner).append(middleware)

    def add_shutdown_hook(self, hook: Callable[[], Awaitable[None]]) -> None:
        """``await hook()`` on graceful shutdown, once in-flight requests have finished
        (flush buffers here). Hooks run in reverse order of registration."""
        self._shutdown_hooks.append(hook)

    def add_startup_hook(self, hook: Callable[[], Awaitable[None]]) -> None:
        """``await hook()`` once the server listens (e.g. to resume work an earlier run left)."""
        self._startup_hooks.append(hook)

    async def run_startup_hooks(self) -> None:
        """Run every startup hook (a failing one is logged and does not stop the others)."""
        for hook in self._startup_hooks:
            try:
                await hook()
            except Exception:
                logger.exception("startup hook %r failed", hook)

    async def run_shutdown_hooks(self) -> None:
        """Run every shutdown hook (a failing one is logged and does not stop the others)."""
        for hook in reversed(self._shutdown_hooks):
            try:
                await hook()
            except Exception:
                logger.exception("shutdown hook %r failed", hook)

    # -- dispatch ----------------------------------------------------------------------------

    async def __call__(self, request: Request) -> AnyResponse:
        started = time.perf_counter()
        try:
            response = await self._dispatch(request)
        except BedrockError as error:
            response = error.to_response()
        except AbortConnection:
            raise
        except Exception:
            logger.exception(
                "request %s failed (%s %s)", request.request_id, request.method, request.raw_path
            )
            response = internal_error().to_response()
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "%s %s %s -> %d (%.1f ms)",
                request.request_id,
                request.method,
                request.raw_path,
                response.status,
                (time.perf_counter() - started) * 1000,
            )
        return response

    def precheck(self, request: Request) -> AnyResponse | None:
        """The answer to a request its head alone condemns, before its body is read (the
        server calls this with ``request.body_pending``), else None: read the body.

        An unknown operation and a failed authentication are answered exactly as
        :meth:`__call__` would answer them (same error, same route error format), so a
        client cannot tell, except that a refused 24 MB body is never read. Skipped when a
        ``before_auth`` middleware is installed (recording, replay): those may answer a
        request before, and without, authentication.
        """
        if self._outer:
            return None
        match = self.router.match(request.method, request.raw_path)
        if match is None or isinstance(match, tuple):
            response: AnyResponse = _unknown_operation().to_response()
        else:
            route = match.route
            request.path_params = match.params
            request.operation = route.operation
            if not route.auth:  # the route authenticates itself: its own check, if any
                own = route.precheck(request) if route.precheck else None
                if own is None:
                    return None
                response = own
            else:
                try:
                    (route.authenticate or self.authenticator.authenticate)(request)
                except BedrockError as error:
                    render = route.render_error
                    response = render(request, error) if render else error.to_response()
                else:
                    return None
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "%s %s %s -> %d (before the body)",
                request.request_id,
                request.method,
                request.raw_path,
                response.status,
            )
        return response

    def too_large(self, request: Request, limit: int) -> AnyResponse:
        """The answer to a request whose body is over the server's cap of ``limit`` bytes
        (unread, or cut off), in its route's error format (see :mod:`.body_limit`)."""
        return too_large_response(self.router, request, limit)

    async def _dispatch(self, request: Request) -> AnyResponse:
        match = self.router.match(request.method, request.raw_path)
        if match is None or isinstance(match, tuple):
            raise _unknown_operation()
        request.path_params = match.params
        request.operation = match.route.operation
        route = match.route
        handler = _chain(self._inner, route.handler)
        if route.auth:
            handler = self._authenticated(handler, route.authenticate)
        if route.render_error is None:
            return await _chain(self._outer, handler)(request)
        try:
            return await _chain(self._outer, handler)(request)
        except BedrockError as error:
            return route.render_error(request, error)

    def _authenticated(self, handler: Handler, authenticate: Authenticate | None) -> Handler:
        check = authenticate or self.authenticator.authenticate

        async def run(request: Request) -> AnyResponse:
            request.identity = check(request)
            return await handler(request)

        return run

    async def _health(self, request: Request) -> AnyResponse:
        engine = getattr(self.config.engine, "name", type(self.config.engine).__name__)
        return Response.json({"status": "ok", "engine": engine, "region": self.config.region})


def _unknown_operation() -> BedrockError:
    return BedrockError(
        "UnknownOperationException", "The requested operation is not recognized by the service."
    )


def _chain(middlewares: list[Middleware], handler: Handler) -> Handler:
    for middleware in reversed(middlewares):
        handler = _bind(middleware, handler)
    return handler


def _bind(middleware: Middleware, call_next: Handler) -> Handler:
    async def run(request: Request) -> AnyResponse:
        return await middleware(request, call_next)

    return run
