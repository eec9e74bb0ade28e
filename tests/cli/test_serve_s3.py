"""``claude-bedrock serve`` alone is enough for invocation logging and batch jobs: its own S3.

One ``serve`` process (nothing else running: no S3 server of the tests, no S3 variables),
its environment taken from ``serve --env``, exactly as ``eval "$(claude-bedrock serve
--env)"`` gives it to a shell. Then independent clients do what a user would: boto3, the
AWS CLI and the official ``anthropic`` SDK enable, read and disable invocation logging and
make a logged call, whose record is read back from the embedded S3; a batch job runs end
to end (input uploaded, job created, waited for, results read back) with boto3 and with the
AWS CLI. The log and output buckets are never created by the clients: the emulator creates
them when the logging configuration or the job names them.
"""

from __future__ import annotations

import gzip
import json
import re
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from cli_support import ENTRY, bare_env, run

from claude_bedrock.emulator.auth import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from claude_bedrock.emulator.s3_store import INSTALL_HINT

MODEL = "global.anthropic.claude-opus-4-6-v1"
ROLE = "arn:aws:iam::123456789012:role/BedrockBatch"
ENDED = {"Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _exports(lines: str) -> dict[str, str]:
    """The variables ``serve --env`` exports (its ``unset`` line drops nothing here)."""
    found = re.findall(r"^export (\w+)=(.*)$", lines, flags=re.M)
    return {name: shlex.split(value)[0] for name, value in found}


class Served:
    def __init__(self, env: dict[str, str], home: Path) -> None:
        self.env, self.home = env, home

    def client(self, service: str) -> Any:
        # The values serve --env exported, passed explicitly (boto3 reads os.environ otherwise).
        return boto3.client(
            service,
            endpoint_url=self.env["AWS_ENDPOINT_URL_S3" if service == "s3" else "AWS_ENDPOINT_URL"],
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
            region_name=self.env["AWS_DEFAULT_REGION"],
        )

    def aws(self, *args: str) -> Any:
        done = subprocess.run(["aws", *args, "--output", "json"], env=self.env,
                              capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        if args[0] == "s3":  # the high-level commands print progress lines, not JSON
            return done.stdout
        return json.loads(done.stdout) if done.stdout.strip() else None


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("serve-s3")
    port, s3_port = _free_port(), _free_port()
    options = ["--port", str(port), "--s3-port", str(s3_port)]
    exported = run(["serve", "--env", *options], bare_env(home))
    assert exported.returncode == 0, exported.stderr
    env = bare_env(home, **_exports(exported.stdout))
    assert env["AWS_ENDPOINT_URL_S3"] == f"http://127.0.0.1:{s3_port}"
    process = subprocess.Popen([*ENTRY, "serve", *options, "--s3-data", str(home / "s3")],
                               env=bare_env(home), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert process.stdout is not None
    assert (
        process.stdout.readline()
        == f"claude-bedrock emulator listening on http://127.0.0.1:{port}\n"
    )
    try:
        yield Served(env, home)
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err[-2000:]
    with pytest.raises(OSError):  # the embedded S3 stopped with the emulator
        socket.create_connection(("127.0.0.1", s3_port), timeout=2).close()
    assert (home / "s3" / "data").is_dir()  # --s3-data is kept


def _records(served: Served, bucket: str, count: int) -> list[dict[str, Any]]:
    """The invocation-log records in ``bucket``, once ``count`` have been delivered."""
    s3 = served.client("s3")
    records: list[dict[str, Any]] = []
    for _ in range(300):  # the emulator delivers within its flush interval (0.2 s)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        records = []
        for key in keys:
            raw = gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            records += [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
        if len(records) >= count:
            return records
        time.sleep(0.1)
    return records


def test_boto3_enable_get_disable_and_a_logged_call(served: Served) -> None:
    bedrock, runtime = served.client("bedrock"), served.client("bedrock-runtime")
    config = {"s3Config": {"bucketName": "boto3-logs", "keyPrefix": "team"},
              "textDataDeliveryEnabled": True}  # fmt: skip
    bedrock.put_model_invocation_logging_configuration(loggingConfig=config)
    assert bedrock.get_model_invocation_logging_configuration()["loggingConfig"] == config
    runtime.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "logged"}]}])
    bedrock.delete_model_invocation_logging_configuration()
    assert "loggingConfig" not in bedrock.get_model_invocation_logging_configuration()
    (record,) = _records(served, "boto3-logs", 1)
    assert record["operation"] == "Converse" and record["modelId"] == MODEL
    assert record["input"]["inputBodyJson"]["messages"][0]["content"] == [{"text": "logged"}]


