"""The emulator's own cost per request with quotas off, on (every request admitted), and on
with every request throttled.

Each row sends ``--requests`` InvokeModel calls (Bearer API key, ``--concurrency`` in
flight, httpx) to an emulator in its own process (``Emulator(subprocess=True)``), and reads
that process's CPU time from ``/proc`` before and after: the emulator's CPU per request,
whatever the client costs. Rows: ``off`` (no ``--quotas``), ``admitted`` (``default`` with
limits no run reaches), ``throttled`` (limits every request exceeds: the 429 path).

    python bench/bench_quotas.py [--requests 3000] [--concurrency 16]

A second measurement, ``app_us_per_request``, takes the network out: the emulator's
application (routing, authentication, validation, engine, quotas) called in this process on
a prepared request, settings interleaved over ``--rounds`` rounds, best round kept, so the
machine's other load blurs it less.

Interpretation: the ratio ``admitted / off`` is the quota machinery's overhead per request
(admission, reconciliation, counters, the per-body hash); ``throttled`` is the cost of a
refusal, the path a client without a limiter hammers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from typing import Any

import httpx

from claude_bedrock.emulator import Emulator, EmulatorApp, EmulatorConfig
from claude_bedrock.emulator.auth import CredentialStore
from claude_bedrock.emulator.http_types import Headers, Request

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


def _app_microseconds(spec: str | None, requests: int) -> float:
    """Microseconds per request through the application object, no sockets."""
    store = CredentialStore.default()
    app = EmulatorApp(EmulatorConfig(credentials=store, quotas=spec))
    headers = Headers([("authorization", f"Bearer {store.api_keys[0].token}"),
                       ("content-type", "application/json")])  # fmt: skip
    bodies = [
        json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64,
                    "messages": [{"role": "user", "content": f"request {i}"}]}).encode()
        for i in range(requests)
    ]  # fmt: skip

    async def run() -> float:
        started = time.perf_counter()
        for raw in bodies:
            request = Request("POST", f"/model/{MODEL}/invoke", "", headers, raw,
                              uuid.uuid4().hex, time.monotonic())  # fmt: skip
            response = await app(request)
            assert response.status in (200, 429), response.status
        return (time.perf_counter() - started) * 1e6 / requests

    return asyncio.run(run())


def main() -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        for name, spec in SETTINGS.items():
            micros = _app_microseconds(spec, args.requests)
            best[name] = min(best.get(name, micros), micros)
    for name, micros in best.items():
        ratio = round(micros / best["off"], 3)
        print(json.dumps({"row": name, "app_us_per_request": round(micros, 1), "ratio": ratio}))
    rows = [_row(name, spec, args.requests, args.concurrency) for name, spec in SETTINGS.items()]
    off = rows[0]["cpu_ms_per_request"] or 1e-9
    for row in rows:
        row["ratio_to_off"] = round(row["cpu_ms_per_request"] / off, 2)
        print(json.dumps(row))
    return rows


if __name__ == "__main__":
    main()
