"""Shared pieces of the Converse tests: real clients on the session emulator, real files."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from claude_bedrock import AnthropicBedrock, AsyncAnthropicBedrock
from claude_bedrock.emulator import Emulator

MODEL = "global.anthropic.claude-opus-4-6-v1:0"
REGION = "us-west-2"


def make_pdf(pages: int, word: str) -> bytes:
    """A real PDF (reportlab) whose page ``n`` says ``{word}-{n}``."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for page in range(1, pages + 1):
        pdf.drawString(72, 720, f"{word}-{page}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_png(width: int = 2, height: int = 2) -> bytes:
    """A tiny valid PNG (RGB, one red pixel repeated), built by hand with zlib and struct."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", header),
            chunk(b"IDAT", zlib.compress(rows)),
            chunk(b"IEND", b""),
        )
    )


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
