"""Timeouts: connect, read (a slow first byte, a stalled stream) and per call; a timeout is an
``APITimeoutError``, an unreachable server a plain ``APIConnectionError``."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import httpx
import pytest
from faultkit import FULL, MODES, ask, async_client, attempts, create, fault, stream, sync_client

from claude_bedrock import AnthropicBedrock, APIConnectionError, APITimeoutError
from claude_bedrock._request_core import DEFAULT_TIMEOUT
from claude_bedrock.emulator import Emulator
from refusing import refusing_url

#: For calls that only have to time out: a silence is all they meet.
FAST = httpx.Timeout(10.0, read=0.3)
#: For calls where a healthy exchange (a retry, the events before a stall) must get
#: through before the silence: 0.3 s is a healthy first byte's time on a busy CI machine
#: (a reset took 308 ms there, see test_pool.py), so a retry could time out too.
PATIENT = httpx.Timeout(10.0, read=2.0)
#: Every silence lasts far longer than the read timeouts: a client starved for a while
#: still sees the silence, not the answer (or reset) that follows it.
SILENCE = 8


@pytest.mark.parametrize("mode", MODES)
def test_slow_first_byte_times_out_then_is_retried(faulty: Emulator, mode: str) -> None:
    headers, key = fault(f"slow-first-byte={SILENCE}")
    error = create(mode, faulty, headers, timeout=FAST, max_retries=0)
    assert type(error) is APITimeoutError and attempts(faulty, key) == 1
    headers, key = fault(f"slow-first-byte={SILENCE}*1")
    message = create(mode, faulty, headers, timeout=PATIENT, max_retries=1)
    assert message.content[0].text.startswith(FULL) and attempts(faulty, key) == 2


@pytest.mark.parametrize("mode", MODES)
def test_stalled_stream_raises_a_timeout_and_keeps_the_text(faulty: Emulator, mode: str) -> None:
    headers, key = fault(f"stall-stream={SILENCE}@4")
    outcome = stream(mode, faulty, headers, timeout=PATIENT, max_retries=3)
    assert type(outcome.error) is APITimeoutError and outcome.opened
    assert outcome.received and outcome.snapshot == "".join(outcome.received)
    assert attempts(faulty, key) == 1  # content was delivered: never replayed


@pytest.mark.parametrize("mode", MODES)
def test_stall_before_the_first_event_is_retried(faulty: Emulator, mode: str) -> None:
    headers, key = fault(f"stall-stream={SILENCE}@0*1")
    outcome = stream(mode, faulty, headers, timeout=PATIENT, max_retries=1)
    assert outcome.error is None and outcome.text and outcome.text.startswith(FULL)
    assert attempts(faulty, key) == 2


@pytest.mark.parametrize("mode", MODES)
def test_per_call_timeout_overrides_the_clients(faulty: Emulator, mode: str) -> None:
    headers, _ = fault(f"slow-first-byte={SILENCE}")

    async def run() -> Exception:
        async with async_client(faulty, max_retries=0) as client:
            with pytest.raises(APITimeoutError) as caught:
                await client.messages.create(**ask(extra_headers=headers, timeout=0.3))
            return caught.value

    if mode == "async":
        error = asyncio.run(run())
    else:
        with sync_client(faulty, max_retries=0) as client:
            with pytest.raises(APITimeoutError) as caught:
                client.messages.create(**ask(extra_headers=headers, timeout=0.3))
            error = caught.value
    assert "timed out" in str(error)


@pytest.fixture
def unaccepting() -> Iterator[str]:
    """A listening socket whose backlog is full: connecting to it never completes."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):  # the connection completes in the backlog
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    yield f"http://127.0.0.1:{port}"
    for filler in fillers:
        filler.close()
    server.close()


@pytest.fixture
def refused() -> Iterator[str]:
    with refusing_url() as url:  # held for the test: no other server can take the port
        yield url


def _at(url: str, mode: str, timeout: httpx.Timeout) -> Exception:
    options = {
        "aws_access_key": "AKIDTIMEOUT",
        "aws_secret_key": "not-a-real-secret",
        "aws_region": "us-west-2",
        "base_url": url,
        "timeout": timeout,
        "max_retries": 0,
    }

    async def run() -> Exception:
        from claude_bedrock import AsyncAnthropicBedrock

        async with AsyncAnthropicBedrock(**options) as client:  # type: ignore[arg-type]
            try:
                await client.messages.create(**ask())
            except APIConnectionError as exc:
                return exc
        raise AssertionError("the call succeeded")

    if mode == "async":
        return asyncio.run(run())
    with AnthropicBedrock(**options) as client:  # type: ignore[arg-type]
        try:
            client.messages.create(**ask())
        except APIConnectionError as exc:
            return exc
    raise AssertionError("the call succeeded")


@pytest.mark.parametrize("mode", MODES)
def test_connect_timeout_is_a_timeout(unaccepting: str, mode: str) -> None:
    error = _at(unaccepting, mode, httpx.Timeout(10.0, connect=0.2))
    assert type(error) is APITimeoutError


@pytest.mark.parametrize("mode", MODES)
def test_refused_connection_is_not_a_timeout(refused: str, mode: str) -> None:
    # A refusal is immediate: a generous connect timeout keeps a starved client from
    # seeing its timer first.
    error = _at(refused, mode, httpx.Timeout(10.0, connect=5.0))
    assert type(error) is APIConnectionError and "Connect" in str(error)


def test_default_and_float_timeouts(faulty: Emulator) -> None:
    assert httpx.Timeout(600.0, connect=5.0) == DEFAULT_TIMEOUT
    with sync_client(faulty) as client:
        assert client.timeout == DEFAULT_TIMEOUT
    with sync_client(faulty, timeout=12.5) as client:
        assert client.timeout == httpx.Timeout(12.5)
