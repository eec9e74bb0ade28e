"""Running an :class:`~.app.EmulatorApp` behind the HTTP server, until told to stop.

Shared by the in-process :class:`~claude_bedrock.emulator.Emulator` (which runs this in its
own thread and event loop) and ``claude-bedrock serve`` (which runs it in the main thread
and stops on SIGINT/SIGTERM).

Shutdown has a deadline (:data:`~.s3_link.SHUTDOWN_DEADLINE`, 30 s from the signal to the
exit of ``serve``): in-flight requests get up to ``config.shutdown_timeout`` of it, the
shutdown hooks (last invocation log uploads, batch jobs' last writes) what is left but a
small reserve for stopping the embedded S3. Work stuck on an S3 that never answers runs on
daemon threads and is abandoned then (:mod:`._daemon`); :func:`exit_if_stuck` makes sure
no other thread holds the process past it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Final

from .app import EmulatorApp, EmulatorConfig, Extension
from .s3_link import DEADLINE_KEY, SHUTDOWN_DEADLINE
from .server import HTTPServer

__all__ = ["exit_if_stuck", "serve", "serve_forever"]

logger = logging.getLogger("claude_bedrock.emulator")

#: Seconds of the deadline kept for what follows the hooks (stopping the embedded S3).
_RESERVE: Final = 3.0


async def serve(
    config: EmulatorConfig,
    stop: asyncio.Event,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    extensions: Iterable[str | Extension] = (),
    on_ready: Callable[[str, int], None] | None = None,
) -> None:
    """Serve until ``stop`` is set, then shut down gracefully within the deadline."""
    app = EmulatorApp(config, extensions=extensions)
    server = HTTPServer(app, limits=config.limits)
    bound_host, bound_port = await server.start(host, port)
    if on_ready is not None:
        on_ready(bound_host, bound_port)
    startup = asyncio.get_running_loop().create_task(app.run_startup_hooks())
    try:
        await stop.wait()
    finally:
        began = time.monotonic()
        app.state[DEADLINE_KEY] = began + SHUTDOWN_DEADLINE - _RESERVE
        startup.cancel()
        await server.shutdown(min(config.shutdown_timeout, SHUTDOWN_DEADLINE / 3))
        await app.run_shutdown_hooks()


def serve_forever(
    config: EmulatorConfig,
    *,
    host: str,
    port: int,
    extensions: Iterable[str | Extension] = (),
    on_ready: Callable[[str, int], None] | None = None,
) -> None:
    """Serve in the calling thread until SIGINT or SIGTERM (graceful shutdown).

    Not ``asyncio.run``: closing its loop waits, without a limit, for the threads of the
    default executor, so one blocking call stuck on a silent S3 would hold the process
    (measured: 300 s). The executor here is shut down without waiting."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(config, stop, host=host, port=port, extensions=extensions, on_ready=on_ready)

    loop = asyncio.new_event_loop()
    executor = ThreadPoolExecutor(thread_name_prefix="emulator-io")
    loop.set_default_executor(executor)
    try:
        loop.run_until_complete(main())
    finally:
        try:
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:
                loop.run_until_complete(asyncio.wait(tasks, timeout=1.0))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            executor.shutdown(wait=False, cancel_futures=True)
            loop.close()


def exit_if_stuck(code: int = 0) -> None:
    """End the process now if a non-daemon thread is still running (a blocking call that
    outlived the shutdown deadline): the interpreter would otherwise wait for it at exit."""
    main = threading.main_thread()
    stuck = [t.name for t in threading.enumerate()
             if t is not main and not t.daemon and t.is_alive()]  # fmt: skip
    if not stuck:
        return
    logger.error("exiting with %d blocked thread(s) abandoned: %s", len(stuck), ", ".join(stuck))
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    logging.shutdown()
    os._exit(code)
