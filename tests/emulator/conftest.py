"""Shared helpers for the emulator tests: real clients against a real loopback server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

from claude_bedrock.emulator import Emulator
from claude_bedrock.wire.signing import Credentials, SigV4Signer

MODEL = "global.anthropic.claude-opus-4-6-v1"
REGION = "us-west-2"


def body(**overrides: Any) -> dict[str, Any]:
    """A valid InvokeModel body, with ``overrides`` applied (``None`` deletes a key)."""
    base: dict[str, Any] = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 256,
        "messages": [{"role": "user", "content": "Hello, world"}],
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture(scope="session")
def emulator(bedrock_emulator: Emulator) -> Emulator:
    """The session emulator from our own pytest plugin (so the plugin is exercised too)."""
    return bedrock_emulator


@pytest.fixture(scope="session")
def runtime(bedrock_emulator: Emulator) -> Any:
    """boto3's bedrock-runtime client on the emulator, no retries (errors surface at once)."""
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=bedrock_emulator.url,
        aws_access_key_id=bedrock_emulator.access_key,
        aws_secret_access_key=bedrock_emulator.secret_key,
        region_name=REGION,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def invoke(runtime: Any, payload: dict[str, Any], model: str = MODEL) -> dict[str, Any]:
    response = runtime.invoke_model(modelId=model, body=json.dumps(payload))
    result: dict[str, Any] = json.loads(response["body"].read())
    return result


class RawClient:
    """httpx + our SigV4 signer, for requests boto3 will not send (skewed clocks...)."""

    def __init__(self, url: str, access_key: str, secret_key: str, token: str | None = None):
        self.url = url
        self.credentials = Credentials(access_key, secret_key, token)
        self.http = httpx.Client(base_url=url, timeout=30)

    def signed(
        self,
        method: str,
        path: str,
        content: bytes = b"",
        *,
        region: str = REGION,
        service: str = "bedrock",
        headers: dict[str, str] | None = None,
        **sign_kwargs: Any,
    ) -> dict[str, str]:
        base = {"host": httpx.URL(self.url).netloc.decode(), "content-type": "application/json"}
        base.update(headers or {})
        signer = SigV4Signer(region, service)
        added = signer.sign(method, self.url + path, base, content, self.credentials, **sign_kwargs)
        return {**base, **added}

    def post(self, path: str, payload: object, **kwargs: Any) -> httpx.Response:
        content = json.dumps(payload).encode()
        headers = self.signed("POST", path, content, **kwargs)
        return self.http.post(path, content=content, headers=headers)


@pytest.fixture
def raw(emulator: Emulator) -> Iterator[RawClient]:
    client = RawClient(emulator.url, emulator.access_key, emulator.secret_key)
    yield client
    client.http.close()


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    """``(status, x-amzn-ErrorType, message)`` of an error response."""
    data = response.json()
    message = data.get("message", data.get("Message", ""))
    return response.status_code, response.headers.get("x-amzn-errortype", ""), message
