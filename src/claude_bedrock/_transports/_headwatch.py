"""The wait for a response head, through a user's sync ``httpx.Client``, cut at the deadline.

Why: a sync ``httpx.Client`` blocks inside its own reads until the head is complete, and
its ``read`` timeout is per read, so a server sending the status line a byte a second kept
a call with ``timeout=3`` waiting as long as it cared to; the driver only sees the response
once the head is in (the async driver bounds that wait by cancelling it).

How, with httpcore's public surface only (its ``trace`` request extension and its network
streams' ``get_extra_info("socket")``): the request carries a trace callback that learns
the socket when *this* request opens the connection (``*.connect_tcp.complete``,
``*.start_tls.complete``), arms a watch when the HTTP/1.1 request goes out and disarms it
once the head is in (or the exchange failed, before httpcore closes the connection). If
the attempt's deadline passes while armed, one shared watchdog thread shuts the socket
down: the blocked read returns at once, httpcore discards the connection, and
:class:`HeadWatch` reports the attempt's ``ReadTimeout``.

Not covered (no public way to learn the socket, or closing it would hurt others): a
connection the client *reuses* from its pool (no connect event), HTTP/2 (a connection
shared by other requests), and transports not built on httpcore. Those heads stay bounded
by the client's own timeouts; the body is checked between chunks either way
(:func:`._deadline.guard`).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from ._deadline import Deadline

__all__ = ["HeadWatch"]

#: httpcore's trace events (``<logger>.<step>.<phase>``) that this module reads.
_CONNECTED = (".connect_tcp.complete", ".start_tls.complete")
_ARM = "http11.send_request_headers.started"
_DISARM = ("http11.receive_response_headers.complete", ".failed", ".response_closed.started")


class HeadWatch:
    """One attempt's watch: installed as the request's ``trace`` extension (calling on any
    trace callback already there), used around each ``send`` of that request."""

    def __init__(self, deadline: Deadline, inner: Callable[[str, dict[str, Any]], Any] | None):
        self._deadline = deadline
        self._inner = inner
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._armed = False
        #: Whether the watchdog cut the connection (the send's error is then the deadline's).
        self.fired = False

    def __call__(self, name: str, info: dict[str, Any]) -> Any:
        """httpcore's trace callback: runs in the sending thread, must never raise."""
        if name.endswith(_CONNECTED):
            stream = info.get("return_value")
            sock = getattr(stream, "get_extra_info", lambda _: None)("socket")
            with self._lock:
                self._socket = sock if isinstance(sock, socket.socket) else None
        elif name == _ARM:
            with self._lock:
                self._armed = self._socket is not None and self._deadline.at is not None
            if self._armed:
                _WATCHDOG.add(self._deadline.at or 0.0, self)
        elif name.endswith(_DISARM):
            self.disarm()
        return None if self._inner is None else self._inner(name, info)

    @property
    def armed(self) -> bool:
        return self._armed

    def disarm(self) -> None:
        """The head is in, or the exchange is over: forget the socket (a later hop or
        retry may reuse a connection this watch knows nothing of)."""
        with self._lock:
            self._armed = False
            self._socket = None

    def fire(self) -> None:
        """The deadline passed: shut the connection down if the head is still awaited."""
        with self._lock:
            if not self._armed or self._socket is None or not self._deadline.passed():
                return
            self.fired = True
            self._armed = False
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)

    def send(self, client: httpx.Client, request: httpx.Request) -> httpx.Response:
        """``client.send`` (unread body, no redirects), the deadline's error if cut."""
        try:
            response = client.send(request, stream=True, follow_redirects=False)
        except httpx.TransportError:
            if self.fired:
                raise self._deadline.expired() from None
            raise
        finally:
            self.disarm()
        if self.fired:  # cut as the head came in: its body is gone with the connection
            response.close()
            raise self._deadline.expired()
        return response


def watch(request: httpx.Request, deadline: Deadline | None) -> HeadWatch | None:
    """Install a :class:`HeadWatch` on ``request`` (None: no deadline to hold)."""
    if deadline is None or deadline.at is None:
        return None
    inner = request.extensions.get("trace")
    head_watch = HeadWatch(deadline, inner if callable(inner) else None)
    request.extensions["trace"] = head_watch
    return head_watch


class _Watchdog:
    """One daemon thread for every watch of the process, started on first use: fires each
    watch at its deadline (a disarmed one does nothing)."""

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._due: list[tuple[float, int, HeadWatch]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._limit = 64

    def add(self, at: float, head_watch: HeadWatch) -> None:
        with self._ready:
            if len(self._due) >= self._limit:  # most are done with long before they are due
                self._due = [entry for entry in self._due if entry[2].armed]
                heapq.heapify(self._due)
                self._limit = max(64, 2 * len(self._due))
            heapq.heappush(self._due, (at, next(self._order), head_watch))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="claude-bedrock-head-watchdog", daemon=True
                )
                self._thread.start()
            self._ready.notify()

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._due or self._due[0][0] > time.monotonic():
                    self._ready.wait(self._due[0][0] - time.monotonic() if self._due else None)
                _, _, head_watch = heapq.heappop(self._due)
            head_watch.fire()


_WATCHDOG = _Watchdog()
