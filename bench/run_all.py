"""`make bench`: every benchmark, one after the other, each in its own interpreter.

Each script compares our client with the official Anthropic SDK and/or boto3 measured in
the same run against the same local server, and prints ratios. ``--quick`` shrinks the
long ones (fewer calls, a smaller batch) for a fast look; the figures quoted in the README
come from the default sizes.

    python bench/run_all.py [--quick] [--only invoke,streaming]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (name, script, default arguments, quick arguments)
BENCHMARKS: list[tuple[str, str, list[str], list[str]]] = [
    ("invoke", "bench_invoke.py", [], ["--calls", "500"]),
    ("cold-start", "bench_cold_start.py", [], ["--runs", "5"]),
    ("streaming", "bench_streaming.py", [], ["--runs", "3"]),
    ("mantle", "bench_mantle.py", [], ["--runs", "3", "--calls", "300"]),
    ("eventstream", "bench_eventstream.py", [], ["--repeat", "2"]),
    ("signing", "bench_signing.py", [], []),
    ("memory-1m", "bench_memory_1m.py", [], ["--tokens", "300000"]),
    ("load", "bench_load.py", [], ["--levels", "1,10,100", "--requests", "500"]),
    ("batch", "bench_batch.py", [], ["--records", "10000"]),
    ("throughput", "bench_throughput.py", [], ["--requests", "1000", "--skip-kill"]),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, faster")
    parser.add_argument(
        "--only", help="comma-separated names: " + ", ".join(b[0] for b in BENCHMARKS)
    )
    args = parser.parse_args()
    wanted = set(args.only.split(",")) if args.only else None
    failed = []
    for name, script, full, quick in BENCHMARKS:
        if wanted is not None and name not in wanted:
            continue
        path = HERE / script
        if not path.exists():
            print(f"== {name}: {script} not present, skipped")
            continue
        print(f"\n== {name} ({script})", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(path), *(quick if args.quick else full)])
        print(f"-- {name}: {time.perf_counter() - started:.1f} s, exit {result.returncode}")
        if result.returncode != 0:
            failed.append(name)
    if failed:
        print("failed:", ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
