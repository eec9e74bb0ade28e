"""A 100,000-request Message Batch through the emulator and SeaweedFS: speed and memory.

The whole path is real: ``client.messages.batches.create`` streams the requests into
Bedrock batch input files in S3 (SeaweedFS, started here), the emulator (``claude-bedrock
serve`` in a subprocess, so that this process holds the client alone) runs the jobs, and
``results`` streams one typed result per request back in input order.

Reported: records/s of each phase (create: encode and upload; processing: the emulator's
jobs, wall time from the jobs' start to the last one's end; results: download, reorder,
parse) and the client's peak memory (``tracemalloc``) during create and during results,
for N and N/10 requests (flat memory: the two peaks should be about equal). Timings are
taken without ``tracemalloc`` (it slows Python down 2-3x); peaks in a second, traced run.

    python bench/bench_batch.py [--records 100000] [--per-job 50000]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from claude_bedrock import AnthropicBedrock  # noqa: E402
from claude_bedrock.emulator import Emulator  # noqa: E402
from claude_bedrock.resources.batches import Batches  # noqa: E402
from claude_bedrock.types.batches import MessageBatch  # noqa: E402
from s3server import S3Server, SeaweedS3  # noqa: E402

MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
ROLE = "arn:aws:iam::123456789012:role/BedrockBatch"


def requests(n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        text = f"Classify the sentiment of review number {i}: the product works as described."
        yield {
            "custom_id": f"review-{i}",
            "params": {"max_tokens": 32, "messages": [{"role": "user", "content": text}]},
        }


def batches_for(server: S3Server, emulator: Emulator) -> Batches:
    client = AnthropicBedrock(aws_region="us-east-1", base_url=emulator.url,
                              aws_access_key=server.access_key,
                              aws_secret_key=server.secret_key)  # fmt: skip
    return client.messages.batches.with_s3(endpoint_url=server.endpoint_url)


def wait(batches: Batches, batch: MessageBatch) -> MessageBatch:
    while batch.processing_status != "ended":
        time.sleep(0.25)
        batch = batches.retrieve(batch.id)
    return batch


def run(server: S3Server, emulator: Emulator, bucket: str, n: int, per_job: int,
        traced: bool) -> dict[str, float]:  # fmt: skip
    """One batch: phase times (s) and, when ``traced``, peak traced memory (bytes)."""
    batches = batches_for(server, emulator)
    figures: dict[str, float] = {}
    gc.collect()
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    batch = batches.create(requests=requests(n), bucket=f"s3://{bucket}/bench-{n}", role_arn=ROLE,
                           model=MODEL, records_per_job=per_job)  # fmt: skip
    figures["create_s"] = time.perf_counter() - started
    if traced:
        figures["create_peak"] = tracemalloc.get_traced_memory()[1]
    started = time.perf_counter()
    batch = wait(batches, batch)
    figures["processing_s"] = time.perf_counter() - started
    assert batch.request_counts.succeeded == n, batch.request_counts
    if traced:
        tracemalloc.reset_peak()
    started = time.perf_counter()
    count = 0
    for i, item in enumerate(batches.results(batch.id)):
        assert item.custom_id == f"review-{i}" and item.result.type == "succeeded"
        count += 1
    figures["results_s"] = time.perf_counter() - started
    if traced:
        figures["results_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert count == n
    figures["jobs"] = len(batch.jobs)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--per-job", type=int, default=50_000, help="records per Bedrock job")
    args = parser.parse_args()
    n = args.records
    with SeaweedS3() as server, tempfile.TemporaryDirectory() as folder:
        credentials = Path(folder) / "credentials"
        credentials.write_text(f"[default]\naws_access_key_id = {server.access_key}\n"
                               f"aws_secret_access_key = {server.secret_key}\n")  # fmt: skip
        os.environ["CLAUDE_BEDROCK_EMULATOR_S3_ENDPOINT_URL"] = server.endpoint_url
        os.environ["CLAUDE_BEDROCK_EMULATOR_S3_ACCESS_KEY_ID"] = server.access_key
        os.environ["CLAUDE_BEDROCK_EMULATOR_S3_SECRET_ACCESS_KEY"] = server.secret_key
        with Emulator(subprocess=True, credentials_file=credentials) as emulator:
            bucket = server.create_bucket("bench-batch")
            timed = run(server, emulator, bucket, n, args.per_job, traced=False)
            setting = f"emulator in a subprocess, S3 on SeaweedFS, {os.cpu_count()} CPUs"
            print(f"{n:,} requests in {int(timed['jobs'])} Bedrock job(s) ({setting})")
            for phase in ("create", "processing", "results"):
                seconds = timed[f"{phase}_s"]
                print(f"  {phase:<10} {seconds:7.2f} s  {n / seconds:9,.0f} records/s")
            total = sum(timed[f"{p}_s"] for p in ("create", "processing", "results"))
            print(f"  {'end to end':<10} {total:7.2f} s  {n / total:9,.0f} records/s")
            small = run(server, emulator, bucket, n // 10, args.per_job, traced=True)
            large = run(server, emulator, bucket, n, args.per_job, traced=True)
    print("client peak memory (tracemalloc):")
    for phase in ("create", "results"):
        a, b = small[f"{phase}_peak"], large[f"{phase}_peak"]
        print(f"  {phase:<8} {n // 10:>9,}: {a / 2**20:6.1f} MiB   {n:,}: {b / 2**20:6.1f} MiB"
              f"   ratio {b / a:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
