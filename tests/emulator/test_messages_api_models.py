"""Model IDs on the Messages API surfaces, against the December-2026 catalogue.

What Bedrock serves and refuses on each surface: current models on both (bare on mantle,
profiles on the runtime), the ``:0`` spelling of Opus 4.6 the source document prints, models
past end of life, profile IDs on mantle, bare IDs on the runtime, the ``2026-10-21``
version on models older than Claude 4.7, and the retired 1M-context beta. The official
SDK's exceptions are the reference for what a user sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from claude_bedrock.emulator import Emulator
from claude_bedrock.wire.messages_api import MESSAGES_PATH

from .messages_support import (
    MESSAGES,
    REGION,
    close_clients,
    envelope,
    kept,
    payload,
    post_keyed,
    post_signed,
)

OPUS_5 = "anthropic.claude-opus-5"
OPUS_48_GLOBAL = "global.anthropic.claude-opus-4-8"
HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"  # end of life 2026-09-10
OPUS_46_PRINTED = "anthropic.claude-opus-4-6-v1:0"  # what the source document prints
OPUS_46 = "anthropic.claude-opus-4-6-v1"  # what Bedrock accepts
SONNET_45_US = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
INVALID = "The provided model identifier is invalid."
PINNED = {"anthropic-version": "2023-06-01"}  # what AWS documents, for models before 4.7
END_OF_LIFE = (
    "This model version has reached the end of its life. "
    "Please refer to the AWS documentation for more details."
)


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield from close_clients()


def _mantle(emulator: Emulator, **headers: str) -> anthropic.AnthropicBedrockMantle:
    """The SDK's Mantle client, SigV4, sending its own ``anthropic-version`` (2026-10-21)."""
    return kept(
        anthropic.AnthropicBedrockMantle(
            aws_region=REGION,
            aws_access_key=emulator.access_key,
            aws_secret_key=emulator.secret_key,
            base_url=emulator.url + "/anthropic",
            max_retries=0,
            default_headers=headers or None,
        )
    )


def _plain(emulator: Emulator, **headers: str) -> anthropic.Anthropic:
    return kept(
        anthropic.Anthropic(
            base_url=emulator.url + "/anthropic",
            api_key=emulator.api_key,
            max_retries=0,
            default_headers=headers or None,
        )
    )


def _create(client: Any, model: str) -> Any:
    return client.messages.create(model=model, max_tokens=64, messages=MESSAGES)


def test_current_models_with_the_sdk_defaults(emulator: Emulator) -> None:
    mantle = _create(_mantle(emulator), OPUS_5)
    runtime = _create(_plain(emulator), OPUS_48_GLOBAL)
    assert mantle.model == "claude-opus-5" and runtime.model == "claude-opus-4-8"
    assert mantle.content[0].text == runtime.content[0].text  # one engine, both surfaces
    with _plain(emulator).messages.stream(
        model=OPUS_48_GLOBAL, max_tokens=64, messages=MESSAGES
    ) as stream:
        assert stream.get_final_text() == runtime.content[0].text


def test_a_profile_id_on_mantle_is_not_found(emulator: Emulator) -> None:
    with pytest.raises(anthropic.NotFoundError) as caught:
        _create(_mantle(emulator), OPUS_48_GLOBAL)
    assert f"The model '{OPUS_48_GLOBAL}' does not exist" in str(caught.value)


def test_a_bare_id_on_the_runtime_needs_a_profile(emulator: Emulator) -> None:
    response = post_signed(emulator, MESSAGES_PATH, payload(OPUS_5), service="bedrock")
    status, error_type, message = envelope(response)
    assert (status, error_type) == (400, "invalid_request_error")
    assert message.startswith(f"Invocation of model ID {OPUS_5} with on-demand throughput")
    assert response.headers["x-amzn-errortype"] == "ValidationException"


def test_the_printed_opus_4_6_id_is_refused_and_the_real_one_served(emulator: Emulator) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        _create(_plain(emulator, **PINNED), "global." + OPUS_46_PRINTED)
    assert caught.value.body["error"]["message"] == INVALID  # type: ignore[index]
    body = payload(OPUS_46_PRINTED)
    mantle = post_signed(emulator, MESSAGES_PATH, body, service="bedrock-mantle")
    assert envelope(mantle)[:2] == (404, "not_found_error")
    served = _create(_plain(emulator, **PINNED), "global." + OPUS_46)
    assert served.model == "claude-opus-4-6"


@pytest.mark.parametrize(
    ("service", "model"), [("bedrock-mantle", HAIKU_3), ("bedrock", "us." + HAIKU_3)]
)
def test_end_of_life_models(emulator: Emulator, service: str, model: str) -> None:
    response = post_signed(emulator, MESSAGES_PATH, payload(model), service=service)
    assert envelope(response) == (404, "not_found_error", END_OF_LIFE)


def test_end_of_life_through_the_sdk(emulator: Emulator) -> None:
    with pytest.raises(anthropic.NotFoundError) as caught:
        _create(_mantle(emulator, **PINNED), HAIKU_3)
    assert END_OF_LIFE in str(caught.value)


def test_the_2026_10_21_version_on_a_model_before_claude_4_7(emulator: Emulator) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        _create(_plain(emulator), SONNET_45_US)  # the SDK sends 2026-10-21
    assert '"2026-10-21" is not supported for this model' in str(caught.value)
    pinned = _create(_plain(emulator, **PINNED), SONNET_45_US)
    assert pinned.type == "message"


def test_the_retired_1m_beta_does_not_open_sonnet_4_5(emulator: Emulator) -> None:
    big = [{"role": "user", "content": "word " * 210_000}]
    headers = {"anthropic-beta": "context-1m-2025-08-07"}
    response = post_keyed(
        emulator, MESSAGES_PATH, payload(SONNET_45_US, messages=big), headers=headers
    )
    too_long = "Input is too long for requested model."
    assert envelope(response) == (400, "invalid_request_error", too_long)


def test_a_model_the_surface_does_not_serve(emulator: Emulator) -> None:
    mythos = "anthropic.claude-mythos-5"  # bedrock-mantle only (AWS model card)
    runtime = post_signed(emulator, MESSAGES_PATH, payload(mythos), service="bedrock")
    assert envelope(runtime) == (404, "not_found_error", f"The model '{mythos}' does not exist")
    mantle = post_signed(emulator, MESSAGES_PATH, payload(mythos), service="bedrock-mantle")
    assert mantle.status_code == 200 and mantle.json()["model"] == "claude-mythos-5"
