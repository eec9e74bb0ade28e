"""Client middleware: the official SDK's contract (``anthropic._middleware`` and
``anthropic._request``), so middleware written for it ports unchanged.

``middleware=[...]`` takes :class:`Middleware` instances (``handle`` for the blocking
clients, ``handle_async`` for the asyncio ones) or plain callables ``(request, call_next)``.
A client checks them when it is built, with the SDK's ``TypeError`` wording: a blocking
client refuses async middleware and an asyncio client sync middleware.

The chain runs inside the retry loop, once per HTTP attempt, with that attempt's
:class:`APIRequest`; ``call_next(request)`` returns an :class:`~._response.APIResponse`
(``AsyncAPIResponse``) for every HTTP answer, 4xx and 5xx included (the typed errors are
raised for the caller after the chain); connection failures raise. A middleware may change
the request (``request.copy(headers=..., body=...)``), call ``call_next`` again (a retry of
its own) or not at all (return an ``APIResponse`` it built, e.g. around a cached
``httpx.Response``).

What differs from the SDK, because our requests are Bedrock's wire requests: the
:class:`APIRequest` a middleware sees is the request as sent to Bedrock — ``url`` is the
absolute URL (``.../model/{id}/invoke``, ``.../anthropic/v1/messages``...), ``json`` the body
Bedrock receives (on InvokeModel: no ``model`` or ``stream``; ``anthropic_version`` added) —
and it is unsigned: whatever a middleware changes, the innermost ``call_next`` signs the
result (SigV4, or the API key's ``Authorization``) just before sending, so the signature
always matches what goes on the wire.
"""

from __future__ import annotations

import copy as _copy
import inspect
import json as _json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import httpx

if TYPE_CHECKING:
    from ._response import APIResponse, AsyncAPIResponse

__all__ = [
    "APIRequest",
    "AsyncCallNext",
    "AsyncMiddlewareCallable",
    "CallNext",
    "Middleware",
    "MiddlewareCallable",
    "MiddlewareInput",
    "middleware_base",
    "validate_async_middleware",
    "validate_sync_middleware",
]


