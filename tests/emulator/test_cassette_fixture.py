"""The ``bedrock_cassette`` fixture in a user's suite: record once, then run offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from claude_bedrock.emulator import Emulator

pytest_plugins = ["pytester"]

USER_SUITE = """
import json
import os

import anthropic
import boto3

MODEL = "global.anthropic.claude-opus-4-6-v1"


def test_answers(bedrock_cassette, tmp_path):
    runtime = boto3.client("bedrock-runtime")  # everything from the environment
    conversed = runtime.converse(
        modelId=MODEL, messages=[{"role": "user", "content": [{"text": "Hi, suite"}]}]
    )
    mantle = anthropic.AnthropicBedrockMantle()
    message = mantle.messages.create(
        model="anthropic.claude-opus-5", max_tokens=32,
        messages=[{"role": "user", "content": "Hi, suite"}],
    )
    with open(os.environ["ANSWERS"], "w") as out:
        json.dump([conversed["output"], message.model_dump()], out)
"""


def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK",
                 "CLAUDE_BEDROCK_RECORD", "CLAUDE_BEDROCK_UPSTREAM"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))


def test_records_when_asked_then_replays_with_bedrock_gone(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _env(monkeypatch, tmp_path)
    pytester.makepyfile(test_user=USER_SUITE)
    cassette = pytester.path / "cassettes" / "test_user" / "test_answers.jsonl"

    monkeypatch.setenv("ANSWERS", str(tmp_path / "offline-first.json"))
    first = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    first.assert_outcomes(errors=1)  # no cassette and no switch: a clear failure
    first.stdout.fnmatch_lines(["*no cassette at*record it once with --bedrock-record*"])
    assert not cassette.exists()

    with Emulator() as upstream:  # stands in for Bedrock, with "your" credentials
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", upstream.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", upstream.secret_key)
        monkeypatch.setenv("AWS_REGION", "us-east-1")
        monkeypatch.setenv("ANSWERS", str(tmp_path / "recorded.json"))
        recorded = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "--bedrock-record", "--bedrock-upstream", upstream.url
        )
        recorded.assert_outcomes(passed=1)
    assert len(cassette.read_text().splitlines()) == 2

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # offline, no credentials
        monkeypatch.delenv(name)
    monkeypatch.setenv("ANSWERS", str(tmp_path / "replayed.json"))
    replayed = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    replayed.assert_outcomes(passed=1)
    answers = json.loads((tmp_path / "recorded.json").read_text())
    assert json.loads((tmp_path / "replayed.json").read_text()) == answers
    assert answers[0]["message"]["content"][0]["text"].startswith("[emulator]")
