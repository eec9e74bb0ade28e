"""The catalogue's data as of December 2026: the fact sheet's facts, Regions, limits,
sources (every row and price block sourced and dated), user override files."""

from __future__ import annotations

import json
import os
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import claude_bedrock.catalog as catalog
from claude_bedrock._exceptions import ContextWindowError
from claude_bedrock.catalog import (
    CONTEXT_1M_BETA,
    ENV_VAR,
    Catalog,
    CatalogDataError,
    RegionError,
    cost,
)

from ._spec import END_OF_LIFE, MANTLE_IDS, PRICES, SPEC_TABLE, WINDOW_200K

CAT = Catalog.default()
SRC = Path(catalog.__file__).parent
MODELS_JSON = json.loads((SRC / "models.json").read_text())
INVITATION_ONLY = {
    "anthropic.claude-mythos-5-1",
    "anthropic.claude-mythos-5",
    "anthropic.claude-mythos-preview",
}


def test_every_current_model_with_its_scopes() -> None:
    current = [m for m in CAT.models() if m.generally_available and m.lifecycle != "eol"]
    assert [m.id for m in current] == [base for _, base, _ in SPEC_TABLE]
    for name, base, offered in SPEC_TABLE:
        info = CAT.get(base)
        assert info.name == name
        assert info.scopes == frozenset(offered)
    assert {m.id for m in CAT.models() if not m.generally_available} == INVITATION_ONLY
    assert {m.id for m in CAT.models() if m.lifecycle == "eol"} == set(END_OF_LIFE)


def test_opus_46_has_no_colon_zero() -> None:
    info = CAT.get("opus-4.6")
    assert info.id == "anthropic.claude-opus-4-6-v1"
    assert "anthropic.claude-opus-4-6-v1:0" not in {m.id for m in CAT.models()}
    assert CAT.mended_ids() == {"anthropic.claude-opus-4-6-v1:0": "anthropic.claude-opus-4-6-v1"}


def test_mantle_ids() -> None:
    served = {m.id: m.mantle_id for m in CAT.models() if m.mantle_id and m.generally_available}
    assert served == MANTLE_IDS
    assert CAT.get("opus-4.6").refuses("mantle")  # A-LEGACY / A-MANTLE: runtime only
    mythos = CAT.get("anthropic.claude-mythos-5")
    assert mythos.surfaces == {"mantle"} and mythos.refuses("invoke")


@pytest.mark.parametrize(("name", "base", "offered"), SPEC_TABLE, ids=[r[0] for r in SPEC_TABLE])
def test_windows_and_output_limits(name: str, base: str, offered: tuple[str, ...]) -> None:
    info = CAT.get(base)
    if base in WINDOW_200K:
        assert info.context_window == 200_000
        assert info.max_output_tokens == (32_000 if "4-1" in base else 64_000)
    else:
        assert (info.context_window, info.max_output_tokens) == (1_000_000, 128_000)
    assert not info.context_1m  # the 1M beta opens nothing any more


def test_successors_of_end_of_life_models() -> None:
    for base, (_, day, successor) in END_OF_LIFE.items():
        info = CAT.get(base)
        assert (info.lifecycle, str(info.eol_date), info.successor) == ("eol", day, successor)
    ids = {m.id for m in CAT.models()}
    for info in CAT.models():
        assert info.successor is None or info.successor in ids


def test_regional_premium_for_sonnet_45_and_later_only() -> None:
    premium = {m.id for m in CAT.models() if m.regional_premium}
    older = {"anthropic.claude-opus-4-1-20250805-v1:0", *END_OF_LIFE}
    assert premium == {m.id for m in CAT.models()} - older
    assert CAT.get("sonnet-4.5").pricing_for("regional").input == Decimal("3.3")
    assert CAT.get("opus-4.1").pricing_for("regional").input == Decimal(15)


