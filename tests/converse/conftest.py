"""Shared pieces of the Converse tests: real clients on the session emulator, real files."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from claude_bedrock import AnthropicBedrock, AsyncAnthropicBedrock
from claude_bedrock.emulator import Emulator

from .files import make_pdf, make_png

__all__ = ["MODEL", "REGION", "async_client_for", "client_for", "make_pdf", "make_png"]

MODEL = "global.anthropic.claude-opus-4-6-v1"
REGION = "us-west-2"


def client_for(emulator: Emulator) -> AnthropicBedrock:
    return AnthropicBedrock(
        aws_region=REGION,
        base_url=emulator.url,
        max_retries=0,
        aws_access_key=emulator.access_key,
        aws_secret_key=emulator.secret_key,
    )


@pytest.fixture
def client(bedrock_emulator: Emulator) -> Iterator[AnthropicBedrock]:
    with client_for(bedrock_emulator) as c:
        yield c


def async_client_for(emulator: Emulator) -> AsyncAnthropicBedrock:
    return AsyncAnthropicBedrock(
        aws_region=REGION,
        base_url=emulator.url,
        max_retries=0,
        aws_access_key=emulator.access_key,
        aws_secret_key=emulator.secret_key,
    )


@pytest.fixture(scope="session")
def runtime(bedrock_emulator: Emulator) -> Any:
    """boto3's bedrock-runtime client on the session emulator, no retries."""
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=bedrock_emulator.url,
        region_name=REGION,
        aws_access_key_id=bedrock_emulator.access_key,
        aws_secret_access_key=bedrock_emulator.secret_key,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
