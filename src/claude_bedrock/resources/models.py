"""``client.models``: the model catalogue, and the account's live lists over it.

* ``resolve(model, endpoint=...)`` - which ID will a call use? No request (the same
  resolution ``messages.create`` does, against the client's current catalogue).
* ``refresh()`` - read the account's lists for the client's Region (ListFoundationModels
  ``byProvider=anthropic``, ListInferenceProfiles ``type=SYSTEM_DEFINED`` on every page,
  and bedrock-mantle's model list where it can be read), cache them per account and Region
  (:mod:`claude_bedrock.catalog._live_cache`) and make the client resolve against them
  merged over the bundled data (:mod:`claude_bedrock.catalog._live`): the lists decide what
  is offered and the lifecycle, the bundle supplies prices and limits.
* ``use_cached(max_age=...)`` - the same from the cache an earlier refresh by the same
  identity wrote, without a request; None when there is none young enough.
* ``list()`` / ``retrieve(model)`` - entries that put the bundle's facts beside what
  Bedrock reports (``offline=True``: the bundle alone). They read, they do not install.

How a later run picks the lists up: **only on request.** A new client resolves against the
bundled catalogue until it calls ``refresh()`` or ``use_cached()``: a library whose answers
change with a file in the home directory would surprise (a laptop and a CI runner would
disagree), and the open-world catalogue already sends any well-formed ID. The CLI's
``models`` command uses the cache when it is younger than a day and says how old it is.

Requests and merging are written once, as flows (:mod:`._flow`) the sync and async
classes drive.
"""

from __future__ import annotations

import os
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, Union
from urllib.parse import quote, urlencode

import httpx

from .._body import invalid, json_body, json_object, repeated_token
from .._exceptions import AnthropicError, BadRequestError, NotFoundError
from .._shapes import OBJECT_OR_NULL, TEXT_OR_NULL, Check, Shape, problem
from ..catalog import Catalog, ModelInfo, ResolvedModel
from ..catalog import _live_cache as cache
from ..catalog._live import LiveCatalog, LiveLists, merge, parse_mantle_models
from ..catalog._live_check import differences
from ..types.models import Disagreement, LiveModels, ModelEntry
from . import _model_entries
from ._flow import Blocking, Flow, Request, arun, run
from ._raw import RawResponses

if TYPE_CHECKING:
    from .._client import AnthropicBedrock, AsyncAnthropicBedrock
    from .._request_core import RequestCore

__all__ = ["DEFAULT_MAX_AGE", "AsyncModels", "Models"]

_Client = Union["AnthropicBedrock", "AsyncAnthropicBedrock"]

Endpoint = Literal["global", "regional"]
Timeout = float | httpx.Timeout | None
# Module-level names: inside the classes, ``list`` is the method.
_Summaries = list[dict[str, Any]]
_Entries = list[ModelEntry]

#: How old cached lists may be for ``use_cached()`` and the CLI (seconds): one day.
DEFAULT_MAX_AGE = 24 * 3600.0
_PROVIDER = "anthropic"
#: ListInferenceProfiles' largest page (botocore: MaxResults max 1000): one request usually.
_PAGE_SIZE = 1000
_FOUNDATION_MODELS = "/foundation-models?" + urlencode({"byProvider": _PROVIDER})
_OBJECTS: Check = (
    lambda v: v is None or (isinstance(v, list) and all(isinstance(i, dict) for i in v)),
    "a list of objects",
)
#: The control-plane answers read, by operation: the members the client reads (others pass).
_ANSWERS: dict[str, Shape] = {
    "ListFoundationModels": {"modelSummaries": (False, _OBJECTS)},
    "ListInferenceProfiles": {
        "inferenceProfileSummaries": (False, _OBJECTS), "nextToken": (False, TEXT_OR_NULL),
    },
    "GetFoundationModel": {"modelDetails": (False, OBJECT_OR_NULL)},
}  # fmt: skip
#: bedrock-mantle's model list (OpenAI-compatible path; shape unconfirmed on Bedrock).
_MANTLE_MODELS = "/v1/models"


