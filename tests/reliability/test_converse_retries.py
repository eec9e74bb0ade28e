"""``messages.create(..., api="converse", stream=True)`` is retried, like an InvokeModel
stream, when it fails before its first event — and only then."""

from __future__ import annotations

import asyncio

import pytest
from faultkit import async_client, attempts, fault, sync_client

from claude_bedrock import RateLimitError
from claude_bedrock.emulator import Emulator

MODEL = "global.anthropic.claude-opus-4-6-v1"
ASK = {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": "Hi there"}]}


def _text(events: list[object]) -> str:
    return "".join(
        e.delta.text  # type: ignore[attr-defined]
        for e in events
        if getattr(e, "type", "") == "content_block_delta"
        and getattr(e.delta, "type", "") == "text_delta"  # type: ignore[attr-defined]
    )


@pytest.mark.parametrize("spec", ["503", "exception-frame@0", "reset-mid-stream@0"])
def test_sync_converse_stream_failing_before_first_event_is_retried(
    faulty: Emulator, spec: str
) -> None:
    headers, key = fault(f"{spec}*1")
    with sync_client(faulty, max_retries=2) as client:
        events = list(client.messages.create(**ASK, stream=True, api="converse",
                                             extra_headers=headers))  # fmt: skip
    assert "Hi there" in _text(events)
    assert attempts(faulty, key) == 2


@pytest.mark.parametrize("spec", ["503", "exception-frame@0"])
def test_async_converse_stream_failing_before_first_event_is_retried(
    faulty: Emulator, spec: str
) -> None:
    headers, key = fault(f"{spec}*1")

    async def main() -> list[object]:
        async with async_client(faulty, max_retries=2) as client:
            stream = await client.messages.create(**ASK, stream=True, api="converse",
                                                  extra_headers=headers)  # fmt: skip
            return [event async for event in stream]

    assert "Hi there" in _text(asyncio.run(main()))
    assert attempts(faulty, key) == 2


def test_converse_stream_that_delivered_events_is_not_replayed(faulty: Emulator) -> None:
    headers, key = fault("exception-frame@4*1")  # a replay would succeed: it must not happen
    with sync_client(faulty, max_retries=2) as client:
        stream = client.messages.create(**ASK, stream=True, api="converse", extra_headers=headers)
        with pytest.raises(RateLimitError):
            for _ in stream:
                pass
    assert attempts(faulty, key) == 1


CONVERSE = {"modelId": MODEL, "messages": [{"role": "user", "content": [{"text": "Hi there"}]}],
            "inferenceConfig": {"maxTokens": 64}}  # fmt: skip


def _converse_text(events: list[object]) -> str:
    out = []
    for event in events:
        delta = getattr(event, "delta", None)
        if delta is not None and getattr(delta, "text", None):
            out.append(delta.text)
    return "".join(out)


@pytest.mark.parametrize("spec", ["503", "exception-frame@0"])
def test_typed_converse_stream_failing_before_first_event_is_retried(
    faulty: Emulator, spec: str
) -> None:
    headers, key = fault(f"{spec}*1")
    with (
        sync_client(faulty, max_retries=2) as client,
        client.converse.stream(**CONVERSE, extra_headers=headers) as stream,
    ):
        sync_events = list(stream)
    assert "Hi there" in _converse_text(sync_events)
    assert attempts(faulty, key) == 2

    headers, key = fault(f"{spec}*1")

    async def main() -> list[object]:
        async with async_client(faulty, max_retries=2) as client:
            stream = await client.converse.stream(**CONVERSE, extra_headers=headers)
            return [event async for event in stream]

    assert "Hi there" in _converse_text(asyncio.run(main()))
    assert attempts(faulty, key) == 2