@pytest.mark.parametrize("base", sorted(PRICES))
def test_list_prices(base: str) -> None:
    inp, out, write_5m, write_1h, read = PRICES[base]
    p = CAT.get(base).pricing
    assert (p.input, p.output, p.cache_write, p.cache_read) == tuple(
        Decimal(v) for v in (inp, out, write_5m, read)
    )
    assert p.cache_write_1h == (None if write_1h is None else Decimal(write_1h))
    # One price whatever the length, except Haiku 5.5's tier above 100K-token prompts.
    assert p.has_long_context == (base == "anthropic.claude-haiku-5-5")


def test_haiku_55_tier() -> None:
    info = CAT.get("haiku-5.5")
    assert info.long_context_threshold == 100_000
    p = info.pricing
    assert (p.long_context_input, p.long_context_output) == (Decimal("0.5"), Decimal("2.5"))
    assert p.long_context_cache_read == Decimal("0.05")


@pytest.mark.parametrize(
    ("region", "geo"),
    [
        ("us-east-1", "us"), ("us-east-2", "us"), ("us-west-1", "us"), ("us-west-2", "us"),
        ("ca-central-1", "us"),
        ("eu-central-1", "eu"), ("eu-central-2", "eu"), ("eu-west-1", "eu"), ("eu-west-2", "eu"),
        ("eu-west-3", "eu"), ("eu-north-1", "eu"), ("eu-south-1", "eu"), ("eu-south-2", "eu"),
        ("ap-northeast-1", "jp"), ("ap-northeast-3", "jp"),
        ("ap-northeast-2", "apac"), ("ap-south-1", "in"), ("ap-south-2", "in"),
        ("ap-southeast-1", "apac"), ("ap-southeast-2", "au"), ("ap-southeast-4", "au"),
        ("us-gov-west-1", "us-gov"), ("us-gov-east-1", "us-gov"),
    ],
)  # fmt: skip
def test_region_geography(region: str, geo: str) -> None:
    assert CAT.geography(region) == geo


def test_two_geography_regions() -> None:
    assert CAT.geographies("ap-northeast-1") == ("jp", "apac")
    assert CAT.geographies("ap-southeast-2") == ("au", "apac")
    assert CAT.geographies("ap-south-1") == ("in", "apac")


def test_region_errors() -> None:
    for region in ("af-south-1", "sa-east-1", "ap-southeast-3", "ca-west-1", "il-central-1",
                   "me-central-1"):  # fmt: skip
        with pytest.raises(RegionError, match="global.' profiles only"):
            CAT.geography(region)
    with pytest.raises(RegionError, match="Known Regions: af-south-1, ap-northeast-1"):
        CAT.geography("cn-north-1")


def test_every_row_names_known_sources_and_its_check_date() -> None:
    """The issue's rule: a test fails if a row or a price block has no source."""
    sources = CAT.sources()
    for entry in MODELS_JSON["models"]:
        model = entry["id"]
        assert entry.get("sources"), model
        assert {"ids", "scopes", "limits", "lifecycle"} <= set(entry["sources"]), model
        for group, keys in entry["sources"].items():
            assert keys and set(keys) <= set(sources), (model, group)
        assert date.fromisoformat(entry["checked"]) <= date(2026, 12, 3), model
        block = entry["pricing"]
        assert block.get("source") in sources, model
        tier = block.get("long_context")
        if tier:
            assert tier["source"] in sources, model
    for mended in MODELS_JSON["mended_ids"]:
        assert set(mended["source"]) <= set(sources)
    for key, entry in sources.items():
        assert entry.get("title"), key


def test_every_region_and_geography_is_sourced() -> None:
    raw = json.loads((SRC / "regions.json").read_text())
    sources = CAT.sources()
    for table in ("regions", "geographies"):
        for name, entry in raw[table].items():
            assert entry["source"] in sources, f"{table}.{name}"
    for code, geo in raw["geographies"].items():
        assert geo["default_region"] in raw["regions"], code
        assert code in raw["regions"][geo["default_region"]]["geographies"], code


def _source_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k.endswith("source") and isinstance(v, str)]
        return found + [r for v in node.values() for r in _source_refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _source_refs(v)]
    return []


