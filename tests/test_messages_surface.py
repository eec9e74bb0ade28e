"""``AnthropicBedrock`` on the Messages API surfaces: ``api="messages"`` (bedrock-runtime's
``/anthropic/v1/messages``) and token counting on bedrock-mantle for the models only it counts.

The reference for what goes on the wire is the official SDK 2.16: it has no class for
bedrock-runtime's Messages path, and AWS's samples use a plain ``anthropic.Anthropic``
pointed at ``https://bedrock-runtime.{region}.amazonaws.com/anthropic`` with the Bedrock API
key as a bearer token; so that is what ours is compared with, on the same recording server
(:mod:`messagesserver`), whose SigV4 checks are botocore's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest

from claude_bedrock import (
    AnthropicBedrock,
    ClientValidationError,
    InternalServerError,
    MockTransport,
)
from claude_bedrock.wire.messages_api import ANTHROPIC_VERSION, INVOKE_ANTHROPIC_VERSION
from messagesserver import (
    ACCESS,
    MODEL_REPLY,
    SECRET,
    MessagesServer,
    Recorded,
)

pytestmark = pytest.mark.usefixtures("client_env")

#: bedrock-runtime's Messages path takes inference-profile IDs.
MODEL = "global.anthropic.claude-opus-4-7"
MESSAGES = [{"role": "user", "content": "Hello, Claude"}]
KEY = "bedrock-api-key-runtime-1"


@pytest.fixture(scope="module")
def server() -> Iterator[MessagesServer]:
    recording = MessagesServer()
    yield recording
    recording.close()


def _one(server: MessagesServer) -> Recorded:
    taken = server.clear()
    assert len(taken) == 1, [r.path for r in taken]
    return taken[0]


def _wire(record: Recorded) -> dict[str, Any]:
    names = ("anthropic-beta", "authorization", "x-custom")
    return {
        "method": record.method,
        "path": record.path,
        "body": record.body,
        "headers": {name: record.headers.get(name) for name in names},
    }


def _sdk(server: MessagesServer, scenario: str = "ok") -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=f"{server.url}/{scenario}/anthropic", auth_token=KEY)


def _ours(server: MessagesServer, scenario: str = "ok", **options: Any) -> AnthropicBedrock:
    return AnthropicBedrock(
        aws_region="us-west-2", base_url=f"{server.url}/{scenario}", **{"api_key": KEY, **options}
    )


CALLS: dict[str, dict[str, Any]] = {
    "plain": {},
    "system and tools": {
        "system": [{"type": "text", "text": "Be brief."}], "stop_sequences": ["END"],
        "tools": [{"name": "lookup", "input_schema": {"type": "object"}}],
        "tool_choice": {"type": "any"},
    },
    "extras": {"extra_body": {"inference_geo": "us"}, "extra_headers": {"x-custom": "1"}},
}  # fmt: skip


@pytest.mark.parametrize("where", ["per call", "client default"])
@pytest.mark.parametrize("call", list(CALLS))
def test_create_matches_a_plain_anthropic_client(
    server: MessagesServer, where: str, call: str
) -> None:
    if where == "per call":
        ours, api = _ours(server), {"api": "messages"}
    else:
        ours, api = _ours(server, api="messages"), {}
    server.clear()
    mine = ours.messages.create(model=MODEL, max_tokens=32, messages=MESSAGES, **CALLS[call], **api)
    sent = _one(server)
    _sdk(server).messages.create(model=MODEL, max_tokens=32, messages=MESSAGES, **CALLS[call])
    reference = _one(server)
    assert _wire(sent) == _wire(reference)
    assert sent.path == "/ok/anthropic/v1/messages"
    assert sent.body["model"] == MODEL and "anthropic_version" not in sent.body
    assert sent.headers["anthropic-version"] == ANTHROPIC_VERSION
    assert mine.content[0].text == MODEL_REPLY["content"][0]["text"]  # type: ignore[index]


def test_streams_are_sse_on_the_messages_path(server: MessagesServer) -> None:
    ours, sdk = _ours(server, api="messages"), _sdk(server)
    server.clear()
    events = [
        e.type
        for e in ours.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES, stream=True)
    ]
    created = _one(server)
    with ours.messages.stream(model=MODEL, max_tokens=8, messages=MESSAGES) as stream:
        text = stream.get_final_text()
    streamed = _one(server)
    with sdk.messages.stream(model=MODEL, max_tokens=8, messages=MESSAGES) as reference:
        their_text = reference.get_final_text()
    assert _wire(streamed) == _wire(_one(server))
    assert created.body == streamed.body and created.body["stream"] is True
    assert text == their_text == "Hello there"
    assert events[0] == "message_start" and events[-1] == "message_stop" and "ping" not in events


def test_sigv4_on_the_runtime_path_is_bedrock(server: MessagesServer) -> None:
    ours = AnthropicBedrock(
        aws_region="eu-west-1",
        base_url=f"{server.url}/ok",
        aws_access_key=ACCESS,
        aws_secret_key=SECRET,
        api="messages",
    )
    server.clear()
    ours.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES, betas=["beta-one"])
    sent = _one(server)
    assert (sent.signature_ok, sent.scope) == (True, "eu-west-1/bedrock")
    assert sent.headers["anthropic-beta"] == "beta-one" and "anthropic_beta" not in sent.body


def test_invoke_is_unchanged_and_a_call_may_override_the_client_default(
    server: MessagesServer,
) -> None:
    ours = _ours(server, api="messages")
    server.clear()
    ours.messages.create(
        model=MODEL, max_tokens=8, messages=MESSAGES, api="invoke", betas=["beta-one"]
    )
    sent = _one(server)
    assert sent.path == f"/ok/model/{MODEL.replace(':', '%3A')}/invoke"
    assert sent.body["anthropic_version"] == INVOKE_ANTHROPIC_VERSION == "bedrock-2023-05-31"
    assert sent.body["anthropic_beta"] == ["beta-one"]
    assert "model" not in sent.body and "anthropic-version" not in sent.headers


def test_extra_body_overrides_the_invoke_version(server: MessagesServer) -> None:
    server.clear()
    _ours(server).messages.create(
        model=MODEL, max_tokens=8, messages=MESSAGES, extra_body={"anthropic_version": "2026-10-21"}
    )
    assert _one(server).body["anthropic_version"] == "2026-10-21"


def test_anthropic_error_envelope_on_the_runtime_path(server: MessagesServer) -> None:
    ours = _ours(server, "e529-overloaded_error", api="messages", max_retries=0)
    with pytest.raises(InternalServerError) as info:
        ours.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES)
    assert (info.value.status_code, info.value.error_type) == (529, "overloaded_error")
    assert KEY not in str(info.value)


def test_unknown_api_is_refused_before_sending() -> None:
    with pytest.raises(ValueError, match="'messages'"):
        AnthropicBedrock(aws_region="us-east-1", api_key=KEY, api="mantle")  # type: ignore[arg-type]
    transport = MockTransport(lambda request: httpx.Response(500))
    client = AnthropicBedrock(aws_region="us-east-1", api_key=KEY, transport=transport)
    with pytest.raises(ClientValidationError, match="'messages'"):
        client.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES, api="bedrock")  # type: ignore[arg-type]
    assert transport.requests == []


def test_default_hosts_of_the_messages_surfaces() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=MODEL_REPLY)

    client = AnthropicBedrock(
        aws_region="ap-southeast-2", api_key=KEY, transport=MockTransport(handler)
    )
    client.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES, api="messages")
    assert str(seen[0].url) == (
        "https://bedrock-runtime.ap-southeast-2.amazonaws.com/anthropic/v1/messages"
    )
    assert client._core.route("mantle").count_tokens_url == (
        "https://bedrock-mantle.ap-southeast-2.api.aws/anthropic/v1/messages/count_tokens"
    )


# -- token counting: CountTokens, or bedrock-mantle for the models only it counts -----------


def _mantle_only_counting() -> tuple[str, str]:
    """A profile ID of a model the catalogue says (from a certain source) CountTokens does
    not serve while bedrock-mantle does, and that model's bedrock-mantle ID."""
    from claude_bedrock.catalog import Catalog

    for info in Catalog.default().models():
        if info.refuses("count-tokens") and "mantle" in info.surfaces and info.mantle_id:
            return f"global.{info.id}", info.mantle_id
    pytest.fail("the catalogue names no model that only bedrock-mantle counts (AWS: Opus 5)")


