"""Peak RSS and wall time of ``claude-bedrock logs report`` over hostile log objects.

Each scenario is a fresh bucket on a local SeaweedFS holding one valid log object and one
hostile one (issue 17, item 15); the CLI runs as a user runs it, under ``/usr/bin/time``,
killed after ``--timeout`` seconds. Prints one row per scenario: exit code, peak RSS,
seconds, and what the report said about skipped objects and lines.

    .venv/bin/python bench/bench_hostile_logs.py [--only NAME] [--timeout 300]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "cli"))

import hostile_logs as h  # noqa: E402

from s3server import SeaweedS3  # noqa: E402

PREFIX = "hostile"


def scenarios(when: datetime) -> dict[str, Callable[[], bytes]]:
    return {
        "not-gzip": lambda: h.not_gzip(when),
        "truncated": lambda: h.truncated(when),
        "deep-100k": lambda: h.deep_line(when),
        "line-1GiB": lambda: h.one_long_line(h.GIB),
        "short-lines-2GiB": lambda: h.short_lines(2 * h.GIB),
        "blank-lines-2GiB": lambda: h.short_lines(2 * h.GIB, b"\n"),
        "records-2GiB": lambda: h.short_lines(2 * h.GIB, h.record("r", when) + b"\n"),
    }


def run(env: dict[str, str], bucket: str, timeout: float) -> tuple[int | str, int, float, str]:
    with tempfile.NamedTemporaryFile("r", suffix=".time") as stamp:
        cmd = ["/usr/bin/time", "-f", "%M", "-o", stamp.name, sys.executable, "-m",
               "claude_bedrock", "logs", "report", "--bucket", bucket, "--prefix", PREFIX,
               "-o", "json"]  # fmt: skip
        start = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)  # fmt: skip
        try:
            out, err = proc.communicate(timeout=timeout)
            code: int | str = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            out, err = proc.communicate()
            code = f"killed after {timeout:.0f} s"
        seconds = time.monotonic() - start
        text = Path(stamp.name).read_text().split()
        rss_kb = int(text[-1]) if text and text[-1].isdigit() else 0
    summary = err.strip().splitlines()[-1][:120] if err.strip() else ""
    try:
        data = json.loads(out)
        summary = json.dumps({k: data.get(k) for k in ("records", "skipped_lines",
                              "skipped_objects") if k in data})[:300]  # fmt: skip
    except ValueError:
        pass
    return code, rss_kb // 1024, seconds, summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", action="append")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    when = datetime.now(UTC) - timedelta(minutes=5)
    with SeaweedS3() as server:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
               **server.env()}  # fmt: skip
        s3 = server.client()
        for name, build in scenarios(when).items():
            if args.only and name not in args.only:
                continue
            bucket = server.create_bucket("bench")
            body = build()
            s3.put_object(Bucket=bucket, Key=h.key_for(PREFIX, when, "good"),
                          Body=h.gz(h.record("good", when)))  # fmt: skip
            s3.put_object(Bucket=bucket, Key=h.key_for(PREFIX, when, name), Body=body)
            code, rss, seconds, summary = run(env, bucket, args.timeout)
            print(f"{name:<18} object {len(body) / 1e6:7.2f} MB  exit {code}  "
                  f"peak RSS {rss:,} MB  {seconds:6.1f} s  {summary}", flush=True)  # fmt: skip
            server.delete_bucket(bucket)


if __name__ == "__main__":
    main()
