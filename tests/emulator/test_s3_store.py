"""The emulator's own S3 (emulator/s3_store.py, s3_link.py): SeaweedFS started for it.

The launcher's start, readiness and orphan-free stop are proven by tests/test_s3.py (the
test suite's server is the same launcher); here: what the emulator adds (its keys accepted,
a fixed port, a kept data directory that reopens, buckets created on first use) and
``Emulator(s3="embedded")`` in-process, checked with boto3.
"""

from __future__ import annotations

import json
import os
import socket
import urllib.request
from pathlib import Path

import boto3
import botocore.exceptions
import pytest

from claude_bedrock.emulator import Emulator
from claude_bedrock.emulator.s3_link import S3Link, missing_s3_message
from claude_bedrock.emulator.s3_store import INSTALL_HINT, SeaweedS3

KEY = ("AKIAEMULATORKEY00001", "emulator secret for the embedded S3")


def _s3(url: str, key: tuple[str, str]) -> object:
    return boto3.client("s3", endpoint_url=url, aws_access_key_id=key[0],
                        aws_secret_access_key=key[1], region_name="us-east-1")  # fmt: skip


def test_given_keys_sign_and_a_kept_directory_reopens(tmp_path: Path) -> None:
    weed = SeaweedS3(tmp_path / "s3", keys=[KEY], auto_create_buckets=True)
    server = weed.start()
    try:
        assert server.access_key == KEY[0]
        s3 = _s3(server.endpoint_url, KEY)
        s3.put_object(Bucket="made-by-a-write", Key="k", Body=b"kept")  # type: ignore[attr-defined]
        wrong = _s3(server.endpoint_url, (KEY[0], "not the secret"))
        with pytest.raises(botocore.exceptions.ClientError, match="SignatureDoesNotMatch"):
            wrong.list_buckets()  # type: ignore[attr-defined]
    finally:
        weed.stop()
    assert weed.pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(weed.pid, 0)
    again = SeaweedS3(tmp_path / "s3", keys=[KEY])
    server = again.start()
    try:
        s3 = _s3(server.endpoint_url, KEY)
        got = s3.get_object(Bucket="made-by-a-write", Key="k")  # type: ignore[attr-defined]
        assert got["Body"].read() == b"kept"
    finally:
        again.stop()


def test_in_process_emulator_with_embedded_s3_logs_to_a_bucket_it_creates() -> None:
    with Emulator(s3="embedded") as emulator:
        link = emulator.s3
        assert isinstance(link, S3Link) and link.ready
        with urllib.request.urlopen(emulator.url + "/_emulator/s3") as answer:
            status = json.load(answer)
        assert status == {"mode": "embedded", "endpointUrl": link.endpoint_url, "state": "ready"}
        keys = {
            "aws_access_key_id": emulator.access_key,
            "aws_secret_access_key": emulator.secret_key,
            "region_name": emulator.region,
        }
        bedrock = boto3.client("bedrock", endpoint_url=emulator.url, **keys)  # fmt: skip
        bedrock.put_model_invocation_logging_configuration(
            loggingConfig={"s3Config": {"bucketName": "created-on-first-use"}}
        )
        s3 = boto3.client("s3", endpoint_url=link.endpoint_url, **keys)  # the emulator's keys
        names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        assert "created-on-first-use" in names
    port = int(link.endpoint_url.rsplit(":", 1)[1])
    with pytest.raises(OSError):  # the S3 stopped with the emulator
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_the_missing_s3_message_names_the_install_command() -> None:
    message = missing_s3_message("deliver invocation logs to")
    assert f"`{INSTALL_HINT}`" in message
    assert INSTALL_HINT == "pip install 'claude-bedrock[emulator]'"
    assert "--s3-endpoint URL" in message
