"""Model resolution (open world): every (model, scope) pair of Bedrock's December 2026 table,
aliases and the newest model per Region, mended and unknown IDs, end of life and Legacy,
ARNs and errors."""

from __future__ import annotations

import warnings
from typing import Literal

import pytest

from claude_bedrock._exceptions import (
    InvalidModelError,
    LegacyModelWarning,
    ModelEndOfLifeError,
    ModelIdMendedWarning,
    ModelNotAvailableError,
    UnknownModelWarning,
)
from claude_bedrock.catalog import Catalog, RegionError, resolve
from claude_bedrock.catalog._catalog import _reset_deprecation_warnings

from ._spec import END_OF_LIFE, HOME_REGION, LEGACY, PAIRS, SCOPES, SPEC_TABLE

CAT = Catalog.default()
GEOGRAPHIES = {
    "us-west-2": ("us",),
    "us-east-1": ("us",),
    "eu-west-1": ("eu",),
    "ap-northeast-1": ("jp", "apac"),
    "ap-southeast-4": ("au", "apac"),
    "ap-southeast-2": ("au", "apac"),
    "ap-south-2": ("in", "apac"),
    "us-gov-west-1": ("us-gov",),
}


@pytest.fixture(autouse=True)
def _quiet_lifecycle() -> None:
    """Legacy rows (Opus 4.1, Sonnet 4.5) warn; those warnings are tested apart."""
    warnings.simplefilter("ignore", LegacyModelWarning)


def _pair_id(pair: tuple[object, ...]) -> str:
    return f"{pair[0]}-{pair[2]}"


@pytest.mark.parametrize("pair", PAIRS, ids=_pair_id)
def test_profile_id_of_every_pair(pair: tuple[str, str, str, bool, tuple[str, ...]]) -> None:
    name, base, scope, offered, offered_in = pair
    region = HOME_REGION[scope]
    model = f"{scope}.{base}"
    if offered:
        got = CAT.resolve(model, region)
        assert (got.model_id, got.scope, got.region) == (model, scope, region)
        assert got.endpoint_type == ("global" if scope == "global" else "regional")
        assert got.info is not None and got.info.id == base and got.info.name == name
        return
    with pytest.raises(ModelNotAvailableError) as err:
        CAT.resolve(model, region)
    assert err.value.offered_in == list(offered_in)
    assert f"It is offered in: {', '.join(offered_in)}." in str(err.value)
    assert err.value.suggestion is not None
    suggested_scope = err.value.suggestion.split(".", 1)[0]
    assert suggested_scope in offered_in
    assert err.value.suggestion == f"{suggested_scope}.{base}"
    assert err.value.suggestion in str(err.value)


@pytest.mark.parametrize("pair", PAIRS, ids=_pair_id)
def test_forced_endpoint_of_every_pair(
    pair: tuple[str, str, str, bool, tuple[str, ...]],
) -> None:
    _, base, scope, offered, offered_in = pair
    endpoint: Literal["global", "regional"] = "global" if scope == "global" else "regional"
    region = HOME_REGION[scope]
    # Regions in two geographies (Tokyo, Sydney, Melbourne, Hyderabad): the first one that
    # offers the model (jp/au/in, then apac).
    expected_scope = scope
    if endpoint == "regional":
        preferred = [g for g in GEOGRAPHIES[region] if g in offered_in]
        offered = bool(preferred)
        expected_scope = preferred[0] if preferred else scope
    if offered:
        got = CAT.resolve(base, region, endpoint)
        assert got.model_id == f"{expected_scope}.{base}"
        assert got.scope == expected_scope and got.endpoint_type == endpoint
        return
    with pytest.raises(ModelNotAvailableError) as err:
        CAT.resolve(base, region, endpoint)
    assert err.value.offered_in == list(offered_in)
    assert err.value.region == region


