"""The emulator's model invocation logging: control plane, records, delivery to a real S3
server (SeaweedFS), and the promise that nothing is lost or written twice, SIGTERM included.

Fault injection on the way to S3 uses a real TCP proxy on loopback (``_Proxy``): it can
refuse connections, or let a PUT reach S3 and then drop S3's answer, which is exactly the
case where a retry must not duplicate anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from claude_bedrock import AnthropicBedrock, AsyncAnthropicBedrock
from claude_bedrock._exceptions import APIConnectionError, APIStatusError
from claude_bedrock._s3 import s3_client
from claude_bedrock.emulator import Emulator
from claude_bedrock.emulator.invocation_logging import (
    ENV_ACCESS_KEY,
    ENV_ENDPOINT,
    ENV_SECRET_KEY,
    writer_options,
)
from claude_bedrock.emulator.log_writer import Destination, LogWriter
from claude_bedrock.types import Message
from refusing import refusing_url
from s3server import S3Server
from test_invocation_logging import (
    LoggedEmulator,
    credentials_file,
    logged_emulator,
    read_records,
)

MODEL = "global.anthropic.claude-opus-4-6-v1"
ROLE = "arn:aws:iam::123456789012:role/BedrockLogs"


@pytest.fixture(scope="module")
def logged(
    s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LoggedEmulator]:
    with logged_emulator(s3_server, tmp_path_factory.mktemp("em-logged")) as running:
        yield running


def _control(logged: LoggedEmulator, *, validate: bool = True) -> Any:
    config = Config(parameter_validation=validate, retries={"max_attempts": 1})
    return boto3.client(
        "bedrock", endpoint_url=logged.url, aws_access_key_id=logged.s3.access_key,
        aws_secret_access_key=logged.s3.secret_key, region_name=logged.emulator.region,
        config=config,
    )  # fmt: skip


def _enable(logged: LoggedEmulator, bucket: str, **extra: Any) -> None:
    config = {"s3Config": {"bucketName": bucket, "keyPrefix": "logs"},
              "textDataDeliveryEnabled": True, **extra}  # fmt: skip
    _control(logged).put_model_invocation_logging_configuration(loggingConfig=config)


@pytest.fixture
def enabled(logged: LoggedEmulator, s3_bucket: str) -> Iterator[str]:
    """Logging on for this test (text included), off after it."""
    _enable(logged, s3_bucket)
    yield s3_bucket
    _control(logged).delete_model_invocation_logging_configuration()


# -- control plane -----------------------------------------------------------------------------


def test_boto3_put_get_delete_round_trip(logged: LoggedEmulator, s3_bucket: str) -> None:
    bedrock = _control(logged)
    assert "loggingConfig" not in bedrock.get_model_invocation_logging_configuration()
    config = {
        "s3Config": {"bucketName": s3_bucket, "keyPrefix": "bedrock"},
        "cloudWatchConfig": {
            "logGroupName": "/bedrock/invocations", "roleArn": ROLE,
            "largeDataDeliveryS3Config": {"bucketName": s3_bucket, "keyPrefix": "large"},
        },
        "textDataDeliveryEnabled": True, "imageDataDeliveryEnabled": False,
        "embeddingDataDeliveryEnabled": True, "videoDataDeliveryEnabled": False,
    }  # fmt: skip
    answer = bedrock.put_model_invocation_logging_configuration(loggingConfig=config)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert bedrock.get_model_invocation_logging_configuration()["loggingConfig"] == config
    bedrock.delete_model_invocation_logging_configuration()
    assert "loggingConfig" not in bedrock.get_model_invocation_logging_configuration()
    bedrock.delete_model_invocation_logging_configuration()  # idempotent, as the model says


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "at least one destination"),
        ({"s3Config": {"bucketName": "ab"}}, "s3Config.bucketName"),
        ({"s3Config": {"bucketName": "Not_A_Bucket"}}, "valid S3 bucket name"),
        ({"cloudWatchConfig": {"logGroupName": "g", "roleArn": "nope"}}, "roleArn"),
        ({"cloudWatchConfig": {"logGroupName": "", "roleArn": ROLE}}, "logGroupName"),
        ({"s3Config": {"bucketName": "abc"}, "textDataDeliveryEnabled": "yes"}, "boolean"),
    ],
)
def test_bad_configurations_are_validation_errors(
    logged: LoggedEmulator, config: dict[str, Any], message: str
) -> None:
    bedrock = _control(logged, validate=False)  # let the emulator, not botocore, judge
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        bedrock.put_model_invocation_logging_configuration(loggingConfig=config)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert message in error["Message"]
    assert "loggingConfig" not in bedrock.get_model_invocation_logging_configuration()


def test_a_missing_bucket_is_refused(logged: LoggedEmulator) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        _enable(logged, "no-such-bucket-for-logs")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "no-such-bucket-for-logs" in caught.value.response["Error"]["Message"]


def test_without_an_s3_endpoint_s3_delivery_is_refused_not_dropped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, s3_server: S3Server
) -> None:
    for name in (ENV_ENDPOINT, "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    with Emulator(credentials_file=credentials_file(tmp_path, s3_server)) as emulator:
        bedrock = _control(LoggedEmulator(emulator, s3_server))
        with pytest.raises(botocore.exceptions.ClientError, match="no S3 endpoint"):
            bedrock.put_model_invocation_logging_configuration(
                loggingConfig={"s3Config": {"bucketName": "some-bucket"}}
            )
        cloudwatch = {"cloudWatchConfig": {"logGroupName": "/g", "roleArn": ROLE}}
        bedrock.put_model_invocation_logging_configuration(loggingConfig=cloudwatch)
        assert bedrock.get_model_invocation_logging_configuration()["loggingConfig"] == cloudwatch


# -- records ----------------------------------------------------------------------------------


def test_invoke_stream_and_error_records(logged: LoggedEmulator, enabled: str) -> None:
    with logged.client(max_retries=0) as client:
        message = client.messages.create(
            model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "Log me"}]
        )
        with client.messages.stream(
            model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "Stream me"}]
        ) as stream:
            streamed = stream.get_final_message()
        with pytest.raises(APIStatusError):
            client.messages.create(
                model=MODEL, max_tokens=0, messages=[{"role": "user", "content": "x"}]
            )
    logged.wait_delivered()
    records = {r["requestId"]: r for r in read_records(logged.s3, enabled, "logs/AWSLogs/")}
    assert len(records) == 3
    invoke, streamed_record = records[message.request_id], records[streamed.request_id]
    (failed,) = [r for r in records.values() if "errorCode" in r]

    assert invoke["schemaType"] == "ModelInvocationLog" and invoke["schemaVersion"] == "1.0"
    assert (invoke["operation"], invoke["modelId"], invoke["region"]) == (
        "InvokeModel",
        MODEL,
        "us-east-1",
    )
    assert invoke["accountId"] == "123456789012"
    assert invoke["identity"] == {"arn": "arn:aws:iam::123456789012:user/default"}
    assert datetime.strptime(invoke["timestamp"], "%Y-%m-%dT%H:%M:%SZ")
    assert invoke["input"]["inputBodyJson"]["messages"] == [{"role": "user", "content": "Log me"}]
    assert invoke["input"]["inputTokenCount"] == message.usage.input_tokens
    assert invoke["output"]["outputTokenCount"] == message.usage.output_tokens
    assert invoke["output"]["outputBodyJson"]["content"][0]["text"] == message.content[0].text  # type: ignore[union-attr]

    assert streamed_record["operation"] == "InvokeModelWithResponseStream"
    events = streamed_record["output"]["outputBodyJson"]
    assert [e["type"] for e in events][0] == "message_start" and events[-1][
        "type"
    ] == "message_stop"
    assert "amazon-bedrock-invocationMetrics" in events[-1]
    assert streamed_record["output"]["outputTokenCount"] == streamed.usage.output_tokens
    assert streamed_record["input"]["inputTokenCount"] == streamed.usage.input_tokens

    assert failed["errorCode"] == "ValidationException" and "output" not in failed


def test_records_land_under_bedrocks_key_layout(logged: LoggedEmulator, enabled: str) -> None:
    with logged.client() as client:
        client.messages.create(
            model=MODEL, max_tokens=16, messages=[{"role": "user", "content": "k"}]
        )
    logged.wait_delivered()
    (key,) = [o["Key"] for o in logged.s3.client().list_objects_v2(Bucket=enabled)["Contents"]]
    hour = datetime.now(UTC).strftime("%Y/%m/%d/%H")
    prefix = "logs/AWSLogs/123456789012/BedrockModelInvocationLogs/us-east-1/"
    assert key.startswith(prefix) and key.endswith(".json.gz")
    # The hour directory is the record's hour (the call was made within this hour or the last).
    assert key[len(prefix) : len(prefix) + 13] <= hour


def test_no_secret_reaches_the_logs(logged: LoggedEmulator, enabled: str) -> None:
    with logged.client() as client:
        client.messages.create(
            model=MODEL, max_tokens=16, messages=[{"role": "user", "content": "s"}]
        )
        ask: dict[str, Any] = {
            "model": MODEL,
            "max_tokens": 16,
            "messages": [{"role": "user", "content": "t"}],
        }
        with client.messages.stream(**ask) as stream:
            stream.until_done()
    logged.wait_delivered()
    s3 = logged.s3.client()
    everything = b"".join(
        gzip.decompress(s3.get_object(Bucket=enabled, Key=o["Key"])["Body"].read())
        for o in s3.list_objects_v2(Bucket=enabled)["Contents"]
    )
    assert everything.count(b'"requestId"') == 2
    for secret in (logged.s3.secret_key.encode(), b"Signature=", b"AWS4-HMAC-SHA256",
                   b"authorization", b"x-amz-date"):  # fmt: skip
        assert secret not in everything


def test_without_text_delivery_only_metadata_is_logged(
    logged: LoggedEmulator, s3_bucket: str
) -> None:
    _enable(logged, s3_bucket, textDataDeliveryEnabled=False)
    try:
        with logged.client() as client:
            message = client.messages.create(
                model=MODEL, max_tokens=16, messages=[{"role": "user", "content": "private"}]
            )
        logged.wait_delivered()
    finally:
        _control(logged).delete_model_invocation_logging_configuration()
    (record,) = read_records(logged.s3, s3_bucket)
    assert "inputBodyJson" not in record["input"] and "outputBodyJson" not in record["output"]
    assert record["output"]["outputTokenCount"] == message.usage.output_tokens
    assert b"private" not in json.dumps(record).encode()


def test_large_bodies_go_to_data_objects(logged: LoggedEmulator, enabled: str) -> None:
    big = "word " * 30_000  # 150 KB: over the 100 KB Bedrock keeps inline
    with logged.client() as client:
        message = client.messages.create(
            model=MODEL, max_tokens=16, messages=[{"role": "user", "content": big}]
        )
    logged.wait_delivered()
    (record,) = read_records(logged.s3, enabled)
    path = record["input"]["inputBodyS3Path"]
    assert "inputBodyJson" not in record["input"]
    hour_dir = "logs/AWSLogs/123456789012/BedrockModelInvocationLogs/us-east-1/"
    hour_dir += path.split("us-east-1/")[1][:13]
    assert path == f"s3://{enabled}/{hour_dir}/data/{message.request_id}_input.json.gz"
    raw = logged.s3.client().get_object(Bucket=enabled, Key=path.split(f"{enabled}/", 1)[1])
    body = json.loads(gzip.decompress(raw["Body"].read()))
    assert body["messages"][0]["content"] == big
    assert record["output"]["outputBodyJson"]["id"] == message.id  # small output stays inline


def test_converse_and_converse_stream_are_logged_count_tokens_is_not(
    logged: LoggedEmulator, enabled: str
) -> None:
    runtime = logged.boto("bedrock-runtime")
    messages = [{"role": "user", "content": [{"text": "Hello"}]}]
    answer = runtime.converse(modelId=MODEL, messages=messages, inferenceConfig={"maxTokens": 32})
    streamed = runtime.converse_stream(modelId=MODEL, messages=messages)
    events = list(streamed["stream"])
    runtime.count_tokens(
        modelId="anthropic.claude-opus-4-6-v1", input={"converse": {"messages": messages}}
    )
    logged.wait_delivered()
    records = {r["requestId"]: r for r in read_records(logged.s3, enabled)}
    assert len(records) == 2  # no CountTokens record
    converse = records[answer["ResponseMetadata"]["RequestId"]]
    assert converse["operation"] == "Converse"
    assert converse["output"]["outputBodyJson"]["output"] == answer["output"]
    assert converse["output"]["outputTokenCount"] == answer["usage"]["outputTokens"]
    stream_record = records[streamed["ResponseMetadata"]["RequestId"]]
    assert stream_record["operation"] == "ConverseStream"
    text = "".join(
        e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e
    )
    body = stream_record["output"]["outputBodyJson"]  # assembled, as Bedrock logs it
    assert body["output"]["message"]["content"] == [{"text": text}]
    assert body["stopReason"] == "end_turn"
    assert body["usage"] == events[-1]["metadata"]["usage"]


def test_stream_exception_is_logged_with_its_code_a_cut_stream_is_not(
    logged: LoggedEmulator, enabled: str
) -> None:
    with logged.client(max_retries=0) as client:
        for fault in ("throttlingException@3", "reset@3"):
            kwargs: dict[str, Any] = {
                "model": MODEL,
                "max_tokens": 32,
                "messages": [{"role": "user", "content": fault}],
            }
            headers = {"x-emulator-stream-fault": fault}
            with (
                pytest.raises((APIStatusError, APIConnectionError)),
                client.messages.stream(**kwargs, extra_headers=headers) as stream,
            ):
                stream.until_done()
    logged.wait_delivered()
    (record,) = read_records(logged.s3, enabled)
    assert record["errorCode"] == "ThrottlingException"
    assert record["operation"] == "InvokeModelWithResponseStream"


def test_logging_is_per_account(s3_server: S3Server, s3_bucket: str, tmp_path: Path) -> None:
    creds = credentials_file(tmp_path, s3_server)
    other_key, other_secret = "AKIAOTHERACCOUNT0001", "other-account-secret"
    profile = f"[other]\naws_access_key_id = {other_key}\naws_secret_access_key = {other_secret}\n"
    creds.write_text(f"{creds.read_text()}\n{profile}account_id = 210987654321\n")
    writer = writer_options(endpoint_url=s3_server.endpoint_url, credentials=s3_server.credentials,
                            flush_interval=0.05)  # fmt: skip
    with Emulator(credentials_file=creds, extensions=[writer]) as emulator:
        logged = LoggedEmulator(emulator, s3_server)
        _enable(logged, s3_bucket)
        other = AnthropicBedrock(aws_access_key=other_key, aws_secret_key=other_secret,
                                 aws_region="us-east-1", base_url=emulator.url)  # fmt: skip
        ask: dict[str, Any] = {
            "model": MODEL,
            "max_tokens": 8,
            "messages": [{"role": "user", "content": "a"}],
        }
        with other, logged.client() as mine:
            mine_id = mine.messages.create(**ask).request_id
            other.messages.create(**ask)
            assert other.invocation_logging.get() is None  # that account configured nothing
        logged.wait_delivered()
    assert [r["requestId"] for r in read_records(s3_server, s3_bucket)] == [mine_id]


# -- delivery: retries without duplicates, and giving up only at the deadline ----------------


class _Proxy:
    """A loopback TCP proxy to the S3 server that misbehaves on purpose: it closes the first
    ``refuse`` connections at once, then lets ``drop_answers`` requests through to S3 but
    cuts the connection instead of returning S3's answer (the request *was* done)."""

    def __init__(self, target_url: str, *, refuse: int = 0, drop_answers: int = 0) -> None:
        host, _, port = target_url.removeprefix("http://").rstrip("/").partition(":")
        self.target = (host, int(port))
        self.refuse, self.drop_answers = refuse, drop_answers
        self.connections = self.dropped = 0
        self.puts = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                refused = self.connections <= self.refuse
            if refused:
                conn.close()
                continue
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._forward, args=(conn, upstream), daemon=True).start()
            threading.Thread(target=self._answer, args=(upstream, conn), daemon=True).start()

    def _forward(self, client: socket.socket, upstream: socket.socket) -> None:
        try:
            while data := client.recv(65536):
                if data.startswith(b"PUT "):
                    with self._lock:
                        self.puts += 1
                upstream.sendall(data)
        except OSError:
            pass
        finally:
            _close(upstream)

    def _answer(self, upstream: socket.socket, client: socket.socket) -> None:
        try:
            while data := upstream.recv(65536):
                with self._lock:
                    drop = self.dropped < self.drop_answers
                    self.dropped += drop
                if drop:
                    break
                client.sendall(data)
        except OSError:
            pass
        finally:
            _close(client)
            _close(upstream)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def _submit_and_close(writer: LogWriter, bucket: str, count: int, timeout: float = 30.0) -> None:
    async def scenario() -> None:
        destination = Destination(bucket, "w", "123456789012", "us-east-1")
        now = datetime.now(UTC)
        for i in range(count):
            record = {"schemaType": "ModelInvocationLog", "requestId": f"req-{i}", "n": i}
            writer.submit(destination, record, request_id=f"req-{i}", when=now)
        await writer.close(timeout)

    asyncio.run(scenario())


