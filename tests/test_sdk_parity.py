"""The proof of the drop-in promise: the same scenarios through the official SDK 2.16 and
through ours, against the same emulator, compared field by field.

Each test builds the official client (``anthropic.AnthropicBedrock``,
``AsyncAnthropicBedrock``, ``AnthropicBedrockMantle``) and ours with the same arguments,
pointed at the session's emulator (``bedrock_emulator``) with its credentials, makes the
same call with both and compares what came back (every field of the message, of each
stream event, of the token count) and what each put on the wire. The wire is captured by
an ``event_hooks`` request hook on the ``http_client`` each client is given (``httpx2`` for
the SDK, ``httpx`` for ours): the hook sees the final request, signed, with its body bytes
(the pair, the capture and the comparison live in :mod:`sdkpair`).

What legitimately differs, and is left out of the comparisons (each place says why):

* message ids (``msg_bdrk_...``): the emulator makes a new one per call, and the latencies
  in Bedrock's ``amazon-bedrock-invocationMetrics`` time each call;
* the ``x-amz-date`` / ``authorization`` headers: signed at each call's own second;
* InvokeModel's ``anthropic_version``: ours sends Bedrock's documented
  ``bedrock-2023-05-31``, SDK 2.16 its own API date; the Messages API's
  ``anthropic-version`` header likewise (AWS documents ``2023-06-01``);
* the body's key order and whitespace (JSON objects are compared, not their text);
* fields one side's model class has and the other's does not: they must then be None on
  the side that has them (nothing the emulator said is lost on either side).

Deliberate differences, asserted as such: on InvokeModel the SDK also sends the betas as an
``anthropic-beta`` header (Bedrock reads the body's list; ours sends the body only), and
its ``extra_body={"anthropic_beta": [...]}`` replaces ``betas=`` where ours merges them;
``service_tier`` goes in Bedrock's ``X-Amzn-Bedrock-Service-Tier`` header (the SDK puts it
in the InvokeModel body, which Bedrock's schema refuses); the SDK's
``beta.messages.count_tokens`` adds ``token-counting-2024-11-01`` (a beta long since GA on
Anthropic's API, not one Bedrock lists) and its ``AnthropicBedrock`` counts no tokens at
all, where ours calls Bedrock's CountTokens. SDK 2.16's ``create`` has no ``temperature``,
``top_p`` or ``top_k`` any more; ours keeps them and sends what the SDK sends for them in
``extra_body``.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import httpx2
import pytest

import claude_bedrock
from claude_bedrock.emulator import Emulator
from sdkpair import (
    INVOKE_MODEL,
    MANTLE_MODEL,
    Capture,
    Pair,
    arguments,
    assert_same,
    dump,
    outcome,
    pair_on,
)

MESSAGES = [{"role": "user", "content": "Name three primary colours."}]
BETAS = ["context-management-2025-06-27", "interleaved-thinking-2025-05-14"]
_KEY_ENV = ("AWS_BEARER_TOKEN_BEDROCK", "ANTHROPIC_AWS_API_KEY", "AWS_PROFILE")


@pytest.fixture(autouse=True)
def no_key_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both clients are given the emulator's keys; a key in the environment must not win."""
    for name in _KEY_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(params=["invoke", "mantle"])
def pair(request: pytest.FixtureRequest, bedrock_emulator: Emulator) -> Iterator[Pair]:
    """Both clients on one surface: InvokeModel (``AnthropicBedrock``) or bedrock-mantle."""
    with pair_on(bedrock_emulator, request.param) as built:
        yield built


def _stream_dumps(events: Any) -> list[Any]:
    """Raw stream events as data. Bedrock's ``amazon-bedrock-invocationMetrics`` on
    ``message_stop`` is compared too: the SDK keeps it as an extra field, ours under that
    alias (``invocation_metrics``)."""
    return [dump(event) for event in events]


# -- the scenarios ------------------------------------------------------------------------


