"""The client errors of resolution: every refusal says where the model *is* offered and the
exact ID to use instead (or, past end of life, the date and the successor)."""

from __future__ import annotations

import difflib

from .._exceptions import (
    ClientValidationError,
    InvalidModelError,
    ModelEndOfLifeError,
    ModelNotAvailableError,
)
from ._load import GLOBAL, CatalogData, normalize_alias
from ._types import ModelInfo

IN_REGION = "in-region"


def split_prefix(data: CatalogData, model: str) -> tuple[str | None, str]:
    """``us.anthropic.x`` -> (``us``, ``anthropic.x``); a base ID has no prefix."""
    head, sep, rest = model.partition(".")
    if sep and rest and (head == GLOBAL or head in data.geographies):
        return head, rest
    return None, model


class RegionError(ClientValidationError):
    """The Region is unknown to the catalogue, or has no geographic inference profiles."""

    def __init__(self, message: str, *, region: str, known_regions: list[str]):
        super().__init__(message)
        self.region = region
        self.known_regions = known_regions


def _region_error(data: CatalogData, region: str) -> RegionError:
    known = sorted(data.regions)
    return RegionError(
        f"Unknown AWS Region {region!r} for Claude on Bedrock. Known Regions: "
        f"{', '.join(known)}. A catalogue file (CLAUDE_BEDROCK_CATALOG) can add one.",
        region=region,
        known_regions=known,
    )


def close_matches(data: CatalogData, model: str) -> list[str]:
    """Up to three known IDs or aliases that look like ``model`` (prefix kept)."""
    prefix, base = split_prefix(data, model.strip())
    if prefix is not None:
        close = difflib.get_close_matches(base, list(data.models), n=3, cutoff=0.6)
        return [f"{prefix}.{c}" for c in close]
    names = [*data.models, *data.aliases]
    close = difflib.get_close_matches(normalize_alias(model), names, n=3, cutoff=0.6)
    return list(dict.fromkeys(close))


def unknown_model(data: CatalogData, model: str) -> InvalidModelError:
    suggestions = close_matches(data, model)
    hint = f" Did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
    known = ", ".join(sorted({f"{i.family}-{i.version}" for i in data.models.values()}))
    message = (
        f"Unknown model {model!r}: it is neither a Bedrock Claude model ID, an inference "
        f"profile ID nor an alias.{hint} Known models: {known}."
    )
    return InvalidModelError(message, model=model, suggestions=suggestions)


def malformed_model(model: str) -> InvalidModelError:
    """A name that cannot be a Bedrock model ID (botocore's pattern): refused before sending."""
    return InvalidModelError(
        f"{model[:200]!r} is not a valid Bedrock model identifier (model ID, inference-profile "
        "ID, ARN or alias): Bedrock's model IDs contain only letters, digits and '-', '.', "
        "':' (and '/' inside ARNs). Check it for spaces or other characters.",
        model=model,
    )


def end_of_life(data: CatalogData, info: ModelInfo, model: str, region: str) -> ModelEndOfLifeError:
    """Bedrock's "has reached the end of its life", said before sending, with the successor."""
    day = info.eol_date.isoformat() if info.eol_date else "an earlier date"
    successor = data.models.get(info.successor or "")
    instead = (
        f" Use {successor.name} instead (model '{successor.id}', or an alias such as "
        f"'{successor.family}-{successor.version}')."
        if successor
        else ""
    )
    return ModelEndOfLifeError(
        f"{info.name} ({info.id}) reached end of life on Bedrock on {day}: Bedrock answers "
        f"'This model version has reached the end of its life.'{instead} If your account "
        "still lists it, `claude-bedrock models --refresh` (or `client.models.refresh()`) "
        "puts the account's live model list over the bundled catalogue.",
        model=model,
        region=region,
        eol_date=info.eol_date.isoformat() if info.eol_date else "",
        successor=successor.id if successor else None,
        offered_in=[],
    )


def _on_demand_error(
    data: CatalogData, info: ModelInfo, region: str, geos: tuple[str, ...]
) -> ModelNotAvailableError:
    return _unavailable(
        data,
        info,
        region,
        geos,
        exclude=IN_REGION,
        model=info.id,
        text=f"Invocation of model ID {info.id} ({info.name}) with on-demand throughput "
        f"isn't supported in {region}. Retry with the ID or ARN of an inference profile that "
        f"contains this model: it is offered in: {', '.join(info.offered_scopes)}.",
    )


