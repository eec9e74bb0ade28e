"""1,000 concurrent streaming calls through ``AsyncAnthropicBedrock`` against an emulator (own
process) injecting faults into 5% of them: every call ends in a complete message or a typed
error, and afterwards no connection, file descriptor or memory is left behind. The client
runs in a process of its own too (``load_client.py``), so what is counted is its own.

The figures are printed (``pytest -s``) for the closing note: requests, faults injected,
completed, typed errors, leaks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from faultkit import faulty_process

CONCURRENCY = 1000
FAULTS = "rate=0.05,seed=20261125"
PACE = 300  # tokens per second per stream: each lasts a while, so the 1,000 overlap
#: Memory the client's process may keep after the measured run. A first, identical run
#: fills the bounded caches (pydantic-core's JSON key cache, regex and asyncio internals) so
#: that what remains after the second is growth: 1,000 leaked streams would hold megabytes.
MEMORY_SLACK = 256 * 1024
#: The client side runs in a process of its own, whose descriptors, sockets and memory are
#: the client's only (see load_client.py: counted in pytest's process, they also moved with
#: other fixtures' threads).
CLIENT = Path(__file__).with_name("load_client.py")


def test_a_thousand_concurrent_streams_with_faults(capsys: Any) -> None:
    with faulty_process(FAULTS, pace=PACE) as remote:
        ran = subprocess.run(
            [sys.executable, str(CLIENT), remote.url, str(CONCURRENCY)],
            capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-4000:]
    figures: dict[str, Any] = json.loads(ran.stdout.splitlines()[-1])
    report, outcomes = figures["report"], figures["outcomes"]

    with capsys.disabled():
        print(f"\nload: {CONCURRENCY} concurrent streams in {figures['elapsed']:.1f} s, "
              f"faults {FAULTS}\n"
              f"  requests sent (incl. retries): {report['requests']}\n"
              f"  faults injected: {report['injected']} {report['by_kind']}\n"
              f"  completed: {outcomes['completed']}\n"
              f"  typed errors: {sum(outcomes['errors'].values())} {outcomes['errors']}\n"
              f"  untyped errors: {outcomes['untyped']}, incomplete messages: "
              f"{outcomes['incomplete']}\n"
              f"  leaks: connections {figures['in_use']}, fds {figures['leaked_fds']}, "
              f"sockets {figures['leaked_sockets']}, memory {figures['retained'] / 1024:.0f} "
              f"KiB retained (peak {figures['peak'] / 2**20:.1f} MiB)"
              )  # fmt: skip

    assert figures["warm_up_untyped"] == []
    assert outcomes["untyped"] == [] and outcomes["incomplete"] == []
    assert outcomes["completed"] + sum(outcomes["errors"].values()) == CONCURRENCY
    assert report["injected"] > 0 and report["requests"] >= CONCURRENCY
    assert (
        outcomes["completed"] >= CONCURRENCY - report["injected"]
    )  # faults cost at most their own call
    assert (figures["in_use"], figures["leaked_fds"], figures["leaked_sockets"]) == (0, 0, 0)
    assert figures["retained"] < MEMORY_SLACK