@pytest.mark.parametrize(("name", "base", "offered"), SPEC_TABLE, ids=[r[0] for r in SPEC_TABLE])
def test_base_id_selects_the_regional_profile(
    name: str, base: str, offered: tuple[str, ...]
) -> None:
    got = CAT.resolve(base, "us-east-1")
    assert got.model_id == f"us.{base}" and got.endpoint_type == "regional"


# -- mended IDs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        ("anthropic.claude-opus-4-6-v1:0", "us.anthropic.claude-opus-4-6-v1"),
        ("global.anthropic.claude-opus-4-6-v1:0", "global.anthropic.claude-opus-4-6-v1"),
        ("us.anthropic.claude-opus-4-6-v1:0", "us.anthropic.claude-opus-4-6-v1"),
        ("au.anthropic.claude-opus-4-6-v1:0", "au.anthropic.claude-opus-4-6-v1"),
    ],
)
def test_the_printed_opus_46_id_is_mended_with_one_warning(written: str, sent: str) -> None:
    region = "ap-southeast-2" if written.startswith("au.") else "us-west-2"
    _reset_deprecation_warnings()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            got = resolve(written, region)
            assert got.model_id == sent and got.info is not None
    mended = [w for w in caught if w.category is ModelIdMendedWarning]
    assert len(mended) == 1
    assert written in str(mended[0].message) and sent in str(mended[0].message)
    assert mended[0].filename == __file__


def test_the_accepted_opus_46_id_is_not_mended() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve("global.anthropic.claude-opus-4-6-v1", "us-west-2").info is not None


# -- unknown and malformed IDs (open world) -----------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        "us.anthropic.claude-opus-9",
        "anthropic.claude-sonnet-6-v1:0",
        "global.anthropic.claude-sonet-4-5-20250929-v1:0",
        "opus-9",
        "amazon.nova-pro-v1:0",
    ],
)
def test_unknown_well_formed_ids_pass_with_one_warning(model: str) -> None:
    _reset_deprecation_warnings()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = CAT.resolve(model, "us-east-1")
        CAT.resolve(model, "us-east-1")
    assert (got.model_id, got.info, got.scope) == (model, None, "unknown")
    unknown = [w for w in caught if w.category is UnknownModelWarning]
    assert len(unknown) == 1
    text = str(unknown[0].message)
    assert "claude-bedrock models --refresh" in text and "client.models.refresh()" in text


def test_unknown_id_warning_suggests_close_matches() -> None:
    _reset_deprecation_warnings()
    with pytest.warns(UnknownModelWarning) as record:
        CAT.resolve("global.anthropic.claude-sonet-4-5-20250929-v1:0", "us-east-1")
    assert "'global.anthropic.claude-sonnet-4-5-20250929-v1:0'" in str(record[0].message)


def test_unknown_ids_in_an_unknown_region_pass_too() -> None:
    with pytest.warns(UnknownModelWarning):
        got = CAT.resolve("us.anthropic.claude-opus-9-1", "mars-north-1")
    assert got.model_id == "us.anthropic.claude-opus-9-1" and got.info is None


@pytest.mark.parametrize("model", ["opus 4.6!", "anthropic/claude", "", "x" * 2049, "mödel"])
def test_malformed_ids_fail_before_sending(model: str) -> None:
    with pytest.raises(InvalidModelError):
        CAT.resolve(model, "us-east-1")


# -- end of life and Legacy ---------------------------------------------------------------------


@pytest.mark.parametrize("base", sorted(END_OF_LIFE))
def test_end_of_life_models_fail_with_date_and_successor(base: str) -> None:
    name, day, successor = END_OF_LIFE[base]
    for model in (base, f"us.{base}"):
        with pytest.raises(ModelEndOfLifeError) as err:
            CAT.resolve(model, "us-east-1")
        assert (err.value.eol_date, err.value.successor) == (day, successor)
        assert err.value.suggestion == successor
        assert name in str(err.value) and day in str(err.value)
        assert "has reached the end of its life" in str(err.value)


