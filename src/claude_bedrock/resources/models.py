"""``client.models``: the model catalogue merged with what Bedrock reports.

Three questions, three methods:

* ``resolve(model, endpoint=...)`` - which ID will a call use? The catalogue alone, no
  request (the same resolution ``messages.create`` does).
* ``list()`` - every Claude model: the catalogue's facts (scopes, context, prices,
  deprecation) next to what Bedrock's control plane says for this account and Region
  (ListFoundationModels ``byProvider=anthropic`` and the system-defined inference profiles
  of ListInferenceProfiles). Models Bedrock lists that the catalogue does not know are
  included, with ``in_catalog=False``. ``offline=True`` skips the requests.
* ``retrieve(model)`` - one model (alias, base ID, profile ID or ARN), with
  GetFoundationModel instead of the listing.

The requests and the merge are written once, as flows (:mod:`._flow`) that the sync and
async classes drive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Union
from urllib.parse import quote, urlencode

import httpx

from .._exceptions import BadRequestError, ClientValidationError, NotFoundError
from ..catalog import Catalog, ModelInfo, Pricing, ResolvedModel
from ..types.models import ModelEntry, Prices, ScopeStatus
from ._flow import Flow, Request, arun, run

if TYPE_CHECKING:
    from .._client import AnthropicBedrock, AsyncAnthropicBedrock

__all__ = ["AsyncModels", "Models"]

_Client = Union["AnthropicBedrock", "AsyncAnthropicBedrock"]

Endpoint = Literal["global", "regional"]
Timeout = float | httpx.Timeout | None
# Module-level names: inside the classes, ``list`` is the method.
_Summaries = list[dict[str, Any]]
_Entries = list[ModelEntry]

_PROVIDER = "anthropic"
_GLOBAL = "global"
#: ListInferenceProfiles' largest page (botocore: MaxResults max 1000): one request usually.
_PAGE_SIZE = 1000
_FOUNDATION_MODELS = "/foundation-models?" + urlencode({"byProvider": _PROVIDER})


class _ModelsBase:
    def __init__(self, client: _Client) -> None:
        self._client = client

    def resolve(self, model: str, *, endpoint: Endpoint | None = None) -> ResolvedModel:
        """The ID a call with ``model`` will send from the client's Region (no request).

        Accepts aliases (``"opus-4.6"``), base IDs, profile IDs and ARNs; raises
        InvalidModelError or ModelNotAvailableError (naming where the model is offered and
        the ID to use instead) exactly as ``messages.create`` would.
        """
        return self._client._core.resolve_model(model, endpoint)


class Models(_ModelsBase):
    """Synchronous ``client.models``."""

    _client: AnthropicBedrock

    def list(self, *, offline: bool = False, timeout: Timeout = None) -> _Entries:
        """Every Claude model, the catalogue's facts merged with Bedrock's answers."""
        return run(self._client, _list(self._client, offline, timeout))

    def retrieve(self, model: str, *, offline: bool = False, timeout: Timeout = None) -> ModelEntry:
        """One model by alias, base ID, inference-profile ID or ARN.

        Online, GetFoundationModel says whether Bedrock has the model in this Region
        (``listed``); a model the catalogue knows is returned even when Bedrock does not
        list it there. An ID neither knows raises (NotFoundError / InvalidModelError).
        """
        return run(self._client, _retrieve(self._client, model, offline, timeout))


class AsyncModels(_ModelsBase):
    """asyncio ``client.models`` (``resolve`` needs no request, so it is not a coroutine)."""

    _client: AsyncAnthropicBedrock

    async def list(self, *, offline: bool = False, timeout: Timeout = None) -> _Entries:
        """See :meth:`Models.list`."""
        return await arun(self._client, _list(self._client, offline, timeout))

    async def retrieve(
        self, model: str, *, offline: bool = False, timeout: Timeout = None
    ) -> ModelEntry:
        """See :meth:`Models.retrieve`."""
        return await arun(self._client, _retrieve(self._client, model, offline, timeout))


# -- the operations, once (:mod:`._flow`) -------------------------------------------------


def _list(client: _Client, offline: bool, timeout: Timeout) -> Flow[_Entries]:
    region, prefer = _context(client)
    if offline:
        return catalog_entries(region, prefer)
    summaries = yield from _get(_FOUNDATION_MODELS, timeout)
    profiles = yield from _profiles(timeout)
    return merge(region, prefer, summaries.get("modelSummaries") or [], profiles)


def _retrieve(client: _Client, model: str, offline: bool, timeout: Timeout) -> Flow[ModelEntry]:
    region, prefer = _context(client)
    info, base_id = _identify(model, need_catalog=offline)
    if offline:
        assert info is not None
        return catalog_entry(info, region, prefer)
    try:
        details = yield from _get(f"/foundation-models/{quote(base_id, safe='')}", timeout)
    except (NotFoundError, BadRequestError):
        if info is None:
            raise
        details = {}
    summary = details.get("modelDetails")
    profiles = yield from _profiles(timeout)
    return single(region, prefer, info, base_id, summary, profiles)


def _profiles(timeout: Timeout) -> Flow[_Summaries]:
    out: _Summaries = []
    token: str | None = None
    while True:
        page = yield from _get(_profiles_path(token), timeout)
        out.extend(page.get("inferenceProfileSummaries") or [])
        token = page.get("nextToken")
        if not token:
            return out


def _get(path: str, timeout: Timeout) -> Flow[dict[str, Any]]:
    response = yield Request("GET", "control", path, options={"timeout": timeout})
    return _json_object(response)


# -- requests -----------------------------------------------------------------------------


def _profiles_path(token: str | None) -> str:
    query = {"maxResults": str(_PAGE_SIZE), "type": "SYSTEM_DEFINED"}
    if token:
        query["nextToken"] = token
    return "/inference-profiles?" + urlencode(query)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    data = response.json()
    if not isinstance(data, dict):
        raise ValueError(f"Bedrock answered {type(data).__name__}, expected a JSON object")
    return data


def _context(client: _Client) -> tuple[str, Endpoint | None]:
    core = client._core
    return core.aws_region, core.endpoint


def _identify(model: str, *, need_catalog: bool) -> tuple[ModelInfo | None, str]:
    """The catalogue's entry (if any) and the base model ID behind ``model``."""
    catalog = Catalog.default()
    info = catalog.identify(model)
    if info is not None:
        return info, info.id
    if need_catalog:
        catalog.get(model)  # raises InvalidModelError, with close matches
    resource = model.rsplit("/", 1)[-1] if model.startswith("arn:") else model.strip()
    head, _, rest = resource.partition(".")
    # A profile ID is "{scope}.{provider}.{model}": the base ID has exactly one dot less.
    base = rest if rest.count(".") >= 1 and "-" not in head else resource
    return None, base


