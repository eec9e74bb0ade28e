"""What ``client.converse`` and ``messages.create(..., api="converse")`` share on the wire:
the JSON body with botocore's blob encoding, and streams whose first event is read before
they are handed over (so that a failure there is retried like any request's)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncGenerator, Generator, Mapping
from typing import Any

import httpx

from ..wire import eventstream

__all__ = ["EVENTSTREAM", "aprimed", "encode", "primed"]

EVENTSTREAM = eventstream.CONTENT_TYPE


def _blob(value: object) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def encode(request: Mapping[str, Any]) -> bytes:
    """The JSON body; ``bytes`` values become base64 text, as botocore sends blobs."""
    return json.dumps(request, separators=(",", ":"), ensure_ascii=False, default=_blob).encode()


def primed(response: httpx.Response) -> Generator[Any]:
    """The response's events with the first one already read (errors before it raise here)."""
    from ..converse._stream import iter_events  # here: the converse package imports us

    events = iter_events(response)
    try:
        head = [next(events)]
    except StopIteration:
        head = []
    except BaseException:
        events.close()
        raise
    return _resume(head, events)


def _resume(head: list[Any], events: Generator[Any]) -> Generator[Any]:
    try:
        yield from head
        yield from events
    finally:
        events.close()


async def aprimed(response: httpx.Response) -> AsyncGenerator[Any]:
    """Async twin of :func:`primed`."""
    from ..converse._stream import aiter_events

    events = aiter_events(response)
    try:
        head = [await anext(events)]
    except StopAsyncIteration:
        head = []
    except BaseException:
        await events.aclose()
        raise
    return _aresume(head, events)


async def _aresume(head: list[Any], events: AsyncGenerator[Any]) -> AsyncGenerator[Any]:
    try:
        for event in head:
            yield event
        async for event in events:
            yield event
    finally:
        await events.aclose()