def test_count_tokens_goes_to_mantle_for_the_models_only_it_counts(server: MessagesServer) -> None:
    profile_id, mantle_id = _mantle_only_counting()
    ours = AnthropicBedrock(
        aws_region="us-east-1",
        base_url=f"{server.url}/ok",
        aws_access_key=ACCESS,
        aws_secret_key=SECRET,
    )
    server.clear()
    counted = ours.messages.count_tokens(model=profile_id, messages=MESSAGES, system="Be brief.")
    sent = _one(server)
    assert counted.input_tokens == 11
    assert sent.path == "/ok/anthropic/v1/messages/count_tokens"  # the same host: an emulator
    assert (sent.signature_ok, sent.scope) == (True, "us-east-1/bedrock-mantle")
    assert sent.body == {"model": mantle_id, "messages": MESSAGES, "system": "Be brief."}
    assert sent.headers["anthropic-version"] == ANTHROPIC_VERSION


def test_count_tokens_stays_on_count_tokens_otherwise(server: MessagesServer) -> None:
    ours = AnthropicBedrock(
        aws_region="us-east-1",
        base_url=f"{server.url}/ok",
        aws_access_key=ACCESS,
        aws_secret_key=SECRET,
        api="messages",
    )
    server.clear()
    model = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
    counted = ours.messages.count_tokens(model=model, messages=MESSAGES)
    sent = _one(server)
    assert counted.input_tokens == 13
    assert sent.path == "/ok/model/anthropic.claude-haiku-4-5-20251001-v1%3A0/count-tokens"
    assert (sent.signature_ok, sent.scope) == (True, "us-east-1/bedrock")


