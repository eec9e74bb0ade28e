"""A clean environment for tests that build clients (ours and the official SDK's).

What the AWS tools and both SDKs read from the environment would change what a client sends
(a Region, keys, a profile, an endpoint, extra headers): it is cleared for each test, and the
AWS config and credentials files point at an empty temporary directory. Clients a test
appends to :data:`OPENED` are closed after it, and dropped ones are collected, so their
sockets are released now (the load test counts open sockets).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["CLIENT_ENV", "OPENED", "client_env"]

CLIENT_ENV = (
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK",
    "ANTHROPIC_AWS_API_KEY", "ANTHROPIC_BEDROCK_BASE_URL", "ANTHROPIC_BEDROCK_MANTLE_BASE_URL",
    "ANTHROPIC_CUSTOM_HEADERS", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
    "AWS_ENDPOINT_URL_BEDROCK",
)  # fmt: skip
#: Clients to close after the current test.
OPENED: list[Any] = []


@pytest.fixture
def client_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in CLIENT_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    yield
    while OPENED:
        OPENED.pop().close()
    gc.collect()
