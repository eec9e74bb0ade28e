"""Cost of a call, checked against amounts worked out by hand from the list prices."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from claude_bedrock.catalog import Catalog, cost, cost_breakdown

CAT = Catalog.default()
SONNET_45 = CAT.get("anthropic.claude-sonnet-4-5-20250929-v1:0")
SONNET_4 = CAT.get("anthropic.claude-sonnet-4-20250514-v1:0")
OPUS_46 = CAT.get("anthropic.claude-opus-4-6-v1:0")


def usage(inp: int = 0, out: int = 0, write: int = 0, read: int = 0) -> dict[str, int]:
    return {
        "input_tokens": inp,
        "output_tokens": out,
        "cache_creation_input_tokens": write,
        "cache_read_input_tokens": read,
    }


def test_sonnet_45_global_and_regional() -> None:
    # 1000 x $3 + 500 x $15 per million = $0.0105; regional is 10% more.
    assert cost(SONNET_45, usage(1000, 500), "global") == 0.0105
    assert cost(SONNET_45, usage(1000, 500), "regional") == 0.01155
    assert cost_breakdown(SONNET_45, usage(1000, 500), "regional").total == Decimal("0.01155")


def test_cache_tokens() -> None:
    # 2000 x 3 + 1000 x 15 + 10000 x 3.75 + 50000 x 0.30 = 73500 micro-dollars.
    u = usage(2000, 1000, 10_000, 50_000)
    assert cost(SONNET_45, u, "global") == 0.0735
    assert cost(SONNET_45, u, "regional") == 0.08085
    lines = cost_breakdown(SONNET_45, u, "global")
    assert (lines.input, lines.output) == (Decimal("0.006"), Decimal("0.015"))
    assert (lines.cache_write, lines.cache_read) == (Decimal("0.0375"), Decimal("0.015"))


def test_one_hour_cache_writes_cost_twice_the_input_price() -> None:
    # 2000 x 3.75 (5 min) + 1000 x 6 (1 h) = 13500 micro-dollars.
    u = {
        "cache_creation_input_tokens": 3000,
        "cache_creation": {"ephemeral_5m_input_tokens": 2000, "ephemeral_1h_input_tokens": 1000},
    }
    assert cost(SONNET_45, u, "global") == 0.0135


def test_long_context_bills_every_token_at_the_long_rate() -> None:
    # 150000 input + 60000 cache reads = 210000 > 200K:
    # 150000 x 6 + 60000 x 0.60 + 2000 x 22.50 = 981000 micro-dollars.
    u = usage(150_000, 2000, read=60_000)
    assert cost(SONNET_45, u, "global") == 0.981
    assert cost(SONNET_45, u, "regional") == 1.0791
    assert cost_breakdown(SONNET_45, u, "global").long_context
    # Sonnet 4 has long-context prices but no regional premium.
    assert cost(SONNET_4, u, "regional") == 0.981
    # Opus 4.6: 300000 x 10 + 10000 x 37.50 = 3375000 micro-dollars.
    assert cost(OPUS_46, usage(300_000, 10_000), "global") == 3.375


def test_exactly_200k_input_is_not_long_context() -> None:
    # 200000 x 3 + 1000 x 15 = 615000 micro-dollars.
    u = usage(200_000, 1000)
    assert cost(SONNET_45, u, "global") == 0.615
    assert not cost_breakdown(SONNET_45, u, "global").long_context


def test_batch_is_half_price() -> None:
    # 10000 x 5 + 2000 x 25 = 100000 micro-dollars on demand.
    u = usage(10_000, 2000)
    assert cost(OPUS_46, u, "global") == 0.1
    assert cost(OPUS_46, u, "global", batch=True) == 0.05
    assert cost(OPUS_46, u, "regional", batch=True) == 0.055


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # 1000 input + 1000 output tokens, no premium on any endpoint.
        ("anthropic.claude-3-haiku-20240307-v1:0", 0.0015),
        ("anthropic.claude-3-5-haiku-20241022-v1:0", 0.0048),
        ("anthropic.claude-opus-4-1-20250805-v1:0", 0.09),
        ("anthropic.claude-opus-4-20250514-v1:0", 0.09),
        ("anthropic.claude-sonnet-4-20250514-v1:0", 0.018),
        ("anthropic.claude-3-7-sonnet-20250219-v1:0", 0.018),
    ],
)
def test_older_models_have_one_price(model: str, expected: float) -> None:
    info = CAT.get(model)
    assert not info.regional_premium
    assert cost(info, usage(1000, 1000), "global") == expected
    assert cost(info, usage(1000, 1000), "regional") == expected


@pytest.mark.parametrize(
    ("model", "global_", "regional"),
    [
        ("anthropic.claude-haiku-4-5-20251001-v1:0", 0.006, 0.0066),
        ("anthropic.claude-opus-4-5-20251101-v1:0", 0.03, 0.033),
        ("anthropic.claude-opus-4-6-v1:0", 0.03, 0.033),
        ("anthropic.claude-sonnet-4-5-20250929-v1:0", 0.018, 0.0198),
    ],
)
def test_newer_models_cost_ten_percent_more_regionally(
    model: str, global_: float, regional: float
) -> None:
    info = CAT.get(model)
    assert info.regional_premium
    assert cost(info, usage(1000, 1000), "global") == global_
    assert cost(info, usage(1000, 1000), "regional") == regional


def test_usage_objects_and_converse_names() -> None:
    sdk_like = SimpleNamespace(
        input_tokens=1000,
        output_tokens=500,
        cache_creation_input_tokens=None,
        cache_read_input_tokens=None,
    )
    assert cost(SONNET_45, sdk_like, "global") == 0.0105
    assert cost(SONNET_45, {"inputTokens": 1000, "outputTokens": 500}, "global") == 0.0105


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="endpoint_type"):
        cost(SONNET_45, usage(1, 1), "in-region")
    with pytest.raises(ValueError, match="non-negative"):
        cost(SONNET_45, usage(-1, 1), "global")


def test_cache_prices_follow_anthropic_multipliers() -> None:
    haiku_3 = CAT.get("anthropic.claude-3-haiku-20240307-v1:0").pricing
    # Anthropic publishes Haiku 3's cache prices rounded: $0.30, $0.50 and $0.03.
    assert (haiku_3.cache_write, haiku_3.cache_write_1h, haiku_3.cache_read) == (
        Decimal("0.3"),
        Decimal("0.5"),
        Decimal("0.03"),
    )
    for info in CAT.models():
        if info.pricing is haiku_3:
            continue
        p = info.pricing
        assert p.cache_write == p.input * Decimal("1.25"), info.id
        assert p.cache_read == p.input * Decimal("0.1"), info.id
        assert p.cache_write_1h == p.input * 2, info.id
        if p.long_context_input is not None:
            assert p.long_context_input == p.input * 2, info.id
            assert p.long_context_output == p.output * Decimal("1.5"), info.id
