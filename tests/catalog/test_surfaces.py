"""Which surface serves which model, the bedrock-mantle ID rules, Bedrock's verdicts per
surface, and botocore's model-ID pattern as the oracle for "malformed"."""

from __future__ import annotations

import json
import re
import warnings
from typing import Any

import botocore.loaders
import httpx
import pytest

from claude_bedrock import AnthropicBedrock, MockTransport
from claude_bedrock._exceptions import (
    InvalidModelError,
    ModelNotAvailableError,
    SurfaceNotSupportedError,
    UnknownModelWarning,
)
from claude_bedrock.catalog import Catalog, Verdict

from ._spec import MANTLE_IDS

CAT = Catalog.default()


# -- bedrock-mantle: bare in-Region IDs ------------------------------------------------------------


@pytest.mark.parametrize(("base", "mantle_id"), MANTLE_IDS.items(), ids=list(MANTLE_IDS))
def test_mantle_resolves_to_the_bare_mantle_id(base: str, mantle_id: str) -> None:
    region = "us-gov-west-1" if base == "anthropic.claude-fable-5-1" else "us-east-1"
    for written in (base, mantle_id, CAT.get(base).api_name or base):
        got = CAT.resolve(written, region, surface="mantle")
        assert (got.model_id, got.scope, got.endpoint_type) == (mantle_id, "in-region", "regional")
        assert got.info is not None and got.info.id == base


def test_mantle_refuses_profile_ids_and_names_the_bare_id() -> None:
    for model in ("us.anthropic.claude-opus-5", "global.anthropic.claude-haiku-4-5-20251001-v1:0"):
        with pytest.raises(ModelNotAvailableError) as err:
            CAT.resolve(model, "us-east-1", surface="mantle")
        assert not isinstance(err.value, SurfaceNotSupportedError)
        assert err.value.suggestion in ("anthropic.claude-opus-5", "anthropic.claude-haiku-4-5")
        assert f"use model '{err.value.suggestion}'" in str(err.value)


def test_mantle_aliases_pick_the_newest_model_mantle_serves() -> None:
    assert CAT.resolve("opus", "us-east-1", surface="mantle").model_id == (
        "anthropic.claude-opus-5-5"
    )
    # Haiku 5.5 is not confirmed on mantle: the alias picks the newest that is.
    assert CAT.resolve("haiku", "us-east-1", surface="mantle").model_id == (
        "anthropic.claude-haiku-4-5"
    )


def test_a_certain_no_refuses_the_surface_and_names_those_that_serve() -> None:
    with pytest.raises(SurfaceNotSupportedError) as err:
        CAT.resolve("opus-4.6", "us-east-1", surface="mantle")
    assert err.value.surface == "mantle"
    assert err.value.served_by == ["invoke", "converse", "count-tokens"]
    assert "AnthropicBedrock(...).messages.create(...)" in str(err.value)
    assert "AnthropicBedrockMantle" not in str(err.value)
    with pytest.raises(SurfaceNotSupportedError) as err:
        CAT.resolve("anthropic.claude-mythos-5", "us-east-1", surface="invoke")
    assert err.value.served_by == ["mantle"]
    assert "AnthropicBedrockMantle(...)" in str(err.value)
    assert err.value.suggestion == "anthropic.claude-mythos-5"
    with pytest.raises(SurfaceNotSupportedError) as err:  # Opus 5 card: no CountTokens
        CAT.resolve("opus-5", "us-east-1", surface="count-tokens")
    assert "mantle" in err.value.served_by and 'api="messages"' in str(err.value)


def test_an_uncertain_no_never_refuses() -> None:
    """Haiku 5.5 on mantle and Sonnet 5.5's CountTokens rest on L/M sources: sent as is."""
    got = CAT.resolve("haiku-5.5", "us-east-1", surface="mantle")
    assert got.model_id == "anthropic.claude-haiku-5-5"
    assert CAT.resolve("sonnet-5.5", "us-east-1", surface="count-tokens").info is not None
    assert not CAT.get("haiku-5.5").refuses("mantle")


def test_runtime_messages_resolves_like_invoke() -> None:
    for model in ("sonnet", "anthropic.claude-opus-5", "eu.anthropic.claude-opus-5"):
        region = "eu-west-1"
        assert (
            CAT.resolve(model, region, surface="runtime-messages").model_id
            == CAT.resolve(model, region).model_id
        )


def test_unknown_ids_pass_on_every_surface() -> None:
    with pytest.warns(UnknownModelWarning):
        got = CAT.resolve("anthropic.claude-opus-7", "us-east-1", surface="mantle")
    assert (got.model_id, got.info) == ("anthropic.claude-opus-7", None)


# -- Bedrock's verdicts per surface (what the emulator answers) ------------------------------------


