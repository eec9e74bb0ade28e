"""``client.invocation_logging`` (enable / get / retention / disable, sync and async) and the
``claude-bedrock logging`` commands, against the emulator and a real S3 server (SeaweedFS).

The emulator is started with a credentials file holding the S3 server's identity, so one
AWS identity works for Bedrock and for S3, as on AWS. CloudWatch Logs retention is checked
against a small loopback server speaking the CloudWatch Logs JSON protocol (botocore
builds and signs the real request; the server records what it received).

Shared helpers (``LoggedEmulator``, ``logged_emulator``, ``read_records``) are imported by
``tests/test_logs_report.py`` and ``tests/emulator/test_invocation_logging.py``.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from claude_bedrock import AnthropicBedrock, AsyncAnthropicBedrock
from claude_bedrock._exceptions import ClientValidationError
from claude_bedrock.emulator import Emulator
from claude_bedrock.emulator.invocation_logging import writer_options
from claude_bedrock.types.invocation_logging import LoggingConfig
from s3server import S3Server

MODEL = "global.anthropic.claude-opus-4-6-v1"
ROLE = "arn:aws:iam::123456789012:role/BedrockLogs"


# -- shared helpers -------------------------------------------------------------------------


@dataclass
class LoggedEmulator:
    """An in-process emulator whose log writer and accepted identity are the S3 server's."""

    emulator: Emulator
    s3: S3Server

    @property
    def url(self) -> str:
        return self.emulator.url

    def client(self, **options: Any) -> AnthropicBedrock:
        return AnthropicBedrock(
            aws_access_key=self.s3.access_key, aws_secret_key=self.s3.secret_key,
            aws_region=self.emulator.region, base_url=self.url, **options,
        )  # fmt: skip

    def async_client(self, **options: Any) -> AsyncAnthropicBedrock:
        return AsyncAnthropicBedrock(
            aws_access_key=self.s3.access_key, aws_secret_key=self.s3.secret_key,
            aws_region=self.emulator.region, base_url=self.url, **options,
        )  # fmt: skip

    def boto(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service, endpoint_url=self.url, aws_access_key_id=self.s3.access_key,
            aws_secret_access_key=self.s3.secret_key, region_name=self.emulator.region,
        )  # fmt: skip

    def cli_env(self) -> dict[str, str]:
        """The environment a user would have: Bedrock at the emulator, S3 at SeaweedFS."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        return {**env, **self.s3.env(), "AWS_ENDPOINT_URL": self.url, "COLUMNS": "120"}

    def writer_status(self) -> dict[str, Any]:
        answer: dict[str, Any] = httpx.get(self.url + "/_emulator/invocation-logging").json()
        return answer

    def wait_delivered(self, timeout: float = 60.0) -> dict[str, Any]:
        """Until every record submitted so far is in S3 (bounded wait, not a timing check)."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.writer_status()
            idle = status.get("pending", 0) == 0 and status.get("uploading", 0) == 0
            if idle and status.get("delivered", 0) == status.get("submitted", 0):
                return status
            if time.monotonic() > deadline:
                raise AssertionError(f"log records not delivered in time: {status}")
            time.sleep(0.02)


def credentials_file(directory: Path, s3: S3Server) -> Path:
    path = directory / "credentials"
    path.write_text(
        f"[default]\naws_access_key_id = {s3.access_key}\naws_secret_access_key = {s3.secret_key}\n"
    )
    return path


@contextmanager
def logged_emulator(s3: S3Server, directory: Path, **options: Any) -> Iterator[LoggedEmulator]:
    writer = writer_options(
        endpoint_url=s3.endpoint_url, credentials=s3.credentials, flush_interval=0.05
    )
    options.setdefault("faults", True)  # the stream-fault header is used by some tests
    emulator = Emulator(
        credentials_file=credentials_file(directory, s3), extensions=[writer], **options
    )
    with emulator:
        yield LoggedEmulator(emulator, s3)


def read_records(s3: S3Server, bucket: str, prefix: str = "") -> list[dict[str, Any]]:
    """Every record line of every log object in the bucket (data/ objects excluded)."""
    client = s3.client()
    records: list[dict[str, Any]] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if "/data/" in item["Key"]:
                continue
            raw = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            records += [json.loads(line) for line in gzip.decompress(raw).splitlines()]
    return records


@pytest.fixture(scope="module")
def logged(
    s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LoggedEmulator]:
    with logged_emulator(s3_server, tmp_path_factory.mktemp("logged")) as running:
        yield running


