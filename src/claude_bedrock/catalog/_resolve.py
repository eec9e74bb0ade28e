"""Turning what a user typed (alias, base ID, profile ID, ARN) into the ID a call will use.

Two rule sets live here. :func:`resolve` is the client's: it accepts aliases, mends IDs that
documents print but Bedrock refuses, lets unknown well-formed IDs through (the catalogue
advises, it never gates) and picks a profile for the caller's Region.
:func:`check_invocation` is Bedrock's own, for the emulator: it accepts only what Bedrock
accepts and refuses what Bedrock refuses. Where the user already named the exact ID (a
profile ID, or ``endpoint="in-region"``), :func:`resolve` hands it to Bedrock's rules, so
those are written once. Every refusal says where the model *is* offered and the exact ID to
use instead. The Messages-API surfaces' variations are in :mod:`._surfaces`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .._exceptions import InvalidModelError, ModelNotAvailableError
from ..wire.messages_api import Surface
from ..wire.rules.model_id import model_id_violation
from ._load import GLOBAL, CatalogData, newer, normalize_alias
from ._refusals import (
    IN_REGION,
    RegionError,
    _no_geography,
    _on_demand_error,
    _region_error,
    _wrong_geography,
    close_matches,
    end_of_life,
    malformed_model,
    not_offered,
    split_prefix,
    unknown_model,
)
from ._types import EndpointType, ModelInfo, ResolvedModel
from ._verdicts import InvocationCheck, Verdict

__all__ = [
    "FAMILIES",
    "IN_REGION",
    "UNKNOWN",
    "Endpoint",
    "InvocationCheck",
    "RegionError",
    "Resolution",
    "Verdict",
    "check_invocation",
    "close_matches",
    "end_of_life",
    "find",
    "lookup",
    "malformed_model",
    "mend",
    "newest",
    "not_offered",
    "offered_from",
    "region_geographies",
    "resolve",
    "split_prefix",
    "unknown_model",
    "validate_invocation",
]

Endpoint = Literal["global", "regional", "in-region"]
UNKNOWN = "unknown"
FAMILIES = ("opus", "sonnet", "haiku", "fable", "mythos")


@dataclass(frozen=True, slots=True)
class Resolution:
    """A :class:`ResolvedModel` plus what the caller should be told about it (warnings)."""

    resolved: ResolvedModel
    #: The ID as written when it was mended (``resolved.model_id`` is the accepted one).
    mended_from: str | None = None
    #: Close matches, for an ID the catalogue does not know (``resolved.info`` is None).
    suggestions: list[str] = field(default_factory=list)

    @property
    def unknown(self) -> bool:
        return self.resolved.scope == UNKNOWN


def mend(data: CatalogData, model: str) -> str:
    """The ID Bedrock accepts for ``model`` (profile prefix kept), or ``model`` itself."""
    prefix, base = split_prefix(data, model)
    accepted = data.mended.get(base)
    if accepted is None:
        return model
    return f"{prefix}.{accepted}" if prefix else accepted


def find(data: CatalogData, model: str) -> tuple[str | None, ModelInfo | None, bool]:
    """(profile prefix, model or None, whether ``model`` was an alias). No exceptions."""
    name = model.strip()
    prefix, base = split_prefix(data, name)
    info = data.models.get(base) or data.models.get(data.mantle_ids.get(base, ""))
    if info is not None:
        return prefix, info, False
    model_id = data.aliases.get(normalize_alias(name))
    if model_id is not None:
        return None, data.models[model_id], True
    return prefix, None, False


def lookup(data: CatalogData, model: str) -> tuple[str | None, ModelInfo, bool]:
    """:func:`find` that raises InvalidModelError (with close matches) for an unknown name."""
    prefix, info, via_alias = find(data, mend(data, model.strip()))
    if info is None:
        raise unknown_model(data, model)
    return prefix, info, via_alias


def region_geographies(data: CatalogData, region: str) -> tuple[str, ...]:
    try:
        return data.regions[region]
    except KeyError:
        raise _region_error(data, region) from None


def endpoint_of_arn(arn: str) -> EndpointType:
    return "global" if "/global." in arn else "regional"


def offered_from(data: CatalogData, info: ModelInfo, region: str, surface: Surface) -> bool:
    """Whether a caller in ``region`` can reach ``info`` on ``surface`` (per the data)."""
    if surface not in info.surfaces:
        return False
    if surface == "mantle":
        return not info.mantle_regions or region in info.mantle_regions
    scopes = data.reachable_scopes(region)
    return bool(info.scopes.intersection(scopes)) or info.on_demand_in(region)


def newest(data: CatalogData, family: str, region: str, surface: Surface) -> ModelInfo | None:
    """The newest generally available, active model of ``family`` offered from ``region``."""
    best: ModelInfo | None = None
    for info in data.models.values():
        if info.family != family or not info.generally_available or info.lifecycle != "active":
            continue
        if offered_from(data, info, region, surface) and (best is None or newer(info, best)):
            best = info
    return best


def resolve(
    data: CatalogData,
    model: str,
    region: str,
    endpoint: Endpoint | None = None,
    surface: Surface = "invoke",
) -> Resolution:
    """The client's rules: see :meth:`Catalog.resolve`."""
    name = model.strip()
    if surface == "mantle":
        from ._surfaces import resolve_mantle

        return resolve_mantle(data, name, region)
    if name.startswith("arn:"):
        if model_id_violation(name) is not None:
            raise malformed_model(name)
        return Resolution(ResolvedModel(name, None, "arn", endpoint_of_arn(name), region))
    mended = mend(data, name)
    info: ModelInfo | None
    if normalize_alias(name) in FAMILIES:
        prefix, info, via_alias = None, _family(data, normalize_alias(name), region, surface), True
    else:
        prefix, info, via_alias = find(data, mended)
    if info is None:
        return _unknown(data, name, region, prefix)
    from ._surfaces import check_surface

    check_surface(data, info, mended, region, surface)
    if info.end_of_life:
        raise end_of_life(data, info, mended, region)
    resolved = _resolve_known(data, mended, prefix, info, via_alias, region, endpoint)
    return Resolution(resolved, mended_from=name if mended != name else None)


