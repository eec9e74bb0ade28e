"""``client.models``' entries: one :class:`ModelEntry` per model, from the catalogue and,
when they were read, the account's live lists.

Three sources, each with its own say:

* the *bundled* catalogue (``base``): what it offers (``ScopeStatus.offered``), prices,
  limits, names, successors;
* the account's live lists (:class:`~claude_bedrock.catalog.LiveLists`): what Bedrock
  listed (``listed``, ``ScopeStatus.reported``, ``lifecycle_status``...);
* the *merged* catalogue (lists over bundle, :func:`claude_bedrock.catalog._live.merge`):
  what a call resolves to (``recommended_id``) and the lifecycle that applies.

I/O-free; :mod:`.models` does the requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from .._exceptions import ClientValidationError
from ..catalog import Catalog, ModelInfo, Pricing, ResolvedModel
from ..catalog._live import LiveCatalog, LiveLists
from ..types.models import ModelEntry, Prices, ScopeStatus

__all__ = ["entries", "entry"]

Endpoint = Literal["global", "regional"]
_GLOBAL = "global"


class _View:
    """The catalogues and lists one listing is built from."""

    def __init__(self, base: Catalog, merged: Catalog, lists: LiveLists | None, region: str):
        self.base = base
        self.merged = merged
        self.lists = lists
        self.region = region
        self.summaries = lists.summaries() if lists else {}
        self.profiles = lists.profiles() if lists else {}
        self.unpriced = merged.unpriced if isinstance(merged, LiveCatalog) else frozenset()

    @property
    def online(self) -> bool:
        return self.lists is not None

    def listed(self, base: str) -> bool | None:
        return (base in self.summaries) if self.online else None

    def has_profile(self, base: str, scope: str) -> bool | None:
        return (scope in self.profiles.get(base, {})) if self.online else None

    def reachable(self) -> tuple[str, ...]:
        """Global (not from GovCloud) and the Region's geographies, as the lists show them."""
        return self.merged.reachable_scopes(self.region)


def entries(
    base: Catalog,
    region: str,
    prefer: Endpoint | None = None,
    lists: LiveLists | None = None,
    merged: Catalog | None = None,
) -> list[ModelEntry]:
    """Every model of the merged catalogue (bundle order, then models only Bedrock lists)."""
    view = _View(base, merged or base, lists, region)
    return [_entry(info, view, prefer) for info in view.merged.models()]


def entry(
    base: Catalog,
    info: ModelInfo,
    region: str,
    prefer: Endpoint | None = None,
    lists: LiveLists | None = None,
    merged: Catalog | None = None,
) -> ModelEntry:
    return _entry(info, _View(base, merged or base, lists, region), prefer)


def _entry(info: ModelInfo, view: _View, prefer: Endpoint | None) -> ModelEntry:
    bundled = view.base.identify(info.id) if info.id not in view.unpriced else None
    reachable = view.reachable()
    # A model only Bedrock lists has the scopes it listed; a bundled one every scope.
    order = (info.scope_order or info.offered_scopes) if bundled else info.offered_scopes
    scopes = [
        ScopeStatus(
            scope=scope,
            profile_id=info.profile_id(scope),
            offered=bundled is not None and not bundled.end_of_life and scope in bundled.scopes,
            reachable=scope in reachable,
            reported=view.has_profile(info.id, scope) if scope in reachable else None,
        )
        for scope in order
    ]
    known = {s.scope for s in scopes}
    for scope, profile_id in view.profiles.get(info.id, {}).items():
        if scope not in known:  # a geography the catalogue does not model
            scopes.append(ScopeStatus(scope=scope, profile_id=profile_id, offered=False,
                                      reachable=True, reported=True))  # fmt: skip
    if bundled is None:
        scopes.sort(key=lambda s: s.scope != _GLOBAL)
        return _unpriced_entry(info, view, scopes, prefer)
    geographic = any(s != _GLOBAL for s in bundled.scopes)
    return ModelEntry(
        id=info.id,
        name=info.name,
        in_catalog=True,
        region=view.region,
        recommended_id=_recommended(info, view, prefer),
        family=info.family,
        version=info.version,
        scopes=scopes,
        context_window=info.context_window,
        context_1m_tokens=info.context_1m_tokens if info.context_1m else None,
        context_1m_beta=info.context_1m_beta if info.context_1m else None,
        max_output_tokens=info.max_output_tokens,
        pricing_global=_prices(info.pricing_for("global")) if _GLOBAL in bundled.scopes else None,
        pricing_regional=_prices(info.pricing_for("regional")) if geographic else None,
        deprecated=info.deprecated,
        successor=info.successor,
        aliases=list(info.aliases),
        listed=view.listed(info.id),
        **_lifecycle(info, view.region),
        **_from_summary(view.summaries.get(info.id, {})),
    )