def test_every_price_block_and_limit_names_a_known_source() -> None:
    sources = CAT.sources()
    models = MODELS_JSON
    for entry in models["models"]:
        assert entry["pricing"]["source"] in sources
    limits = json.loads((SRC / "limits.json").read_text())
    refs = _source_refs(models) + _source_refs(limits)
    assert refs and set(refs) <= set(sources)


def test_limits() -> None:
    pdf, batch = catalog.pdf_limits, catalog.batch_limits
    assert pdf is CAT.pdf_limits and batch is CAT.batch_limits
    assert (pdf.max_pages, pdf.converse_max_documents) == (100, 5)
    assert pdf.converse_max_document_bytes == int(4.5 * 1024 * 1024)
    assert pdf.document_name_max_length == 200 and "pdf" in pdf.document_formats
    assert (batch.min_records_per_job, batch.max_records_per_job) == (100, 50_000)
    assert batch.max_input_file_bytes == 1024**3 and batch.max_job_bytes == 5 * 1024**3
    assert batch.price_factor == Decimal("0.5")
    assert CONTEXT_1M_BETA == CAT.context_1m_beta == "context-1m-2025-08-07"
    with pytest.raises(AttributeError):
        _ = catalog.no_such_thing


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("Annual report 2024", True),
        ("report-(draft) [v2]", True),
        ("Résumé", False),  # live reports: non-ASCII letters are refused
        ("a", True),
        ("x" * 200, True),
        ("", False),
        ("x" * 201, False),
        ("two  spaces", False),
        ("report.pdf", False),
        ("under_score", True),  # live reports: accepted though AWS does not list it
        ("tab\there", False),
        ("slash/name", False),
    ],
)
def test_converse_document_names(name: str, ok: bool) -> None:
    assert (catalog.pdf_limits.document_name_problem(name) is None) == ok


def test_limits_agree_with_botocore() -> None:
    import botocore.loaders

    shapes = botocore.loaders.Loader().load_service_model("bedrock-runtime", "service-2")["shapes"]
    assert shapes["Body"]["max"] == catalog.pdf_limits.invoke_max_body_bytes
    name = shapes["DocumentBlockNameString"]
    assert (name["min"], name["max"]) == (1, catalog.pdf_limits.document_name_max_length)
    assert set(shapes["DocumentFormat"]["enum"]) == set(catalog.pdf_limits.document_formats)
    assert "up to five documents" in shapes["Message"]["members"]["content"]["documentation"]


def test_check_fits() -> None:
    sonnet, opus = CAT.get("sonnet-4.5"), CAT.get("opus-4.6")
    CAT.check_fits(sonnet, max_tokens=64_000, input_tokens=136_000)
    for betas in ((), (CONTEXT_1M_BETA,)):  # the retired beta no longer opens 1M
        with pytest.raises(ContextWindowError, match="1M-context model: Claude Opus 5.5"):
            CAT.check_fits(sonnet, max_tokens=1000, input_tokens=300_000, betas=betas)
    CAT.check_fits(opus, max_tokens=1000, input_tokens=300_000)
    with pytest.raises(ContextWindowError, match="64000 output tokens"):
        CAT.check_fits(sonnet, max_tokens=64_001)
    sonnet_37 = CAT.get("anthropic.claude-3-7-sonnet-20250219-v1:0")
    CAT.check_fits(sonnet_37, max_tokens=128_000, betas=["output-128k-2025-02-19"])


def _write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc))
    return path


NEW_MODEL = {
    "id": "anthropic.claude-opus-9-v1:0",
    "name": "Claude Opus 9",
    "family": "opus",
    "version": "9",
    "release_date": "2030-01-01",
    "scopes": ["global", "eu"],
    "context_window": 500000,
    "max_output_tokens": 200000,
    "aliases": ["opus-9"],
    "pricing": {"input": 2, "output": 10},
}


