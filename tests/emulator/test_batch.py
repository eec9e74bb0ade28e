"""The emulator's batch inference through boto3, with S3 on a real SeaweedFS server.

boto3's ``bedrock`` client (create/get/list/stop_model_invocation_job) talks to an
in-process emulator configured with :func:`claude_bedrock.emulator.batch.options`; inputs
are put and outputs read back with boto3's S3 client. Nothing is mocked.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from claude_bedrock.emulator import Emulator
from claude_bedrock.emulator import batch as emulator_batch
from claude_bedrock.types.message import Message

from .conftest import RawClient, error_of

MODEL = "global.anthropic.claude-opus-4-6-v1"
ROLE = "arn:aws:iam::123456789012:role/BedrockBatch"
MIN_RECORDS = 5
ENDED = {"Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"}


@pytest.fixture(scope="module")
def batch_emulator(s3_server: Any) -> Iterator[Emulator]:
    options = emulator_batch.options(
        endpoint_url=s3_server.endpoint_url,
        credentials=s3_server.credentials,
        min_records=MIN_RECORDS,
    )
    with Emulator(extensions=[options]) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def bedrock(batch_emulator: Emulator) -> Any:
    return boto3.client(
        "bedrock",
        endpoint_url=batch_emulator.url,
        aws_access_key_id=batch_emulator.access_key,
        aws_secret_access_key=batch_emulator.secret_key,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture(scope="module")
def s3(s3_server: Any) -> Any:
    return s3_server.client()


def body(text: str, **extra: Any) -> dict[str, Any]:
    return {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": text}],
        **extra,
    }


def put_lines(s3: Any, bucket: str, key: str, lines: list[str]) -> str:
    s3.put_object(Bucket=bucket, Key=key, Body=("\n".join(lines) + "\n").encode())
    return f"s3://{bucket}/{key}"


def create(bedrock: Any, name: str, input_uri: str, output_uri: str, **extra: Any) -> str:
    answer = bedrock.create_model_invocation_job(
        jobName=name,
        roleArn=ROLE,
        modelId=MODEL,
        inputDataConfig={"s3InputDataConfig": {"s3Uri": input_uri, "s3InputFormat": "JSONL"}},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": output_uri}},
        **extra,
    )
    return str(answer["jobArn"])


def wait(bedrock: Any, arn: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll until the job ends; returns the last GetModelInvocationJob answer."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = bedrock.get_model_invocation_job(jobIdentifier=arn)
        if job["status"] in ENDED or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def read_lines(s3: Any, bucket: str, key: str) -> list[dict[str, Any]]:
    raw = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    return [json.loads(line) for line in raw.splitlines() if line.strip()]


def test_job_writes_bedrock_format_output(bedrock: Any, s3: Any, s3_bucket: str) -> None:
    records = []
    for i in range(40):
        extra = {"temperature": 5} if i % 10 == 3 else {}  # Bedrock's schema refuses these
        records.append({"recordId": f"REC{i:08d}", "modelInput": body(f"question {i}", **extra)})
    input_uri = put_lines(s3, s3_bucket, "in/batch.jsonl", [json.dumps(r) for r in records])
    arn = create(bedrock, "format-1", input_uri, f"s3://{s3_bucket}/out/")
    first = bedrock.get_model_invocation_job(jobIdentifier=arn)
    assert first["status"] in {"Submitted", "Validating", "Scheduled", "InProgress"}
    assert first["submitTime"].tzinfo is not None
    job = wait(bedrock, arn)
    assert job["status"] == "PartiallyCompleted"
    assert (job["totalRecordCount"], job["processedRecordCount"]) == (40, 40)
    assert (job["successRecordCount"], job["errorRecordCount"]) == (36, 4)
    assert job["endTime"] >= job["submitTime"]

    job_id = arn.rsplit("/", 1)[1]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, Prefix="out/")["Contents"]}
    assert keys == {f"out/{job_id}/batch.jsonl.out", f"out/{job_id}/manifest.json.out"}
    lines = read_lines(s3, s3_bucket, f"out/{job_id}/batch.jsonl.out")
    assert [line["recordId"] for line in lines] == [r["recordId"] for r in records]
    tokens_in = tokens_out = 0
    for record, line in zip(records, lines, strict=True):
        assert line["modelInput"] == record["modelInput"]
        if "temperature" in record["modelInput"]:
            assert set(line) == {"recordId", "modelInput", "error"}
            assert line["error"]["errorCode"] == 400
            assert "temperature" in line["error"]["errorMessage"]
            continue
        assert set(line) == {"recordId", "modelInput", "modelOutput"}
        message = Message.model_validate(line["modelOutput"])
        assert record["modelInput"]["messages"][0]["content"] in message.content[0].text
        tokens_in += message.usage.input_tokens
        tokens_out += message.usage.output_tokens
    manifest = read_lines(s3, s3_bucket, f"out/{job_id}/manifest.json.out")[0]
    assert manifest == {
        "totalRecordCount": 40,
        "processedRecordCount": 40,
        "successRecordCount": 36,
        "errorRecordCount": 4,
        "inputTokenCount": tokens_in,
        "outputTokenCount": tokens_out,
    }


def test_folder_input_lines_without_ids_and_bad_lines(
    bedrock: Any, s3: Any, s3_bucket: str
) -> None:
    good = [json.dumps({"modelInput": body(f"a{i}")}) for i in range(6)]
    put_lines(s3, s3_bucket, "in/one.jsonl", good)
    put_lines(s3, s3_bucket, "in/sub/two.jsonl", [*good[:3], "{not json", '{"recordId": "x1"}'])
    s3.put_object(Bucket=s3_bucket, Key="in/notes.txt", Body=b"ignored: not .jsonl")
    arn = create(bedrock, "folder-1", f"s3://{s3_bucket}/in/", f"s3://{s3_bucket}/out")
    job = wait(bedrock, arn)
    assert (job["status"], job["totalRecordCount"], job["errorRecordCount"]) == (
        "PartiallyCompleted", 11, 2,
    )  # fmt: skip
    job_id = arn.rsplit("/", 1)[1]
    two = read_lines(s3, s3_bucket, f"out/{job_id}/sub/two.jsonl.out")
    assert all(len(line["recordId"]) == 11 and line["recordId"].isalnum() for line in two[:3])
    assert two[3]["error"]["errorCode"] == 400 and "modelInput" not in two[3]
    assert two[4]["recordId"] == "x1" and two[4]["error"]["errorCode"] == 400
    assert len(read_lines(s3, s3_bucket, f"out/{job_id}/one.jsonl.out")) == 6


def test_job_level_failures(bedrock: Any, s3: Any, s3_bucket: str) -> None:
    missing = create(
        bedrock, "fail-missing", f"s3://{s3_bucket}/nope.jsonl", f"s3://{s3_bucket}/o/"
    )
    few = put_lines(s3, s3_bucket, "few.jsonl", [json.dumps({"modelInput": body("x")})] * 2)
    too_few = create(bedrock, "fail-few", few, f"s3://{s3_bucket}/o/")
    job = wait(bedrock, missing)
    assert job["status"] == "Failed" and "does not exist" in job["message"]
    job = wait(bedrock, too_few)
    assert job["status"] == "Failed" and f"at least {MIN_RECORDS} records" in job["message"]


def test_stop_mid_job(bedrock: Any, s3: Any, s3_bucket: str) -> None:
    lines = [json.dumps({"recordId": f"r{i}", "modelInput": body(f"q{i}")}) for i in range(400)]
    input_uri = put_lines(s3, s3_bucket, "in/slow.jsonl", lines)
    # 10 s of work (was 2 s at 200 a second): the pace is wall-clock sleeps that load does not
    # lengthen, while the polling below (a boto3 call each) slows down on a busy machine.
    pace = [{"key": emulator_batch.PACE_TAG, "value": "40"}]
    arn = create(bedrock, "stop-1", input_uri, f"s3://{s3_bucket}/out/", tags=pace)
    deadline = time.monotonic() + 30
    job = bedrock.get_model_invocation_job(jobIdentifier=arn)
    while job.get("processedRecordCount", 0) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
        job = bedrock.get_model_invocation_job(jobIdentifier=arn)
    assert job["status"] == "InProgress"
    bedrock.stop_model_invocation_job(jobIdentifier=arn)
    assert bedrock.get_model_invocation_job(jobIdentifier=arn)["status"] in {"Stopping", "Stopped"}
    job = wait(bedrock, arn)
    assert job["status"] == "Stopped"
    assert 0 < job["processedRecordCount"] < 400
    job_id = arn.rsplit("/", 1)[1]
    out = read_lines(s3, s3_bucket, f"out/{job_id}/slow.jsonl.out")
    assert [line["recordId"] for line in out] == [f"r{i}" for i in range(len(out))]
    assert len(out) == job["processedRecordCount"]
    manifest = read_lines(s3, s3_bucket, f"out/{job_id}/manifest.json.out")[0]
    assert manifest["processedRecordCount"] == len(out)
    with pytest.raises(botocore.exceptions.ClientError) as info:
        bedrock.stop_model_invocation_job(jobIdentifier=arn)
    assert info.value.response["Error"]["Code"] == "ConflictException"


def test_create_validation(bedrock: Any, s3_bucket: str) -> None:
    uri = f"s3://{s3_bucket}/in.jsonl"

    def code_of(**changes: Any) -> tuple[str, str]:
        args: dict[str, Any] = {
            "jobName": "valid-name",
            "roleArn": ROLE,
            "modelId": MODEL,
            "inputDataConfig": {"s3InputDataConfig": {"s3Uri": uri}},
            "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"s3://{s3_bucket}/o/"}},
        }
        args.update(changes)
        with pytest.raises(botocore.exceptions.ClientError) as info:
            bedrock.create_model_invocation_job(**args)
        error = info.value.response["Error"]
        return error["Code"], error["Message"]

    code, message = code_of(jobName="bad name!")
    assert code == "ValidationException" and "'jobName'" in message
    assert code_of(roleArn="not-a-role")[0] == "ValidationException"
    assert code_of(modelId="anthropic.unknown-model-v1:0") == (
        "ValidationException", "The provided model identifier is invalid.",
    )  # fmt: skip
    bad_uri = {"s3InputDataConfig": {"s3Uri": "https://example.com/x"}}
    assert code_of(inputDataConfig=bad_uri)[0] == "ValidationException"


def test_create_validation_beyond_boto3(batch_emulator: Emulator, s3_bucket: str) -> None:
    """What botocore would refuse before sending (ranges, missing members) is refused too."""
    raw = RawClient(batch_emulator.url, batch_emulator.access_key, batch_emulator.secret_key)
    base = {
        "jobName": "raw-1",
        "roleArn": ROLE,
        "modelId": MODEL,
        "inputDataConfig": {"s3InputDataConfig": {"s3Uri": f"s3://{s3_bucket}/i.jsonl"}},
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"s3://{s3_bucket}/o/"}},
    }
    try:
        status, kind, message = error_of(
            raw.post("/model-invocation-job", {**base, "timeoutDurationInHours": 2})
        )
        assert (status, kind) == (400, "ValidationException")
        assert "between 24 and 168" in message
        status, kind, message = error_of(
            raw.post("/model-invocation-job", {k: v for k, v in base.items() if k != "jobName"})
        )
        assert (status, kind) == (400, "ValidationException")
        assert "'jobName'" in message and "must not be null" in message
    finally:
        raw.http.close()


def test_idempotency_conflicts_and_lookup(bedrock: Any, s3: Any, s3_bucket: str) -> None:
    uri = put_lines(s3, s3_bucket, "idem.jsonl", [json.dumps({"modelInput": body("x")})] * 5)
    out = f"s3://{s3_bucket}/o/"
    arn = create(bedrock, "idem-1", uri, out, clientRequestToken="token-123")
    assert create(bedrock, "idem-1", uri, out, clientRequestToken="token-123") == arn
    with pytest.raises(botocore.exceptions.ClientError) as info:
        create(bedrock, "idem-1", uri, out)
    assert info.value.response["Error"]["Code"] == "ConflictException"
    job_id = arn.rsplit("/", 1)[1]
    assert bedrock.get_model_invocation_job(jobIdentifier=job_id)["jobArn"] == arn
    with pytest.raises(botocore.exceptions.ClientError) as info:
        bedrock.get_model_invocation_job(jobIdentifier="abcdefabcdef")
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    wait(bedrock, arn)


def test_list_filters_sorting_and_pages(bedrock: Any, s3: Any, s3_bucket: str) -> None:
    uri = put_lines(s3, s3_bucket, "list.jsonl", [json.dumps({"modelInput": body("x")})] * 5)
    arns = [create(bedrock, f"listed-{i}", uri, f"s3://{s3_bucket}/o/") for i in range(3)]
    for arn in arns:
        wait(bedrock, arn)
    named = bedrock.list_model_invocation_jobs(nameContains="listed-")["invocationJobSummaries"]
    assert [job["jobArn"] for job in named] == arns[::-1]  # newest first by default
    oldest = bedrock.list_model_invocation_jobs(nameContains="listed-", sortOrder="Ascending")
    assert [job["jobArn"] for job in oldest["invocationJobSummaries"]] == arns
    pages = bedrock.get_paginator("list_model_invocation_jobs").paginate(
        nameContains="listed-", PaginationConfig={"PageSize": 1}
    )
    assert [job["jobArn"] for page in pages for job in page["invocationJobSummaries"]] == arns[::-1]
    done = bedrock.list_model_invocation_jobs(statusEquals="Completed", nameContains="listed-")
    assert len(done["invocationJobSummaries"]) == 3
    none = bedrock.list_model_invocation_jobs(statusEquals="InProgress", nameContains="listed-")
    assert none["invocationJobSummaries"] == []
    later = bedrock.list_model_invocation_jobs(
        nameContains="listed-", submitTimeAfter=named[0]["submitTime"]
    )
    assert later["invocationJobSummaries"] == []