def test_create(pair: Pair) -> None:
    call: dict[str, Any] = {"model": pair.model, "max_tokens": 64, "messages": MESSAGES}
    theirs = pair.sdk.messages.create(**call)
    mine = pair.ours.messages.create(**call)
    assert_same(dump(theirs), dump(mine))
    sdk_wire, our_wire = pair.wires()
    assert sdk_wire == our_wire


def test_stream_events_and_final_message(pair: Pair) -> None:
    call: dict[str, Any] = {"model": pair.model, "max_tokens": 64, "messages": MESSAGES}
    theirs = _stream_dumps(pair.sdk.messages.create(stream=True, **call))
    mine = _stream_dumps(pair.ours.messages.create(stream=True, **call))
    assert [e["type"] for e in mine][:1] == ["message_start"] and len(mine) > 4
    assert_same(theirs, mine)
    assert pair.sdk_sent.one().wire(invoke=pair.invoke) == pair.our_sent.one().wire(
        invoke=pair.invoke
    )
    with pair.sdk.messages.stream(**call) as stream:
        sdk_text = list(stream.text_stream)
        sdk_final = stream.get_final_message()
    with pair.ours.messages.stream(**call) as stream:
        our_text = list(stream.text_stream)
        our_final = stream.get_final_message()
    assert sdk_text == our_text and len(our_text) > 1
    assert_same(dump(sdk_final), dump(our_final))
    sdk_wire, our_wire = pair.wires()
    assert sdk_wire == our_wire


def test_beta_create_sends_the_betas_where_bedrock_reads_them(pair: Pair) -> None:
    """``client.beta.messages.create(betas=...)``: the same answer; on InvokeModel the same
    ``anthropic_beta`` body list, on bedrock-mantle the same ``anthropic-beta`` header."""
    call: dict[str, Any] = {"model": pair.model, "max_tokens": 64, "messages": MESSAGES}
    theirs = pair.sdk.beta.messages.create(betas=BETAS, **call)
    mine = pair.ours.beta.messages.create(betas=BETAS, **call)
    assert_same(dump(theirs), dump(mine))
    sdk_sent, our_sent = pair.sdk_sent.one(), pair.our_sent.one()
    assert sdk_sent.wire(invoke=pair.invoke) == our_sent.wire(invoke=pair.invoke)
    if pair.invoke:
        assert our_sent.body["anthropic_beta"] == BETAS
        assert "anthropic-beta" not in our_sent.headers  # deliberate: see the module doc
        assert sdk_sent.headers["anthropic-beta"] == ",".join(BETAS)
    else:
        assert our_sent.headers["anthropic-beta"] == ",".join(BETAS)
        assert "anthropic_beta" not in our_sent.body


def test_beta_stream_with_betas(pair: Pair) -> None:
    call: dict[str, Any] = {"model": pair.model, "max_tokens": 64, "messages": MESSAGES}
    with pair.sdk.beta.messages.stream(betas=BETAS, **call) as stream:
        sdk_final = stream.get_final_message()
    with pair.ours.beta.messages.stream(betas=BETAS, **call) as stream:
        our_final = stream.get_final_message()
    assert_same(dump(sdk_final), dump(our_final))
    sdk_wire, our_wire = pair.wires()
    assert sdk_wire == our_wire


def test_extra_body_betas_add_up_where_the_sdk_drops_betas(bedrock_emulator: Emulator) -> None:
    """On InvokeModel the SDK's ``extra_body["anthropic_beta"]`` replaces the list it made
    from ``betas=`` (so Bedrock never sees those); ours sends both, once each."""
    call: dict[str, Any] = {
        "model": INVOKE_MODEL, "max_tokens": 32, "messages": MESSAGES, "betas": BETAS[:1],
        "extra_body": {"anthropic_beta": BETAS[1:] + BETAS[:1]},
    }  # fmt: skip
    with pair_on(bedrock_emulator, "invoke") as built:
        built.sdk.beta.messages.create(**call)
        built.ours.beta.messages.create(**call)
    assert built.sdk_sent.one().body["anthropic_beta"] == BETAS[1:] + BETAS[:1]
    assert built.our_sent.one().body["anthropic_beta"] == BETAS