def test_aws_cli_enable_get_disable_and_the_official_sdk_is_logged(served: Served) -> None:
    import anthropic

    config = {"s3Config": {"bucketName": "cli-logs"}, "textDataDeliveryEnabled": True}
    served.aws("bedrock", "put-model-invocation-logging-configuration",
               "--logging-config", json.dumps(config))  # fmt: skip
    got = served.aws("bedrock", "get-model-invocation-logging-configuration")
    assert got["loggingConfig"] == config
    sdk = anthropic.AnthropicBedrock(
        aws_access_key=served.env["AWS_ACCESS_KEY_ID"],
        aws_secret_key=served.env["AWS_SECRET_ACCESS_KEY"],
        aws_region=served.env["AWS_REGION"],
        base_url=served.env["AWS_ENDPOINT_URL"],
    )
    asked = [{"role": "user", "content": "from the SDK"}]
    message = sdk.messages.create(model=MODEL, max_tokens=32, messages=asked)  # type: ignore[arg-type]
    served.aws("bedrock", "delete-model-invocation-logging-configuration")
    assert not served.aws("bedrock", "get-model-invocation-logging-configuration")  # no output
    (record,) = _records(served, "cli-logs", 1)
    assert record["operation"] == "InvokeModel"
    assert record["output"]["outputBodyJson"]["id"] == message.id
    listed = served.aws("s3api", "list-objects-v2", "--bucket", "cli-logs")
    assert len(listed["Contents"]) == 1  # the AWS CLI reads the embedded S3 too


def _input(count: int) -> bytes:
    def body(i: int) -> dict[str, Any]:
        return {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 16,
                "messages": [{"role": "user", "content": f"question {i}"}]}  # fmt: skip

    lines = [json.dumps({"recordId": f"R{i:04d}", "modelInput": body(i)}) for i in range(count)]
    return ("\n".join(lines) + "\n").encode()


def test_boto3_batch_job_end_to_end(served: Served) -> None:
    bedrock, s3 = served.client("bedrock"), served.client("s3")
    # No bucket is created first: the first write creates it (the embedded S3 has no
    # console), and the job's output bucket is created when the job names it.
    s3.put_object(Bucket="boto3-batch-in", Key="in/prompts.jsonl", Body=_input(100))
    arn = bedrock.create_model_invocation_job(
        jobName="one-hundred", roleArn=ROLE, modelId=MODEL,
        inputDataConfig={"s3InputDataConfig": {"s3Uri": "s3://boto3-batch-in/in/"}},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://boto3-batch-out/out/"}},
    )["jobArn"]  # fmt: skip
    assert _wait(bedrock, arn)["status"] == "Completed"
    job_id = arn.rsplit("/", 1)[1]
    body = s3.get_object(Bucket="boto3-batch-out", Key=f"out/{job_id}/prompts.jsonl.out")["Body"]
    out = [json.loads(line) for line in body.read().decode().splitlines()]
    assert [line["recordId"] for line in out] == [f"R{i:04d}" for i in range(100)]
    assert all(line["modelOutput"]["type"] == "message" for line in out)


