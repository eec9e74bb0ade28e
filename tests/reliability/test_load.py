"""1,000 concurrent streaming calls through ``AsyncAnthropicBedrock`` against an emulator (own
process) injecting faults into 5% of them: every call ends in a complete message or a typed
error, and afterwards no connection, file descriptor or memory is left behind.

The figures are printed (``pytest -s``) for the closing note: requests, faults injected,
completed, typed errors, leaks.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import tracemalloc
from collections import Counter
from typing import Any

import httpx
from faultkit import MODEL, REGION, Remote, fault_report, faulty_process, files, sockets_to

from claude_bedrock import APIError, AsyncAnthropicBedrock
from claude_bedrock.types.message import Message

CONCURRENCY = 1000
FAULTS = "rate=0.05,seed=20261125"
PACE = 300  # tokens per second per stream: each lasts a while, so the 1,000 overlap
#: Memory our process may keep after the measured run. A first, identical run fills the
#: bounded caches (pydantic-core's JSON key cache, regex and asyncio internals) so that
#: what remains after the second is growth: 1,000 leaked streams would hold megabytes.
MEMORY_SLACK = 256 * 1024


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


def test_a_thousand_concurrent_streams_with_faults(capsys: Any) -> None:
    logger = logging.getLogger("claude_bedrock")
    level = logger.level
    logger.setLevel(logging.WARNING)  # 1,000s of debug records held by pytest would look leaked
    try:
        with faulty_process(FAULTS, pace=PACE) as remote:
            tracemalloc.start()
            warm_up, _ = asyncio.run(_run(remote, CONCURRENCY))  # fills caches (see above)
            assert _classify(warm_up)["untyped"] == []
            del warm_up
            before = fault_report(remote.url)
            gc.collect()
            fds, socks = files(), sockets_to(remote.url)
            baseline = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            started = time.monotonic()
            results, in_use = asyncio.run(_run(remote, CONCURRENCY))
            elapsed = time.monotonic() - started
            report = _delta(fault_report(remote.url), before)
            outcomes = _classify(results)
            del results
            gc.collect()
            retained = tracemalloc.get_traced_memory()[0] - baseline
            peak = tracemalloc.get_traced_memory()[1] - baseline
            tracemalloc.stop()
            leaked_fds, leaked_sockets = files() - fds, sockets_to(remote.url) - socks
    finally:
        logger.setLevel(level)

    with capsys.disabled():
        print(f"\nload: {CONCURRENCY} concurrent streams in {elapsed:.1f} s, faults {FAULTS}\n"
              f"  requests sent (incl. retries): {report['requests']}\n"
              f"  faults injected: {report['injected']} {report['by_kind']}\n"
              f"  completed: {outcomes['completed']}\n"
              f"  typed errors: {sum(outcomes['errors'].values())} {dict(outcomes['errors'])}\n"
              f"  untyped errors: {outcomes['untyped']}, incomplete messages: "
              f"{outcomes['incomplete']}\n"
              f"  leaks: connections {in_use}, fds {leaked_fds}, sockets {leaked_sockets}, "
              f"memory {retained / 1024:.0f} KiB retained (peak {peak / 2**20:.1f} MiB)"
              )  # fmt: skip

    assert outcomes["untyped"] == [] and outcomes["incomplete"] == []
    assert outcomes["completed"] + sum(outcomes["errors"].values()) == CONCURRENCY
    assert report["injected"] > 0 and report["requests"] >= CONCURRENCY
    assert (
        outcomes["completed"] >= CONCURRENCY - report["injected"]
    )  # faults cost at most their own call
    assert (in_use, leaked_fds, leaked_sockets) == (0, 0, 0)
    assert retained < MEMORY_SLACK


def _delta(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """The emulator's fault report for the measured run only."""
    kinds = {k: n - before["by_kind"].get(k, 0) for k, n in after["by_kind"].items()}
    return {"requests": after["requests"] - before["requests"],
            "injected": after["injected"] - before["injected"],
            "by_kind": {k: n for k, n in kinds.items() if n}}  # fmt: skip


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
            "errors": errors}  # fmt: skip
