"""``fallbacks=`` and ``throughput="adaptive"`` against the emulator's injected throttling
(``x-emulator-fault: throttle*N`` fails the first N requests carrying the same key, so a
call's attempts, across models, are counted by the emulator itself)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from faultkit import MODEL, ask, async_client, attempts, fault, sync_client

from claude_bedrock import BadRequestError, ClientValidationError, RateLimitError
from claude_bedrock.emulator import Emulator

pytestmark = pytest.mark.usefixtures("client_env")
FALLBACK = "us.anthropic.claude-sonnet-4-6"


def test_throttling_moves_to_the_fallback_which_serves_and_is_billed(
    bedrock_emulator: Emulator,
) -> None:
    headers, key = fault("throttle*3")  # the primary's 3 attempts (max_retries=2) throttled
    with sync_client(bedrock_emulator) as client:
        message = client.messages.create(**ask(), fallbacks=[FALLBACK], extra_headers=headers)
    assert message.served_by == FALLBACK
    assert message.cost is not None and "sonnet-4-6" in message.cost.model
    assert attempts(bedrock_emulator, key) == 4


def test_client_level_fallbacks_apply_to_every_call(bedrock_emulator: Emulator) -> None:
    headers, key = fault("throttle*1")
    with sync_client(bedrock_emulator, max_retries=0, fallbacks=[FALLBACK]) as client:
        message = client.messages.create(**ask(), extra_headers=headers)
    assert message.served_by == FALLBACK
    assert attempts(bedrock_emulator, key) == 2


def test_a_validation_error_never_falls_back(bedrock_emulator: Emulator) -> None:
    headers, key = fault("throttle*0")  # counts attempts, injects nothing
    with sync_client(bedrock_emulator) as client, pytest.raises(BadRequestError):
        client.messages.create(
            **ask(), temperature=7.5, fallbacks=[FALLBACK], extra_headers=headers
        )
    assert attempts(bedrock_emulator, key) == 1


def test_the_last_models_error_is_raised_when_every_model_is_throttled(
    bedrock_emulator: Emulator,
) -> None:
    headers, key = fault("throttle*100")
    with sync_client(bedrock_emulator, max_retries=0) as client, pytest.raises(RateLimitError):
        client.messages.create(**ask(), fallbacks=[FALLBACK], extra_headers=headers)
    assert attempts(bedrock_emulator, key) == 2


def test_a_fallback_the_surface_does_not_serve_fails_before_sending(
    bedrock_emulator: Emulator,
) -> None:
    headers, key = fault("throttle*0")
    with sync_client(bedrock_emulator) as client, pytest.raises(ClientValidationError) as err:
        client.messages.create(
            **ask(), fallbacks=["anthropic.claude-mythos-5"], extra_headers=headers
        )
    assert "mythos-5 is not served on invoke" in str(err.value)
    assert attempts(bedrock_emulator, key) == 0


def test_the_official_sdks_server_side_fallbacks_go_in_the_body(
    bedrock_emulator: Emulator,
) -> None:
    """A list of objects is the Anthropic API's own field: ours leaves it alone (the
    emulator, like Bedrock for InvokeModel, refuses a body key it does not know)."""
    with sync_client(bedrock_emulator) as client, pytest.raises(BadRequestError) as err:
        client.messages.create(**ask(), fallbacks=[{"model": "claude-sonnet-5"}])
    assert "fallbacks" in str(err.value)


def test_async_fallbacks(bedrock_emulator: Emulator) -> None:
    async def main() -> Any:
        headers, key = fault("throttle*1")
        async with async_client(bedrock_emulator, max_retries=0) as client:
            message = await client.messages.create(
                **ask(), fallbacks=[FALLBACK], extra_headers=headers
            )
        return message, key

    message, key = asyncio.run(main())
    assert message.served_by == FALLBACK
    assert attempts(bedrock_emulator, key) == 2


def test_adaptive_absorbs_throttling_past_max_retries(bedrock_emulator: Emulator) -> None:
    headers, key = fault("throttle*6")
    with sync_client(bedrock_emulator, max_retries=0, throughput="adaptive") as client:
        message = client.messages.create(**ask(), extra_headers=headers)
    assert message.content
    assert attempts(bedrock_emulator, key) == 7
    with sync_client(bedrock_emulator, max_retries=0) as plain, pytest.raises(RateLimitError):
        plain.messages.create(**ask(), extra_headers=fault("throttle*1")[0])


def test_adaptive_async_shares_one_window_across_tasks(bedrock_emulator: Emulator) -> None:
    async def main() -> int:
        async with async_client(bedrock_emulator, throughput="adaptive") as client:
            results = await asyncio.gather(
                *(client.messages.create(**ask(f"hello {i}")) for i in range(40))
            )
            sender: Any = client._sender
            window = sender.gate.core.snapshot(f"{client.base_url.split('//')[1]}/{MODEL}")
            assert window["in_flight"] == 0
            assert window["calls"] > 4  # 40 successes grew it from its initial 4
        return len(results)

    assert asyncio.run(main()) == 40


def test_a_copy_shares_the_limiter_and_fallbacks_are_kept(bedrock_emulator: Emulator) -> None:
    with sync_client(bedrock_emulator, throughput="adaptive", fallbacks=[FALLBACK]) as client:
        copy = client.with_options(timeout=30)
        assert copy._sender.gate is client._sender.gate  # type: ignore[attr-defined]
        assert copy._fallbacks == (FALLBACK,)
        plain = client.with_options(throughput=None)
        assert plain._sender.gate is None  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="throughput='fast'"):
        sync_client(bedrock_emulator, throughput="fast")


def test_a_stream_falls_back_before_its_first_event(bedrock_emulator: Emulator) -> None:
    headers, key = fault("throttle*1")
    with sync_client(bedrock_emulator, max_retries=0) as client:
        manager = client.messages.stream(**ask(), fallbacks=[FALLBACK], extra_headers=headers)
        with manager as stream:
            text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text and final.cost is not None and "sonnet-4-6" in final.cost.model
    assert attempts(bedrock_emulator, key) == 2


def test_an_async_stream_on_the_messages_api_uses_the_clients_fallbacks(
    bedrock_emulator: Emulator,
) -> None:
    async def main() -> Any:
        headers, key = fault("throttle*1")
        options: dict[str, Any] = {"max_retries": 0, "fallbacks": [FALLBACK], "api": "messages"}
        client = async_client(bedrock_emulator, **options)
        async with client, client.messages.stream(**ask(), extra_headers=headers) as stream:
            final = await stream.get_final_message()
        return final, key

    final, key = asyncio.run(main())
    assert final.cost is not None and "sonnet-4-6" in final.cost.model
    assert attempts(bedrock_emulator, key) == 2


def test_counting_tokens_ignores_fallbacks(bedrock_emulator: Emulator) -> None:
    with sync_client(bedrock_emulator, fallbacks=[FALLBACK]) as client:
        plain = client.messages.count_tokens(model=MODEL, messages=ask()["messages"])
        counted = client.messages.count_tokens(
            model=MODEL, messages=ask()["messages"], fallbacks=[FALLBACK]
        )
    assert counted.input_tokens == plain.input_tokens > 0
