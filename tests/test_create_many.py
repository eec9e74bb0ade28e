"""``messages.create_many`` against the emulator: results one per request, in input order,
errors kept; adaptive by default, fixed with ``concurrency=``; sync and async."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from claude_bedrock import AnthropicBedrock, AsyncAnthropicBedrock
from claude_bedrock.emulator import Emulator

pytestmark = pytest.mark.usefixtures("client_env")
MODEL = "global.anthropic.claude-opus-4-6-v1"


def _client(emulator: Emulator, cls: Any = AnthropicBedrock, **options: Any) -> Any:
    return cls(
        aws_access_key=emulator.access_key, aws_secret_key=emulator.secret_key,
        aws_region="us-west-2", base_url=emulator.url, **options,
    )  # fmt: skip


def _requests(n: int, key: str) -> list[dict[str, Any]]:
    """n requests counted by the emulator under ``key`` (its fault report counts them);
    every 7th is invalid (a temperature Bedrock refuses)."""
    out: list[dict[str, Any]] = []
    for i in range(n):
        params: dict[str, Any] = {
            "model": MODEL, "max_tokens": 64,
            "messages": [{"role": "user", "content": f"echo {i} emulator:tokens=5"}],
            "extra_headers": {"x-emulator-fault": "throttle*0", "x-emulator-fault-key": key},
        }  # fmt: skip
        if i % 7 == 3:
            params["temperature"] = 9.0
        out.append({"custom_id": f"r{i}", "params": params} if i % 2 else params)
    return out


def _sent(emulator: Emulator, key: str) -> int:
    report = httpx.get(f"{emulator.url}/_emulator/faults", params={"key": key}).json()
    return int(report["key"]["requests"])


def test_results_in_input_order_with_errors_kept(bedrock_emulator: Emulator) -> None:
    key = uuid.uuid4().hex
    with _client(bedrock_emulator) as client:
        results = list(client.messages.create_many(_requests(60, key)))
    assert [r.custom_id for r in results] == [
        f"r{i}" if i % 2 else f"request-{i}" for i in range(60)
    ]
    bad = [i for i, r in enumerate(results) if r.result.type == "errored"]
    assert bad == [i for i in range(60) if i % 7 == 3]
    err = results[3].result.error.error  # type: ignore[union-attr]
    assert err.type == "ValidationException" and err.bedrock_error_code == 400
    ok = results[0].result.message  # type: ignore[union-attr]
    assert ok.content and ok.cost is not None
    assert _sent(bedrock_emulator, key) == 60  # each request sent exactly once


def test_fixed_concurrency_and_unordered(bedrock_emulator: Emulator) -> None:
    key = uuid.uuid4().hex
    with _client(bedrock_emulator) as client:
        results = list(
            client.messages.create_many(_requests(20, key), concurrency=3, ordered=False)
        )
    assert sorted(r.custom_id for r in results) == sorted(
        f"r{i}" if i % 2 else f"request-{i}" for i in range(20)
    )
    with _client(bedrock_emulator) as client, pytest.raises(ValueError, match="concurrency"):
        list(client.messages.create_many([], concurrency=0))


def test_async_create_many(bedrock_emulator: Emulator) -> None:
    key = uuid.uuid4().hex

    async def main() -> list[Any]:
        async with _client(bedrock_emulator, AsyncAnthropicBedrock) as client:
            return [r async for r in client.messages.create_many(_requests(30, key))]

    results = asyncio.run(main())
    assert [r.custom_id for r in results][:4] == ["request-0", "r1", "request-2", "r3"]
    assert sum(r.result.type == "succeeded" for r in results) == 30 - 4
    assert _sent(bedrock_emulator, key) == 30


def test_a_bad_keyword_is_an_errored_result_not_an_exception(bedrock_emulator: Emulator) -> None:
    with _client(bedrock_emulator) as client:
        (result,) = client.messages.create_many([{"model": MODEL, "max_tokens": 5, "mesages": []}])
    assert result.result.type == "errored"
    assert result.result.error.error.type == "TypeError"  # type: ignore[union-attr]