# -- merging ------------------------------------------------------------------------------


def catalog_entries(region: str, prefer: Endpoint | None = None) -> list[ModelEntry]:
    """The catalogue-only view (``list(offline=True)``) from ``region``."""
    return [catalog_entry(info, region, prefer) for info in Catalog.default().models()]


def catalog_entry(info: ModelInfo, region: str, prefer: Endpoint | None = None) -> ModelEntry:
    return _catalog_entry(info, region, prefer, _Reported(online=False))


def merge(
    region: str,
    prefer: Endpoint | None,
    summaries: Iterable[Mapping[str, Any]],
    profiles: Iterable[Mapping[str, Any]],
) -> list[ModelEntry]:
    """Catalogue models (in catalogue order), then the Anthropic models only Bedrock knows."""
    reported = _Reported(online=True, summaries=summaries, profiles=profiles)
    catalog = Catalog.default()
    entries = [_catalog_entry(info, region, prefer, reported) for info in catalog.models()]
    known = {entry.id for entry in entries}
    extra = [base for base in reported.model_ids() if base not in known]
    return entries + [_bedrock_only_entry(base, region, reported) for base in extra]


def single(
    region: str,
    prefer: Endpoint | None,
    info: ModelInfo | None,
    base_id: str,
    summary: Mapping[str, Any] | None,
    profiles: Iterable[Mapping[str, Any]],
) -> ModelEntry:
    """One model, from GetFoundationModel's ``modelDetails`` (None: not in this Region)."""
    reported = _Reported(online=True, summaries=[summary] if summary else [], profiles=profiles)
    if info is not None:
        return _catalog_entry(info, region, prefer, reported)
    return _bedrock_only_entry(base_id, region, reported)


