"""``copy`` / ``with_options``, the public attributes, ``close`` / ``is_closed`` and the
low-level ``get`` / ``post`` of every client class, beside the official SDK 2.16 doing the
same against the same emulator (or recording server) where the two are comparable."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest

from claude_bedrock import (
    AnthropicBedrock,
    AnthropicBedrockMantle,
    AsyncAnthropicBedrock,
    AsyncAnthropicBedrockMantle,
    RateLimitError,
)
from claude_bedrock.emulator import Emulator
from messagesserver import ACCESS, SECRET, MessagesServer

pytestmark = pytest.mark.usefixtures("client_env")

MODEL = "global.anthropic.claude-opus-4-6-v1"
HELLO = [{"role": "user", "content": "Hello, world"}]


def _arguments(emulator: Emulator) -> dict[str, Any]:
    return {
        "aws_access_key": emulator.access_key, "aws_secret_key": emulator.secret_key,
        "aws_region": "us-west-2", "base_url": emulator.url,
    }  # fmt: skip


def _fault(kind: str = "throttle") -> tuple[dict[str, str], str]:
    key = uuid.uuid4().hex
    return {"x-emulator-fault": kind, "x-emulator-fault-key": key}, key


def _attempts(emulator: Emulator, key: str) -> int:
    report = httpx.get(f"{emulator.url}/_emulator/faults", params={"key": key}).json()
    return int(report["key"]["requests"])


def _same_attributes(ours: Any, sdk: Any) -> None:
    for name in ("api_key", "aws_access_key", "aws_secret_key", "aws_session_token",
                 "aws_profile", "aws_region", "max_retries", "default_query"):  # fmt: skip
        assert getattr(ours, name) == getattr(sdk, name), name
    assert ours.base_url == str(sdk.base_url).rstrip("/")
    theirs = sdk.timeout
    expected = httpx.Timeout(theirs) if isinstance(theirs, float | int) else theirs
    assert ours.timeout.as_dict() == expected.as_dict()
    for name, value in sdk._custom_headers.items():
        assert ours.default_headers[name] == value
    for name in ("Accept", "Content-Type", "User-Agent"):
        assert name in ours.default_headers and name in sdk.default_headers
    assert ours.default_headers["User-Agent"] == ours.user_agent
    assert isinstance(ours.user_agent, str) and isinstance(sdk.user_agent, str)
    assert ours.aws_secret_key is None or ours.aws_secret_key not in repr(ours)


CONSTRUCTIONS: dict[str, dict[str, Any]] = {
    "keys": {"aws_access_key": ACCESS, "aws_secret_key": SECRET, "aws_session_token": "tok-1"},
    "api key": {"api_key": "ABSKexample0000000001"},
    "options": {"aws_access_key": ACCESS, "aws_secret_key": SECRET, "timeout": 30.0,
                "max_retries": 5, "default_headers": {"X-Team": "a"},
                "default_query": {"tag": "x"}},
}  # fmt: skip


@pytest.mark.parametrize("case", list(CONSTRUCTIONS))
def test_attributes_match_the_sdk(case: str) -> None:
    arguments = {"aws_region": "eu-west-1", **CONSTRUCTIONS[case]}
    pairs = [
        (AnthropicBedrock(**arguments), anthropic.AnthropicBedrock(**arguments)),
        (AnthropicBedrockMantle(**arguments), anthropic.AnthropicBedrockMantle(**arguments)),
    ]
    for ours, sdk in pairs:
        with ours, sdk:
            _same_attributes(ours, sdk)
            copied, sdk_copied = ours.copy(max_retries=1), sdk.copy(max_retries=1)
            _same_attributes(copied, sdk_copied)
            assert copied.max_retries == 1 and ours.max_retries == sdk.max_retries

    async def the_async_classes() -> None:
        for ours_class, sdk_class in (
            (AsyncAnthropicBedrock, anthropic.AsyncAnthropicBedrock),
            (AsyncAnthropicBedrockMantle, anthropic.AsyncAnthropicBedrockMantle),
        ):
            async with ours_class(**arguments) as ours, sdk_class(**arguments) as sdk:
                _same_attributes(ours, sdk)
                _same_attributes(ours.with_options(timeout=9), sdk.with_options(timeout=9))

    asyncio.run(the_async_classes())


def test_with_options_max_retries_0_raises_at_once_like_the_sdk(bedrock_emulator: Emulator) -> None:
    ours = AnthropicBedrock(**_arguments(bedrock_emulator), max_retries=3)
    sdk = anthropic.AnthropicBedrock(**_arguments(bedrock_emulator), max_retries=3)
    with ours, sdk:
        for client, error in ((ours, RateLimitError), (sdk, anthropic.RateLimitError)):
            headers, key = _fault("throttle")
            with pytest.raises(error):
                client.with_options(max_retries=0).messages.create(
                    model=MODEL, max_tokens=32, messages=HELLO, extra_headers=headers
                )
            assert _attempts(bedrock_emulator, key) == 1
            assert client.max_retries == 3  # the original is unchanged


def test_copy_default_headers_are_sent_and_the_original_is_unchanged(
    bedrock_emulator: Emulator,
) -> None:
    arguments = {**_arguments(bedrock_emulator), "default_headers": {"X-Team": "a"}}
    ours, sdk = AnthropicBedrock(**arguments), anthropic.AnthropicBedrock(**arguments)
    with ours, sdk:
        for client, error in ((ours, RateLimitError), (sdk, anthropic.RateLimitError)):
            headers, key = _fault("throttle*5")
            faulty = client.copy(default_headers=headers, max_retries=0, timeout=20)
            assert faulty.default_headers["X-Team"] == "a"  # merged over the original's
            with pytest.raises(error):
                faulty.messages.create(model=MODEL, max_tokens=32, messages=HELLO)
            assert _attempts(bedrock_emulator, key) == 1
            assert "x-emulator-fault" not in client.default_headers
            client.messages.create(model=MODEL, max_tokens=32, messages=HELLO)
            assert _attempts(bedrock_emulator, key) == 1  # the original sent no fault header
            replaced = client.copy(set_default_headers={"X-Other": "b"})
            assert "X-Team" not in replaced.default_headers
            assert replaced.default_headers["X-Other"] == "b"
            with pytest.raises(ValueError, match="mutually exclusive"):
                client.copy(default_headers={"a": "1"}, set_default_headers={"b": "2"})
    assert ours.timeout == httpx.Timeout(600.0, connect=5.0)
    assert ours.with_options(timeout=20).timeout == httpx.Timeout(20)


def test_a_copy_shares_the_pool_and_closing_it_leaves_the_original_open(
    bedrock_emulator: Emulator,
) -> None:
    ours = AnthropicBedrock(**_arguments(bedrock_emulator))
    copied = ours.with_options(max_retries=1)
    assert copied._sender._transport is ours._sender._transport
    assert type(copied) is AnthropicBedrock and copied is not ours
    with copied:
        copied.messages.create(model=MODEL, max_tokens=32, messages=HELLO)
    assert copied.is_closed() and not ours.is_closed()
    ours.messages.create(model=MODEL, max_tokens=32, messages=HELLO)  # the pool still works
    second = ours.copy()
    ours.close()
    assert ours.is_closed() and second.is_closed()  # the owner's close closes it for all

    # The SDK shares its httpx client and closes it with the copy: documented difference.
    sdk = anthropic.AnthropicBedrock(**_arguments(bedrock_emulator))
    sdk.with_options(max_retries=1).close()
    assert sdk.is_closed()


def test_a_new_http_client_is_used_and_not_closed(bedrock_emulator: Emulator) -> None:
    seen: list[str] = []
    hooks = {"request": [lambda r: seen.append(r.url.path)]}
    ours = AnthropicBedrock(**_arguments(bedrock_emulator))
    with httpx.Client(event_hooks=hooks) as http, ours:
        copied = ours.copy(http_client=http)
        assert copied._sender._transport is not ours._sender._transport
        copied.messages.create(model=MODEL, max_tokens=32, messages=HELLO)
        assert seen and seen[-1].endswith("/invoke")
        copied.close()
        assert copied.is_closed() and not http.is_closed and not ours.is_closed()


def test_default_query_is_sent_and_signed(bedrock_emulator: Emulator) -> None:
    headers, key = _fault("throttle*0")
    with AnthropicBedrock(**_arguments(bedrock_emulator), default_headers=headers) as ours:
        copied = ours.copy(default_query={"key": key})
        assert copied.default_query == {"key": key} and ours.default_query == {}
        report = copied.get("/_emulator/faults", cast_to=dict)
        assert report["key"] == {"name": key, "requests": 0}  # the query reached the server
        message = copied.messages.create(model=MODEL, max_tokens=32, messages=HELLO)
        assert "Hello, world" in message.content[0].text  # signed with the query: accepted
        assert copied.get("/_emulator/faults", cast_to=dict)["key"]["requests"] == 1


def test_low_level_get_and_post_answer_as_the_sdk(bedrock_emulator: Emulator) -> None:
    params = {"params": {"byProvider": "Anthropic"}}
    ours = AnthropicBedrock(**_arguments(bedrock_emulator))
    sdk = anthropic.AnthropicBedrock(**_arguments(bedrock_emulator))
    with ours, sdk:
        listed = ours.get("/foundation-models", cast_to=object, options=params)  # type: ignore[arg-type]
        assert listed == sdk.get("/foundation-models", cast_to=object, options=params)
        body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 32, "messages": HELLO}
        path = f"model/{MODEL}/invoke"  # relative to base_url, with or without a leading /
        answer = ours.post(path, body=body, cast_to=dict)
        reference = sdk.post(f"/{path}", body=body, cast_to=object)
        assert answer["content"] == reference["content"]  # type: ignore[index]
        raw = ours.post(f"/{path}", body=body, cast_to=httpx.Response)
        assert raw.status_code == 200 and raw.json()["content"] == answer["content"]
        headers, key = _fault("throttle")
        with pytest.raises(RateLimitError):
            ours.post(path, body=body, cast_to=dict,
                      options={"headers": headers, "max_retries": 0})  # fmt: skip
        assert _attempts(bedrock_emulator, key) == 1


def test_async_client(bedrock_emulator: Emulator) -> None:
    async def run() -> None:
        async with AsyncAnthropicBedrock(**_arguments(bedrock_emulator), max_retries=3) as ours:
            headers, key = _fault("throttle")
            copied = ours.with_options(max_retries=0, default_headers=headers)
            assert copied._sender._transport is ours._sender._transport
            with pytest.raises(RateLimitError):
                await copied.messages.create(model=MODEL, max_tokens=32, messages=HELLO)
            assert _attempts(bedrock_emulator, key) == 1
            await copied.close()
            assert copied.is_closed() and not ours.is_closed()
            message = await ours.messages.create(model=MODEL, max_tokens=32, messages=HELLO)
            body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 32, "messages": HELLO}
            answer = await ours.post(f"/model/{MODEL}/invoke", cast_to=dict, body=body)
            assert answer["content"][0]["text"] == message.content[0].text
            listed = await ours.get("/foundation-models", cast_to=dict)
            assert listed["modelSummaries"]
        assert ours.is_closed()

    asyncio.run(run())


CALL: dict[str, Any] = {"model": "anthropic.claude-opus-4-7", "max_tokens": 8, "messages": HELLO}


@pytest.fixture(scope="module")
def server() -> Iterator[MessagesServer]:
    recording = MessagesServer()
    yield recording
    recording.close()


def test_mantle_copies_send_what_the_sdks_copies_send(server: MessagesServer) -> None:
    base = f"{server.url}/ok/anthropic"
    arguments: dict[str, Any] = {"aws_region": "us-east-1", "base_url": base, "api_key": "k-01"}
    ours, sdk = AnthropicBedrockMantle(**arguments), anthropic.AnthropicBedrockMantle(**arguments)
    with ours, sdk:
        for client in (ours, sdk):
            copied = client.copy(default_headers={"x-custom": "yes"}, default_query={"q": "1"})
            copied.messages.create(**CALL)
            unsigned = client.copy(skip_auth=True)
            assert unsigned.skip_auth and not client.skip_auth
            unsigned.messages.create(**CALL)
        mine, _, theirs, _ = server.clear()
        for recorded in (mine, theirs):
            assert recorded.path == "/ok/anthropic/v1/messages?q=1"
            assert recorded.headers["x-custom"] == "yes"
            assert recorded.headers["authorization"] == "Bearer k-01"
        signed = ours.copy(api_key=None, skip_auth=False)
        assert signed.api_key == "k-01"  # the SDK's `or`: None keeps the original's
        assert ours.copy(aws_region="eu-west-3").aws_region == "eu-west-3"

    async def run() -> None:
        async with AsyncAnthropicBedrockMantle(**arguments) as client:
            copied = client.with_options(default_headers={"x-custom": "async"})
            await copied.messages.create(**CALL)
            await copied.close()
            assert not client.is_closed()
            await client.messages.create(**CALL)

    asyncio.run(run())
    first, second = server.clear()
    assert first.headers["x-custom"] == "async" and "x-custom" not in second.headers


def test_our_own_options_carry_over(bedrock_emulator: Emulator) -> None:
    with AnthropicBedrock(
        **_arguments(bedrock_emulator), api="messages", retry_deadline=7.0,
        control_plane_url="http://127.0.0.1:9/control", context_1m=True,
    ) as ours:  # fmt: skip
        copied = ours.with_options(timeout=3)
        assert (copied.retry_deadline, copied.control_plane_url) == (7.0, ours.control_plane_url)
        assert copied._core.surface == "runtime-messages" and copied._core.context_1m
        assert copied._core._credentials is ours._core._credentials  # credentials shared
        other = ours.copy(api="invoke", aws_access_key="AKIDOTHER0000000001")
        assert other._core.surface == "invoke" and other.aws_access_key == "AKIDOTHER0000000001"
        assert other._core._credentials is not ours._core._credentials
        assert ours.aws_access_key == bedrock_emulator.access_key
