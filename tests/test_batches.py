"""``client.messages.batches`` and ``claude-bedrock batch`` end to end.

The stack is real: the emulator runs in a subprocess (so that ``tracemalloc`` in this
process sees the client alone), writes through SeaweedFS (``s3_server``), and accepts
the SeaweedFS key pair, so one identity works for Bedrock and S3 as it does on AWS.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_bedrock import AnthropicBedrock, AsyncAnthropicBedrock
from claude_bedrock._exceptions import ClientValidationError
from claude_bedrock.catalog import Catalog, cost
from claude_bedrock.emulator import Emulator
from claude_bedrock.emulator.batch import PACE_TAG
from claude_bedrock.resources._batch_common import read_manifest
from claude_bedrock.resources._batch_layout import BatchRef, decode_batch_id, encode_batch_id
from claude_bedrock.resources._batch_results import iter_results
from claude_bedrock.resources._batch_write import BatchWriter, Limits
from claude_bedrock.resources.batches import (
    Batches,
    BatchNotEndedError,
    BatchTooSmallError,
)
from claude_bedrock.types.batches import MessageBatch

OPUS = "global.anthropic.claude-opus-4-6-v1"
HAIKU = "claude-haiku-4-5"
HAIKU_ID = "anthropic.claude-haiku-4-5-20251001-v1:0"
ROLE = "arn:aws:iam::123456789012:role/BedrockBatch"


@dataclass
class Stack:
    emulator: Emulator
    s3: Any  # tests/s3server.S3Server

    def client(self) -> AnthropicBedrock:
        return AnthropicBedrock(
            aws_region="us-east-1",
            base_url=self.emulator.url,
            aws_access_key=self.s3.access_key,
            aws_secret_key=self.s3.secret_key,
        )

    def batches(self) -> Batches:
        return self.client().messages.batches.with_s3(endpoint_url=self.s3.endpoint_url)

    def env(self) -> dict[str, str]:
        """A subprocess environment reaching both servers with the one identity."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(self.s3.env())
        env["AWS_ENDPOINT_URL"] = self.emulator.url
        return env


