"""Concurrency: a thousand streaming requests at once, all complete and correct."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator

import h11
import httpx
import pytest

from claude_bedrock.emulator import Emulator
from claude_bedrock.wire import eventstream

from .conftest import MODEL, body

CONCURRENCY = 1000


@pytest.fixture(scope="module")
def separate() -> Iterator[Emulator]:
    """In its own process (the client's work does not share the server's GIL), paced so that
    every stream lasts a while and the thousand really are in flight at the same time."""
    with Emulator(subprocess=True, pace=300) as emulator:
        yield emulator


async def _one(host: str, port: int, index: int, api_key: str) -> str:
    """One streaming request on its own connection (a raw h11 client: httpx's pool spends
    seconds managing a thousand connections, which would hide the server's behaviour)."""
    payload = json.dumps(
        body(messages=[{"role": "user", "content": f"request {index} emulator:tokens=60"}])
    )
    reader, writer = await asyncio.open_connection(host, port)
    conn = h11.Connection(h11.CLIENT)
    headers = [
        ("host", f"{host}:{port}"),
        ("authorization", f"Bearer {api_key}"),
        ("content-type", "application/json"),
        ("content-length", str(len(payload))),
    ]
    target = f"/model/{MODEL}/invoke-with-response-stream"
    writer.write(conn.send(h11.Request(method="POST", target=target, headers=headers)))
    writer.write(conn.send(h11.Data(data=payload.encode())) + conn.send(h11.EndOfMessage()))
    decoder = eventstream.Decoder()
    events = []
    status = 0
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(await reader.read(65536))
        elif isinstance(event, h11.Response):
            status = event.status_code
        elif isinstance(event, h11.Data):
            for message in decoder.feed(bytes(event.data)):
                events.append(json.loads(base64.b64decode(json.loads(message.payload)["bytes"])))
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            break
    writer.close()
    assert status == 200 and events[-1]["type"] == "message_stop"
    return "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta")


async def _many(url: str, api_key: str) -> list[str]:
    parsed = httpx.URL(url)
    host, port = parsed.host, parsed.port or 80
    return await asyncio.gather(*(_one(host, port, i, api_key) for i in range(CONCURRENCY)))


def test_a_thousand_concurrent_streams(separate: Emulator) -> None:
    texts = asyncio.run(_many(separate.url, separate.api_key))
    assert len(texts) == CONCURRENCY
    for index, text in enumerate(texts):
        assert f'"request {index} emulator:tokens=60"' in text
