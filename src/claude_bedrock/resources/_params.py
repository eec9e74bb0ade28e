"""Messages API parameters → a Bedrock InvokeModel request (path, body, headers).

Written once for every caller (sync, async, streaming, token counting, batches): the
Messages body minus ``model`` and ``stream``, plus ``anthropic_version``, with betas in
the body's ``anthropic_beta`` list, and the model ID percent-encoded as one path segment.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

import pydantic_core

from .._exceptions import ClientValidationError, RetiredBetaWarning, ServiceTierWarning
from ..documents import check_invoke_documents
from ..wire.messages_api import Surface
from ..wire.rules import Rule
from ..wire.rules.context import CONTEXT_1M_BETA
from ..wire.rules.model_id import MODEL_ID_MAX_LENGTH, model_id_violation

if TYPE_CHECKING:
    from .._request_core import RequestCore
    from ..catalog import ResolvedModel
    from ..types.message import Cost, Message

#: Bedrock's documented ``anthropic_version`` for Claude.
BEDROCK_ANTHROPIC_VERSION = "bedrock-2023-05-31"
#: Values of Bedrock's ``X-Amzn-Bedrock-Service-Tier`` header (botocore's ServiceTierType).
BEDROCK_SERVICE_TIERS = frozenset({"priority", "default", "flex", "reserved"})
#: Where InvokeModel (and its stream) take the tier: botocore's ``serviceTier`` member is
#: ``location: header`` (Converse has a body member, filled from this header).
SERVICE_TIER_HEADER = "x-amzn-bedrock-service-tier"
#: The Anthropic API's tiers (SDK 2.16: ``Literal["auto", "standard_only"]``) as Bedrock's.
#: Both are Bedrock's Standard tier, ``default``: ``standard_only`` exactly; ``auto`` is the
#: Anthropic API's default (Priority capacity when the organisation bought some), and
#: Bedrock's default is Standard, Priority being asked for per request.
ANTHROPIC_SERVICE_TIERS = {"auto": "default", "standard_only": "default"}

# Messages API body fields, in the order the Anthropic API documents them, then the rest of
# the official SDK 2.16's (``messages.create`` and ``beta.messages.create``): on InvokeModel
# the SDK sends every one of them in the body as given (its Bedrock layer moves only
# ``model``, ``stream`` and the betas), and so do we; the Messages API surfaces take the
# same body. ``service_tier`` is not here: see ``prepare`` and ``_surfaces.messages_call``.
BODY_FIELDS = (
    "max_tokens", "messages", "system", "stop_sequences", "temperature", "top_p", "top_k",
    "tools", "tool_choice", "metadata", "thinking", "container", "mcp_servers",
    "output_config", "context_management", "cache_control", "diagnostics", "inference_geo",
    "speed", "billing_policy", "compaction", "fallbacks", "fallback_credit_token", "thread",
)  # fmt: skip


@dataclass(slots=True)
class PreparedCall:
    """Everything needed to send (and retry) one call, computed once."""

    resolved: ResolvedModel
    body: dict[str, Any]
    headers: dict[str, str]
    #: Where it goes: InvokeModel, Converse, or a Messages API surface (:mod:`._surfaces`).
    surface: Surface = "invoke"
    #: ``extra_query`` encoded (``"?a=1"``), appended to the URL on every surface; usually "".
    query: str = ""
    #: Every beta the call sends, wherever it goes (body, header, Converse's extra fields):
    #: what the early limit checks read (the 1M window...). Empty: read the body's.
    betas: Sequence[str] = ()
    #: The model as the caller wrote it (``gen_ai.request.model`` of the call's span).
    requested_model: str | None = None

    def encode(self) -> bytes:
        # pydantic-core writes compact UTF-8 JSON straight to bytes: no intermediate str
        # (one copy of a 4 MB body fewer at peak, measured in bench/bench_memory_1m.py) and
        # about 6x faster than json.dumps(...).encode() on a typical body (0.8 µs vs 4.5 µs).
        return pydantic_core.to_json(self.body)

    def cost(self, message: Message) -> Cost | None:
        """The call's cost from the catalogue (None for ARNs and for models it does not know:
        an unknown ID is sent as written, and its price is not guessed).

        A method of the call, so the stream decoder finishing a message needs no import
        back up into the resources."""
        info = self.resolved.info
        if info is None:
            return None
        from ..catalog import cost
        from ..types.message import Cost

        endpoint_type = self.resolved.endpoint_type
        usd = cost(info, message.usage, endpoint_type)
        return Cost(usd=usd, model=info.id, endpoint_type=endpoint_type)


def encode_query(extra_query: Mapping[str, object] | None) -> str:
    """``extra_query`` as the official SDK puts it on the URL: ``?name=value&...`` (a list
    repeats the name, booleans are ``true`` / ``false``, None and placeholders are left out)."""
    if not extra_query:
        return ""
    from urllib.parse import urlencode

    from .._placeholders import is_placeholder

    def text(value: object) -> str:
        return ("true" if value else "false") if isinstance(value, bool) else str(value)

    pairs: list[tuple[str, str]] = []
    for name, value in extra_query.items():
        if value is None or is_placeholder(value):
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs.extend((name, text(v)) for v in values)
    return "?" + urlencode(pairs) if pairs else ""


def model_path(model_id: str, operation: str) -> str:
    """``/model/{id}/{operation}`` with the ID as one percent-encoded segment (as botocore)."""
    return f"/model/{quote(model_id, safe='')}/{operation}"


def collect_betas(
    betas: Iterable[str] | None,
    extra_headers: Mapping[str, str] | None,
    context_1m: bool,
) -> list[str]:
    """Betas from ``betas=``, an ``anthropic-beta`` header and ``context_1m``, in order, once."""
    out: list[str] = []
    for beta in betas or ():
        if beta not in out:
            out.append(beta)
    if extra_headers:
        for key, value in extra_headers.items():
            if key.lower() == "anthropic-beta":
                for beta in value.split(","):
                    beta = beta.strip()
                    if beta and beta not in out:
                        out.append(beta)
    if context_1m and CONTEXT_1M_BETA not in out:
        out.append(CONTEXT_1M_BETA)
    return out


_warned_tiers: set[str] = set()


def bedrock_service_tier(value: object) -> str:
    """``service_tier`` as Bedrock's header value; never dropped.

    Bedrock's own values pass; the Anthropic API's are mapped (see
    :data:`ANTHROPIC_SERVICE_TIERS`; ``auto`` with a :class:`ServiceTierWarning` once, as
    it loses its Priority fallback); anything else is sent as given with a warning (once
    per value), and Bedrock decides. The official SDK puts ``service_tier`` in the
    InvokeModel body, where Bedrock's schema has no such field.
    """
    tier = str(value)
    if tier in BEDROCK_SERVICE_TIERS:
        return tier
    mapped = ANTHROPIC_SERVICE_TIERS.get(tier)
    if mapped is not None and tier != "auto":
        return mapped
    if tier not in _warned_tiers:
        _warned_tiers.add(tier)
        if mapped is not None:
            text = (
                "service_tier='auto': Bedrock chooses no tier automatically; sent as its "
                "Standard tier ('default'). Pass 'priority', 'flex' or 'reserved' for another."
            )
        else:
            text = (
                f"service_tier={tier!r} is not one of Bedrock's tiers "
                f"({', '.join(sorted(BEDROCK_SERVICE_TIERS))}) nor the Anthropic API's "
                "('auto', 'standard_only'): sent as given; Bedrock decides."
            )
        warnings.warn(text, ServiceTierWarning, stacklevel=5)
    return mapped or tier


_warned_retired_beta: list[bool] = []


def merge_body_betas(betas: list[str], extra_body: Mapping[str, Any] | None) -> list[str]:
    """``betas`` and then those of an ``anthropic_beta`` list in ``extra_body`` not already
    there: ``betas=`` and ``extra_body={"anthropic_beta": [...]}`` add up (the official SDK
    keeps only the latter), and both feed the same checks. Not a list: left to Bedrock."""
    extra = extra_body.get("anthropic_beta") if extra_body else None
    if not isinstance(extra, (list, tuple)):
        return betas
    merged = list(betas)
    for beta in extra:
        if beta not in merged:
            merged.append(beta)
    return merged


def _warn_retired_beta() -> None:
    """The 1M beta retired on 2026-04-30: say once that it no longer does anything.

    It is still sent (the caller asked for it: nothing is dropped silently); Bedrock ignores
    it. Models with 1M have it natively; Sonnet 4.5 and 4 are limited to 200K regardless."""
    if _warned_retired_beta:
        return
    _warned_retired_beta.append(True)
    warnings.warn(
        f"The beta {CONTEXT_1M_BETA!r} (context_1m=True) was retired on 2026-04-30 and has "
        "no effect: Claude Opus 4.6, Sonnet 4.6 and later have a 1M-token window natively "
        "at the standard price, and Sonnet 4.5 / Sonnet 4 are limited to 200K tokens with or "
        "without it. It is still sent as you asked; drop context_1m=True to stop this warning.",
        RetiredBetaWarning,
        stacklevel=4,
    )


def _check_model_id(model_id: str) -> None:
    """Refuse, before sending, a model ID Bedrock's service model would refuse."""
    violation = model_id_violation(model_id)
    if violation is None:
        return
    if violation.rule is Rule.MODEL_ID_LENGTH:
        raise ClientValidationError(
            f"The model ID is {len(model_id):,} characters long; Bedrock accepts 1 to "
            f"{MODEL_ID_MAX_LENGTH:,}. Pass a model ID, inference-profile ID or ARN."
        )
    raise ClientValidationError(
        f"{model_id[:200]!r} is not a valid Bedrock model identifier (model ID, "
        "inference-profile ID or ARN): check it for spaces, slashes or other characters "
        "Bedrock's model IDs never contain."
    )


