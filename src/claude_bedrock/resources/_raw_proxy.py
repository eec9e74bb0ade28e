"""The machinery behind :class:`._raw.RawResponses` (imported on first use): the proxies,
the rebinding of a resource to a recording sender, and the paused calls of
``with_streaming_response``."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import queue
import threading
from typing import Any

import httpx

from .._response import (
    APIResponse,
    AsyncAPIResponse,
    AsyncResponseContextManager,
    ResponseContextManager,
)
from .._senders import AsyncSender
from ._hooked import HookedAsyncSender, HookedSyncSender, Record
from ._raw import RawResponses

__all__ = ["Proxy"]


class _Abandoned(BaseException):
    """Unwinds a paused call whose response was closed unparsed (a ``BaseException`` so the
    resource's own ``except Exception`` handlers let it through)."""


def _is_async(resource: Any) -> bool:
    return isinstance(resource._client._sender, AsyncSender)


def _rebound(resource: Any, record: Record) -> Any:
    """A copy of ``resource`` bound to a view of its client that sends through a hooked
    sender recording into ``record`` (the client's transport, core and middleware)."""
    client = resource._client
    sender = client._sender
    view = object.__new__(type(client))
    view.__dict__.update(
        (k, v) for k, v in client.__dict__.items() if getattr(v, "_client", None) is not client
    )
    hooked = HookedAsyncSender if isinstance(sender, AsyncSender) else HookedSyncSender
    view._sender = hooked(client._core, sender._transport, False, client._middleware, record)
    copy = object.__new__(type(resource))
    copy.__dict__.update(
        (k, v) for k, v in resource.__dict__.items() if getattr(v, "_client", None) is not client
    )
    copy._client = view
    return copy


class Proxy:
    """``resource.with_raw_response`` (or ``with_streaming_response``)."""

    def __init__(self, resource: Any, *, streaming: bool) -> None:
        self._resource = resource
        self._streaming = streaming

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self._resource, name)
        if isinstance(value, RawResponses):
            return Proxy(value, streaming=self._streaming)
        if not inspect.ismethod(value):
            kind = "with_streaming_response" if self._streaming else "with_raw_response"
            raise AttributeError(f"{kind}.{name}: not a method of {type(self._resource).__name__}")
        if _is_async(self._resource):
            return _async_streaming(self._resource, name) if self._streaming else (
                _async_raw(self._resource, name)
            )  # fmt: skip
        return _sync_streaming(self._resource, name) if self._streaming else (
            _sync_raw(self._resource, name)
        )  # fmt: skip

    def __dir__(self) -> list[str]:
        """The public methods and sub-resources (what ``dir()`` and completion offer)."""
        names = (name for name in dir(type(self._resource)) if not name.startswith("_"))
        skip = {"with_raw_response", "with_streaming_response"}
        return sorted(name for name in names if name not in skip)

    def __repr__(self) -> str:
        kind = "with_streaming_response" if self._streaming else "with_raw_response"
        return f"<{type(self._resource).__name__}.{kind}>"


def _no_request(name: str) -> TypeError:
    return TypeError(f"{name}() sent no HTTP request, so it has no raw response")


