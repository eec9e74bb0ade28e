"""``claude-bedrock ask`` through the real entry point, against the emulator."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import ENTRY, bare_env, emulator_env, pdf_bytes, png_bytes, run

from claude_bedrock.catalog import Catalog
from claude_bedrock.emulator import Emulator

ECHO = 'You said: "{}"'


@pytest.fixture
def env(bedrock_emulator: Emulator, tmp_path: Path) -> dict[str, str]:
    return emulator_env(bedrock_emulator, tmp_path)


def ask_json(env: dict[str, str], *args: str, stdin: str | None = None) -> dict[str, Any]:
    result = run(["ask", *args, "--output", "json"], env, stdin=stdin)
    assert result.returncode == 0, result.stdout + result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_answer_streams_to_stdout_and_usage_to_stderr(env: dict[str, str]) -> None:
    result = run(["ask", "Hello, world"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("[emulator] " + ECHO.format("Hello, world"))
    assert result.stdout.endswith("\n")
    # default model: the catalogue's newest Sonnet, on the global endpoint
    assert "claude-sonnet-5-5 · " in result.stderr
    assert " in / " in result.stderr and " out tokens · $" in result.stderr
    assert "(global endpoint)" in result.stderr


def test_quiet_hides_usage(env: dict[str, str]) -> None:
    result = run(["ask", "Hello", "--quiet"], env)
    assert result.returncode == 0
    assert ECHO.format("Hello") in result.stdout
    assert result.stderr == ""


def test_prompt_from_stdin(env: dict[str, str]) -> None:
    result = run(["ask", "-", "-q"], env, stdin="a question piped in\n")
    assert result.returncode == 0, result.stderr
    assert 'You said: "a question piped in' in result.stdout


def test_empty_prompt_is_a_usage_error(env: dict[str, str]) -> None:
    result = run(["ask", "-"], env, stdin="   \n")
    assert result.returncode == 2
    assert "nothing to ask: stdin was empty" in result.stderr


def test_json_output_has_text_usage_cost_and_request_id(env: dict[str, str]) -> None:
    data = ask_json(env, "Hello, world", "--model", "haiku")
    assert data["text"] == data["message"]["content"][0]["text"]
    assert data["model"] == "claude-haiku-5-5"
    assert data["request_id"]
    info = Catalog.default().get("haiku")
    usage = data["usage"]
    expected = (usage["input_tokens"] * float(info.pricing.input)
                + usage["output_tokens"] * float(info.pricing.output)) / 1e6  # fmt: skip
    assert data["cost"]["endpoint_type"] == "global"
    assert data["cost"]["usd"] == pytest.approx(expected)


def test_aliases_and_regional_endpoint_price(env: dict[str, str]) -> None:
    glob = ask_json(env, "price check", "--model", "opus-4.6")
    regional = ask_json(env, "price check", "--model", "opus-4.6", "--endpoint", "regional")
    assert glob["model"] == regional["model"] == "claude-opus-4-6"
    assert (glob["cost"]["endpoint_type"], regional["cost"]["endpoint_type"]) == (
        "global",
        "regional",
    )
    assert glob["usage"] == regional["usage"]
    assert regional["cost"]["usd"] == pytest.approx(glob["cost"]["usd"] * 1.1)


def test_system_and_max_tokens(env: dict[str, str]) -> None:
    plain = ask_json(env, "same question")
    with_system = ask_json(env, "same question", "--system", "You answer in haiku form only.")
    assert with_system["usage"]["input_tokens"] > plain["usage"]["input_tokens"]
    short = run(["ask", "same question", "--max-tokens", "5"], env)
    assert short.returncode == 0
    assert "stopped at --max-tokens" in short.stderr
    data = ask_json(env, "same question", "--max-tokens", "5")
    assert (data["stop_reason"], data["usage"]["output_tokens"]) == ("max_tokens", 5)


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_pdf_and_image_attachments(env: dict[str, str], tmp_path: Path, api: str) -> None:
    report = tmp_path / "q3 report.v2.pdf"
    report.write_bytes(pdf_bytes("Quarterly revenue grew by twelve percent."))
    picture = tmp_path / "chart.png"
    picture.write_bytes(png_bytes())
    bare = ask_json(env, "Summarise", "--api", api)
    with_pdf = ask_json(env, "Summarise", "--api", api, "--pdf", str(report))
    both = ask_json(env, "Summarise", "--api", api, "--pdf", str(report), "--pdf", str(report),
                    "--image", str(picture))  # fmt: skip
    # the PDF reaches the model (the emulator reads its text layer, then the question)
    assert "Quarterly revenue grew by twelve percent" in with_pdf["text"]
    assert "Summarise" in with_pdf["text"]
    assert with_pdf["cost"]["usd"] > bare["cost"]["usd"] > 0
    assert bare["usage"]["input_tokens"] < with_pdf["usage"]["input_tokens"]
    assert with_pdf["usage"]["input_tokens"] < both["usage"]["input_tokens"]


def test_not_an_image_is_a_usage_error(env: dict[str, str], tmp_path: Path) -> None:
    fake = tmp_path / "notes.png"
    fake.write_text("not an image")
    result = run(["ask", "look", "--image", str(fake)], env)
    assert result.returncode == 2
    assert "is not a PNG, JPEG, GIF or WebP image" in result.stderr


def test_context_1m(env: dict[str, str]) -> None:
    assert ask_json(env, "long", "--model", "opus-4.6", "--context-1m")["text"]
    # The 1M beta retired on 2026-04-30: still sent as asked, with a warning that it does
    # nothing (1M is native where offered).
    retired = run(["ask", "long", "--model", "haiku", "--context-1m"], env)
    assert retired.returncode == 0
    assert "was retired on 2026-04-30 and has no effect" in retired.stderr


def test_model_not_offered_in_region_exits_4_with_the_fix(env: dict[str, str]) -> None:
    result = run(["ask", "hi", "--model", "opus-4.1", "--region", "eu-west-1"], env)
    assert result.returncode == 4
    assert "not offered in geography 'eu'" in result.stderr
    assert "fix: Use --model us.anthropic.claude-opus-4-1-20250805-v1:0." in result.stderr
    as_json = run(["ask", "hi", "--model", "opus-4.1", "--region", "eu-west-1", "-o", "json"], env)
    error = json.loads(as_json.stdout)["error"]
    assert (as_json.returncode, error["code"], error["type"]) == (4, 4, "ModelNotAvailableError")


def test_unknown_model_exits_4_with_suggestions(env: dict[str, str]) -> None:
    """Open world: a well-formed unknown ID is sent (Bedrock refuses it), with a warning that
    suggests close matches; an ID that cannot be one fails before sending."""
    result = run(["ask", "hi", "--model", "sonet-4.5"], env)
    assert result.returncode != 0
    assert "warning: Model 'sonet-4.5' is not in the bundled catalogue" in result.stderr
    assert "'sonnet-4.5'" in result.stderr
    malformed = run(["ask", "hi", "--model", "sonnet 4.5!"], env)
    assert malformed.returncode == 4


def test_deprecated_model_warns_on_stderr(env: dict[str, str]) -> None:
    result = run(["ask", "hi", "--model", "sonnet-4.5"], env)  # Legacy since 2026-10-08
    assert result.returncode == 0
    assert result.stdout.startswith("[emulator]")
    assert "warning: Claude Sonnet 4.5 (anthropic.claude-sonnet-4-5-20250929-v1:0) is " in (
        result.stderr
    )
    assert "2027-04-08" in result.stderr and "Move to Claude Sonnet 4.6" in result.stderr
    ended = run(["ask", "hi", "--model", "sonnet-3.7"], env)  # end of life 2026-04-28
    assert ended.returncode == 4
    assert "reached end of life on Bedrock on 2026-04-28" in ended.stderr


def test_credentials_problems_exit_3(bedrock_emulator: Emulator, tmp_path: Path) -> None:
    wrong = emulator_env(bedrock_emulator, tmp_path, AWS_SECRET_ACCESS_KEY="not-the-secret")
    result = run(["ask", "hi"], wrong)
    assert result.returncode == 3
    assert "InvalidSignatureException" in result.stderr
    assert "Check AWS_SECRET_ACCESS_KEY" in result.stderr
    assert "not-the-secret" not in result.stderr
    nothing = run(["ask", "hi"], bare_env(tmp_path, AWS_ENDPOINT_URL=bedrock_emulator.url))
    assert nothing.returncode == 3
    assert "No AWS credentials found" in nothing.stderr
    assert "claude-bedrock doctor" in nothing.stderr


def test_bedrock_api_keys(bedrock_emulator: Emulator, tmp_path: Path) -> None:
    env = bare_env(tmp_path, AWS_ENDPOINT_URL=bedrock_emulator.url, AWS_REGION="us-east-1",
                   AWS_BEARER_TOKEN_BEDROCK=bedrock_emulator.api_key)  # fmt: skip
    assert ECHO.format("with a key") in ask_json(env, "with a key")["text"]
    env["AWS_BEARER_TOKEN_BEDROCK"] = "ABSK-not-a-real-key"
    refused = run(["ask", "with a bad key"], env)
    assert refused.returncode == 3
    assert "Please make sure your API Key is valid" in refused.stderr
    assert "ABSK-not-a-real-key" not in refused.stderr


def test_unreachable_endpoint_exits_5(env: dict[str, str]) -> None:
    result = run(["ask", "hi", "--endpoint-url", "http://127.0.0.1:9"], env)
    assert result.returncode == 5
    assert "http://127.0.0.1:9" in result.stderr
    assert "claude-bedrock serve" in result.stderr


def test_endpoint_url_option(bedrock_emulator: Emulator, tmp_path: Path) -> None:
    env = emulator_env(bedrock_emulator, tmp_path)
    del env["AWS_ENDPOINT_URL"]
    data = ask_json(env, "via option", "--endpoint-url", bedrock_emulator.url)
    assert ECHO.format("via option") in data["text"]


@pytest.fixture(scope="module")
def slow_emulator() -> Iterator[Emulator]:
    # Short shutdown: the emulator keeps generating for a client that hung up (see report).
    with Emulator(pace=40, shutdown_timeout=0.5) as emulator:
        yield emulator


def test_ctrl_c_interrupts_with_130(slow_emulator: Emulator, tmp_path: Path) -> None:
    env = emulator_env(slow_emulator, tmp_path)
    process = subprocess.Popen([*ENTRY, "ask", "go on emulator:tokens=5000"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert process.stdout is not None
    first = process.stdout.read(10)  # the answer has started streaming
    process.send_signal(signal.SIGINT)
    rest, errors = process.communicate(timeout=60)
    assert first == b"[emulator]"
    assert process.returncode == 130
    assert b"interrupted: the answer was cancelled" in errors
    assert len(first + rest) < 5000  # stopped long before the end


@pytest.mark.parametrize(
    ("surface", "endpoint_type"), [("messages", "global"), ("mantle", "regional")]
)
def test_surface_sends_through_that_messages_api(
    env: dict[str, str], surface: str, endpoint_type: str
) -> None:
    """``--surface`` picks the Messages API host and the ID form: the default Sonnet goes as
    a global profile on bedrock-runtime and as the bare in-Region ID on bedrock-mantle (priced
    as in-Region). With only AWS_ENDPOINT_URL set (no mantle variable), the mantle client
    finds the emulator at ``{url}/anthropic``, as the other clients find it."""
    assert "ANTHROPIC_BEDROCK_MANTLE_BASE_URL" not in env
    data = ask_json(env, "--surface", surface, "Hello, surfaces")
    assert ECHO.format("Hello, surfaces") in data["text"]
    assert data["cost"]["model"] == "anthropic.claude-sonnet-5-5"
    assert data["cost"]["endpoint_type"] == endpoint_type


def test_mantle_surface_refuses_a_profile_id_before_sending(env: dict[str, str]) -> None:
    """bedrock-mantle serves bare in-Region IDs only: a profile ID fails with the one to use."""
    result = run(["ask", "--surface", "mantle", "--model", "global.anthropic.claude-opus-5",
                  "Hi"], env)  # fmt: skip
    assert result.returncode != 0
    assert "anthropic.claude-opus-5" in result.stderr
    assert result.stdout == ""
