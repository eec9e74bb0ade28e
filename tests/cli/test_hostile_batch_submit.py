"""``claude-bedrock batch submit`` with hostile input files (issue 17, item 16).

The stack is the one ``tests/test_batches.py`` uses: the emulator in a subprocess writing
through a real S3 server, one identity for both. The CLI runs as a user runs it (a
subprocess, bounded by its timeout). A file with bad lines must be refused whole (exit
code 2, every bad line named by its number, no traceback) with nothing uploaded and no job
started; a byte-order mark at the file's start must be removed, not turn line 1 into a
bare prompt made of its own JSON text.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from test_batches import ROLE, Stack
from test_batches import stack as stack  # the module fixture, re-exported

GOOD = 100  # Bedrock's minimum records per job: a good file this size is submitted


def submit(
    stack: Stack, bucket: str, path: Path, *extra: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "claude_bedrock", "batch", "submit", str(path),
         "--bucket", f"s3://{bucket}/in", "--role-arn", ROLE, "-m", "haiku", "--yes", *extra],
        env=stack.env(), capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    return result


def good_lines(n: int = GOOD) -> list[bytes]:
    return [json.dumps({"custom_id": f"p{i}", "prompt": f"prompt {i}"}).encode() for i in range(n)]


def uploaded(stack: Stack, bucket: str) -> list[str]:
    listed = stack.s3.client().list_objects_v2(Bucket=bucket, Prefix="in/")
    return [item["Key"] for item in listed.get("Contents", [])]


def batch_count(stack: Stack) -> int:
    result = subprocess.run(
        [sys.executable, "-m", "claude_bedrock", "batch", "list", "--limit", "1000", "-o", "json"],
        env=stack.env(), capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return len(json.loads(result.stdout))


#: Hostile lines, each with the words its error must contain.
HOSTILE: list[tuple[bytes, str]] = [
    (b'{"custom_id": "mt", "prompt": "hi", "max_tokens": "x"}', "max_tokens"),
    (
        b'{"custom_id": "deep", "prompt": "hi", "system": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}",
        "nested too deeply",
    ),  # fmt: skip
    (b'{"custom_id": "sur", "prompt": "\\ud800"}', "lone surrogate"),
    (b'{"custom_id": "p3", "prompt": "same id as an earlier line"}', "repeats line 4's"),
    (b'{"custom_id": "cut", "prompt": ', "not valid JSON"),
    (b'\xef\xbb\xbf{"custom_id": "bom2", "prompt": "a BOM inside the file"}', "byte-order mark"),
    (b"caf\xe9 latin-1, not UTF-8", "not UTF-8"),
    (
        b'{"custom_id": "params", "params": {"max_tokens": 8, "messages": [], "bogus": 1}}',
        "bogus",
    ),  # fmt: skip
    (b'{"custom_id": "bad id!", "prompt": "x"}', "custom_id"),
]


_IDS = ["max_tokens-x", "nested-100k", "lone-surrogate", "duplicate-id", "broken-json",
        "bom-inside", "not-utf8", "unknown-param", "bad-custom-id"]  # fmt: skip


@pytest.mark.parametrize(("line", "words"), HOSTILE, ids=_IDS)
def test_one_bad_line_refuses_the_file(
    stack: Stack, s3_bucket: str, tmp_path: Path, line: bytes, words: str
) -> None:
    path = tmp_path / "one.jsonl"
    path.write_bytes(b"\n".join([*good_lines(), line]) + b"\n")
    result = submit(stack, s3_bucket, path)
    assert result.returncode == 2, result.stderr
    assert f"line {GOOD + 1}: " in result.stderr and words in result.stderr
    assert uploaded(stack, s3_bucket) == []


def test_every_bad_line_is_named_and_nothing_is_submitted(
    stack: Stack, s3_bucket: str, tmp_path: Path
) -> None:
    lines = good_lines()
    bad_at: dict[int, str] = {}
    for offset, (line, _words) in enumerate(HOSTILE):
        lines.insert(10 + offset * 7, line)
    for number, line in enumerate(lines, 1):
        for hostile, words in HOSTILE:
            if line == hostile:
                bad_at[number] = words
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    before = batch_count(stack)

    result = submit(stack, s3_bucket, path)
    assert result.returncode == 2, result.stderr
    assert f"{len(HOSTILE)} bad lines (nothing was submitted)" in result.stderr
    reported = {line.split(":")[0]: line for line in result.stderr.splitlines()
                if line.startswith("line ")}  # fmt: skip
    assert set(reported) == {f"line {n}" for n in bad_at}
    for number, words in bad_at.items():
        assert words in reported[f"line {number}"], reported[f"line {number}"]
    assert uploaded(stack, s3_bucket) == [] and batch_count(stack) == before

    as_json = submit(stack, s3_bucket, path, "-o", "json")
    assert as_json.returncode == 2
    error: dict[str, Any] = json.loads(as_json.stdout)["error"]
    assert error["code"] == 2 and error["type"] == "InputError"
    assert all(f"line {n}: " in error["message"] for n in bad_at)


def test_bad_lines_over_the_cap_are_counted(stack: Stack, s3_bucket: str, tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    bad = [b'{"custom_id": "m%d", "prompt": "x", "max_tokens": -1}' % i for i in range(120)]
    path.write_bytes(b"\n".join(good_lines() + bad) + b"\n")
    result = submit(stack, s3_bucket, path)
    assert result.returncode == 2
    assert "120 bad lines" in result.stderr and "... and 70 more" in result.stderr
    assert sum(line.startswith("line ") for line in result.stderr.splitlines()) == 50
    assert uploaded(stack, s3_bucket) == []


def test_a_byte_order_mark_at_the_start_is_removed(
    stack: Stack, s3_bucket: str, tmp_path: Path
) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(good_lines()) + b"\r\n")  # a Windows file
    result = submit(stack, s3_bucket, path)
    assert result.returncode == 0, result.stderr
    assert "byte-order mark" in result.stderr
    records: dict[str, Any] = {}
    for key in uploaded(stack, s3_bucket):
        if key.endswith(".jsonl"):
            body = stack.s3.client().get_object(Bucket=s3_bucket, Key=key)["Body"].read()
            for line in body.splitlines():
                record = json.loads(line)
                records[record["recordId"]] = record["modelInput"]
    assert set(records) == {f"p{i}" for i in range(GOOD)}  # no "line-1" bare prompt
    assert records["p0"]["messages"] == [{"role": "user", "content": "prompt 0"}]