@pytest.fixture(scope="module")
def stack(s3_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("batch-emulator")
    credentials = folder / "credentials"
    credentials.write_text(
        f"[default]\naws_access_key_id = {s3_server.access_key}\n"
        f"aws_secret_access_key = {s3_server.secret_key}\n"
    )
    emulator = Emulator(subprocess=True, credentials_file=credentials)
    with pytest.MonkeyPatch.context() as patch:  # the subprocess inherits these
        patch.setenv("CLAUDE_BEDROCK_EMULATOR_S3_ENDPOINT_URL", s3_server.endpoint_url)
        patch.setenv("CLAUDE_BEDROCK_EMULATOR_S3_ACCESS_KEY_ID", s3_server.access_key)
        patch.setenv("CLAUDE_BEDROCK_EMULATOR_S3_SECRET_ACCESS_KEY", s3_server.secret_key)
        emulator.start()
    try:
        yield Stack(emulator, s3_server)
    finally:
        emulator.stop()


def requests(n: int, *, bad_every: int = 0, unknown_every: int = 0) -> Iterator[dict[str, Any]]:
    """``n`` requests over two models; some refused by Bedrock, some by the client."""
    for i in range(n):
        params: dict[str, Any] = {
            "max_tokens": 16,
            "messages": [{"role": "user", "content": f"prompt {i}"}],
        }
        if i % 3 == 0:
            params["model"] = HAIKU
        if bad_every and i % bad_every == 1:
            params["temperature"] = 5.0  # over Bedrock's limit: an error record
        if unknown_every and i % unknown_every == 2:
            # not a Bedrock model ID at all (a space): refused by the client before sending
            params["model"] = "no such-model"
        yield {"custom_id": f"req-{i}", "params": params}


def wait_ended(batches: Batches, batch: MessageBatch, timeout: float = 300.0) -> MessageBatch:
    deadline = time.monotonic() + timeout
    while batch.processing_status != "ended" and time.monotonic() < deadline:
        time.sleep(0.2)
        batch = batches.retrieve(batch.id)
    return batch


def check_results(batches: Batches, batch: MessageBatch, n: int, bad: int, unknown: int) -> None:
    """Every request's result once, in order, with the outcome its request called for."""
    seen = 0
    for i, item in enumerate(batches.results(batch.id)):
        assert item.custom_id == f"req-{i}"
        result = item.result
        if unknown and i % unknown == 2:
            assert result.type == "errored"
            assert result.error.error.type == "invalid_request_error"
            assert "no such-model" in result.error.error.message
        elif bad and i % bad == 1:
            assert result.type == "errored"
            assert result.error.error.bedrock_error_code == 400
            assert "temperature" in result.error.error.message
        else:
            assert result.type == "succeeded"
            assert f'"prompt {i}"' in result.message.content[0].text  # the engine echoes it
            expected = "claude-haiku-4-5-20251001" if i % 3 == 0 else "claude-opus-4-6"
            assert result.message.model == expected
            assert result.message._cost is not None and result.message._cost.batch
        seen += 1
    assert seen == n


def test_ten_thousand_round_trip(stack: Stack, s3_bucket: str) -> None:
    batches = stack.batches()
    n, bad, unknown = 10_000, 97, 251
    batch = batches.create(
        requests=requests(n, bad_every=bad, unknown_every=unknown),
        bucket=f"s3://{s3_bucket}/runs",
        role_arn=ROLE,
        model=OPUS,
        records_per_job=2_500,
    )
    assert batch.total == n and batch.processing_status == "in_progress"
    # Split by model and by the per-job limit; no job under Bedrock's minimum.
    assert {job.model_id for job in batch.jobs} == {OPUS, "global." + HAIKU_ID}
    assert all(100 <= (job.records or 0) <= 2_500 for job in batch.jobs)
    local = len(range(2, n, unknown))
    assert sum(job.records or 0 for job in batch.jobs) == n - local
    batch = wait_ended(batches, batch)
    failed = len([i for i in range(1, n, bad) if (i - 2) % unknown])
    assert batch.bedrock_status == "PartiallyCompleted"
    assert batch.request_counts.errored == failed + local
    assert batch.request_counts.succeeded == n - failed - local
    assert batch.processed == n and batch.results_url == f"s3://{s3_bucket}/{_folder(batch)}output/"
    check_results(batches, batch, n, bad, unknown)


def _folder(batch: MessageBatch) -> str:
    return decode_batch_id(batch.id).folder


def _peaks(stack: Stack, bucket: str, n: int) -> tuple[int, int]:
    """The client's peak traced memory during create, then during results."""
    batches = stack.batches()
    gc.collect()
    tracemalloc.start()
    try:
        batch = batches.create(requests=requests(n), bucket=f"s3://{bucket}/mem-{n}",
                               role_arn=ROLE, model=OPUS)  # fmt: skip
        create_peak = tracemalloc.get_traced_memory()[1]
        batch = wait_ended(batches, batch)
        assert batch.request_counts.succeeded == n
        tracemalloc.reset_peak()
        count = sum(1 for _ in batches.results(batch.id))
        results_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == n
    return create_peak, results_peak


def test_client_memory_is_flat_from_10k_to_100k(stack: Stack, s3_bucket: str) -> None:
    small = _peaks(stack, s3_bucket, 10_000)
    large = _peaks(stack, s3_bucket, 100_000)
    print(f"\npeak MB create/results: 10k {small[0] / 1e6:.1f}/{small[1] / 1e6:.1f}, "
          f"100k {large[0] / 1e6:.1f}/{large[1] / 1e6:.1f}")  # fmt: skip
    assert large[0] <= 2 * small[0]
    assert large[1] <= 2 * small[1]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    counts=st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=3),
    least=st.integers(min_value=1, max_value=6),
    extra=st.integers(min_value=0, max_value=10),
    data=st.data(),
)
def test_jobs_stay_within_limits(
    stack: Stack, s3_bucket: str, counts: list[int], least: int, extra: int, data: st.DataObject
) -> None:
    """However many requests per model, in whatever order, every job has between the
    minimum and the maximum records (or the batch is refused as too small)."""
    client = stack.client()
    s3 = client.messages.batches.with_s3(endpoint_url=stack.s3.endpoint_url)._s3.client()
    limits = Limits(max_records=2 * least + extra, min_records=least, max_file_bytes=10**9)
    models = [OPUS, HAIKU, "claude-sonnet-4-5"][: len(counts)]
    order = data.draw(st.permutations([m for m, c in zip(models, counts, strict=True)
                                       for _ in range(c)]))  # fmt: skip
    writer = BatchWriter(client._core, s3, BatchRef(s3_bucket, f"lim-{time.monotonic_ns()}/"),
                         limits, None)  # fmt: skip
    message = [{"role": "user", "content": "x"}]
    for i, model in enumerate(order):
        writer.add({"custom_id": f"r{i}",
                    "params": {"model": model, "max_tokens": 4, "messages": message}})  # fmt: skip
    try:
        if any(0 < count < least for count in counts):
            with pytest.raises(BatchTooSmallError):
                writer.finish()
            return
        jobs = writer.finish()
    finally:
        writer.abort()
    for count, model in zip(counts, models, strict=True):
        model_id = client._core.resolve_model(model).model_id
        sizes = [job.records for job in jobs if job.model_id == model_id]
        assert sum(sizes) == count
        assert all(least <= size <= limits.max_records for size in sizes)


