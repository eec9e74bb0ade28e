"""Model resolution: every (model, scope) pair of the guide's model table, aliases, ARNs, errors."""

from __future__ import annotations

import warnings
from typing import Literal

import pytest

from claude_bedrock._exceptions import InvalidModelError, ModelNotAvailableError
from claude_bedrock.catalog import Catalog, RegionError, resolve
from claude_bedrock.catalog._catalog import _reset_deprecation_warnings

from ._spec import DEPRECATED, HOME_REGION, PAIRS, SCOPES, SPEC_TABLE

CAT = Catalog.default()


@pytest.fixture(autouse=True)
def _quiet_deprecations() -> None:
    """Deprecated rows (Sonnet 3.7, Haiku 3.5) warn; those warnings are tested apart."""
    warnings.simplefilter("ignore", DeprecationWarning)


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
    # jp rows: Tokyo also reaches apac, so "regional" there means jp, else apac.
    region = HOME_REGION[scope]
    expected_scope = scope
    if scope == "jp" and not offered and "apac" in offered_in:
        expected_scope, offered = "apac", True
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


def test_spec_example_resolves_to_itself() -> None:
    got = resolve("global.anthropic.claude-opus-4-6-v1:0", "us-west-2")
    assert got.model_id == "global.anthropic.claude-opus-4-6-v1:0"
    assert got.endpoint_type == "global"


def test_brief_example_message_for_opus_41_in_eu() -> None:
    with pytest.raises(ModelNotAvailableError) as err:
        CAT.resolve("anthropic.claude-opus-4-1-20250805-v1:0", "eu-west-1")
    assert str(err.value) == (
        "Claude Opus 4.1 is not offered in geography 'eu' (region eu-west-1). It is offered "
        "in: us. Use region us-east-1 with model 'us.anthropic.claude-opus-4-1-20250805-v1:0'."
    )


def test_regional_refusal_suggests_global_in_the_same_region() -> None:
    with pytest.raises(ModelNotAvailableError) as err:
        CAT.resolve("sonnet-4.5", "ap-south-1", "regional")
    assert err.value.suggestion == "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert "works from ap-south-1" in str(err.value)


def test_prefix_of_another_geography_is_refused() -> None:
    model = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
    with pytest.raises(ModelNotAvailableError) as err:
        CAT.resolve(model, "us-east-1")
    message = str(err.value)
    assert "geography 'eu'" in message and "us-east-1" in message
    assert "Use region eu-central-1" in message
    assert err.value.suggestion == "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


def test_tokyo_reaches_jp_first_then_apac() -> None:
    assert CAT.resolve("anthropic.claude-sonnet-4-5-20250929-v1:0", "ap-northeast-1").scope == "jp"
    assert CAT.resolve("anthropic.claude-sonnet-4-20250514-v1:0", "ap-northeast-1").scope == "apac"
    assert CAT.resolve("apac.anthropic.claude-opus-4-6-v1:0", "ap-northeast-1").scope == "apac"


def test_endpoint_overrides_a_prefix() -> None:
    got = CAT.resolve("us.anthropic.claude-opus-4-6-v1:0", "eu-west-1", "global")
    assert got.model_id == "global.anthropic.claude-opus-4-6-v1:0"
    got = CAT.resolve("global.anthropic.claude-opus-4-6-v1:0", "eu-west-1", "regional")
    assert got.model_id == "eu.anthropic.claude-opus-4-6-v1:0"


def test_global_only_region() -> None:
    assert CAT.resolve("sonnet-4.5", "af-south-1").scope == "global"
    with pytest.raises(ModelNotAvailableError) as err:
        CAT.resolve("anthropic.claude-sonnet-4-5-20250929-v1:0", "af-south-1")
    assert "global.' profiles only" in str(err.value)
    assert err.value.suggestion == "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
    with pytest.raises(ModelNotAvailableError) as err:
        CAT.resolve("opus-4.1", "af-south-1")
    assert err.value.suggestion == "us.anthropic.claude-opus-4-1-20250805-v1:0"
    assert "Use region us-east-1" in str(err.value)


def test_in_region_only_for_on_demand_models() -> None:
    got = CAT.resolve("haiku-3", "eu-west-1", "in-region")
    assert (got.model_id, got.scope, got.endpoint_type) == (
        "anthropic.claude-3-haiku-20240307-v1:0",
        "in-region",
        "regional",
    )
    with pytest.raises(ModelNotAvailableError):
        CAT.resolve("opus-4.6", "us-east-1", "in-region")


def test_bad_endpoint_value() -> None:
    with pytest.raises(ValueError, match="endpoint"):
        CAT.resolve("opus", "us-east-1", "local")  # type: ignore[arg-type]


