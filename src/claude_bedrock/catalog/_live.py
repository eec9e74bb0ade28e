"""The account's live model lists, merged over the bundled catalogue, and where they differ.

Bedrock's control plane says, for one account and Region, which Claude models exist
(ListFoundationModels ``byProvider=Anthropic``, with ``modelLifecycle``) and which
inference profiles the Region may call (ListInferenceProfiles ``type=SYSTEM_DEFINED``).
Neither gives prices, context windows or output limits. So the merge is:

* **the live lists decide what is offered from the Region**: which base models, which of
  the scopes reachable from the Region (``global`` and its geographies) have a profile,
  whether the bare ID takes on-demand calls, and the lifecycle (``ACTIVE``/``LEGACY`` and
  its dates). A model the bundle says reached end of life but the account is still offered
  becomes callable again (``legacy``); a model the lists do not offer here loses the scopes
  reachable from here. Scopes the Region cannot reach keep the bundle's word (the lists
  cannot see them).
* **the bundle supplies everything else**: names, prices, limits, thinking rules, sources.
* a model only the lists know becomes a *known, unpriced* entry: calls to it send without an
  unknown-model warning, its cost is ``None`` and no limit is checked before sending; it is
  never an alias's choice (``generally_available=False``) until the bundle knows it.
* the Messages-API model list of bedrock-mantle, when it was read, adds ``mantle`` to the
  surfaces of the models it names (never removes it: its shape is not confirmed).

Pure functions over plain data: no I/O (the requests are :mod:`claude_bedrock.resources.models`'
flows, the files :mod:`._live_cache`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from ..wire.messages_api import Surface
from ._catalog import Catalog
from ._load import GLOBAL, CatalogData, _aliases
from ._resolve import Endpoint
from ._types import RUNTIME_SURFACES, Lifecycle, ModelInfo, Pricing, ResolvedModel

__all__ = [
    "LiveCatalog",
    "LiveLists",
    "account_of",
    "merge",
    "parse_mantle_models",
]

_PROVIDER_PREFIX = "anthropic."
_ARN_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:(\d{12}):inference-profile/")
_LIFECYCLE: dict[str, Lifecycle] = {"ACTIVE": "active", "LEGACY": "legacy"}
_ZERO = Decimal(0)
_UNPRICED = Pricing(
    input=_ZERO,
    output=_ZERO,
    cache_write=_ZERO,
    cache_read=_ZERO,
    source="unpriced: listed by Bedrock, unknown to the bundled catalogue",
)
_FAMILY = re.compile(r"^anthropic\.claude-(?:\d+-(?:\d+-)?)?([a-z]+)")


@dataclass(frozen=True, slots=True)
class LiveLists:
    """What the control plane answered for one account and Region (Anthropic entries only)."""

    region: str
    account: str | None
    fetched_at: datetime
    foundation_models: tuple[Mapping[str, Any], ...]
    inference_profiles: tuple[Mapping[str, Any], ...]
    #: Model IDs bedrock-mantle's ``GET /v1/models`` listed; None when it was not read.
    mantle_models: tuple[str, ...] | None = None
    #: Why a part was skipped (e.g. the mantle list), for the user to read.
    notes: tuple[str, ...] = ()

    @classmethod
    def from_answers(
        cls,
        region: str,
        summaries: Iterable[Mapping[str, Any]],
        profiles: Iterable[Mapping[str, Any]],
        *,
        fetched_at: datetime | None = None,
        mantle_models: Iterable[str] | None = None,
        notes: Iterable[str] = (),
    ) -> LiveLists:
        anthropic = tuple(s for s in summaries if _base_of_summary(s) is not None)
        claude_profiles = tuple(p for p in profiles if _profile_parts(p) is not None)
        return cls(
            region=region,
            account=account_of(claude_profiles),
            fetched_at=fetched_at or datetime.now(UTC),
            foundation_models=anthropic,
            inference_profiles=claude_profiles,
            mantle_models=None if mantle_models is None else tuple(mantle_models),
            notes=tuple(notes),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "account": self.account,
            "fetched_at": self.fetched_at.isoformat(),
            "foundation_models": [dict(s) for s in self.foundation_models],
            "inference_profiles": [dict(p) for p in self.inference_profiles],
            "mantle_models": None if self.mantle_models is None else list(self.mantle_models),
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> LiveLists:
        fetched = datetime.fromisoformat(str(doc["fetched_at"]))
        mantle = doc.get("mantle_models")
        return cls(
            region=str(doc["region"]),
            account=doc.get("account"),
            fetched_at=fetched if fetched.tzinfo else fetched.replace(tzinfo=UTC),
            foundation_models=tuple(doc.get("foundation_models") or ()),
            inference_profiles=tuple(doc.get("inference_profiles") or ()),
            mantle_models=None if mantle is None else tuple(str(m) for m in mantle),
            notes=tuple(str(n) for n in doc.get("notes") or ()),
        )

    # -- indexed views ------------------------------------------------------------------

    def summaries(self) -> dict[str, Mapping[str, Any]]:
        """Base model ID -> its ``FoundationModelSummary``."""
        out: dict[str, Mapping[str, Any]] = {}
        for summary in self.foundation_models:
            base = _base_of_summary(summary)
            if base is not None:
                out[base] = summary
        return out

    def profiles(self) -> dict[str, dict[str, str]]:
        """Base model ID -> {scope prefix: profile ID}, in Bedrock's order."""
        out: dict[str, dict[str, str]] = {}
        for profile in self.inference_profiles:
            parts = _profile_parts(profile)
            if parts is not None:
                base, scope, profile_id = parts
                out.setdefault(base, {})[scope] = profile_id
        return out

    def model_ids(self) -> list[str]:
        return list(dict.fromkeys([*self.summaries(), *self.profiles()]))