def _sync_raw(resource: Any, name: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> APIResponse[Any]:
        record = Record()
        result = getattr(_rebound(resource, record), name)(*args, **kwargs)
        if record.response is None:
            raise _no_request(name)
        raw: APIResponse[Any] = APIResponse(
            record.response, retries_taken=record.retries, parse=lambda: result,
            started=record.started,
        )  # fmt: skip
        raw._done()
        return raw

    return call


def _async_raw(resource: Any, name: str) -> Any:
    async def call(*args: Any, **kwargs: Any) -> AsyncAPIResponse[Any]:
        record = Record()
        result = getattr(_rebound(resource, record), name)(*args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        if record.response is None:
            raise _no_request(name)

        async def parsed() -> Any:
            return result

        raw: AsyncAPIResponse[Any] = AsyncAPIResponse(
            record.response, retries_taken=record.retries, parse=parsed, started=record.started
        )
        raw._done()
        return raw

    return call


# -- with_streaming_response: the call paused at its first answer ------------------------


class _PausedResponse(APIResponse[Any]):
    """Closing it without parsing abandons the paused call."""

    _run: _SyncRun

    def close(self) -> None:
        super().close()
        self._run.abandon()


class _SyncRun:
    """One call in a worker thread, paused at its first answer until parsed or abandoned."""

    def __init__(self, resource: Any, name: str, args: Any, kwargs: Any) -> None:
        self._name = name
        self._record = Record(pause=self._pause)
        self._method = getattr(_rebound(resource, self._record), name)
        self._args, self._kwargs = args, kwargs
        self._events: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._go = threading.Event()
        self._resumed = self._abandoned = False
        self._thread: threading.Thread | None = None

    def start(self) -> APIResponse[Any]:
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._work,), name="claude-bedrock-response", daemon=True
        )
        self._thread.start()
        kind, value = self._events.get()
        if kind == "head":
            raw = _PausedResponse(
                value, retries_taken=self._record.retries, parse=self.resume,
                started=self._record.started,
            )  # fmt: skip
            raw._run = self
            return raw
        self._thread.join()
        if kind == "error":
            raise value
        raise _no_request(self._name)

    def _pause(self, response: httpx.Response) -> None:
        self._events.put(("head", response))
        self._go.wait()
        if self._abandoned:
            raise _Abandoned

    def _work(self) -> None:
        try:
            result = self._method(*self._args, **self._kwargs)
        except _Abandoned:
            self._events.put(("abandoned", None))
        except BaseException as exc:
            self._events.put(("error", exc))
        else:
            self._events.put(("done", result))

    def resume(self) -> Any:
        if self._abandoned:
            raise RuntimeError("the response was closed before it was parsed")
        self._resumed = True
        self._go.set()
        kind, value = self._events.get()
        if self._thread is not None:
            self._thread.join()
        if kind == "error":
            raise value
        return value

    def abandon(self) -> None:
        if self._resumed or self._abandoned:
            return
        self._abandoned = True
        self._go.set()
        if self._thread is not None:
            self._thread.join()


def _sync_streaming(resource: Any, name: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> ResponseContextManager[APIResponse[Any]]:
        return ResponseContextManager(lambda: _SyncRun(resource, name, args, kwargs).start())

    return call


class _AsyncPausedResponse(AsyncAPIResponse[Any]):
    _run: _AsyncRun

    async def close(self) -> None:
        await super().close()
        await self._run.abandon()


class _AsyncRun:
    """Async :class:`_SyncRun`: the call runs in a task, paused on a future."""

    def __init__(self, resource: Any, name: str, args: Any, kwargs: Any) -> None:
        self._name = name
        self._record = Record(pause=self._pause)
        self._method = getattr(_rebound(resource, self._record), name)
        self._args, self._kwargs = args, kwargs
        self._resumed = self._abandoned = False

    async def start(self) -> AsyncAPIResponse[Any]:
        loop = asyncio.get_running_loop()
        self._head: asyncio.Future[httpx.Response] = loop.create_future()
        self._go: asyncio.Future[bool] = loop.create_future()
        self._task = asyncio.ensure_future(self._work())
        await asyncio.wait({self._head, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if self._head.done():
            raw = _AsyncPausedResponse(
                self._head.result(), retries_taken=self._record.retries, parse=self.resume,
                started=self._record.started,
            )  # fmt: skip
            raw._run = self
            return raw
        self._task.result()  # raises the call's error
        raise _no_request(self._name)

    async def _work(self) -> Any:
        result = self._method(*self._args, **self._kwargs)
        return await result if inspect.isawaitable(result) else result

    async def _pause(self, response: httpx.Response) -> None:
        self._head.set_result(response)
        if not await self._go:
            raise _Abandoned

    async def resume(self) -> Any:
        if self._abandoned:
            raise RuntimeError("the response was closed before it was parsed")
        self._resumed = True
        self._go.set_result(True)
        return await self._task

    async def abandon(self) -> None:
        if self._resumed or self._abandoned:
            return
        self._abandoned = True
        self._go.set_result(False)
        with contextlib.suppress(_Abandoned):
            await self._task


def _async_streaming(resource: Any, name: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> AsyncResponseContextManager[AsyncAPIResponse[Any]]:
        return AsyncResponseContextManager(_AsyncRun(resource, name, args, kwargs).start())

    return call