class _Unset:
    """``copy()``'s "not given" (``None`` is a value there: no body, no timeout)."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"


_UNSET: Any = _Unset()


class APIRequest:
    """The request one HTTP attempt is about to send, before it is signed.

    Treat it as immutable: :meth:`copy` derives a changed one (as the SDK's). ``headers``
    are the call's own (``extra_headers``, ``anthropic-version``, ``anthropic-beta``...), not
    the client's defaults, the ``user-agent`` or the signature, which are added when the
    request is sent.
    """

    def __init__(
        self,
        *,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes | None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = 0,
        stream: bool = False,
        retries_taken: int = 0,
        accept: str = "application/json",
        signing: str | None = None,
        unread: bool | None = None,
    ) -> None:
        #: Lower case, as the SDK's (``"post"``); sent upper case.
        self.method = method
        self.url = url
        self._headers = dict(headers)
        self.content = content
        self.timeout = timeout
        #: The client's ``max_retries`` (the SDK's is ``NOT_GIVEN`` unless a call sets it).
        self.max_retries = max_retries
        #: Whether the call streams its answer (``stream=True``, ``messages.stream``).
        self.stream = stream
        #: Retries already taken for this call: 0 on the first attempt.
        self.retries_taken = retries_taken
        self._accept = accept
        self._signing = signing
        #: Whether ``call_next`` leaves the body unread (a stream, or a streaming response).
        self._unread = stream if unread is None else unread
        self._json: Any = _UNSET

    @property
    def headers(self) -> dict[str, str]:
        return self._headers

    @property
    def query_params(self) -> dict[str, str]:
        """The URL's query, decoded (the SDK's ``params``)."""
        return dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))

    @property
    def json(self) -> Any:
        """The body, decoded from JSON (``None`` without a body)."""
        if self._json is _UNSET:
            self._json = _json.loads(self.content) if self.content else None
        return self._json

    def copy(
        self,
        *,
        method: str = _UNSET,
        url: str = _UNSET,
        headers: Mapping[str, str] = _UNSET,
        params: Mapping[str, object] = _UNSET,
        body: object = _UNSET,
        timeout: float | httpx.Timeout | None = _UNSET,
    ) -> APIRequest:
        """A new request with the given parts replaced (``body``: a JSON value, encoded
        here; ``params``: the URL's whole query). This one is left unchanged."""
        new = _copy.copy(self)
        new._headers = dict(self._headers if headers is _UNSET else headers)
        if method is not _UNSET:
            new.method = method
        if url is not _UNSET:
            new.url = url
        if params is not _UNSET:
            parts = urlsplit(new.url)
            query = urlencode(list(params.items()), doseq=True, quote_via=quote, safe="-_.~")
            new.url = urlunsplit(parts._replace(query=query))
        if body is not _UNSET:
            new.content = None if body is None else _json.dumps(body).encode()
            new._json = _copy.deepcopy(body)
        if timeout is not _UNSET:
            new.timeout = timeout
        return new

    def __repr__(self) -> str:
        return f"<APIRequest method={self.method!r} url={self.url!r} stream={self.stream!r}>"


CallNext: TypeAlias = Callable[[APIRequest], "APIResponse[Any]"]
"""The rest of the chain and, at its end, one HTTP attempt (signed just before sending);
returns the :class:`~._response.APIResponse` of every answer, errors included."""

AsyncCallNext: TypeAlias = Callable[[APIRequest], Awaitable["AsyncAPIResponse[Any]"]]
"""Async :data:`CallNext`."""


class Middleware:
    """Base class for client-level middleware (the SDK's).

    Subclass and override :meth:`handle` (blocking clients) and/or :meth:`handle_async`
    (asyncio clients). The defaults pass the request on unchanged.
    """

    def handle(self, request: APIRequest, call_next: CallNext) -> APIResponse[Any]:
        return call_next(request)

    async def handle_async(
        self, request: APIRequest, call_next: AsyncCallNext
    ) -> AsyncAPIResponse[Any]:
        return await call_next(request)


MiddlewareCallable: TypeAlias = Callable[[APIRequest, CallNext], "APIResponse[Any]"]
AsyncMiddlewareCallable: TypeAlias = Callable[
    [APIRequest, AsyncCallNext], Awaitable["AsyncAPIResponse[Any]"]
]
MiddlewareInput: TypeAlias = Middleware | MiddlewareCallable | AsyncMiddlewareCallable


def _middleware_name(middleware: object) -> str:
    if middleware_base(middleware) is not None:
        return type(middleware).__name__
    name = getattr(middleware, "__name__", None)
    return name if isinstance(name, str) else repr(middleware)


def _is_async_callable(obj: object) -> bool:
    """Whether calling ``obj`` returns a coroutine (an instance with an async
    ``__call__`` too, which ``inspect.iscoroutinefunction`` alone misses)."""
    if inspect.iscoroutinefunction(obj):
        return True
    call = getattr(obj, "__call__", None)  # noqa: B004
    return call is not None and inspect.iscoroutinefunction(call)


def middleware_base(entry: object) -> type | None:
    """The :class:`Middleware` base ``entry`` derives from: ours, or the official SDK's
    (recognised by name, without importing it, so a subclass of ``anthropic.Middleware``
    works unchanged); ``None`` for a plain callable."""
    if isinstance(entry, Middleware):
        return Middleware
    for klass in type(entry).__mro__:
        if klass.__name__ == "Middleware" and klass.__module__.startswith("anthropic"):
            return klass
    return None


def validate_sync_middleware(middleware: Iterable[object]) -> None:
    """The SDK's check for a blocking client (same ``TypeError`` messages)."""
    for entry in middleware:
        base = middleware_base(entry)
        if base is not None:
            if getattr(type(entry), "handle", None) is getattr(base, "handle", None):
                raise TypeError(
                    f"middleware {_middleware_name(entry)} does not implement `handle()`; "
                    "the synchronous client requires sync-capable middleware"
                )
            if inspect.iscoroutinefunction(getattr(type(entry), "handle", None)):
                raise TypeError(
                    f"middleware {_middleware_name(entry)} defines `handle()` as an async "
                    "function; the synchronous client requires `handle()` to be a sync function"
                )
        elif not callable(entry):
            raise TypeError(f"middleware {_middleware_name(entry)} is not callable")
        elif _is_async_callable(entry):
            raise TypeError(
                f"middleware {_middleware_name(entry)} is an async function; "
                "the synchronous client requires sync middleware functions"
            )


def validate_async_middleware(middleware: Iterable[object]) -> None:
    """The SDK's check for an asyncio client (same ``TypeError`` messages)."""
    for entry in middleware:
        base = middleware_base(entry)
        if base is not None:
            if getattr(type(entry), "handle_async", None) is getattr(base, "handle_async", None):
                raise TypeError(
                    f"middleware {_middleware_name(entry)} does not implement `handle_async()`; "
                    "the asynchronous client requires async-capable middleware"
                )
            if not inspect.iscoroutinefunction(getattr(type(entry), "handle_async", None)):
                raise TypeError(
                    f"middleware {_middleware_name(entry)} defines `handle_async()` as a sync "
                    "function; the asynchronous client requires `handle_async()` to be an "
                    "async function"
                )
        elif not callable(entry):
            raise TypeError(f"middleware {_middleware_name(entry)} is not callable")
        elif not _is_async_callable(entry):
            raise TypeError(
                f"middleware {_middleware_name(entry)} is not an async function; "
                "the asynchronous client requires async middleware functions"
            )