def test_aws_cli_batch_job_end_to_end(served: Served, tmp_path: Path) -> None:
    # A user who creates the input bucket, as on AWS; the job creates the output bucket.
    served.aws("s3api", "create-bucket", "--bucket", "cli-batch-in")
    (tmp_path / "prompts.jsonl").write_bytes(_input(100))
    served.aws("s3", "cp", str(tmp_path / "prompts.jsonl"), "s3://cli-batch-in/prompts.jsonl")
    arn = served.aws(
        "bedrock", "create-model-invocation-job", "--job-name", "cli-job",
        "--role-arn", ROLE, "--model-id", MODEL,
        "--input-data-config", json.dumps(
            {"s3InputDataConfig": {"s3Uri": "s3://cli-batch-in/prompts.jsonl"}}),
        "--output-data-config", json.dumps(
            {"s3OutputDataConfig": {"s3Uri": "s3://cli-batch-out/results/"}}),
    )["jobArn"]  # fmt: skip
    for _ in range(600):
        job = served.aws("bedrock", "get-model-invocation-job", "--job-identifier", arn)
        if job["status"] in ENDED:
            break
        time.sleep(0.1)
    assert job["status"] == "Completed", job
    job_id = arn.rsplit("/", 1)[1]
    served.aws("s3", "cp", f"s3://cli-batch-out/results/{job_id}/prompts.jsonl.out",
               str(tmp_path / "out.jsonl"))  # fmt: skip
    out = (tmp_path / "out.jsonl").read_text().splitlines()
    assert len(out) == 100 and all("modelOutput" in json.loads(line) for line in out)


def _wait(bedrock: Any, arn: str) -> dict[str, Any]:
    for _ in range(600):
        job: dict[str, Any] = bedrock.get_model_invocation_job(jobIdentifier=arn)
        if job["status"] in ENDED:
            return job
        time.sleep(0.1)
    return job


# -- the options ------------------------------------------------------------------------------


def test_env_names_the_s3_endpoint(tmp_path: Path) -> None:
    def exported(*options: str) -> dict[str, str]:
        done = run(["serve", "--env", *options], bare_env(tmp_path))
        assert done.returncode == 0, done.stderr
        return _exports(done.stdout)

    assert exported()["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:8766"  # --port + 1
    assert exported("--port", "9100")["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:9101"
    external = exported("--s3-endpoint", "http://127.0.0.1:9000")
    assert external["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:9000"
    assert "AWS_ENDPOINT_URL_S3" not in exported("--no-embedded-s3")


def test_conflicting_options_are_refused(tmp_path: Path) -> None:
    done = run(["serve", "--s3-endpoint", "http://127.0.0.1:9000", "--s3-data", str(tmp_path)],
               bare_env(tmp_path))  # fmt: skip
    assert done.returncode == 2 and "--s3-endpoint uses an existing S3" in done.stderr
    done = run(["serve", "--s3-endpoint", "minio:9000"], bare_env(tmp_path))
    assert done.returncode == 2 and "http(s) URL" in done.stderr


def test_without_s3_the_error_says_what_to_install(tmp_path: Path) -> None:
    """``--no-embedded-s3`` is what a ``serve`` without the extra does: the errors name the
    install command and the option, for logging and for batch."""
    port = _free_port()
    argv = [*ENTRY, "serve", "--port", str(port), "--no-embedded-s3"]
    process = subprocess.Popen(argv, env=bare_env(tmp_path), stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    process.stdout.readline()
    try:
        served = Served(bare_env(tmp_path, AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
                                 AWS_ENDPOINT_URL_S3="", AWS_DEFAULT_REGION="us-east-1",
                                 AWS_ACCESS_KEY_ID=DEFAULT_ACCESS_KEY,
                                 AWS_SECRET_ACCESS_KEY=DEFAULT_SECRET_KEY),
                        tmp_path)  # fmt: skip
        bedrock = served.client("bedrock")
        for call in (
            lambda: bedrock.put_model_invocation_logging_configuration(
                loggingConfig={"s3Config": {"bucketName": "logs"}}),
            lambda: bedrock.create_model_invocation_job(
                jobName="j", roleArn=ROLE, modelId=MODEL,
                inputDataConfig={"s3InputDataConfig": {"s3Uri": "s3://batch-bucket/in/"}},
                outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://batch-bucket/out/"}}),
        ):  # fmt: skip
            with pytest.raises(bedrock.exceptions.ValidationException) as caught:
                call()
            message = caught.value.response["Error"]["Message"]
            assert f"`{INSTALL_HINT}`" in message
            assert "claude-bedrock serve --s3-endpoint URL" in message
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