def test_with_options_and_copy(pair: Pair) -> None:
    """``with_options`` / ``copy`` on both: the same answer, the new default header sent,
    the original clients unchanged."""
    call: dict[str, Any] = {"model": pair.model, "max_tokens": 32, "messages": MESSAGES}
    headers = {"x-custom": "copied"}
    for method in ("with_options", "copy"):
        sdk = getattr(pair.sdk, method)(timeout=30, default_headers=headers)
        ours = getattr(pair.ours, method)(timeout=30, default_headers=headers)
        # ours keeps the timeout as an httpx.Timeout (as test_client_options compares it)
        assert ours.timeout == httpx.Timeout(sdk.timeout) and sdk.timeout == 30
        assert sdk.max_retries == ours.max_retries == 0
        assert_same(dump(sdk.beta.messages.create(**call)), dump(ours.beta.messages.create(**call)))
        sdk_wire, our_wire = pair.wires()
        assert sdk_wire == our_wire and our_wire["headers"]["x-custom"] == "copied"
    pair.sdk.messages.create(**call)
    pair.ours.messages.create(**call)
    sdk_wire, our_wire = pair.wires()
    assert sdk_wire == our_wire and our_wire["headers"]["x-custom"] is None


def test_count_tokens_on_mantle(bedrock_emulator: Emulator) -> None:
    with pair_on(bedrock_emulator, "mantle") as built:
        for resource in ("messages", "beta.messages"):
            sdk, ours = built.sdk, built.ours
            for name in resource.split("."):
                sdk, ours = getattr(sdk, name), getattr(ours, name)
            extra = {"betas": BETAS[:1]} if resource == "beta.messages" else {}
            theirs = sdk.count_tokens(model=built.model, messages=MESSAGES, **extra)
            mine = ours.count_tokens(model=built.model, messages=MESSAGES, **extra)
            assert_same(dump(theirs), dump(mine))
            assert mine.input_tokens > 0
            sdk_sent, our_sent = built.sdk_sent.one(), built.our_sent.one()
            if extra:  # the SDK's beta count adds the token-counting beta (module doc)
                assert sdk_sent.headers["anthropic-beta"] == f"{BETAS[0]},token-counting-2024-11-01"
                assert our_sent.headers["anthropic-beta"] == BETAS[0]
                sdk_sent.headers["anthropic-beta"] = BETAS[0]
            assert sdk_sent.wire(invoke=False) == our_sent.wire(invoke=False)


def test_count_tokens_on_anthropicbedrock(bedrock_emulator: Emulator) -> None:
    """The SDK's ``AnthropicBedrock`` refuses to count tokens; ours calls Bedrock's
    CountTokens (the betas in its InvokeModel body), and gets what the SDK's
    ``AnthropicBedrockMantle`` gets for the same model and prompt."""
    with (
        pair_on(bedrock_emulator, "invoke") as built,
        pair_on(bedrock_emulator, "mantle") as mantle,
    ):
        with pytest.raises(anthropic.AnthropicError, match="not supported in Bedrock"):
            built.sdk.messages.count_tokens(model=built.model, messages=MESSAGES)
        assert not hasattr(built.sdk.beta.messages, "count_tokens")
        mine = built.ours.beta.messages.count_tokens(
            model=built.model, messages=MESSAGES, betas=BETAS
        )
        theirs = mantle.sdk.messages.count_tokens(model=MANTLE_MODEL, messages=MESSAGES)
    assert_same(dump(theirs), dump(mine))
    sent = built.our_sent.one()
    assert sent.path.endswith("/count-tokens")
    inner = json.loads(base64.b64decode(sent.body["input"]["invokeModel"]["body"]))
    assert inner["anthropic_beta"] == BETAS