def test_end_of_life_aliases_fail_too() -> None:
    for alias in ("sonnet-3.7", "opus-4", "haiku-3", "claude-3-5-haiku-20241022", "sonnet-4"):
        with pytest.raises(ModelEndOfLifeError):
            CAT.resolve(alias, "us-east-1")


def test_legacy_model_warns_once_with_its_end_of_life_date() -> None:
    _reset_deprecation_warnings()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            CAT.resolve("sonnet-4.5", "us-east-1")
            CAT.resolve("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-east-1")
        CAT.resolve("opus-4.1", "us-east-1")
        CAT.resolve("opus", "us-east-1")
    messages = [str(w.message) for w in caught if w.category is LegacyModelWarning]
    assert len(messages) == 2
    sonnet, opus = messages
    assert "Claude Sonnet 4.5" in sonnet and "2027-04-08" in sonnet and "Sonnet 4.6" in sonnet
    assert "Claude Opus 4.1" in opus and "2027-01-08" in opus
    assert all(w.filename == __file__ for w in caught)
    assert issubclass(LegacyModelWarning, FutureWarning)  # shown to users by default


def test_module_resolve_warning_points_at_the_caller() -> None:
    _reset_deprecation_warnings()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resolve("opus-4.1", "us-east-1")
    assert [w.filename for w in caught] == [__file__]


def test_lifecycle_rows_match_the_spec() -> None:
    legacy = {m.id: (str(m.legacy_date), str(m.eol_date)) for m in CAT.models()
              if m.lifecycle == "legacy"}  # fmt: skip
    assert legacy == LEGACY
    assert {m.id for m in CAT.models() if m.lifecycle == "eol"} == set(END_OF_LIFE)
    assert {m.id for m in CAT.models() if m.deprecated} == set(LEGACY) | set(END_OF_LIFE)


# -- aliases: the newest generally available model per Region --------------------------------------


@pytest.mark.parametrize(
    ("alias", "region", "expected"),
    [
        ("opus", "us-east-1", "global.anthropic.claude-opus-5-5"),
        ("sonnet", "us-east-1", "global.anthropic.claude-sonnet-5-5"),
        ("haiku", "us-east-1", "global.anthropic.claude-haiku-5-5"),
        ("fable", "us-east-1", "global.anthropic.claude-fable-5-2"),
        ("OPUS", "eu-west-1", "global.anthropic.claude-opus-5-5"),
        # GovCloud: no global profiles; us-gov. where the newest of the family has one.
        ("sonnet", "us-gov-west-1", "us-gov.anthropic.claude-sonnet-5-5"),
        ("opus", "us-gov-west-1", "us-gov.anthropic.claude-opus-5-5"),
    ],
)
def test_family_aliases_pick_the_newest_offered_from_the_region(
    alias: str, region: str, expected: str
) -> None:
    assert CAT.resolve(alias, region).model_id == expected


def test_family_alias_with_no_model_in_the_region() -> None:
    with pytest.raises(ModelNotAvailableError, match="No generally available Claude Haiku"):
        CAT.resolve("haiku", "us-gov-west-1")  # no Haiku has a us-gov. profile


def test_newest_skips_invitation_only_and_legacy_models() -> None:
    newest = CAT.newest("mythos", "us-east-1")
    assert newest is None  # Mythos is invitation only
    opus = CAT.newest("opus", "us-east-1", surface="mantle")
    assert opus is not None and opus.id == "anthropic.claude-opus-5-5"
    haiku = CAT.newest("haiku", "us-east-1", surface="mantle")
    assert haiku is not None and haiku.mantle_id == "anthropic.claude-haiku-4-5"


