"""``claude-bedrock serve --quotas``: the option's parsing, and quotas in a served emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from cli_support import bare_env, run

from claude_bedrock.emulator import Emulator

MODEL = "us.anthropic.claude-opus-4-8"


@pytest.mark.parametrize(
    ("value", "said"),
    [("default,bogus=1", "unknown option 'bogus=1'"), ("default,window=0", "window must be"),
     ("/no/such/quotas.json", "cannot read quota file")],
)  # fmt: skip
def test_a_bad_setting_stops_serve_before_it_listens(tmp_path: Path, value: str, said: str) -> None:
    result = run(["serve", "--port", "0", "--quotas", value], bare_env(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("error: --quotas: ")
    assert said in result.stderr
    assert "listening" not in result.stdout


#: A call reserving 900 output tokens: two of them overrun a 1,000-token quota.
_BODY = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 900,
                    "messages": [{"role": "user", "content": "Hi"}]})  # fmt: skip


def _runtime(emulator: Emulator) -> Any:
    """boto3 on the served emulator, one attempt per call (a throttle is seen, not retried)."""
    return boto3.client(
        "bedrock-runtime", endpoint_url=emulator.url, region_name=emulator.region,
        aws_access_key_id=emulator.access_key, aws_secret_access_key=emulator.secret_key,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"},
                      read_timeout=10, connect_timeout=10),
    )  # fmt: skip


def test_served_quotas_throttle_and_report_over_http() -> None:
    """``serve --quotas`` in its own process (``Emulator(subprocess=True)`` runs the CLI)."""
    with Emulator(subprocess=True, quotas="default,clock=manual,tpm=1000") as emulator:
        runtime, body = _runtime(emulator), _BODY
        runtime.invoke_model(modelId=MODEL, body=body)
        with pytest.raises(runtime.exceptions.ThrottlingException):
            runtime.invoke_model(modelId=MODEL, body=body)
        assert emulator.advance_clock(60.0) == 60.0
        runtime.invoke_model(modelId=MODEL, body=body)
        totals = emulator.quota_stats()["totals"]
        assert (totals["received"], totals["admitted"], totals["throttled"]) == (3, 2, 1)


def test_served_tokens_per_day() -> None:
    """``--quotas ...,tpd=N`` in a served emulator: Bedrock's day wording over HTTP, the day
    on the stats route, and the reset route refilling it."""
    spec = "default,clock=manual,tpm=100000,tpd=1000"
    with Emulator(subprocess=True, quotas=spec) as emulator:
        runtime, body = _runtime(emulator), _BODY
        runtime.invoke_model(modelId=MODEL, body=body)
        with pytest.raises(runtime.exceptions.ThrottlingException) as caught:
            runtime.invoke_model(modelId=MODEL, body=body)
        assert caught.value.response["Error"]["Message"] == (
            "Too many tokens per day, please wait before trying again."
        )
        stats = emulator.quota_stats()
        assert stats["totals"]["throttled_per_day"] == 1
        assert [day["tpd"]["limit"] for day in stats["days"]] == [1000]
        emulator.reset_quotas()
        runtime.invoke_model(modelId=MODEL, body=body)
