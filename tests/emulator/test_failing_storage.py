"""The emulator with a failing S3 (issue 17, items 5-7): batch jobs whose S3 refuses or
stops answering, and invocation log records across SIGTERM with a stalled S3 and SIGKILL.

The misbehaving S3 is a real server on 127.0.0.1 (``tests/hostile_s3.py``: a proxy in
front of the session's SeaweedFS that hangs or refuses on purpose); nothing is patched.
Every wait is bounded by the test's own timeouts; the only duration asserted is the
product's promise (the process exits within its documented shutdown deadline), checked by
waiting that long plus a generous margin.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from claude_bedrock.emulator import Emulator
from claude_bedrock.emulator import batch as emulator_batch
from claude_bedrock.emulator.log_spool import LogSpool, SpooledRecord
from claude_bedrock.emulator.s3_link import SHUTDOWN_DEADLINE, S3Timeouts
from hostile_s3 import HostileS3
from s3server import S3Server
from serve_process import Served, start_serve
from test_invocation_logging import read_records

MODEL = "global.anthropic.claude-opus-4-6-v1"
ROLE = "arn:aws:iam::123456789012:role/BedrockBatch"
ENDED = {"Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"}
FAST = S3Timeouts(connect=1.0, read=1.0, attempts=2)  # a stalled S3 fails a call in ~5 s


# -- batch jobs ------------------------------------------------------------------------------


@pytest.fixture
def hostile(s3_server: S3Server) -> Iterator[HostileS3]:
    with HostileS3(s3_server.endpoint_url) as proxy:
        yield proxy


@pytest.fixture
def bedrock(hostile: HostileS3, s3_server: S3Server) -> Iterator[Any]:
    """boto3's bedrock client on an emulator whose batch S3 is the hostile proxy."""
    options = emulator_batch.options(endpoint_url=hostile.url, credentials=s3_server.credentials,
                                     min_records=5, s3_timeouts=FAST)  # fmt: skip
    with Emulator(extensions=[options]) as emulator:
        yield boto3.client(
            "bedrock", endpoint_url=emulator.url, aws_access_key_id=emulator.access_key,
            aws_secret_access_key=emulator.secret_key, region_name="us-east-1",
            config=Config(retries={"max_attempts": 1}),
        )  # fmt: skip


def _input(s3: Any, bucket: str, key: str, count: int) -> None:
    lines = [
        json.dumps({"recordId": f"{key[-1].upper()}{i:010d}", "modelInput": {
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 16,
            "messages": [{"role": "user", "content": f"question {i}"}]}})
        for i in range(count)
    ]  # fmt: skip
    s3.put_object(Bucket=bucket, Key=f"in/{key}.jsonl", Body="\n".join(lines).encode())


def _run(bedrock: Any, bucket: str, name: str, timeout: float) -> dict[str, Any]:
    arn = bedrock.create_model_invocation_job(
        jobName=name, roleArn=ROLE, modelId=MODEL,
        inputDataConfig={"s3InputDataConfig": {"s3Uri": f"s3://{bucket}/in/"}},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{bucket}/out/"}},
    )["jobArn"]  # fmt: skip
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = bedrock.get_model_invocation_job(jobIdentifier=arn)
        if job["status"] in ENDED or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def _written(s3: Any, bucket: str) -> tuple[int, int]:
    """(success lines, error lines) in the ``.jsonl.out`` objects S3 really holds."""
    ok = errors = 0
    for item in s3.list_objects_v2(Bucket=bucket, Prefix="out/").get("Contents", []):
        if item["Key"].endswith(".jsonl.out"):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode()
            for line in filter(None, body.splitlines()):
                ok, errors = (ok + 1, errors) if "modelOutput" in json.loads(line) else (
                    ok, errors + 1)  # fmt: skip
    return ok, errors


def _counters(job: dict[str, Any]) -> tuple[int, int]:
    return job["successRecordCount"], job["errorRecordCount"]


@pytest.mark.parametrize("status", [403, 503])
def test_a_job_whose_writes_are_refused_counts_nothing_it_did_not_write(
    bedrock: Any, hostile: HostileS3, s3_server: S3Server, s3_bucket: str, status: int
) -> None:
    s3 = s3_server.client()
    _input(s3, s3_bucket, "a", 600)
    hostile.mode, hostile.allow_writes, hostile.status = "fail-writes", 0, status
    job = _run(bedrock, s3_bucket, f"refused-{status}", timeout=60)
    assert job["status"] == "Failed"
    assert "Amazon S3 refused" in job["message"]
    assert hostile.refused >= 1 and hostile.writes == 0
    assert _counters(job) == _written(s3, s3_bucket) == (0, 0)
    assert job["processedRecordCount"] == 0