def test_user_file_adds_and_overrides(tmp_path: Path) -> None:
    extra = _write(
        tmp_path / "extra.json",
        {
            "models": [
                NEW_MODEL,
                {"id": "anthropic.claude-opus-4-1-20250805-v1:0", "scopes": ["us", "eu"]},
                {"id": "anthropic.claude-3-haiku-20240307-v1:0", "pricing": {"output": 2}},
            ],
            "regions": {"me-central-1": {"geographies": ["eu"]}},
        },
    )
    cat = Catalog.load(extra)
    new = cat.get("opus-9")
    assert cat.get("opus") is new  # the newest opus moves the family alias
    assert new.pricing.cache_write == Decimal("2.5")  # Anthropic multipliers by default
    assert cat.resolve("opus-4.1", "eu-west-1").model_id == (
        "eu.anthropic.claude-opus-4-1-20250805-v1:0"
    )
    haiku_3 = cat.get("haiku-3").pricing
    assert (haiku_3.input, haiku_3.output) == (Decimal("0.25"), Decimal(2))
    assert cat.geography("me-central-1") == "eu"
    assert cost(new, {"input_tokens": 1000}, "global") == 0.002
    assert len(cat.models()) == len(CAT.models()) + 1
    assert CAT.get("opus").id == "anthropic.claude-opus-5-5"  # default untouched
    assert cat.resolve("opus", "eu-west-1").model_id == "global.anthropic.claude-opus-9-v1:0"


def test_env_var_extends_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _write(tmp_path / "a.json", {"models": [NEW_MODEL]})
    second = _write(tmp_path / "b.json", {"models": [{**NEW_MODEL, "name": "Claude Opus Nine"}]})
    monkeypatch.setenv(ENV_VAR, f"{first}{os.pathsep}{second}")
    cat = Catalog.default()
    assert cat.get("opus-9").name == "Claude Opus Nine"
    assert Catalog.default() is cat
    monkeypatch.delenv(ENV_VAR)
    assert Catalog.default() is CAT


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"models": [{"name": "x"}]}, "needs a string 'id'"),
        ({"models": [{"id": "anthropic.new-v1:0", "name": "New"}]}, "lacks family"),
        ({"models": [{**NEW_MODEL, "scopes": ["mars"]}]}, "unknown scopes"),
        ({"models": [{**NEW_MODEL, "pricing": {"input": 1}}]}, "'input' and 'output'"),
        ({"regions": {"x-1": {"geographies": ["moon"]}}}, "unknown geographies"),
        ({"geographies": {"zz": {"name": "ZZ"}}}, "default_region"),
        ({"models": [{**NEW_MODEL, "lifecycle": "retired"}]}, "lifecycle must be"),
        ({"models": [{**NEW_MODEL, "surfaces": ["fax"]}]}, "unknown surface"),
        ({"mended_ids": [{"id": "x"}]}, "'accepted'"),
        ({"limits": {"pdf": {"max_pages": None}}}, "max_pages"),
    ],
)
def test_malformed_user_files(tmp_path: Path, doc: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogDataError, match=re.escape(message)):
        Catalog.load(_write(tmp_path / "bad.json", doc))


def test_unreadable_user_files(tmp_path: Path) -> None:
    with pytest.raises(CatalogDataError, match="cannot read"):
        Catalog.load(tmp_path / "missing.json")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(CatalogDataError, match="not valid JSON"):
        Catalog.load(tmp_path / "broken.json")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(CatalogDataError, match="JSON object"):
        Catalog.load(tmp_path / "list.json")


def test_identify() -> None:
    assert CAT.identify("nonsense") is None
    arn = "arn:aws:bedrock:us-east-1:1:inference-profile/us.anthropic.claude-opus-4-6-v1"
    assert CAT.identify(arn) is CAT.get("opus-4.6")
    assert CAT.identify("eu.anthropic.claude-3-haiku-20240307-v1:0") is CAT.get("haiku-3")
    assert CAT.identify("anthropic.claude-haiku-4-5") is CAT.get("haiku-4.5")  # mantle ID
    assert "sonnet" in CAT.aliases()
    assert repr(CAT).startswith(f"<Catalog {len(MODELS_JSON['models'])} models")
