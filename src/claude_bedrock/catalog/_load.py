"""Reading the catalogue's JSON files and turning them into typed, indexed data.

The built-in files and any user files share one schema (top-level keys ``models``,
``geographies``, ``regions``, ``limits``); user files are merged over the built-in data,
models by ``id`` and everything else key by key, so a user file can add a model, change a
price or map a new Region without repeating the rest.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from .._exceptions import AnthropicError
from ..wire.messages_api import SURFACES, Surface
from ..wire.rules.context import CONTEXT_1M_BETA
from ._limits import _batch_limits, _pdf_limits
from ._types import BatchLimits, Lifecycle, ModelInfo, PdfLimits, Pricing, ThinkingRules

_HERE = Path(__file__).parent
BUILTIN_FILES = ("models.json", "regions.json", "limits.json")
SOURCES_FILE = "sources.json"
GLOBAL = "global"
_T = TypeVar("_T")
_REQUIRED = ("id", "name", "family", "version", "scopes", "context_window", "max_output_tokens")
# Anthropic's prompt-caching multipliers, used when a user file gives only input/output.
_CACHE_WRITE = Decimal("1.25")
_CACHE_WRITE_1H = Decimal(2)
_CACHE_READ = Decimal("0.1")


class CatalogDataError(AnthropicError, ValueError):
    """A catalogue file (built-in or given by the user) is missing data or malformed."""


@dataclass(frozen=True, slots=True)
class Geography:
    """One cross-Region inference geography (the ``us.`` in ``us.anthropic....``)."""

    code: str
    name: str
    default_region: str
    destination_regions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CatalogData:
    """The merged catalogue, indexed for the look-ups done on every call."""

    models: dict[str, ModelInfo]
    aliases: dict[str, str]
    geographies: dict[str, Geography]
    regions: dict[str, tuple[str, ...]]
    pdf_limits: PdfLimits
    batch_limits: BatchLimits
    context_1m_beta: str
    #: Base IDs that documents print but Bedrock refuses -> the base ID it accepts.
    mended: dict[str, str] = field(default_factory=dict)
    #: bedrock-mantle model ID -> base ID (where they differ, e.g. Haiku 4.5).
    mantle_ids: dict[str, str] = field(default_factory=dict)
    #: Regions that cannot call ``global.`` profiles (GovCloud).
    no_global: frozenset[str] = frozenset()
    #: The date the built-in data was checked against its sources.
    as_of: str = ""

    def reachable_scopes(self, region: str) -> tuple[str, ...]:
        """Scopes a caller in ``region`` may use: global (where allowed), then geographies."""
        geos = self.regions.get(region, ())
        return geos if region in self.no_global else (GLOBAL, *geos)


def read_json(path: Path) -> dict[str, Any]:
    """One catalogue file; prices come back as Decimal so arithmetic stays exact."""
    try:
        with path.open("rb") as fh:
            data = json.load(fh, parse_float=Decimal)
    except OSError as exc:
        raise CatalogDataError(f"cannot read catalogue file {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise CatalogDataError(f"catalogue file {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise CatalogDataError(f"catalogue file {path} must hold a JSON object at top level")
    return data


def deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``: nested objects merge, anything else is replaced."""
    out = dict(base)
    for key, value in over.items():
        old = out.get(key)
        if isinstance(old, dict) and isinstance(value, Mapping):
            out[key] = deep_merge(old, value)
        else:
            out[key] = value
    return out


