"""Claude-on-Bedrock facts as data: models, scopes, Regions, prices and limits.

Like botocore's service models, the facts live in JSON files beside this module
(``models.json``, ``regions.json``, ``limits.json``, with ``sources.json`` saying where
each comes from); this package loads them once, lazily, and answers the questions the
client (early checks, model resolution, cost) and the emulator (ListFoundationModels,
ListInferenceProfiles, runtime checks) ask. A user file of the same schema, named in
``CLAUDE_BEDROCK_CATALOG`` or given to :meth:`Catalog.load`, adds or overrides entries.

``pdf_limits`` and ``batch_limits`` are read from the default catalogue on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# The 1M-context beta flag, retired on 2026-04-30 (kept so that the client can recognise it).
from ..wire.messages_api import Surface
from ..wire.rules.context import CONTEXT_1M_BETA
from ._catalog import ENV_VAR, Catalog
from ._control_plane import DEFAULT_ACCOUNT_ID, foundation_model_arn, inference_profile_arn
from ._load import CatalogDataError, Geography
from ._pricing import cost, cost_breakdown
from ._resolve import Endpoint, InvocationCheck, RegionError, Verdict
from ._types import (
    BatchLimits,
    CostBreakdown,
    EndpointType,
    Lifecycle,
    ModelInfo,
    PdfLimits,
    Pricing,
    ResolvedModel,
    Scope,
    ThinkingRules,
)

if TYPE_CHECKING:
    pdf_limits: PdfLimits
    batch_limits: BatchLimits

__all__ = [
    "CONTEXT_1M_BETA",
    "DEFAULT_ACCOUNT_ID",
    "ENV_VAR",
    "BatchLimits",
    "Catalog",
    "CatalogDataError",
    "CostBreakdown",
    "EndpointType",
    "Geography",
    "InvocationCheck",
    "Lifecycle",
    "ModelInfo",
    "PdfLimits",
    "Pricing",
    "RegionError",
    "ResolvedModel",
    "Scope",
    "ThinkingRules",
    "Verdict",
    "batch_limits",
    "cost",
    "cost_breakdown",
    "foundation_model_arn",
    "foundation_models",
    "inference_profile_arn",
    "inference_profiles",
    "model_names",
    "pdf_limits",
    "resolve",
]


def model_names(models: list[ModelInfo], conjunction: str = "and") -> str:
    """``Claude Opus 4.6, Sonnet 4.5 and Sonnet 4``: names for a sentence, "Claude" once."""
    names = [m.name.removeprefix("Claude ") for m in models]
    if not names:
        return "no model"
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {conjunction} {names[-1]}"
    return f"Claude {listed}"


def resolve(
    model: str, region: str, endpoint: Endpoint | None = None, *, surface: Surface = "invoke"
) -> ResolvedModel:
    """:meth:`Catalog.resolve` on the default catalogue."""
    return Catalog.default().resolve(model, region, endpoint, surface=surface, stacklevel=3)


def foundation_models(region: str = "us-east-1", **filters: str | None) -> list[dict[str, Any]]:
    """ListFoundationModels ``modelSummaries`` from the default catalogue."""
    return Catalog.default().foundation_models(region, **filters)


def inference_profiles(
    region: str = "us-east-1", account_id: str = DEFAULT_ACCOUNT_ID
) -> list[dict[str, Any]]:
    """ListInferenceProfiles ``inferenceProfileSummaries`` from the default catalogue."""
    return Catalog.default().inference_profiles(region, account_id)


def __getattr__(name: str) -> Any:
    if name == "pdf_limits":
        return Catalog.default().pdf_limits
    if name == "batch_limits":
        return Catalog.default().batch_limits
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