def test_shuffled_output_comes_back_in_input_order(stack: Stack, s3_bucket: str) -> None:
    """Bedrock does not promise output order: results reorder (spilling to disk if big)."""
    batches = stack.batches()
    batch = wait_ended(batches, batches.create(requests=requests(300), bucket=s3_bucket,
                                               role_arn=ROLE, model=OPUS))  # fmt: skip
    s3 = batches._s3.client()
    for job in batch.jobs:
        prefix = f"{_folder(batch)}output/{job.job_id}/"
        key = next(o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, Prefix=prefix)["Contents"]
                   if o["Key"].endswith(".jsonl.out"))  # fmt: skip
        lines = s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read().splitlines()
        s3.put_object(Bucket=s3_bucket, Key=key, Body=b"\n".join(lines[::-1]) + b"\n")
    manifest = read_manifest(s3, decode_batch_id(batch.id))
    client = stack.client()
    items = list(iter_results(client._core, s3, manifest, batch.jobs, park_bytes=2_000))
    assert [item.custom_id for item in items] == [f"req-{i}" for i in range(300)]
    assert all(f'"prompt {i}"' in item.result.message.content[0].text  # type: ignore[union-attr]
               for i, item in enumerate(items))  # fmt: skip


def test_cancel_mid_batch(stack: Stack, s3_bucket: str) -> None:
    batches = stack.batches()
    # 10 s of work (was 2.7 s at 150 a second): the pace is wall-clock sleeps that load does
    # not lengthen, while the polling and the cancel below slow down on a busy machine.
    batch = batches.create(requests=requests(400), bucket=s3_bucket, role_arn=ROLE, model=OPUS,
                           tags={PACE_TAG: "40"})  # fmt: skip
    deadline = time.monotonic() + 60
    while batch.processed == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
        batch = batches.retrieve(batch.id)
    with pytest.raises(BatchNotEndedError):
        batches.results(batch.id)
    batch = batches.cancel(batch.id)
    assert batch.processing_status in {"canceling", "ended"}
    batch = wait_ended(batches, batch)
    assert batch.bedrock_status == "Stopped"
    counts = batch.request_counts
    assert counts.canceled > 0 and counts.succeeded > 0
    assert counts.succeeded + counts.canceled == 400
    kinds = [item.result.type for item in batches.results(batch.id)]
    assert len(kinds) == 400
    assert kinds.count("canceled") == counts.canceled


def test_async_client_with_async_iterable(stack: Stack, s3_bucket: str) -> None:
    async def source() -> AsyncIterator[dict[str, Any]]:
        for request in requests(400, bad_every=50):
            yield request

    async def main() -> tuple[MessageBatch, list[str]]:
        client = AsyncAnthropicBedrock(aws_region="us-east-1", base_url=stack.emulator.url,
                                       aws_access_key=stack.s3.access_key,
                                       aws_secret_key=stack.s3.secret_key)  # fmt: skip
        batches = client.messages.batches.with_s3(endpoint_url=stack.s3.endpoint_url)
        batch = await batches.create(requests=source(), bucket=s3_bucket, role_arn=ROLE,
                                     model=OPUS)  # fmt: skip
        while batch.processing_status != "ended":
            await asyncio.sleep(0.1)
            batch = await batches.retrieve(batch.id)
        ids = [item.custom_id async for item in await batches.results(batch.id)]
        assert [b.id for b in await batches.list(limit=50)].count(batch.id) == 1
        await client.close()
        return batch, ids

    batch, ids = asyncio.run(main())
    assert ids == [f"req-{i}" for i in range(400)]
    assert batch.request_counts.errored == len(range(1, 400, 50))


class ManifestRefused(Exception):
    """Raised by a botocore hook: S3 refusing the manifest, the last step of ``create``."""