class _ModelsBase(RawResponses):
    def __init__(self, client: _Client) -> None:
        self._client = client

    def resolve(self, model: str, *, endpoint: Endpoint | None = None) -> ResolvedModel:
        """The ID a call with ``model`` will send from the client's Region (no request).

        Accepts aliases (``"opus-4.6"``), base IDs, profile IDs and ARNs; raises
        InvalidModelError or ModelNotAvailableError (naming where the model is offered and
        the ID to use instead) exactly as ``messages.create`` would.
        """
        return self._client._core.resolve_model(model, endpoint)

    @property
    def live(self) -> LiveModels | None:
        """The live lists this client resolves against (None: the bundled catalogue only)."""
        catalog = self._client._core.catalog
        return _status(catalog) if isinstance(catalog, LiveCatalog) else None

    def use_cached(self, *, max_age: float = DEFAULT_MAX_AGE) -> LiveModels | None:
        """Resolve against the lists an earlier ``refresh()`` by this identity cached for
        this Region, if they are at most ``max_age`` seconds old. No request; None (and
        nothing changed) when there are none."""
        core = self._client._core
        found = cache.find(core.aws_region, _identity(core))
        if found is None or found.age_seconds() > max_age:
            return None
        try:
            lists = LiveLists.from_json(found.document)
        except (KeyError, TypeError, ValueError):
            return None  # a damaged file: as if there were none
        return _install(core, lists, "cache", str(found.path))

    def differences(self) -> list[Disagreement]:
        """Where the bundled catalogue and the installed live lists disagree for this
        Region (empty when they agree). Raises ValueError before a refresh."""
        catalog = self._client._core.catalog
        if not isinstance(catalog, LiveCatalog):
            raise ValueError("no live lists yet: call models.refresh() or models.use_cached()")
        return [Disagreement(**d.to_json()) for d in differences(catalog.base, catalog.lists)]

    def entries(self) -> _Entries:
        """The entries of the client's current catalogue (live lists if installed), without
        a request."""
        core = self._client._core
        catalog = core.catalog
        if isinstance(catalog, LiveCatalog):
            return _model_entries.entries(
                catalog.base, core.aws_region, core.endpoint, catalog.lists, catalog
            )
        return _model_entries.entries(catalog, core.aws_region, core.endpoint)


class Models(_ModelsBase):
    """Synchronous ``client.models``."""

    _client: AnthropicBedrock

    def refresh(self, *, mantle: bool | None = None, timeout: Timeout = None) -> LiveModels:
        """Read the account's model lists for the client's Region, cache them, and resolve
        against them from now on. ``mantle``: read bedrock-mantle's model list too (None:
        only when the client uses a Bedrock API key, which that host accepts)."""
        return run(self._client, _refresh(self._client, mantle, timeout))

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
    """asyncio ``client.models`` (``resolve`` and ``use_cached`` send nothing, so they are
    not coroutines)."""

    _client: AsyncAnthropicBedrock

    async def refresh(self, *, mantle: bool | None = None, timeout: Timeout = None) -> LiveModels:
        """See :meth:`Models.refresh`."""
        return await arun(self._client, _refresh(self._client, mantle, timeout))

    async def list(self, *, offline: bool = False, timeout: Timeout = None) -> _Entries:
        """See :meth:`Models.list`."""
        return await arun(self._client, _list(self._client, offline, timeout))

    async def retrieve(
        self, model: str, *, offline: bool = False, timeout: Timeout = None
    ) -> ModelEntry:
        """See :meth:`Models.retrieve`."""
        return await arun(self._client, _retrieve(self._client, model, offline, timeout))


# -- the operations, once (:mod:`._flow`) -------------------------------------------------


def _refresh(client: _Client, mantle: bool | None, timeout: Timeout) -> Flow[LiveModels]:
    core = client._core
    lists = yield from _fetch(client, mantle, timeout)
    ident = _identity(core)
    path = yield Blocking(partial(_store, lists, ident))
    if path is None:
        lists = _with_note(lists, "the cache directory could not be written: not cached")
    return _install(core, lists, "bedrock", path)


def _list(client: _Client, offline: bool, timeout: Timeout) -> Flow[_Entries]:
    core = client._core
    base = _base(core.catalog)
    if offline:
        return _model_entries.entries(base, core.aws_region, core.endpoint)
    lists = yield from _fetch(client, False, timeout)
    return _model_entries.entries(base, core.aws_region, core.endpoint, lists, merge(base, lists))


def _retrieve(client: _Client, model: str, offline: bool, timeout: Timeout) -> Flow[ModelEntry]:
    core = client._core
    base = _base(core.catalog)
    info, base_id = _identify(base, model, need_catalog=offline)
    if offline:
        assert info is not None
        return _model_entries.entry(base, info, core.aws_region, core.endpoint)
    try:
        details = yield from _get(
            f"/foundation-models/{quote(base_id, safe='')}", timeout, "GetFoundationModel"
        )
    except (NotFoundError, BadRequestError):
        if info is None:
            raise
        details = {}
    summary = details.get("modelDetails")
    profiles = yield from _profiles(timeout)
    lists = LiveLists.from_answers(core.aws_region, [summary] if summary else [], profiles)
    merged = merge(base, lists)
    found = merged.identify(base_id)
    assert found is not None  # known to the bundle, or listed (else GetFoundationModel raised)
    return _model_entries.entry(base, found, core.aws_region, core.endpoint, lists, merged)


def _fetch(client: _Client, mantle: bool | None, timeout: Timeout) -> Flow[LiveLists]:
    core = client._core
    summaries = yield from _get(_FOUNDATION_MODELS, timeout, "ListFoundationModels")
    profiles = yield from _profiles(timeout)
    mantle_ids, notes = yield from _mantle_models(core, mantle, timeout)
    return LiveLists.from_answers(
        core.aws_region,
        summaries.get("modelSummaries") or [],
        profiles,
        mantle_models=mantle_ids,
        notes=notes,
    )