@pytest.mark.parametrize(
    ("model_id", "region", "surface", "verdict"),
    [
        ("anthropic.claude-opus-4-6-v1:0", "us-east-1", "invoke", Verdict.UNKNOWN_MODEL),
        ("global.anthropic.claude-opus-4-6-v1:0", "us-east-1", "converse", Verdict.UNKNOWN_MODEL),
        ("global.anthropic.claude-opus-4-6-v1", "us-east-1", "invoke", Verdict.OK),
        ("us.anthropic.claude-3-haiku-20240307-v1:0", "us-east-1", "invoke", Verdict.END_OF_LIFE),
        ("anthropic.claude-sonnet-4-20250514-v1:0", "us-east-1", "converse", Verdict.END_OF_LIFE),
        ("global.anthropic.claude-opus-5", "us-east-1", "count-tokens", Verdict.NOT_ON_SURFACE),
        ("us.anthropic.claude-opus-5", "us-east-1", "invoke", Verdict.OK),
        ("anthropic.claude-opus-5", "us-east-1", "invoke", Verdict.ON_DEMAND_NOT_SUPPORTED),
        ("anthropic.claude-opus-5-5", "eu-west-2", "invoke", Verdict.OK),
        ("anthropic.claude-opus-5", "us-east-1", "runtime-messages", Verdict.BARE_ID_ON_MESSAGES),
        ("global.anthropic.claude-opus-5", "us-east-1", "runtime-messages", Verdict.OK),
        ("anthropic.claude-opus-5", "us-east-1", "mantle", Verdict.OK),
        ("anthropic.claude-haiku-4-5", "us-east-1", "mantle", Verdict.OK),
        ("us.anthropic.claude-opus-5", "us-east-1", "mantle", Verdict.PROFILE_ON_MANTLE),
        ("anthropic.claude-opus-4-6-v1", "us-east-1", "mantle", Verdict.NOT_ON_SURFACE),
        ("anthropic.claude-3-haiku-20240307-v1:0", "us-east-1", "mantle", Verdict.END_OF_LIFE),
        ("anthropic.claude-nope-1", "us-east-1", "mantle", Verdict.UNKNOWN_MODEL),
        ("global.anthropic.claude-sonnet-5-5", "us-gov-west-1", "invoke", Verdict.OTHER_GEOGRAPHY),
        ("us-gov.anthropic.claude-sonnet-5-5", "us-gov-west-1", "invoke", Verdict.OK),
        ("au.anthropic.claude-opus-4-6-v1", "ap-southeast-2", "invoke", Verdict.OK),
        ("in.anthropic.claude-haiku-4-5-20251001-v1:0", "ap-south-1", "invoke", Verdict.OK),
        ("apac.anthropic.claude-haiku-4-5-20251001-v1:0", "ap-south-1", "invoke",
         Verdict.NOT_OFFERED),
        ("anthropic.claude-mythos-5", "us-east-1", "invoke", Verdict.NOT_ON_SURFACE),
    ],
)  # fmt: skip
def test_check_invocation_per_surface(
    model_id: str, region: str, surface: Any, verdict: Verdict
) -> None:
    assert CAT.check_invocation(model_id, region, surface).verdict is verdict


# -- malformed IDs: botocore's pattern is the oracle -----------------------------------------------


def _botocore_model_id() -> tuple[re.Pattern[str], int]:
    shapes = botocore.loaders.Loader().load_service_model("bedrock-runtime", "service-2")["shapes"]
    member = shapes["InvokeModelRequest"]["members"]["modelId"]["shape"]
    shape = shapes[member]
    return re.compile(shape["pattern"]), int(shape["max"])


CANDIDATES = [
    "us.anthropic.claude-opus-9",
    "anthropic.claude-x-v2:1",
    "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc123",
    "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-opus-4-6-v1",
    "some_model-name",
    "with space",
    "slash/inside",
    "semi;colon",
    'qu"ote',
    "tab\tchar",
    "ünïcode",
    "a" * 2049,
    "",
]


@pytest.mark.parametrize("model", CANDIDATES, ids=[c[:30] or "empty" for c in CANDIDATES])
def test_malformed_means_what_botocore_refuses(model: str) -> None:
    pattern, longest = _botocore_model_id()
    botocore_ok = 1 <= len(model) <= longest and pattern.fullmatch(model) is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownModelWarning)
        try:
            CAT.resolve(model, "us-east-1")
        except InvalidModelError:
            assert not botocore_ok, model
        else:
            assert botocore_ok, model


# -- cost of an unknown model ----------------------------------------------------------------------


def test_an_unknown_model_is_sent_as_written_and_has_no_cost() -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        body = {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-opus-9",
            "content": [{"type": "text", "text": "Hi"}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 3, "output_tokens": 2},
        }
        return httpx.Response(200, content=json.dumps(body))  # fmt: skip

    with (
        AnthropicBedrock(aws_region="us-east-1", api_key="test",
                         transport=MockTransport(handler)) as client,
        pytest.warns(UnknownModelWarning, match="claude-bedrock models --refresh"),
    ):  # fmt: skip
        message = client.messages.create(
            model="us.anthropic.claude-opus-9-9", max_tokens=8,
            messages=[{"role": "user", "content": "hi"}],
        )  # fmt: skip
    assert sent == ["/model/us.anthropic.claude-opus-9-9/invoke"]
    assert message.cost is None
