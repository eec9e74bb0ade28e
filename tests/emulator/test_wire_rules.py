"""Bedrock's rules in the wire layer, checked against independent references: botocore's
service models (patterns, lengths, ranges) and Bedrock's error wording as users quote it."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from claude_bedrock.catalog import Catalog, Verdict
from claude_bedrock.wire.rules import Rule
from claude_bedrock.wire.rules.batch import timeout_violation
from claude_bedrock.wire.rules.context import context_window_violation, max_tokens_violation
from claude_bedrock.wire.rules.model_id import (
    MODEL_ID_MAX_LENGTH,
    MODEL_ID_PATTERN,
    model_id_violation,
)

from .conftest import body

CAT = Catalog.default()
HI = [{"role": "user", "content": "hi"}]


def _shape(service: str, operation: str, member: str) -> Any:
    model = botocore.session.get_session().get_service_model(service)
    return model.operation_model(operation).input_shape.members[member]


# -- model-ID syntax -----------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["InvokeModel", "InvokeModelWithResponseStream"])
def test_model_id_rule_is_botocores(operation: str) -> None:
    shape = _shape("bedrock-runtime", operation, "modelId")
    assert shape.metadata["pattern"] == MODEL_ID_PATTERN
    assert shape.metadata["max"] == MODEL_ID_MAX_LENGTH
    assert shape.metadata["min"] == 1


@pytest.mark.parametrize(
    "model_id",
    [
        "anthropic.claude-3-haiku-20240307-v1:0",
        "global.anthropic.claude-opus-4-6-v1",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-opus-4-6-v1",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123def456",
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
        "anthropic.claude-v2:1:200k",  # refused by the 2023 pattern, accepted by today's
    ],
)
def test_model_id_rule_accepts_real_ids(model_id: str) -> None:
    assert model_id_violation(model_id) is None


def test_model_id_rule_refuses_what_the_pattern_refuses() -> None:
    spaced = model_id_violation("anthropic claude")
    assert spaced is not None and spaced.rule is Rule.MODEL_ID_PATTERN
    long = model_id_violation("a" * (MODEL_ID_MAX_LENGTH + 1))
    assert long is not None and (long.rule, long.limit) == (Rule.MODEL_ID_LENGTH, 2048)
    empty = model_id_violation("")
    assert empty is not None and empty.rule is Rule.MODEL_ID_LENGTH


def test_emulator_words_a_bad_model_id_as_bedrock(runtime: Any) -> None:
    # The form users quote (aws/aws-sdk-js-v3#5665): "1 validation error detected: Value
    # 'anthropic.claude-v2:1:200k' at 'modelId' failed to satisfy constraint: Member must
    # satisfy regular expression pattern: (arn:aws..."; the pattern is botocore's.
    with pytest.raises(ClientError) as info:
        runtime.invoke_model(modelId="anthropic claude v2", body=json.dumps(body()))
    error = info.value.response["Error"]
    assert error["Code"] == "ValidationException"
    pattern = _shape("bedrock-runtime", "InvokeModel", "modelId").metadata["pattern"]
    assert error["Message"] == (
        "1 validation error detected: Value 'anthropic claude v2' at 'modelId' failed to "
        f"satisfy constraint: Member must satisfy regular expression pattern: {pattern}"
    )


# -- the catalogue's verdict on runtime IDs -----------------------------------------------


def test_check_invocation_answers_verdicts_not_exceptions() -> None:
    def verdict(model_id: str, region: str = "us-west-2") -> Verdict:
        return CAT.check_invocation(model_id, region).verdict

    assert verdict("global.anthropic.claude-opus-4-6-v1") is Verdict.OK
    assert verdict("anthropic.claude-opus-4-6-v1") is Verdict.ON_DEMAND_NOT_SUPPORTED
    assert verdict("eu.anthropic.claude-opus-4-6-v1") is Verdict.OTHER_GEOGRAPHY
    assert verdict("global.anthropic.claude-opus-4-1-20250805-v1:0") is Verdict.NOT_OFFERED
    assert verdict("opus") is Verdict.UNKNOWN_MODEL
    assert verdict("arn:aws:s3:::bucket/key") is Verdict.NOT_A_MODEL_ARN
    assert verdict("global.anthropic.claude-opus-4-6-v1", "mars-1") is Verdict.UNKNOWN_REGION
    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-opus-4-6-v1"
    assert verdict(arn) is Verdict.ARN_OTHER_REGION
    check = CAT.check_invocation("anthropic.claude-opus-4-6-v1", "us-west-2")
    assert check.info is not None and check.info.id == "anthropic.claude-opus-4-6-v1"


def test_emulator_words_on_demand_as_bedrock(runtime: Any) -> None:
    # Bedrock's text as users quote it: "Invocation of model ID anthropic.claude-... with
    # on-demand throughput isn't supported. Retry your request with the ID or ARN of an
    # inference profile that contains this model."
    with pytest.raises(ClientError) as info:
        runtime.invoke_model(modelId="anthropic.claude-opus-4-6-v1", body=json.dumps(body()))
    assert info.value.response["Error"]["Message"] == (
        "Invocation of model ID anthropic.claude-opus-4-6-v1 with on-demand throughput "
        "isn\u2019t supported. Retry your request with the ID or ARN of an inference profile "
        "that contains this model."
    )


# -- context and batch limits -----------------------------------------------------------


def test_context_rules_compare_only() -> None:
    assert context_window_violation(199_000, 1_000, 200_000) is None
    over = context_window_violation(199_001, 1_000, 200_000)
    assert over is not None and (over.rule, over.limit, over.value) == (
        Rule.CONTEXT_WINDOW,
        200_000,
        200_001,
    )
    assert max_tokens_violation(64_000, 64_000) is None
    too_many = max_tokens_violation(64_001, 64_000)
    assert too_many is not None and too_many.rule is Rule.MAX_TOKENS


def test_batch_timeout_range_is_botocores() -> None:
    shape = _shape("bedrock", "CreateModelInvocationJob", "timeoutDurationInHours")
    low, high = shape.metadata["min"], shape.metadata["max"]
    limits = CAT.batch_limits
    assert (limits.timeout_hours_min, limits.timeout_hours_max) == (low, high)
    assert timeout_violation(low, low, high) is None
    assert timeout_violation(high, low, high) is None
    for wrong in (low - 1, high + 1, True, "24", None):
        found = timeout_violation(wrong, low, high)
        assert found is not None and found.rule is Rule.BATCH_TIMEOUT_HOURS


def test_client_refuses_a_malformed_arn_before_sending(bedrock_emulator: Any) -> None:
    """The same rule on the client side: an ARN Bedrock's pattern refuses fails before any
    request (the emulator, which would answer the ValidationException above, sees none)."""
    from claude_bedrock import AnthropicBedrock, ClientValidationError

    arn = "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic claude"
    assert model_id_violation(arn) is not None
    with AnthropicBedrock(
        aws_region="us-west-2", base_url=bedrock_emulator.url, max_retries=0,
        aws_access_key=bedrock_emulator.access_key, aws_secret_key=bedrock_emulator.secret_key,
    ) as client:  # fmt: skip
        with pytest.raises(ClientValidationError, match="not a valid Bedrock model identifier"):
            client.messages.create(
                model=arn, max_tokens=8, messages=[{"role": "user", "content": "hi"}]
            )
        good = "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/abc123def456"
        with pytest.raises(Exception) as sent:  # noqa: PT011 - any answer proves it was sent
            client.messages.create(
                model=good, max_tokens=8, messages=[{"role": "user", "content": "hi"}]
            )
        assert not isinstance(sent.value, ClientValidationError)