def account_of(profiles: Iterable[Mapping[str, Any]]) -> str | None:
    """The account ID in the profiles' ARNs (system-defined profiles carry the caller's)."""
    for profile in profiles:
        match = _ARN_ACCOUNT.match(str(profile.get("inferenceProfileArn", "")))
        if match:
            return match.group(1)
    return None


def parse_mantle_models(body: Any) -> list[str] | None:
    """Claude model IDs from bedrock-mantle's ``GET /v1/models``, or None if the shape is
    not one we recognise. Its shape on Bedrock is unconfirmed, so two are accepted: the
    OpenAI list (``{"object": "list", "data": [{"id": ...}]}``) and Anthropic's Models API
    (``{"data": [{"type": "model", "id": ...}], "has_more": ...}``)."""
    if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
        return None
    ids = [item.get("id") for item in body["data"] if isinstance(item, Mapping)]
    return [i for i in ids if isinstance(i, str) and i.startswith(_PROVIDER_PREFIX)]


def _base_of_summary(summary: Mapping[str, Any]) -> str | None:
    model_id = summary.get("modelId")
    if isinstance(model_id, str) and model_id.startswith(_PROVIDER_PREFIX):
        return model_id
    return None


def _profile_parts(profile: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(base ID, scope prefix, profile ID) of a system-defined Claude profile, else None."""
    profile_id = profile.get("inferenceProfileId")
    if not isinstance(profile_id, str):
        return None
    scope, sep, base = profile_id.partition(".")
    if not sep or not base.startswith(_PROVIDER_PREFIX):
        return None
    return base, scope, profile_id


# -- the merge ------------------------------------------------------------------------------


class LiveCatalog(Catalog):
    """The bundled catalogue with an account's live lists over it (see the module doc).

    Resolution is the bundle's; a model only the live lists know resolves with
    ``info=None`` (cost unknown, no limits checked) but without an unknown-model warning.
    """

    __slots__ = ("base", "cache_path", "lists", "source", "unpriced")

    def __init__(
        self, data: CatalogData, base: Catalog, lists: LiveLists, unpriced: frozenset[str]
    ) -> None:
        super().__init__(data, base.paths)
        self.base = base
        self.lists = lists
        self.unpriced = unpriced
        #: ``bedrock`` (fetched by this process) or ``cache`` (read from ``cache_path``).
        self.source = "bedrock"
        self.cache_path: str | None = None

    def __repr__(self) -> str:
        when = self.lists.fetched_at.strftime("%Y-%m-%d %H:%M UTC")
        return (
            f"<LiveCatalog {len(self._data.models)} models, account {self.lists.account} "
            f"{self.lists.region} as of {when}>"
        )

    def resolve(
        self,
        model: str,
        region: str,
        endpoint: Endpoint | None = None,
        *,
        surface: Surface = "invoke",
        warn: bool = True,
        stacklevel: int = 2,
    ) -> ResolvedModel:
        resolved = super().resolve(
            model, region, endpoint, surface=surface, warn=warn, stacklevel=stacklevel + 1
        )
        if resolved.info is not None and resolved.info.id in self.unpriced:
            return replace(resolved, info=None)
        return resolved


def merge(base: Catalog, lists: LiveLists) -> LiveCatalog:
    """``lists`` over ``base`` (a :class:`LiveCatalog` is unwrapped to its own base)."""
    if isinstance(base, LiveCatalog):
        base = base.base
    data = base._data
    summaries, profiles = lists.summaries(), lists.profiles()
    regions = dict(data.regions)
    regions[lists.region] = _live_geographies(data, lists.region, profiles)
    reachable = {*regions[lists.region]} | (set() if lists.region in data.no_global else {GLOBAL})
    mantle = set(lists.mantle_models or ())
    models: dict[str, ModelInfo] = {}
    for info in data.models.values():
        models[info.id] = _merged(
            info, summaries.get(info.id), profiles.get(info.id, {}), lists.region, reachable, mantle
        )
    unpriced = []
    for model_id in lists.model_ids():
        if model_id not in models:
            models[model_id] = _live_only(
                model_id, summaries.get(model_id), profiles.get(model_id, {}), data, mantle
            )
            unpriced.append(model_id)
    merged = replace(data, models=models, aliases=_aliases(models), regions=regions)
    return LiveCatalog(merged, base, lists, frozenset(unpriced))


def _live_geographies(
    data: CatalogData, region: str, profiles: Mapping[str, Mapping[str, str]]
) -> tuple[str, ...]:
    """The Region's geographies as the live profiles show them, in the bundle's order."""
    seen = {scope for by_scope in profiles.values() for scope in by_scope}
    bundled = data.regions.get(region, ())
    ordered = [g for g in bundled if g in seen]
    ordered += [g for g in data.geographies if g in seen and g not in ordered]
    return tuple(ordered)


def _merged(
    info: ModelInfo,
    summary: Mapping[str, Any] | None,
    profiles: Mapping[str, str],
    region: str,
    reachable: set[str],
    mantle: set[str],
) -> ModelInfo:
    scopes = (info.scopes - reachable) | {s for s in profiles if s in reachable}
    offered = summary is not None or bool(profiles)
    changes: dict[str, Any] = {"scopes": frozenset(scopes)}
    # In-Region (bare ID) calls from here: as the Region's list says (absent: none).
    in_region = "ON_DEMAND" in ((summary or {}).get("inferenceTypesSupported") or ())
    changes["on_demand"] = in_region
    changes["on_demand_regions"] = (
        info.on_demand_regions | {region} if in_region else info.on_demand_regions - {region}
    )
    if offered:
        changes.update(_lifecycle(info, summary))
    if info.id in mantle or (info.mantle_id or "") in mantle:
        changes.update(_on_mantle(info, region))
    return replace(info, **changes)


def _lifecycle(info: ModelInfo, summary: Mapping[str, Any] | None) -> dict[str, Any]:
    """Lifecycle fields for a model the account is offered (an offered model is never EOL)."""
    block = (summary or {}).get("modelLifecycle") or {}
    status = _LIFECYCLE.get(str(block.get("status", "")).upper())
    if status is None:  # offered through a profile only, or an unknown status word
        status = "legacy" if info.lifecycle != "active" else "active"
    return {
        "lifecycle": status,
        "legacy_date": _day(block.get("legacyTime")) or info.legacy_date,
        "eol_date": _day(block.get("endOfLifeTime")) or info.eol_date,
        "public_extended_access_date": _day(block.get("publicExtendedAccessTime"))
        or info.public_extended_access_date,
    }


def _on_mantle(info: ModelInfo, region: str) -> dict[str, Any]:
    """bedrock-mantle lists the model in this Region: it serves it here."""
    regions = info.mantle_regions
    return {
        "surfaces": info.surfaces | {"mantle"},
        "mantle_id": info.mantle_id or info.id,
        "mantle_regions": regions | {region} if regions else regions,
    }


def _live_only(
    model_id: str,
    summary: Mapping[str, Any] | None,
    profiles: Mapping[str, str],
    data: CatalogData,
    mantle: set[str],
) -> ModelInfo:
    scope_order = (GLOBAL, *data.geographies)
    summary = summary or {}
    block = summary.get("modelLifecycle") or {}
    lifecycle = _LIFECYCLE.get(str(block.get("status", "")).upper(), "active")
    name = str(summary.get("modelName") or model_id)
    match = _FAMILY.match(model_id)
    surfaces: frozenset[Surface] = RUNTIME_SURFACES | (
        {"mantle"} if model_id in mantle else frozenset()
    )
    return ModelInfo(
        id=model_id,
        name=name if name.startswith("Claude") else f"Claude {name}",
        family=match.group(1) if match else "claude",
        version="",
        scopes=frozenset(s for s in profiles if s in scope_order),
        context_window=0,
        max_output_tokens=0,
        context_1m=False,
        successor=None,
        aliases=(),
        pricing=_UNPRICED,
        regional_premium=False,
        bedrock_name=name,
        on_demand="ON_DEMAND" in (summary.get("inferenceTypesSupported") or ()),
        lifecycle=lifecycle,
        legacy_date=_day(block.get("legacyTime")),
        eol_date=_day(block.get("endOfLifeTime")),
        public_extended_access_date=_day(block.get("publicExtendedAccessTime")),
        surfaces=surfaces,
        mantle_id=model_id if model_id in mantle else None,
        generally_available=False,
        scope_order=scope_order,
    )


def _day(value: Any) -> date | None:
    """A date from an ISO timestamp (botocore/JSON form) or date; None when absent/unreadable."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None
