"""Running an :class:`~.app.EmulatorApp` behind the HTTP server, until told to stop.

Shared by the in-process :class:`~claude_bedrock.emulator.Emulator` (which runs this in its
own thread and event loop) and ``claude-bedrock serve`` (which runs it in the main thread
and stops on SIGINT/SIGTERM).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Iterable

from .app import EmulatorApp, EmulatorConfig, Extension
from .server import HTTPServer

__all__ = ["serve", "serve_forever"]


async def serve(
    config: EmulatorConfig,
    stop: asyncio.Event,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    extensions: Iterable[str | Extension] = (),
    on_ready: Callable[[str, int], None] | None = None,
) -> None:
    """Serve until ``stop`` is set, then shut down gracefully."""
    app = EmulatorApp(config, extensions=extensions)
    server = HTTPServer(app, limits=config.limits)
    bound_host, bound_port = await server.start(host, port)
    if on_ready is not None:
        on_ready(bound_host, bound_port)
    try:
        await stop.wait()
    finally:
        await server.shutdown(config.shutdown_timeout)
        await app.run_shutdown_hooks()


def serve_forever(
    config: EmulatorConfig,
    *,
    host: str,
    port: int,
    extensions: Iterable[str | Extension] = (),
    on_ready: Callable[[str, int], None] | None = None,
) -> None:
    """Serve in the calling thread until SIGINT or SIGTERM (graceful shutdown)."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(config, stop, host=host, port=port, extensions=extensions, on_ready=on_ready)

    asyncio.run(main())