ALIASES = {
    "claude-opus-4-6": ("anthropic.claude-opus-4-6-v1:0", "global"),
    "opus-4.6": ("anthropic.claude-opus-4-6-v1:0", "global"),
    "opus-4-6": ("anthropic.claude-opus-4-6-v1:0", "global"),
    "Opus 4.6": ("anthropic.claude-opus-4-6-v1:0", "global"),
    "opus": ("anthropic.claude-opus-4-6-v1:0", "global"),
    "OPUS": ("anthropic.claude-opus-4-6-v1:0", "global"),
    "sonnet": ("anthropic.claude-sonnet-4-5-20250929-v1:0", "global"),
    "sonnet-4.5": ("anthropic.claude-sonnet-4-5-20250929-v1:0", "global"),
    "claude-sonnet-4-5": ("anthropic.claude-sonnet-4-5-20250929-v1:0", "global"),
    "claude-sonnet-4-5-20250929": ("anthropic.claude-sonnet-4-5-20250929-v1:0", "global"),
    "anthropic.claude-sonnet-4-5-20250929": ("anthropic.claude-sonnet-4-5-20250929-v1:0", "global"),
    "claude-sonnet-4-20250514": ("anthropic.claude-sonnet-4-20250514-v1:0", "global"),
    "sonnet-4": ("anthropic.claude-sonnet-4-20250514-v1:0", "global"),
    "claude-3-7-sonnet-20250219": ("anthropic.claude-3-7-sonnet-20250219-v1:0", "us"),
    "haiku": ("anthropic.claude-haiku-4-5-20251001-v1:0", "global"),
    "haiku-4.5": ("anthropic.claude-haiku-4-5-20251001-v1:0", "global"),
    "claude-haiku-4-5-20251001": ("anthropic.claude-haiku-4-5-20251001-v1:0", "global"),
    "claude-3-5-haiku-20241022": ("anthropic.claude-3-5-haiku-20241022-v1:0", "us"),
    "claude-3-haiku-20240307": ("anthropic.claude-3-haiku-20240307-v1:0", "us"),
    "opus-4.5": ("anthropic.claude-opus-4-5-20251101-v1:0", "global"),
    "claude-opus-4-1-20250805": ("anthropic.claude-opus-4-1-20250805-v1:0", "us"),
    "opus-4": ("anthropic.claude-opus-4-20250514-v1:0", "us"),
}


@pytest.mark.parametrize(("alias", "expected"), ALIASES.items(), ids=list(ALIASES))
def test_alias(alias: str, expected: tuple[str, str]) -> None:
    base, scope = expected
    got = CAT.resolve(alias, "us-east-1")
    assert got.info is not None and got.info.id == base
    assert got.model_id == f"{scope}.{base}"


def test_every_table_model_answers_to_its_anthropic_api_name() -> None:
    for _, base, _ in SPEC_TABLE:
        info = CAT.get(base)
        assert info.api_name is not None
        assert CAT.get(info.api_name) is info


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc123",
        "arn:aws:bedrock:us-west-2:111122223333:inference-profile/global.anthropic.claude-x",
        "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
        "arn:aws:bedrock:us-east-1:111122223333:custom-model/whatever/abcdefghijkl",
    ],
)
def test_arn_passes_through_untouched(arn: str) -> None:
    got = CAT.resolve(arn, "us-east-1")
    assert (got.model_id, got.info, got.scope) == (arn, None, "arn")
    assert got.endpoint_type == ("global" if "/global." in arn else "regional")


def test_unknown_model_suggests_close_matches() -> None:
    with pytest.raises(InvalidModelError) as err:
        CAT.resolve("opus-4.7", "us-east-1")
    assert err.value.model == "opus-4.7"
    assert "opus-4.6" in err.value.suggestions
    assert "Did you mean" in str(err.value)


def test_unknown_profile_id_suggests_profile_ids() -> None:
    with pytest.raises(InvalidModelError) as err:
        CAT.resolve("global.anthropic.claude-sonet-4-5-20250929-v1:0", "us-east-1")
    assert err.value.suggestions[0] == "global.anthropic.claude-sonnet-4-5-20250929-v1:0"


def test_nonsense_has_no_suggestions_but_lists_models() -> None:
    with pytest.raises(InvalidModelError) as err:
        CAT.get("zzzzzzzz")
    assert err.value.suggestions == []
    assert "sonnet-4.5" in str(err.value)


def test_unknown_region_names_known_regions() -> None:
    with pytest.raises(RegionError) as err:
        CAT.resolve("opus", "mars-north-1")
    assert "us-east-1" in str(err.value) and "mars-north-1" in str(err.value)
    assert "eu-west-1" in err.value.known_regions


def test_deprecated_model_warns_once_naming_its_successor() -> None:
    _reset_deprecation_warnings()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            CAT.resolve("sonnet-3.7", "us-east-1")
            CAT.resolve("us.anthropic.claude-3-7-sonnet-20250219-v1:0", "us-east-1")
        CAT.resolve("haiku-3.5", "us-east-1")
        CAT.resolve("opus", "us-east-1")
    messages = [str(w.message) for w in caught if w.category is DeprecationWarning]
    assert len(messages) == 2
    assert "Claude Sonnet 3.7" in messages[0] and "Claude Sonnet 4.5" in messages[0]
    assert "Claude Haiku 3.5" in messages[1] and "Claude Haiku 4.5" in messages[1]
    assert all(w.filename == __file__ for w in caught)


def test_module_resolve_warning_points_at_the_caller() -> None:
    _reset_deprecation_warnings()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resolve("haiku-3.5", "us-east-1")
    assert [w.filename for w in caught] == [__file__]


def test_deprecated_rows_match_the_spec() -> None:
    assert {m.id for m in CAT.models() if m.deprecated} == DEPRECATED


@pytest.mark.parametrize("scope", SCOPES)
def test_scopes_are_listed_in_spec_order(scope: str) -> None:
    info = CAT.get("anthropic.claude-opus-4-6-v1:0")
    assert info.offered_scopes == SCOPES
    assert info.profile_id(scope) == f"{scope}.anthropic.claude-opus-4-6-v1:0"
