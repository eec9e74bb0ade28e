"""The emulator's own cost per request with quotas off, on (every request admitted), and on
with every request throttled.

Each row sends ``--requests`` InvokeModel calls (Bearer API key, ``--concurrency`` in
flight, httpx) to an emulator in its own process (``Emulator(subprocess=True)``), and reads
that process's CPU time from ``/proc`` before and after: the emulator's CPU per request,
whatever the client costs. Rows: ``off`` (no ``--quotas``), ``admitted`` (``default`` with
limits no run reaches), ``throttled`` (limits every request exceeds: the 429 path).

    python bench/bench_quotas.py [--requests 3000] [--concurrency 16]

Interpretation: the ratio ``admitted / off`` is the quota machinery's overhead per request
(admission, reconciliation, counters, the per-body hash); ``throttled`` is the cost of a
refusal, the path a client without a limiter hammers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from typing import Any

import httpx

from claude_bedrock.emulator import Emulator

MODEL = "us.anthropic.claude-opus-4-8"
SETTINGS = {
    "off": None,
    "admitted": "default,tpm=1000000000000,rpm=1000000000",
    "throttled": "default,tpm=10",
}


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


async def _send(url: str, key: str, total: int, concurrency: int) -> dict[int, int]:
    statuses: dict[int, int] = {}
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits,
                                 timeout=30) as client:  # fmt: skip
        queue = iter(range(total))

        async def worker() -> None:
            for i in queue:
                body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64,
                        "messages": [{"role": "user", "content": f"request {i}"}]}  # fmt: skip
                response = await client.post(f"/model/{MODEL}/invoke", content=json.dumps(body))
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return statuses


def _row(name: str, spec: str | None, total: int, concurrency: int) -> dict[str, Any]:
    with Emulator(subprocess=True, quotas=spec) as emulator:
        assert emulator._process is not None
        pid = emulator._process.pid
        asyncio.run(_send(emulator.url, emulator.api_key, 200, concurrency))  # warm up
        before = _cpu_seconds(pid)
        statuses = asyncio.run(_send(emulator.url, emulator.api_key, total, concurrency))
        cpu = _cpu_seconds(pid) - before
    return {"row": name, "cpu_ms_per_request": round(cpu * 1000 / total, 3), "statuses": statuses}


def main() -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    rows = [_row(name, spec, args.requests, args.concurrency) for name, spec in SETTINGS.items()]
    off = rows[0]["cpu_ms_per_request"] or 1e-9
    for row in rows:
        row["ratio_to_off"] = round(row["cpu_ms_per_request"] / off, 2)
        print(json.dumps(row))
    return rows


if __name__ == "__main__":
    main()
