"""``claude-bedrock serve`` and ``serve --env``: the emulator, and pointing tools at it."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import ENTRY, bare_env, run

from claude_bedrock.emulator.auth import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY


def test_env_lines(tmp_path: Path) -> None:
    result = run(["serve", "--env"], bare_env(tmp_path))
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "export AWS_ENDPOINT_URL=http://127.0.0.1:8765",
        "export ANTHROPIC_BEDROCK_MANTLE_BASE_URL=http://127.0.0.1:8765/anthropic",
        f"export AWS_ACCESS_KEY_ID={DEFAULT_ACCESS_KEY}",
        f"export AWS_SECRET_ACCESS_KEY={DEFAULT_SECRET_KEY}",
        "export AWS_REGION=us-east-1",
        "export AWS_DEFAULT_REGION=us-east-1",
        "export AWS_ENDPOINT_URL_S3=http://127.0.0.1:8766",  # the embedded S3 (port + 1)
        "unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_PROFILE AWS_BEARER_TOKEN_BEDROCK",
    ]


def test_env_follows_port_region_and_credentials_file(tmp_path: Path) -> None:
    creds = tmp_path / "creds"
    creds.write_text("[team]\naws_access_key_id = AKIATEAMKEY000000001\n"
                     "aws_secret_access_key = team secret/with+chars\n")  # fmt: skip
    result = run(["serve", "--env", "--port", "9100", "--region", "eu-west-1",
                  "--credentials-file", str(creds)], bare_env(tmp_path))  # fmt: skip
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "export AWS_ENDPOINT_URL=http://127.0.0.1:9100"
    assert lines[1] == "export ANTHROPIC_BEDROCK_MANTLE_BASE_URL=http://127.0.0.1:9100/anthropic"
    assert lines[2] == "export AWS_ACCESS_KEY_ID=AKIATEAMKEY000000001"
    assert lines[3] == "export AWS_SECRET_ACCESS_KEY='team secret/with+chars'"
    assert lines[4] == "export AWS_REGION=eu-west-1"


def test_env_needs_a_fixed_port(tmp_path: Path) -> None:
    result = run(["serve", "--env", "--port", "0"], bare_env(tmp_path))
    assert result.returncode == 2
    assert "--env needs a fixed --port" in result.stderr


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    process = subprocess.Popen(
        [*ENTRY, "serve", "--port", "0"],
        env=bare_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.fullmatch(r"claude-bedrock emulator listening on http://127\.0\.0\.1:(\d+)\n", first)
    assert match is not None, first
    yield int(match[1]), process
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


def test_eval_env_points_every_tool_at_the_emulator(
    server: tuple[int, subprocess.Popen[str]], tmp_path: Path
) -> None:
    port, _ = server
    cli = " ".join(ENTRY)
    boto = (f"{sys.executable} -c \"import boto3; "
            "print(boto3.client('sts').get_caller_identity()['Arn'])\"")  # fmt: skip
    # The AWS CLI is a dev dependency (tests/conftest.py puts the venv's bin/ on PATH).
    script = [f'eval "$({cli} serve --env --port {port})"', f"{cli} ask 'Hello, world' -q", boto,
              "aws sts get-caller-identity --query Account --output text"]  # fmt: skip
    # A stale real-AWS set-up in the shell must not leak through.
    env = bare_env(tmp_path, AWS_PROFILE="prod", AWS_SESSION_TOKEN="stale",
                   AWS_ACCESS_KEY_ID="AKIAREALKEY000000000")  # fmt: skip
    done = subprocess.run(["sh", "-ec", " && ".join(script)], env=env, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith('[emulator] You said: "Hello, world"')
    assert lines[1] == "arn:aws:iam::123456789012:user/default"
    assert lines[2] == "123456789012"


def test_serve_stops_on_sigint_and_keeps_stdout_to_one_line(
    server: tuple[int, subprocess.Popen[str]],
) -> None:
    _, process = server
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0
    assert out == ""
    assert "export " not in err  # the hint is for terminals only