ALIASES = {
    "claude-opus-4-6": "anthropic.claude-opus-4-6-v1",
    "opus-4.6": "anthropic.claude-opus-4-6-v1",
    "opus-4-6": "anthropic.claude-opus-4-6-v1",
    "Opus 4.6": "anthropic.claude-opus-4-6-v1",
    "opus-4.8": "anthropic.claude-opus-4-8",
    "claude-opus-4-8": "anthropic.claude-opus-4-8",
    "sonnet-4.6": "anthropic.claude-sonnet-4-6",
    "claude-sonnet-5-5": "anthropic.claude-sonnet-5-5",
    "sonnet-4.5": "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "claude-sonnet-4-5-20250929": "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "anthropic.claude-sonnet-4-5-20250929": "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "haiku-4.5": "anthropic.claude-haiku-4-5-20251001-v1:0",
    "anthropic.claude-haiku-4-5": "anthropic.claude-haiku-4-5-20251001-v1:0",
    "haiku-5.5": "anthropic.claude-haiku-5-5",
    "fable-5.1": "anthropic.claude-fable-5-1",
    "opus-4.5": "anthropic.claude-opus-4-5-20251101-v1:0",
    "claude-opus-4-1-20250805": "anthropic.claude-opus-4-1-20250805-v1:0",
}


@pytest.mark.parametrize(("alias", "base"), ALIASES.items(), ids=list(ALIASES))
def test_alias(alias: str, base: str) -> None:
    got = CAT.resolve(alias, "us-east-1")
    assert got.info is not None and got.info.id == base
    # An alias picks the global endpoint; an ID (the mantle spelling too) the regional one.
    is_id = alias == "anthropic.claude-haiku-4-5"
    scope = "global" if "global" in got.info.scopes and not is_id else "us"
    assert got.model_id == f"{scope}.{base}"


def test_every_table_model_answers_to_its_anthropic_api_name() -> None:
    for _, base, _ in SPEC_TABLE:
        info = CAT.get(base)
        assert info.api_name is not None
        assert CAT.get(info.api_name) is info


# -- geographies and endpoints ---------------------------------------------------------------------


def test_brief_example_message_for_opus_41_in_eu() -> None:
    with pytest.raises(ModelNotAvailableError) as err:
        CAT.resolve("anthropic.claude-opus-4-1-20250805-v1:0", "eu-west-1")
    assert str(err.value) == (
        "Claude Opus 4.1 is not offered in geography 'eu' (region eu-west-1). It is offered "
        "in: us. Use region us-east-1 with model 'us.anthropic.claude-opus-4-1-20250805-v1:0'."
    )


def test_regional_refusal_suggests_global_in_the_same_region() -> None:
    with pytest.raises(ModelNotAvailableError) as err:
        CAT.resolve("opus-4.5", "ap-south-1", "regional")
    assert err.value.suggestion == "global.anthropic.claude-opus-4-5-20251101-v1:0"
    assert "works from ap-south-1" in str(err.value)


def test_prefix_of_another_geography_is_refused() -> None:
    model = "eu.anthropic.claude-sonnet-4-6"
    with pytest.raises(ModelNotAvailableError) as err:
        CAT.resolve(model, "us-east-1")
    message = str(err.value)
    assert "geography 'eu'" in message and "us-east-1" in message
    assert "Use region eu-central-1" in message
    assert err.value.suggestion == "us.anthropic.claude-sonnet-4-6"


def test_govcloud_cannot_call_global_profiles() -> None:
    with pytest.raises(ModelNotAvailableError) as err:
        CAT.resolve("global.anthropic.claude-sonnet-5-5", "us-gov-west-1")
    assert err.value.suggestion == "us-gov.anthropic.claude-sonnet-5-5"
    assert CAT.reachable_scopes("us-gov-west-1") == ("us-gov",)


def test_sydney_and_mumbai_prefer_their_own_geography_then_apac() -> None:
    assert CAT.resolve("anthropic.claude-opus-4-6-v1", "ap-southeast-2").scope == "au"
    assert CAT.resolve("apac.anthropic.claude-opus-4-6-v1", "ap-southeast-2").scope == "apac"
    assert CAT.resolve("anthropic.claude-haiku-4-5-20251001-v1:0", "ap-south-1").scope == "in"
    assert CAT.resolve("anthropic.claude-opus-4-6-v1", "ap-south-1").scope == "apac"
    assert CAT.resolve("anthropic.claude-opus-4-6-v1", "ap-northeast-1").scope == "jp"


