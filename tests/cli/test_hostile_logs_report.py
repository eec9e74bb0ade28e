"""``claude-bedrock logs report`` over hostile log objects (issue 17, item 15).

A real S3 server (SeaweedFS) holds one valid log object beside a hostile one; the CLI runs
as a user runs it (a subprocess, bounded by its timeout). Whatever the hostile object is,
the report must finish, count the valid records, and name the object or line it left out
and why, with the documented exit code (0: the report was made; it says it is incomplete).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import hostile_logs as h
import pytest

from s3server import S3Server

PREFIX = "hostile"
WHEN = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)


def report(s3: S3Server, bucket: str, *extra: str, timeout: float = 120) -> Any:
    """Run the report (JSON unless ``-o text`` is passed); the result, parsed when JSON."""
    output = [] if "-o" in extra else ["-o", "json"]
    result = subprocess.run(
        [sys.executable, "-m", "claude_bedrock", "logs", "report", "--bucket", bucket,
         "--prefix", PREFIX, *output, *extra],
        env=s3.env(), capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    return result


def put(s3: S3Server, bucket: str, name: str, body: bytes) -> str:
    key = h.key_for(PREFIX, WHEN, name)
    s3.client().put_object(Bucket=bucket, Key=key, Body=body)
    return key


def with_good(s3: S3Server, bucket: str) -> None:
    put(s3, bucket, "good", h.gz(h.record("good-1", WHEN), h.record("good-2", WHEN)))


def json_report(s3: S3Server, bucket: str, *extra: str) -> dict[str, Any]:
    result = report(s3, bucket, *extra)
    assert result.returncode == 0, result.stdout + result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_objects_not_gzip_or_truncated_are_skipped_and_named(
    s3_server: S3Server, s3_bucket: str
) -> None:
    with_good(s3_server, s3_bucket)
    plain = put(s3_server, s3_bucket, "plain", h.not_gzip(WHEN))
    cut = put(s3_server, s3_bucket, "cut", h.truncated(WHEN))
    data = json_report(s3_server, s3_bucket)
    assert data["records"] == 2 and data["total"]["input_tokens"] == 20
    reasons = {item["key"]: item["reason"] for item in data["skipped_objects"]}
    assert set(reasons) == {plain, cut}
    assert reasons[plain].startswith("not gzip") and reasons[cut].startswith("truncated")
    assert data["complete"] is False and data["objects"] == 3
    text = report(s3_server, s3_bucket, "-o", "text")
    assert text.returncode == 0
    assert "incomplete report: 2 objects skipped" in text.stderr
    assert f"{plain}: not gzip" in text.stderr and f"{cut}: truncated" in text.stderr


def test_a_line_nested_100000_deep_is_a_skipped_line(s3_server: S3Server, s3_bucket: str) -> None:
    put(s3_server, s3_bucket, "deep", h.deep_line(WHEN))
    data = json_report(s3_server, s3_bucket)
    assert data["records"] == 2  # the records before and after the deep line
    assert data["skipped_lines"] == 1
    assert data["skipped_line_reasons"] == {"JSON nested too deeply": 1}
    assert data["complete"] is True and data["skipped_objects"] == []


def test_an_over_long_line_is_skipped_and_the_next_record_kept(
    s3_server: S3Server, s3_bucket: str
) -> None:
    put(s3_server, s3_bucket, "long", h.one_long_line(16 * h.MIB, tail=h.record("after", WHEN)))
    data = json_report(s3_server, s3_bucket)
    assert data["records"] == 1 and data["skipped_lines"] == 1
    assert data["skipped_line_reasons"] == {"longer than 4 MiB (--max-line-bytes)": 1}
    smaller = json_report(s3_server, s3_bucket, "--max-line-bytes", "100")
    assert smaller["skipped_line_reasons"] == {"longer than 100 bytes (--max-line-bytes)": 2}


BOMBS: dict[str, tuple[Callable[[], bytes], str]] = {
    # 1 MB of gzip holding one 1 GiB line: read up to the object budget, never held.
    "line-1GiB": (lambda: h.one_long_line(h.GIB), "inflates to more than 64 MiB"),
    # 2 MB of gzip holding 2 GiB of "{}" lines: given up after 1,000 lines that are not
    # records, long before the budget.
    "short-lines-2GiB": (lambda: h.short_lines(2 * h.GIB), "more than 1,000 lines"),
    # 2 GiB of blank lines (nothing to count as bad): stopped by the object budget.
    "blank-lines-2GiB": (lambda: h.short_lines(2 * h.GIB, b"\n"), "inflates to more than"),
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_a_decompression_bomb_is_a_skipped_object(
    s3_server: S3Server, s3_bucket: str, name: str
) -> None:
    build, reason = BOMBS[name]
    with_good(s3_server, s3_bucket)
    key = put(s3_server, s3_bucket, name, build())
    data = json_report(s3_server, s3_bucket)
    assert data["records"] == 2
    assert [item["key"] for item in data["skipped_objects"]] == [key]
    assert data["skipped_objects"][0]["reason"].startswith(reason)


def test_a_smaller_object_budget_applies(s3_server: S3Server, s3_bucket: str) -> None:
    with_good(s3_server, s3_bucket)
    big = put(s3_server, s3_bucket, "big", h.gz(*(h.record(f"r{i}", WHEN) for i in range(5000))))
    data = json_report(s3_server, s3_bucket, "--max-object-bytes", "64KiB")
    assert data["records"] == 2
    assert data["skipped_objects"] == [
        {"key": big, "reason": "inflates to more than 64 KiB (--max-object-bytes)"}
    ]


def test_bad_limit_values_are_usage_errors(s3_server: S3Server, s3_bucket: str) -> None:
    for option in ("--max-line-bytes", "--max-object-bytes"):
        result = report(s3_server, s3_bucket, option, "lots")
        assert result.returncode == 2 and "not a size" in result.stdout + result.stderr


def test_logs_show_passes_over_hostile_objects(s3_server: S3Server, s3_bucket: str) -> None:
    """``logs show`` searches newest object first: a hostile newer object must not stop it."""
    put(s3_server, s3_bucket, "good", h.gz(h.record("wanted-id", WHEN)))
    later = WHEN + timedelta(seconds=1)
    s3_server.client().put_object(Bucket=s3_bucket, Key=h.key_for(PREFIX, later, "plain"),
                                  Body=h.not_gzip(WHEN))  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "claude_bedrock", "logs", "show", "wanted-id", "--bucket",
         s3_bucket, "--prefix", PREFIX, "-o", "json"],
        env=s3_server.env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["requestId"] == "wanted-id"
