"""``serve --replay``: answer every request from a cassette, offline.

Installed as an emulator extension (:func:`replayer`) whose middleware runs before
authentication (a suite recorded with real credentials replays with any). A request is
looked up by its normalised key (:func:`~.cassette.request_key`); when a key was recorded
several times the recordings are served in order, the last one repeating. Streams are
sent frame by frame as recorded (with the recorded pauses when ``timing`` is on).

An unmatched request is answered **400 ``ValidationException``** (Anthropic's
``invalid_request_error`` envelope on the Messages API routes): every Bedrock operation
declares that error and no SDK retries it, so the miss surfaces at once. The message names
the closest recording (its line in the cassette) and what differs: key fields by value,
body fields by path only (bodies may hold what a log should not).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .cassette import Chunk, Exchange, canonical, closest, describe_differences, load, request_key
from .errors import BedrockError
from .http_types import AnyResponse, Request, Response, StreamingResponse

if TYPE_CHECKING:
    from .app import EmulatorApp
    from .routing import Handler

__all__ = ["replayer"]


class _Replayer:
    def __init__(
        self, app: EmulatorApp, name: str, exchanges: list[Exchange], timing: bool
    ) -> None:
        self.name = name
        self.default_region = app.config.region
        self.timing = timing
        self.exchanges = exchanges
        self.by_key: dict[str, list[Exchange]] = {}
        for exchange in self.exchanges:
            self.by_key.setdefault(canonical(exchange.key), []).append(exchange)
        self.served: dict[str, int] = {}

    def _next(self, wanted: str) -> Exchange | None:
        found = self.by_key.get(wanted)
        if not found:
            return None
        count = self.served.get(wanted, 0)
        self.served[wanted] = count + 1
        return found[min(count, len(found) - 1)]

    async def middleware(self, request: Request, call_next: Handler) -> AnyResponse:
        if request.raw_path.startswith("/_emulator/"):
            return await call_next(request)
        key = request_key(request, self.default_region)
        exchange = self._next(canonical(key))
        if exchange is None:
            raise BedrockError("ValidationException", self._miss(key))
        headers = [(name, value) for name, value in exchange.headers if name != "content-type"]
        if exchange.chunks is None:
            return Response(exchange.status, exchange.body, headers, exchange.content_type)
        return StreamingResponse(
            self._chunks(exchange.chunks), exchange.status, headers, exchange.content_type
        )

    async def _chunks(self, chunks: list[Chunk]) -> AsyncIterator[bytes]:
        started = time.perf_counter()
        for chunk in chunks:
            if self.timing:
                delay = chunk.t - (time.perf_counter() - started)
                if delay > 0:
                    await asyncio.sleep(delay)
            yield chunk.data

    def _miss(self, key: dict[str, object]) -> str:
        what = f"{key['operation']} (model {key['model']!r}, Region {key['region']!r})"
        message = f"The cassette {self.name} has no recording of this {what}."
        found = closest(key, self.exchanges)
        if found is None:
            return message + " It is empty."
        line, exchange = found
        differences = "; ".join(describe_differences(key, exchange.key))
        return (
            f"{message} Closest: line {line}, {exchange.key.get('operation')} "
            f"(model {exchange.key.get('model')!r}); differs in: {differences}."
        )


def replayer(path: str | Path, *, timing: bool = False) -> Callable[[EmulatorApp], None]:
    """The extension that answers from the cassette at ``path`` (read now: a missing or
    malformed file raises ``OSError`` / ``ValueError`` here, not when the server starts)."""
    exchanges = load(path)

    def register(app: EmulatorApp) -> None:
        replay = _Replayer(app, Path(path).name, exchanges, timing)
        app.state["cassette_replayer"] = replay
        app.add_middleware(replay.middleware, before_auth=True)

    return register
