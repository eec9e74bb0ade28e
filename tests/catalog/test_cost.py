"""Cost of a call, checked against amounts worked out by hand from the list prices."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from claude_bedrock.catalog import Catalog, cost, cost_breakdown

CAT = Catalog.default()
SONNET_45 = CAT.get("anthropic.claude-sonnet-4-5-20250929-v1:0")
SONNET_4 = CAT.get("anthropic.claude-sonnet-4-20250514-v1:0")
OPUS_46 = CAT.get("anthropic.claude-opus-4-6-v1")
HAIKU_55 = CAT.get("anthropic.claude-haiku-5-5")


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


def test_no_long_context_surcharge_any_more() -> None:
    """1M went GA at standard prices on 2026-03-13 (A-NOTES, A-PRICE): a 900K-token request
    is billed at the same per-token rate as a 9K one."""
    # Opus 4.6, 300000 in + 10000 out: 300000 x 5 + 10000 x 25 = 1750000 micro-dollars.
    assert cost(OPUS_46, usage(300_000, 10_000), "global") == 1.75
    assert not cost_breakdown(OPUS_46, usage(900_000, 10), "global").long_context
    # Sonnet 4.5 cannot exceed 200K any more; its rate never changes with length.
    u = usage(150_000, 2000, read=60_000)  # 150000 x 3 + 60000 x 0.3 + 2000 x 15
    assert cost(SONNET_45, u, "global") == 0.498
    assert cost(SONNET_45, u, "regional") == 0.5478


def test_haiku_55_tier_bills_every_token_above_100k_prompts() -> None:
    # 100000 x 0.10 + 1000 x 0.50 = 10500 micro-dollars: at the threshold, standard.
    assert cost(HAIKU_55, usage(100_000, 1000), "global") == 0.0105
    # 100001 x 0.50 + 1000 x 2.50 = 52500.5 micro-dollars: above it, every token at the tier.
    above = usage(100_001, 1000)
    assert cost(HAIKU_55, above, "global") == 0.0525005
    assert cost_breakdown(HAIKU_55, above, "global").long_context
    # The prompt counts cache reads and writes: 40000 + 30000 + 40000 = 110000 > 100K.
    # 40000 x 0.50 + 30000 x 0.625 + 40000 x 0.05 + 1000 x 2.50 = 43250 micro-dollars.
    mixed = usage(40_000, 1000, write=30_000, read=40_000)
    assert cost(HAIKU_55, mixed, "global") == 0.04325
    assert cost(HAIKU_55, mixed, "regional") == pytest.approx(0.047575)
    assert cost(HAIKU_55, mixed, "global", batch=True) == 0.021625


def test_exactly_200k_input_is_standard() -> None:
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
        ("anthropic.claude-opus-4-6-v1", 0.03, 0.033),
        ("anthropic.claude-opus-5-5", 0.024, 0.0264),
        ("anthropic.claude-sonnet-5-5", 0.012, 0.0132),
        ("anthropic.claude-fable-5-1", 0.06, 0.066),
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
    """5-min write 1.25x, 1-hour write 2x, read 0.1x input - except the reads Anthropic
    prices lower (Opus 5.5 and Sonnet 5.5 0.05x; Fable 5.1, Fable 5.2 and Mythos 5.1
    0.025x), Haiku 3's rounded prices, and no 1-hour cache on Bedrock for Opus 4.1 and
    older (AWS prompt caching page)."""
    haiku_3 = CAT.get("anthropic.claude-3-haiku-20240307-v1:0").pricing
    assert (haiku_3.cache_write, haiku_3.cache_read) == (Decimal("0.3"), Decimal("0.03"))
    read_factor = {
        "anthropic.claude-opus-5-5": Decimal("0.05"),
        "anthropic.claude-sonnet-5-5": Decimal("0.05"),
        "anthropic.claude-fable-5-1": Decimal("0.025"),
        "anthropic.claude-mythos-5-1": Decimal("0.025"),
        "anthropic.claude-fable-5-2": Decimal("0.025"),
        "anthropic.claude-sonnet-5": Decimal("0.1"),
        "anthropic.claude-fable-5": Decimal("0.1"),
        "anthropic.claude-mythos-5": Decimal("0.1"),
    }
    no_1h = {"anthropic.claude-opus-4-1-20250805-v1:0", "anthropic.claude-3-7-sonnet-20250219-v1:0",
             "anthropic.claude-opus-4-20250514-v1:0", "anthropic.claude-3-5-haiku-20241022-v1:0",
             "anthropic.claude-3-haiku-20240307-v1:0"}  # fmt: skip
    for info in CAT.models():
        p = info.pricing
        if info.id == "anthropic.claude-mythos-preview":  # cache prices not published
            continue
        if p is not haiku_3:
            assert p.cache_write == p.input * Decimal("1.25"), info.id
            assert p.cache_read == p.input * read_factor.get(info.id, Decimal("0.1")), info.id
        if info.id in no_1h:
            assert p.cache_write_1h is None, info.id
        else:
            assert p.cache_write_1h == p.input * 2, info.id
    # A 1-hour write on a model without 1-hour caching is priced as a 5-minute one.
    opus_41 = CAT.get("opus-4.1")
    u = {"cache_creation_input_tokens": 1000, "cache_creation": {"ephemeral_1h_input_tokens": 1000}}
    assert cost(opus_41, u, "global") == 0.01875
