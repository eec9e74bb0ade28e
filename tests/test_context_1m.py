"""Context windows as of December 2026: the client's early check, the emulator's enforcement,
the retired 1M beta, and the price tiers in the cost figure.

Facts (fact sheet §4, A-NOTES): the beta ``context-1m-2025-08-07`` retired on 2026-04-30 -
the header has no effect and Sonnet 4.5 errors above 200K with or without it; Opus 4.6 and
later have 1M natively at the standard price (no long-context surcharge); Haiku 5.5 bills
every token of a request whose prompt exceeds 100K at its higher tier.

Big prompts are built as ``"a " * n``: n words for the client's lower bound and n tokens for
the emulator's counter, 2 bytes each, so a 1M-token body is 2 MB and cheap to make.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from claude_bedrock import AnthropicBedrock, ContextWindowError, MockTransport
from claude_bedrock._context import check_window, input_tokens_lower_bound
from claude_bedrock._exceptions import RetiredBetaWarning
from claude_bedrock.catalog import CONTEXT_1M_BETA, Catalog, cost
from claude_bedrock.emulator import Emulator
from claude_bedrock.resources import _params

REGION = "us-west-2"
SONNET = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
OPUS = "global.anthropic.claude-opus-4-6-v1"
HAIKU_55 = "global.anthropic.claude-haiku-5-5"
SONNET_INFO = Catalog.default().get(SONNET)
HAIKU_INFO = Catalog.default().get(HAIKU)
OPUS_INFO = Catalog.default().get(OPUS)
WINDOW = 200_000  # Sonnet 4.5, Haiku 4.5 (A-LEGACY)
WINDOW_1M = 1_000_000  # Opus 4.6 natively (A-LEGACY, AWS card)
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


def test_the_catalogue_windows() -> None:
    assert (SONNET_INFO.context_window, HAIKU_INFO.context_window) == (WINDOW, WINDOW)
    assert OPUS_INFO.context_window == WINDOW_1M
    for info in (SONNET_INFO, HAIKU_INFO, OPUS_INFO):  # the retired beta changes nothing
        assert info.context_limit([CONTEXT_1M_BETA]) == info.context_limit([])


def test_check_window_each_side_of_the_limit() -> None:
    room = WINDOW - MAX_TOKENS
    check_window(SONNET_INFO, invoke_body(room))
    with pytest.raises(ContextWindowError, match="native 1M-token window"):
        check_window(SONNET_INFO, invoke_body(room + 1))
    with pytest.raises(ContextWindowError, match="retired on 2026-04-30"):
        check_window(SONNET_INFO, invoke_body(room + 1, beta=True))
    check_window(OPUS_INFO, invoke_body(room + 1))


# -- the client's early error ------------------------------------------------------------------


def test_client_refuses_sonnet_45_above_200k_with_or_without_the_beta(
    offline: AnthropicBedrock,
) -> None:
    with pytest.raises(ContextWindowError) as caught:
        offline.messages.create(model=SONNET, max_tokens=MAX_TOKENS, messages=words(WINDOW))
    message = str(caught.value)
    assert f"{WINDOW:,}" in message and "Opus 4.6" in message
    with pytest.warns(RetiredBetaWarning), pytest.raises(ContextWindowError, match="retired"):
        _params._warned_retired_beta.clear()
        offline.messages.create(
            model=SONNET, max_tokens=MAX_TOKENS, messages=words(WINDOW), context_1m=True
        )


def test_client_says_too_long_for_200k_models(offline: AnthropicBedrock) -> None:
    with pytest.raises(ContextWindowError, match="too long for this model"):
        offline.messages.create(model=HAIKU, max_tokens=MAX_TOKENS, messages=words(WINDOW))


def test_client_refuses_beyond_1m(offline: AnthropicBedrock) -> None:
    with pytest.raises(ContextWindowError, match="Shorten the input"):
        offline.messages.create(model=OPUS, max_tokens=MAX_TOKENS, messages=words(WINDOW_1M))


def test_client_does_not_block_what_fits(client: AnthropicBedrock, overhead: int) -> None:
    n = WINDOW - MAX_TOKENS - overhead  # exactly the standard window
    message = client.messages.create(model=SONNET, max_tokens=MAX_TOKENS, messages=words(n))
    assert message.usage.input_tokens + MAX_TOKENS == WINDOW


def test_the_retired_beta_warns_once_and_is_still_sent() -> None:
    """Nothing the user asked for is dropped: the beta goes out, with one warning."""
    bodies: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json={
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-opus-4-6",
            "content": [{"type": "text", "text": "Hi"}], "stop_reason": "end_turn",
            "stop_sequence": None, "usage": {"input_tokens": 3, "output_tokens": 2},
        })  # fmt: skip

    _params._warned_retired_beta.clear()
    with (
        AnthropicBedrock(aws_region=REGION, api_key="test", context_1m=True,
                         transport=MockTransport(handler)) as wide,
        pytest.warns(RetiredBetaWarning, match="no effect") as record,
    ):  # fmt: skip
        wide.messages.create(model=OPUS, max_tokens=MAX_TOKENS, messages=words(3))
        wide.messages.create(model=OPUS, max_tokens=MAX_TOKENS, messages=words(3))
    assert len([w for w in record if w.category is RetiredBetaWarning]) == 1
    assert all(body["anthropic_beta"] == [CONTEXT_1M_BETA] for body in bodies)
    assert len(bodies) == 2


def test_opus_46_takes_more_than_200k_natively(client: AnthropicBedrock) -> None:
    message = client.messages.create(model=OPUS, max_tokens=MAX_TOKENS, messages=words(WINDOW))
    assert message.usage.input_tokens > WINDOW


# -- the emulator's enforcement ------------------------------------------------------------------


def test_emulator_standard_window_each_side(runtime: Any, overhead: int) -> None:
    n = WINDOW - MAX_TOKENS - overhead
    assert invoke(runtime, SONNET, invoke_body(n))["usage"]["input_tokens"] == n + overhead
    assert refused(runtime, SONNET, invoke_body(n + 1)) == TOO_LONG


def test_emulator_refuses_the_retired_beta_above_200k_on_sonnet_45(
    runtime: Any, overhead: int
) -> None:
    n = WINDOW - MAX_TOKENS - overhead
    invoke(runtime, SONNET, invoke_body(n, beta=True))
    assert refused(runtime, SONNET, invoke_body(n + 1, beta=True)) == TOO_LONG


def test_emulator_1m_window_of_opus_46_each_side(runtime: Any, overhead: int) -> None:
    n = WINDOW_1M - MAX_TOKENS - overhead
    assert invoke(runtime, OPUS, invoke_body(n))["usage"]["input_tokens"] == n + overhead
    assert refused(runtime, OPUS, invoke_body(n + 1)) == TOO_LONG


def test_emulator_ignores_the_beta_for_200k_models(runtime: Any, overhead: int) -> None:
    n = HAIKU_INFO.context_window - MAX_TOKENS - overhead
    invoke(runtime, HAIKU, invoke_body(n, beta=True))
    assert refused(runtime, HAIKU, invoke_body(n + 1, beta=True)) == TOO_LONG


# -- prices: no long-context surcharge, Haiku 5.5's tier ---------------------------------


def test_opus_46_at_300k_in_10k_out_costs_the_standard_price() -> None:
    """Audit row 3: $1.75 at standard prices (the old catalogue said $3.375)."""
    usage = {"input_tokens": 300_000, "output_tokens": 10_000}
    assert cost(OPUS_INFO, usage, "global") == pytest.approx(1.75)
    assert cost(OPUS_INFO, usage, "regional") == pytest.approx(1.925)  # +10%


def test_haiku_55_tier_applies_to_every_token_above_100k() -> None:
    """$0.10/$0.50 up to a 100K-token prompt; above, $0.50/$2.50 on every token, output too;
    the prompt counts cache reads and writes (fact sheet §2.3)."""
    info = Catalog.default().get(HAIKU_55)
    at = {"input_tokens": 100_000, "output_tokens": 1_000}
    above = {"input_tokens": 100_001, "output_tokens": 1_000}
    assert cost(info, at, "global") == pytest.approx(0.0105)
    assert cost(info, above, "global") == pytest.approx(0.0525005)
    cached = {"input_tokens": 50_000, "cache_read_input_tokens": 60_000, "output_tokens": 1_000}
    assert cost(info, cached, "global") == pytest.approx(0.025 + 0.003 + 0.0025)


def _standard_usd(usage: Any) -> float:
    prices = OPUS_INFO.pricing
    total = (
        Decimal(usage.input_tokens) * prices.input + Decimal(usage.output_tokens) * prices.output
    )
    return float(total / Decimal(1_000_000))


def test_the_cost_of_a_long_opus_46_call_is_standard(
    client: AnthropicBedrock, overhead: int
) -> None:
    message = client.messages.create(
        model=OPUS, max_tokens=MAX_TOKENS, messages=words(300_000 - overhead)
    )
    assert message.usage.input_tokens == 300_000
    assert message.cost is not None
    assert message.cost.usd == pytest.approx(_standard_usd(message.usage))