def _profiles(timeout: Timeout) -> Flow[_Summaries]:
    out: _Summaries = []
    token: str | None = None
    while True:
        page = yield from _get(_profiles_path(token), timeout, "ListInferenceProfiles")
        out.extend(page.get("inferenceProfileSummaries") or [])
        token = page.get("nextToken")
        if not token:
            return out


def _mantle_models(
    core: RequestCore, wanted: bool | None, timeout: Timeout
) -> Flow[tuple[list[str] | None, list[str]]]:
    """bedrock-mantle's model list, or (None, [why not]): optional, and never fatal."""
    if wanted is False:
        return None, []
    if wanted is None and core.api_key is None:
        return None, [
            "bedrock-mantle's model list was not read: this client signs for 'bedrock', "
            "and mantle wants SigV4 for 'bedrock-mantle' or a Bedrock API key "
            "(refresh(mantle=True) tries anyway)."
        ]
    url = _mantle_url(core) + _MANTLE_MODELS
    try:
        response = yield Request("GET", "runtime", _MANTLE_MODELS, url=url,
                                 options={"timeout": timeout})  # fmt: skip
        ids = parse_mantle_models(json_body(response, "ListModels"))
    except (AnthropicError, ValueError) as exc:
        return None, [f"bedrock-mantle's model list ({url}) was not read: {_short(exc)}."]
    if ids is None:
        return None, [f"bedrock-mantle's model list ({url}) has a shape we do not know: skipped."]
    return ids, []


def _get(path: str, timeout: Timeout, operation: str) -> Flow[dict[str, Any]]:
    """A control-plane answer, what the client reads of it checked (:data:`_ANSWERS`)."""
    response = yield Request("GET", "control", path, options={"timeout": timeout})
    page = json_object(response, operation, empty=False)
    found = problem(page, _ANSWERS[operation])
    if found is None and repeated_token(path, page) is not None:
        found = "the nextToken it was sent (the same page again, for ever)"
    if found is not None:
        raise invalid(response, f"{operation} answered with {found}", page)
    return page


# -- helpers ----------------------------------------------------------------------------------


def _install(core: RequestCore, lists: LiveLists, source: str, path: str | None) -> LiveModels:
    """Make ``core`` resolve against ``lists`` over its bundled catalogue."""
    merged = merge(core.catalog, lists)
    merged.source, merged.cache_path = source, path
    core.catalog = merged
    return _status(merged)


def _status(catalog: LiveCatalog) -> LiveModels:
    lists = catalog.lists
    return LiveModels(
        account=lists.account,
        region=lists.region,
        fetched_at=lists.fetched_at,
        source="cache" if catalog.source == "cache" else "bedrock",
        cache_path=catalog.cache_path,
        models=list(lists.summaries()),
        profiles=[str(p.get("inferenceProfileId")) for p in lists.inference_profiles],
        mantle_models=None if lists.mantle_models is None else list(lists.mantle_models),
        notes=list(lists.notes),
    )


def _store(lists: LiveLists, ident: str) -> str | None:
    """Write the cache file (blocking work); None when the directory cannot be written."""
    account = lists.account or f"identity-{ident[:12]}"
    try:
        return str(cache.write(lists.to_json(), account, lists.region, ident))
    except OSError:
        return None


def _with_note(lists: LiveLists, note: str) -> LiveLists:
    from dataclasses import replace

    return replace(lists, notes=(*lists.notes, note))


def _identity(core: RequestCore) -> str:
    """This client's cache fingerprint: endpoint + a non-secret label of its credentials."""
    credentials = core._credentials
    if core.api_key is not None:
        label = cache.api_key_label(core.api_key)
    elif credentials is not None and credentials.method == "explicit":
        label = "key:" + credentials.get().access_key
    elif core.aws_profile:
        label = "profile:" + core.aws_profile
    elif os.environ.get("AWS_ACCESS_KEY_ID"):
        label = "key:" + os.environ["AWS_ACCESS_KEY_ID"]
    elif os.environ.get("AWS_PROFILE"):
        label = "profile:" + os.environ["AWS_PROFILE"]
    else:
        label = "default-chain"
    return cache.fingerprint(core.endpoints.control, label)


def _mantle_url(core: RequestCore) -> str:
    """bedrock-mantle's base URL: AWS's host for the Region, or the client's own endpoint
    when it points elsewhere (the emulator, a proxy)."""
    runtime = core.endpoints.runtime
    if runtime == f"https://bedrock-runtime.{core.aws_region}.amazonaws.com":
        return f"https://bedrock-mantle.{core.aws_region}.api.aws"
    return runtime


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:160]}" if text else type(exc).__name__


def _profiles_path(token: str | None) -> str:
    query = {"maxResults": str(_PAGE_SIZE), "type": "SYSTEM_DEFINED"}
    if token:
        query["nextToken"] = token
    return "/inference-profiles?" + urlencode(query)


def _base(catalog: Catalog) -> Catalog:
    return catalog.base if isinstance(catalog, LiveCatalog) else catalog


def _identify(catalog: Catalog, model: str, *, need_catalog: bool) -> tuple[ModelInfo | None, str]:
    """The catalogue's entry (if any) and the base model ID behind ``model``."""
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
