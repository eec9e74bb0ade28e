"""``client.beta.messages`` and where ``betas=`` goes on each surface (the official SDK's
behaviour is compared in ``test_sdk_parity.py``; this module covers ours alone: Converse,
bedrock-runtime's Messages path, the merging of ``extra_body`` betas, the early checks they
feed, the service tier header, and placeholders in batch requests).

Requests are captured by an ``httpx`` ``event_hooks`` hook on the ``http_client`` given to
the client, against the session's emulator; the early checks use a client whose endpoint
refuses connections, so any error they raise was raised before sending.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest

import claude_bedrock
from claude_bedrock import (
    AnthropicBedrock,
    AnthropicBedrockMantle,
    AsyncAnthropicBedrock,
    AsyncAnthropicBedrockMantle,
    ContextWindowError,
    RetiredBetaWarning,
    ServiceTierWarning,
)
from claude_bedrock.emulator import Emulator
from claude_bedrock.resources import _params
from claude_bedrock.resources._batch_write import encode_request
from claude_bedrock.resources.batches import AsyncBatches, Batches
from claude_bedrock.resources.beta import (
    AsyncBetaMessages,
    AsyncMantleBetaMessages,
    BetaMessages,
    MantleBetaMessages,
)
from claude_bedrock.wire.rules.context import CONTEXT_1M_BETA

REGION = "us-east-1"
MODEL = "us.anthropic.claude-opus-4-7"
MESSAGES = [{"role": "user", "content": "Name three primary colours."}]
BETAS = ["context-management-2025-06-27", "interleaved-thinking-2025-05-14"]
#: A port nothing listens on: a call that gets past the early checks fails to connect.
OFFLINE = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def no_key_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_BEARER_TOKEN_BEDROCK", "ANTHROPIC_AWS_API_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


class Captured:
    """The requests a client sent (JSON body, headers), via an httpx request hook."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.http_client = httpx.Client(event_hooks={"request": [self._keep]})

    def _keep(self, request: httpx.Request) -> None:
        request.read()
        self.requests.append(request)

    def one(self) -> tuple[str, dict[str, str], Any]:
        taken, self.requests = self.requests, []
        assert len(taken) == 1, [r.url for r in taken]
        request = taken[0]
        return request.url.path, dict(request.headers), json.loads(request.content)


@pytest.fixture
def captured(bedrock_emulator: Emulator) -> Iterator[tuple[AnthropicBedrock, Captured]]:
    capture = Captured()
    with (
        capture.http_client,
        AnthropicBedrock(
            aws_region=REGION, base_url=bedrock_emulator.url, max_retries=0,
            aws_access_key=bedrock_emulator.access_key,
            aws_secret_key=bedrock_emulator.secret_key, http_client=capture.http_client,
        ) as client,
    ):  # fmt: skip
        yield client, capture


def test_every_client_class_has_beta_messages() -> None:
    arguments: dict[str, Any] = {"aws_region": REGION, "api_key": "bedrock-api-key-beta-1"}
    sync = AnthropicBedrock(**arguments)
    mantle = AnthropicBedrockMantle(**arguments)
    assert type(sync.beta.messages) is BetaMessages and sync.beta.messages is sync.beta.messages
    assert type(mantle.beta.messages) is MantleBetaMessages
    assert isinstance(sync.beta.messages.batches, Batches)
    with pytest.raises(AttributeError, match="bedrock-mantle serves no Message Batches"):
        mantle.beta.messages.batches  # noqa: B018
    assert type(AsyncAnthropicBedrock(**arguments).beta.messages) is AsyncBetaMessages
    async_mantle = AsyncAnthropicBedrockMantle(**arguments)
    assert type(async_mantle.beta.messages) is AsyncMantleBetaMessages
    assert isinstance(AsyncAnthropicBedrock(**arguments).beta.messages.batches, AsyncBatches)
    sync.close()
    mantle.close()


