"""Every ``messages.create`` keyword of the official SDK 2.16, and its placeholders.

The official ``AnthropicBedrock`` and ours make the same call against one recording server
(:mod:`messagesserver`, which keeps each request's path, headers and JSON body); what
arrives must be the same. ``NOT_GIVEN`` / ``omit``, ours and the SDK's own objects, must
send nothing at all; an unknown keyword is still a ``TypeError`` naming it. The emulator
takes the calls end to end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import anthropic
import pytest

import claude_bedrock
from claude_bedrock import AnthropicBedrock
from claude_bedrock._placeholders import is_placeholder
from claude_bedrock.emulator import Emulator
from clientenv import OPENED
from messagesserver import MessagesServer, Recorded

pytestmark = pytest.mark.usefixtures("client_env")

MODEL = "global.anthropic.claude-opus-4-5-20251101-v1:0"
MESSAGES = [{"role": "user", "content": "Hello, Claude"}]
KEY = "bedrock-api-key-params-1"

#: One call per keyword the official SDK 2.16's ``messages.create`` has and ours did not.
NEW: dict[str, dict[str, Any]] = {
    "cache_control": {"cache_control": {"type": "ephemeral"}},
    "container": {"container": "container_011CPR5CNjB747bTd36fQLFk"},
    "diagnostics": {"diagnostics": {"previous_message_id": "msg_01Previous"}},
    "inference_geo": {"inference_geo": "us"},
    "output_config": {"output_config": {"effort": "high"}},
    "speed": {"speed": "fast"},
    "metadata": {"metadata": {"user_id": "user-1"}},
    "user_profile_id": {"user_profile_id": "uprof_01"},
    "workspace_id": {"workspace_id": "wrkspc_01"},
    "extra_query": {"extra_query": {"trace": "on", "n": 2}},
}  # fmt: skip
#: The beta-only ones (``client.beta.messages.create`` in the SDK; ``betas=`` in ours).
BETA: dict[str, dict[str, Any]] = {
    "context_management": {
        "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]},
        "betas": ["context-management-2025-06-27"],
    },
    "mcp_servers": {
        "mcp_servers": [{"type": "url", "url": "https://mcp.example", "name": "example"}],
        "betas": ["mcp-client-2025-04-04"],
    },
}  # fmt: skip

OURS_PLACEHOLDERS = [
    claude_bedrock.NOT_GIVEN, claude_bedrock.not_given, claude_bedrock.omit,
]  # fmt: skip
SDK_PLACEHOLDERS = [anthropic.NOT_GIVEN, anthropic.not_given, anthropic.omit]
#: Every optional keyword a framework may fill with a placeholder.
PLACEHOLDER_KEYS = (
    "system", "stop_sequences", "temperature", "top_p", "top_k", "tools", "tool_choice",
    "metadata", "thinking", "service_tier", "cache_control", "container", "diagnostics",
    "inference_geo", "output_config", "speed", "context_management", "mcp_servers",
    "user_profile_id", "workspace_id", "timeout",
)  # fmt: skip


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
    """What both clients must agree on. Two known differences are left out: the model ID's
    ``:`` (ours percent-encodes it, as botocore does; the server decodes both the same) and
    InvokeModel's ``anthropic_version`` (ours sends Bedrock's documented
    ``bedrock-2023-05-31``, SDK 2.16 its own API date). Betas are compared in the body
    (``anthropic_beta``, where Bedrock reads them; the SDK also leaves the header)."""
    names = ("anthropic-workspace-id", "anthropic-user-profile-id", "x-custom")
    body = dict(record.body)
    body.pop("anthropic_version", None)
    return {
        "path": unquote(record.path),
        "body": body,
        "headers": {name: record.headers.get(name) for name in names},
    }


def _ours(server: MessagesServer, **options: Any) -> AnthropicBedrock:
    client = AnthropicBedrock(
        aws_region="us-west-2", base_url=f"{server.url}/ok", api_key=KEY, **options
    )
    OPENED.append(client)
    return client


def _sdk(server: MessagesServer) -> anthropic.AnthropicBedrock:
    url = f"{server.url}/ok"
    client = anthropic.AnthropicBedrock(aws_region="us-west-2", base_url=url, api_key=KEY)
    OPENED.append(client)
    return client


@pytest.mark.parametrize("name", list(NEW))
def test_invoke_body_matches_the_official_client(server: MessagesServer, name: str) -> None:
    server.clear()
    _ours(server).messages.create(model=MODEL, max_tokens=16, messages=MESSAGES, **NEW[name])
    mine = _one(server)
    _sdk(server).messages.create(model=MODEL, max_tokens=16, messages=MESSAGES, **NEW[name])
    assert _wire(mine) == _wire(_one(server))
    assert mine.path.startswith("/ok/model/")


@pytest.mark.parametrize("name", list(BETA))
def test_beta_fields_match_the_official_beta_client(server: MessagesServer, name: str) -> None:
    server.clear()
    _ours(server).messages.create(model=MODEL, max_tokens=16, messages=MESSAGES, **BETA[name])
    mine = _one(server)
    _sdk(server).beta.messages.create(model=MODEL, max_tokens=16, messages=MESSAGES, **BETA[name])
    assert _wire(mine) == _wire(_one(server))


def test_all_new_keywords_at_once(server: MessagesServer) -> None:
    everything: dict[str, Any] = {}
    for call in NEW.values():
        everything.update(call)
    server.clear()
    _ours(server).messages.create(model=MODEL, max_tokens=16, messages=MESSAGES, **everything)
    mine = _one(server)
    _sdk(server).messages.create(model=MODEL, max_tokens=16, messages=MESSAGES, **everything)
    assert _wire(mine) == _wire(_one(server))
    assert mine.body["user_profile_id"] == "uprof_01" and mine.path.endswith("?trace=on&n=2")


@pytest.mark.parametrize("api", ["invoke", "messages"])
def test_extra_query_reaches_every_surface(server: MessagesServer, api: str) -> None:
    server.clear()
    ours = _ours(server)
    ours.messages.create(
        model=MODEL, max_tokens=8, messages=MESSAGES, api=api, extra_query={"a": "1", "b": True}
    )
    assert _one(server).path.endswith("?a=1&b=true")


@pytest.mark.parametrize("api", ["invoke", "messages"])
@pytest.mark.parametrize("source", ["ours", "anthropic"])
def test_placeholders_send_nothing(server: MessagesServer, api: str, source: str) -> None:
    placeholders = OURS_PLACEHOLDERS if source == "ours" else SDK_PLACEHOLDERS
    ours = _ours(server)
    server.clear()
    ours.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES, api=api)
    plain = _wire(_one(server))
    for placeholder in placeholders:
        unset = dict.fromkeys(PLACEHOLDER_KEYS, placeholder)
        ours.messages.create(
            model=MODEL, max_tokens=8, messages=MESSAGES, api=api,
            extra_headers={"x-custom": placeholder}, **unset,
        )  # fmt: skip
        assert _wire(_one(server)) == plain, placeholder
        count = ours.messages.count_tokens(model=MODEL, messages=MESSAGES, api=api, **unset)
        assert count.input_tokens == 13  # bedrock-runtime's CountTokens, without them too
        server.clear()
        if api == "messages":  # the recording server streams SSE (the Messages API's) only
            with ours.messages.stream(
                model=MODEL, max_tokens=8, messages=MESSAGES, api=api, **unset
            ) as stream:
                stream.until_done()
            streamed = _one(server).body
            assert streamed == {**plain["body"], "stream": True}


def test_the_official_client_drops_its_placeholders_the_same_way(server: MessagesServer) -> None:
    unset = dict.fromkeys(("system", "speed", "tools", "cache_control"), anthropic.omit)
    server.clear()
    _sdk(server).messages.create(model=MODEL, max_tokens=8, messages=MESSAGES, **unset)
    theirs = _one(server)
    _ours(server).messages.create(model=MODEL, max_tokens=8, messages=MESSAGES, **unset)
    assert _wire(_one(server)) == _wire(theirs)


def test_count_tokens_takes_the_sdk_keywords(server: MessagesServer) -> None:
    ours = _ours(server)
    server.clear()
    count = ours.messages.count_tokens(
        model=MODEL, messages=MESSAGES, cache_control={"type": "ephemeral"}, speed="fast",
        output_config={"effort": "low"}, system=anthropic.NOT_GIVEN, timeout=anthropic.not_given,
        extra_query={"q": "1"},
    )  # fmt: skip
    sent = _one(server)
    assert count.input_tokens == 13 and sent.path.endswith("/count-tokens?q=1")


@pytest.mark.parametrize("value", [1, claude_bedrock.NOT_GIVEN, anthropic.omit])
def test_an_unknown_keyword_is_still_a_type_error(server: MessagesServer, value: Any) -> None:
    ours = _ours(server)
    with pytest.raises(TypeError, match="no_such_option"):
        ours.messages.create(
            model=MODEL,
            max_tokens=8,
            messages=MESSAGES,
            no_such_option=value,  # type: ignore[call-overload]
        )
    with pytest.raises(TypeError, match="no_such_option"):
        ours.messages.count_tokens(model=MODEL, messages=MESSAGES, no_such_option=value)  # type: ignore[call-arg]
    assert server.clear() == []


def test_placeholders_are_recognised_by_class_name_and_module() -> None:
    assert all(is_placeholder(p) for p in OURS_PLACEHOLDERS + SDK_PLACEHOLDERS)
    assert type(anthropic.omit).__module__ in ("anthropic", "anthropic._types")

    class NotGiven:  # the same name, but not the SDK's: a value like any other
        pass

    assert not is_placeholder(NotGiven()) and not is_placeholder(None)
    assert not claude_bedrock.NOT_GIVEN and not claude_bedrock.omit
    assert repr(claude_bedrock.NOT_GIVEN) == "NOT_GIVEN"
    assert isinstance(claude_bedrock.omit, claude_bedrock.Omit)
    assert isinstance(claude_bedrock.not_given, claude_bedrock.NotGiven)


def _emulated(emulator: Emulator, **options: Any) -> AnthropicBedrock:
    return AnthropicBedrock(
        aws_region="us-west-2", base_url=emulator.url, aws_access_key=emulator.access_key,
        aws_secret_key=emulator.secret_key, **options,
    )  # fmt: skip


def test_the_emulator_takes_placeholders_end_to_end(bedrock_emulator: Emulator) -> None:
    unset = dict.fromkeys(PLACEHOLDER_KEYS, anthropic.NOT_GIVEN)
    unset["tools"] = claude_bedrock.omit
    with _emulated(bedrock_emulator) as client:
        message = client.messages.create(
            model=MODEL, max_tokens=16, messages=MESSAGES, extra_query={"n": 1}, **unset
        )
        assert message.content
        with client.messages.stream(model=MODEL, max_tokens=16, messages=MESSAGES, **unset) as s:
            assert s.get_final_text()
        assert client.messages.count_tokens(model=MODEL, messages=MESSAGES, **unset).input_tokens


def test_invoke_takes_output_config_from_both_clients_alike(bedrock_emulator: Emulator) -> None:
    """``output_config`` (effort, structured outputs) is part of Bedrock's InvokeModel body
    for Claude (AWS "Get validated JSON results"): the emulator answers both clients."""
    sdk = anthropic.AnthropicBedrock(
        aws_region="us-west-2", base_url=bedrock_emulator.url, max_retries=0,
        aws_access_key=bedrock_emulator.access_key, aws_secret_key=bedrock_emulator.secret_key,
    )  # fmt: skip
    OPENED.append(sdk)
    theirs = sdk.messages.create(
        model=MODEL, max_tokens=16, messages=MESSAGES, **NEW["output_config"]
    )
    with _emulated(bedrock_emulator, max_retries=0) as client:
        mine = client.messages.create(
            model=MODEL, max_tokens=16, messages=MESSAGES, **NEW["output_config"]
        )
    assert mine.content[0].text == theirs.content[0].text  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["speed", "inference_geo", "cache_control"])
def test_invoke_sends_what_the_sdk_sends_and_bedrock_answers_both_alike(
    bedrock_emulator: Emulator, name: str
) -> None:
    """On InvokeModel these are sent in the body, as the official SDK sends them (nothing
    is dropped silently); the emulator's InvokeModel schema does not list them, and it
    refuses both clients' calls with the same Bedrock error, naming the key."""
    sdk = anthropic.AnthropicBedrock(
        aws_region="us-west-2", base_url=bedrock_emulator.url, max_retries=0,
        aws_access_key=bedrock_emulator.access_key, aws_secret_key=bedrock_emulator.secret_key,
    )  # fmt: skip
    OPENED.append(sdk)
    with pytest.raises(anthropic.BadRequestError) as theirs:
        sdk.messages.create(model=MODEL, max_tokens=16, messages=MESSAGES, **NEW[name])
    client = _emulated(bedrock_emulator, max_retries=0)
    with client, pytest.raises(claude_bedrock.BadRequestError) as mine:
        client.messages.create(model=MODEL, max_tokens=16, messages=MESSAGES, **NEW[name])
    assert f"extraneous key [{name}]" in str(mine.value) and f"[{name}]" in str(theirs.value)


