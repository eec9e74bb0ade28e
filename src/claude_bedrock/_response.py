"""The raw-response objects of ``with_raw_response`` / ``with_streaming_response`` and of a
middleware's ``call_next``: the official SDK's ``APIResponse`` / ``AsyncAPIResponse``
(``anthropic._response``), over our ``httpx.Response``.

``parse()`` gives what the plain call returns (a ``Message``, a ``Stream``, a token
count...); it is handed in by whoever made the response (:mod:`.resources._raw` for the
resource wrappers, :mod:`.resources._hooked` for a middleware's ``call_next``).

``request_id``: the SDK reads the ``request-id`` header; Bedrock's hosts answer with
``x-amzn-RequestId`` (the Messages API on bedrock-mantle may send both), so the first of
the two that is present is returned.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpx
import pydantic

from ._body import json_body, validated
from ._exceptions import AnthropicError

__all__ = [
    "APIResponse",
    "AsyncAPIResponse",
    "AsyncResponseContextManager",
    "ResponseContextManager",
    "StreamAlreadyConsumed",
]

R = TypeVar("R")
T = TypeVar("T")
_NOTHING: Any = object()


class StreamAlreadyConsumed(AnthropicError):
    """The body was already streamed (``iter_bytes()``...) and cannot be read again (the SDK's)."""

    def __init__(self) -> None:
        super().__init__(
            "Attempted to read or stream some content, but the content has already been "
            "streamed. This could be due to attempting to stream the response content more "
            "than once.\n\nYou can fix this by manually accumulating the response content "
            "while streaming or by calling `.read()` before starting to stream."
        )


def _cast(response: httpx.Response, to: type[Any]) -> Any:
    """``parse(to=...)``: the body as ``str``, ``bytes``, decoded JSON, or a pydantic model."""
    if to is httpx.Response:
        return response
    if to is str:
        return response.text
    if to is bytes:
        return response.content
    data = json_body(response, "Bedrock")
    if isinstance(to, type) and issubclass(to, pydantic.BaseModel):
        return validated(to, response, "Bedrock", data)
    return data if to in (object, dict, list) else to(data)


class BaseAPIResponse(Generic[R]):
    """What the sync and async responses share: the HTTP facts, none of which reads the body."""

    http_response: httpx.Response
    #: Retries made before this answer (0: the first attempt).
    retries_taken: int

    def __init__(
        self,
        raw: httpx.Response,
        *,
        retries_taken: int = 0,
        parse: Callable[[], Any] | None = None,
        started: float | None = None,
    ) -> None:
        self.http_response = raw
        self.retries_taken = retries_taken
        self._parser = parse
        self._parsed: Any = _NOTHING
        self._started = time.monotonic() if started is None else started
        self._finished: float | None = None

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def http_request(self) -> httpx.Request:
        return self.http_response.request

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def url(self) -> httpx.URL:
        return self.http_response.url

    @property
    def method(self) -> str:
        return self.http_request.method

    @property
    def http_version(self) -> str:
        return self.http_response.http_version

    @property
    def elapsed(self) -> datetime.timedelta:
        """From sending the (last) attempt to the end of the body, or until now if the
        body is still being read."""
        end = self._finished if self._finished is not None else time.monotonic()
        return datetime.timedelta(seconds=end - self._started)

    @property
    def is_closed(self) -> bool:
        return self.http_response.is_closed

    @property
    def request_id(self) -> str | None:
        """``request-id`` (the SDK's), else Bedrock's ``x-amzn-RequestId``."""
        headers = self.http_response.headers
        found: str | None = headers.get("request-id") or headers.get("x-amzn-requestid")
        return found

    @property
    def workspace_id(self) -> str | None:
        found: str | None = self.http_response.headers.get("anthropic-workspace-id")
        return found

    def _done(self) -> None:
        if self._finished is None:
            self._finished = time.monotonic()

    def __repr__(self) -> str:
        reason = self.http_response.reason_phrase
        return f"<{type(self).__name__} [{self.status_code} {reason}]>"


class APIResponse(BaseAPIResponse[R]):
    """A blocking client's raw response."""

    def parse(self, *, to: type[T] | None = None) -> Any:
        """What the plain call returns (cached: the same object every time); ``to=``:
        the body as ``str``, ``bytes``, JSON, ``httpx.Response`` or a pydantic model."""
        if to is not None:
            self.read()
            return _cast(self.http_response, to)
        if self._parsed is _NOTHING:
            if self._parser is None:
                raise TypeError("this response has nothing to parse it into")
            self._parsed = self._parser()
            if self.http_response.is_closed:
                self._done()
        return self._parsed

    def read(self) -> bytes:
        try:
            content = self.http_response.read()
        except httpx.StreamConsumed as exc:
            raise StreamAlreadyConsumed() from exc
        self._done()
        return content

    @property
    def content(self) -> bytes:
        """The body, read if it was not yet (the SDK's legacy raw response had this)."""
        return self.read()

    def text(self) -> str:
        self.read()
        return self.http_response.text

    def json(self) -> Any:
        self.read()
        return self.http_response.json()

    def close(self) -> None:
        self.http_response.close()
        self._done()

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        yield from self.http_response.iter_bytes(chunk_size)
        self._done()

    def iter_text(self, chunk_size: int | None = None) -> Iterator[str]:
        yield from self.http_response.iter_text(chunk_size)
        self._done()

    def iter_lines(self) -> Iterator[str]:
        yield from self.http_response.iter_lines()
        self._done()


class AsyncAPIResponse(BaseAPIResponse[R]):
    """An asyncio client's raw response (``await response.parse()``, ``async for``)."""

    _parser: Callable[[], Awaitable[Any]] | None

    async def parse(self, *, to: type[T] | None = None) -> Any:
        """Async :meth:`APIResponse.parse`."""
        if to is not None:
            await self.read()
            return _cast(self.http_response, to)
        if self._parsed is _NOTHING:
            if self._parser is None:
                raise TypeError("this response has nothing to parse it into")
            self._parsed = await self._parser()
        return self._parsed

    async def read(self) -> bytes:
        try:
            content = await self.http_response.aread()
        except httpx.StreamConsumed as exc:
            raise StreamAlreadyConsumed() from exc
        self._done()
        return content

    async def text(self) -> str:
        await self.read()
        return self.http_response.text

    async def json(self) -> Any:
        await self.read()
        return self.http_response.json()

    async def close(self) -> None:
        await self.http_response.aclose()
        self._done()

    async def iter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        async for chunk in self.http_response.aiter_bytes(chunk_size):
            yield chunk
        self._done()

    async def iter_text(self, chunk_size: int | None = None) -> AsyncIterator[str]:
        async for chunk in self.http_response.aiter_text(chunk_size):
            yield chunk
        self._done()

    async def iter_lines(self) -> AsyncIterator[str]:
        async for line in self.http_response.aiter_lines():
            yield line
        self._done()


RT = TypeVar("RT", bound=APIResponse[Any])
ART = TypeVar("ART", bound=AsyncAPIResponse[Any])


class ResponseContextManager(Generic[RT]):
    """``with client.messages.with_streaming_response.create(...) as response``: the request
    is sent on entry, and the response closed on exit (the SDK's)."""

    def __init__(self, request_func: Callable[[], RT]) -> None:
        self._request_func = request_func
        self._response: RT | None = None

    def __enter__(self) -> RT:
        self._response = self._request_func()
        return self._response

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        if self._response is not None:
            self._response.close()


class AsyncResponseContextManager(Generic[ART]):
    """Async :class:`ResponseContextManager` (``async with``)."""

    def __init__(self, api_request: Awaitable[ART]) -> None:
        self._api_request = api_request
        self._response: ART | None = None

    async def __aenter__(self) -> ART:
        self._response = await self._api_request
        return self._response

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        if self._response is not None:
            await self._response.close()
