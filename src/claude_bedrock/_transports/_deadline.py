"""How long an attempt may still wait for the network: one object per attempt, no I/O.

Why: httpx's ``read`` timeout (ours too) is the longest silence allowed *per read*, so a
server that sends one byte a second, or a stream of ``ping`` events and nothing else, kept
a call with ``timeout=3`` alive for as long as it cared to. The request core puts a
:class:`Deadline` on every attempt (``request.extensions[DEADLINE]``):

* until the answer is in (a non-streamed call: the whole body; a stream: its first real
  event), the attempt may take the attempt's *timeout* (the largest of ``connect``,
  ``read``, ``write`` and ``pool``: ``timeout=3`` means 3 s) in all;
* after each real event of a stream, :meth:`Deadline.progress` allows ``read`` seconds more
  for the next one. Pings, frames of an unknown type and bytes that do not complete an
  event are not progress: they do not move the deadline.

Our transports check it before every read (the sync one before each ``recv``, the async one
around each read); for any other transport (a user's ``httpx`` client, a mock) the
drivers check it between chunks (:func:`guard`), and the async driver also bounds the wait
for the response head; through a user's sync ``httpx.Client``, that wait is cut on an
HTTP/1.1 connection the attempt opened, not on one reused from its pool nor over HTTP/2
(:mod:`._headwatch` says why). Past it, reading raises ``httpx.ReadTimeout``, which the client
reports as :class:`~claude_bedrock.APITimeoutError` (retried like any timeout while nothing
has reached the caller).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx

__all__ = ["DEADLINE", "HONOURED", "Deadline", "attempt_timeout", "guard", "progress_of"]

#: The request extension that carries an attempt's :class:`Deadline`.
DEADLINE = "claude_bedrock.deadline"
#: A response extension our transports set: they check the deadline themselves.
HONOURED = "claude_bedrock.deadline_honoured"
_PHASES = ("connect", "read", "write", "pool")


def attempt_timeout(timeout: dict[str, Any]) -> float | None:
    """An attempt's total: the largest phase timeout set (None: none is)."""
    values = [v for v in (timeout.get(p) for p in _PHASES) if v is not None]
    return max(values) if values else None


class Deadline:
    """When the current wait of one attempt must end (``at``, monotonic; None: never)."""

    __slots__ = ("at", "idle", "total", "_events")

    def __init__(self, total: float | None, idle: float | None) -> None:
        self.total = total
        self.idle = idle
        self.at = None if total is None else time.monotonic() + total
        self._events = False

    def remaining(self) -> float | None:
        """Seconds left (0 or less: passed), or None without a deadline."""
        return None if self.at is None else self.at - time.monotonic()

    def limit(self, read: float | None) -> float | None:
        """How long the next read may wait: ``read``, or less if the deadline is nearer;
        raises :meth:`expired` if it has passed."""
        if self.at is None:
            return read
        left = self.at - time.monotonic()
        if left <= 0:
            raise self.expired()
        return left if read is None or left < read else read

    def check(self) -> None:
        """Raise :meth:`expired` if the deadline has passed."""
        if self.at is not None and time.monotonic() >= self.at:
            raise self.expired()

    def passed(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def progress(self) -> None:
        """A stream handed on a real event: the next one has ``idle`` seconds from now."""
        self._events = True
        self.at = None if self.idle is None else time.monotonic() + self.idle

    def expired(self) -> httpx.ReadTimeout:
        """The error of a deadline that has passed, saying which one."""
        if self._events:
            what = f"no event for {self.idle:g} s (the read timeout; pings do not count)"
        else:
            what = (
                f"no complete answer (nor, for a stream, a first event; pings do not count) "
                f"within the attempt's timeout of {self.total:g} s"
            )
        return httpx.ReadTimeout(what)


def deadline_of(request: httpx.Request | None) -> Deadline | None:
    if request is None:
        return None
    deadline = request.extensions.get(DEADLINE)
    return deadline if isinstance(deadline, Deadline) else None


def _nothing() -> None:
    return None


def progress_of(response: httpx.Response) -> Callable[[], None]:
    """What a stream driver calls after handing on real events (a no-op without a deadline)."""
    deadline = deadline_of(response._request)
    return deadline.progress if deadline is not None else _nothing


class _SyncGuard(httpx.SyncByteStream):
    """A foreign transport's body, checked against the deadline between chunks."""

    def __init__(self, inner: httpx.SyncByteStream, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def __iter__(self) -> Iterator[bytes]:
        check = self._deadline.check
        for chunk in self._inner:
            check()
            yield chunk

    def close(self) -> None:
        self._inner.close()


class _AsyncGuard(httpx.AsyncByteStream):
    """A foreign transport's body, each chunk awaited no longer than the deadline allows."""

    def __init__(self, inner: httpx.AsyncByteStream, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    async def __aiter__(self) -> AsyncIterator[bytes]:
        import asyncio

        chunks = self._inner.__aiter__()
        deadline = self._deadline
        while True:
            try:
                async with asyncio.timeout(deadline.limit(None)):
                    chunk = await chunks.__anext__()
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise deadline.expired() from None
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


def guard(response: httpx.Response, asynchronous: bool) -> None:
    """Have an unread body of a transport that does not check the deadline checked by the
    reading itself (nothing to do for our transports, or a body already in memory)."""
    deadline = deadline_of(response._request)
    if deadline is None or response.extensions.get(HONOURED) or hasattr(response, "_content"):
        return
    stream = response.stream
    if asynchronous and isinstance(stream, httpx.AsyncByteStream):
        response.stream = _AsyncGuard(stream, deadline)
    elif not asynchronous and isinstance(stream, httpx.SyncByteStream):
        response.stream = _SyncGuard(stream, deadline)
