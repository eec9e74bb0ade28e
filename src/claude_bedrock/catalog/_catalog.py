"""The :class:`Catalog`: the merged data plus the questions asked of it."""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from .._exceptions import ContextWindowError
from ..wire.messages_api import Surface
from . import _control_plane, _resolve
from ._control_plane import DEFAULT_ACCOUNT_ID
from ._load import CatalogData, Geography, build, load_documents, merge_files, read_sources
from ._resolve import Endpoint, InvocationCheck, RegionError
from ._types import BatchLimits, ModelInfo, PdfLimits, ResolvedModel

ENV_VAR = "CLAUDE_BEDROCK_CATALOG"

_warned: set[str] = set()
_warned_lock = threading.Lock()


class Catalog:
    """Claude models on Bedrock, the Regions that reach them, their prices and limits.

    ``Catalog.default()`` is the built-in data, extended by the files named in
    ``CLAUDE_BEDROCK_CATALOG`` (paths separated by ``os.pathsep``); ``Catalog.load(path)``
    builds one with other files on top. Files share the built-in schema and merge by model
    ``id`` (see ``models.json``).
    """

    __slots__ = ("_data", "paths")

    def __init__(self, data: CatalogData, paths: tuple[str, ...] = ()) -> None:
        self._data = data
        self.paths = paths

    @classmethod
    def load(cls, *paths: str | Path) -> Catalog:
        """The built-in catalogue with ``paths`` merged over it, in order."""
        merged = merge_files(load_documents(paths))
        return cls(build(merged), tuple(str(p) for p in paths))

    @classmethod
    def default(cls) -> Catalog:
        """The shared catalogue (cached per value of ``CLAUDE_BEDROCK_CATALOG``)."""
        return _default_for(os.environ.get(ENV_VAR, ""))

    def __repr__(self) -> str:
        extra = f" + {', '.join(self.paths)}" if self.paths else ""
        return f"<Catalog {len(self._data.models)} models{extra}>"

    # -- models -------------------------------------------------------------------------

    def models(self) -> list[ModelInfo]:
        """Every model, in catalogue order (newest first within the built-in data)."""
        return list(self._data.models.values())

    def context_1m_models(self) -> list[ModelInfo]:
        """The current models that offer the 1M-token context window, in catalogue order."""
        return [m for m in self._data.models.values() if m.context_1m and not m.deprecated]

    def get(self, model: str) -> ModelInfo:
        """A model by base ID, inference-profile ID or alias.

        Raises InvalidModelError, with close matches in ``suggestions``, when unknown.
        """
        return _resolve.lookup(self._data, model)[1]

    def identify(self, model: str) -> ModelInfo | None:
        """Best-effort: the model behind any ID, alias or model/profile ARN, else None."""
        if model.startswith("arn:"):
            resource = model.rsplit("/", 1)[-1]
            return self._data.models.get(_resolve.split_prefix(self._data, resource)[1])
        try:
            return self.get(model)
        except ValueError:
            return None

    def aliases(self) -> dict[str, str]:
        """Every alias (normalised: lower case, hyphens) and the base ID it stands for."""
        return dict(self._data.aliases)

    # -- regions ------------------------------------------------------------------------

    def regions(self) -> list[str]:
        return sorted(self._data.regions)

    def geographies(self, region: str) -> tuple[str, ...]:
        """The geographies whose profiles ``region`` may call, preferred first (may be empty)."""
        return _resolve.region_geographies(self._data, region)

    def geography(self, region: str) -> str:
        """The preferred geography of ``region`` (``us``, ``eu``, ``jp``, ``apac``).

        Raises RegionError for an unknown Region (naming the known ones) and for a Region
        reached through global profiles only (af-south-1).
        """
        geos = self.geographies(region)
        if not geos:
            raise RegionError(
                f"Region {region} has no geographic inference profiles: Claude is reached "
                f"from there through 'global.' profiles only.",
                region=region,
                known_regions=self.regions(),
            )
        return geos[0]

    def geography_info(self, code: str) -> Geography:
        return self._data.geographies[code]

    # -- resolution ---------------------------------------------------------------------

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
        """The model ID a call from ``region`` must put in its URL.

        * An ARN is passed through untouched, without checks (``scope="arn"``).
        * With ``endpoint=None``: a profile ID (``global.``/``us.``/...) keeps its prefix,
          and a ``us.`` ID from a non-US Region is refused. A *base* ID selects the
          regional endpoint, as Anthropic's Bedrock guide says ("drop the ``global.``
          prefix for the regional endpoint"): cross-Region inference inside the Region's
          geography, i.e. the ``{geo}.{base}`` profile. An *alias* selects the global
          endpoint when the model has one, else the Region's geography.
        * ``endpoint="global"`` forces ``global.``; ``"regional"`` forces ``{geo}.``;
          ``"in-region"`` sends the bare base ID (single-Region on-demand, Claude 3 Haiku
          and 3.5 Haiku only).

        Raises InvalidModelError (unknown model, with suggestions), ModelNotAvailableError
        (not offered there: the message lists where it is and the ID to use instead) or
        RegionError. A deprecated model warns once per process (DeprecationWarning).
        """
        resolved = _resolve.resolve(self._data, model, region, endpoint)
        if warn and resolved.info is not None and resolved.info.deprecated:
            self._warn_deprecated(resolved.info, stacklevel)
        return resolved

    def check_invocation(
        self, model_id: str, region: str, surface: Surface = "invoke"
    ) -> InvocationCheck:
        """Bedrock's own rules for the model ID of a runtime call arriving in ``region``.

        No aliases; a bare base ID means single-Region on-demand throughput, which only
        ON_DEMAND models accept; a profile must exist and belong to the Region's
        geography; model and profile ARNs are checked likewise, application profiles pass.
        Answers a neutral :class:`~._resolve.Verdict` (the emulator words it as Bedrock
        does); :meth:`validate_invocation` raises client errors instead.
        """
        return _resolve.check_invocation(self._data, model_id, region)

    def validate_invocation(self, model_id: str, region: str) -> ResolvedModel:
        """Bedrock's own rules for the model ID of a runtime call arriving in ``region``.

        For the emulator: no aliases; a bare base ID means single-Region on-demand
        throughput, which only ON_DEMAND models accept; a profile must exist and belong to
        the Region's geography; model and profile ARNs are checked likewise, application
        profiles pass. Raises InvalidModelError or ModelNotAvailableError.
        """
        return _resolve.validate_invocation(self._data, model_id, region)

    def _warn_deprecated(self, info: ModelInfo, stacklevel: int) -> None:
        with _warned_lock:
            if info.id in _warned:
                return
            _warned.add(info.id)
        successor = self._data.models.get(info.successor or "")
        instead = f"; use {successor.name} ({successor.id}) instead" if successor else ""
        warnings.warn(
            f"{info.name} ({info.id}) is deprecated{instead}.",
            DeprecationWarning,
            stacklevel=stacklevel + 1,
        )

    # -- limits -------------------------------------------------------------------------

    @property
    def pdf_limits(self) -> PdfLimits:
        return self._data.pdf_limits

    @property
    def batch_limits(self) -> BatchLimits:
        return self._data.batch_limits

    @property
    def context_1m_beta(self) -> str:
        return self._data.context_1m_beta

    def check_fits(
        self,
        info: ModelInfo,
        *,
        max_tokens: int,
        input_tokens: int | None = None,
        betas: Iterable[str] = (),
    ) -> None:
        """Raise ContextWindowError when ``max_tokens`` or the prompt cannot fit the model."""
        sent = tuple(betas)
        out_limit = info.output_limit(sent)
        if max_tokens > out_limit:
            raise ContextWindowError(
                f"max_tokens={max_tokens} is more than {info.name} can write "
                f"({out_limit} output tokens). Lower max_tokens to {out_limit} or less."
            )
        if input_tokens is None:
            return
        limit = info.context_limit(sent)
        if input_tokens + max_tokens <= limit:
            return
        raise ContextWindowError(_context_advice(self, info, input_tokens, max_tokens, limit))

    def sources(self) -> dict[str, Any]:
        """Where each fact comes from (``sources.json``), keyed as the data's ``source``."""
        return read_sources()

    # -- control plane (emulator, CLI) --------------------------------------------------

    def foundation_models(self, region: str, **filters: str | None) -> list[dict[str, Any]]:
        """ListFoundationModels ``modelSummaries`` (filters: by_provider, ...)."""
        self.geographies(region)
        return _control_plane.foundation_models(self._data, region, **filters)

    def foundation_model(self, region: str, model_id: str) -> dict[str, Any] | None:
        return _control_plane.foundation_model(self._data, region, model_id)

    def inference_profiles(
        self, region: str, account_id: str = DEFAULT_ACCOUNT_ID
    ) -> list[dict[str, Any]]:
        """ListInferenceProfiles ``inferenceProfileSummaries`` for ``region``."""
        self.geographies(region)
        return _control_plane.inference_profiles(self._data, region, account_id)

    def inference_profile(
        self, region: str, profile_id: str, account_id: str = DEFAULT_ACCOUNT_ID
    ) -> dict[str, Any] | None:
        return _control_plane.inference_profile(self._data, region, profile_id, account_id)


def _context_advice(
    catalog: Catalog, info: ModelInfo, input_tokens: int, max_tokens: int, limit: int
) -> str:
    need = input_tokens + max_tokens
    head = (
        f"{input_tokens} input tokens + max_tokens={max_tokens} = {need} tokens do not fit "
        f"the {limit}-token context window of {info.name}."
    )
    if info.context_1m and limit < info.context_1m_tokens and need <= info.context_1m_tokens:
        return f"{head} Send the beta flag {info.context_1m_beta!r} to get 1M tokens."
    bigger = [m.name for m in catalog.models() if m.context_1m and not m.deprecated]
    if not info.context_1m and bigger:
        return f"{head} Shorten the prompt, or use a 1M-context model: {', '.join(bigger)}."
    return f"{head} Shorten the prompt or lower max_tokens."


@lru_cache(maxsize=8)
def _default_for(env_value: str) -> Catalog:
    paths = [p for p in env_value.split(os.pathsep) if p]
    return Catalog.load(*paths)


def _reset_deprecation_warnings() -> None:
    """Forget which models already warned (tests only: the rule is once per process)."""
    with _warned_lock:
        _warned.clear()
