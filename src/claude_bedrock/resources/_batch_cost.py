"""A batch's price before it is sent: batch rates, estimated input, ``max_tokens`` output.

Counting tokens exactly would take one CountTokens call per request, which for 10^5
requests costs more time than the estimate is worth; the text is measured instead (about
3.5 characters a token for English, a fixed ~1,600 tokens per image, the base64 payload
of a document at ~1 token per 3 bytes of the file). Output is priced at ``max_tokens``:
the most the batch can cost, which is what a confirmation threshold should compare.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .._exceptions import ClientValidationError
from ..types.batches import BatchCostEstimate
from ._batch_write import prepare_request

if TYPE_CHECKING:
    from .._request_core import RequestCore

__all__ = ["estimate_cost", "estimate_input_tokens"]

_CHARS_PER_TOKEN = 3.5
_IMAGE_TOKENS = 1600
_SKIPPED_KEYS = frozenset({"data", "signature", "cache_control", "type", "media_type"})


def _text_size(value: object) -> tuple[int, int]:
    """(characters of text, tokens of images and documents) in a JSON value."""
    chars = tokens = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            chars += len(item)
        elif isinstance(item, Mapping):
            kind = item.get("type")
            if kind == "image":
                tokens += _IMAGE_TOKENS
                continue
            source = item.get("source")
            if kind == "document" and isinstance(source, Mapping) and "data" in source:
                tokens += len(str(source.get("data"))) // 4  # base64: 4 chars = 3 bytes
            stack.extend(v for k, v in item.items() if k not in _SKIPPED_KEYS)
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return chars, tokens


def estimate_input_tokens(body: Mapping[str, Any]) -> int:
    """Estimated input tokens of an InvokeModel body (messages, system, tools)."""
    parts = [body.get(k) for k in ("system", "messages", "tools", "tool_choice")]
    chars, tokens = _text_size([p for p in parts if p is not None])
    return tokens + int(chars / _CHARS_PER_TOKEN) + 1


def estimate_cost(
    core: RequestCore,
    requests: Iterable[Mapping[str, Any]],
    model: str | None,
    *,
    batch: bool = True,
) -> BatchCostEstimate:
    """Streamed over the requests (any number): totals and dollars per model, at batch
    prices (``batch=False``: on-demand, what ``claude-bedrock run`` would pay)."""
    from ..catalog import cost

    estimate = BatchCostEstimate()
    by_model: dict[str, Decimal] = {}
    for request in requests:
        estimate.requests += 1
        try:
            _, call = prepare_request(core, request, model)
        except (ClientValidationError, TypeError):
            estimate.unpriced += 1
            continue
        body, model_id = call.body, call.resolved.model_id
        max_tokens = body.get("max_tokens") or 0
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
            estimate.unpriced += 1  # Bedrock will refuse it: it costs nothing
            continue
        usage = {"input_tokens": estimate_input_tokens(body), "output_tokens": max_tokens}
        estimate.input_tokens += usage["input_tokens"]
        estimate.output_tokens += usage["output_tokens"]
        resolved = call.resolved
        if resolved.info is None:
            estimate.unpriced += 1
            continue
        usd = Decimal(str(cost(resolved.info, usage, resolved.endpoint_type, batch=batch)))
        by_model[model_id] = by_model.get(model_id, Decimal(0)) + usd
    estimate.by_model = {k: float(v) for k, v in by_model.items()}
    estimate.usd = float(sum(by_model.values(), Decimal(0)))
    return estimate