def s3_refusing_the_manifest(stack: Stack) -> Any:
    """A real S3 client whose PutObject of a batch manifest fails (a botocore event hook)."""

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if params.get("Key", "").endswith("/batch.json"):
            raise ManifestRefused(params["Key"])

    s3 = stack.s3.client()
    s3.meta.events.register("before-parameter-build.s3.PutObject", refuse)
    return s3


def jobs_in(stack: Stack, bucket: str) -> list[dict[str, Any]]:
    """The emulator's jobs reading from ``bucket``, as boto3 lists them."""
    import boto3

    bedrock = boto3.client("bedrock", region_name="us-east-1", endpoint_url=stack.emulator.url,
                           aws_access_key_id=stack.s3.access_key,
                           aws_secret_access_key=stack.s3.secret_key)  # fmt: skip
    summaries = bedrock.list_model_invocation_jobs(maxResults=1000)["invocationJobSummaries"]
    prefix = f"s3://{bucket}/"
    return [
        job
        for job in summaries
        if job["inputDataConfig"]["s3InputDataConfig"]["s3Uri"].startswith(prefix)
    ]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_failed_create_stops_the_jobs_it_started(stack: Stack, s3_bucket: str, kind: str) -> None:
    """Two jobs are created, then the manifest cannot be written: both jobs are stopped and
    the error reaches the caller (the flow's clean-up runs under both drivers)."""
    options: dict[str, Any] = {
        "bucket": s3_bucket, "role_arn": ROLE, "model": OPUS, "tags": {PACE_TAG: "5"}
    }  # fmt: skip
    s3 = s3_refusing_the_manifest(stack)
    if kind == "sync":
        batches = stack.client().messages.batches.with_s3(client=s3)
        with pytest.raises(ManifestRefused):
            batches.create(requests=requests(400), **options)
    else:

        async def main() -> None:
            client = AsyncAnthropicBedrock(aws_region="us-east-1", base_url=stack.emulator.url,
                                           aws_access_key=stack.s3.access_key,
                                           aws_secret_key=stack.s3.secret_key)  # fmt: skip
            try:
                batches = client.messages.batches.with_s3(client=s3)
                await batches.create(requests=requests(400), **options)
            finally:
                await client.close()

        with pytest.raises(ManifestRefused):
            asyncio.run(main())
    jobs = jobs_in(stack, s3_bucket)
    assert sorted(job["modelId"] for job in jobs) == [f"global.{HAIKU_ID}", OPUS]
    assert {job["status"] for job in jobs} <= {"Stopping", "Stopped"}


def test_small_batches_are_refused_and_leave_nothing(stack: Stack, s3_bucket: str) -> None:
    batches = stack.batches()
    with pytest.raises(BatchTooSmallError, match="at least 100 records"):
        # 150 requests, of which 50 for Haiku: too few for a Haiku job
        batches.create(requests=requests(150), bucket=f"s3://{s3_bucket}/small", role_arn=ROLE,
                       model=OPUS)  # fmt: skip
    listed = batches._s3.client().list_objects_v2(Bucket=s3_bucket, Prefix="small/")
    assert listed.get("KeyCount", 0) == 0
    with pytest.raises(ClientValidationError, match="role"):
        batches.create(requests=requests(300), bucket=s3_bucket, role_arn="me", model=OPUS)
    with pytest.raises(ClientValidationError, match="custom_id"):
        batches.create(requests=[{"custom_id": "has space", "params": {}}], bucket=s3_bucket,
                       role_arn=ROLE)  # fmt: skip