def _family(data: CatalogData, family: str, region: str, surface: Surface) -> ModelInfo:
    region_geographies(data, region)
    info = newest(data, family, region, surface)
    if info is None:
        raise ModelNotAvailableError(
            f"No generally available Claude {family.title()} model is offered from {region} "
            f"on the {surface} surface. Name a model ID instead (`claude-bedrock models` "
            "lists them).",
            model=family,
            region=region,
            offered_in=[],
        )
    return info


def _unknown(data: CatalogData, name: str, region: str, prefix: str | None) -> Resolution:
    """A well-formed ID the catalogue does not know is sent as written (Bedrock decides)."""
    if model_id_violation(name) is not None:
        raise malformed_model(name)
    endpoint: EndpointType = "global" if prefix == GLOBAL else "regional"
    resolved = ResolvedModel(name, None, UNKNOWN, endpoint, region)
    return Resolution(resolved, suggestions=close_matches(data, name))


def _resolve_known(
    data: CatalogData,
    model: str,
    prefix: str | None,
    info: ModelInfo,
    via_alias: bool,
    region: str,
    endpoint: Endpoint | None,
) -> ResolvedModel:
    if prefix is not None and endpoint is None and region not in data.regions:
        # A profile ID names its scope; a Region the catalogue does not know is Bedrock's call.
        kind: EndpointType = "global" if prefix == GLOBAL else "regional"
        return ResolvedModel(info.profile_id(prefix), info, prefix, kind, region)
    geos = region_geographies(data, region)
    reachable = data.reachable_scopes(region)
    if endpoint == GLOBAL:
        return _scoped(data, info, GLOBAL, region, geos)
    if endpoint == "regional":
        return _scoped(data, info, _regional_scope(data, info, region, geos), region, geos)
    if endpoint == IN_REGION:  # the base ID, under Bedrock's own rules
        return validate_invocation(data, info.id, region)
    if endpoint is not None:
        raise ValueError(f"endpoint must be 'global', 'regional' or None, not {endpoint!r}")
    if prefix is not None:  # a profile ID names its scope: Bedrock's rules decide
        return validate_invocation(data, model, region)
    if via_alias and GLOBAL in info.scopes and GLOBAL in reachable:
        return _scoped(data, info, GLOBAL, region, geos)
    if not any(g in info.scopes for g in geos) and info.on_demand_in(region):
        return ResolvedModel(info.id, info, IN_REGION, "regional", region)
    return _scoped(data, info, _regional_scope(data, info, region, geos), region, geos)


