"""Every (model, scope) pair of Bedrock's Claude models (December 2026), on the emulator,
through boto3.

For each pair, a call from a Region of that scope's geography with the profile ID
``{scope}.{base}``: offered -> InvokeModel answers 200 and GetInferenceProfile finds it;
not offered -> Bedrock's ValidationException ("The provided model identifier is invalid.")
and ResourceNotFoundException. Models past end of life answer Bedrock's
ResourceNotFoundException "This model version has reached the end of its life. Please refer
to the AWS documentation for more details." (the rule table's quote). The table
is written out here from the fact sheet (``shared/research/bedrock-2026-12.md`` §2.1, which
cites Anthropic's Bedrock guides, the AWS model cards and live third-party checks),
independently of the catalogue's data, so a mistake in ``models.json`` cannot also be the
expected value.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError

from claude_bedrock.emulator import Emulator

SCOPES = ("global", "us", "eu", "jp", "au", "apac", "in", "us-gov")

# name, base model ID, the profile prefixes Bedrock offers (fact sheet §2.1; where it marks a
# third-party-only profile, the profile is offered: the client must never refuse it).
SPEC_TABLE: list[tuple[str, str, tuple[str, ...]]] = [
    ("Claude Opus 5.5", "anthropic.claude-opus-5-5", ("global", "us", "eu", "jp", "au", "us-gov")),
    (
        "Claude Opus 5",
        "anthropic.claude-opus-5",
        ("global", "us", "eu", "jp", "au", "in", "us-gov"),
    ),
    ("Claude Opus 4.8", "anthropic.claude-opus-4-8", ("global", "us", "eu", "jp", "au")),
    ("Claude Opus 4.7", "anthropic.claude-opus-4-7", ("global", "us", "eu", "jp", "au")),
    (
        "Claude Opus 4.6",
        "anthropic.claude-opus-4-6-v1",
        ("global", "us", "eu", "jp", "au", "apac"),
    ),
    ("Claude Opus 4.5", "anthropic.claude-opus-4-5-20251101-v1:0", ("global", "us", "eu")),
    ("Claude Opus 4.1", "anthropic.claude-opus-4-1-20250805-v1:0", ("us",)),
    ("Claude Sonnet 5.5", "anthropic.claude-sonnet-5-5", ("global", "us", "eu", "us-gov")),
    ("Claude Sonnet 5", "anthropic.claude-sonnet-5", ("global", "us", "eu", "jp", "au", "in")),
    ("Claude Sonnet 4.6", "anthropic.claude-sonnet-4-6", ("global", "us", "eu", "jp", "au")),
    (
        "Claude Sonnet 4.5",
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        ("global", "us", "eu", "jp", "au", "us-gov"),
    ),
    ("Claude Haiku 5.5", "anthropic.claude-haiku-5-5", ("global", "us", "eu", "jp", "au")),
    (
        "Claude Haiku 4.5",
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        ("global", "us", "eu", "jp", "au", "in"),
    ),
    ("Claude Fable 5.2", "anthropic.claude-fable-5-2", ("global", "us")),
    ("Claude Fable 5.1", "anthropic.claude-fable-5-1", ("global", "us")),
    ("Claude Fable 5", "anthropic.claude-fable-5", ("global", "us", "eu")),
]

# Past end of life on Bedrock (fact sheet §2.4): base ID and the profiles they used to have.
END_OF_LIFE: list[tuple[str, str, tuple[str, ...]]] = [
    ("Claude Sonnet 4", "anthropic.claude-sonnet-4-20250514-v1:0", ("global", "us", "eu")),
    ("Claude Sonnet 3.7", "anthropic.claude-3-7-sonnet-20250219-v1:0", ("us", "eu")),
    ("Claude Opus 4", "anthropic.claude-opus-4-20250514-v1:0", ("us",)),
    ("Claude Haiku 3.5", "anthropic.claude-3-5-haiku-20241022-v1:0", ("us",)),
    ("Claude Haiku 3", "anthropic.claude-3-haiku-20240307-v1:0", ("us", "eu")),
]
END_OF_LIFE_MESSAGE = (
    "This model version has reached the end of its life. "
    "Please refer to the AWS documentation for more details."
)

# A source Region of each scope, and the geographies AWS lets each such Region call
# (Tokyo calls JP and APAC profiles, Sydney AU and APAC, Hyderabad India and APAC;
# GovCloud calls us-gov. profiles and no global ones).
HOME_REGION = {
    "global": "us-west-2",
    "us": "us-east-1",
    "eu": "eu-west-1",
    "jp": "ap-northeast-1",
    "au": "ap-southeast-4",
    "apac": "ap-southeast-2",
    "in": "ap-south-2",
    "us-gov": "us-gov-west-1",
}
REGION_GEOGRAPHIES = {
    "us-west-2": ("us",),
    "us-east-1": ("us",),
    "eu-west-1": ("eu",),
    "ap-northeast-1": ("jp", "apac"),
    "ap-southeast-4": ("au", "apac"),
    "ap-southeast-2": ("au", "apac"),
    "ap-south-2": ("in", "apac"),
    "us-gov-west-1": ("us-gov",),
}
INVALID_MODEL = "The provided model identifier is invalid."

PAIRS = [
    pytest.param(base, scope, scope in offered, id=f"{name}-{scope}")
    for name, base, offered in SPEC_TABLE
    for scope in SCOPES
]

Factory = Callable[[str, str], Any]


@pytest.fixture(scope="module")
def client_for(bedrock_emulator: Emulator) -> Factory:
    """boto3 clients (service, Region) on the emulator, built once each, no retries."""
    cache: dict[tuple[str, str], BaseClient] = {}

    def make(service: str, region: str) -> Any:
        key = (service, region)
        if key not in cache:
            cache[key] = boto3.client(
                service,
                endpoint_url=bedrock_emulator.url,
                aws_access_key_id=bedrock_emulator.access_key,
                aws_secret_access_key=bedrock_emulator.secret_key,
                region_name=region,
                config=Config(retries={"max_attempts": 1, "mode": "standard"}),
            )
        return cache[key]

    return make


def _invoke(runtime: Any, model_id: str) -> dict[str, Any]:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 16,
        "messages": [{"role": "user", "content": "Which model are you?"}],
    }
    response = runtime.invoke_model(modelId=model_id, body=json.dumps(body))
    result: dict[str, Any] = json.loads(response["body"].read())
    return result


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response = excinfo.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


@pytest.mark.parametrize(("base", "scope", "offered"), PAIRS)
def test_invoke_model_with_each_profile_from_its_geography(
    client_for: Factory, base: str, scope: str, offered: bool
) -> None:
    runtime = client_for("bedrock-runtime", HOME_REGION[scope])
    model_id = f"{scope}.{base}"
    if offered:
        message = _invoke(runtime, model_id)
        assert message["type"] == "message" and message["role"] == "assistant"
        # Bedrock names the model by its Anthropic API name: no scope, no "-v1:0".
        assert message["model"] == base.removeprefix("anthropic.").rsplit("-v1", 1)[0]
    else:
        with pytest.raises(ClientError) as excinfo:
            _invoke(runtime, model_id)
        assert _error(excinfo) == (400, "ValidationException", INVALID_MODEL)


@pytest.mark.parametrize(("base", "scope", "offered"), PAIRS)
def test_get_inference_profile_for_each_pair(
    client_for: Factory, base: str, scope: str, offered: bool
) -> None:
    control = client_for("bedrock", HOME_REGION[scope])
    profile_id = f"{scope}.{base}"
    if offered:
        profile = control.get_inference_profile(inferenceProfileIdentifier=profile_id)
        assert profile["inferenceProfileId"] == profile_id
        assert profile["type"] == "SYSTEM_DEFINED" and profile["status"] == "ACTIVE"
        assert all(m["modelArn"].endswith(f"foundation-model/{base}") for m in profile["models"])
    else:
        with pytest.raises(ClientError) as excinfo:
            control.get_inference_profile(inferenceProfileIdentifier=profile_id)
        assert _error(excinfo)[:2] == (404, "ResourceNotFoundException")


@pytest.mark.parametrize(
    ("base", "geography", "region"),
    [
        pytest.param(base, geo, region, id=f"{name}-{geo}-from-{region}")
        for name, base, offered in SPEC_TABLE
        for geo in offered
        if geo != "global"
        for region in ("us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1")
        if geo not in REGION_GEOGRAPHIES[region]
    ],
)
def test_a_profile_of_another_geography_is_refused(
    client_for: Factory, base: str, geography: str, region: str
) -> None:
    """``eu.`` from us-east-1: the profile exists, but not for callers in that Region."""
    runtime = client_for("bedrock-runtime", region)
    with pytest.raises(ClientError) as excinfo:
        _invoke(runtime, f"{geography}.{base}")
    assert _error(excinfo) == (400, "ValidationException", INVALID_MODEL)


@pytest.mark.parametrize("region", sorted(set(REGION_GEOGRAPHIES) - {"us-gov-west-1"}))
def test_global_profiles_work_from_every_region(client_for: Factory, region: str) -> None:
    runtime = client_for("bedrock-runtime", region)
    for _, base, offered in SPEC_TABLE:
        if "global" in offered:
            assert _invoke(runtime, f"global.{base}")["type"] == "message"


def test_govcloud_cannot_call_global_profiles(client_for: Factory) -> None:
    runtime = client_for("bedrock-runtime", "us-gov-west-1")
    with pytest.raises(ClientError) as excinfo:
        _invoke(runtime, "global.anthropic.claude-sonnet-5-5")
    assert _error(excinfo) == (400, "ValidationException", INVALID_MODEL)
    assert _invoke(runtime, "us-gov.anthropic.claude-sonnet-5-5")["type"] == "message"


@pytest.mark.parametrize(
    "model_id",
    [
        pytest.param(f"{scope}.{base}" if scope else base, id=f"{name}-{scope or 'base'}")
        for name, base, scopes in END_OF_LIFE
        for scope in (None, *scopes)
    ],
)
def test_end_of_life_models_answer_bedrocks_404(client_for: Factory, model_id: str) -> None:
    runtime = client_for("bedrock-runtime", "us-east-1")
    with pytest.raises(ClientError) as excinfo:
        _invoke(runtime, model_id)
    assert _error(excinfo) == (404, "ResourceNotFoundException", END_OF_LIFE_MESSAGE)


@pytest.mark.parametrize(
    "model_id",
    [
        "anthropic.claude-opus-4-6-v1:0",
        "global.anthropic.claude-opus-4-6-v1:0",
        "us.anthropic.claude-opus-4-6-v1:0",
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-opus-4-6-v1:0",
    ],
)
def test_the_printed_opus_46_id_with_colon_zero_is_invalid(
    client_for: Factory, model_id: str
) -> None:
    """The source document prints Opus 4.6 as ``...-v1:0``; Bedrock refuses that ID."""
    runtime = client_for("bedrock-runtime", "us-east-1")
    with pytest.raises(ClientError) as excinfo:
        _invoke(runtime, model_id)
    assert _error(excinfo) == (400, "ValidationException", INVALID_MODEL)


def test_opus_55_in_region_on_demand_only_in_london(client_for: Factory) -> None:
    """Opus 5.5's bare ID runs on demand in eu-west-2 only (fact sheet §2.1)."""
    assert _invoke(client_for("bedrock-runtime", "eu-west-2"), "anthropic.claude-opus-5-5")
    with pytest.raises(ClientError) as excinfo:
        _invoke(client_for("bedrock-runtime", "eu-west-1"), "anthropic.claude-opus-5-5")
    assert "on-demand throughput isn\u2019t supported" in _error(excinfo)[2]