def test_environment_endpoint_list_and_ids(
    stack: Stack, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", stack.s3.endpoint_url)
    batches = stack.client().messages.batches  # S3 found through the environment
    batch = batches.create(requests=requests(300), bucket=s3_bucket, prefix="by/env",
                           role_arn=ROLE, model=OPUS)  # fmt: skip
    assert _folder(batch).startswith("by/env/")
    assert batch.id in [b.id for b in batches.list(limit=50)]
    uri = f"s3://{s3_bucket}/{_folder(batch)}"
    assert batches.retrieve(uri).id == batch.id == encode_batch_id(decode_batch_id(batch.id))
    with pytest.raises(ClientValidationError):
        batches.retrieve("msgbatch_!!")


def test_estimate_uses_batch_prices(stack: Stack) -> None:
    """Input from the text (~3.5 characters a token), output at max_tokens, half price."""
    estimate = stack.batches().estimate(requests(30, unknown_every=10), model=OPUS)
    assert (estimate.requests, estimate.unpriced) == (30, 3)
    assert estimate.output_tokens == 27 * 16
    catalog = Catalog.default()
    total = 0.0
    for model_id, usd in estimate.by_model.items():
        resolved = catalog.resolve(model_id, "us-east-1")
        assert resolved.info is not None
        share = [r for r in requests(30, unknown_every=10)
                 if r["params"].get("model", OPUS) != "no such-model"
                 and catalog.resolve(r["params"].get("model", OPUS), "us-east-1").model_id
                 == model_id]  # fmt: skip
        text = sum(len(r["params"]["messages"][0]["content"]) for r in share)
        usage = {"input_tokens": int(text / 3.5) + len(share), "output_tokens": 16 * len(share)}
        on_demand = cost(resolved.info, usage, resolved.endpoint_type)
        assert usd == pytest.approx(on_demand / 2, rel=0.05)
        total += usd
    assert estimate.usd == pytest.approx(total)


# -- CLI --------------------------------------------------------------------------------------


def cli(stack: Stack, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "claude_bedrock", "batch", *args],
        env=stack.env(), capture_output=True, text=True, input=stdin, timeout=300, check=False,
    )  # fmt: skip


def test_cli_submit_status_results(stack: Stack, s3_bucket: str, tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.jsonl"
    lines = []
    for i in range(150):
        if i % 3 == 0:
            lines.append(f"bare prompt {i}")
        elif i % 3 == 1:
            lines.append(json.dumps({"custom_id": f"p{i}", "prompt": f"object prompt {i}"}))
        else:
            params = {"max_tokens": 8, "messages": [{"role": "user", "content": f"params {i}"}]}
            lines.append(json.dumps({"custom_id": f"p{i}", "params": params}))
    prompts.write_text("\n".join(lines) + "\n\n")
    common = [str(prompts), "--bucket", f"s3://{s3_bucket}/cli", "--role-arn", ROLE,
              "-m", "haiku", "--max-tokens", "32"]  # fmt: skip

    refused = cli(stack, "submit", *common, "--confirm-above", "0")
    assert refused.returncode == 2, refused.stderr
    assert "batch prices" in refused.stderr and "--yes" in refused.stderr
    listed = stack.batches()._s3.client().list_objects_v2(Bucket=s3_bucket, Prefix="cli/")
    assert listed.get("KeyCount", 0) == 0  # nothing was uploaded

    submitted = cli(stack, "submit", *common, "--yes", "--tag", f"{PACE_TAG}=100")
    assert submitted.returncode == 0, submitted.stderr
    batch_id = submitted.stdout.strip().splitlines()[-1]
    assert batch_id.startswith("msgbatch_")

    watched = cli(stack, "status", batch_id, "--watch", "--interval", "0.2")
    assert watched.returncode == 0, watched.stderr
    assert "ended (Completed): 150/150 processed, 150 succeeded" in watched.stdout
    assert "150/150" in watched.stderr  # the progress bar's last state

    out = tmp_path / "results.jsonl"
    fetched = cli(stack, "results", batch_id, "-o", str(out))
    assert fetched.returncode == 0, fetched.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    expected_ids = [f"line-{i + 1}" if i % 3 == 0 else f"p{i}" for i in range(150)]
    assert [row["custom_id"] for row in rows] == expected_ids
    assert all(row["result"]["type"] == "succeeded" for row in rows)
    assert "bare prompt 3" in rows[3]["result"]["message"]["content"][0]["text"]

    shown = cli(stack, "list", "--limit", "50", "--output", "json")
    assert batch_id in [b["id"] for b in json.loads(shown.stdout)]
    canceled = cli(stack, "cancel", batch_id)  # already ended: nothing to stop
    assert canceled.returncode == 0 and "ended (Completed)" in canceled.stdout


def test_cli_reports_bad_input_lines(stack: Stack, s3_bucket: str, tmp_path: Path) -> None:
    prompts = tmp_path / "bad.jsonl"
    prompts.write_text('ok prompt\n{"custom_id": "x", "nonsense": 1}\n')
    result = cli(stack, "submit", str(prompts), "--bucket", f"s3://{s3_bucket}",
                 "--role-arn", ROLE, "-m", "haiku", "--yes")  # fmt: skip
    assert result.returncode == 2
    assert "line 2" in result.stderr