def _unpriced_entry(
    info: ModelInfo, view: _View, scopes: list[ScopeStatus], prefer: Endpoint | None
) -> ModelEntry:
    return ModelEntry(
        id=info.id,
        name=info.name,
        in_catalog=False,
        priced=False,
        region=view.region,
        recommended_id=_recommended(info, view, prefer),
        family=info.family,
        scopes=scopes,
        deprecated=info.deprecated,
        listed=view.listed(info.id),
        **_lifecycle(info, view.region),
        **_from_summary(view.summaries.get(info.id, {})),
    )


def _lifecycle(info: ModelInfo, region: str) -> dict[str, Any]:
    return {
        "lifecycle": info.lifecycle,
        "legacy_date": info.legacy_date,
        "eol_date": info.eol_date,
        "surfaces": sorted(info.surfaces),
        "mantle_id": info.mantle_model_id() if _on_mantle(info, region) else None,
    }


def _on_mantle(info: ModelInfo, region: str) -> bool:
    """Whether bedrock-mantle serves the model in ``region`` (any Region when the data does
    not list them)."""
    regions = info.mantle_regions
    return "mantle" in info.surfaces and (not regions or region in regions)


def _from_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    if not summary:
        return {}
    lifecycle = summary.get("modelLifecycle") or {}
    return {
        "model_arn": summary.get("modelArn"),
        "lifecycle_status": lifecycle.get("status"),
        "inference_types": list(summary.get("inferenceTypesSupported") or []),
    }


def _recommended(info: ModelInfo, view: _View, prefer: Endpoint | None) -> str | None:
    """The ID to send from the Region: the preferred endpoint type first (global unless the
    client says regional), then the other, then the bare base ID (single-Region on-demand).
    With live lists, a candidate Bedrock reports wins over one it does not."""
    order: list[Any] = ["regional", "global"] if prefer == "regional" else ["global", "regional"]
    candidates: list[ResolvedModel] = []
    for endpoint in [*order, "in-region"]:
        try:
            candidates.append(view.merged.resolve(info.id, view.region, endpoint, warn=False))
        except ClientValidationError:
            continue
    if not candidates:
        return None
    if view.online:
        for candidate in candidates:
            if _is_reported(candidate, info.id, view):
                return candidate.model_id
    return candidates[0].model_id


def _is_reported(candidate: ResolvedModel, base: str, view: _View) -> bool:
    if candidate.scope == "in-region":
        return bool(view.listed(base))
    return bool(view.has_profile(base, candidate.scope))


def _prices(pricing: Pricing) -> Prices:
    def usd(value: Any) -> float | None:
        return None if value is None else float(value)

    return Prices(
        input=float(pricing.input),
        output=float(pricing.output),
        cache_write=float(pricing.cache_write),
        cache_read=float(pricing.cache_read),
        long_context_input=usd(pricing.long_context_input),
        long_context_output=usd(pricing.long_context_output),
    )