def test_tokyo_reaches_both_jp_and_apac_profiles(client_for: Factory) -> None:
    runtime = client_for("bedrock-runtime", "ap-northeast-1")
    opus = "anthropic.claude-opus-4-6-v1"
    assert _invoke(runtime, f"jp.{opus}")["type"] == "message"
    assert _invoke(runtime, f"apac.{opus}")["type"] == "message"


@pytest.mark.parametrize("scope", SCOPES)
def test_unknown_model_in_every_scope(client_for: Factory, scope: str) -> None:
    runtime = client_for("bedrock-runtime", HOME_REGION[scope])
    with pytest.raises(ClientError) as excinfo:
        _invoke(runtime, f"{scope}.anthropic.claude-opus-9-v1:0")
    assert _error(excinfo) == (400, "ValidationException", INVALID_MODEL)


def test_profile_only_models_refuse_the_bare_base_id(client_for: Factory) -> None:
    """Newer models have no single-Region on-demand throughput: Bedrock says so and
    names the fix (an inference profile)."""
    runtime = client_for("bedrock-runtime", "us-east-1")
    with pytest.raises(ClientError) as excinfo:
        _invoke(runtime, "anthropic.claude-opus-4-6-v1")
    status, code, message = _error(excinfo)
    assert (status, code) == (400, "ValidationException")
    assert "on-demand throughput isn\u2019t supported" in message
    assert "inference profile" in message


@pytest.mark.parametrize(
    ("model_id", "status", "code", "message"),
    [
        ("anthropic.claude-opus-4-6-v1:0", 400, "ValidationException", INVALID_MODEL),
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            404,
            "ResourceNotFoundException",
            END_OF_LIFE_MESSAGE,
        ),
        # The Opus 5 card: Count tokens is not supported on bedrock-runtime.
        (
            "anthropic.claude-opus-5",
            400,
            "ValidationException",
            "The provided model doesn't support counting tokens.",
        ),
    ],
)
def test_count_tokens_refusals_through_boto3(
    client_for: Factory, model_id: str, status: int, code: str, message: str
) -> None:
    runtime = client_for("bedrock-runtime", "us-east-1")
    body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 8,
                       "messages": [{"role": "user", "content": "hi"}]}).encode()  # fmt: skip
    with pytest.raises(ClientError) as excinfo:
        runtime.count_tokens(modelId=model_id, input={"invokeModel": {"body": body}})
    assert _error(excinfo) == (status, code, message)
    counted = runtime.count_tokens(
        modelId="anthropic.claude-opus-4-6-v1", input={"invokeModel": {"body": body}}
    )
    assert counted["inputTokens"] > 0