@pytest.fixture(autouse=True)
def _s3_endpoint(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client finds S3 as a user's would: through AWS_ENDPOINT_URL_S3 (never AWS here)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.endpoint_url)
    monkeypatch.delenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


# -- enable / get / disable -----------------------------------------------------------------


def _lifecycle(s3: S3Server, bucket: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = s3.client().get_bucket_lifecycle_configuration(Bucket=bucket)[
        "Rules"
    ]
    return rules


def test_enable_puts_the_configuration_and_a_30_day_expiry(
    logged: LoggedEmulator, s3_bucket: str
) -> None:
    with logged.client() as client:
        report = client.invocation_logging.enable(s3_bucket=s3_bucket, s3_prefix="bedrock/")
        try:
            assert report.ok
            (s3_setting,) = report.retention
            assert (s3_setting.destination, s3_setting.status) == ("s3", "set")
            assert s3_setting.effective_days == 30
            assert s3_setting.target == f"s3://{s3_bucket}/bedrock/AWSLogs/"
            rules = _lifecycle(logged.s3, s3_bucket)
            assert [(r["Filter"]["Prefix"], r["Expiration"]["Days"]) for r in rules] == [
                ("bedrock/AWSLogs/", 30)
            ]
            config = client.invocation_logging.get()
            assert config == report.config
            assert config is not None and config.s3_config is not None
            assert (config.s3_config.bucket_name, config.text_data_delivery_enabled) == (
                s3_bucket, True,
            )  # fmt: skip
            # boto3 sees the same configuration (our wire shape is Bedrock's).
            seen = logged.boto("bedrock").get_model_invocation_logging_configuration()
            assert seen["loggingConfig"] == config.to_wire()
        finally:
            client.invocation_logging.disable()
        assert client.invocation_logging.get() is None
    # The rule stays: logs already written must still expire.
    assert len(_lifecycle(logged.s3, s3_bucket)) == 1


def test_short_retention_needs_the_explicit_override(
    logged: LoggedEmulator, s3_bucket: str
) -> None:
    with logged.client() as client:
        with pytest.raises(ClientValidationError, match="allow_short_retention"):
            client.invocation_logging.enable(s3_bucket=s3_bucket, retention_days=7)
        assert client.invocation_logging.get() is None  # nothing was sent
        report = client.invocation_logging.enable(
            s3_bucket=s3_bucket, retention_days=7, allow_short_retention=True
        )
        client.invocation_logging.disable()
    assert report.retention[0].effective_days == 7
    assert _lifecycle(logged.s3, s3_bucket)[0]["Expiration"]["Days"] == 7


def test_a_shorter_existing_rule_is_reported_not_hidden(
    logged: LoggedEmulator, s3_bucket: str
) -> None:
    logged.s3.client().put_bucket_lifecycle_configuration(
        Bucket=s3_bucket,
        LifecycleConfiguration={"Rules": [{"ID": "everything-7d", "Filter": {"Prefix": ""},
                                           "Status": "Enabled", "Expiration": {"Days": 7}}]},
    )  # fmt: skip
    with logged.client() as client:
        report = client.invocation_logging.enable(s3_bucket=s3_bucket, retention_days=60)
        status = client.invocation_logging.retention()
        client.invocation_logging.disable()
    (setting,) = report.retention
    assert (setting.status, setting.effective_days) == ("shorter", 7)
    assert not report.ok
    assert status[0].effective_days == 7
    ids = {rule["ID"] for rule in _lifecycle(logged.s3, s3_bucket)}
    assert "everything-7d" in ids and len(ids) == 2  # the other rule was kept


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "needs a destination"),
        ({"cloudwatch_log_group": "/bedrock"}, "needs role_arn"),
        ({"s3_bucket": "ok-bucket", "role_arn": ROLE}, "only used for CloudWatch"),
        ({"cloudwatch_log_group": "/b", "role_arn": "arn:aws:iam::1:user/x"}, "not an IAM role"),
        ({"s3_bucket": "Bad_Bucket"}, "valid S3 bucket"),
        ({"s3_bucket": "ok-bucket", "retention_days": 0}, ">= 1"),
        ({"s3_bucket": "ok-bucket", "retention_days": 4000}, "10 years"),
    ],
)
def test_bad_arguments_are_refused_before_any_request(
    logged: LoggedEmulator, options: dict[str, Any], message: str
) -> None:
    with logged.client() as client:
        with pytest.raises(ClientValidationError, match=message):
            client.invocation_logging.enable(**options)
        assert client.invocation_logging.get() is None


def test_cloudwatch_retention_is_not_invented_where_there_is_no_cloudwatch(
    logged: LoggedEmulator,
) -> None:
    with logged.client() as client:
        report = client.invocation_logging.enable(
            cloudwatch_log_group="/bedrock/inv", role_arn=ROLE
        )
        config = client.invocation_logging.get()
        client.invocation_logging.disable()
    (setting,) = report.retention
    assert (setting.destination, setting.status) == ("cloudwatch", "not_set")
    assert "not emulated" in setting.detail
    assert config is not None and config.cloud_watch_config is not None
    assert config.cloud_watch_config.role_arn == ROLE


# -- CloudWatch Logs retention through botocore, against a loopback server -------------------


