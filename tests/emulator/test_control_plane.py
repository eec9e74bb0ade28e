"""The emulator's model control plane through boto3's ``bedrock`` client.

ListFoundationModels, GetFoundationModel, ListInferenceProfiles (with pagination) and
GetInferenceProfile, for a Region of each geography. Expected models and profiles come from
the guide's model table written out in ``test_model_scopes.py``; every answer is also checked
against botocore's ``bedrock`` service model (shapes, required members, enums, patterns).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from claude_bedrock.emulator import Emulator, control_plane
from claude_bedrock.wire.signing import Credentials, SigV4Signer

from .test_model_scopes import END_OF_LIFE, REGION_GEOGRAPHIES, SPEC_TABLE

SERVICE = botocore.loaders.Loader().load_service_model("bedrock", "service-2")
SHAPES: dict[str, Any] = SERVICE["shapes"]
ALL_BASE_IDS = {base for _, base, _ in SPEC_TABLE}
# Bedrock lists INFERENCE_PROFILE for profile-only models, a value botocore's enum lacks
# (see claude_bedrock.catalog._control_plane): the one tolerated difference.
EXTRA_ENUM_VALUES = {"InferenceType": {"INFERENCE_PROFILE"}}
# Two patterns real Bedrock answers do not follow either: profile names carry model
# versions ("US Anthropic Claude 3.5 Sonnet"), and global profiles list the Region-less
# foundation-model ARN that IAM policies for them name ("arn:aws:bedrock:::...").
RELAXED_PATTERNS = {
    "InferenceProfileName": SHAPES["InferenceProfileName"]["pattern"].replace(
        "a-zA-Z]", "a-zA-Z.]"
    ),
    "FoundationModelArn": SHAPES["FoundationModelArn"]["pattern"].replace("{1,20}", "{0,20}"),
}


def _bedrock(emulator: Emulator, region: str) -> Any:
    return boto3.client(
        "bedrock",
        endpoint_url=emulator.url,
        aws_access_key_id=emulator.access_key,
        aws_secret_access_key=emulator.secret_key,
        region_name=region,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


@pytest.fixture(scope="module")
def clients(bedrock_emulator: Emulator) -> dict[str, Any]:
    return {region: _bedrock(bedrock_emulator, region) for region in REGION_GEOGRAPHIES}


def _reachable(region: str) -> tuple[str, ...]:
    if region.startswith("us-gov-"):  # GovCloud calls us-gov. profiles, no global ones
        return REGION_GEOGRAPHIES[region]
    return ("global", *REGION_GEOGRAPHIES[region])


def _expected_models(region: str) -> set[str]:
    scopes = _reachable(region)
    return {base for _, base, offered in SPEC_TABLE if set(offered) & set(scopes)}


def _expected_profiles(region: str) -> set[str]:
    return {
        f"{scope}.{base}"
        for _, base, offered in SPEC_TABLE
        for scope in _reachable(region)
        if scope in offered
    }


def _all_profiles(client: Any, **kwargs: Any) -> list[dict[str, Any]]:
    paginator = client.get_paginator("list_inference_profiles")
    return [p for page in paginator.paginate(**kwargs) for p in page["inferenceProfileSummaries"]]


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response = excinfo.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def _conforms(value: Any, shape_name: str, path: str = "$") -> list[str]:
    """Problems of a *parsed* boto3 value against a botocore shape (empty: it conforms)."""
    shape = SHAPES[shape_name]
    kind = shape["type"]
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: expected an object"]
        problems = [f"{path}.{m}: required" for m in shape.get("required", []) if m not in value]
        for key, item in value.items():
            if key == "ResponseMetadata":
                continue
            if key not in shape["members"]:
                problems.append(f"{path}.{key}: not in {shape_name}")
            else:
                problems += _conforms(item, shape["members"][key]["shape"], f"{path}.{key}")
        return problems
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        problems = []
        if not shape.get("min", 0) <= len(value) <= shape.get("max", len(value)):
            problems.append(f"{path}: {len(value)} items outside [{shape.get('min')}, max]")
        for i, item in enumerate(value):
            problems += _conforms(item, shape["member"]["shape"], f"{path}[{i}]")
        return problems
    if kind == "string":
        if not isinstance(value, str):
            return [f"{path}: expected a string"]
        allowed = set(shape.get("enum", [])) | EXTRA_ENUM_VALUES.get(shape_name, set())
        if "enum" in shape and value not in allowed:
            return [f"{path}: {value!r} not in {shape_name}"]
        pattern = RELAXED_PATTERNS.get(shape_name, shape.get("pattern"))
        if pattern is not None and re.fullmatch(pattern, value) is None:
            return [f"{path}: {value!r} does not match {shape_name}"]
        if not shape.get("min", 0) <= len(value) <= shape.get("max", len(value)):
            return [f"{path}: length of {value!r} outside {shape_name}'s bounds"]
        return []
    if kind == "timestamp":
        ok = isinstance(value, datetime) and value.tzinfo is not None
        return [] if ok else [f"{path}: expected an aware datetime"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{path}: expected a boolean"]
    return []


def _output_shape(operation: str) -> str:
    return str(SERVICE["operations"][operation]["output"]["shape"])


# -- ListFoundationModels -------------------------------------------------------------------


def test_us_region_lists_every_current_model(clients: dict[str, Any]) -> None:
    answer = clients["us-east-1"].list_foundation_models(byProvider="anthropic")
    assert _conforms(answer, _output_shape("ListFoundationModels")) == []
    ids = [m["modelId"] for m in answer["modelSummaries"]]
    assert len(ids) == len(set(ids)) == len(SPEC_TABLE)
    assert set(ids) == ALL_BASE_IDS
    names = {m["modelId"]: m["modelName"] for m in answer["modelSummaries"]}
    assert names["anthropic.claude-opus-4-6-v1"] == "Claude Opus 4.6"
    for summary in answer["modelSummaries"]:
        assert summary["providerName"] == "Anthropic"
        assert (
            summary["modelArn"]
            == f"arn:aws:bedrock:us-east-1::foundation-model/{summary['modelId']}"
        )


@pytest.mark.parametrize("region", sorted(REGION_GEOGRAPHIES))
def test_each_region_lists_the_models_it_can_reach(clients: dict[str, Any], region: str) -> None:
    answer = clients[region].list_foundation_models(byProvider="anthropic")
    assert {m["modelId"] for m in answer["modelSummaries"]} == _expected_models(region)
    assert all(f":bedrock:{region}::" in m["modelArn"] for m in answer["modelSummaries"])


def test_legacy_models_carry_their_dates_and_eol_models_are_absent(
    clients: dict[str, Any],
) -> None:
    answer = clients["us-east-1"].list_foundation_models(byProvider="anthropic")
    lifecycle = {m["modelId"]: m["modelLifecycle"] for m in answer["modelSummaries"]}
    legacy = {model: value for model, value in lifecycle.items() if value["status"] == "LEGACY"}
    # AWS "Model lifecycle (Legacy)": Opus 4.1 and Sonnet 4.5 are Legacy, with these dates.
    day = {
        model: {k: v.date().isoformat() for k, v in value.items() if k.endswith("Time")}
        for model, value in legacy.items()
    }
    assert day["anthropic.claude-opus-4-1-20250805-v1:0"] == {
        "startOfLifeTime": "2025-08-05",
        "legacyTime": "2026-07-08",
        "publicExtendedAccessTime": "2026-10-08",
        "endOfLifeTime": "2027-01-08",
    }
    assert day["anthropic.claude-sonnet-4-5-20250929-v1:0"]["endOfLifeTime"] == "2027-04-08"
    assert set(legacy) == {
        "anthropic.claude-opus-4-1-20250805-v1:0",
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
    }
    assert not {base for _, base, _ in END_OF_LIFE} & set(lifecycle)


def test_provider_filter_is_case_insensitive_and_selective(clients: dict[str, Any]) -> None:
    client = clients["us-west-2"]
    upper = client.list_foundation_models(byProvider="Anthropic")["modelSummaries"]
    lower = client.list_foundation_models(byProvider="anthropic")["modelSummaries"]
    assert upper == lower and len(lower) == len(SPEC_TABLE)
    assert client.list_foundation_models(byProvider="meta")["modelSummaries"] == []
    assert len(client.list_foundation_models()["modelSummaries"]) == len(SPEC_TABLE)


def test_modality_inference_and_customization_filters(
    clients: dict[str, Any], bedrock_emulator: Emulator
) -> None:
    client = clients["us-east-1"]
    text = client.list_foundation_models(byOutputModality="TEXT")["modelSummaries"]
    assert len(text) == len(SPEC_TABLE)
    assert client.list_foundation_models(byOutputModality="IMAGE")["modelSummaries"] == []
    # Every current Claude model is INFERENCE_PROFILE-only in us-east-1 (fact sheet §2.1) ...
    assert client.list_foundation_models(byInferenceType="ON_DEMAND")["modelSummaries"] == []
    everything = client.list_foundation_models()["modelSummaries"]
    assert all(m["inferenceTypesSupported"] == ["INFERENCE_PROFILE"] for m in everything)
    # ... and Opus 5.5 runs on demand in-Region in London.
    london = _bedrock(bedrock_emulator, "eu-west-2")
    on_demand = london.list_foundation_models(byInferenceType="ON_DEMAND")["modelSummaries"]
    assert [m["modelId"] for m in on_demand] == ["anthropic.claude-opus-5-5"]
    assert client.list_foundation_models(byInferenceType="PROVISIONED")["modelSummaries"] == []
    tuned = client.list_foundation_models(byCustomizationType="FINE_TUNING")
    assert tuned["modelSummaries"] == []


@pytest.mark.parametrize(
    ("kwargs", "member", "allowed"),
    [
        ({"byOutputModality": "AUDIO"}, "byOutputModality", "[TEXT, IMAGE, EMBEDDING]"),
        ({"byInferenceType": "BATCH"}, "byInferenceType", "[ON_DEMAND, PROVISIONED]"),
        (
            {"byCustomizationType": "LORA"},
            "byCustomizationType",
            "[FINE_TUNING, CONTINUED_PRE_TRAINING, DISTILLATION]",
        ),
    ],
)
def test_bad_enum_filters_are_validation_errors(
    clients: dict[str, Any], kwargs: dict[str, str], member: str, allowed: str
) -> None:
    with pytest.raises(ClientError) as excinfo:
        clients["us-east-1"].list_foundation_models(**kwargs)
    value = next(iter(kwargs.values()))
    assert _error(excinfo) == (
        400,
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: Member must satisfy enum value set: {allowed}",
    )


def test_two_bad_filters_are_counted(clients: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        clients["us-east-1"].list_foundation_models(byProvider="a$b", byOutputModality="X")
    status, code, message = _error(excinfo)
    assert (status, code) == (400, "ValidationException")
    assert message.startswith("2 validation errors detected: Value 'a$b' at 'byProvider'")
    assert "; Value 'X' at 'byOutputModality'" in message


# -- GetFoundationModel ---------------------------------------------------------------------


@pytest.mark.parametrize("region", sorted(REGION_GEOGRAPHIES))
def test_get_foundation_model_by_id_and_by_arn(clients: dict[str, Any], region: str) -> None:
    client = clients[region]
    for base in sorted(_expected_models(region)):
        by_id = client.get_foundation_model(modelIdentifier=base)
        assert _conforms(by_id, _output_shape("GetFoundationModel")) == []
        arn = f"arn:aws:bedrock:{region}::foundation-model/{base}"
        assert by_id["modelDetails"]["modelId"] == base
        assert by_id["modelDetails"]["modelArn"] == arn
        by_arn = client.get_foundation_model(modelIdentifier=arn)
        assert by_arn["modelDetails"] == by_id["modelDetails"]


def test_listing_and_get_agree(clients: dict[str, Any]) -> None:
    client = clients["eu-west-1"]
    for summary in client.list_foundation_models(byProvider="anthropic")["modelSummaries"]:
        details = client.get_foundation_model(modelIdentifier=summary["modelId"])
        assert details["modelDetails"] == summary


@pytest.mark.parametrize(
    ("region", "identifier"),
    [
        ("us-east-1", "anthropic.claude-opus-9-v1:0"),
        # Opus 4.1 is offered in the US geography only: not a model of eu-west-1.
        ("eu-west-1", "anthropic.claude-opus-4-1-20250805-v1:0"),
        # An ARN of another Region.
        ("eu-west-1", "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-opus-4-6-v1"),
    ],
)
def test_get_foundation_model_not_found(
    clients: dict[str, Any], region: str, identifier: str
) -> None:
    with pytest.raises(ClientError) as excinfo:
        clients[region].get_foundation_model(modelIdentifier=identifier)
    assert _error(excinfo) == (
        404,
        "ResourceNotFoundException",
        "Could not resolve the foundation model from the provided model identifier.",
    )


@pytest.mark.parametrize("identifier", ["opus", "Anthropic.Claude", "us.anthropic.x.y.z.w"])
def test_get_foundation_model_malformed_identifier(
    clients: dict[str, Any], identifier: str
) -> None:
    with pytest.raises(ClientError) as excinfo:
        clients["us-east-1"].get_foundation_model(modelIdentifier=identifier)
    status, code, message = _error(excinfo)
    assert (status, code) == (400, "ValidationException")
    assert message.startswith(
        f"1 validation error detected: Value '{identifier}' at 'modelIdentifier' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: "
    )


# -- ListInferenceProfiles ------------------------------------------------------------------


@pytest.mark.parametrize("region", sorted(REGION_GEOGRAPHIES))
def test_system_defined_profiles_per_region(clients: dict[str, Any], region: str) -> None:
    profiles = _all_profiles(clients[region], typeEquals="SYSTEM_DEFINED")
    ids = [p["inferenceProfileId"] for p in profiles]
    assert len(ids) == len(set(ids))
    assert set(ids) == _expected_profiles(region)
    shape = SERVICE["shapes"]["InferenceProfileSummaries"]["member"]["shape"]
    for profile in profiles:
        assert _conforms(profile, shape) == []
        assert profile["type"] == "SYSTEM_DEFINED" and profile["status"] == "ACTIVE"
        assert profile["inferenceProfileArn"] == (
            f"arn:aws:bedrock:{region}:123456789012:inference-profile/"
            f"{profile['inferenceProfileId']}"
        )
        base = profile["inferenceProfileId"].split(".", 1)[1]
        assert profile["models"] and all(
            m["modelArn"].endswith(f"::foundation-model/{base}") for m in profile["models"]
        )
        assert profile["createdAt"] <= profile["updatedAt"]


def test_prefixes_per_geography(clients: dict[str, Any]) -> None:
    """global., us., eu., jp., au., apac., in., us-gov. exactly where the table and the
    Region allow."""
    seen = {
        region: {p["inferenceProfileId"].split(".", 1)[0] for p in _all_profiles(client)}
        for region, client in clients.items()
    }
    assert seen == {
        "us-east-1": {"global", "us"},
        "us-west-2": {"global", "us"},
        "eu-west-1": {"global", "eu"},
        "ap-northeast-1": {"global", "jp", "apac"},
        "ap-southeast-2": {"global", "au", "apac"},
        "ap-southeast-4": {"global", "au", "apac"},
        "ap-south-2": {"global", "in", "apac"},
        "us-gov-west-1": {"us-gov"},
    }


def test_application_profiles_are_none(clients: dict[str, Any]) -> None:
    answer = clients["us-east-1"].list_inference_profiles(typeEquals="APPLICATION")
    assert answer["inferenceProfileSummaries"] == [] and "nextToken" not in answer


def test_pagination_one_by_one_matches_one_page(clients: dict[str, Any]) -> None:
    client = clients["us-west-2"]
    whole = client.list_inference_profiles(maxResults=1000)
    assert "nextToken" not in whole
    pages: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"maxResults": 1}
        if token:
            kwargs["nextToken"] = token
        page = client.list_inference_profiles(**kwargs)
        assert len(page["inferenceProfileSummaries"]) == 1
        pages += page["inferenceProfileSummaries"]
        token = page.get("nextToken")
        if token is None:
            break
    assert pages == whole["inferenceProfileSummaries"]
    assert len(pages) == len(_expected_profiles("us-west-2"))


def test_boto3_paginator_page_size(clients: dict[str, Any]) -> None:
    client = clients["ap-northeast-1"]
    paginator = client.get_paginator("list_inference_profiles")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 4}))
    sizes = [len(p["inferenceProfileSummaries"]) for p in pages]
    total = len(_expected_profiles("ap-northeast-1"))
    assert sum(sizes) == total and all(s == 4 for s in sizes[:-1]) and len(pages) == -(-total // 4)


@pytest.mark.parametrize("token", ["not-a-token", "eyJvIjotMX0="])
def test_bad_next_token(clients: dict[str, Any], token: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        clients["us-east-1"].list_inference_profiles(nextToken=token)
    assert _error(excinfo)[:2] == (400, "ValidationException")


def test_next_token_is_bound_to_its_region(clients: dict[str, Any]) -> None:
    first = clients["us-east-1"].list_inference_profiles(maxResults=2)
    with pytest.raises(ClientError) as excinfo:
        clients["eu-west-1"].list_inference_profiles(maxResults=2, nextToken=first["nextToken"])
    assert _error(excinfo)[:2] == (400, "ValidationException")


@pytest.mark.parametrize(("value", "bound"), [("0", "greater than or equal to 1"),
                                              ("1001", "less than or equal to 1000")])  # fmt: skip
def test_max_results_out_of_range(bedrock_emulator: Emulator, value: str, bound: str) -> None:
    """botocore refuses maxResults=0 itself, so this one goes out signed by hand."""
    url = f"{bedrock_emulator.url}/inference-profiles?maxResults={value}"
    credentials = Credentials(bedrock_emulator.access_key, bedrock_emulator.secret_key)
    headers = {"host": httpx.URL(url).netloc.decode()}
    headers.update(SigV4Signer("us-east-1", "bedrock").sign("GET", url, headers, b"", credentials))
    response = httpx.get(url, headers=headers)
    assert response.status_code == 400
    assert response.headers["x-amzn-errortype"] == "ValidationException"
    assert response.json()["message"] == (
        f"1 validation error detected: Value '{value}' at 'maxResults' failed to satisfy "
        f"constraint: Member must have value {bound}"
    )


# -- GetInferenceProfile --------------------------------------------------------------------


def test_get_inference_profile_by_id_and_arn(clients: dict[str, Any]) -> None:
    client = clients["eu-west-1"]
    listed = {p["inferenceProfileId"]: p for p in _all_profiles(client)}
    for profile_id, summary in listed.items():
        by_id = client.get_inference_profile(inferenceProfileIdentifier=profile_id)
        assert _conforms(by_id, _output_shape("GetInferenceProfile")) == []
        by_arn = client.get_inference_profile(
            inferenceProfileIdentifier=summary["inferenceProfileArn"]
        )
        del by_id["ResponseMetadata"], by_arn["ResponseMetadata"]
        assert by_id == by_arn == summary


@pytest.mark.parametrize(
    "identifier",
    [
        "us.anthropic.claude-opus-4-6-v1",  # a US profile, asked in eu-west-1
        "eu.anthropic.claude-opus-9-v1:0",
        "arn:aws:bedrock:eu-west-1:999999999999:inference-profile/eu.anthropic.claude-opus-4-6-v1",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-opus-4-6-v1",
    ],
)
def test_get_inference_profile_not_found(clients: dict[str, Any], identifier: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        clients["eu-west-1"].get_inference_profile(inferenceProfileIdentifier=identifier)
    assert _error(excinfo)[:2] == (404, "ResourceNotFoundException")


def test_get_inference_profile_malformed(clients: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        clients["eu-west-1"].get_inference_profile(inferenceProfileIdentifier="eu model!")
    status, code, message = _error(excinfo)
    assert (status, code) == (400, "ValidationException")
    assert "at 'inferenceProfileIdentifier' failed to satisfy constraint" in message


# -- accounts, API keys, constants ----------------------------------------------------------


def test_profile_arns_carry_the_callers_account(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials"
    credentials.write_text(
        "[default]\naws_access_key_id = AKIAOTHERACCOUNT0001\n"
        "aws_secret_access_key = other-secret\naccount_id = 210987654321\n"
    )
    with Emulator(credentials_file=credentials) as emulator:
        client = _bedrock(emulator, "eu-west-1")
        arns = [p["inferenceProfileArn"] for p in _all_profiles(client)]
    assert arns and all(a.startswith("arn:aws:bedrock:eu-west-1:210987654321:") for a in arns)


def test_bedrock_api_key_uses_the_default_region(bedrock_emulator: Emulator) -> None:
    response = httpx.get(
        f"{bedrock_emulator.url}/foundation-models",
        params={"byProvider": "anthropic"},
        headers={"authorization": f"Bearer {bedrock_emulator.api_key}"},
    )
    assert response.status_code == 200
    summaries = response.json()["modelSummaries"]
    assert {m["modelId"] for m in summaries} == ALL_BASE_IDS
    assert all(":bedrock:us-east-1::" in m["modelArn"] for m in summaries)


def test_unsigned_requests_are_refused(bedrock_emulator: Emulator) -> None:
    response = httpx.get(f"{bedrock_emulator.url}/inference-profiles")
    assert response.status_code == 403


def test_constraints_match_botocore() -> None:
    assert tuple(SHAPES["ModelModality"]["enum"]) == control_plane.MODALITIES
    assert tuple(SHAPES["InferenceType"]["enum"]) == control_plane.INFERENCE_TYPES
    assert tuple(SHAPES["ModelCustomization"]["enum"]) == control_plane.CUSTOMIZATION_TYPES
    assert tuple(SHAPES["InferenceProfileType"]["enum"]) == control_plane.INFERENCE_PROFILE_TYPES
    assert SHAPES["Provider"]["pattern"] == control_plane.PROVIDER_PATTERN
    assert (
        SHAPES["GetFoundationModelIdentifier"]["pattern"]
        == control_plane.FOUNDATION_MODEL_ID_PATTERN
    )
    assert (
        SHAPES["InferenceProfileIdentifier"]["pattern"]
        == control_plane.INFERENCE_PROFILE_ID_PATTERN
    )
    assert (SHAPES["MaxResults"]["min"], SHAPES["MaxResults"]["max"]) == control_plane.MAX_RESULTS
    query = SHAPES["ListInferenceProfilesRequest"]["members"]["typeEquals"]
    assert query["locationName"] == "type"
