"""Hostile invocation-log objects for ``claude-bedrock logs report`` (tests and bench).

Each builder returns the bytes of one S3 object as an attacker, a broken writer or an
unlucky copy could leave it under a Bedrock log prefix. The large ones are built by
streaming a compressor, so a 2 GiB payload costs the builder a few MB, not 2 GiB.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from typing import Any

from claude_bedrock.logs import object_key

MIB = 1024 * 1024
GIB = 1024 * MIB
OPUS = "global.anthropic.claude-opus-4-6-v1"


def record(request_id: str, when: datetime, *, input_tokens: int = 10) -> bytes:
    """One valid invocation log record line (no newline)."""
    data: dict[str, Any] = {
        "schemaType": "ModelInvocationLog", "schemaVersion": "1.0",
        "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "accountId": "123456789012",
        "region": "us-east-1", "requestId": request_id, "operation": "InvokeModel",
        "modelId": OPUS, "input": {"inputTokenCount": input_tokens},
        "output": {"outputTokenCount": 5},
    }  # fmt: skip
    return json.dumps(data).encode()


def key_for(prefix: str, when: datetime, name: str) -> str:
    return object_key(prefix, "123456789012", "us-east-1", when, name)


def gz(*lines: bytes) -> bytes:
    return gzip.compress(b"\n".join(lines) + b"\n")


def not_gzip(when: datetime) -> bytes:
    """Plain JSONL where gzip is expected (someone copied an uncompressed log)."""
    return b"\n".join(record(f"plain-{i}", when) for i in range(3)) + b"\n"


def truncated(when: datetime) -> bytes:
    """A gzip object cut short (an interrupted upload): the member never ends."""
    body = gz(*(record(f"cut-{i}", when) for i in range(200)))
    return body[: len(body) // 2]


def deep_line(when: datetime, depth: int = 100_000) -> bytes:
    """One record-looking line nested ``depth`` deep between two valid records."""
    deep = b'{"schemaType": "ModelInvocationLog", "x": ' + b"[" * depth + b"]" * depth + b"}"
    return gz(record("before-deep", when), deep, record("after-deep", when))


def _repeat(block: bytes, size: int) -> bytes:
    """``size`` bytes of ``block`` repeated, as concatenated gzip members (valid gzip, as
    ``cat a.gz b.gz`` is): one member compressed once, so building 2 GiB takes
    milliseconds. ``size`` must be a multiple of ``len(block)``."""
    count, rest = divmod(size, len(block))
    assert rest == 0, "size must be a multiple of the block"
    return gzip.compress(block, 9) * count


def one_long_line(size: int = GIB, tail: bytes = b"") -> bytes:
    """``size`` bytes with no newline (about 1 MB compressed for 1 GiB), then ``tail``."""
    body = _repeat(b"x" * MIB, size)
    return body + (gzip.compress(b"\n" + tail + b"\n") if tail else b"")


def short_lines(size: int = 2 * GIB, line: bytes = b"{}\n") -> bytes:
    """About ``size`` bytes of one short line repeated (about 2 MB compressed for 2 GiB)."""
    block = line * (MIB // len(line))
    return _repeat(block, size // MIB * len(block))