def test_the_beta_resource_is_built_on_first_use_only() -> None:
    """Building (and using) a client does not import the beta module; ``client.beta`` does."""
    script = (
        "import sys\n"
        "from claude_bedrock import AnthropicBedrock\n"
        "client = AnthropicBedrock(aws_region='us-east-1', api_key='k')\n"
        "client.messages\n"
        "assert 'claude_bedrock.resources.beta' not in sys.modules\n"
        "client.beta.messages\n"
        "assert 'claude_bedrock.resources.beta' in sys.modules\n"
        "assert 'beta' in vars(client)\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)


def test_invoke_takes_the_betas_in_the_body(captured: tuple[AnthropicBedrock, Captured]) -> None:
    client, capture = captured
    message = client.beta.messages.create(model=MODEL, max_tokens=32, messages=MESSAGES,
                                          betas=BETAS)  # fmt: skip
    assert message.content and message.role == "assistant"
    path, headers, body = capture.one()
    assert path.endswith("/invoke") and body["anthropic_beta"] == BETAS
    assert "anthropic-beta" not in headers
    with client.beta.messages.stream(
        model=MODEL, max_tokens=32, messages=MESSAGES, betas=BETAS
    ) as stream:
        assert stream.get_final_text() == message.content[0].text
    path, headers, body = capture.one()
    assert path.endswith("/invoke-with-response-stream") and body["anthropic_beta"] == BETAS


def test_extra_body_betas_are_merged_once(captured: tuple[AnthropicBedrock, Captured]) -> None:
    client, capture = captured
    client.beta.messages.create(
        model=MODEL, max_tokens=32, messages=MESSAGES, betas=BETAS,
        extra_body={"anthropic_beta": [BETAS[1], "token-efficient-tools-2025-02-19"]},
    )  # fmt: skip
    assert capture.one()[2]["anthropic_beta"] == [*BETAS, "token-efficient-tools-2025-02-19"]
    client.messages.create(model=MODEL, max_tokens=32, messages=MESSAGES,
                           extra_body={"anthropic_beta": BETAS})  # fmt: skip
    assert capture.one()[2]["anthropic_beta"] == BETAS


def test_count_tokens_sends_the_betas_in_the_invoke_body(
    captured: tuple[AnthropicBedrock, Captured],
) -> None:
    client, capture = captured
    count = client.beta.messages.count_tokens(model=MODEL, messages=MESSAGES, betas=BETAS)
    assert count.input_tokens > 0
    path, _, body = capture.one()
    assert path.endswith("/count-tokens")
    assert (
        json.loads(base64.b64decode(body["input"]["invokeModel"]["body"]))["anthropic_beta"]
        == BETAS
    )


def test_converse_takes_the_betas_in_additional_model_request_fields(
    captured: tuple[AnthropicBedrock, Captured],
) -> None:
    """AWS documents Claude's betas on Converse (computer use, for one) as
    ``additionalModelRequestFields.anthropic_beta``, which Bedrock merges into the model's
    own request body (docs.aws.amazon.com/bedrock/latest/userguide/computer-use.html)."""
    client, capture = captured
    message = client.beta.messages.create(
        model=MODEL, max_tokens=32, messages=MESSAGES, betas=BETAS[:1], api="converse",
        extra_body={"anthropic_beta": BETAS[1:]},
    )  # fmt: skip
    assert message.content
    path, headers, body = capture.one()
    assert path.endswith("/converse") and "anthropic-beta" not in headers
    assert body["additionalModelRequestFields"]["anthropic_beta"] == BETAS


def test_the_messages_path_takes_the_betas_as_a_header(bedrock_emulator: Emulator) -> None:
    capture = Captured()
    with capture.http_client, AnthropicBedrock(
        aws_region=REGION, base_url=bedrock_emulator.url, max_retries=0, api="messages",
        aws_access_key=bedrock_emulator.access_key, aws_secret_key=bedrock_emulator.secret_key,
        http_client=capture.http_client,
    ) as client:  # fmt: skip
        client.beta.messages.create(model=MODEL, max_tokens=32, messages=MESSAGES, betas=BETAS)
    path, headers, body = capture.one()
    assert path == "/anthropic/v1/messages" and headers["anthropic-beta"] == ",".join(BETAS)
    assert "anthropic_beta" not in body


def test_mantle_betas_from_betas_and_extra_body_feed_the_early_checks() -> None:
    """On bedrock-mantle the betas travel in a header, and the context-window check still
    sees them (from ``betas=`` and from ``extra_body``), as it sees InvokeModel's body list:
    the refusal of a too-long prompt then names the retired 1M beta."""
    mantle = AnthropicBedrockMantle(aws_region=REGION, api_key="k", base_url=OFFLINE,
                                    max_retries=0)  # fmt: skip
    long = [{"role": "user", "content": "a " * 200_000}]
    haiku = "anthropic.claude-haiku-4-5"
    with mantle, warnings.catch_warnings():
        warnings.simplefilter("ignore", RetiredBetaWarning)
        with pytest.raises(ContextWindowError) as plain:
            mantle.messages.create(model=haiku, max_tokens=16, messages=long)
        assert "retired" not in str(plain.value)
        for via in (
            {"betas": [CONTEXT_1M_BETA]},
            {"extra_body": {"anthropic_beta": [CONTEXT_1M_BETA]}},
        ):
            with pytest.raises(ContextWindowError, match="retired on 2026-04-30"):
                mantle.beta.messages.create(model=haiku, max_tokens=16, messages=long, **via)


def test_extra_body_betas_warn_like_betas() -> None:
    _params._warned_retired_beta.clear()
    client = AnthropicBedrock(aws_region=REGION, api_key="k", base_url=OFFLINE, max_retries=0)
    with client, pytest.warns(RetiredBetaWarning), pytest.raises(claude_bedrock.APIConnectionError):
        client.messages.create(model=MODEL, max_tokens=16, messages=MESSAGES,
                               extra_body={"anthropic_beta": [CONTEXT_1M_BETA]})  # fmt: skip


@pytest.mark.parametrize(
    ("given", "sent", "warns"),
    [
        ("priority", "priority", False),
        ("flex", "flex", False),
        ("standard_only", "default", False),
        ("auto", "default", True),
        ("Priority-Plus", "Priority-Plus", True),
    ],
)
def test_service_tier_goes_in_bedrocks_header(
    captured: tuple[AnthropicBedrock, Captured], given: str, sent: str, warns: bool
) -> None:
    """botocore's InvokeModel ``serviceTier`` is the ``X-Amzn-Bedrock-Service-Tier`` header
    (values priority, default, flex, reserved); the Anthropic API's values are mapped,
    anything else is sent as given with a warning: nothing is dropped."""
    client, capture = captured
    _params._warned_tiers.discard(given)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        client.messages.create(model=MODEL, max_tokens=16, messages=MESSAGES, service_tier=given)
    _, headers, body = capture.one()
    assert headers["x-amzn-bedrock-service-tier"] == sent and "service_tier" not in body
    assert any(w.category is ServiceTierWarning for w in seen) is warns
    converse: dict[str, Any] = {"service_tier": given, "api": "converse"}
    if sent in _params.BEDROCK_SERVICE_TIERS:
        client.messages.create(model=MODEL, max_tokens=16, messages=MESSAGES, **converse)
    else:  # Bedrock decides: Converse's schema refuses a tier it does not list
        refused = f"Value '{given}' at 'serviceTier.type'"  # Coral's enum error
        with pytest.raises(claude_bedrock.BadRequestError, match=refused):
            client.messages.create(model=MODEL, max_tokens=16, messages=MESSAGES, **converse)
    _, headers, body = capture.one()
    assert body["serviceTier"] == {"type": sent} and "x-amzn-bedrock-service-tier" not in headers


def test_batch_params_drop_placeholders() -> None:
    client = AnthropicBedrock(aws_region=REGION, api_key="k")
    params: dict[str, Any] = {
        "model": MODEL, "max_tokens": 16, "messages": MESSAGES, "system": anthropic.NOT_GIVEN,
        "temperature": anthropic.omit, "tools": claude_bedrock.omit,
        "betas": claude_bedrock.NOT_GIVEN, "service_tier": "auto", "stream": anthropic.omit,
    }  # fmt: skip
    with client, warnings.catch_warnings():
        warnings.simplefilter("error")  # no ServiceTierWarning: a record has no tier
        _, _, record = encode_request(client._core, {"custom_id": "a", "params": params}, None)
    body = json.loads(record)["modelInput"]
    assert set(body) == {"anthropic_version", "max_tokens", "messages"}
    bad = {**params, "no_such": anthropic.NOT_GIVEN}
    with pytest.raises(claude_bedrock.ClientValidationError, match="no_such"):
        encode_request(client._core, {"custom_id": "b", "params": bad}, None)


def test_the_sdks_beta_type_names_exist_and_are_our_classes(
    captured: tuple[AnthropicBedrock, Captured],
) -> None:
    import anthropic.types.beta as sdk_beta_types

    from claude_bedrock.types import beta as beta_types

    for name in beta_types.__all__:
        assert hasattr(sdk_beta_types, name), name
    client, capture = captured
    message = client.beta.messages.create(model=MODEL, max_tokens=16, messages=MESSAGES)
    assert isinstance(message, beta_types.BetaMessage)
    assert isinstance(message.content[0], beta_types.BetaTextBlock)
    capture.one()