def test_count_on_mantle_uses_the_aws_host_by_default() -> None:
    profile_id, mantle_id = _mantle_only_counting()
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"input_tokens": 5})

    client = AnthropicBedrock(aws_region="us-east-1", api_key=KEY, transport=MockTransport(handler))
    assert client.messages.count_tokens(model=profile_id, messages=MESSAGES).input_tokens == 5
    assert str(seen[0].url) == (
        "https://bedrock-mantle.us-east-1.api.aws/anthropic/v1/messages/count_tokens"
    )
    assert seen[0].headers["authorization"] == f"Bearer {KEY}"
    assert mantle_id in seen[0].content.decode()


def test_the_mantle_base_url_variable_names_where_counting_goes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_BEDROCK_MANTLE_BASE_URL", "http://127.0.0.1:9/gateway/anthropic/")
    client = AnthropicBedrock(aws_region="us-east-1", api_key=KEY)
    assert client._core.route("mantle").count_tokens_url == (
        "http://127.0.0.1:9/gateway/anthropic/v1/messages/count_tokens"
    )
    assert client._core.route("runtime-messages").messages_url == (
        "https://bedrock-runtime.us-east-1.amazonaws.com/anthropic/v1/messages"
    )


def test_without_a_region_anthropicbedrock_keeps_its_documented_default() -> None:
    # SPEC: argument, AWS_REGION (AWS_DEFAULT_REGION, the profile's), else us-east-1; the
    # official SDK 2.16 raises instead. The Mantle classes refuse (test_mantle_client).
    assert AnthropicBedrock(api_key=KEY).aws_region == "us-east-1"


def test_both_envelopes_are_read() -> None:
    """Bedrock's ``{"message"}`` + ``x-amzn-ErrorType`` still maps as before; Anthropic's
    envelope gives the message and its own error type, and a Bedrock error type sent beside
    it (bedrock-runtime's front door adds one) picks the more specific class."""
    from claude_bedrock import RateLimitError, ServiceQuotaExceededError

    answers = iter([
        httpx.Response(429, json={"message": "Too many tokens"},
                       headers={"x-amzn-ErrorType": "ThrottlingException:http://x"}),
        httpx.Response(429, json={"type": "error", "error": {
            "type": "rate_limit_error", "message": "Quota exceeded"}},
            headers={"x-amzn-ErrorType": "ServiceQuotaExceededException"}),
        httpx.Response(429, json={"type": "error", "error": {
            "type": "rate_limit_error", "message": "Not admitted"}},
            headers={"request-id": "req_anthropic_1"}),
    ])  # fmt: skip
    client = AnthropicBedrock(aws_region="us-east-1", api_key=KEY, max_retries=0,
                              transport=MockTransport(lambda request: next(answers)))  # fmt: skip
    errors = []
    for api in ("invoke", "messages", "messages"):
        with pytest.raises(RateLimitError) as info:
            client.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES, api=api)
        errors.append(info.value)
    assert [(type(e).__name__, e.error_type, e.message) for e in errors] == [
        ("RateLimitError", "ThrottlingException", "Too many tokens"),
        ("ServiceQuotaExceededError", "rate_limit_error", "Quota exceeded"),
        ("RateLimitError", "rate_limit_error", "Not admitted"),
    ]
    assert isinstance(errors[1], ServiceQuotaExceededError)
    assert errors[2].request_id == "req_anthropic_1"
