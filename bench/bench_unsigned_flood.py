"""Issue 17, item 3: the emulator's memory and responsiveness under a flood of unsigned
bodies: N clients each POST a 24 MB body with no credentials to InvokeModel, all at once,
writing the whole body as an attacker (or a naive client) would; meanwhile a health check
is timed every 50 ms.

Reports the emulator process's peak RSS (the kernel's VmHWM) and its RSS before the flood,
the health checks' latency (median, max) during the flood, and how many clients got their
403. The emulator runs in its own process (``python -m claude_bedrock serve``), so the
clients' memory is not counted; ``--src`` runs another checkout's code (a before/after).

    python bench/bench_unsigned_flood.py [--clients 100] [--mb 24] [--src /path/to/src]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx


def _rss_kib(pid: int, field: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) if match else 0


def _start(src: str | None) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    command = [sys.executable, "-m", "claude_bedrock", "serve", "--port", "0"]
    command.append("--no-embedded-s3")
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    url = line.strip().rsplit(" ", 1)[-1]
    if not url.startswith("http://"):
        process.kill()
        raise SystemExit(f"emulator did not start: {line!r}")
    return process, url


def _attack(host: str, port: int, body: bytes, statuses: list[int], index: int) -> None:
    head = (
        f"POST /model/anthropic.claude-3-haiku-20240307-v1:0/invoke HTTP/1.1\r\n"
        f"Host: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    try:
        with socket.create_connection((host, port), timeout=120) as sock:
            sock.sendall(head)
            with contextlib.suppress(OSError):  # the server may stop reading once it answered
                sock.sendall(body)
            answer = sock.recv(64)
            statuses[index] = int(answer.split()[1]) if answer.startswith(b"HTTP/1.1") else -1
    except OSError:
        statuses[index] = -2


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--mb", type=int, default=24)
    parser.add_argument("--src", default=None)
    args = parser.parse_args()
    process, url = _start(args.src)
    parsed = httpx.URL(url)
    host, port = parsed.host, parsed.port or 80
    try:
        with httpx.Client(base_url=url, timeout=120) as health:
            health.get("/_emulator/health").raise_for_status()
            time.sleep(0.5)
            idle_kib = _rss_kib(process.pid, "VmRSS")
            latencies: list[float] = []
            stop = threading.Event()

            def probe() -> None:
                while not stop.is_set():
                    started = time.perf_counter()
                    health.get("/_emulator/health").raise_for_status()
                    latencies.append((time.perf_counter() - started) * 1000)
                    time.sleep(0.05)

            prober = threading.Thread(target=probe)
            body = b"x" * (args.mb * 1_000_000)
            statuses = [0] * args.clients
            attackers = [
                threading.Thread(target=_attack, args=(host, port, body, statuses, i))
                for i in range(args.clients)
            ]
            started = time.perf_counter()
            prober.start()
            for thread in attackers:
                thread.start()
            for thread in attackers:
                thread.join()
            elapsed = time.perf_counter() - started
            stop.set()
            prober.join()
            peak_kib = _rss_kib(process.pid, "VmHWM")
    finally:
        process.terminate()
        process.wait(timeout=60)
    answered = {status: statuses.count(status) for status in sorted(set(statuses))}
    print(f"clients={args.clients} body={args.mb} MB src={args.src or 'installed'}")
    print(f"emulator RSS idle {idle_kib / 1024:.0f} MiB, peak {peak_kib / 1024:.0f} MiB")
    print(f"answers by status: {answered}; flood took {elapsed:.1f} s")
    if latencies:
        print(
            f"health check during the flood: {len(latencies)} probes, median "
            f"{statistics.median(latencies):.1f} ms, max {max(latencies):.1f} ms"
        )


if __name__ == "__main__":
    main()
