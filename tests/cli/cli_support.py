"""Helpers for the CLI tests: run ``python -m claude_bedrock`` as a user would, in a clean
environment (no inherited AWS settings, an empty HOME, instance metadata off so botocore's
chain never leaves loopback), against a real emulator on 127.0.0.1."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from collections.abc import Mapping
from io import BytesIO
from pathlib import Path

from claude_bedrock.emulator import Emulator

ENTRY = [sys.executable, "-m", "claude_bedrock"]
#: The console script installed beside this interpreter (the other real entry point).
SCRIPT = Path(sys.executable).with_name("claude-bedrock")


def bare_env(home: Path, **extra: str) -> dict[str, str]:
    """A user's environment with no AWS set-up at all."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "COLUMNS": "250",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


def emulator_env(emulator: Emulator, home: Path, **extra: str) -> dict[str, str]:
    """What ``eval "$(claude-bedrock serve --env)"`` gives: the emulator's URL and keys."""
    values = {
        "AWS_ENDPOINT_URL": emulator.url,
        "AWS_ACCESS_KEY_ID": emulator.access_key,
        "AWS_SECRET_ACCESS_KEY": emulator.secret_key,
        "AWS_REGION": "us-west-2",
    }
    return bare_env(home, **{**values, **extra})


def run(
    args: list[str],
    env: Mapping[str, str],
    *,
    stdin: str | None = None,
    timeout: float = 90,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ENTRY, *args],
        env=dict(env),
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def pdf_bytes(text: str) -> bytes:
    """A one-page PDF holding ``text`` (reportlab, test-only dependency)."""
    from reportlab.pdfgen import canvas

    buffer = BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


def png_bytes(width: int = 4, height: int = 4) -> bytes:
    """A small valid RGB PNG (built by hand: no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
