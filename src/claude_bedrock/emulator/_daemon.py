"""Blocking work that may be abandoned: each call on its own daemon thread.

The emulator's S3 calls are blocking (botocore). Run on the event loop's default executor,
a call stuck on an S3 that never answers holds the process at exit: asyncio joins that
executor's threads, and so does ``concurrent.futures`` at interpreter exit (measured: a
SIGTERM with a stalled S3 exited after about 300 s, botocore's 5 attempts x 60 s). A
daemon thread is never joined: when the caller's deadline passes, the call is abandoned
(its result, if it ever comes, is dropped) and the process can still exit on time.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = ["in_daemon_thread", "start_daemon"]

T = TypeVar("T")


def start_daemon(target: Callable[[], object], name: str) -> threading.Thread:
    """Start ``target`` on a new daemon thread."""
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


async def in_daemon_thread(
    fn: Callable[[], T], *, timeout: float | None = None, name: str = "claude-bedrock-io"
) -> T:
    """``fn()`` on a daemon thread; :class:`TimeoutError` after ``timeout`` seconds (the
    thread is then left to finish or hang on its own, its outcome dropped)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result, error = fn(), None
        except BaseException as exc:  # handed to the awaiting task
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(settle, result, error)

    start_daemon(run, name)
    return await asyncio.wait_for(future, timeout)