def prepare(
    core: RequestCore,
    params: dict[str, Any],
    *,
    betas: Iterable[str] | None,
    extra_headers: Mapping[str, str] | None,
    extra_body: Mapping[str, Any] | None,
    context_1m: bool | None,
    endpoint: Literal["global", "regional"] | None,
    surface: Surface = "invoke",
) -> PreparedCall:
    """Resolve the model (early checks) and build the InvokeModel body and headers."""
    model = params.pop("model")
    if not isinstance(model, str) or not model:
        raise TypeError(f"`model` must be a non-empty string, got {model!r}")
    resolved = core.resolve_model(model, endpoint, surface)
    use_1m = core.context_1m if context_1m is None else context_1m
    all_betas = collect_betas(betas, extra_headers, use_1m)
    sent_betas = merge_body_betas(all_betas, extra_body) if extra_body else all_betas
    if CONTEXT_1M_BETA in sent_betas and (resolved.info is None or not resolved.info.context_1m):
        _warn_retired_beta()
    if resolved.info is None:  # an ID the catalogue does not know: Bedrock's syntax still holds
        _check_model_id(resolved.model_id)
    if surface in ("runtime-messages", "mantle"):  # Anthropic's request shape, not InvokeModel's
        from ._surfaces import messages_call

        call = messages_call(core, resolved, surface, params, all_betas, extra_headers, extra_body)
        call.betas = sent_betas
        return call
    body: dict[str, Any] = {"anthropic_version": BEDROCK_ANTHROPIC_VERSION}
    for name in BODY_FIELDS:
        value = params.get(name)
        if value is not None:
            body[name] = value
    if sent_betas:
        body["anthropic_beta"] = sent_betas
    if extra_body:
        body.update(extra_body)
        if sent_betas is not all_betas:  # extra_body's list, merged into ours
            body["anthropic_beta"] = sent_betas
    headers: dict[str, str] = {}
    tier = params.get("service_tier")
    if tier is not None:
        headers[SERVICE_TIER_HEADER] = bedrock_service_tier(tier)
    if extra_headers:
        for key, value in extra_headers.items():
            if key.lower() != "anthropic-beta":
                headers[key] = value
    check_invoke_documents(body)
    return PreparedCall(
        resolved=resolved, body=body, headers=headers, surface=surface, betas=sent_betas
    )
