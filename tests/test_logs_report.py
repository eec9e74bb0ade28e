"""Reading invocation logs back: ``claude_bedrock.logs`` and ``claude-bedrock logs report|show``.

The logs are the emulator's, written to a real S3 server (SeaweedFS) by real calls; the
report's totals are compared with the usage and cost those calls returned.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from claude_bedrock._s3 import s3_client
from claude_bedrock.logs import (
    build_report,
    endpoint_type,
    list_log_objects,
    log_root,
    object_key,
    parse_key,
    parse_since,
    read_records,
)
from claude_bedrock.types import Message
from claude_bedrock.types.invocation_logging import InvocationLogRecord
from s3server import S3Server
from test_invocation_logging import LoggedEmulator, logged_emulator

PREFIX = "reports"
PROFILE_ARN = "arn:aws:bedrock:us-east-1:123456789012:inference-profile"
CACHED_SYSTEM = [{"type": "text", "text": "You are a careful assistant. " * 400,
                  "cache_control": {"type": "ephemeral"}}]  # fmt: skip
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("global.anthropic.claude-opus-4-6-v1", {}),
    ("global.anthropic.claude-opus-4-6-v1", {"stream": True}),
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", {"system": CACHED_SYSTEM}),
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", {"system": CACHED_SYSTEM}),  # cache read
    ("us.anthropic.claude-haiku-4-5-20251001-v1:0", {"stream": True}),
    ("global.anthropic.claude-haiku-5-5", {}),
]


@dataclass
class Logged:
    """A bucket holding the logs of the calls above, and what those calls returned."""

    emulator: LoggedEmulator
    bucket: str
    messages: list[Message]
    failed_request_id: str

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "claude_bedrock", *args],
            env=self.emulator.cli_env(), capture_output=True, text=True, timeout=120,
        )  # fmt: skip


def _call(client: Any, model: str, options: dict[str, Any], i: int) -> Message:
    kwargs: dict[str, Any] = {
        "model": model, "max_tokens": 40 + i,
        "messages": [{"role": "user", "content": f"Question number {i}: tell me something."}],
        **{k: v for k, v in options.items() if k != "stream"},
    }  # fmt: skip
    if options.get("stream"):
        with client.messages.stream(**kwargs) as stream:
            message: Message = stream.get_final_message()
            return message
    created: Message = client.messages.create(**kwargs)
    return created


@pytest.fixture(scope="module")
def logged(s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Logged]:
    bucket = s3_server.create_bucket("reports")
    with logged_emulator(s3_server, tmp_path_factory.mktemp("reports")) as emulator:
        with emulator.client(max_retries=0) as client:
            client.invocation_logging.enable(
                s3_bucket=bucket, s3_prefix=PREFIX, s3_endpoint_url=s3_server.endpoint_url
            )
            messages = [
                _call(client, model, options, i) for i, (model, options) in enumerate(CALLS)
            ]
            try:
                client.messages.create(model=CALLS[0][0], max_tokens=0,
                                       messages=[{"role": "user", "content": "x"}])  # fmt: skip
            except Exception as exc:  # the emulator refuses max_tokens=0, as Bedrock does
                failed = exc.response.headers["x-amzn-requestid"]  # type: ignore[attr-defined]
            emulator.wait_delivered()
        yield Logged(emulator, bucket, messages, failed)
    s3_server.delete_bucket(bucket)


def _expected(messages: list[Message]) -> dict[str, Any]:
    usages = [m.usage for m in messages]
    return {
        "invocations": len(messages) + 1,
        "errors": 1,
        "input_tokens": sum(u.input_tokens for u in usages),
        "output_tokens": sum(u.output_tokens for u in usages),
        "cache_write_input_tokens": sum(u.cache_creation_input_tokens or 0 for u in usages),
        "cache_read_input_tokens": sum(u.cache_read_input_tokens or 0 for u in usages),
    }


def _cost(messages: list[Message]) -> float:
    return sum(m.cost.usd for m in messages if m.cost is not None)


# -- the report's totals are the calls' usage and cost ---------------------------------------


def test_report_totals_equal_what_the_calls_returned(logged: Logged) -> None:
    s3 = s3_client(region="us-east-1", endpoint_url=logged.emulator.s3.endpoint_url,
                   credentials=logged.emulator.s3.credentials)  # fmt: skip
    objects = list_log_objects(s3, logged.bucket, PREFIX)
    report = build_report(read_records(s3, logged.bucket, objects))
    total = report.total.to_dict()
    assert {k: total[k] for k in _expected(logged.messages)} == _expected(logged.messages)
    assert total["cache_write_input_tokens"] > 0 and total["cache_read_input_tokens"] > 0
    assert float(report.total.cost) == pytest.approx(_cost(logged.messages), rel=1e-12)
    # Per endpoint type: global = the two Opus calls; every other call is regional.
    glob = [m for m, (model, _) in zip(logged.messages, CALLS, strict=True)
            if model.startswith("global.")]  # fmt: skip
    assert report.by_endpoint["global"].invocations == len(glob) + 1  # + the failed Opus call
    assert float(report.by_endpoint["global"].cost) == pytest.approx(_cost(glob), rel=1e-12)
    assert report.by_endpoint["regional"].invocations == len(CALLS) - len(glob)
    # Per model: keyed by base model, named as the catalogue names it.
    sonnet = report.by_model["anthropic.claude-sonnet-4-5-20250929-v1:0"]
    assert (
        sonnet.invocations == 2
        and report.model_names["anthropic.claude-sonnet-4-5-20250929-v1:0"] == "Claude Sonnet 4.5"
    )
    # Per day: everything happened today (UTC), or at worst across one midnight.
    assert sum(t.invocations for t in report.by_day.values()) == len(CALLS) + 1


def test_cli_report_json_matches_the_calls(logged: Logged) -> None:
    result = logged.cli("logs", "report", "--bucket", logged.bucket, "--prefix", PREFIX,
                        "--since", "1d", "--output", "json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    total = data["total"]
    assert {k: total[k] for k in _expected(logged.messages)} == _expected(logged.messages)
    assert float(Decimal(total["cost_usd"])) == pytest.approx(_cost(logged.messages), rel=1e-12)
    assert data["records"] == len(CALLS) + 1 and data["skipped_lines"] == 0
    assert set(data["by_endpoint"]) == {"global", "regional"}


def test_cli_report_text_and_html(logged: Logged, tmp_path: Path) -> None:
    page = tmp_path / "usage.html"
    result = logged.cli("logs", "report", "--bucket", logged.bucket, "--prefix", PREFIX,
                        "--html", str(page))  # fmt: skip
    assert result.returncode == 0, result.stderr
    for text in ("Per model", "Per day", "Per endpoint type", "Claude Opus 4.6", "Cost per day",
                 "█", f"{len(CALLS) + 1} invocations (1 failed)"):  # fmt: skip
        assert text in result.stdout
    assert f"page written to {page}" in result.stderr
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 2
    assert "<rect" in html and "Claude Sonnet 4.5" in html
    # Self-contained: no script, no stylesheet or image from elsewhere.
    assert "<script" not in html.lower()
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) == {"http://www.w3.org/2000/svg"}


def test_cli_report_finds_the_bucket_through_the_logging_configuration(logged: Logged) -> None:
    result = logged.cli("logs", "report", "-o", "json")  # no --bucket: Bedrock says where
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["source"] == f"s3://{logged.bucket}/{PREFIX}"


def test_cli_show_one_invocation(logged: Logged) -> None:
    message = logged.messages[2]
    result = logged.cli("logs", "show", message.request_id or "", "--bucket", logged.bucket,
                        "--prefix", PREFIX, "-o", "json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["requestId"] == message.request_id and data["operation"] == "InvokeModel"
    assert data["bodies"]["request"]["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert data["bodies"]["response"]["id"] == message.id
    text = logged.cli("logs", "show", message.request_id or "", "--bucket", logged.bucket,
                      "--prefix", PREFIX)  # fmt: skip
    assert text.returncode == 0 and (message.request_id or "?") in text.stdout
    assert "cache write / read" in text.stdout
    failed = logged.cli("logs", "show", logged.failed_request_id, "--bucket", logged.bucket,
                        "--prefix", PREFIX, "-o", "json")  # fmt: skip
    assert json.loads(failed.stdout)["errorCode"] == "ValidationException"


def test_cli_show_unknown_request_is_a_usage_error(logged: Logged) -> None:
    result = logged.cli("logs", "show", "no-such-request", "--bucket", logged.bucket)
    assert result.returncode == 2
    assert "No invocation log record for request no-such-request" in result.stderr


def test_cli_missing_bucket_and_bad_since(logged: Logged) -> None:
    missing = logged.cli("logs", "report", "--bucket", "no-such-bucket-here")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    bad = logged.cli("logs", "report", "--bucket", logged.bucket, "--since", "yesterday")
    assert bad.returncode == 2 and "--since" in bad.stderr


# -- windows, foreign lines, unknown models: synthetic objects in a fresh bucket -------------


def _record(request_id: str, when: datetime, model: str, **counts: int) -> dict[str, Any]:
    return {
        "schemaType": "ModelInvocationLog", "schemaVersion": "1.0",
        "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "accountId": "123456789012",
        "region": "us-east-1", "requestId": request_id, "operation": "InvokeModel",
        "modelId": model, "input": {"inputTokenCount": counts.get("input", 0)},
        "output": {"outputTokenCount": counts.get("output", 0)},
    }  # fmt: skip


def _put(s3: S3Server, bucket: str, when: datetime, lines: list[bytes]) -> str:
    key = object_key("synthetic", "123456789012", "us-east-1", when, f"{len(lines):04d}")
    s3.client().put_object(Bucket=bucket, Key=key, Body=gzip.compress(b"\n".join(lines)))
    return key


def test_since_skips_old_hours_and_foreign_lines_are_counted(
    s3_server: S3Server, s3_bucket: str
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    old, recent = now - timedelta(days=10), now - timedelta(minutes=5)
    opus = "global.anthropic.claude-opus-4-6-v1"
    _put(s3_server, s3_bucket, old, [json.dumps(_record("old", old, opus, input=1000)).encode()])
    _put(s3_server, s3_bucket, recent, [
        json.dumps(_record("new", recent, opus, input=10, output=5)).encode(),
        json.dumps(_record("odd", recent, "vendor.unknown-model-v1", input=7)).encode(),
        b'{"schemaType": "SomethingElse"}',
        b'{"truncated": ',
    ])  # fmt: skip
    s3_server.client().put_object(Bucket=s3_bucket, Key="synthetic/AWSLogs/readme.txt", Body=b"x")
    s3 = s3_client(region="us-east-1", endpoint_url=s3_server.endpoint_url,
                   credentials=s3_server.credentials)  # fmt: skip
    since = parse_since("1d")
    objects = list_log_objects(s3, s3_bucket, "synthetic", since=since)
    assert len(objects) == 1  # the 10-day-old hour is not even downloaded
    from claude_bedrock.logs import ReadStats

    stats = ReadStats()
    report = build_report(read_records(s3, s3_bucket, objects, since=since, stats=stats))
    assert (stats.records, stats.skipped_lines) == (2, 2)
    assert report.total.invocations == 2 and report.total.unpriced == 1
    assert report.by_model["vendor.unknown-model-v1"].cost == 0
    everything = build_report(
        read_records(s3, s3_bucket, list_log_objects(s3, s3_bucket, "synthetic"))
    )
    assert everything.total.input_tokens == 1000 + 10 + 7


# -- small pieces ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "delta"),
    [("7d", timedelta(days=7)), ("12h", timedelta(hours=12)), ("30m", timedelta(minutes=30)),
     ("2w", timedelta(weeks=2))],
)  # fmt: skip
def test_parse_since_durations(text: str, delta: timedelta) -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert parse_since(text, now) == now - delta


def test_parse_since_dates() -> None:
    assert parse_since("2026-01-31") == datetime(2026, 1, 31, tzinfo=UTC)
    assert parse_since("2026-01-31T10:00:00+02:00").utcoffset() == timedelta(hours=2)
    with pytest.raises(ValueError, match="neither a duration"):
        parse_since("last week")


@pytest.mark.parametrize(
    ("model", "kind"),
    [
        ("global.anthropic.claude-opus-4-6-v1", "global"),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "regional"),
        ("anthropic.claude-3-haiku-20240307-v1:0", "regional"),
        (f"{PROFILE_ARN}/global.anthropic.claude-opus-4-6-v1", "global"),
        (f"{PROFILE_ARN}/eu.anthropic.claude-opus-4-6-v1", "regional"),
    ],
)  # fmt: skip
def test_endpoint_type_from_the_model_id(model: str, kind: str) -> None:
    assert endpoint_type(model) == kind


def test_key_layout_round_trip() -> None:
    when = datetime(2026, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)
    key = object_key("/team/bedrock/", "123456789012", "eu-west-1", when, "abc")
    assert key == ("team/bedrock/AWSLogs/123456789012/BedrockModelInvocationLogs/eu-west-1/"
                   "2026/02/03/04/20260203T040506789Z_abc.json.gz")  # fmt: skip
    parsed = parse_key(key)
    assert parsed is not None
    assert (parsed.account, parsed.region, parsed.hour, parsed.is_data) == (
        "123456789012", "eu-west-1", datetime(2026, 2, 3, 4, tzinfo=UTC), False,
    )  # fmt: skip
    assert parse_key(key.replace("/04/2026", "/04/data/2026")).is_data  # type: ignore[union-attr]
    assert parse_key("AWSLogs/1/SomethingElse/us-east-1/2026/02/03/04/x.json.gz") is None
    assert log_root(None) == "AWSLogs/" and log_root("p/") == "p/AWSLogs/"


def test_record_usage_reads_the_one_hour_cache_split() -> None:
    record = InvocationLogRecord.model_validate({
        **_record("r", datetime.now(UTC), "global.anthropic.claude-opus-4-6-v1", input=5),
        "output": {"outputTokenCount": 3, "outputBodyJson": {"usage": {
            "cache_creation": {"ephemeral_1h_input_tokens": 100}}}},
    })  # fmt: skip
    assert record.usage()["cache_creation"] == {"ephemeral_1h_input_tokens": 100}
