"""What a call costs, from its ``usage`` block and the catalogue's prices.

The rules (Anthropic's price list, which Bedrock's global endpoint charges as is):

* regional endpoints cost ``regional_premium_factor`` (1.1) times more, for the models
  marked ``regional_premium`` (Sonnet 4.5 and later); older models have one price;
* when a request's input (input + cache writes + cache reads) exceeds 200K tokens
  (``long_context_threshold``), which
  only the 1M-context beta allows, *every* token of it is billed at the long-context rate;
* batch inference costs half.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from ._types import CostBreakdown, EndpointType, ModelInfo, Pricing

_MILLION = Decimal(1_000_000)
_BATCH = Decimal("0.5")

# Anthropic usage names first, then Bedrock Converse's camelCase names.
_FIELDS: dict[str, tuple[str, ...]] = {
    "input": ("input_tokens", "inputTokens"),
    "output": ("output_tokens", "outputTokens"),
    "cache_write": ("cache_creation_input_tokens", "cacheWriteInputTokens"),
    "cache_read": ("cache_read_input_tokens", "cacheReadInputTokens"),
}


def _get(usage: object, name: str) -> object:
    if isinstance(usage, Mapping):
        return usage.get(name)
    return getattr(usage, name, None)


def _count(usage: object, names: tuple[str, ...]) -> int:
    for name in names:
        value = _get(usage, name)
        if value is not None:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"usage.{name} must be a non-negative integer, not {value!r}")
            return value
    return 0


def _one_hour_writes(usage: object) -> int:
    """Cache writes with the 1-hour TTL (priced 2x input instead of 1.25x), if reported."""
    detail = _get(usage, "cache_creation")
    if detail is None:
        return 0
    return _count(detail, ("ephemeral_1h_input_tokens",))


def token_counts(usage: object) -> dict[str, int]:
    """Input, output, cache-write and cache-read token counts of a usage block."""
    return {key: _count(usage, names) for key, names in _FIELDS.items()}


def cost_breakdown(
    info: ModelInfo,
    usage: object,
    endpoint_type: EndpointType | str,
    *,
    batch: bool = False,
) -> CostBreakdown:
    """The cost of one request, line by line, in exact decimal USD."""
    if endpoint_type not in ("global", "regional"):
        raise ValueError(f"endpoint_type must be 'global' or 'regional', not {endpoint_type!r}")
    kind: EndpointType = "global" if endpoint_type == "global" else "regional"
    counts = token_counts(usage)
    writes_1h = min(_one_hour_writes(usage), counts["cache_write"])
    prices = info.pricing_for(kind)
    total_input = counts["input"] + counts["cache_write"] + counts["cache_read"]
    long = prices.has_long_context and total_input > info.long_context_threshold
    rates = _rates(prices, long)
    factor = _BATCH if batch else Decimal(1)

    def line(tokens: int, rate: Decimal) -> Decimal:
        return Decimal(tokens) * rate * factor / _MILLION

    return CostBreakdown(
        input=line(counts["input"], rates["input"]),
        output=line(counts["output"], rates["output"]),
        cache_write=line(counts["cache_write"] - writes_1h, rates["cache_write"])
        + line(writes_1h, rates["cache_write_1h"]),
        cache_read=line(counts["cache_read"], rates["cache_read"]),
        endpoint_type=kind,
        long_context=long,
        batch=batch,
    )


def _rates(prices: Pricing, long: bool) -> dict[str, Decimal]:
    one_hour = prices.cache_write_1h if prices.cache_write_1h is not None else prices.cache_write
    rates = {
        "input": prices.input,
        "output": prices.output,
        "cache_write": prices.cache_write,
        "cache_write_1h": one_hour,
        "cache_read": prices.cache_read,
    }
    if long:
        longer = {
            "input": prices.long_context_input,
            "output": prices.long_context_output,
            "cache_write": prices.long_context_cache_write,
            "cache_write_1h": prices.long_context_cache_write_1h,
            "cache_read": prices.long_context_cache_read,
        }
        rates.update({k: v for k, v in longer.items() if v is not None})
    return rates


def cost(
    info: ModelInfo,
    usage: Mapping[str, int] | object,
    endpoint_type: EndpointType | str,
    *,
    batch: bool = False,
) -> float:
    """USD for one request (see the module docstring for the rules).

    ``usage`` is a mapping or an object with ``input_tokens``, ``output_tokens``,
    ``cache_creation_input_tokens`` and ``cache_read_input_tokens`` (missing or None
    counts as 0); Bedrock Converse's ``inputTokens``-style names work too. The arithmetic
    is exact (Decimal); the float returned is the nearest one to the exact amount.
    """
    return float(cost_breakdown(info, usage, endpoint_type, batch=batch).total)
