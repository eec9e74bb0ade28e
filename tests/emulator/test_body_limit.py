"""A body over the front door's cap is refused in its route's own format, without being read.

The table's rule ``invoke.body_too_large`` is proven with boto3 at Bedrock's real cap in
``test_rules_table.py``; here a small cap (4096 bytes) shows the front door's other paths
cheaply: a declared length answered before any byte of the body is sent, a chunked body cut
off as it grows past the cap, authentication judged first, and the Messages API routes
answering in Anthropic's envelope (read by the official ``anthropic`` SDK).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import anthropic
import httpx
import pytest

from claude_bedrock.emulator import Emulator
from claude_bedrock.emulator.server import Limits

from .conftest import error_of

CAP = 4096
MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
INVOKE = "/model/" + MODEL.replace(":", "%3A") + "/invoke"
#: Coral's words for the InvokeModel ``body`` member (langchain-aws #419), at this cap.
TOO_LONG = (
    "1 validation error detected: Value at 'body' failed to satisfy constraint: "
    f"Member must have length less than or equal to {CAP}"
)


@pytest.fixture(scope="module")
def small() -> Iterator[Emulator]:
    with Emulator(limits=Limits(max_body_bytes=CAP)) as emulator:
        yield emulator


def _head_only(emulator: Emulator, declared: int, authorization: str) -> bytes:
    """Send a request head declaring ``declared`` body bytes, never the body; the answer."""
    address = urlsplit(emulator.url)
    head = (
        f"POST {INVOKE} HTTP/1.1\r\nHost: {address.netloc}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {declared}\r\n"
        f"Authorization: {authorization}\r\n\r\n"
    ).encode()
    answer = b""
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(head)
        while chunk := sock.recv(65536):  # the server shuts its side after answering
            answer += chunk
    return answer


def test_a_declared_length_over_the_cap_is_answered_before_the_body(small: Emulator) -> None:
    answer = _head_only(small, 25_000_001, f"Bearer {small.api_key}")
    status, _, rest = answer.partition(b"\r\n")
    assert status == b"HTTP/1.1 400 Bad Request"
    assert b"x-amzn-ErrorType: ValidationException" in rest
    assert b"connection: close" in rest.lower()
    assert rest.endswith(b'{"message":"' + TOO_LONG.encode() + b'"}')


def test_authentication_is_judged_before_the_size(small: Emulator) -> None:
    answer = _head_only(small, 25_000_001, "Bearer not-a-key")
    assert answer.startswith(b"HTTP/1.1 403 ")


def test_a_chunked_body_is_cut_off_past_the_cap(small: Emulator) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"anthropic_version": "bedrock-2023-05-31", "max_tokens": 16, '
        for _ in range(10):
            yield b" " * 1000

    headers = {"authorization": f"Bearer {small.api_key}", "content-type": "application/json"}
    with httpx.Client(base_url=small.url, timeout=30) as http:
        response = http.post(INVOKE, content=chunks(), headers=headers)
    assert error_of(response) == (400, "ValidationException", TOO_LONG)
    assert response.headers["connection"] == "close"


def test_the_messages_api_answers_in_anthropics_envelope(small: Emulator) -> None:
    """413 ``request_too_large``: the type Anthropic's API documents for an oversized
    request (Bedrock's own answer on these routes is unobserved)."""
    runtime = anthropic.Anthropic(
        base_url=small.url + "/anthropic",
        api_key=small.api_key,
        max_retries=0,
        timeout=30,
        default_headers={"Host": "bedrock-runtime.us-east-1.amazonaws.com"},
    )
    mantle = anthropic.AnthropicBedrockMantle(
        aws_region="us-east-1",
        base_url=small.url + "/anthropic",
        max_retries=0,
        timeout=30,
        aws_access_key=small.access_key,
        aws_secret_key=small.secret_key,
    )
    for client, model in ((runtime, MODEL), (mantle, "anthropic.claude-haiku-4-5")):
        with client, pytest.raises(anthropic.APIStatusError) as caught:
            client.messages.create(
                model=model, max_tokens=16, messages=[{"role": "user", "content": "x" * CAP}]
            )
        assert caught.value.status_code == 413
        body = caught.value.body
        assert isinstance(body, dict) and body["error"]["type"] == "request_too_large"
        assert body["error"]["message"] == f"Request body exceeds the maximum size of {CAP} bytes."
