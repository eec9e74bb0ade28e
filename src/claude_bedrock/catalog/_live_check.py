"""Where the bundled catalogue and an account's live lists disagree (``models --check``).

For the lists' Region only (the lists cannot see further): models either side lacks,
profiles either side lacks among the scopes the Region reaches, lifecycle differences
(end of life in the bundle yet still offered, Legacy on one side only), and, when
bedrock-mantle's list was read, the models it lists that the bundle does not put on
mantle (and back). End-of-life models missing from the lists agree with the bundle, and so do
invitation-only ones (Bedrock lists them to enrolled accounts only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from ._catalog import Catalog
from ._live import _LIFECYCLE, LiveCatalog, LiveLists
from ._types import ModelInfo

__all__ = ["Disagreement", "differences"]

Kind = Literal[
    "model-not-listed",
    "model-not-in-bundle",
    "profile-not-listed",
    "profile-not-in-bundle",
    "lifecycle",
    "mantle",
]


@dataclass(frozen=True, slots=True)
class Disagreement:
    """One place where the bundled catalogue and the account's lists differ."""

    kind: Kind
    model: str
    detail: str
    profile: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "model": self.model,
            "profile": self.profile,
            "detail": self.detail,
        }


def differences(base: Catalog, lists: LiveLists) -> list[Disagreement]:
    """What the bundle says about ``lists.region`` that the lists contradict, and back."""
    if isinstance(base, LiveCatalog):
        base = base.base
    data = base._data
    summaries, profiles = lists.summaries(), lists.profiles()
    reachable = set(base.reachable_scopes(lists.region))
    out: list[Disagreement] = []
    for info in data.models.values():
        out.extend(
            _model_differences(
                info, summaries.get(info.id), profiles.get(info.id, {}), reachable, lists
            )
        )
    for model_id in lists.model_ids():
        if model_id not in data.models:
            out.append(
                Disagreement(
                    "model-not-in-bundle",
                    model_id,
                    "listed by Bedrock, unknown to the bundled catalogue",
                )
            )
    return out


def _model_differences(
    info: ModelInfo,
    summary: Mapping[str, Any] | None,
    live: Mapping[str, str],
    reachable: set[str],
    lists: LiveLists,
) -> list[Disagreement]:
    out: list[Disagreement] = []
    expected = {s for s in info.scopes if s in reachable}
    offered = summary is not None or bool(live)
    if info.lifecycle == "eol":
        if offered:
            status = (summary or {}).get("modelLifecycle", {}).get("status", "offered")
            out.append(
                Disagreement(
                    "lifecycle",
                    info.id,
                    f"bundle: end of life {_date_text(info.eol_date)}; "
                    f"Bedrock still offers it ({status})",
                )
            )
        return out
    if not offered and not info.generally_available:
        return out  # invitation-only (Mythos): listed to enrolled accounts only
    if (expected or info.on_demand_in(lists.region)) and not offered:
        out.append(
            Disagreement(
                "model-not-listed",
                info.id,
                f"bundle offers it from {lists.region}; Bedrock lists it not",
            )
        )
        return out
    for scope in sorted(expected - set(live)):
        out.append(
            Disagreement(
                "profile-not-listed",
                info.id,
                "in the bundle, not listed by Bedrock",
                profile=info.profile_id(scope),
            )
        )
    for scope, profile_id in live.items():
        if scope not in info.scopes:
            out.append(
                Disagreement(
                    "profile-not-in-bundle",
                    info.id,
                    "listed by Bedrock, not in the bundle",
                    profile=profile_id,
                )
            )
    status = _LIFECYCLE.get(str(((summary or {}).get("modelLifecycle") or {}).get("status")))
    # Data without lifecycle fields says "deprecated": that is Bedrock's Legacy.
    bundled = "legacy" if info.lifecycle == "active" and info.deprecated else info.lifecycle
    if status is not None and status != bundled:
        out.append(Disagreement("lifecycle", info.id, f"bundle: {bundled}; Bedrock: {status}"))
    out.extend(_mantle_difference(info, lists))
    return out


def _mantle_difference(info: ModelInfo, lists: LiveLists) -> list[Disagreement]:
    if lists.mantle_models is None:
        return []
    listed = info.id in lists.mantle_models or (info.mantle_id or "") in lists.mantle_models
    regions = info.mantle_regions
    bundled = "mantle" in info.surfaces and (not regions or lists.region in regions)
    if listed == bundled:
        return []
    detail = (
        "bedrock-mantle lists it; the bundle does not say mantle serves it"
        if listed
        else f"the bundle says mantle serves it here ({info.mantle_model_id()}); bedrock-mantle "
        "does not list it"
    )
    return [Disagreement("mantle", info.id, detail)]


def _date_text(day: date | None) -> str:
    return day.isoformat() if day else "(date unknown)"