#: Every ``messages.create`` keyword of the SDK 2.16 ours takes, one call each, with a
#: value the emulator answers on both surfaces or refuses on both.
PARAMETERS: dict[str, dict[str, Any]] = {
    "system": {"system": "Answer in one word."},
    "system_blocks": {"system": [{"type": "text", "text": "Be brief."}]},
    "stop_sequences": {"stop_sequences": ["colours"]},
    "tools": {
        "tools": [{"name": "paint", "description": "Paints.",
                   "input_schema": {"type": "object", "properties": {}}}],
        "tool_choice": {"type": "auto"},
    },
    "metadata": {"metadata": {"user_id": "user-1"}},
    "thinking": {"thinking": {"type": "enabled", "budget_tokens": 1024}, "max_tokens": 2048},
    "cache_control": {"cache_control": {"type": "ephemeral"}},
    "container": {"container": "container_011CPR5CNjB747bTd36fQLFk"},
    "context_management": {"context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]}},
    "diagnostics": {"diagnostics": {"previous_message_id": "msg_01Previous"}},
    "inference_geo": {"inference_geo": "us"},
    "mcp_servers": {"mcp_servers": [{"type": "url", "url": "https://mcp.example", "name": "ex"}]},
    "output_config": {"output_config": {"effort": "high"}},
    "speed": {"speed": "fast"},
    "workspace_id": {"workspace_id": "wrkspc_01"},
    "user_profile_id": {"user_profile_id": "uprof_01"},
    "extra_headers": {"extra_headers": {"x-custom": "yes"}},
    "extra_query": {"extra_query": {"trace": "on"}},
    "extra_body": {"extra_body": {"top_k": 3}},
    "timeout": {"timeout": 30.0},
}  # fmt: skip


#: Ours only: SDK 2.16's ``messages.create`` has no sampling keywords any more; ours keeps
#: them, and sends what the SDK sends for the same value in ``extra_body``.
SAMPLING: dict[str, Any] = {"temperature": 0.2, "top_p": 0.9, "top_k": 5}


@pytest.mark.parametrize("name", list(PARAMETERS))
def test_every_create_parameter(pair: Pair, name: str) -> None:
    """The same outcome (the same message, or an error with the same status) and the same
    request, keyword by keyword, on InvokeModel and bedrock-mantle."""
    call: dict[str, Any] = {"model": pair.model, "max_tokens": 64, "messages": MESSAGES}
    call.update(PARAMETERS[name])
    theirs = outcome(lambda: pair.sdk.beta.messages.create(**call))
    mine = outcome(lambda: pair.ours.beta.messages.create(**call))
    assert theirs[0] == mine[0], (theirs, mine)
    if mine[0] == "ok":
        assert_same(theirs[1], mine[1])
    else:
        assert theirs[1] == mine[1]
    sdk_wire, our_wire = pair.wires()
    assert sdk_wire == our_wire


@pytest.mark.parametrize("name", list(SAMPLING))
def test_sampling_keywords_send_what_the_sdks_extra_body_sends(pair: Pair, name: str) -> None:
    call: dict[str, Any] = {"model": pair.model, "max_tokens": 64, "messages": MESSAGES}
    with pytest.raises(TypeError, match=name):
        pair.sdk.messages.create(**call, **{name: SAMPLING[name]})
    theirs = outcome(lambda: pair.sdk.messages.create(**call, extra_body={name: SAMPLING[name]}))
    mine = outcome(lambda: pair.ours.messages.create(**call, **{name: SAMPLING[name]}))
    # Bedrock refuses sampling parameters on this model (Opus 4.7, rule table
    # sampling.*_deprecated): both clients send the same body and get the same refusal
    assert theirs[0] == mine[0]
    assert_same(theirs[1], mine[1])
    sdk_wire, our_wire = pair.wires()
    assert sdk_wire == our_wire and our_wire["body"][name] == SAMPLING[name]


def test_service_tier_goes_to_bedrocks_header(pair: Pair) -> None:
    """Deliberate difference: the SDK sends ``service_tier`` in the body on InvokeModel (the
    emulator, like Bedrock, refuses the key); ours sends Bedrock's header, ``auto`` and
    ``standard_only`` as its Standard tier. On bedrock-mantle both send the body field."""
    call: dict[str, Any] = {"model": pair.model, "max_tokens": 32, "messages": MESSAGES}
    theirs = outcome(lambda: pair.sdk.messages.create(service_tier="standard_only", **call))
    mine = outcome(lambda: pair.ours.messages.create(service_tier="standard_only", **call))
    sdk_sent, our_sent = pair.sdk_sent.one(), pair.our_sent.one()
    if pair.invoke:
        assert theirs[0] == "error" and theirs[1][0] == 400 and mine[0] == "ok"
        assert sdk_sent.body["service_tier"] == "standard_only"
        assert "service_tier" not in our_sent.body
        assert our_sent.headers["x-amzn-bedrock-service-tier"] == "default"
    else:  # the Anthropic API's field, in the body: the same request, the same answer
        assert theirs == mine
        assert sdk_sent.wire(invoke=False) == our_sent.wire(invoke=False)


@pytest.mark.parametrize(
    "placeholder", [anthropic.NOT_GIVEN, anthropic.omit, claude_bedrock.NOT_GIVEN]
)
def test_placeholders_send_nothing_on_either(pair: Pair, placeholder: Any) -> None:
    """A framework's "not set" for every optional keyword: both send the plain request."""
    unset = dict.fromkeys(
        ("system", "tools", "tool_choice", "metadata", "thinking", "service_tier",
         "stop_sequences", "cache_control", "output_config", "speed", "betas", "timeout",
         "container", "context_management", "diagnostics", "inference_geo", "mcp_servers",
         "user_profile_id", "workspace_id"),
        placeholder,
    )  # fmt: skip
    call: dict[str, Any] = {"model": pair.model, "max_tokens": 32, "messages": MESSAGES}
    sdk_value = anthropic.NOT_GIVEN if placeholder is claude_bedrock.NOT_GIVEN else placeholder
    sdk_unset = dict.fromkeys(unset, sdk_value)
    theirs = pair.sdk.beta.messages.create(**call, **sdk_unset)
    mine = pair.ours.beta.messages.create(**call, **unset)
    assert_same(dump(theirs), dump(mine))
    sdk_wire, our_wire = pair.wires()
    assert sdk_wire == our_wire
    pair.ours.messages.create(**call, **dict.fromkeys(SAMPLING, placeholder))
    assert pair.our_sent.one().wire(invoke=pair.invoke) == our_wire


def test_async_clients(bedrock_emulator: Emulator) -> None:
    """``AsyncAnthropicBedrock``: create, the raw stream and the stream helper, beta too."""
    sdk_sent, our_sent = Capture(), Capture()
    given = arguments(bedrock_emulator)
    call: dict[str, Any] = {"model": INVOKE_MODEL, "max_tokens": 64, "messages": MESSAGES}

    async def run(client: Any) -> list[Any]:
        async with client:
            created = await client.beta.messages.create(betas=BETAS, **call)
            events = [event async for event in await client.messages.create(stream=True, **call)]
            async with client.messages.stream(**call) as stream:
                final = await stream.get_final_message()
        return [dump(created), _stream_dumps(events), dump(final)]

    sdk = anthropic.AsyncAnthropicBedrock(
        base_url=bedrock_emulator.url,
        http_client=httpx2.AsyncClient(event_hooks={"request": [sdk_sent.ahook]}), **given,
    )  # fmt: skip
    ours = claude_bedrock.AsyncAnthropicBedrock(
        base_url=bedrock_emulator.url,
        http_client=httpx.AsyncClient(event_hooks={"request": [our_sent.ahook]}), **given,
    )  # fmt: skip
    theirs = asyncio.run(run(sdk))
    mine = asyncio.run(run(ours))
    assert_same(theirs, mine)
    assert len(sdk_sent.sent) == len(our_sent.sent) == 3
    for a, b in zip(sdk_sent.sent, our_sent.sent, strict=True):
        assert a.wire(invoke=True) == b.wire(invoke=True)
