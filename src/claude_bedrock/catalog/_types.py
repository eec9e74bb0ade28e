"""The catalogue's value types: plain frozen dataclasses, cheap to build and safe to share.

Prices are :class:`~decimal.Decimal` so that a regional premium (x1.1) or a batch discount
(x0.5) never drifts: ``3.3`` USD must stay ``3.3``, not ``3.3000000000000003``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from ..wire.messages_api import Surface
from ..wire.rules.context import CONTEXT_1M_BETA
from ..wire.rules.documents import document_name_problem

#: How a resolved ID routes: ``global``, a geography (``us``, ``eu``, ``jp``, ``au``, ``apac``,
#: ``in``, ``us-gov``), ``in-region`` (a bare base ID; bedrock-mantle's IDs), ``arn`` (passed
#: through) or ``unknown`` (a well-formed ID the catalogue does not know, sent as written).
Scope = Literal[
    "global", "us", "eu", "jp", "au", "apac", "in", "us-gov", "in-region", "arn", "unknown"
]
EndpointType = Literal["global", "regional"]
#: Bedrock's lifecycle states (ListFoundationModels ``modelLifecycle.status``) plus ``eol``.
Lifecycle = Literal["active", "legacy", "eol"]
#: What the classic runtime serves unless the data says otherwise.
RUNTIME_SURFACES: frozenset[Surface] = frozenset({"invoke", "converse", "count-tokens"})


@dataclass(frozen=True, slots=True)
class Pricing:
    """USD per million tokens on one endpoint type.

    ``long_context_*`` are the prices of a model's upper tier: when a request's prompt
    (input + cache writes + cache reads) exceeds the model's ``long_context_threshold``,
    every token of it, output included, is billed at these rates (Claude Haiku 5.5 above
    100K tokens). None for models with one price whatever the length, which since the 1M
    window went GA at standard prices (2026-03-13) is every other current model.
    ``cache_write_1h`` is None where Bedrock offers no 1-hour cache.
    """

    input: Decimal
    output: Decimal
    cache_write: Decimal
    cache_read: Decimal
    long_context_input: Decimal | None = None
    long_context_output: Decimal | None = None
    cache_write_1h: Decimal | None = None
    long_context_cache_write: Decimal | None = None
    long_context_cache_read: Decimal | None = None
    long_context_cache_write_1h: Decimal | None = None
    source: str = ""

    @property
    def has_long_context(self) -> bool:
        return self.long_context_input is not None

    def scaled(self, factor: Decimal) -> Pricing:
        """The same price list multiplied by ``factor`` (regional premium, batch discount)."""
        changed: dict[str, Any] = {}
        for name in _PRICE_FIELDS:
            value = getattr(self, name)
            changed[name] = None if value is None else value * factor
        return replace(self, **changed)


#: Every price of a :class:`Pricing` (all its fields but ``source``): what ``scaled`` scales.
_PRICE_FIELDS = tuple(f.name for f in fields(Pricing) if f.name != "source")


@dataclass(frozen=True, slots=True)
class ThinkingRules:
    """What a model accepts in ``thinking`` and around it, as data (issue 16 enforces them).

    ``default``: ``off`` (no thinking unless asked) or ``adaptive`` (on when omitted);
    ``refuses``: ``thinking.type`` values Bedrock answers 400 for (``enabled`` = manual
    ``budget_tokens``, ``disabled``); ``sampling``: ``any``, ``defaults-only`` (non-default
    ``temperature``/``top_p``/``top_k`` answer 400) or ``fable`` (``temperature`` 1.0 or
    unset, ``top_p`` 0.99 or unset, not both, no ``top_k``); ``forced_tool_choice``: whether
    ``tool_choice`` ``any``/``tool`` is accepted; ``assistant_prefill``: whether a final
    assistant turn is accepted.
    """

    default: str = "off"
    refuses: frozenset[str] = frozenset()
    budget_tokens: bool = True
    default_effort: str | None = None
    sampling: str = "any"
    forced_tool_choice: bool = True
    assistant_prefill: bool = True
    lowest: str | None = None
    note: str = ""

    @property
    def always_on(self) -> bool:
        """Thinking cannot be turned off (``disabled`` is refused)."""
        return "disabled" in self.refuses

    @property
    def adaptive_only(self) -> bool:
        """Manual ``budget_tokens`` thinking is refused: adaptive is the only kind."""
        return "enabled" in self.refuses


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """Everything the client and the emulator need to know about one Bedrock Claude model."""

    id: str
    name: str
    family: str
    version: str
    scopes: frozenset[str]
    context_window: int
    max_output_tokens: int
    #: True only for models whose window the (now retired) 1M beta used to raise; no built-in
    #: model has it any more (1M is native where offered). Kept for user catalogue files.
    context_1m: bool
    successor: str | None
    aliases: tuple[str, ...]
    pricing: Pricing
    regional_premium: bool
    regional_premium_factor: Decimal = Decimal("1.1")
    release_date: date | None = None
    bedrock_name: str = ""
    #: The Anthropic API model name (``claude-sonnet-4-5-20250929``), also an alias.
    api_name: str | None = None
    on_demand: bool = False
    context_1m_tokens: int = 1_000_000
    context_1m_beta: str = CONTEXT_1M_BETA
    long_context_threshold: int = 200_000
    max_output_tokens_beta: tuple[tuple[str, int], ...] = ()
    scope_order: tuple[str, ...] = field(default=(), compare=False)
    #: ``active``, ``legacy`` (still served; ends on ``eol_date``) or ``eol`` (refused).
    lifecycle: Lifecycle = "active"
    legacy_date: date | None = None
    eol_date: date | None = None
    public_extended_access_date: date | None = None
    #: New-policy models: the card's "EOL no sooner than" date (informative only).
    eol_not_before: date | None = None
    #: Regions where the bare base ID is invoked on demand (in-Region), besides ``on_demand``.
    on_demand_regions: frozenset[str] = frozenset()
    #: Regions of bedrock-mantle that serve the model, when a source lists them (else any).
    mantle_regions: frozenset[str] = frozenset()
    #: Whether Bedrock batch inference takes the model (at ``batch_limits.price_factor``).
    batch: bool = True
    thinking: ThinkingRules = field(default_factory=ThinkingRules, compare=False)
    #: Fact group (``ids``, ``scopes``, ``limits``, ``pricing``...) -> keys of sources.json.
    sources: tuple[tuple[str, tuple[str, ...]], ...] = field(default=(), compare=False)
    checked: date | None = None
    notes: str = field(default="", compare=False)
    #: The surfaces that serve the model according to the data.
    surfaces: frozenset[Surface] = RUNTIME_SURFACES
    #: The surfaces whose yes/no above rests on a source marked certain: the client refuses
    #: a surface before sending only when it is here and not in ``surfaces``.
    surfaces_certain: frozenset[Surface] = frozenset()
    #: The model ID on bedrock-mantle (bare, in-Region), when mantle serves the model.
    mantle_id: str | None = None
    #: False for invitation-only models (Mythos): never an alias's or a default's choice.
    generally_available: bool = True

    @property
    def deprecated(self) -> bool:
        """Compatibility: True for Legacy and end-of-life models (see ``lifecycle``)."""
        return self.lifecycle != "active"

    @property
    def end_of_life(self) -> bool:
        return self.lifecycle == "eol"

    def on_demand_in(self, region: str) -> bool:
        """Whether the bare base ID is invoked on demand (in-Region) from ``region``."""
        return self.on_demand or region in self.on_demand_regions

    def mantle_model_id(self) -> str:
        """The ID bedrock-mantle takes: ``mantle_id``, else the base ID (unconfirmed models)."""
        return self.mantle_id or self.id

    @property
    def offered_scopes(self) -> tuple[str, ...]:
        """Scopes in a stable, human order: global first, then geographies as in the data."""
        order = self.scope_order or tuple(sorted(self.scopes))
        return tuple(s for s in order if s in self.scopes)

    def refuses(self, surface: Surface) -> bool:
        """True only when a certain source says ``surface`` does not serve this model."""
        return surface in self.surfaces_certain and surface not in self.surfaces

    def profile_id(self, scope: str) -> str:
        """The inference-profile ID of this model in ``scope`` (``us.anthropic....``)."""
        return f"{scope}.{self.id}"

    def pricing_for(self, endpoint_type: EndpointType) -> Pricing:
        """Prices on ``endpoint_type``: regional endpoints cost more for newer models only."""
        if endpoint_type == "regional" and self.regional_premium:
            return self.pricing.scaled(self.regional_premium_factor)
        return self.pricing

    def context_limit(self, betas: tuple[str, ...] | list[str] = ()) -> int:
        """Tokens (input + max_tokens) the model accepts, given the beta flags sent.

        The retired 1M beta changes nothing for the built-in models: those with 1M have it
        natively, and Sonnet 4.5 / Sonnet 4 are back to 200K with or without it."""
        if self.context_1m and self.context_1m_beta in betas:
            return self.context_1m_tokens
        return self.context_window

    def output_limit(self, betas: tuple[str, ...] | list[str] = ()) -> int:
        """Largest ``max_tokens`` the model accepts, given the beta flags sent."""
        limit = self.max_output_tokens
        for beta, tokens in self.max_output_tokens_beta:
            if beta in betas:
                limit = max(limit, tokens)
        return limit


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    """What a call will use: the ID that goes in the URL, and what we know about it.

    ``scope`` is the routing: ``global``, a geography (``us``/``eu``/``jp``/``apac``),
    ``in-region`` (the base ID, single-Region on-demand) or ``arn`` (passed through).
    ``endpoint_type`` is what the price depends on: ``global`` or ``regional``.
    """

    model_id: str
    info: ModelInfo | None
    scope: str
    endpoint_type: EndpointType
    region: str

    @property
    def base_id(self) -> str | None:
        return self.info.id if self.info is not None else None


@dataclass(frozen=True, slots=True)
class CostBreakdown:
    """A priced request, line by line, in exact decimal USD."""

    input: Decimal
    output: Decimal
    cache_write: Decimal
    cache_read: Decimal
    endpoint_type: EndpointType
    long_context: bool
    batch: bool

    @property
    def total(self) -> Decimal:
        return self.input + self.output + self.cache_write + self.cache_read


@dataclass(frozen=True, slots=True)
class PdfLimits:
    """Bedrock's limits on PDFs and other documents (InvokeModel and Converse)."""

    max_pages: int
    invoke_max_body_bytes: int
    converse_max_documents: int
    converse_max_document_bytes: int
    converse_max_images: int
    converse_max_image_bytes: int
    converse_max_image_pixels: int
    converse_document_needs_text_block: bool
    converse_visual_pdf_needs_citations: bool
    document_formats: tuple[str, ...]
    document_name_min_length: int
    document_name_max_length: int
    document_name_pattern: str
    document_name_rule: str
    sources: tuple[str, ...] = ()

    def document_name_problem(self, name: str) -> str | None:
        """Why Converse would refuse ``name`` as a document name, or None if it is fine."""
        return document_name_problem(name, self)


@dataclass(frozen=True, slots=True)
class BatchLimits:
    """Bedrock batch inference (CreateModelInvocationJob) limits and price factor."""

    min_records_per_job: int
    max_records_per_job: int
    max_records_per_file: int
    max_input_file_bytes: int
    max_job_bytes: int
    timeout_hours_min: int
    timeout_hours_max: int
    timeout_hours_default: int
    input_extension: str
    price_factor: Decimal
    sources: tuple[str, ...] = ()