class _LogsServer(ThreadingHTTPServer):
    """Answers PutRetentionPolicy like CloudWatch Logs (JSON 1.1); remembers the requests."""

    def __init__(self, known_groups: set[str]) -> None:
        self.known_groups = known_groups
        self.calls: list[tuple[str, dict[str, Any], str]] = []
        super().__init__(("127.0.0.1", 0), _LogsHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _LogsHandler(BaseHTTPRequestHandler):
    server: _LogsServer

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        target = self.headers.get("X-Amz-Target", "")
        self.server.calls.append((target, body, self.headers.get("Authorization", "")))
        if body.get("logGroupName") in self.server.known_groups:
            status, answer = 200, b""
        else:
            status = 400
            error = {"__type": "ResourceNotFoundException", "message": "No such log group."}
            answer = json.dumps(error).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def logs_server() -> Iterator[_LogsServer]:
    server = _LogsServer({"/bedrock/known"})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_cloudwatch_retention_is_set_and_rounded_up(
    logged: LoggedEmulator, logs_server: _LogsServer
) -> None:
    with logged.client() as client:
        report = client.invocation_logging.enable(
            cloudwatch_log_group="/bedrock/known", role_arn=ROLE, retention_days=45,
            cloudwatch_endpoint_url=logs_server.url,
        )  # fmt: skip
        client.invocation_logging.disable()
    (setting,) = report.retention
    assert (setting.status, setting.days, setting.effective_days) == ("set", 45, 60)
    (target, body, authorization) = logs_server.calls[0]
    assert target == "Logs_20140328.PutRetentionPolicy"
    assert body == {"logGroupName": "/bedrock/known", "retentionInDays": 60}
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=" + logged.s3.access_key)


def test_a_missing_log_group_is_reported_with_the_fix(
    logged: LoggedEmulator, logs_server: _LogsServer
) -> None:
    with logged.client() as client:
        report = client.invocation_logging.enable(
            cloudwatch_log_group="/bedrock/missing", role_arn=ROLE,
            cloudwatch_endpoint_url=logs_server.url,
        )  # fmt: skip
        client.invocation_logging.disable()
    (setting,) = report.retention
    assert setting.status == "failed" and not report.ok
    assert "create-log-group --log-group-name /bedrock/missing" in setting.detail


# -- async ------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_enable_get_retention_disable(logged: LoggedEmulator, s3_bucket: str) -> None:
    async with logged.async_client() as client:
        report = await client.invocation_logging.enable(
            s3_bucket=s3_bucket, s3_prefix="async", image=True, retention_days=90
        )
        config = await client.invocation_logging.get()
        kept = await client.invocation_logging.retention()
        await client.invocation_logging.disable()
        after = await client.invocation_logging.get()
    assert report.ok and report.retention[0].effective_days == 90
    assert isinstance(config, LoggingConfig) and config.image_data_delivery_enabled is True
    assert [(k.status, k.effective_days) for k in kept] == [("set", 90)]
    assert after is None


# -- CLI ----------------------------------------------------------------------------------------


def _cli(logged: LoggedEmulator, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "claude_bedrock", *args],
        env=logged.cli_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_cli_logging_enable_status_disable(logged: LoggedEmulator, s3_bucket: str) -> None:
    enabled = _cli(logged, "logging", "enable", "--s3-bucket", s3_bucket, "--s3-prefix", "cli")
    assert enabled.returncode == 0, enabled.stderr
    assert "Invocation logging is on" in enabled.stdout
    assert f"s3://{s3_bucket}/cli/AWSLogs/: 30 days" in enabled.stdout
    status = _cli(logged, "logging", "status", "--output", "json")
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["enabled"] is True
    assert data["loggingConfig"]["s3Config"] == {"bucketName": s3_bucket, "keyPrefix": "cli"}
    assert [(r["status"], r["effective_days"]) for r in data["retention"]] == [("set", 30)]
    disabled = _cli(logged, "logging", "disable")
    assert disabled.returncode == 0, disabled.stderr
    off = _cli(logged, "logging", "status")
    assert "off" in off.stdout


def test_cli_refuses_short_retention_with_a_usage_error(
    logged: LoggedEmulator, s3_bucket: str
) -> None:
    result = _cli(logged, "logging", "enable", "--s3-bucket", s3_bucket, "--retention-days", "3")
    assert result.returncode == 2
    assert "--allow-short-retention" in result.stderr
    assert json.loads(_cli(logged, "logging", "status", "-o", "json").stdout)["enabled"] is False


def test_an_unknown_enable_keyword_is_a_type_error_before_any_request(
    logged: LoggedEmulator,
) -> None:
    """``enable``'s keywords are one TypedDict (sync and async): a misspelt one still fails
    as it would with a plain signature, and nothing is sent."""
    options: dict[str, Any] = {"s3_bukket": "ok-bucket"}
    with logged.client() as client:
        with pytest.raises(TypeError, match="s3_bukket"):
            client.invocation_logging.enable(**options)
        assert client.invocation_logging.get() is None