def test_a_retried_upload_never_duplicates(s3_server: S3Server, s3_bucket: str) -> None:
    proxy = _Proxy(s3_server.endpoint_url, refuse=2, drop_answers=1)
    try:
        # One botocore attempt per upload: every retry below is the writer's own.
        writer = LogWriter(lambda: boto3.client(
            "s3", endpoint_url=proxy.url, aws_access_key_id=s3_server.access_key,
            aws_secret_access_key=s3_server.secret_key, region_name=s3_server.region,
            config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}),
        ), flush_interval=0.05)  # fmt: skip
        _submit_and_close(writer, s3_bucket, 25)
    finally:
        proxy.close()
    assert (proxy.dropped, proxy.puts) == (1, 2)  # S3 did the PUT twice, same key both times
    assert writer.stats.retries == 3 and writer.stats.dropped == 0
    assert (writer.stats.delivered, writer.stats.objects) == (25, 1)
    records = read_records(s3_server, s3_bucket)
    assert sorted(r["n"] for r in records) == list(range(25))


def test_records_are_dropped_only_when_s3_stays_down_past_the_deadline(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with refusing_url() as dead:  # held: no other server can take the port meanwhile
        writer = LogWriter(lambda: s3_client(region="us-east-1", endpoint_url=dead,
                                             credentials=("AKIDEXAMPLE", "secret", None)),
                           flush_interval=0.05)  # fmt: skip
        _submit_and_close(writer, "some-bucket", 7, timeout=0.3)
    assert (writer.stats.dropped, writer.stats.delivered) == (7, 0)
    assert "7 invocation log records were not delivered" in caplog.text


# -- the promise: SIGTERM during 200 concurrent calls loses nothing, duplicates nothing -------


async def _wait_refused(port: int) -> None:
    """Until the server no longer accepts connections (it has begun shutting down)."""
    for _ in range(3000):
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return
        writer.close()
        await asyncio.sleep(0.01)
    raise AssertionError("the emulator kept accepting connections after SIGTERM")


@pytest.mark.slow
@pytest.mark.anyio
async def test_sigterm_during_200_concurrent_calls_loses_no_record(
    s3_server: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    """200 calls from our async client: 75 plain calls and 75 paced streams under way at
    once, SIGTERM as soon as every stream has started, 30 more calls sent right after the
    signal (racing the shutdown) and 20 once the port refuses connections. Exactly the calls
    that returned a Message have a record, each once; none of the others has one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CLAUDE_BEDROCK_"))}
    env |= {ENV_ENDPOINT: s3_server.endpoint_url, ENV_ACCESS_KEY: s3_server.access_key,
            ENV_SECRET_KEY: s3_server.secret_key, "PYTHONUNBUFFERED": "1"}  # fmt: skip
    command = [sys.executable, "-m", "claude_bedrock", "serve", "--port", "0", "--pace", "16",
               "--credentials-file", str(credentials_file(tmp_path, s3_server))]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert server.stdout is not None
        url = re.search(r"listening on (http://\S+)", server.stdout.readline()).group(1)  # type: ignore[union-attr]
        outcome = await _load(url, s3_server, s3_bucket, server)
    finally:
        if server.poll() is None:
            server.kill()
        server.wait()
    assert server.returncode == 0  # a graceful exit, after the flush

    succeeded = {m.request_id for m in outcome.results if isinstance(m, Message)}
    failed = [r for r in outcome.results if not isinstance(r, Message)]
    records = read_records(s3_server, s3_bucket, "load/")
    ids = [r["requestId"] for r in records]
    assert len(ids) == len(set(ids)), "a record was written twice"
    failures = [(i, repr(r)[:120]) for i, r in enumerate(outcome.results) if r in failed]
    assert set(ids) == succeeded, f"failed calls: {failures}"
    assert not [r for r in records if "errorCode" in r]
    # The run really was interrupted mid-way: the streams in flight at SIGTERM finished (and
    # were logged), the calls sent once the port was closed all failed. (A plain call whose
    # request the server had not read yet when the signal came may fail too: unread, it
    # never ran, and it has no record.)
    assert outcome.streams_in_flight > 0
    assert all(isinstance(r, Message) for r in outcome.results[75:150])
    assert all(isinstance(r, APIConnectionError) for r in outcome.results[180:])
    assert len(succeeded) + len(failed) == 200 and len(failed) >= 20


class _Outcome:
    def __init__(self, results: list[Message | Exception], streams_in_flight: int) -> None:
        self.results = results
        self.streams_in_flight = streams_in_flight


async def _load(url: str, s3: S3Server, bucket: str, server: subprocess.Popen[str]) -> _Outcome:
    port = int(url.rsplit(":", 1)[1])
    started = [asyncio.Event() for _ in range(75)]
    finished = [False] * 75
    sigterm_sent, refused = asyncio.Event(), asyncio.Event()
    async with AsyncAnthropicBedrock(
        aws_access_key=s3.access_key, aws_secret_key=s3.secret_key, aws_region="us-east-1",
        base_url=url, max_retries=0,
    ) as client:  # fmt: skip
        await client.invocation_logging.enable(s3_bucket=bucket, s3_prefix="load",
                                               s3_endpoint_url=s3.endpoint_url)  # fmt: skip

        async def plain(i: int, gate: asyncio.Event | None = None) -> Message | Exception:
            if gate is not None:
                await gate.wait()
            try:
                return await client.messages.create(
                    model=MODEL, max_tokens=32, messages=[{"role": "user", "content": f"call {i}"}]
                )
            except (APIConnectionError, APIStatusError) as exc:
                return exc

        async def streamed(i: int) -> Message | Exception:
            try:
                async with client.messages.stream(
                    model=MODEL, max_tokens=48,
                    messages=[{"role": "user", "content": f"stream {i} please, a long answer"}],
                ) as stream:  # fmt: skip
                    async for _event in stream:
                        started[i].set()
                    message = await stream.get_final_message()
                finished[i] = True
                return message
            except (APIConnectionError, APIStatusError) as exc:
                started[i].set()
                return exc

        tasks = [asyncio.create_task(plain(i)) for i in range(75)]
        tasks += [asyncio.create_task(streamed(i)) for i in range(75)]
        tasks += [asyncio.create_task(plain(i, sigterm_sent)) for i in range(150, 180)]
        tasks += [asyncio.create_task(plain(i, refused)) for i in range(180, 200)]
        await asyncio.gather(*(event.wait() for event in started))
        in_flight = finished.count(False)
        server.send_signal(signal.SIGTERM)
        sigterm_sent.set()
        await _wait_refused(port)
        refused.set()
        results = await asyncio.gather(*tasks)
        await asyncio.to_thread(server.wait, 60)
    return _Outcome(list(results), in_flight)
