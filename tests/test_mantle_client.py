"""``AnthropicBedrockMantle`` against the official SDK 2.16's class of the same name.

Both clients talk HTTP to the same recording server on 127.0.0.1 (:mod:`messagesserver`)
and make the same calls; the server keeps what each put on the wire. Method, path, the
workspace / beta / custom headers and the JSON body must be the same; SigV4 signatures are
checked with botocore's signer (credential scope ``{region}/bedrock-mantle``), not with our
own code. The one intended difference is ``anthropic-version``: the AWS documentation asks
for ``2023-06-01`` on bedrock-mantle, the SDK sends ``2026-10-21`` (which Bedrock refuses
for models older than Opus 4.7); ``extra_headers`` still lets a caller send the SDK's value.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import pytest

import claude_bedrock
from claude_bedrock import (
    AnthropicBedrockMantle,
    AsyncAnthropicBedrockMantle,
    ClientValidationError,
    CredentialsError,
)
from claude_bedrock.wire.messages_api import ANTHROPIC_VERSION
from messagesserver import ACCESS, SECRET, MessagesServer, Recorded

pytestmark = pytest.mark.usefixtures("client_env")

#: A model bedrock-mantle serves, by its bare ID (mantle takes no inference profiles).
MODEL = "anthropic.claude-opus-4-7"
MESSAGES = [{"role": "user", "content": "Hello, Claude"}]
SDK_VERSION = "2026-10-21"
COMPARED_HEADERS = ("anthropic-beta", "anthropic-workspace-id", "x-custom")


@pytest.fixture(scope="module")
def server() -> Iterator[MessagesServer]:
    recording = MessagesServer()
    yield recording
    recording.close()


def _clients(
    server: MessagesServer, scenario: str = "ok", **auth: Any
) -> tuple[AnthropicBedrockMantle, anthropic.AnthropicBedrockMantle]:
    auth = auth or {"api_key": "bedrock-api-key-0001"}
    base = f"{server.url}/{scenario}/anthropic"
    ours = AnthropicBedrockMantle(aws_region="us-east-1", base_url=base, **auth)
    sdk = anthropic.AnthropicBedrockMantle(aws_region="us-east-1", base_url=base, **auth)
    return ours, sdk


def _wire(record: Recorded) -> dict[str, Any]:
    """What must be the same for both clients."""
    return {
        "method": record.method,
        "path": record.path.split("?")[0],
        "headers": {name: record.headers.get(name) for name in COMPARED_HEADERS},
        "body": record.body,
    }


def _one(server: MessagesServer) -> Recorded:
    taken = server.clear()
    assert len(taken) == 1, [r.path for r in taken]
    return taken[0]


CASES: dict[str, dict[str, Any]] = {
    "plain": {},
    "everything": {
        "system": "Be brief.", "stop_sequences": ["END"], "metadata": {"user_id": "u-1"},
        "tools": [{"name": "lookup", "description": "Look up a word",
                   "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}}],
        "tool_choice": {"type": "auto"}, "thinking": {"type": "adaptive"},
    },
    "workspace": {"workspace_id": "proj_0123abc"},
    "user profile": {"user_profile_id": "up_42"},
    "extras": {"extra_body": {"speed": "fast"}, "extra_headers": {"x-custom": "yes"}},
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_create_sends_what_the_sdk_sends(server: MessagesServer, case: str) -> None:
    ours, sdk = _clients(server)
    server.clear()
    mine = ours.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, **CASES[case])
    sent = _one(server)
    theirs = sdk.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, **CASES[case])
    reference = _one(server)
    assert _wire(sent) == _wire(reference)
    assert sent.path == "/ok/anthropic/v1/messages"
    assert sent.headers["anthropic-version"] == ANTHROPIC_VERSION == "2023-06-01"
    assert reference.headers["anthropic-version"] == SDK_VERSION
    assert sent.headers["authorization"] == reference.headers["authorization"]
    assert (mine.id, mine.content[0].text, mine.stop_reason) == (
        theirs.id,
        theirs.content[0].text,
        theirs.stop_reason,
    )
    assert mine.usage.input_tokens == theirs.usage.input_tokens == 12
    assert mine._request_id == theirs._request_id == "req_recorded_1"


def test_user_profile_goes_in_the_body_as_the_sdk_moves_it(server: MessagesServer) -> None:
    ours, _ = _clients(server)
    server.clear()
    ours.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES, user_profile_id="up_7")
    sent = _one(server)
    assert sent.body["user_profile_id"] == "up_7"
    assert "anthropic-user-profile-id" not in sent.headers


def test_betas_are_the_anthropic_beta_header(server: MessagesServer) -> None:
    ours, sdk = _clients(server)
    betas = ["compact-2026-01-12", "fine-grained-tool-streaming-2025-05-14"]
    server.clear()
    ours.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES, betas=betas)
    sent = _one(server)
    sdk.beta.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES, betas=betas)
    reference = _one(server)
    assert _wire(sent) == _wire(reference)
    assert sent.headers["anthropic-beta"] == ",".join(betas)
    assert "anthropic_beta" not in sent.body


def test_extra_headers_override_the_version(server: MessagesServer) -> None:
    ours, sdk = _clients(server)
    server.clear()
    ours.messages.create(
        model=MODEL,
        max_tokens=8,
        messages=MESSAGES,
        extra_headers={"anthropic-version": SDK_VERSION},
    )
    sent = _one(server)
    sdk.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES)
    assert sent.headers["anthropic-version"] == _one(server).headers["anthropic-version"]


def _events(stream: Any) -> list[tuple[str, str | None]]:
    return [(e.type, getattr(getattr(e, "delta", None), "text", None)) for e in stream]


def test_create_stream_reads_the_same_events(server: MessagesServer) -> None:
    ours, sdk = _clients(server)
    server.clear()
    mine = _events(ours.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES, stream=True))
    sent = _one(server)
    theirs = _events(sdk.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES, stream=True))
    assert _wire(sent) == _wire(_one(server))
    assert sent.body["stream"] is True
    assert sent.headers["accept"] == "text/event-stream"
    assert mine == theirs
    assert [text for kind, text in mine if text] == ["Hello", " there"]


def test_stream_helper_gives_the_same_final_message(server: MessagesServer) -> None:
    ours, sdk = _clients(server)
    server.clear()
    with ours.messages.stream(model=MODEL, max_tokens=8, messages=MESSAGES) as stream:
        texts = list(stream.text_stream)
        mine = stream.get_final_message()
    sent = _one(server)
    with sdk.messages.stream(model=MODEL, max_tokens=8, messages=MESSAGES) as reference:
        their_texts = list(reference.text_stream)
        theirs = reference.get_final_message()
    assert _wire(sent) == _wire(_one(server))
    assert texts == their_texts == ["Hello", " there"]
    assert mine.content[0].text == theirs.content[0].text == "Hello there"
    assert (mine.stop_reason, mine.usage.output_tokens) == (theirs.stop_reason, 3)


def test_count_tokens_sends_what_the_sdk_sends(server: MessagesServer) -> None:
    ours, sdk = _clients(server)
    server.clear()
    mine = ours.messages.count_tokens(model=MODEL, messages=MESSAGES, system="Be brief.")
    sent = _one(server)
    theirs = sdk.messages.count_tokens(model=MODEL, messages=MESSAGES, system="Be brief.")
    assert _wire(sent) == _wire(_one(server))
    assert sent.path == "/ok/anthropic/v1/messages/count_tokens"
    assert mine.input_tokens == theirs.input_tokens == 11


# -- authentication ----------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "session-token-mantle"])
def test_sigv4_is_bedrock_mantle_and_botocore_agrees(
    server: MessagesServer, token: str | None
) -> None:
    keys = {"aws_access_key": ACCESS, "aws_secret_key": SECRET, "aws_session_token": token}
    ours, sdk = _clients(server, **keys)
    server.clear()
    ours.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES)
    ours.messages.count_tokens(model=MODEL, messages=MESSAGES)
    sdk.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES)
    mine_create, mine_count, theirs = server.clear()
    for record in (mine_create, mine_count, theirs):
        assert record.signature_ok is True
        assert record.scope == "us-east-1/bedrock-mantle"
        assert record.headers.get("x-amz-security-token") == token
    assert _wire(mine_create) == _wire(theirs)


def _auth_sent(server: MessagesServer, client: Any) -> str:
    server.clear()
    client.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES)
    record = _one(server)
    if record.scope is not None:
        return f"sigv4 {record.scope} ok={record.signature_ok}"
    return record.headers.get("authorization", "none")


@pytest.mark.parametrize(
    ("env", "arguments"),
    [
        ({"AWS_BEARER_TOKEN_BEDROCK": "env-bearer-1"}, {}),
        ({"ANTHROPIC_AWS_API_KEY": "env-anthropic-aws-1"}, {}),
        ({"AWS_BEARER_TOKEN_BEDROCK": "first-1", "ANTHROPIC_AWS_API_KEY": "second-1"}, {}),
        ({"AWS_BEARER_TOKEN_BEDROCK": "ignored-1"},
         {"aws_access_key": ACCESS, "aws_secret_key": SECRET}),
        ({"AWS_ACCESS_KEY_ID": ACCESS, "AWS_SECRET_ACCESS_KEY": SECRET}, {}),
        ({}, {"skip_auth": True}),
    ],
)  # fmt: skip
def test_auth_precedence_is_the_sdks(
    server: MessagesServer, monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
    arguments: dict[str, Any],
) -> None:  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    base = f"{server.url}/ok/anthropic"
    ours = AnthropicBedrockMantle(base_url=base, **arguments)
    sdk = anthropic.AnthropicBedrockMantle(base_url=base, **arguments)
    assert _auth_sent(server, ours) == _auth_sent(server, sdk)


def test_environment_names_the_base_url_and_region(
    server: MessagesServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_BEDROCK_MANTLE_BASE_URL", f"{server.url}/ok/anthropic")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-northeast-1")
    ours = AnthropicBedrockMantle(aws_access_key=ACCESS, aws_secret_key=SECRET)
    sdk = anthropic.AnthropicBedrockMantle(aws_access_key=ACCESS, aws_secret_key=SECRET)
    assert ours.base_url == str(sdk.base_url).rstrip("/")
    assert (
        _auth_sent(server, ours)
        == _auth_sent(server, sdk)
        == ("sigv4 ap-northeast-1/bedrock-mantle ok=True")
    )


def test_default_base_url_is_the_sdks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-north-1")
    ours = AnthropicBedrockMantle(api_key="k-0000000001")
    sdk = anthropic.AnthropicBedrockMantle(api_key="k-0000000001")
    assert ours.base_url == str(sdk.base_url).rstrip("/")
    assert ours.base_url == "https://bedrock-mantle.eu-north-1.api.aws/anthropic"
    assert ours.aws_region == sdk.aws_region == "eu-north-1"


# -- bad input: refused before sending, with what to do -----------------------------------


def test_no_region_and_no_base_url_is_refused_like_the_sdk() -> None:
    with pytest.raises(anthropic.AnthropicError, match="region"):
        anthropic.AnthropicBedrockMantle(api_key="k-0000000001")
    with pytest.raises(ClientValidationError) as info:
        AnthropicBedrockMantle(api_key="k-0000000001")
    assert "aws_region=" in str(info.value) and "base_url=" in str(info.value)


def test_half_a_key_pair_is_refused_like_the_sdk() -> None:
    with pytest.raises(ValueError, match="aws_secret_key"):
        anthropic.AnthropicBedrockMantle(aws_region="us-east-1", aws_access_key=ACCESS)
    with pytest.raises(CredentialsError, match="aws_secret_key") as info:
        AnthropicBedrockMantle(aws_region="us-east-1", aws_access_key=ACCESS)
    assert ACCESS not in str(info.value)


def test_an_api_key_beside_aws_keys_is_refused_not_dropped() -> None:
    # The SDK would send the key and silently drop the keys; we say so instead.
    with pytest.raises(CredentialsError, match="choose one") as info:
        AnthropicBedrockMantle(
            aws_region="us-east-1",
            api_key="secret-api-key-123",
            aws_access_key=ACCESS,
            aws_secret_key=SECRET,
        )
    assert "secret-api-key-123" not in str(info.value) and SECRET not in str(info.value)


def test_no_secret_in_the_repr() -> None:
    keyed = AnthropicBedrockMantle(aws_region="us-east-1", api_key="secret-api-key-123456")
    signed = AnthropicBedrockMantle(
        aws_region="us-east-1",
        aws_access_key=ACCESS,
        aws_secret_key=SECRET,
        aws_session_token="tok-secret-9",
    )
    for client in (keyed, signed):
        text = repr(client)
        assert "AnthropicBedrockMantle(" in text
        for secret in ("secret-api-key-123456", SECRET, "tok-secret-9"):
            assert secret not in text


def test_only_the_messages_api_is_offered() -> None:
    client = AnthropicBedrockMantle(aws_region="us-east-1", api_key="k-0000000001")
    with pytest.raises(ClientValidationError, match="AnthropicBedrock"):
        client.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES, api="invoke")
    with pytest.raises(AttributeError, match="batches"):
        client.messages.batches  # noqa: B018
    assert not hasattr(client, "converse")


# -- errors and retries ------------------------------------------------------------------


def _shared_class_name(exc: BaseException) -> str:
    """The most specific class name both packages define (the SDK has 529 OverloadedError,
    a subclass of InternalServerError, which is what we raise)."""
    for cls in type(exc).__mro__:
        if hasattr(claude_bedrock, cls.__name__) and hasattr(anthropic, cls.__name__):
            return cls.__name__
    return "?"


@pytest.mark.parametrize(
    "scenario",
    ["e400-invalid_request_error", "e401-authentication_error", "e403-permission_error",
     "e404-not_found_error", "e429-rate_limit_error",
     "e500-api_error", "e529-overloaded_error"],
)  # fmt: skip
def test_error_envelope_maps_to_the_same_classes(server: MessagesServer, scenario: str) -> None:
    base = f"{server.url}/{scenario}/anthropic"
    ours = AnthropicBedrockMantle(
        aws_region="us-east-1", api_key="k-0000000001", base_url=base, max_retries=0
    )
    sdk = anthropic.AnthropicBedrockMantle(
        aws_region="us-east-1", api_key="k-0000000001", base_url=base, max_retries=0
    )
    with pytest.raises(claude_bedrock.APIStatusError) as mine:
        ours.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES)
    with pytest.raises(anthropic.APIStatusError) as theirs:
        sdk.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES)
    status, kind = scenario[1:].split("-", 1)
    assert mine.value.status_code == theirs.value.status_code == int(status)
    assert _shared_class_name(mine.value) == _shared_class_name(theirs.value)
    assert mine.value.error_type == kind
    assert mine.value.message == f"{kind} from the server"
    assert mine.value.request_id == theirs.value.request_id == "req_recorded_1"


@pytest.mark.parametrize("status", [429, 503, 529])
def test_overloaded_is_retried_like_the_sdk(server: MessagesServer, status: int) -> None:
    ours, sdk = _clients(server, f"flaky{status}")
    server.clear()
    assert ours.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES).content
    mine = server.clear()
    assert sdk.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES).content
    theirs = server.clear()
    assert len(mine) == len(theirs) == 2  # one overloaded answer (retry-after: 0), one retry


def test_error_event_mid_stream_keeps_the_snapshot(server: MessagesServer) -> None:
    ours, sdk = _clients(server, "cut")
    stream = ours.messages.stream(model=MODEL, max_tokens=8, messages=MESSAGES).__enter__()
    with pytest.raises(claude_bedrock.InternalServerError) as mine:
        stream.until_done()
    stream.close()
    assert stream.current_message_snapshot.content[0].text == "Hello"
    reference = sdk.messages.stream(model=MODEL, max_tokens=8, messages=MESSAGES).__enter__()
    with pytest.raises(anthropic.APIStatusError) as theirs:
        reference.until_done()
    reference.close()
    # The SDK raises its base APIStatusError for an ``error`` event; we raise the class the
    # error type's status names (529 -> InternalServerError), as for an error answer.
    assert isinstance(theirs.value, anthropic.APIStatusError)
    assert "Overloaded" in str(theirs.value) and "Overloaded" in str(mine.value)
    assert mine.value.error_type == "overloaded_error"
    assert mine.value.status_code == 529


# -- the async class ---------------------------------------------------------------------


def test_async_client_sends_the_same(server: MessagesServer) -> None:
    base = f"{server.url}/ok/anthropic"

    async def calls() -> tuple[Any, Any, Any]:
        async with AsyncAnthropicBedrockMantle(
            aws_region="us-east-1", base_url=base, aws_access_key=ACCESS, aws_secret_key=SECRET
        ) as c:
            message = await c.messages.create(
                model=MODEL, max_tokens=8, messages=MESSAGES, workspace_id="proj_1"
            )
            async with c.messages.stream(model=MODEL, max_tokens=8, messages=MESSAGES) as s:
                final = await s.get_final_message()
            count = await c.messages.count_tokens(model=MODEL, messages=MESSAGES)
            return message, final, count

    server.clear()
    message, final, count = asyncio.run(calls())
    created, streamed, counted = server.clear()
    sdk = anthropic.AnthropicBedrockMantle(
        aws_region="us-east-1", base_url=base, aws_access_key=ACCESS, aws_secret_key=SECRET
    )
    sdk.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES, workspace_id="proj_1")
    assert _wire(created) == _wire(_one(server))
    assert message.content[0].text == final.content[0].text == "Hello there"
    assert count.input_tokens == 11
    assert streamed.body["stream"] is True and counted.path.endswith("/count_tokens")
    assert {r.scope for r in (created, streamed, counted)} == {"us-east-1/bedrock-mantle"}
    assert all(r.signature_ok for r in (created, streamed, counted))


# -- where the Region comes from (the SDK's order, and the AWS profile as AnthropicBedrock) --


def test_the_profile_region_is_honoured_as_anthropicbedrock_does(tmp_path: Path) -> None:
    # Beyond the SDK (which stops at AWS_DEFAULT_REGION), as our AnthropicBedrock does.
    (tmp_path / "config").write_text("[profile work]\nregion = eu-central-2\n")
    (tmp_path / "credentials").write_text(
        f"[work]\naws_access_key_id = {ACCESS}\naws_secret_access_key = {SECRET}\n"
    )
    client = AnthropicBedrockMantle(aws_profile="work")
    assert client.base_url == "https://bedrock-mantle.eu-central-2.api.aws/anthropic"
    assert client.aws_region == "eu-central-2"


def test_a_base_url_needs_no_region(server: MessagesServer) -> None:
    ours = AnthropicBedrockMantle(base_url=f"{server.url}/ok/anthropic", api_key="k-0000000001")
    sdk = anthropic.AnthropicBedrockMantle(
        base_url=f"{server.url}/ok/anthropic", api_key="k-0000000001"
    )
    assert _auth_sent(server, ours) == _auth_sent(server, sdk) == "Bearer k-0000000001"
