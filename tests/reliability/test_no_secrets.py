"""No secret in a repr, a log line or an exception: canary credentials go through every path
(success, retries, each kind of failure, streams, debug logging) and are looked for in
everything the client produced."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from faultkit import REGION, ask, fault

from _secret_scan import register_secret
from claude_bedrock import (
    AnthropicBedrock,
    APIError,
    AsyncAnthropicBedrock,
    CredentialsError,
)
from claude_bedrock._debug_log import (
    SecretFilter,
    redact_authorization,
    redact_headers,
    redact_url,
    scrub,
)
from claude_bedrock.emulator import Emulator

ACCESS = "AKIACANARY0000000001"
SECRET = "canary/SECRET/key/0123456789abcdefghijklmnop"
TOKEN = "canary-session-TOKEN-" + "q" * 60
API_KEY = "ABSK-canary-API-key-0123456789abcdef"
CANARIES = (SECRET, TOKEN, API_KEY)
for _canary in CANARIES:
    register_secret(_canary)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    path = tmp_path_factory.mktemp("canary") / "credentials.ini"
    path.write_text(
        f"[canary]\naws_access_key_id = {ACCESS}\naws_secret_access_key = {SECRET}\n"
        f"aws_session_token = {TOKEN}\n\n[api]\nbedrock_api_key = {API_KEY}\n"
    )
    with Emulator(credentials_file=path, faults=True) as emulator:
        yield emulator


def keyed(emulator: Emulator, **options: object) -> AnthropicBedrock:
    return AnthropicBedrock(aws_access_key=ACCESS, aws_secret_key=SECRET,
                            aws_session_token=TOKEN, aws_region=REGION,
                            base_url=emulator.url, **options)  # type: ignore[arg-type]  # fmt: skip


def assert_clean(text: str) -> None:
    for canary in CANARIES:
        assert canary not in text
    assert "Signature=" not in text or "Signature=<redacted>" in text


def exception_text(exc: BaseException) -> str:
    parts = ["".join(traceback.format_exception(exc)), repr(exc), str(exc)]
    if isinstance(exc, APIError):
        parts += [repr(exc.request), repr(exc.body), repr(getattr(exc, "response", None))]
    return "\n".join(parts)


def test_reprs(guarded: Emulator) -> None:
    clients = [keyed(guarded), AnthropicBedrock(api_key=API_KEY, aws_region=REGION,
                                                 base_url=guarded.url)]  # fmt: skip
    clients.append(AsyncAnthropicBedrock(api_key=API_KEY, aws_region=REGION))
    clients.append(AsyncAnthropicBedrock(aws_access_key=ACCESS, aws_secret_key=SECRET,
                                         aws_session_token=TOKEN, aws_region=REGION))  # fmt: skip
    for client in clients:
        text = f"{client!r} {client!s} {client._core!r} {client._core._credentials!r}"
        assert_clean(text)
        assert "api_key=ABSK…cdef" in text or "credentials=" in text


@pytest.mark.parametrize(
    ("spec", "options"),
    [("", {"aws_secret_key": SECRET + "-wrong"}),  # InvalidSignatureException
     ("", {"aws_session_token": TOKEN + "-wrong"}),  # UnrecognizedClientException
     ("throttle", {}), ("503", {}), ("reset-before", {}),
     ("slow-first-byte=2", {"timeout": 0.2}),
     ("exception-frame@0", {}), ("exception-frame@3", {}), ("reset-mid-stream@3", {})],
)  # fmt: skip
def test_exceptions_carry_no_secret(
    guarded: Emulator, spec: str, options: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    headers = fault(spec)[0] if spec else {}
    caught: list[BaseException] = []
    with caplog.at_level(logging.DEBUG, logger="claude_bedrock"):
        base = {"aws_access_key": ACCESS, "aws_secret_key": SECRET, "aws_session_token": TOKEN,
                "aws_region": REGION, "base_url": guarded.url, "max_retries": 1}  # fmt: skip
        with AnthropicBedrock(**{**base, **options}) as client:  # type: ignore[arg-type]
            for call in (lambda: client.messages.create(**ask(extra_headers=headers)),
                         lambda: client.messages.stream(**ask(extra_headers=headers))
                         .__enter__().get_final_message()):  # fmt: skip
                try:
                    call()
                except APIError as exc:
                    caught.append(exc)
    assert caught, "the fault did not fail the call"
    for exc in caught:
        assert_clean(exception_text(exc))
    assert_clean(caplog.text)
    assert "Signature=<redacted>" in caplog.text  # the debug lines were there, redacted


def test_bearer_token_never_logged(guarded: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="claude_bedrock"):
        with AnthropicBedrock(api_key=API_KEY, aws_region=REGION, base_url=guarded.url) as c:
            assert c.messages.create(**ask()).content
        wrong = AnthropicBedrock(api_key=API_KEY + "x", aws_region=REGION, base_url=guarded.url,
                                 max_retries=0)  # fmt: skip
        with wrong, pytest.raises(APIError) as info:
            wrong.messages.create(**ask())
    assert_clean(caplog.text + exception_text(info.value))
    assert "'authorization': 'Bearer <redacted>'" in caplog.text


def test_credential_errors_carry_no_secret() -> None:
    with pytest.raises(CredentialsError) as both:
        AnthropicBedrock(api_key=API_KEY, aws_secret_key=SECRET, aws_access_key=ACCESS)
    with pytest.raises(CredentialsError) as half:
        AnthropicBedrock(aws_secret_key=SECRET, aws_region=REGION)
    for info in (both, half):
        assert_clean(exception_text(info.value))


def test_async_debug_lines_are_redacted(
    guarded: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    async def run() -> None:
        async with AsyncAnthropicBedrock(aws_access_key=ACCESS, aws_secret_key=SECRET,
                                         aws_session_token=TOKEN, aws_region=REGION,
                                         base_url=guarded.url) as client:  # fmt: skip
            await client.messages.create(**ask(extra_headers=fault("503*1")[0]))

    with caplog.at_level(logging.DEBUG, logger="claude_bedrock"):
        asyncio.run(run())
    assert_clean(caplog.text)
    lines = [r.getMessage() for r in caplog.records if r.name == "claude_bedrock"]
    exchange = next(line for line in lines if "-> 200" in line)
    for part in ("POST http://", "/invoke -> 200 OK in ", " ms (request id ", "attempt 2",
                 "Credential=AKIA…0001/", "SignedHeaders=", "Signature=<redacted>",
                 "'x-amz-security-token': '<redacted>'"):  # fmt: skip
        assert part in exchange
    assert any(line.startswith("retrying POST") and "HTTP 503" in line for line in lines)


def test_debug_mode_from_the_environment(guarded: Emulator, tmp_path: Path) -> None:
    script = tmp_path / "call.py"
    script.write_text(
        "import sys\nfrom claude_bedrock import AnthropicBedrock\n"
        f"c = AnthropicBedrock(aws_access_key={ACCESS!r}, aws_secret_key={SECRET!r}, "
        f"aws_session_token={TOKEN!r}, aws_region={REGION!r}, base_url=sys.argv[1])\n"
        "print(c.messages.create(model='global.anthropic.claude-opus-4-6-v1', max_tokens=16,"
        " messages=[{'role': 'user', 'content': 'hi'}]).id)\n"
    )
    env = {**os.environ, "CLAUDE_BEDROCK_LOG": "debug"}
    done = subprocess.run([sys.executable, str(script), guarded.url], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "DEBUG claude_bedrock: POST http://" in done.stderr and "-> 200 OK" in done.stderr
    assert_clean(done.stderr + done.stdout)
    quiet = subprocess.run([sys.executable, str(script), guarded.url],
                           env={k: v for k, v in env.items() if k != "CLAUDE_BEDROCK_LOG"},
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert quiet.returncode == 0 and "claude_bedrock" not in quiet.stderr


def test_redaction_helpers() -> None:
    sigv4 = (f"AWS4-HMAC-SHA256 Credential={ACCESS}/20250101/us-east-1/bedrock/aws4_request, "
             f"SignedHeaders=host;x-amz-date, Signature={'ab' * 32}")  # fmt: skip
    assert redact_authorization(sigv4) == (
        "AWS4-HMAC-SHA256 Credential=AKIA…0001/20250101/us-east-1/bedrock/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=<redacted>"
    )
    assert redact_authorization(f"Bearer {API_KEY}") == "Bearer <redacted>"
    headers = redact_headers([("Authorization", f"Bearer {API_KEY}"),
                              ("X-Amz-Security-Token", TOKEN), ("Accept", "x")])  # fmt: skip
    assert headers == {"authorization": "Bearer <redacted>",
                       "x-amz-security-token": "<redacted>", "accept": "x"}  # fmt: skip
    url = redact_url(f"https://h/p?X-Amz-Signature={'cd' * 32}&X-Amz-Security-Token={TOKEN}&a=1")
    assert url == "https://h/p?X-Amz-Signature=<redacted>&X-Amz-Security-Token=<redacted>&a=1"
    leaked = (f"headers: Authorization: Bearer {API_KEY}, Signature={'ef' * 32}, "
              f"x-amz-security-token: {TOKEN}, aws_secret_access_key = {SECRET}")  # fmt: skip
    assert_clean(scrub(leaked))
    record = logging.LogRecord("other", logging.INFO, __file__, 1, "token %s", (leaked,), None)
    assert SecretFilter().filter(record) and "<redacted>" in record.getMessage()
    assert_clean(record.getMessage())