def not_offered(
    data: CatalogData, info: ModelInfo, scope: str, region: str, geos: tuple[str, ...]
) -> ModelNotAvailableError:
    if scope == GLOBAL:
        where = "through the global endpoint ('global.' inference profiles)"
    else:
        where = f"in geography '{scope}' (region {region})"
    return _unavailable(
        data,
        info,
        region,
        geos,
        exclude=scope,
        model=info.profile_id(scope),
        text=f"{info.name} is not offered {where}. It is offered in: "
        f"{', '.join(info.offered_scopes) or 'nowhere'}.",
    )


def _no_geography(data: CatalogData, info: ModelInfo, region: str) -> ModelNotAvailableError:
    return _unavailable(
        data,
        info,
        region,
        (),
        exclude="",
        model=info.id,
        text=f"Region {region} has no regional (geographic) inference profiles: Claude is "
        f"reached from there through 'global.' profiles only. {info.name} is offered in: "
        f"{', '.join(info.offered_scopes)}.",
    )


def _unavailable(
    data: CatalogData,
    info: ModelInfo,
    region: str,
    geos: tuple[str, ...],
    *,
    exclude: str,
    model: str,
    text: str,
) -> ModelNotAvailableError:
    """The error for a model the call cannot reach, ``text`` followed by what to use instead
    (the best other scope, from this Region when it can), so every such error suggests alike."""
    use, use_region = _suggestion(data, info, region, geos, exclude=exclude)
    tail = f" {_use_text(use, use_region, region)}" if use else ""
    return ModelNotAvailableError(
        f"{text}{tail}",
        model=model,
        region=region,
        offered_in=list(info.offered_scopes),
        suggestion=use,
    )


def _wrong_geography(
    data: CatalogData,
    model: str,
    prefix: str,
    info: ModelInfo,
    region: str,
    geos: tuple[str, ...],
) -> ModelNotAvailableError:
    if prefix == GLOBAL:  # a Region that cannot call global profiles (GovCloud)
        here = next((g for g in geos if g in info.scopes), None)
        instead = f" Use model '{info.profile_id(here)}'." if here else ""
        return ModelNotAvailableError(
            f"Model '{model}' is a global inference profile, which Region {region} cannot "
            f"call (global. profiles serve commercial Regions only).{instead}",
            model=model,
            region=region,
            offered_in=list(info.offered_scopes),
            suggestion=info.profile_id(here) if here else None,
        )
    home = data.geographies[prefix].default_region
    here = next((g for g in (*geos, GLOBAL) if g in info.scopes), None)
    alternative = f" or use model '{info.profile_id(here)}' from {region}" if here else ""
    region_geo = ", ".join(f"'{g}'" for g in geos) or "no geography"
    return ModelNotAvailableError(
        f"Model '{model}' is an inference profile of geography '{prefix}', but region "
        f"{region} is in {region_geo}: '{prefix}.' profiles are called from Regions of "
        f"that geography only. Use region {home} with model '{model}'{alternative}.",
        model=model,
        region=region,
        offered_in=list(info.offered_scopes),
        suggestion=info.profile_id(here) if here else model,
    )


def _suggestion(
    data: CatalogData, info: ModelInfo, region: str, geos: tuple[str, ...], *, exclude: str
) -> tuple[str | None, str]:
    """The best ID to use instead (and the Region to call it from): same Region first."""
    same_region = (GLOBAL, *geos) if exclude != GLOBAL else (*geos, GLOBAL)
    reachable = data.reachable_scopes(region)
    for scope in (s for s in same_region if s in reachable):
        if scope != exclude and scope in info.scopes:
            return info.profile_id(scope), region
    for scope in info.offered_scopes:
        if scope != GLOBAL and scope != exclude and scope in data.geographies:
            return info.profile_id(scope), data.geographies[scope].default_region
    return None, region


def _use_text(model_id: str | None, use_region: str, region: str) -> str:
    if use_region == region:
        return f"Use model '{model_id}' (works from {region})."
    return f"Use region {use_region} with model '{model_id}'."
