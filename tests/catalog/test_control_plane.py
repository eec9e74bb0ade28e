"""Control-plane answers (ListFoundationModels, ListInferenceProfiles) and runtime checks.

Shapes are checked against botocore's ``bedrock`` service model, and read back by a real
boto3 client from a loopback HTTP server that serves the catalogue's dicts.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import boto3
import botocore.loaders
import pytest

from claude_bedrock._exceptions import InvalidModelError, ModelNotAvailableError
from claude_bedrock.catalog import (
    Catalog,
    foundation_model_arn,
    foundation_models,
    inference_profiles,
)

from ._spec import SPEC_TABLE

CAT = Catalog.default()
SHAPES = botocore.loaders.Loader().load_service_model("bedrock", "service-2")["shapes"]
ACCOUNT = "111122223333"


def _pattern(shape: str) -> re.Pattern[str]:
    return re.compile(SHAPES[shape]["pattern"])


def _check_members(value: dict[str, Any], shape: str) -> None:
    members = SHAPES[shape]["members"]
    assert set(value) <= set(members), set(value) - set(members)
    assert set(SHAPES[shape].get("required", ())) <= set(value)


def test_foundation_model_summaries_match_botocore() -> None:
    summaries = foundation_models("us-west-2")
    assert [s["modelId"] for s in summaries] == [base for _, base, _ in SPEC_TABLE]
    modality = set(SHAPES["ModelModality"]["enum"])
    lifecycle = set(SHAPES["FoundationModelLifecycleStatus"]["enum"])
    for s in summaries:
        _check_members(s, "FoundationModelSummary")
        _check_members(s, "FoundationModelDetails")
        assert _pattern("FoundationModelArn").fullmatch(s["modelArn"])
        assert _pattern("BedrockModelId").fullmatch(s["modelId"])
        assert s["modelArn"] == f"arn:aws:bedrock:us-west-2::foundation-model/{s['modelId']}"
        assert len(s["modelName"]) <= SHAPES["BrandedName"]["max"]
        assert s["providerName"] == "Anthropic"
        assert set(s["inputModalities"]) | set(s["outputModalities"]) <= modality
        assert s["modelLifecycle"]["status"] in lifecycle
        # INFERENCE_PROFILE is what Bedrock answers, though botocore's enum lacks it.
        assert "INFERENCE_PROFILE" in s["inferenceTypesSupported"]


def test_lifecycle_and_inference_types() -> None:
    by_id = {s["modelId"]: s for s in foundation_models("us-east-1")}
    assert by_id["anthropic.claude-sonnet-4-5-20250929-v1:0"]["modelLifecycle"] == {
        "status": "LEGACY",
        "startOfLifeTime": "2025-09-29T00:00:00Z",
        "legacyTime": "2026-10-08T00:00:00Z",
        "publicExtendedAccessTime": "2027-01-08T00:00:00Z",
        "endOfLifeTime": "2027-04-08T00:00:00Z",
    }
    assert by_id["anthropic.claude-opus-4-6-v1"]["modelLifecycle"]["status"] == "ACTIVE"
    assert "anthropic.claude-3-haiku-20240307-v1:0" not in by_id  # end of life: not listed
    assert all(s["inferenceTypesSupported"] == ["INFERENCE_PROFILE"] for s in by_id.values())
    london = {s["modelId"]: s for s in foundation_models("eu-west-2")}
    assert london["anthropic.claude-opus-5-5"]["inferenceTypesSupported"] == [
        "ON_DEMAND",
        "INFERENCE_PROFILE",
    ]


def test_foundation_model_filters() -> None:
    assert len(foundation_models("us-east-1", by_provider="anthropic")) == len(SPEC_TABLE)
    assert foundation_models("us-east-1", by_provider="Meta") == []
    assert foundation_models("us-east-1", by_inference_type="ON_DEMAND") == []
    on_demand = foundation_models("eu-west-2", by_inference_type="ON_DEMAND")
    assert {s["modelId"] for s in on_demand} == {"anthropic.claude-opus-5-5"}
    assert foundation_models("us-east-1", by_inference_type="PROVISIONED") == []
    assert foundation_models("us-east-1", by_output_modality="IMAGE") == []
    assert foundation_models("us-east-1", by_customization_type="FINE_TUNING") == []


def test_only_reachable_models_are_listed() -> None:
    cape_town = {s["modelId"] for s in foundation_models("af-south-1")}
    assert cape_town == {base for _, base, offered in SPEC_TABLE if "global" in offered}
    assert CAT.foundation_model("eu-west-1", "anthropic.claude-opus-4-1-20250805-v1:0") is None
    assert CAT.foundation_model("us-east-1", "anthropic.claude-3-haiku-20240307-v1:0") is None
    arn = foundation_model_arn("eu-west-1", "anthropic.claude-sonnet-4-6")
    details = CAT.foundation_model("eu-west-1", arn)
    assert details is not None and details["modelArn"] == arn
    govcloud = {s["modelId"] for s in foundation_models("us-gov-west-1")}
    assert govcloud == {base for _, base, offered in SPEC_TABLE if "us-gov" in offered}


def test_inference_profiles_match_botocore() -> None:
    profiles = inference_profiles("us-east-1", ACCOUNT)
    expected = {
        f"{scope}.{base}"
        for _, base, offered in SPEC_TABLE
        for scope in offered
        if scope in ("global", "us")
    }
    assert {p["inferenceProfileId"] for p in profiles} == expected
    for p in profiles:
        _check_members(p, "InferenceProfileSummary")
        _check_members(p, "GetInferenceProfileResponse")
        assert _pattern("InferenceProfileArn").fullmatch(p["inferenceProfileArn"])
        assert _pattern("InferenceProfileId").fullmatch(p["inferenceProfileId"])
        assert p["inferenceProfileArn"] == (
            f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/{p['inferenceProfileId']}"
        )
        assert len(p["inferenceProfileName"]) <= SHAPES["InferenceProfileName"]["max"]
        assert len(p["description"]) <= SHAPES["InferenceProfileDescription"]["max"]
        assert 1 <= len(p["models"]) <= SHAPES["InferenceProfileModels"]["max"]
        assert (p["status"], p["type"]) == ("ACTIVE", "SYSTEM_DEFINED")
        for model in p["models"]:
            assert _pattern("FoundationModelArn").fullmatch(model["modelArn"]) or model[
                "modelArn"
            ].startswith("arn:aws:bedrock:::foundation-model/")


def test_profile_destinations() -> None:
    us = CAT.inference_profile("us-east-1", "us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert us is not None
    assert [m["modelArn"].split(":")[3] for m in us["models"]] == [
        "us-east-1",
        "us-east-2",
        "us-west-2",
    ]
    glob = CAT.inference_profile("us-west-2", "global.anthropic.claude-opus-4-6-v1")
    assert glob is not None and glob["models"][-1]["modelArn"] == (
        "arn:aws:bedrock:::foundation-model/anthropic.claude-opus-4-6-v1"
    )
    assert CAT.inference_profile("us-east-1", "eu.anthropic.claude-opus-4-6-v1") is None


@pytest.mark.parametrize(
    ("region", "scopes"),
    [
        ("eu-west-1", {"global", "eu"}),
        ("ap-northeast-1", {"global", "jp", "apac"}),
        ("ap-southeast-2", {"global", "au", "apac"}),
        ("ap-south-1", {"global", "in", "apac"}),
        ("us-gov-west-1", {"us-gov"}),
        ("af-south-1", {"global"}),
        ("sa-east-1", {"global"}),
    ],
)
def test_profiles_per_region(region: str, scopes: set[str]) -> None:
    found = {p["inferenceProfileId"].split(".", 1)[0] for p in inference_profiles(region)}
    assert found == scopes


class _Handler(BaseHTTPRequestHandler):
    """Serves the default catalogue the way Bedrock's control plane would."""

    region = "us-west-2"

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = unquote(url.path)
        body: Any
        if path == "/foundation-models":
            body = {
                "modelSummaries": CAT.foundation_models(
                    self.region, by_provider=query.get("byProvider")
                )
            }
        elif path.startswith("/foundation-models/"):
            body = {"modelDetails": CAT.foundation_model(self.region, path.split("/", 2)[2])}
        elif path == "/inference-profiles":
            body = {"inferenceProfileSummaries": CAT.inference_profiles(self.region, ACCOUNT)}
        else:
            body = CAT.inference_profile(self.region, path.split("/", 2)[2], ACCOUNT)
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def bedrock() -> Iterator[Any]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield boto3.client(
            "bedrock",
            region_name="us-west-2",
            endpoint_url=f"http://127.0.0.1:{server.server_port}",
            aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="not-a-secret",
        )
    finally:
        server.shutdown()
        server.server_close()