def test_a_job_failing_mid_way_counts_the_files_s3_stored(
    bedrock: Any, hostile: HostileS3, s3_server: S3Server, s3_bucket: str
) -> None:
    """Two input files; S3 stores the first output and answers 500 to everything after."""
    s3 = s3_server.client()
    _input(s3, s3_bucket, "a", 300)
    _input(s3, s3_bucket, "b", 300)
    hostile.mode, hostile.allow_writes, hostile.status = "fail-writes", 1, 500
    job = _run(bedrock, s3_bucket, "mid-way", timeout=60)
    assert job["status"] == "Failed"
    assert _counters(job) == _written(s3, s3_bucket) == (300, 0)
    assert job["processedRecordCount"] == 300


def test_a_job_whose_s3_stops_answering_fails_with_the_reason(
    bedrock: Any, hostile: HostileS3, s3_server: S3Server, s3_bucket: str
) -> None:
    s3 = s3_server.client()
    _input(s3, s3_bucket, "a", 50)
    hostile.mode = "hang-writes"
    job = _run(bedrock, s3_bucket, "stalled", timeout=FAST.total + 30)
    assert job["status"] == "Failed", job
    assert "did not answer" in job["message"]
    assert hostile.hung >= 1
    assert _counters(job) == _written(s3, s3_bucket) == (0, 0)


# -- invocation log records: SIGTERM with a stalled S3, SIGKILL -----------------------------

CALLS = 30


def _enable_logging(served: Served, bucket: str) -> None:
    served.client("bedrock").put_model_invocation_logging_configuration(loggingConfig={
        "s3Config": {"bucketName": bucket, "keyPrefix": "spool"},
        "textDataDeliveryEnabled": True})  # fmt: skip


def _calls(served: Served) -> set[str]:
    """``CALLS`` InvokeModel calls through boto3; their request IDs."""
    runtime = served.client("bedrock-runtime")
    ids = set()
    for i in range(CALLS):
        answer = runtime.invoke_model(modelId=MODEL, body=json.dumps({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 16,
            "messages": [{"role": "user", "content": f"call {i}"}]}))  # fmt: skip
        ids.add(answer["ResponseMetadata"]["RequestId"])
    return ids


