"""Resource operations written once, without I/O, for the sync and the async client.

An operation (``models.list``, ``invocation_logging.enable``, ``count_tokens``...) is a
generator in the manner of httpx's ``Auth.auth_flow``: it yields what it needs done and
receives the outcome, so its logic (checks, paging, merging, error handling) is written once:

* :class:`Request`: one request through the client's sender (its retries, its errors);
  answered with the :class:`httpx.Response`.
* :class:`Blocking`: blocking work (botocore calls); answered with ``fn()``'s result.

A failure is thrown into the generator, so ``try``/``except`` around a ``yield`` reads as
straight-line code. :func:`run` drives a flow with blocking calls, :func:`arun` with awaits
and a worker thread for :class:`Blocking` work. (``messages.batches`` has its own, richer
set of effects: :mod:`._batch_flow`.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, Literal, TypedDict, TypeVar

import httpx

if TYPE_CHECKING:
    from .._client import AnthropicBedrock, AsyncAnthropicBedrock

__all__ = ["Blocking", "Flow", "Request", "SendOptions", "Steps", "arun", "run"]

T = TypeVar("T")
E = TypeVar("E")


class SendOptions(TypedDict, total=False):
    """What a :class:`Request` may add to the sender's ``send``."""

    extra_headers: Mapping[str, str] | None
    timeout: float | httpx.Timeout | None
    #: SigV4 signing name of a host other than the client's own (``bedrock-mantle``).
    signing: str | None


@dataclass(frozen=True, slots=True)
class Request:
    """Send one request (``plane``: ``"runtime"``, ``"control"`` or ``"mantle"``); answered
    with the response (status under 400: the sender raises the mapped error otherwise)."""

    method: str
    plane: Literal["runtime", "control", "mantle"]
    path: str
    body: bytes | None = None
    options: SendOptions = field(default_factory=lambda: SendOptions())
    #: An absolute URL instead of ``plane`` + ``path`` (another host, e.g. bedrock-mantle).
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Blocking:
    """Blocking work; answered with ``fn()``'s result (async: run in a worker thread)."""

    fn: Callable[[], Any]


Effect = Request | Blocking
Flow = Generator[Effect, Any, T]


class Steps(Generic[E, T]):
    """A flow being driven: :meth:`next` gives the effect to do (``None`` once the flow has
    returned :attr:`result`); :meth:`answer` or :meth:`fail` says how it went. (Shared with
    :mod:`._batch_flow`'s drivers.)"""

    result: T

    def __init__(self, flow: Generator[E, Any, T]) -> None:
        self._flow = flow
        self._resume: Callable[[], E] = partial(flow.send, None)

    def next(self) -> E | None:
        try:
            return self._resume()
        except StopIteration as done:
            self.result = done.value
            return None

    def answer(self, value: Any) -> None:
        self._resume = partial(self._flow.send, value)

    def fail(self, error: BaseException) -> None:
        self._resume = partial(self._flow.throw, error)


def run(client: AnthropicBedrock, flow: Flow[T]) -> T:
    """Drive ``flow`` with blocking calls."""
    steps = Steps(flow)
    while (effect := steps.next()) is not None:
        try:
            if isinstance(effect, Blocking):
                steps.answer(effect.fn())
            else:
                url = effect.url or client._core.url(effect.plane, effect.path)
                steps.answer(client._sender.send(effect.method, url, effect.body, **effect.options))
        except Exception as exc:
            steps.fail(exc)
    return steps.result


async def arun(client: AsyncAnthropicBedrock, flow: Flow[T]) -> T:
    """Drive ``flow`` with awaits, :class:`Blocking` work in a worker thread."""
    steps = Steps(flow)
    while (effect := steps.next()) is not None:
        try:
            if isinstance(effect, Blocking):
                steps.answer(await asyncio.to_thread(effect.fn))
            else:
                url = effect.url or client._core.url(effect.plane, effect.path)
                response = await client._sender.send(
                    effect.method, url, effect.body, **effect.options
                )
                steps.answer(response)
        except Exception as exc:
            steps.fail(exc)
    return steps.result
