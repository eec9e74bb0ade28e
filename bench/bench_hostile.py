"""Hostile inputs (issue 17, items 1, 2, 4): the emulator's memory and responsiveness.

Each attack runs against a fresh emulator process (``Emulator(subprocess=True)``) so its
peak RSS is its own. While the attack request is in flight, a probe asks
``/_emulator/health`` again and again; the figures are the attack's status and time, the
slowest health check answered during it (and how many were), and the emulator's peak
RSS (``VmRSS`` sampled every 20 ms) against its RSS before the attack. A health check
still unanswered when the attack ends counts with the time it has waited so far. An attack still
unanswered after ``--timeout`` seconds is cut (the process is killed).

    python bench/bench_hostile.py              # the code on the path
    PYTHONPATH=/tmp/before/src python bench/bench_hostile.py   # another checkout

The payloads are the tests' (``tests/emulator/hostile.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.emulator import hostile  # noqa: E402

from claude_bedrock.emulator import Emulator  # noqa: E402

_INVOKE = f"/model/{hostile.MODEL}/invoke"


def _attacks() -> dict[str, bytes]:
    schemas = hostile.huge_schemas()
    bodies: dict[str, Any] = {
        "tool minItems 1e9": hostile.forced_tool(schemas["minItems"]),
        "tool minLength 1e9": hostile.forced_tool(schemas["minLength"]),
        "tool $ref loop": hostile.forced_tool(schemas["ref loop"]),
        "output_config minItems 1e9": hostile.structured(schemas["minItems"]),
        "PDF 1 page -> 2 MB": hostile.pdf_body(hostile.inflating_pdf(1)),
        "PDF 100 pages -> 2 MB each": hostile.pdf_body(hostile.inflating_pdf(100)),
        "PDF 100,000 pages": hostile.pdf_body(hostile.many_pages_pdf(100_000)),
    }
    raw = {name: json.dumps(body).encode() for name, body in bodies.items()}
    raw["JSON nested 10,000 deep"] = hostile.deep_messages_body()
    raw["lone surrogate"] = hostile.lone_surrogate_body()
    return raw


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _signed(emulator: Emulator, content: bytes) -> dict[str, str]:
    request = AWSRequest(
        method="POST",
        url=emulator.url + _INVOKE,
        data=content,
        headers={"content-type": "application/json"},
    )
    credentials = Credentials(emulator.access_key, emulator.secret_key)
    SigV4Auth(credentials, "bedrock", "us-west-2").add_auth(request)
    return dict(request.headers.items())


def run_one(name: str, content: bytes, timeout: float) -> dict[str, Any]:
    emulator = Emulator(subprocess=True).start()
    process = emulator._process
    assert process is not None
    pid = process.pid
    try:
        httpx.get(emulator.url + "/_emulator/health", timeout=10)
        before = _rss_kib(pid)
        done = threading.Event()
        peak = [before]
        latencies: list[float] = []

        def sample() -> None:
            while not done.wait(0.02):
                try:
                    peak[0] = max(peak[0], _rss_kib(pid))
                except (OSError, ValueError):
                    return

        in_flight = [0.0]

        def probe() -> None:
            while not done.is_set():
                in_flight[0] = started = time.perf_counter()
                try:
                    httpx.get(emulator.url + "/_emulator/health", timeout=timeout + 5)
                except httpx.HTTPError:
                    return
                in_flight[0] = 0.0
                if not done.is_set():
                    latencies.append(time.perf_counter() - started)
                done.wait(0.05)

        threads = [threading.Thread(target=f, daemon=True) for f in (sample, probe)]
        for thread in threads:
            thread.start()
        started = time.perf_counter()
        try:
            response = httpx.post(
                emulator.url + _INVOKE,
                content=content,
                headers=_signed(emulator, content),
                timeout=timeout,
            )
            outcome = f"{response.status_code} {response.headers.get('x-amzn-errortype', '')}"
        except httpx.TimeoutException:
            outcome = f"no answer in {timeout:g} s"
        ended = time.perf_counter()
        elapsed = ended - started
        done.set()
        if in_flight[0]:  # a health check still waiting when the attack ended
            latencies.append(ended - in_flight[0])
        return {
            "attack": name,
            "bytes sent": len(content),
            "outcome": outcome.strip().split(":")[0],
            "attack s": round(elapsed, 2),
            "health checks during": len(latencies),
            "longest health-check wait ms": round(max(latencies) * 1000, 1) if latencies else None,
            "RSS before MiB": round(before / 1024, 1),
            "peak RSS MiB": round(peak[0] / 1024, 1),
        }
    finally:
        if process.poll() is None:
            process.kill()  # an emulator frozen by the attack ignores SIGTERM
        emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--only", help="run only the attacks whose name contains this")
    args = parser.parse_args()
    for name, content in _attacks().items():
        if args.only and args.only not in name:
            continue
        print(json.dumps(run_one(name, content, args.timeout)), flush=True)


if __name__ == "__main__":
    main()
