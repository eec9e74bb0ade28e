"""The Messages-API surfaces' rules: bedrock-mantle's bare in-Region IDs, and which surface
serves which model.

bedrock-mantle takes bare ``anthropic.`` IDs only (no ``global.``/``us.`` profiles; it is
in-Region only), and for some models its ID differs from the runtime's (Haiku 4.5 is
``anthropic.claude-haiku-4-5`` there). bedrock-runtime's Messages API takes profile IDs like
InvokeModel. A surface is refused before sending only when a source marked certain says it
does not serve the model (:meth:`ModelInfo.refuses`); the error names the surfaces that do
and how to reach each.
"""

from __future__ import annotations

from .._exceptions import ModelNotAvailableError, SurfaceNotSupportedError
from ..wire.messages_api import SURFACES, Surface
from ._load import CatalogData, normalize_alias
from ._resolve import (
    FAMILIES,
    IN_REGION,
    InvocationCheck,
    Resolution,
    Verdict,
    _family,
    _unknown,
    end_of_life,
    find,
    mend,
    split_prefix,
)
from ._types import ModelInfo, ResolvedModel

#: How a caller reaches each surface with this package.
HOW_TO_REACH: dict[Surface, str] = {
    "invoke": "AnthropicBedrock(...).messages.create(...) (InvokeModel)",
    "converse": "AnthropicBedrock(...).converse(...) (Converse)",
    "count-tokens": "AnthropicBedrock(...).messages.count_tokens(...) (CountTokens)",
    "runtime-messages": 'AnthropicBedrock(...).messages.create(..., api="messages") '
    "(bedrock-runtime's Messages API)",
    "mantle": "AnthropicBedrockMantle(...).messages.create(...) (bedrock-mantle)",
}


def served_by(info: ModelInfo) -> list[Surface]:
    """The surfaces that serve ``info`` according to the data, in :data:`SURFACES` order."""
    return [s for s in SURFACES if s in info.surfaces]


def check_surface(
    data: CatalogData, info: ModelInfo, model: str, region: str, surface: Surface
) -> None:
    """Raise SurfaceNotSupportedError when a certain source says ``surface`` does not serve
    ``info``; otherwise (served, or not known) do nothing: Bedrock decides."""
    if not info.refuses(surface):
        return
    serving = served_by(info)
    ways = "; ".join(f"{s}: {HOW_TO_REACH[s]}" for s in serving) or "none known"
    suggestion = info.mantle_model_id() if serving == ["mantle"] else None
    raise SurfaceNotSupportedError(
        f"{info.name} is not served on the {surface} surface (per the catalogue's sources). "
        f"It is served by: {ways}.",
        model=model,
        region=region,
        surface=surface,
        served_by=list(serving),
        suggestion=suggestion,
    )


def resolve_mantle(data: CatalogData, name: str, region: str) -> Resolution:
    """bedrock-mantle: the model's bare mantle ID, in-Region (``scope="in-region"``)."""
    mended = mend(data, name)
    info: ModelInfo | None
    if normalize_alias(name) in FAMILIES:
        prefix, info = None, _family(data, normalize_alias(name), region, "mantle")
    else:
        prefix, info, _ = find(data, mended)
    if prefix is not None or mended.startswith("arn:"):
        raise _profile_on_mantle(data, mended, info, region)
    if info is None:
        return _unknown(data, name, region, None)
    check_surface(data, info, mended, region, "mantle")
    if info.end_of_life:
        raise end_of_life(data, info, mended, region)
    resolved = ResolvedModel(info.mantle_model_id(), info, IN_REGION, "regional", region)
    mended_from = name if resolved.model_id != name and mended != name else None
    return Resolution(resolved, mended_from=mended_from)


def _profile_on_mantle(
    data: CatalogData, model: str, info: ModelInfo | None, region: str
) -> ModelNotAvailableError:
    bare = info.mantle_model_id() if info is not None else split_prefix(data, model)[1]
    return ModelNotAvailableError(
        f"bedrock-mantle takes bare model IDs only (it serves in-Region, without cross-Region "
        f"inference profiles or ARNs): use model '{bare}' instead of '{model}'. For "
        f"inference profiles use {HOW_TO_REACH['runtime-messages']} or "
        f"{HOW_TO_REACH['invoke']}.",
        model=model,
        region=region,
        offered_in=[IN_REGION],
        suggestion=bare,
    )


def check_mantle(data: CatalogData, model_id: str, region: str) -> InvocationCheck:
    """Bedrock's rules on bedrock-mantle: bare IDs, in-Region, models mantle serves."""
    prefix, base = split_prefix(data, model_id)
    if prefix is not None or model_id.startswith("arn:"):
        return InvocationCheck(Verdict.PROFILE_ON_MANTLE, model_id, scope=prefix)
    known = data.mantle_ids.get(base) or base
    info = data.models.get(known)
    if info is None:
        return InvocationCheck(Verdict.UNKNOWN_MODEL, model_id)
    if info.end_of_life:
        return InvocationCheck(Verdict.END_OF_LIFE, model_id, info)
    if model_id != info.mantle_model_id():  # a runtime spelling mantle does not take
        return InvocationCheck(Verdict.UNKNOWN_MODEL, model_id)
    if info.refuses("mantle"):
        return InvocationCheck(Verdict.NOT_ON_SURFACE, model_id, info)
    ok = ResolvedModel(model_id, info, IN_REGION, "regional", region)
    return InvocationCheck(Verdict.OK, model_id, info, None, ok)