def test_boto3_reads_the_answers(bedrock: Any) -> None:
    models = bedrock.list_foundation_models(byProvider="anthropic")["modelSummaries"]
    assert len(models) == len(SPEC_TABLE)
    details = bedrock.get_foundation_model(modelIdentifier="anthropic.claude-opus-4-6-v1")
    assert details["modelDetails"]["modelName"] == "Claude Opus 4.6"
    profiles = bedrock.list_inference_profiles()["inferenceProfileSummaries"]
    ids = {p["inferenceProfileId"] for p in profiles}
    assert "global.anthropic.claude-opus-4-6-v1" in ids
    assert "us.anthropic.claude-3-haiku-20240307-v1:0" not in ids  # end of life
    assert all(isinstance(p["createdAt"], datetime) for p in profiles)
    one = bedrock.get_inference_profile(
        inferenceProfileIdentifier="us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    )
    assert one["inferenceProfileName"] == "US Anthropic Claude Sonnet 4.5"
    assert one["createdAt"].year == 2025


# -- runtime enforcement (Bedrock's own rules, for the emulator) ---------------------------


def test_validate_accepts_profiles_of_the_region() -> None:
    got = CAT.validate_invocation("global.anthropic.claude-opus-4-6-v1", "us-west-2")
    assert (got.scope, got.endpoint_type) == ("global", "global")
    got = CAT.validate_invocation("jp.anthropic.claude-sonnet-4-5-20250929-v1:0", "ap-northeast-1")
    assert got.scope == "jp"


def test_validate_base_id_needs_on_demand() -> None:
    got = CAT.validate_invocation("anthropic.claude-opus-5-5", "eu-west-2")
    assert (got.scope, got.model_id) == ("in-region", "anthropic.claude-opus-5-5")
    with pytest.raises(ModelNotAvailableError, match="on-demand throughput isn't supported"):
        CAT.validate_invocation("anthropic.claude-opus-4-6-v1", "us-west-2")


def test_validate_refuses_aliases_and_foreign_profiles() -> None:
    with pytest.raises(InvalidModelError):
        CAT.validate_invocation("opus", "us-west-2")
    with pytest.raises(ModelNotAvailableError, match="geography 'eu'"):
        CAT.validate_invocation("eu.anthropic.claude-opus-4-6-v1", "us-west-2")
    with pytest.raises(ModelNotAvailableError, match="not offered"):
        CAT.validate_invocation("global.anthropic.claude-opus-4-1-20250805-v1:0", "us-east-1")


def test_validate_arns() -> None:
    profile = (
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.anthropic.claude-opus-4-6-v1"
    )
    got = CAT.validate_invocation(profile, "us-east-1")
    assert got.model_id == profile and got.info is CAT.get("opus-4.6")
    app = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/abc123"
    assert CAT.validate_invocation(app, "us-east-1").info is None
    with pytest.raises(ModelNotAvailableError, match="belongs to Region us-east-1"):
        CAT.validate_invocation(profile, "us-west-2")
    opus = foundation_model_arn("eu-west-2", "anthropic.claude-opus-5-5")
    assert CAT.validate_invocation(opus, "eu-west-2").scope == "arn"
    with pytest.raises(InvalidModelError):
        CAT.validate_invocation("arn:aws:s3:::bucket/key", "us-east-1")
    with pytest.raises(InvalidModelError):
        CAT.validate_invocation(f"arn:aws:bedrock:us-east-1:{ACCOUNT}:guardrail/x", "us-east-1")
