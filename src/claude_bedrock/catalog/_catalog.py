"""The :class:`Catalog`: the merged data plus the questions asked of it."""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from .._exceptions import (
    ContextWindowError,
    LegacyModelWarning,
    ModelIdMendedWarning,
    UnknownModelWarning,
)
from ..wire.messages_api import Surface
from . import _control_plane, _resolve
from ._control_plane import DEFAULT_ACCOUNT_ID
from ._load import CatalogData, Geography, build, load_documents, merge_files, read_sources
from ._resolve import Endpoint, InvocationCheck, RegionError, Resolution
from ._types import BatchLimits, ModelInfo, PdfLimits, ResolvedModel

ENV_VAR = "CLAUDE_BEDROCK_CATALOG"

#: (warning kind, ID) pairs already warned about: each warning is issued once per process.
_warned: set[tuple[str, str]] = set()
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
        """The active, generally available models with a 1M-token window, in catalogue order.

        (1M is native where offered; the 1M beta that used to open it retired 2026-04-30.)"""
        return [
            m
            for m in self._data.models.values()
            if m.context_window >= 1_000_000 and m.lifecycle == "active" and m.generally_available
        ]

    def newest(self, family: str, region: str, *, surface: Surface = "invoke") -> ModelInfo | None:
        """The newest generally available, active model of ``family`` (``opus``, ``sonnet``,
        ``haiku``, ``fable``) offered from ``region`` on ``surface``, per the data; None if
        there is none. What the family aliases resolve to."""
        return _resolve.newest(self._data, family.lower(), region, surface)

    def mended_ids(self) -> dict[str, str]:
        """Base IDs that documents print but Bedrock refuses -> the base ID it accepts."""
        return dict(self._data.mended)

    @property
    def as_of(self) -> str:
        """The date the built-in data was checked against its sources (ISO)."""
        return self._data.as_of

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

    def reachable_scopes(self, region: str) -> tuple[str, ...]:
        """The scopes a caller in ``region`` may use: ``global`` (not from GovCloud), then
        the Region's geographies, preferred first. An unknown Region gets ``global`` only."""
        if region not in self._data.regions:
            return ("global",)
        return self._data.reachable_scopes(region)

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
        """The model ID a call from ``region`` on ``surface`` must send.

        The catalogue advises, it never gates:

        * An ARN is passed through untouched (``scope="arn"``).
        * A well-formed ID the catalogue does not know is sent as written
          (``scope="unknown"``, ``info=None``: no cost) with one ``UnknownModelWarning``;
          only a name that cannot be a Bedrock model ID (botocore's pattern) raises
          InvalidModelError.
        * An ID that documents print but Bedrock refuses (``mended_ids``: Opus 4.6 with
          ``:0``) becomes the accepted one, with one ``ModelIdMendedWarning``.
        * ``opus``/``sonnet``/``haiku``/``fable`` pick :meth:`newest` for ``region`` and
          ``surface``; other aliases (``opus-4.8``, ``claude-sonnet-4-6``, API names) name
          one model.
        * With ``endpoint=None``: a profile ID (``global.``/``us.``/...) keeps its prefix,
          and a profile of another geography is refused. A *base* ID selects the regional
          endpoint (the ``{geo}.{base}`` profile of the Region's geography), an *alias* the
          global endpoint when the model and Region have one. ``endpoint="global"`` forces
          ``global.``; ``"regional"`` forces ``{geo}.``; ``"in-region"`` sends the bare ID.
        * ``surface="mantle"``: the model's bare bedrock-mantle ID (``scope="in-region"``);
          a profile ID is refused with the bare ID to use.
        * End of life raises ModelEndOfLifeError (date, successor); a Legacy model warns
          once (``LegacyModelWarning``, with its end-of-life date); a surface that a
          certain source says does not serve the model raises SurfaceNotSupportedError.

        Raises InvalidModelError, ModelNotAvailableError (not offered there: the message
        lists where it is and the ID to use instead) or RegionError.
        """
        outcome = _resolve.resolve(self._data, model, region, endpoint, surface)
        if warn:
            self._warn(outcome, model, stacklevel + 1)
        return outcome.resolved

    def check_invocation(
        self, model_id: str, region: str, surface: Surface = "invoke"
    ) -> InvocationCheck:
        """Bedrock's own rules for a model ID arriving on ``surface`` in ``region``.

        No aliases, no mending (``anthropic.claude-opus-4-6-v1:0`` is UNKNOWN_MODEL). The
        runtime (``invoke``, ``converse``, ``count-tokens``): a bare base ID means
        single-Region on-demand throughput, which only on-demand models accept there; a
        profile must exist and belong to the Region's geography (GovCloud calls no global
        profiles); ARNs are checked likewise, application profiles pass; end-of-life models
        are END_OF_LIFE; a surface a certain source says does not serve the model is
        NOT_ON_SURFACE. ``runtime-messages`` takes profile IDs only (BARE_ID_ON_MESSAGES);
        ``mantle`` takes bare mantle IDs only (PROFILE_ON_MANTLE). Answers a neutral
        :class:`~._verdicts.Verdict` (the emulator words it as Bedrock does);
        :meth:`validate_invocation` raises client errors instead.
        """
        return _resolve.check_invocation(self._data, model_id, region, surface)

    def validate_invocation(self, model_id: str, region: str) -> ResolvedModel:
        """Bedrock's own rules for the model ID of a runtime call arriving in ``region``.

        For the emulator: no aliases; a bare base ID means single-Region on-demand
        throughput, which only ON_DEMAND models accept; a profile must exist and belong to
        the Region's geography; model and profile ARNs are checked likewise, application
        profiles pass. Raises InvalidModelError or ModelNotAvailableError.
        """
        return _resolve.validate_invocation(self._data, model_id, region)

    def _warn(self, outcome: Resolution, model: str, stacklevel: int) -> None:
        resolved = outcome.resolved
        if outcome.unknown:
            _warn_once("unknown", resolved.model_id, self._unknown_text(outcome), stacklevel)
        if outcome.mended_from is not None:
            text = (
                f"Model ID {outcome.mended_from!r} is refused by Bedrock ('The provided model "
                f"identifier is invalid.'); sending {resolved.model_id!r}, the ID it accepts."
            )
            _warn_once("mended", outcome.mended_from, text, stacklevel, ModelIdMendedWarning)
        info = resolved.info
        if info is not None and info.lifecycle == "legacy":
            _warn_once("legacy", info.id, self._legacy_text(info), stacklevel, LegacyModelWarning)

    def _unknown_text(self, outcome: Resolution) -> str:
        hint = outcome.suggestions
        close = f" Close matches: {', '.join(repr(s) for s in hint)}." if hint else ""
        return (
            f"Model {outcome.resolved.model_id!r} is not in the bundled catalogue (checked "
            f"{self.as_of or 'at release'}): it is sent as written and Bedrock decides; its cost "
            f"is not computed.{close} To update the catalogue from your account's model lists: "
            "`claude-bedrock models --refresh` or `client.models.refresh()`."
        )

    def _legacy_text(self, info: ModelInfo) -> str:
        since = f" since {info.legacy_date.isoformat()}" if info.legacy_date else ""
        ends = info.eol_date.isoformat() if info.eol_date else "a date AWS has not announced"
        successor = self._data.models.get(info.successor or "")
        instead = f" Move to {successor.name} ({successor.id})." if successor else ""
        return (
            f"{info.name} ({info.id}) is a Legacy model on Bedrock{since}: it reaches end of "
            f"life on {ends}, after which Bedrock refuses it.{instead}"
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
    bigger = [m.name for m in catalog.context_1m_models()]
    if info.context_window < 1_000_000 and bigger:
        return f"{head} Shorten the prompt, or use a 1M-context model: {', '.join(bigger)}."
    return f"{head} Shorten the prompt or lower max_tokens."


@lru_cache(maxsize=8)
def _default_for(env_value: str) -> Catalog:
    paths = [p for p in env_value.split(os.pathsep) if p]
    return Catalog.load(*paths)


def _warn_once(
    kind: str,
    key: str,
    text: str,
    stacklevel: int,
    category: type[Warning] = UnknownModelWarning,
) -> None:
    with _warned_lock:
        if (kind, key) in _warned:
            return
        _warned.add((kind, key))
    warnings.warn(text, category, stacklevel=stacklevel + 1)


def _reset_deprecation_warnings() -> None:
    """Forget which IDs already warned (tests only: the rule is once per process)."""
    with _warned_lock:
        _warned.clear()


_reset_warnings = _reset_deprecation_warnings