#: The keywords of the SDK's ``messages.count_tokens`` among them.
COUNTED = ("cache_control", "output_config", "speed", "user_profile_id", "workspace_id",
           "extra_query")  # fmt: skip
#: bedrock-mantle takes bare model IDs.
MANTLE_MODEL = "anthropic.claude-opus-4-7"


@pytest.mark.parametrize("name", list(NEW))
def test_mantle_body_matches_the_official_mantle_client(server: MessagesServer, name: str) -> None:
    """bedrock-mantle's Messages API body, field for field as the official
    ``AnthropicBedrockMantle`` sends it (``user_profile_id`` moved into the body,
    ``workspace_id`` a header, ``extra_query`` on the URL); count_tokens too."""
    base = f"{server.url}/ok/anthropic"
    ours = claude_bedrock.AnthropicBedrockMantle(aws_region="us-east-1", base_url=base, api_key=KEY)
    sdk = anthropic.AnthropicBedrockMantle(aws_region="us-east-1", base_url=base, api_key=KEY)
    with ours, sdk:
        _compare_on_mantle(server, ours, sdk, name)


def _compare_on_mantle(
    server: MessagesServer,
    ours: claude_bedrock.AnthropicBedrockMantle,
    sdk: anthropic.AnthropicBedrockMantle,
    name: str,
) -> None:
    server.clear()
    ours.messages.create(model=MANTLE_MODEL, max_tokens=16, messages=MESSAGES, **NEW[name])
    mine = _one(server)
    sdk.messages.create(model=MANTLE_MODEL, max_tokens=16, messages=MESSAGES, **NEW[name])
    assert _wire(mine) == _wire(_one(server))
    assert mine.body["model"] == MANTLE_MODEL
    if name in COUNTED:
        ours.messages.count_tokens(model=MANTLE_MODEL, messages=MESSAGES, **NEW[name])
        mine = _one(server)
        sdk.messages.count_tokens(model=MANTLE_MODEL, messages=MESSAGES, **NEW[name])
        assert _wire(mine) == _wire(_one(server))
        assert mine.path.split("?")[0].endswith("/count_tokens")


def test_async_client_drops_placeholders_and_takes_the_new_keywords(
    server: MessagesServer,
) -> None:
    """The async client shares the keyword handling: the same body as the sync one."""
    call: dict[str, Any] = {
        "speed": "fast", "extra_query": {"n": 1}, "temperature": anthropic.NOT_GIVEN,
        "system": claude_bedrock.omit, "timeout": anthropic.not_given,
    }  # fmt: skip
    server.clear()
    _ours(server).messages.create(model=MODEL, max_tokens=8, messages=MESSAGES, **call)
    sync = _wire(_one(server))

    async def run() -> None:
        async with claude_bedrock.AsyncAnthropicBedrock(
            aws_region="us-west-2", base_url=f"{server.url}/ok", api_key=KEY
        ) as client:
            await client.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES, **call)

    asyncio.run(run())
    assert _wire(_one(server)) == sync and sync["body"]["speed"] == "fast"
