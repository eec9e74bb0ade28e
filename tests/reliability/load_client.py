"""The client side of ``test_load.py``, in a process of its own (not a test module).

    python load_client.py URL COUNT

Runs COUNT concurrent streaming calls twice against the emulator at URL (the first run
fills the bounded caches) and prints the measured run's figures as one JSON line: how the
calls ended, the emulator's fault report for that run, and what was left behind.

Why a process of its own: its open file descriptors, sockets and traced memory are the
client's and nobody else's. Counted inside pytest's process, they also moved with whatever
another fixture's thread opened or closed meanwhile (a socket closed by another fixture made
a pool test see 9 before, 8 after), which no fix of ours could make deterministic.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import sys
import time
import tracemalloc
from collections import Counter
from typing import Any

import httpx
from faultkit import MODEL, REGION, Remote, fault_report, files, sockets_to

from claude_bedrock import APIError, AsyncAnthropicBedrock
from claude_bedrock.types.message import Message


def prompt(i: int) -> str:
    return f"request {i} emulator:tokens=60"


async def _run(remote: Remote, count: int) -> tuple[list[Any], int]:
    # Read timeout: longer than a stall fault (5 s), so what times out is a fault, not a
    # busy CI machine (2 s turned load into 239 timeouts: a wall-clock threshold).
    client = AsyncAnthropicBedrock(
        aws_access_key=remote.access_key, aws_secret_key=remote.secret_key, aws_region=REGION,
        base_url=remote.url, timeout=httpx.Timeout(30.0, read=10.0),
    )  # fmt: skip
    async with client:

        async def one(i: int) -> Message:
            async with client.messages.stream(
                model=MODEL, max_tokens=256, messages=[{"role": "user", "content": prompt(i)}]
            ) as stream:  # fmt: skip
                return await stream.get_final_message()

        results = await asyncio.gather(*(one(i) for i in range(count)), return_exceptions=True)
        transport = client._sender._transport
        assert transport is not None
        still_open = transport.open_connections() - transport.idle_connections()
    return list(results), still_open


def _complete(message: Message, i: int) -> bool:
    text = "".join(getattr(block, "text", "") for block in message.content)
    return (message.stop_reason == "end_turn" and text.count(f'"{prompt(i)}"') == 1
            and message.usage.output_tokens > 0 and message.request_id is not None)  # fmt: skip


def _classify(results: list[Any]) -> dict[str, Any]:
    completed, incomplete, untyped = 0, [], []
    errors: Counter[str] = Counter()
    for i, result in enumerate(results):
        if isinstance(result, Message):
            if _complete(result, i):
                completed += 1
            else:
                incomplete.append(i)
        elif isinstance(result, APIError):
            errors[type(result).__name__] += 1
        else:
            untyped.append(repr(result)[:200])
    return {"completed": completed, "incomplete": incomplete, "untyped": untyped,
            "errors": dict(errors)}  # fmt: skip


def _delta(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """The emulator's fault report for the measured run only."""
    kinds = {k: n - before["by_kind"].get(k, 0) for k, n in after["by_kind"].items()}
    return {"requests": after["requests"] - before["requests"],
            "injected": after["injected"] - before["injected"],
            "by_kind": {k: n for k, n in kinds.items() if n}}  # fmt: skip


def measure(remote: Remote, count: int) -> dict[str, Any]:
    """The warm-up run, then the measured one with what it left behind."""
    tracemalloc.start()
    warm_up, _ = asyncio.run(_run(remote, count))  # fills caches (see test_load.py)
    warm_untyped = _classify(warm_up)["untyped"]
    del warm_up
    before = fault_report(remote.url)
    gc.collect()
    fds, socks = files(), sockets_to(remote.url)
    baseline = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    started = time.monotonic()
    results, in_use = asyncio.run(_run(remote, count))
    elapsed = time.monotonic() - started
    report = _delta(fault_report(remote.url), before)
    outcomes = _classify(results)
    del results
    gc.collect()
    retained = tracemalloc.get_traced_memory()[0] - baseline
    peak = tracemalloc.get_traced_memory()[1] - baseline
    tracemalloc.stop()
    return {"warm_up_untyped": warm_untyped, "elapsed": elapsed, "report": report,
            "outcomes": outcomes, "in_use": in_use, "leaked_fds": files() - fds,
            "leaked_sockets": sockets_to(remote.url) - socks, "retained": retained,
            "peak": peak}  # fmt: skip


def main() -> None:
    url, count = sys.argv[1], int(sys.argv[2])
    # 1,000s of debug records would be kept by nobody here, but cost time; warnings still show.
    logging.basicConfig(level=logging.WARNING)
    print(json.dumps(measure(Remote(url), count)), flush=True)


if __name__ == "__main__":
    main()