class _Reported:
    """What the control plane answered, indexed by base model ID."""

    def __init__(
        self,
        *,
        online: bool,
        summaries: Iterable[Mapping[str, Any]] = (),
        profiles: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        self.online = online
        self.summaries: dict[str, Mapping[str, Any]] = {}
        for summary in summaries:
            model_id = summary.get("modelId")
            if isinstance(model_id, str) and model_id.startswith(f"{_PROVIDER}."):
                self.summaries[model_id] = summary
        # base ID -> {scope: profile ID}, in Bedrock's order
        self.profiles: dict[str, dict[str, str]] = {}
        for profile in profiles:
            parsed = _profile_scope(profile)
            if parsed is not None:
                base, scope, profile_id = parsed
                self.profiles.setdefault(base, {})[scope] = profile_id

    def model_ids(self) -> list[str]:
        return list(dict.fromkeys([*self.summaries, *self.profiles]))

    def listed(self, base: str) -> bool | None:
        return (base in self.summaries) if self.online else None

    def has_profile(self, base: str, scope: str) -> bool | None:
        return (scope in self.profiles.get(base, {})) if self.online else None


def _profile_scope(profile: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(base ID, scope, profile ID) of a system-defined Anthropic profile, else None."""
    profile_id = profile.get("inferenceProfileId")
    models = profile.get("models") or []
    if not isinstance(profile_id, str) or not models:
        return None
    arn = str(models[0].get("modelArn", ""))
    base = arn.rsplit("foundation-model/", 1)[-1]
    if not base.startswith(f"{_PROVIDER}.") or not profile_id.endswith(f".{base}"):
        return None
    return base, profile_id[: -len(base) - 1], profile_id


def _reachable(region: str) -> tuple[str, ...]:
    return Catalog.default().reachable_scopes(region)  # GovCloud: no global profiles


def _catalog_entry(
    info: ModelInfo, region: str, prefer: Endpoint | None, reported: _Reported
) -> ModelEntry:
    reachable = _reachable(region)
    scopes = [
        ScopeStatus(
            scope=scope,
            profile_id=info.profile_id(scope),
            offered=scope in info.scopes,
            reachable=scope in reachable,
            reported=reported.has_profile(info.id, scope) if scope in reachable else None,
        )
        for scope in info.scope_order or info.offered_scopes
    ]
    known = {s.scope for s in scopes}
    for scope, profile_id in reported.profiles.get(info.id, {}).items():
        if scope not in known:  # a geography the catalogue does not model (au., ca....)
            scopes.append(ScopeStatus(scope=scope, profile_id=profile_id, offered=False,
                                      reachable=True, reported=True))  # fmt: skip
    summary = reported.summaries.get(info.id, {})
    geographic = any(s != _GLOBAL for s in info.scopes)
    return ModelEntry(
        id=info.id,
        name=info.name,
        in_catalog=True,
        region=region,
        recommended_id=_recommended(info, region, prefer, reported),
        family=info.family,
        version=info.version,
        scopes=scopes,
        context_window=info.context_window,
        context_1m_tokens=info.context_1m_tokens if info.context_1m else None,
        context_1m_beta=info.context_1m_beta if info.context_1m else None,
        max_output_tokens=info.max_output_tokens,
        pricing_global=_prices(info.pricing_for("global")) if _GLOBAL in info.scopes else None,
        pricing_regional=_prices(info.pricing_for("regional")) if geographic else None,
        deprecated=info.deprecated,
        successor=info.successor,
        aliases=list(info.aliases),
        listed=reported.listed(info.id),
        **_from_summary(summary),
    )


def _bedrock_only_entry(base: str, region: str, reported: _Reported) -> ModelEntry:
    summary = reported.summaries.get(base, {})
    profiles = reported.profiles.get(base, {})
    scopes = [
        ScopeStatus(
            scope=scope, profile_id=profile_id, offered=False, reachable=True, reported=True
        )  # fmt: skip
        for scope, profile_id in sorted(profiles.items(), key=lambda kv: kv[0] != _GLOBAL)
    ]
    types = summary.get("inferenceTypesSupported") or []
    recommended = scopes[0].profile_id if scopes else (base if "ON_DEMAND" in types else None)
    status = (summary.get("modelLifecycle") or {}).get("status")
    return ModelEntry(
        id=base,
        name=str(summary.get("modelName") or base),
        in_catalog=False,
        region=region,
        recommended_id=recommended,
        scopes=scopes,
        deprecated=status == "LEGACY",
        listed=reported.listed(base),
        **_from_summary(summary),
    )


def _from_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    if not summary:
        return {}
    lifecycle = summary.get("modelLifecycle") or {}
    return {
        "model_arn": summary.get("modelArn"),
        "lifecycle_status": lifecycle.get("status"),
        "inference_types": list(summary.get("inferenceTypesSupported") or []),
    }


def _recommended(
    info: ModelInfo, region: str, prefer: Endpoint | None, reported: _Reported
) -> str | None:
    """The ID to send from ``region``: the preferred endpoint type first (global unless the
    client says regional), then the other, then the bare base ID (single-Region on-demand).
    Online, a candidate Bedrock reports wins over one it does not."""
    order: list[Any] = ["regional", "global"] if prefer == "regional" else ["global", "regional"]
    catalog = Catalog.default()
    candidates: list[ResolvedModel] = []
    for endpoint in [*order, "in-region"]:
        try:
            candidates.append(catalog.resolve(info.id, region, endpoint, warn=False))
        except ClientValidationError:
            continue
    if not candidates:
        return None
    if reported.online:
        for candidate in candidates:
            if _is_reported(candidate, reported):
                return candidate.model_id
    return candidates[0].model_id


def _is_reported(candidate: ResolvedModel, reported: _Reported) -> bool:
    base = candidate.base_id or ""
    if candidate.scope == "in-region":
        return bool(reported.listed(base))
    return bool(reported.has_profile(base, candidate.scope))


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