def merge_files(documents: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """Merge catalogue documents in order; ``models`` merge by ``id``, later files win."""
    merged: dict[str, Any] = {}
    models: dict[str, dict[str, Any]] = {}
    for origin, doc in documents:
        for entry in doc.get("models", ()):
            if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
                raise CatalogDataError(f"{origin}: every entry of 'models' needs a string 'id'")
            model_id = entry["id"]
            models[model_id] = deep_merge(models.get(model_id, {}), entry)
        rest = {k: v for k, v in doc.items() if k != "models"}
        merged = deep_merge(merged, rest)
    merged["models"] = list(models.values())
    return merged


def load_documents(extra: Iterable[str | Path]) -> list[tuple[str, dict[str, Any]]]:
    docs = [(name, read_json(_HERE / name)) for name in BUILTIN_FILES]
    docs.extend((str(p), read_json(Path(p))) for p in extra)
    return docs


def build(merged: Mapping[str, Any]) -> CatalogData:
    """Validate merged data and index it (models by ID, aliases, Regions)."""
    limits = merged.get("limits", {})
    beta = str(limits.get("context_1m_beta", CONTEXT_1M_BETA))
    geographies = _geographies(merged.get("geographies", {}))
    scope_order = (GLOBAL, *geographies)
    regions = _regions(merged.get("regions", {}), geographies)
    no_global = frozenset(
        r
        for r, e in merged.get("regions", {}).items()
        if isinstance(e, Mapping) and e.get("global_profiles") is False
    )
    common = {
        "regional_premium_factor": Decimal(str(merged.get("regional_premium_factor", "1.1"))),
        "context_1m_beta": beta,
        "context_1m_tokens": int(limits.get("context_1m_tokens", 1_000_000)),
        "long_context_threshold": int(merged.get("long_context_threshold_tokens", 200_000)),
        "scope_order": scope_order,
    }
    mended = _mended(merged.get("mended_ids", ()))
    models: dict[str, ModelInfo] = {}
    for entry in merged.get("models", ()):
        info = _checked(f"model {entry.get('id')!r}", _model, entry, common)
        models[info.id] = info
    return CatalogData(
        models=models,
        aliases=_aliases(models),
        geographies=geographies,
        regions=regions,
        pdf_limits=_checked("limits.pdf", _pdf_limits, limits.get("pdf", {})),
        batch_limits=_checked("limits.batch", _batch_limits, limits.get("batch", {})),
        context_1m_beta=beta,
        mended=mended,
        mantle_ids={m.mantle_id: m.id for m in models.values() if m.mantle_id},
        no_global=no_global,
        as_of=str(merged.get("as_of", "")),
    )


def _mended(raw: Iterable[Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in raw:
        if not isinstance(entry, Mapping) or "id" not in entry or "accepted" not in entry:
            raise CatalogDataError("every entry of 'mended_ids' needs 'id' and 'accepted'")
        out[str(entry["id"])] = str(entry["accepted"])
    return out


def _checked(what: str, func: Callable[..., _T], *args: Any) -> _T:
    """Run a builder; a wrong type or value in the data becomes a CatalogDataError."""
    try:
        return func(*args)
    except CatalogDataError:
        raise
    except KeyError as exc:
        raise CatalogDataError(f"{what} lacks {exc.args[0]!r}") from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise CatalogDataError(f"{what} has a malformed value: {exc}") from exc


def normalize_alias(name: str) -> str:
    """Aliases match case-insensitively, with spaces or underscores standing for hyphens."""
    return "-".join(name.strip().lower().replace("_", " ").split())


def _geographies(raw: Mapping[str, Any]) -> dict[str, Geography]:
    out: dict[str, Geography] = {}
    for code, entry in raw.items():
        try:
            out[code] = Geography(
                code=code,
                name=str(entry.get("name", code.upper())),
                default_region=str(entry["default_region"]),
                destination_regions=tuple(entry.get("destination_regions", ())),
            )
        except (KeyError, AttributeError) as exc:
            raise CatalogDataError(f"geography {code!r} needs a 'default_region'") from exc
    return out


def _regions(
    raw: Mapping[str, Any], geographies: Mapping[str, Geography]
) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for region, entry in raw.items():
        geos = tuple(entry.get("geographies", ())) if isinstance(entry, Mapping) else ()
        unknown = [g for g in geos if g not in geographies]
        if unknown:
            raise CatalogDataError(f"region {region!r} names unknown geographies {unknown}")
        out[region] = geos
    return out


def _model(entry: Mapping[str, Any], common: Mapping[str, Any]) -> ModelInfo:
    missing = [k for k in _REQUIRED if k not in entry]
    model_id = entry.get("id", "?")
    if missing:
        raise CatalogDataError(f"model {model_id!r} lacks {', '.join(missing)}")
    scopes = frozenset(entry["scopes"])
    scope_order = common["scope_order"]
    unknown = sorted(scopes.difference(scope_order))
    if unknown:
        raise CatalogDataError(
            f"model {model_id!r} has unknown scopes {unknown}; known: {', '.join(scope_order)}"
        )
    pricing = _pricing(model_id, entry.get("pricing"))
    long = (entry.get("pricing") or {}).get("long_context") or {}
    threshold = int(long.get("above_prompt_tokens", common["long_context_threshold"]))
    return ModelInfo(
        id=model_id,
        name=str(entry["name"]),
        family=str(entry["family"]).lower(),
        version=str(entry["version"]),
        scopes=scopes,
        context_window=int(entry["context_window"]),
        max_output_tokens=int(entry["max_output_tokens"]),
        context_1m=bool(entry.get("context_1m", False)),
        successor=entry.get("successor"),
        aliases=tuple(entry.get("aliases", ())),
        pricing=pricing,
        regional_premium=bool(entry.get("regional_premium", False)),
        release_date=_date(entry.get("release_date")),
        bedrock_name=str(entry.get("bedrock_name") or entry["name"]),
        api_name=entry.get("api_name"),
        on_demand=bool(entry.get("on_demand", False)),
        max_output_tokens_beta=tuple(
            (str(k), int(v)) for k, v in entry.get("max_output_tokens_beta", {}).items()
        ),
        lifecycle=_lifecycle(entry),
        legacy_date=_date(entry.get("legacy_date")),
        eol_date=_date(entry.get("eol_date")),
        public_extended_access_date=_date(entry.get("public_extended_access_date")),
        eol_not_before=_date(entry.get("eol_not_before")),
        on_demand_regions=frozenset(entry.get("on_demand_regions", ())),
        mantle_regions=frozenset(entry.get("mantle_regions", ())),
        surfaces=_surfaces(entry.get("surfaces", _RUNTIME)),
        surfaces_certain=_surfaces(entry.get("surfaces_certain", ())),
        mantle_id=entry.get("mantle_id"),
        generally_available=bool(entry.get("generally_available", True)),
        batch=bool(entry.get("batch", True)),
        thinking=_thinking(entry.get("thinking") or {}),
        sources=tuple(
            (str(k), tuple(str(x) for x in v)) for k, v in (entry.get("sources") or {}).items()
        ),
        checked=_date(entry.get("checked")),
        notes=str(entry.get("notes", "")),
        **{**common, "long_context_threshold": threshold},
    )


_RUNTIME = ("invoke", "converse", "count-tokens")
_LIFECYCLES: tuple[Lifecycle, ...] = ("active", "legacy", "eol")


def _date(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def _lifecycle(entry: Mapping[str, Any]) -> Lifecycle:
    """``lifecycle``; a schema-1 file's ``deprecated: true`` still means Legacy."""
    value = entry.get("lifecycle") or ("legacy" if entry.get("deprecated") else "active")
    for known in _LIFECYCLES:
        if value == known:
            return known
    raise CatalogDataError(f"lifecycle must be one of {', '.join(_LIFECYCLES)}, not {value!r}")


def _surfaces(raw: Iterable[Any]) -> frozenset[Surface]:
    out: set[Surface] = set()
    for name in raw:
        surface = next((s for s in SURFACES if s == name), None)
        if surface is None:
            raise CatalogDataError(f"unknown surface {name!r}; known: {', '.join(SURFACES)}")
        out.add(surface)
    return frozenset(out)


def _thinking(raw: Mapping[str, Any]) -> ThinkingRules:
    return ThinkingRules(
        default=str(raw.get("default", "off")),
        refuses=frozenset(str(x) for x in raw.get("refuses", ())),
        budget_tokens=bool(raw.get("budget_tokens", True)),
        default_effort=raw.get("default_effort"),
        sampling=str(raw.get("sampling", "any")),
        forced_tool_choice=bool(raw.get("forced_tool_choice", True)),
        assistant_prefill=bool(raw.get("assistant_prefill", True)),
        lowest=raw.get("lowest"),
        note=str(raw.get("note", "")),
    )


def _price(block: Mapping[str, Any], key: str, default: Decimal | None) -> Decimal | None:
    """A price; missing means ``default`` (the usual multiplier), an explicit null "not
    offered" (1-hour cache writes on older models)."""
    if key not in block:
        return default
    value = block[key]
    return None if value is None else Decimal(str(value))


def _pricing(model_id: str, block: Any) -> Pricing:
    if not isinstance(block, Mapping) or "input" not in block or "output" not in block:
        raise CatalogDataError(f"model {model_id!r} needs 'pricing' with 'input' and 'output'")
    inp = Decimal(str(block["input"]))
    long = block.get("long_context") or {}
    long_in = _price(long, "input", None)
    return Pricing(
        input=inp,
        output=Decimal(str(block["output"])),
        cache_write=_price(block, "cache_write", inp * _CACHE_WRITE) or Decimal(0),
        cache_read=_price(block, "cache_read", inp * _CACHE_READ) or Decimal(0),
        cache_write_1h=_price(block, "cache_write_1h", inp * _CACHE_WRITE_1H),
        long_context_input=long_in,
        long_context_output=_price(long, "output", None),
        long_context_cache_write=_price(long, "cache_write", _mul(long_in, _CACHE_WRITE)),
        long_context_cache_read=_price(long, "cache_read", _mul(long_in, _CACHE_READ)),
        long_context_cache_write_1h=_price(long, "cache_write_1h", _mul(long_in, _CACHE_WRITE_1H)),
        source=_source_text(block.get("source", "")),
    )


def _source_text(value: Any) -> str:
    """A ``source``: one key of sources.json or a list of them (joined with ", ")."""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _mul(value: Decimal | None, factor: Decimal) -> Decimal | None:
    return None if value is None else value * factor


def _aliases(models: Mapping[str, ModelInfo]) -> dict[str, str]:
    """Every name a model answers to, plus ``opus``/``sonnet``/``haiku``/``fable`` for the newest.

    Names are computed from the data (API name, the ID without its version suffix, the
    mantle ID, ``{family}-{version}`` spellings) besides the row's own ``aliases``. The family
    aliases here are the Region-independent default; resolution picks per Region with
    :func:`newest`. Only generally available, active models become a family's default.
    """
    out: dict[str, str] = {}
    newest: dict[str, ModelInfo] = {}
    for info in models.values():
        for name in _names(info):
            out.setdefault(normalize_alias(name), info.id)
        best = newest.get(info.family)
        if _default_candidate(info) and (best is None or newer(info, best)):
            newest[info.family] = info
    for family, info in newest.items():
        out.setdefault(family, info.id)
    return out


def _names(info: ModelInfo) -> list[str]:
    short = info.id.removesuffix("-v1:0").removesuffix(":0").removesuffix("-v1")
    dashed = info.version.replace(".", "-")
    return [
        *info.aliases,
        *([info.api_name] if info.api_name else []),
        *([info.mantle_id] if info.mantle_id else []),
        short,
        short.removeprefix("anthropic."),
        f"claude-{info.family}-{dashed}",
        f"claude-{info.family}-{info.version}",
        f"{info.family}-{info.version}",
        f"{info.family}-{dashed}",
    ]


def _default_candidate(info: ModelInfo) -> bool:
    return info.generally_available and info.lifecycle == "active"


def newer(a: ModelInfo, b: ModelInfo) -> bool:
    """Whether ``a`` is a newer model than ``b`` (release date, then version)."""
    return (a.release_date or date.min, a.version) > (b.release_date or date.min, b.version)


def read_sources() -> dict[str, Any]:
    """Where each fact comes from; read only when someone asks (not on the call path)."""
    sources = read_json(_HERE / SOURCES_FILE).get("sources", {})
    return dict(sources) if isinstance(sources, Mapping) else {}
