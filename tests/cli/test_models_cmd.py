"""``claude-bedrock models`` as users run it: a subprocess, with AWS environment variables.

Offline, against the catalogue with no credentials at all; online, against the session
emulator (``AWS_ENDPOINT_URL``), whose control plane enforces SigV4.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from claude_bedrock.emulator import Emulator
from emulator.test_model_scopes import SPEC_TABLE
from refusing import refusing_url

# Bedrock's Claude models (December 2026), written out independently of the catalogue in
# tests/emulator/test_model_scopes.py: base model ID -> scopes offered.
SPEC_SCOPES: dict[str, tuple[str, ...]] = {base: offered for _, base, offered in SPEC_TABLE}
NAMES = [name for name, _, _ in SPEC_TABLE]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no AWS settings from the machine running the tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANTHROPIC_"))}
    env.pop("CLAUDE_BEDROCK_OUTPUT", None)
    env.update(HOME=str(tmp_path), AWS_CONFIG_FILE=str(tmp_path / "config"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
               COLUMNS="250", NO_COLOR="1")  # fmt: skip
    env.update(extra)
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "claude_bedrock", "models", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _emulator_env(tmp_path: Path, emulator: Emulator, region: str) -> dict[str, str]:
    return _env(
        tmp_path,
        AWS_ACCESS_KEY_ID=emulator.access_key,
        AWS_SECRET_ACCESS_KEY=emulator.secret_key,
        AWS_REGION=region,
        AWS_ENDPOINT_URL=emulator.url,
    )


def _json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_offline_json_needs_no_credentials(tmp_path: Path) -> None:
    data = _json(_run(_env(tmp_path, AWS_REGION="eu-west-1"), "--offline", "--output", "json"))
    assert (data["region"], data["source"]) == ("eu-west-1", "catalogue")
    models = [m for m in data["models"] if m["id"] in SPEC_SCOPES]  # + Mythos, end of life
    assert [m["id"] for m in models] == list(SPEC_SCOPES)
    assert [m["name"] for m in models] == NAMES
    for model in models:
        offered = [s["scope"] for s in model["scopes"] if s["offered"]]
        assert offered == list(SPEC_SCOPES[model["id"]])
        assert model["listed"] is None
    opus = next(m for m in models if m["id"] == "anthropic.claude-opus-4-6-v1")
    assert opus["recommended_id"] == "global.anthropic.claude-opus-4-6-v1"
    assert (opus["pricing_global"]["input"], opus["pricing_regional"]["input"]) == (5.0, 5.5)
    assert opus["context_window"] == 1_000_000 and opus["context_1m_tokens"] is None


def test_offline_table(tmp_path: Path) -> None:
    result = _run(_env(tmp_path), "--offline", "--region", "ap-southeast-2")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Claude on Bedrock from ap-southeast-2" in out and "catalogue only" in out
    lines = out.splitlines()
    for column in ("Model", "Lifecycle", "Runtime ID", "Mantle ID", "Profiles", "Context"):
        assert column in lines[1]
    rows = {line.split("  ")[0]: line for line in lines[2:] if line.startswith("Claude ")}
    assert [name for name in rows if name in NAMES] == NAMES
    assert "end of life 2026-09-10" in rows["Claude Haiku 3"]
    assert "refused by Bedrock since end of life" in rows["Claude Haiku 3"]
    assert "not from ap-southeast-2 (offered in: us)" in rows["Claude Opus 4.1"]
    assert " 1M " in rows["Claude Opus 4.6"] and " 200K " in rows["Claude Sonnet 4.5"]
    assert "$5 / $25" in rows["Claude Opus 4.6"]
    assert "legacy, EOL 2027-04-08" in rows["Claude Sonnet 4.5"]
    assert "\u2026" not in out  # nothing cut


@pytest.mark.parametrize(
    ("region", "reachable"),
    [("us-east-1", ("global", "us")), ("eu-west-1", ("global", "eu")),
     ("ap-northeast-1", ("global", "jp", "apac"))],
)  # fmt: skip
def test_online_json_against_the_emulator(
    tmp_path: Path, bedrock_emulator: Emulator, region: str, reachable: tuple[str, ...]
) -> None:
    data = _json(_run(_emulator_env(tmp_path, bedrock_emulator, region), "-o", "json"))
    assert (data["region"], data["source"]) == (region, "catalogue+bedrock")
    models = [m for m in data["models"] if m["id"] in SPEC_SCOPES]
    assert [m["id"] for m in models] == list(SPEC_SCOPES)
    for model in models:
        here = [s for s in SPEC_SCOPES[model["id"]] if s in reachable]
        assert model["listed"] is bool(here)
        reported = [s["scope"] for s in model["scopes"] if s["reported"]]
        assert reported == here
        assert (model["recommended_id"] is None) is (not here)


def test_online_table_with_region_and_endpoint_url_flags(
    tmp_path: Path, bedrock_emulator: Emulator
) -> None:
    env = _env(tmp_path, AWS_ACCESS_KEY_ID=bedrock_emulator.access_key,
               AWS_SECRET_ACCESS_KEY=bedrock_emulator.secret_key)  # fmt: skip
    result = _run(env, "--region", "eu-west-1", "--endpoint-url", bedrock_emulator.url,
                  "--endpoint", "regional")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "catalogue + Bedrock control plane" in result.stdout
    assert "eu.anthropic.claude-opus-4-6-v1" in result.stdout  # --endpoint regional
    assert "global.anthropic.claude-opus" not in result.stdout


def test_errors_have_documented_exit_codes(tmp_path: Path, bedrock_emulator: Emulator) -> None:
    unknown_region = _run(_env(tmp_path), "--offline", "--region", "xx-moon-1", "-o", "json")
    assert unknown_region.returncode == 3
    assert json.loads(unknown_region.stdout)["error"]["type"] == "RegionError"

    bad_secret = _emulator_env(tmp_path, bedrock_emulator, "us-east-1")
    bad_secret["AWS_SECRET_ACCESS_KEY"] = "not-the-secret"
    denied = _run(bad_secret, "-o", "json")
    assert denied.returncode == 3
    assert json.loads(denied.stdout)["error"]["type"] == "InvalidSignatureException"

    with refusing_url() as closed:  # held: no other server can take the port meanwhile
        unreachable = _run(
            _env(tmp_path, AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret"),
            "--endpoint-url", closed,
        )  # fmt: skip
    assert unreachable.returncode == 5
    assert "error:" in unreachable.stderr and unreachable.stdout == ""