def test_endpoint_overrides_a_prefix() -> None:
    got = CAT.resolve("us.anthropic.claude-opus-4-6-v1", "eu-west-1", "global")
    assert got.model_id == "global.anthropic.claude-opus-4-6-v1"
    got = CAT.resolve("global.anthropic.claude-opus-4-6-v1", "eu-west-1", "regional")
    assert got.model_id == "eu.anthropic.claude-opus-4-6-v1"


def test_global_only_regions() -> None:
    for region in ("af-south-1", "sa-east-1", "ap-southeast-3", "me-central-1", "il-central-1"):
        assert CAT.resolve("sonnet-4.6", region).scope == "global"
        with pytest.raises(ModelNotAvailableError) as err:
            CAT.resolve("anthropic.claude-sonnet-4-6", region)
        assert "global.' profiles only" in str(err.value)
        assert err.value.suggestion == "global.anthropic.claude-sonnet-4-6"
    with pytest.raises(ModelNotAvailableError) as err:
        CAT.resolve("opus-4.1", "af-south-1")
    assert err.value.suggestion == "us.anthropic.claude-opus-4-1-20250805-v1:0"
    assert "Use region us-east-1" in str(err.value)


def test_in_region_only_where_on_demand() -> None:
    got = CAT.resolve("opus-5.5", "eu-west-2", "in-region")
    assert (got.model_id, got.scope, got.endpoint_type) == (
        "anthropic.claude-opus-5-5",
        "in-region",
        "regional",
    )
    with pytest.raises(ModelNotAvailableError, match="on-demand throughput"):
        CAT.resolve("opus-5.5", "us-east-1", "in-region")


def test_bad_endpoint_value() -> None:
    with pytest.raises(ValueError, match="endpoint"):
        CAT.resolve("opus", "us-east-1", "local")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc123",
        "arn:aws:bedrock:us-west-2:111122223333:inference-profile/global.anthropic.claude-x",
        "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-opus-4-6-v1",
    ],
)
def test_arn_passes_through_untouched(arn: str) -> None:
    got = CAT.resolve(arn, "us-east-1")
    assert (got.model_id, got.info, got.scope) == (arn, None, "arn")
    assert got.endpoint_type == ("global" if "/global." in arn else "regional")


def test_malformed_arn_fails_before_sending() -> None:
    with pytest.raises(InvalidModelError):
        CAT.resolve("arn:aws:bedrock:us-east-1:111122223333:custom-model/a/b c", "us-east-1")


def test_get_still_refuses_unknown_names_with_suggestions() -> None:
    """``Catalog.get`` answers what the catalogue knows (resolution is what lets IDs pass)."""
    with pytest.raises(InvalidModelError) as err:
        CAT.get("opus-4.9")
    assert "opus-4.8" in err.value.suggestions
    with pytest.raises(InvalidModelError) as err:
        CAT.get("zzzzzzzz")
    assert err.value.suggestions == []


def test_unknown_region_names_known_regions() -> None:
    with pytest.raises(RegionError) as err:
        CAT.resolve("opus", "mars-north-1")
    assert "us-east-1" in str(err.value) and "mars-north-1" in str(err.value)
    assert "eu-west-1" in err.value.known_regions


@pytest.mark.parametrize("scope", SCOPES)
def test_scopes_are_listed_in_spec_order(scope: str) -> None:
    info = CAT.get("anthropic.claude-opus-5")
    assert info.offered_scopes == ("global", "us", "eu", "jp", "au", "in", "us-gov")
    assert info.profile_id(scope) == f"{scope}.anthropic.claude-opus-5"
