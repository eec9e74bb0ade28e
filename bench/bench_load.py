"""Throughput and latency under concurrency: the emulator with our async client, with the
official Anthropic SDK's, and with a bare-bones client (the emulator's own floor).

Each row runs ``--requests`` streamed calls (``messages.stream`` read to its final message)
with a fixed number of them in flight (1, 10, 100, 1,000), against one emulator running
in its own process (``Emulator(subprocess=True)``, unpaced, SigV4 for both clients, no
faults). Reported per client and concurrency: requests per second (wall clock), p50 and p99
latency of one call, and errors. The ``raw`` rows are a reference for the emulator's side:
the same requests sent by a hand-rolled asyncio client (Bearer auth, no signing, no event
decoding, a new connection per call, so no pool to manage either).

    python bench/bench_load.py [--levels 1,10,100,1000] [--requests 2000] [--skip-sdk]

Interpretation: the ratios compare our client's throughput and p99 to the SDK's at the same
concurrency (higher throughput, lower p99 is better).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from claude_bedrock.emulator import Emulator

MODEL = "global.anthropic.claude-opus-4-6-v1"
REGION = "us-west-2"


def _messages(i: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"load {i} emulator:tokens=40"}]


Call = Callable[[int], Awaitable[Any]]


async def _drive(call: Call, total: int, concurrency: int) -> tuple[float, list[float], int]:
    """``total`` calls, ``concurrency`` at a time (a closed loop); (wall s, latencies, errors)."""
    latencies: list[float] = []
    errors = 0
    next_index = 0

    async def worker() -> None:
        nonlocal next_index, errors
        while next_index < total:
            i = next_index
            next_index += 1
            started = time.perf_counter()
            try:
                await call(i)
            except Exception:
                errors += 1
                continue
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, errors


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _ours(emu: Emulator, total: int, concurrency: int) -> tuple[float, list[float], int]:
    from claude_bedrock import AsyncAnthropicBedrock

    async with AsyncAnthropicBedrock(aws_region=REGION, base_url=emu.url, max_retries=0,
                                     aws_access_key=emu.access_key,
                                     aws_secret_key=emu.secret_key) as client:  # fmt: skip

        async def call(i: int) -> Any:
            async with client.messages.stream(model=MODEL, max_tokens=256,
                                              messages=_messages(i)) as stream:  # fmt: skip
                return await stream.get_final_message()

        await call(-1)  # warm-up: lazy imports, catalogue, first connection
        return await _drive(call, total, concurrency)


async def _sdk(emu: Emulator, total: int, concurrency: int) -> tuple[float, list[float], int]:
    import anthropic

    client = anthropic.AsyncAnthropicBedrock(aws_region=REGION, base_url=emu.url, max_retries=0,
                                             aws_access_key=emu.access_key,
                                             aws_secret_key=emu.secret_key)  # fmt: skip
    async with client:

        async def call(i: int) -> Any:
            async with client.messages.stream(model=MODEL, max_tokens=256,
                                              messages=_messages(i)) as stream:  # type: ignore[arg-type]  # fmt: skip
                return await stream.get_final_message()

        await call(-1)
        return await _drive(call, total, concurrency)


async def _raw(emu: Emulator, total: int, concurrency: int) -> tuple[float, list[float], int]:
    host, port = emu.url.removeprefix("http://").split(":")
    target = f"/model/{MODEL}/invoke-with-response-stream"

    async def call(i: int) -> None:
        body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 256,
                           "messages": _messages(i)}).encode()  # fmt: skip
        reader, writer = await asyncio.open_connection(host, int(port))
        head = (f"POST {target} HTTP/1.1\r\nhost: {host}:{port}\r\n"
                f"authorization: Bearer {emu.api_key}\r\ncontent-type: application/json\r\n"
                f"content-length: {len(body)}\r\nconnection: close\r\n\r\n")  # fmt: skip
        writer.write(head.encode() + body)
        data = await reader.read()  # to the end of the stream (the server closes)
        writer.close()
        if not data.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(data[:100])

    return await _drive(call, total, concurrency)


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--levels", default="1,10,100,1000")
    parser.add_argument("--requests", type=int, default=2000,
                        help="calls per row (at least the concurrency)")  # fmt: skip
    parser.add_argument("--skip-sdk", action="store_true")
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]
    clients: dict[str, Any] = {"raw": _raw, "ours": _ours}
    if not args.skip_sdk:
        clients["sdk"] = _sdk
    warnings.simplefilter("ignore")  # the SDK warns about its Bedrock API version
    rows: list[dict[str, Any]] = []
    with Emulator(subprocess=True) as emu:
        for level in levels:
            total = max(args.requests, level)
            for name, run in clients.items():
                wall, latencies, errors = asyncio.run(run(emu, total, level))
                rows.append({
                    "concurrency": level, "client": name, "requests": total,
                    "rps": len(latencies) / wall, "errors": errors,
                    "p50_ms": 1000 * _percentile(latencies, 0.5),
                    "p99_ms": 1000 * _percentile(latencies, 0.99),
                })  # fmt: skip
                _print_row(rows[-1])
    _print_ratios(rows)
    return {"load": rows}


def _print_row(row: dict[str, Any]) -> None:
    print(f"{row['concurrency']:>6} {row['client']:>5} {row['requests']:>7} "
          f"{row['rps']:>9.0f} {row['p50_ms']:>9.1f} {row['p99_ms']:>9.1f} {row['errors']:>6}",
          flush=True)  # fmt: skip


def _print_ratios(rows: list[dict[str, Any]]) -> None:
    by = {(r["concurrency"], r["client"]): r for r in rows}
    print("\nours vs the SDK (same emulator, same concurrency):")
    for level in sorted({r["concurrency"] for r in rows}):
        ours, sdk = by.get((level, "ours")), by.get((level, "sdk"))
        if ours and sdk:
            p50, p99 = ours["p50_ms"] / sdk["p50_ms"], ours["p99_ms"] / sdk["p99_ms"]
            print(f"  {level:>5} in flight: throughput x{ours['rps'] / sdk['rps']:.2f}, "
                  f"p50 {p50:.2f}, p99 {p99:.2f}")  # fmt: skip


if __name__ == "__main__":
    print("concurrency client requests   req/s    p50 ms    p99 ms errors")
    main()