def _delivered(s3: S3Server, bucket: str, expected: set[str], timeout: float) -> list[str]:
    """The request IDs of the records in the bucket, once all ``expected`` are there (or
    at ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        ids = [r["requestId"] for r in read_records(s3, bucket, "spool/")]
        if expected <= set(ids) or time.monotonic() > deadline:
            return ids
        time.sleep(0.2)


def _spool_files(state: Path) -> list[str]:
    return sorted(p.name for p in (state / "log-spool").glob("*"))


def test_sigterm_with_a_stalled_s3_exits_within_the_deadline_and_keeps_the_records(
    s3_server: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    with HostileS3(s3_server.endpoint_url) as stalled:
        served = start_serve(s3_server, stalled.url, state, tmp_path)
        try:
            _enable_logging(served, s3_bucket)  # S3 answers the bucket check...
            stalled.mode = "hang"  # ...then accepts connections and never answers
            ids = _calls(served)
            served.process.send_signal(signal.SIGTERM)
            served.process.wait(SHUTDOWN_DEADLINE + 15)  # the promise, with a margin
        finally:
            served.stop()
        assert served.process.returncode == 0
        assert stalled.hung >= 1
    stderr = served.stderr()
    assert f"{CALLS} invocation log records were not delivered" in stderr
    assert str(state / "log-spool") in stderr
    assert read_records(s3_server, s3_bucket, "spool/") == []
    # The next start on the same state directory, with S3 answering, delivers them all.
    again = start_serve(s3_server, s3_server.endpoint_url, state, tmp_path)
    try:
        delivered = _delivered(s3_server, s3_bucket, ids, timeout=60)
        again.process.send_signal(signal.SIGTERM)
        again.process.wait(SHUTDOWN_DEADLINE + 15)
    finally:
        again.stop()
    assert sorted(delivered) == sorted(ids)  # each once: the first run delivered nothing
    assert _spool_files(state) == []


@pytest.mark.parametrize(("s3_state", "pause"), [("up", 0.0), ("stalled", 0.2)])
def test_sigkill_after_the_calls_loses_no_record(
    s3_server: S3Server, s3_bucket: str, tmp_path: Path, s3_state: str, pause: float
) -> None:
    """SIGKILL right after 30 answered calls (S3 up: before the writer's next upload) or
    0.2 s after (S3 stalled); a restart on the same state directory delivers every record
    to the real S3 (at least once: a record already uploaded whose acknowledgement did not
    reach the disk may come twice, never none)."""
    state = tmp_path / "state"
    with HostileS3(s3_server.endpoint_url) as proxy:
        served = start_serve(s3_server, proxy.url, state, tmp_path)
        try:
            _enable_logging(served, s3_bucket)
            if s3_state == "stalled":
                proxy.mode = "hang"
            ids = _calls(served)
            time.sleep(pause)
            served.process.kill()
            served.process.wait(30)
        finally:
            served.stop()
    again = start_serve(s3_server, s3_server.endpoint_url, state, tmp_path)
    try:
        delivered = _delivered(s3_server, s3_bucket, ids, timeout=60)
        again.process.send_signal(signal.SIGTERM)
        again.process.wait(SHUTDOWN_DEADLINE + 15)
    finally:
        again.stop()
    assert set(delivered) == ids, f"lost: {len(ids - set(delivered))} of {CALLS}"
    assert _spool_files(state) == []


def test_sigterm_during_a_batch_job_on_a_stalled_s3_exits_within_the_deadline(
    s3_server: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    """A job blocked writing its output to an S3 that never answers is abandoned at the
    shutdown deadline instead of holding the process (botocore alone: up to 5 x 60 s)."""
    s3 = s3_server.client()
    _input(s3, s3_bucket, "a", 100)  # Bedrock's minimum per job (serve keeps it)
    with HostileS3(s3_server.endpoint_url, mode="hang-writes") as stalled:
        served = start_serve(s3_server, stalled.url, tmp_path / "state", tmp_path)
        try:
            bedrock = served.client("bedrock")
            arn = bedrock.create_model_invocation_job(
                jobName="stalled-at-shutdown", roleArn=ROLE, modelId=MODEL,
                inputDataConfig={"s3InputDataConfig": {"s3Uri": f"s3://{s3_bucket}/in/"}},
                outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{s3_bucket}/out/"}},
            )["jobArn"]  # fmt: skip
            deadline = time.monotonic() + 60
            while stalled.hung == 0 and time.monotonic() < deadline:  # the output write hangs
                time.sleep(0.1)
            assert stalled.hung >= 1
            assert bedrock.get_model_invocation_job(jobIdentifier=arn)["status"] == "InProgress"
            served.process.send_signal(signal.SIGTERM)
            served.process.wait(SHUTDOWN_DEADLINE + 15)  # the promise, with a margin
        finally:
            served.stop()
    assert served.process.returncode == 0
    assert "stalled-at-shutdown" in served.stderr()  # named as abandoned


def test_the_spool_recovers_what_was_not_acknowledged_and_skips_a_torn_line(
    tmp_path: Path,
) -> None:
    """A crashed writer's segment: 3 records fsync'd, 1 acknowledged, then a torn line
    (the process died inside a write, before the fsync that would have answered its call)."""

    async def scenario() -> list[str]:
        spool = LogSpool(tmp_path)
        when = datetime.now(UTC)
        refs = [await spool.append(SpooledRecord("bucket", "p", "123456789012", "us-east-1",
                                                 when, f"req-{i}", b"{}\n", (("k", b"\0"),)))
                for i in range(3)]  # fmt: skip
        spool.ack(refs[1:2])
        segment = next(tmp_path.glob("seg-*.jsonl"))
        with segment.open("ab") as raw:
            raw.write(b'{"n":3,"b":"bucket","p":')  # torn
        assert LogSpool(tmp_path).recover() == []  # still locked by its live writer
        spool.close()  # as a dead process would: its lock is gone
        adopter = LogSpool(tmp_path)
        found = adopter.recover()
        assert [record.attachments for record, _ in found] == [(("k", b"\0"),)] * 2
        adopter.ack([ref for _, ref in found])
        return [record.request_id for record, _ in found]

    assert asyncio.run(scenario()) == ["req-0", "req-2"]
    assert list(tmp_path.iterdir()) == []  # all delivered: nothing left
