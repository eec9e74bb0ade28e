"""``claude-bedrock doctor`` as a new user meets it: no credentials, wrong ones, the emulator's.

Every run goes through the real entry point against a loopback emulator; each case must say
exactly what is wrong and what to do, and exit with the documented code.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import bare_env, emulator_env, run

from claude_bedrock.catalog import Catalog
from claude_bedrock.cli._doctor_checks import aws_cli_version_ok
from claude_bedrock.emulator import Emulator

IDENTITY = "identity (sts:GetCallerIdentity)"


def doctor_json(env: dict[str, str], *args: str) -> tuple[int, dict[str, Any]]:
    result = run(["doctor", "--output", "json", *args], env)
    assert result.stderr == "", result.stderr
    return result.returncode, json.loads(result.stdout)


def _usable() -> list[Any]:
    """Catalogue models a us-west-2 caller can use: generally available, not past end of life."""
    return [m for m in Catalog.default().models() if m.generally_available and m.lifecycle != "eol"]


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["name"]: check for check in report["checks"]}


def test_the_emulators_credentials_pass(bedrock_emulator: Emulator, tmp_path: Path) -> None:
    code, report = doctor_json(emulator_env(bedrock_emulator, tmp_path))
    checks = by_name(report)
    assert (code, report["ok"], report["exit_code"]) == (0, True, 0)
    assert [c["name"] for c in report["checks"][:4]] == [
        "credentials", IDENTITY, "region and geography", "endpoint reachability"
    ]  # fmt: skip
    assert "from environment variables" in checks["credentials"]["detail"]
    assert checks[IDENTITY]["detail"] == (
        "arn:aws:iam::123456789012:user/default (account 123456789012)"
    )
    assert checks["region and geography"]["detail"] == (
        "us-west-2 (from AWS_REGION) · geography us"
    )
    assert "claude-bedrock emulator" in checks["endpoint reachability"]["detail"]
    models = [c for c in report["checks"] if c.get("group") == "models"]
    names = {m.name for m in Catalog.default().models()}
    assert {c["name"] for c in models} == names | {"model access"}
    # Models past end of life are skipped; invitation-only ones (Mythos), which Bedrock does
    # not list to an ordinary account, are skipped or warned about; none fails.
    usable = {m.name for m in _usable()} | {"model access"}
    assert all(c["status"] == "ok" for c in models if c["name"] in usable), models
    others = [c["status"] for c in models if c["name"] not in usable]
    assert others and set(others) <= {"skip", "warn"}, models
    logging = checks["invocation logging"]
    assert (logging["status"], logging["detail"]) == (
        "warn",
        "off: prompts and completions are not logged",
    )
    assert "30 days" in logging["fix"]


def test_table_output(bedrock_emulator: Emulator, tmp_path: Path) -> None:
    result = run(["doctor"], emulator_env(bedrock_emulator, tmp_path))
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "claude-bedrock doctor"
    assert any("✓" in line and "credentials" in line for line in lines)
    assert any("!" in line and "invocation logging" in line for line in lines)
    assert "✓ no problem found" in lines[-1]


def test_no_credentials_at_all(bedrock_emulator: Emulator, tmp_path: Path) -> None:
    env = bare_env(tmp_path, AWS_ENDPOINT_URL=bedrock_emulator.url)
    code, report = doctor_json(env)
    checks = by_name(report)
    assert code == 3
    assert checks["credentials"]["status"] == "fail"
    assert "no AWS credentials found" in checks["credentials"]["detail"]
    fix = checks["credentials"]["fix"]
    assert "AWS_ACCESS_KEY_ID" in fix and "aws configure" in fix
    assert 'eval "$(claude-bedrock serve --env)"' in fix
    assert checks[IDENTITY] == {"name": IDENTITY, "status": "skip", "detail": "needs credentials"}
    assert checks["model access"]["status"] == "skip"
    assert checks["region and geography"]["detail"].startswith("us-east-1 (the default")
    table = run(["doctor"], env)
    assert table.returncode == 3
    assert "✗ 1 check failed (exit code 3). Fix this first: credentials" in table.stdout


@pytest.mark.parametrize(
    ("key", "secret", "code", "fix"),
    [
        (None, "a-wrong-secret-key", "SignatureDoesNotMatch", "AWS_SECRET_ACCESS_KEY"),
        ("AKIAUNKNOWNKEY000000", None, "InvalidClientTokenId", "create a new access key"),
    ],
)
def test_wrong_credentials(
    bedrock_emulator: Emulator,
    tmp_path: Path,
    key: str | None,
    secret: str | None,
    code: str,
    fix: str,
) -> None:
    env = emulator_env(bedrock_emulator, tmp_path)
    env["AWS_ACCESS_KEY_ID"] = key or env["AWS_ACCESS_KEY_ID"]
    env["AWS_SECRET_ACCESS_KEY"] = secret or env["AWS_SECRET_ACCESS_KEY"]
    exit_code, report = doctor_json(env)
    checks = by_name(report)
    assert exit_code == 3
    assert checks["credentials"]["status"] == "ok"
    assert checks[IDENTITY]["status"] == "fail"
    assert checks[IDENTITY]["detail"].startswith(f"{code}: ")
    assert fix in checks[IDENTITY]["fix"]
    assert checks["model access"]["detail"] == "needs a working identity"
    assert "a-wrong-secret-key" not in json.dumps(report)


def test_expired_temporary_credentials(tmp_path: Path) -> None:
    creds = tmp_path / "emulator-credentials"
    creds.write_text(
        "[old]\naws_access_key_id = ASIADOCTOREXPIRED001\naws_secret_access_key = s3cret\n"
        "aws_session_token = tok\naws_session_expiration = 2001-01-01T00:00:00Z\n"
    )
    with Emulator(credentials_file=creds) as emulator:
        env = bare_env(tmp_path, AWS_ENDPOINT_URL=emulator.url, AWS_ACCESS_KEY_ID=
                       "ASIADOCTOREXPIRED001", AWS_SECRET_ACCESS_KEY="s3cret",
                       AWS_SESSION_TOKEN="tok")  # fmt: skip
        code, report = doctor_json(env)
    checks = by_name(report)
    assert code == 3
    assert "temporary (session token)" in checks["credentials"]["detail"]
    assert checks[IDENTITY]["detail"].startswith("ExpiredToken: ")
    assert "aws sso login" in checks[IDENTITY]["fix"]


def test_credentials_from_a_profile(bedrock_emulator: Emulator, tmp_path: Path) -> None:
    aws = tmp_path / ".aws"
    aws.mkdir()
    (aws / "credentials").write_text(
        f"[work]\naws_access_key_id = {bedrock_emulator.access_key}\n"
        f"aws_secret_access_key = {bedrock_emulator.secret_key}\n"
    )
    (aws / "config").write_text("[profile work]\nregion = eu-west-1\n")
    env = bare_env(tmp_path, AWS_ENDPOINT_URL=bedrock_emulator.url)
    code, report = doctor_json(env, "--profile", "work")
    checks = by_name(report)
    assert code == 0, report
    assert checks["credentials"]["detail"].endswith(
        "from shared credentials file (~/.aws/credentials), profile work"
    )
    assert checks["region and geography"]["detail"] == (
        "eu-west-1 (from the profile's region in ~/.aws/config) · geography eu"
    )
    missing_code, missing = doctor_json(env, "--profile", "nope")
    assert missing_code == 3
    assert by_name(missing)["credentials"]["detail"] == "AWS profile 'nope' does not exist"


def test_bedrock_api_key(bedrock_emulator: Emulator, tmp_path: Path) -> None:
    env = bare_env(tmp_path, AWS_ENDPOINT_URL=bedrock_emulator.url, AWS_REGION="us-east-1",
                   AWS_BEARER_TOKEN_BEDROCK=bedrock_emulator.api_key)  # fmt: skip
    code, report = doctor_json(env)
    checks = by_name(report)
    assert code == 0, report
    assert "from AWS_BEARER_TOKEN_BEDROCK" in checks["credentials"]["detail"]
    assert bedrock_emulator.api_key not in json.dumps(report)
    assert checks[IDENTITY]["status"] == "skip"
    assert checks["Claude Opus 4.6"]["status"] == "ok"


def test_unknown_region(bedrock_emulator: Emulator, tmp_path: Path) -> None:
    code, report = doctor_json(emulator_env(bedrock_emulator, tmp_path), "--region", "mars-1")
    checks = by_name(report)
    assert code == 3
    region = checks["region and geography"]
    assert region["detail"] == "mars-1 (from --region) is not a Region where Bedrock serves Claude"
    assert "us-west-2" in region["fix"]
    assert checks[IDENTITY]["status"] == "skip"


def test_unreachable_endpoint(tmp_path: Path) -> None:
    env = bare_env(tmp_path, AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_ACCESS_KEY_ID=
                   "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY="any")  # fmt: skip
    code, report = doctor_json(env)
    checks = by_name(report)
    assert code == 5
    assert checks[IDENTITY]["detail"] == "could not reach STS at http://127.0.0.1:9: ConnectError"
    assert "claude-bedrock serve" in checks["endpoint reachability"]["fix"]


def test_probe_sends_one_token_per_model(bedrock_emulator: Emulator, tmp_path: Path) -> None:
    code, report = doctor_json(emulator_env(bedrock_emulator, tmp_path), "--probe")
    assert code == 0
    models = [c for c in report["checks"] if c.get("group") == "models"]
    probed = [c for c in models if "answered a 1-token call" in c["detail"]]
    assert len(probed) == len(_usable())  # all reachable from us-west-2


def test_models_not_offered_in_the_region_are_skipped(
    bedrock_emulator: Emulator, tmp_path: Path
) -> None:
    code, report = doctor_json(emulator_env(bedrock_emulator, tmp_path), "--region", "eu-west-1")
    checks = by_name(report)
    assert code == 0
    assert checks["Claude Opus 4.1"] == {
        "name": "Claude Opus 4.1",
        "status": "skip",
        "detail": "not offered from eu-west-1 (offered in: us) · deprecated",  # Legacy
        "group": "models",
    }


@pytest.fixture
def logging_on(tmp_path: Path) -> Iterator[Emulator]:
    """An emulator whose invocation logging sends to a CloudWatch log group."""
    from claude_bedrock import AnthropicBedrock

    with Emulator() as emulator:
        client = AnthropicBedrock(
            aws_access_key=emulator.access_key,
            aws_secret_key=emulator.secret_key,
            aws_region="us-west-2",
            base_url=emulator.url,
        )
        body = {"loggingConfig": {"cloudWatchConfig": {
            "logGroupName": "bedrock-invocations",
            "roleArn": "arn:aws:iam::123456789012:role/BedrockLogs"},
            "textDataDeliveryEnabled": True}}  # fmt: skip
        url = client.control_plane_url + "/logging/modelinvocations"
        client._sender.send("PUT", url, json.dumps(body).encode())
        yield emulator


def test_logging_on_and_retention(logging_on: Emulator, tmp_path: Path) -> None:
    code, report = doctor_json(emulator_env(logging_on, tmp_path))
    checks = by_name(report)
    assert code == 0
    assert checks["invocation logging"] == {
        "name": "invocation logging",
        "status": "ok",
        "detail": "on → CloudWatch Logs bedrock-invocations",
    }
    assert checks["log retention"]["status"] == "warn"
    assert "could not check" in checks["log retention"]["detail"]


def test_aws_cli_row(bedrock_emulator: Emulator, tmp_path: Path) -> None:
    without = emulator_env(bedrock_emulator, tmp_path)
    empty = tmp_path / "bin"  # not the venv's bin/: the dev dependencies put `aws` there
    empty.mkdir()
    without["PATH"] = str(empty)
    _, report = doctor_json(without)
    assert by_name(report)["AWS CLI"]["status"] == "skip"
    assert "not installed" in by_name(report)["AWS CLI"]["detail"]
    aws = shutil.which("aws")
    assert aws is not None, "the AWS CLI is a dev dependency: make test installs it"
    version = subprocess.run([aws, "--version"], capture_output=True, text=True, check=False)
    shown, ok = aws_cli_version_ok(version.stdout + version.stderr)
    assert shown is not None
    _, report = doctor_json(emulator_env(bedrock_emulator, tmp_path))
    row = by_name(report)["AWS CLI"]
    assert row["status"] == ("ok" if ok else "warn")
    assert row["detail"].startswith(".".join(map(str, shown)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("aws-cli/2.13.23 Python/3.11.4 Linux/6.1 exe/x86_64", ((2, 13, 23), True)),
        ("aws-cli/2.13.22 Python/3.11.4", ((2, 13, 22), False)),
        ("aws-cli/2.27.0 Python/3.13", ((2, 27, 0), True)),
        ("aws-cli/1.45.11 Python/3.11.7 botocore/1.43.11", ((1, 45, 11), False)),
        ("command not found", (None, False)),
    ],
)
def test_aws_cli_version_rule(text: str, expected: tuple[Any, bool]) -> None:
    assert aws_cli_version_ok(text) == expected


SURFACES = [
    "surface: CountTokens (bedrock-runtime)",
    "surface: count_tokens (bedrock-mantle)",
    "surface: InvokeModel",
    "surface: Converse",
    "surface: Messages API (bedrock-runtime)",
    "surface: Messages API (bedrock-mantle)",
]


def test_each_surface_is_checked(bedrock_emulator: Emulator, tmp_path: Path) -> None:
    """Token counting (free) is tried on both hosts always; the calls only with --probe."""
    env = emulator_env(bedrock_emulator, tmp_path)
    _, report = doctor_json(env)
    rows = {c["name"]: c for c in report["checks"] if c.get("group") == "surfaces"}
    assert list(rows) == SURFACES
    assert [rows[n]["status"] for n in SURFACES] == ["ok", "ok", "skip", "skip", "skip", "skip"]
    assert "input tokens counted (free)" in rows[SURFACES[1]]["detail"]
    code, report = doctor_json(env, "--probe")
    rows = {c["name"]: c for c in report["checks"] if c.get("group") == "surfaces"}
    assert code == 0
    assert all(rows[n]["status"] == "ok" for n in SURFACES), rows
    assert "answered a 1-token call" in rows["surface: Messages API (bedrock-mantle)"]["detail"]


def test_a_failing_surface_warns_without_failing(
    bedrock_emulator: Emulator, tmp_path: Path
) -> None:
    """A surface only some programs use (here bedrock-mantle, pointed at a closed port) is a
    warning with the reason: the exit code stays that of the checks every program needs."""
    closed = "http://127.0.0.1:9/anthropic"
    env = emulator_env(bedrock_emulator, tmp_path, ANTHROPIC_BEDROCK_MANTLE_BASE_URL=closed)
    code, report = doctor_json(env)
    rows = {c["name"]: c for c in report["checks"]}
    assert code == 0
    assert rows["surface: count_tokens (bedrock-mantle)"]["status"] == "warn"
    assert rows["surface: CountTokens (bedrock-runtime)"]["status"] == "ok"
    mantle_reach = [c for c in report["checks"] if "127.0.0.1:9" in c["detail"]]
    assert [c["status"] for c in mantle_reach] == ["warn", "warn"]  # endpoint, count_tokens
