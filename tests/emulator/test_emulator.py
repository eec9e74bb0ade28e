"""The ways to run the emulator: in-process, subprocess, CLI, pytest fixtures, AWS CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from claude_bedrock.emulator import Emulator

from .conftest import MODEL, body

pytest_plugins = ["pytester"]


def test_in_process_emulator_lifecycle() -> None:
    emulator = Emulator()
    assert emulator.url == ""
    with emulator:
        assert emulator.url.startswith("http://127.0.0.1:")
        assert httpx.get(emulator.url + "/_emulator/health").status_code == 200
        url = emulator.url
        with pytest.raises(RuntimeError, match="already running"):
            emulator.start()
    assert emulator.url == ""
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/_emulator/health")


def test_two_emulators_side_by_side() -> None:
    with Emulator() as first, Emulator() as second:
        assert first.url != second.url
        for emulator in (first, second):
            assert httpx.get(emulator.url + "/_emulator/health").json()["status"] == "ok"


def test_subprocess_emulator_serves_boto3() -> None:
    with Emulator(subprocess=True, region="eu-west-3") as emulator:
        assert emulator._process is not None and emulator._process.pid != os.getpid()
        client = boto3.client(
            "bedrock-runtime",
            endpoint_url=emulator.url,
            aws_access_key_id=emulator.access_key,
            aws_secret_access_key=emulator.secret_key,
            region_name="us-west-2",
        )
        response = client.invoke_model(modelId=MODEL, body=json.dumps(body()))
        assert json.loads(response["body"].read())["type"] == "message"
        health = httpx.get(emulator.url + "/_emulator/health").json()
        assert health["region"] == "eu-west-3"
        process = emulator._process
    assert process.poll() == 0  # SIGTERM -> graceful exit


def test_subprocess_mode_rejects_in_process_only_options() -> None:
    with pytest.raises(ValueError, match="in-process"):
        Emulator(subprocess=True, engine=object())  # type: ignore[arg-type]


def _serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "claude_bedrock", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    return process, line


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_cli_serve_prints_its_url_and_stops_gracefully(stop_signal: int) -> None:
    process, line = _serve("--pace", "1000")
    try:
        assert line.startswith("claude-bedrock emulator listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1].strip()
        assert httpx.get(url + "/_emulator/health").json()["status"] == "ok"
    finally:
        process.send_signal(stop_signal)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr


def test_cli_serve_with_a_credentials_file(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text("[api]\nbedrock_api_key = ABSK-cli-test\n")
    process, line = _serve("--credentials-file", str(path))
    try:
        url = line.rsplit(" ", 1)[1].strip()
        ok = httpx.post(
            f"{url}/model/{MODEL}/invoke",
            json=body(),
            headers={"authorization": "Bearer ABSK-cli-test"},
        )
        assert ok.status_code == 200
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_cli_rejects_a_broken_credentials_file(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text("[empty]\n")
    result = subprocess.run(
        [sys.executable, "-m", "claude_bedrock", "serve", "--credentials-file", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "no credentials found" in result.stderr


def test_bedrock_env_fixture_points_default_clients_at_the_emulator(bedrock_env: Emulator) -> None:
    client = boto3.client("bedrock-runtime")  # everything from the environment
    assert client.meta.endpoint_url == bedrock_env.url
    response = client.invoke_model(modelId=MODEL, body=json.dumps(body()))
    assert json.loads(response["body"].read())["content"][0]["text"].startswith("[emulator]")


def test_the_fixtures_work_in_a_user_test_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import json
        import anthropic

        def test_user_code(bedrock_env):
            client = anthropic.AnthropicBedrock()
            message = client.messages.create(
                model="global.anthropic.claude-opus-4-6-v1",
                max_tokens=64,
                messages=[{"role": "user", "content": "Hello, world"}],
            )
            assert message.content[0].text.startswith("[emulator]")

        def test_same_emulator(bedrock_emulator, bedrock_env):
            assert bedrock_env is bedrock_emulator
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_aws_cli_invoke_model(emulator: Emulator, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": emulator.access_key,
        "AWS_SECRET_ACCESS_KEY": emulator.secret_key,
        "AWS_DEFAULT_REGION": "us-west-2",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    env.pop("AWS_PROFILE", None)
    out = tmp_path / "out.json"
    command: list[Any] = [
        "aws", "bedrock-runtime", "invoke-model", "--endpoint-url", emulator.url,
        "--model-id", MODEL, "--body", json.dumps(body()), str(out),
    ]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text())["content"][0]["text"].startswith("[emulator]")
