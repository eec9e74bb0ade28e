"""Sending on the Messages API surfaces (:mod:`._surfaces` shapes the request): one answer,
or a Server-Sent Events stream through the same stream pipeline, stream classes and
managers as InvokeModel, so ``text_stream``, ``get_final_message()`` and the snapshot after
an error behave alike on every surface.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import httpx

from .._parse import parse_message
from .._stream_iter import Primed, aprime, prime
from .._stream_sse import EVENT_STREAM, sse_pipeline
from ..streaming import AsyncMessageStreamManager, AsyncStream, MessageStreamManager, Stream
from ._params import PreparedCall

if TYPE_CHECKING:
    from .._client import AnthropicBedrock, AsyncAnthropicBedrock
    from .._request_core import Route
    from ..types.message import Message

__all__ = [
    "AsyncSurfaceStreamManager",
    "SurfaceStreamManager",
    "aopen_stream",
    "finish_message",
    "open_stream",
    "send_message",
]


def _route(client: Any, call: PreparedCall) -> Route:
    route: Route = client._core.route(call.surface)
    return route


def finish_message(response: httpx.Response, call: PreparedCall) -> Message:
    """Parse a Messages API answer; the request id and the cost, as on InvokeModel."""
    message = parse_message(response.content, response)
    headers = response.headers
    message._request_id = headers.get("x-amzn-requestid") or headers.get("request-id")
    message._cost = call.cost(message)
    return message


def send_message(client: Any, call: PreparedCall, stream: bool, timeout: Any, *, sync: bool) -> Any:
    """``create`` on a Messages surface: a :class:`Message`, or a :class:`Stream` read up to
    its first event; for the async client, the same as a coroutine."""
    if stream:
        return (open_stream if sync else aopen_stream)(client, call, timeout=timeout)
    route = _route(client, call)
    sent = client._sender.send(
        "POST", route.messages_url + call.query, call.encode(), extra_headers=call.headers,
        timeout=timeout, signing=route.signing,
    )  # fmt: skip
    return finish_message(sent, call) if sync else _finish_later(sent, call)


async def _finish_later(sent: Any, call: PreparedCall) -> Message:
    return finish_message(await sent, call)


def _prime(response: httpx.Response) -> Primed[Iterator[bytes]]:
    return prime(sse_pipeline(response), response)


async def _aprime(response: httpx.Response) -> Primed[AsyncIterator[bytes]]:
    return await aprime(sse_pipeline(response), response)


def open_stream(
    client: AnthropicBedrock, call: PreparedCall, *, timeout: float | httpx.Timeout | None = None
) -> Stream:
    """Send a streamed Messages API call and read its SSE up to the first event (errors
    before it are retried like any failed request: the caller has seen nothing)."""
    route = _route(client, call)
    response, primed = client._sender.send_stream(
        "POST", route.messages_url + call.query, call.encode(), _prime, extra_headers=call.headers,
        timeout=timeout, accept=EVENT_STREAM, signing=route.signing,
    )  # fmt: skip
    return Stream(response, call, primed)


async def aopen_stream(
    client: AsyncAnthropicBedrock,
    call: PreparedCall,
    *,
    timeout: float | httpx.Timeout | None = None,
) -> AsyncStream:
    """Async :func:`open_stream`."""
    route = _route(client, call)
    response, primed = await client._sender.send_stream(
        "POST", route.messages_url + call.query, call.encode(), _aprime, extra_headers=call.headers,
        timeout=timeout, accept=EVENT_STREAM, signing=route.signing,
    )  # fmt: skip
    return AsyncStream(response, call, primed)


class _SurfaceOpen:
    """``messages.stream(...)`` on a Messages surface: the same managers and
    :class:`~..streaming.MessageStream` helpers, opened over SSE."""

    _client: Any
    _call: PreparedCall
    _timeout: float | httpx.Timeout | None

    def _open(self, sync: bool) -> Any:
        opener = open_stream if sync else aopen_stream
        return opener(self._client, self._call, timeout=self._timeout)


class SurfaceStreamManager(_SurfaceOpen, MessageStreamManager):
    """:class:`~..streaming.MessageStreamManager` over a Messages surface."""


class AsyncSurfaceStreamManager(_SurfaceOpen, AsyncMessageStreamManager):
    """:class:`~..streaming.AsyncMessageStreamManager` over a Messages surface."""
