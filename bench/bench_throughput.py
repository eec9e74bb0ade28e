"""Throughput under a Bedrock quota: our bulk runner (adaptive) against the official SDK
and against ours at a fixed concurrency, on one emulator enforcing the same quota.

The emulator runs in its own process with ``--quotas`` (by default 400,000 tokens and 200
requests per quota "minute" for every model, the minute scaled down to ``--window``
seconds so a run takes a minute or two; output tokens burn the quota five times, as
Bedrock counts Claude 4 and later). Each client sends the same ``--requests`` calls of
mixed sizes (input 40-1,500 words, output 10-300 tokens, ``max_tokens`` 256-1,024), the
buckets refilled and the counters zeroed before each:

* **ours**: ``AsyncAnthropicBedrock.messages.create_many`` (the adaptive limiter);
* **sdk-64**: the official ``anthropic.AsyncAnthropicBedrock``, ``asyncio.gather`` with 64
  calls in flight, its default retries (2);
* **ours-64**: ours with ``concurrency=64`` (no limiter), default retries.

Reported: the share of the quota's theoretical maximum the run used (from the emulator's
own counters: quota tokens burned over what the bucket held plus every refill during the
run, and the same for requests: whichever quota binds), failed records, throttled answers,
p50/p99 latency of one call (from its start to its result, retries and limiter waits
included), wall time. Then ``claude-bedrock run`` is killed with SIGKILL half-way and run
again: the results file must hold every record exactly once, and the emulator must have
admitted, during the rerun, only the records not yet written.

    python bench/bench_throughput.py [--requests 5000] [--window 3] [--skip-kill]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from claude_bedrock.emulator import Emulator

MODEL = "global.anthropic.claude-opus-4-6-v1"
REGION = "us-west-2"
WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
]


def _requests(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` create keyword sets of mixed sizes (seeded: every client sends the same)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 1500)))
        tokens = rng.randint(10, 300)
        out.append({
            "model": MODEL, "max_tokens": rng.choice((256, 512, 1024)),
            "messages": [{"role": "user", "content": f"r{i} {words} emulator:tokens={tokens}"}],
            "extra_headers": {"x-emulator-request-key": f"r{i}"},
        })  # fmt: skip
    return out


def _share(emu: Emulator) -> tuple[float, dict[str, Any]]:
    """The run's share of the quota's theoretical maximum (the binding quota's)."""
    stats = emu.quota_stats()
    shares = []
    totals = stats["totals"]
    for bucket in stats["buckets"]:
        if bucket.get("model") and "tpm" in bucket and bucket["tpm"]["ceiling"]:
            shares.append(totals.get("quota_tokens", 0) / bucket["tpm"]["ceiling"])
        if bucket.get("model") and "rpm" in bucket and bucket["rpm"]["ceiling"]:
            shares.append(totals.get("admitted", 0) / bucket["rpm"]["ceiling"])
    return (max(shares) if shares else float("nan")), totals


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _ours(emu: Emulator, requests: list[dict[str, Any]], fixed: int | None) -> dict[str, Any]:
    from claude_bedrock import AsyncAnthropicBedrock

    latencies: list[float] = []
    failed = 0
    async with AsyncAnthropicBedrock(aws_region=REGION, base_url=emu.url,
                                     aws_access_key=emu.access_key,
                                     aws_secret_key=emu.secret_key) as client:  # fmt: skip
        async for result in client.messages.create_many(requests, concurrency=fixed):
            latencies.append(result.elapsed or 0.0)
            failed += result.result.type != "succeeded"
    return {"latencies": latencies, "failed": failed}


async def _sdk(emu: Emulator, requests: list[dict[str, Any]], concurrency: int) -> dict[str, Any]:
    import anthropic

    latencies: list[float] = []
    failed = 0
    gate = asyncio.Semaphore(concurrency)
    client = anthropic.AsyncAnthropicBedrock(aws_region=REGION, base_url=emu.url,
                                             aws_access_key=emu.access_key,
                                             aws_secret_key=emu.secret_key)  # fmt: skip

    async def one(kwargs: dict[str, Any]) -> None:
        nonlocal failed
        async with gate:
            started = time.perf_counter()
            try:
                await client.messages.create(**kwargs)
            except anthropic.APIError:
                failed += 1
                return
            latencies.append(time.perf_counter() - started)

    try:
        await asyncio.gather(*(one(r) for r in requests))
    finally:
        await client.close()
    return {"latencies": latencies, "failed": failed}


def _row(name: str, emu: Emulator, run: Any) -> dict[str, Any]:
    emu.reset_quotas()
    started = time.perf_counter()
    outcome = asyncio.run(run)
    wall = time.perf_counter() - started
    share, totals = _share(emu)
    row = {
        "client": name, "share_of_quota": share, "failed": outcome["failed"],
        "throttled": totals.get("throttled", 0), "p50": _pct(outcome["latencies"], 0.5),
        "p99": _pct(outcome["latencies"], 0.99), "wall_s": wall,
    }  # fmt: skip
    print(
        f"{name:8} quota used {share:6.1%}  failed {row['failed']:5}  throttled "
        f"{row['throttled']:6}  p50 {row['p50']:6.2f} s  p99 {row['p99']:6.2f} s  "
        f"wall {wall:6.1f} s",
        flush=True,
    )
    return row


def _kill_and_resume(emu: Emulator, n: int) -> dict[str, Any]:
    """``claude-bedrock run`` killed half-way (SIGKILL), then run again to the end."""
    emu.reset_quotas()
    work = Path(tempfile.mkdtemp(prefix="bench-run-"))
    prompts, out = work / "p.jsonl", work / "r.jsonl"
    with prompts.open("w") as handle:
        for i, r in enumerate(_requests(n, seed=11)):
            prompt = r["messages"][0]["content"]
            handle.write(json.dumps({"custom_id": f"q{i}", "prompt": prompt,
                                     "max_tokens": r["max_tokens"]}) + "\n")  # fmt: skip
    env = {**os.environ, "AWS_ENDPOINT_URL": emu.url, "AWS_ACCESS_KEY_ID": emu.access_key,
           "AWS_SECRET_ACCESS_KEY": emu.secret_key, "AWS_REGION": REGION}  # fmt: skip
    args = [sys.executable, "-m", "claude_bedrock", "run", str(prompts), "-m", MODEL,
            "-o", str(out), "--yes"]  # fmt: skip
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while proc.poll() is None and (not out.exists() or len(out.read_bytes().splitlines()) < n // 2):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    written = len(out.read_bytes().splitlines())
    before = emu.quota_stats()["totals"]["admitted"]
    subprocess.run([*args, "--output", "json"], env=env, check=False, capture_output=True)
    admitted_rerun = emu.quota_stats()["totals"]["admitted"] - before
    ids = [json.loads(line)["custom_id"] for line in out.read_bytes().splitlines()]
    result = {
        "written_before_kill": written, "lines": len(ids), "unique": len(set(ids)),
        "admitted_in_rerun": admitted_rerun, "expected_in_rerun": n - written,
    }  # fmt: skip
    ok = len(ids) == len(set(ids)) == n and admitted_rerun == n - written
    print(
        f"kill -9 after {written} of {n} records, rerun: {len(ids)} lines ({len(set(ids))} "
        f"unique); the rerun sent {admitted_rerun} records, {n - written} were missing: "
        f"{'OK' if ok else 'MISMATCH'}",
        flush=True,
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--window", type=float, default=3.0, help="seconds per quota minute")
    parser.add_argument("--tpm", type=int, default=400_000)
    parser.add_argument("--rpm", type=int, default=200)
    parser.add_argument("--skip-sdk", action="store_true")
    parser.add_argument("--skip-kill", action="store_true")
    parser.add_argument("--json", action="store_true", help="also print the rows as JSON")
    args = parser.parse_args()
    spec = f"default,window={args.window:g},tpm={args.tpm},rpm={args.rpm},seed=7"
    requests = _requests(args.requests)
    print(f"{args.requests} requests, quota {args.tpm:,} tokens and {args.rpm} requests per "
          f"{args.window:g} s window (--quotas {spec})", flush=True)  # fmt: skip
    rows = []
    with Emulator(subprocess=True, quotas=spec) as emu:
        rows.append(_row("ours", emu, _ours(emu, requests, None)))
        if not args.skip_sdk:
            rows.append(_row("sdk-64", emu, _sdk(emu, requests, 64)))
        rows.append(_row("ours-64", emu, _ours(emu, requests, 64)))
        kill = None if args.skip_kill else _kill_and_resume(emu, args.requests)
    ours = rows[0]
    for other in rows[1:]:
        used = ours["share_of_quota"] / max(other["share_of_quota"], 1e-9)
        print(
            f"ours vs {other['client']}: quota used x{used:.2f}, failed {ours['failed']} vs "
            f"{other['failed']}, throttled answers {ours['throttled']} vs {other['throttled']}, "
            f"p99 {ours['p99']:.2f} s vs {other['p99']:.2f} s"
        )
    if args.json:
        print(json.dumps({"rows": rows, "kill": kill}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