def check_invocation(
    data: CatalogData, model_id: str, region: str, surface: Surface = "invoke"
) -> InvocationCheck:
    """Bedrock's rules for a model ID arriving on ``surface`` in ``region``, as a verdict."""
    if surface == "mantle":
        from ._surfaces import check_mantle

        return check_mantle(data, model_id, region)
    if region not in data.regions:
        return InvocationCheck(Verdict.UNKNOWN_REGION, model_id)
    if model_id.startswith("arn:"):
        return _check_arn(data, model_id, region, surface)
    prefix, base = split_prefix(data, model_id)
    info = data.models.get(base)
    if info is None:
        return InvocationCheck(Verdict.UNKNOWN_MODEL, model_id)
    if info.end_of_life:
        return InvocationCheck(Verdict.END_OF_LIFE, model_id, info, prefix)
    if info.refuses(surface):
        return InvocationCheck(Verdict.NOT_ON_SURFACE, model_id, info, prefix)
    geos = data.regions[region]
    if prefix is None:
        if surface == "runtime-messages":
            return InvocationCheck(Verdict.BARE_ID_ON_MESSAGES, model_id, info)
        if (info.on_demand and any(g in info.scopes for g in geos)) or (
            region in info.on_demand_regions
        ):
            ok = ResolvedModel(info.id, info, IN_REGION, "regional", region)
            return InvocationCheck(Verdict.OK, model_id, info, None, ok)
        return InvocationCheck(Verdict.ON_DEMAND_NOT_SUPPORTED, model_id, info)
    if prefix not in info.scopes:
        return InvocationCheck(Verdict.NOT_OFFERED, model_id, info, prefix)
    if prefix not in data.reachable_scopes(region):
        return InvocationCheck(Verdict.OTHER_GEOGRAPHY, model_id, info, prefix)
    endpoint: EndpointType = "global" if prefix == GLOBAL else "regional"
    ok = ResolvedModel(info.profile_id(prefix), info, prefix, endpoint, region)
    return InvocationCheck(Verdict.OK, model_id, info, prefix, ok)


def _check_arn(data: CatalogData, arn: str, region: str, surface: Surface) -> InvocationCheck:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "bedrock" or "/" not in parts[5]:
        return InvocationCheck(Verdict.NOT_A_MODEL_ARN, arn)
    arn_region, kind, resource = parts[3], *parts[5].split("/", 1)
    if kind in ("application-inference-profile", "custom-model", "provisioned-model"):
        ok = ResolvedModel(arn, None, "arn", "regional", region)
        return InvocationCheck(Verdict.OK, arn, resolved=ok)
    if arn_region and arn_region != region:
        return InvocationCheck(Verdict.ARN_OTHER_REGION, arn, scope=arn_region)
    if kind not in ("foundation-model", "inference-profile"):
        return InvocationCheck(Verdict.NOT_A_MODEL_ARN, arn)
    inner = check_invocation(data, resource, region)
    if inner.info is not None and inner.info.refuses(surface):
        return InvocationCheck(Verdict.NOT_ON_SURFACE, arn, inner.info, inner.scope)
    if inner.resolved is None:
        return inner
    ok = ResolvedModel(arn, inner.resolved.info, "arn", inner.resolved.endpoint_type, region)
    return InvocationCheck(Verdict.OK, arn, inner.info, inner.scope, ok)


def validate_invocation(data: CatalogData, model_id: str, region: str) -> ResolvedModel:
    """:func:`check_invocation` as a client error that says what to use instead."""
    check = check_invocation(data, model_id, region)
    if check.resolved is not None:
        return check.resolved
    raise _invocation_error(data, check, region)


def _invocation_error(data: CatalogData, check: InvocationCheck, region: str) -> Exception:
    model, info, scope, verdict = check.model_id, check.info, check.scope, check.verdict
    if verdict is Verdict.UNKNOWN_REGION:
        return _region_error(data, region)
    if verdict is Verdict.NOT_A_MODEL_ARN:
        return InvalidModelError(f"{model!r} is not a Bedrock model ARN.", model=model)
    if verdict is Verdict.ARN_OTHER_REGION:
        return ModelNotAvailableError(
            f"ARN {model!r} belongs to Region {scope}, but the call goes to {region}. "
            f"Call Region {scope}, or use the ARN of Region {region}.",
            model=model,
            region=region,
            offered_in=[str(scope)],
            suggestion=model.replace(f":{scope}:", f":{region}:", 1),
        )
    if info is None:
        return unknown_model(data, model)
    if verdict is Verdict.END_OF_LIFE:
        return end_of_life(data, info, model, region)
    geos = data.regions[region]
    if verdict is Verdict.ON_DEMAND_NOT_SUPPORTED:
        return _on_demand_error(data, info, region, geos)
    if verdict is Verdict.OTHER_GEOGRAPHY:
        return _wrong_geography(data, model, str(scope), info, region, geos)
    return not_offered(data, info, str(scope), region, geos)


def _scoped(
    data: CatalogData, info: ModelInfo, scope: str, region: str, geos: tuple[str, ...]
) -> ResolvedModel:
    if scope not in info.scopes:
        raise not_offered(data, info, scope, region, geos)
    if scope == GLOBAL and region in data.no_global:
        raise _wrong_geography(data, info.profile_id(GLOBAL), GLOBAL, info, region, geos)
    endpoint: EndpointType = "global" if scope == GLOBAL else "regional"
    return ResolvedModel(info.profile_id(scope), info, scope, endpoint, region)


def _regional_scope(data: CatalogData, info: ModelInfo, region: str, geos: tuple[str, ...]) -> str:
    """The region's preferred geography that offers the model (Tokyo: jp, else apac)."""
    for geo in geos:
        if geo in info.scopes:
            return geo
    if not geos:
        raise _no_geography(data, info, region)
    return geos[0]
