"""The 1M-token context window: the client's early check, the emulator's enforcement with
and without the beta, and long-context prices in the cost figure.

Big prompts are built as ``"a " * n``: n words for the client's lower bound and n tokens for
the emulator's counter, 2 bytes each, so a 1M-token body is 2 MB and cheap to make.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from claude_bedrock import AnthropicBedrock, ContextWindowError
from claude_bedrock._context import check_window, input_tokens_lower_bound
from claude_bedrock.catalog import CONTEXT_1M_BETA, Catalog
from claude_bedrock.emulator import Emulator

REGION = "us-west-2"
SONNET = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET_INFO = Catalog.default().get(SONNET)
HAIKU_INFO = Catalog.default().get(HAIKU)
WINDOW = SONNET_INFO.context_window
WINDOW_1M = SONNET_INFO.context_1m_tokens
MAX_TOKENS = 16
TOO_LONG = "Input is too long for requested model."


def words(n: int) -> list[dict[str, Any]]:
    return [{"role": "user", "content": "a " * n}]


def invoke_body(n: int, *, beta: bool = False, max_tokens: int = MAX_TOKENS) -> dict[str, Any]:
    body: dict[str, Any] = {"anthropic_version": "bedrock-2023-05-31",
                            "max_tokens": max_tokens, "messages": words(n)}  # fmt: skip
    if beta:
        body["anthropic_beta"] = [CONTEXT_1M_BETA]
    return body


@pytest.fixture
def client(bedrock_emulator: Emulator) -> Iterator[AnthropicBedrock]:
    with AnthropicBedrock(
        aws_region=REGION, base_url=bedrock_emulator.url, max_retries=0,
        aws_access_key=bedrock_emulator.access_key, aws_secret_key=bedrock_emulator.secret_key,
    ) as c:  # fmt: skip
        yield c


@pytest.fixture
def offline() -> Iterator[AnthropicBedrock]:
    """A client whose endpoint refuses connections: any error it raises was raised early."""
    with AnthropicBedrock(
        aws_region=REGION, base_url="http://127.0.0.1:9", max_retries=0,
        aws_access_key="AKIDEXAMPLE", aws_secret_key="not-a-real-secret",
    ) as c:  # fmt: skip
        yield c


@pytest.fixture(scope="module")
def runtime(bedrock_emulator: Emulator) -> Any:
    return boto3.client(
        "bedrock-runtime", endpoint_url=bedrock_emulator.url, region_name=REGION,
        aws_access_key_id=bedrock_emulator.access_key,
        aws_secret_access_key=bedrock_emulator.secret_key,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=120),
    )  # fmt: skip


@pytest.fixture(scope="module")
def overhead(runtime: Any) -> int:
    """Tokens the emulator counts around the words (request and message overheads)."""
    raw = json.dumps(invoke_body(1)).encode()
    counted = runtime.count_tokens(modelId=SONNET_INFO.id, input={"invokeModel": {"body": raw}})[
        "inputTokens"
    ]
    return int(counted) - 1


def invoke(runtime: Any, model: str, body: dict[str, Any]) -> dict[str, Any]:
    response = runtime.invoke_model(modelId=model, body=json.dumps(body))
    result: dict[str, Any] = json.loads(response["body"].read())
    return result


def refused(runtime: Any, model: str, body: dict[str, Any]) -> str:
    with pytest.raises(ClientError) as caught:
        invoke(runtime, model, body)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    return str(caught.value.response["Error"]["Message"])


# -- the lower bound --------------------------------------------------------------------------


def test_lower_bound_counts_words_of_every_text() -> None:
    body = {
        "system": [{"type": "text", "text": "one two"}],
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "three four five"},
                {"type": "document", "source": {"type": "text", "data": "six"}},
                {"type": "image", "source": {"type": "base64", "data": "x" * 1000}},
            ]},
            {"role": "assistant", "content": "seven"},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t",
                                          "content": [{"type": "text", "text": "eight"}]}]},
        ],
    }  # fmt: skip
    assert input_tokens_lower_bound(body) == 8


def test_lower_bound_across_chunk_edges_never_overcounts() -> None:
    text = ("lorem ipsum dolor " * 20_000) + "x" * 70_000 + " tail"
    exact = len(text.split())
    bound = input_tokens_lower_bound({"messages": [{"role": "user", "content": text}]})
    assert bound == exact


def test_check_window_each_side_of_the_limit() -> None:
    room = WINDOW - MAX_TOKENS
    check_window(SONNET_INFO, invoke_body(room))
    with pytest.raises(ContextWindowError, match="context_1m=True"):
        check_window(SONNET_INFO, invoke_body(room + 1))
    check_window(SONNET_INFO, invoke_body(room + 1, beta=True))


# -- the client's early error ------------------------------------------------------------------


def test_client_refuses_early_and_says_to_enable_context_1m(offline: AnthropicBedrock) -> None:
    with pytest.raises(ContextWindowError) as caught:
        offline.messages.create(model=SONNET, max_tokens=MAX_TOKENS, messages=words(WINDOW))
    message = str(caught.value)
    assert "context_1m=True" in message and CONTEXT_1M_BETA in message
    assert f"{WINDOW:,}" in message


def test_client_says_too_long_for_models_without_1m(offline: AnthropicBedrock) -> None:
    with pytest.raises(ContextWindowError, match="too long for this model"):
        offline.messages.create(model=HAIKU, max_tokens=MAX_TOKENS, messages=words(WINDOW))
    with pytest.raises(ContextWindowError, match="does not support the 1M-token context"):
        offline.messages.create(
            model=HAIKU, max_tokens=MAX_TOKENS, messages=words(10), context_1m=True
        )


def test_client_refuses_beyond_1m_even_with_the_beta(offline: AnthropicBedrock) -> None:
    with pytest.raises(ContextWindowError, match="Shorten the input"):
        offline.messages.create(
            model=SONNET, max_tokens=MAX_TOKENS, messages=words(WINDOW_1M), context_1m=True
        )


def test_client_does_not_block_what_fits(client: AnthropicBedrock, overhead: int) -> None:
    n = WINDOW - MAX_TOKENS - overhead  # exactly the standard window: valid without the beta
    message = client.messages.create(model=SONNET, max_tokens=MAX_TOKENS, messages=words(n))
    assert message.usage.input_tokens + MAX_TOKENS == WINDOW


def test_context_1m_on_the_client_opens_the_window(bedrock_emulator: Emulator) -> None:
    with AnthropicBedrock(
        aws_region=REGION, base_url=bedrock_emulator.url, context_1m=True,
        aws_access_key=bedrock_emulator.access_key, aws_secret_key=bedrock_emulator.secret_key,
    ) as wide:  # fmt: skip
        message = wide.messages.create(model=SONNET, max_tokens=MAX_TOKENS, messages=words(WINDOW))
    assert message.usage.input_tokens > WINDOW


# -- the emulator's enforcement ------------------------------------------------------------------


def test_emulator_standard_window_each_side(runtime: Any, overhead: int) -> None:
    n = WINDOW - MAX_TOKENS - overhead
    assert invoke(runtime, SONNET, invoke_body(n))["usage"]["input_tokens"] == n + overhead
    assert refused(runtime, SONNET, invoke_body(n + 1)) == TOO_LONG


def test_emulator_1m_window_each_side(runtime: Any, overhead: int) -> None:
    invoke(runtime, SONNET, invoke_body(WINDOW, beta=True))
    n = WINDOW_1M - MAX_TOKENS - overhead
    assert (
        invoke(runtime, SONNET, invoke_body(n, beta=True))["usage"]["input_tokens"] == n + overhead
    )
    assert refused(runtime, SONNET, invoke_body(n + 1, beta=True)) == TOO_LONG


def test_emulator_ignores_the_beta_for_models_without_1m(runtime: Any, overhead: int) -> None:
    n = HAIKU_INFO.context_window - MAX_TOKENS - overhead
    invoke(runtime, HAIKU, invoke_body(n, beta=True))
    assert refused(runtime, HAIKU, invoke_body(n + 1, beta=True)) == TOO_LONG


# -- long-context prices ---------------------------------------------------------------------------


def _expected_usd(usage: Any, long: bool) -> float:
    prices = SONNET_INFO.pricing
    rate_in = prices.long_context_input if long else prices.input
    rate_out = prices.long_context_output if long else prices.output
    assert rate_in is not None and rate_out is not None
    total = Decimal(usage.input_tokens) * rate_in + Decimal(usage.output_tokens) * rate_out
    return float(total / Decimal(1_000_000))


def test_long_context_prices_feed_the_cost(client: AnthropicBedrock, overhead: int) -> None:
    threshold = SONNET_INFO.long_context_threshold
    at = client.messages.create(
        model=SONNET, max_tokens=MAX_TOKENS, messages=words(threshold - overhead), context_1m=True
    )
    above = client.messages.create(
        model=SONNET, max_tokens=MAX_TOKENS, messages=words(threshold - overhead + 1),
        context_1m=True,
    )  # fmt: skip
    assert at.usage.input_tokens == threshold and above.usage.input_tokens == threshold + 1
    assert at.cost is not None and above.cost is not None
    assert at.cost.usd == pytest.approx(_expected_usd(at.usage, long=False))
    assert above.cost.usd == pytest.approx(_expected_usd(above.usage, long=True))
    assert above.cost.usd > 1.9 * at.cost.usd  # every token at the long-context rate
