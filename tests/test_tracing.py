"""OpenTelemetry spans (``open_telemetry=``): the same calls through the official SDK 2.16 and
through ours, against the same emulator, each with its own in-memory exporter, and the
spans compared attribute by attribute. Where they differ, on purpose, the sets below say so.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from claude_bedrock import (
    AnthropicBedrock,
    AnthropicBedrockMantle,
    APIConnectionError,
    AsyncAnthropicBedrock,
    BadRequestError,
    UnknownModelWarning,
)
from claude_bedrock.emulator import Emulator

MODEL = "global.anthropic.claude-opus-4-6-v1"
MANTLE_MODEL = "anthropic.claude-opus-4-7"  # served by bedrock-mantle in us-east-1
HELLO = [{"role": "user", "content": "Hello, world"}]
REGION = "us-west-2"
#: The SDK's URL attributes: ours leave the URL out (a Bedrock path holds the model ID, an
#: ARN of which names the AWS account); ``server.address`` / ``server.port`` are kept.
SDK_ONLY = {"url.scheme", "url.path", "url.full"}
#: Per call: compared by shape only.
VARIES = {"gen_ai.response.id", "gen_ai.response.time_to_first_chunk"}
#: Ours alone: the surface and resolved model ID, the cost, Bedrock's request id (the
#: conventions' ``aws.request_id``), the conventions' finish reasons and sampling parameters
#: (the SDK 2.16 no longer takes ``temperature`` / ``top_p``).
OURS_ONLY = {
    "claude_bedrock.surface", "claude_bedrock.model_id", "claude_bedrock.cost.usd",
    "aws.request_id", "gen_ai.response.finish_reasons", "gen_ai.request.temperature",
    "gen_ai.request.top_p", "gen_ai.request.top_k",
}  # fmt: skip


class Spans:
    """A tracer provider of its own, and what it exported."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))

    def option(self, **more: Any) -> dict[str, Any]:
        return {"tracer_provider": self.provider, **more}

    def take(self) -> list[ReadableSpan]:
        spans = list(self.exporter.get_finished_spans())
        self.exporter.clear()
        return spans

    def one(self) -> ReadableSpan:
        spans = self.take()
        assert len(spans) == 1, [s.name for s in spans]
        return spans[0]


@pytest.fixture
def ours_spans() -> Spans:
    return Spans()


@pytest.fixture
def sdk_spans() -> Spans:
    return Spans()


def _auth(emulator: Emulator) -> dict[str, Any]:
    return {"aws_access_key": emulator.access_key, "aws_secret_key": emulator.secret_key,
            "aws_region": REGION, "max_retries": 0}  # fmt: skip


@pytest.fixture
def ours(bedrock_emulator: Emulator, ours_spans: Spans) -> Iterator[AnthropicBedrock]:
    with AnthropicBedrock(base_url=bedrock_emulator.url, **_auth(bedrock_emulator),
                          open_telemetry=ours_spans.option()) as client:  # fmt: skip
        yield client


@pytest.fixture
def sdk(bedrock_emulator: Emulator, sdk_spans: Spans) -> Iterator[anthropic.AnthropicBedrock]:
    with anthropic.AnthropicBedrock(base_url=bedrock_emulator.url, **_auth(bedrock_emulator),
                                    open_telemetry=sdk_spans.option()) as client:  # fmt: skip
        yield client


def _same_span(ours: ReadableSpan, sdk: ReadableSpan) -> None:
    """Name, kind, status, and every attribute of the SDK's (but ``SDK_ONLY``) equal."""
    assert (ours.name, ours.kind) == (sdk.name, sdk.kind)
    assert ours.status.status_code == sdk.status.status_code
    mine, theirs = dict(ours.attributes or {}), dict(sdk.attributes or {})
    for name in theirs.keys() - SDK_ONLY - VARIES:
        assert mine.get(name) == theirs[name], name
    for name in VARIES & theirs.keys():
        assert type(mine[name]) is type(theirs[name]), name
    assert mine.keys() - theirs.keys() <= OURS_ONLY | {"error.type"}, mine.keys() - theirs.keys()
    assert ours.end_time is not None and ours.start_time is not None


def _ours_only(span: ReadableSpan, surface: str = "invoke") -> None:
    attributes = dict(span.attributes or {})
    assert attributes["claude_bedrock.surface"] == surface
    assert attributes["claude_bedrock.cost.usd"] > 0
    assert attributes["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert attributes["aws.request_id"]


def test_create_span_matches_the_sdk(
    ours: AnthropicBedrock, sdk: anthropic.AnthropicBedrock, ours_spans: Spans, sdk_spans: Spans
) -> None:
    mine = ours.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    theirs = sdk.messages.create(model=MODEL, max_tokens=64, messages=HELLO)  # type: ignore[arg-type]
    span, sdk_span = ours_spans.one(), sdk_spans.one()
    _same_span(span, sdk_span)
    _ours_only(span)
    assert span.kind is SpanKind.CLIENT and span.status.status_code is StatusCode.OK
    assert span.attributes is not None and mine.cost is not None
    assert span.attributes["gen_ai.response.id"] == mine.id != theirs.id
    assert span.attributes["claude_bedrock.cost.usd"] == mine.cost.usd
    assert span.attributes["gen_ai.provider.name"] == "aws.bedrock"


def test_sampling_parameters_are_recorded(ours: AnthropicBedrock, ours_spans: Spans) -> None:
    ours.messages.create(model=MODEL, max_tokens=64, messages=HELLO, temperature=0.25, top_k=5)
    attributes = dict(ours_spans.one().attributes or {})
    assert attributes["gen_ai.request.temperature"] == 0.25
    assert attributes["gen_ai.request.top_k"] == 5


def test_stream_spans_match_the_sdk(
    ours: AnthropicBedrock, sdk: anthropic.AnthropicBedrock, ours_spans: Spans, sdk_spans: Spans
) -> None:
    with ours.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
        assert ours_spans.take() == []  # open until the stream ends
        text = "".join(stream.text_stream)
    with sdk.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as sdk_stream:  # type: ignore[arg-type]
        assert text == "".join(sdk_stream.text_stream)
    span = ours_spans.one()
    _same_span(span, sdk_spans.one())
    _ours_only(span)
    for _event in ours.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True):
        pass
    for _ in sdk.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True):  # type: ignore[arg-type]
        pass
    _same_span(ours_spans.one(), sdk_spans.one())


def test_async_spans_match_the_sdk(
    bedrock_emulator: Emulator, ours_spans: Spans, sdk_spans: Spans
) -> None:
    async def main() -> None:
        auth = _auth(bedrock_emulator)
        async with (
            AsyncAnthropicBedrock(base_url=bedrock_emulator.url, **auth,
                                  open_telemetry=ours_spans.option()) as ours,
            anthropic.AsyncAnthropicBedrock(base_url=bedrock_emulator.url, **auth,
                                            open_telemetry=sdk_spans.option()) as sdk,
        ):  # fmt: skip
            await ours.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
            await sdk.messages.create(model=MODEL, max_tokens=64, messages=HELLO)  # type: ignore[arg-type]
            _same_span(ours_spans.one(), sdk_spans.one())
            async with ours.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as s:
                await s.get_final_message()
            async with sdk.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as t:  # type: ignore[arg-type]
                await t.get_final_message()
            _same_span(ours_spans.one(), sdk_spans.one())
            raw = await ours.messages.create(model=MODEL, max_tokens=64, messages=HELLO,
                                             stream=True)  # fmt: skip
            async for _ in raw:
                pass
            _ours_only(ours_spans.one())
            assert (await ours.messages.count_tokens(model=MODEL, messages=HELLO)).input_tokens
            assert ours_spans.one().name == "anthropic.messages.count_tokens"

    asyncio.run(main())


def test_a_stream_closed_early_ends_its_span_without_a_status(
    ours: AnthropicBedrock, sdk: anthropic.AnthropicBedrock, ours_spans: Spans, sdk_spans: Spans
) -> None:
    long = [{"role": "user", "content": "Write a long story. " * 5}]
    with ours.messages.stream(model=MODEL, max_tokens=400, messages=long) as stream:
        next(iter(stream))
    with sdk.messages.stream(model=MODEL, max_tokens=400, messages=long) as sdk_stream:  # type: ignore[arg-type]
        next(iter(sdk_stream))
    span, sdk_span = ours_spans.one(), sdk_spans.one()
    assert span.status.status_code is sdk_span.status.status_code is StatusCode.UNSET
    _same_span(span, sdk_span)
    assert "anthropic.message.stop_reason" not in (span.attributes or {})
    # Dropped unread: the span ends all the same.
    dropped = ours.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True)
    del dropped
    assert ours_spans.one().status.status_code is StatusCode.UNSET


def test_a_stream_cut_short_fails_its_span(
    ours: AnthropicBedrock, sdk: anthropic.AnthropicBedrock, ours_spans: Spans, sdk_spans: Spans
) -> None:
    fault = {"x-emulator-fault": "reset-mid-stream@3"}
    with pytest.raises(APIConnectionError):
        for _ in ours.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True,
                                      extra_headers=fault):  # fmt: skip
            pass
    with pytest.raises(Exception):  # noqa: B017 (the SDK lets httpx2's ReadError out here)
        for _ in sdk.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True,  # type: ignore[arg-type]
                                     extra_headers=fault):  # fmt: skip
            pass
    span, sdk_span = ours_spans.one(), sdk_spans.one()
    assert span.status.status_code is sdk_span.status.status_code is StatusCode.ERROR
    # Ours names the failure; the SDK's is "client_error" (it does not map httpx2's ReadError).
    assert (span.attributes or {})["error.type"] == "connection_error"


def test_an_error_answer_fails_the_span(
    ours: AnthropicBedrock, sdk: anthropic.AnthropicBedrock, ours_spans: Spans, sdk_spans: Spans
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownModelWarning)
        with pytest.raises(BadRequestError):
            ours.messages.create(model="no-such-model", max_tokens=64, messages=HELLO)
    with pytest.raises(anthropic.BadRequestError):
        sdk.messages.create(model="no-such-model", max_tokens=64, messages=HELLO)  # type: ignore[arg-type]
    span, sdk_span = ours_spans.one(), sdk_spans.one()
    attributes, theirs = dict(span.attributes or {}), dict(sdk_span.attributes or {})
    assert span.status.status_code is StatusCode.ERROR
    # The SDK names the status code ("400"); we name Bedrock's x-amzn-ErrorType, finer.
    assert theirs["error.type"] == "400" and attributes["error.type"] == "ValidationException"
    for name in theirs.keys() - SDK_ONLY - {"error.type"}:
        assert attributes[name] == theirs[name], name


def test_count_tokens_span(ours: AnthropicBedrock, ours_spans: Spans) -> None:
    """The SDK's span name and attributes (its Bedrock client cannot count tokens yet)."""
    counted = ours.messages.count_tokens(model=MODEL, messages=HELLO)
    span = ours_spans.one()
    attributes = dict(span.attributes or {})
    assert span.name == "anthropic.messages.count_tokens"
    assert attributes["anthropic.message.count_tokens.input_tokens"] == counted.input_tokens
    assert attributes["gen_ai.request.model"] == MODEL
    assert "gen_ai.operation.name" not in attributes  # as the SDK: no convention for it


def test_converse_route_has_the_same_span(
    ours: AnthropicBedrock, sdk: anthropic.AnthropicBedrock, ours_spans: Spans, sdk_spans: Spans
) -> None:
    ours.messages.create(model=MODEL, max_tokens=64, messages=HELLO, api="converse")
    sdk.messages.create(model=MODEL, max_tokens=64, messages=HELLO)  # type: ignore[arg-type]
    span, sdk_span = ours_spans.one(), sdk_spans.one()
    _same_span(span, sdk_span)
    _ours_only(span, "converse")
    with ours.messages.stream(model=MODEL, max_tokens=64, messages=HELLO, api="converse") as s:
        s.until_done()
    _ours_only(ours_spans.one(), "converse")


def test_mantle_spans_match_the_sdk(
    bedrock_emulator: Emulator, ours_spans: Spans, sdk_spans: Spans
) -> None:
    base = f"{bedrock_emulator.url}/anthropic"
    auth = {**_auth(bedrock_emulator), "aws_region": "us-east-1"}
    ours = AnthropicBedrockMantle(base_url=base, **auth, open_telemetry=ours_spans.option())
    sdk = anthropic.AnthropicBedrockMantle(base_url=base, **auth,
                                           open_telemetry=sdk_spans.option())  # fmt: skip
    with ours, sdk:
        ours.messages.create(model=MANTLE_MODEL, max_tokens=64, messages=HELLO)
        sdk.messages.create(model=MANTLE_MODEL, max_tokens=64, messages=HELLO)  # type: ignore[arg-type]
        span = ours_spans.one()
        _same_span(span, sdk_spans.one())
        assert (span.attributes or {})["claude_bedrock.surface"] == "mantle"
        ours.messages.count_tokens(model=MANTLE_MODEL, messages=HELLO)
        sdk.messages.count_tokens(model=MANTLE_MODEL, messages=HELLO)  # type: ignore[arg-type]
        _same_span(ours_spans.one(), sdk_spans.one())


TOOLS = [{"name": "get_weather", "description": "The weather in a city.",
          "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                           "required": ["city"]}}]  # fmt: skip


def test_content_mode_records_what_the_sdk_records(
    bedrock_emulator: Emulator, ours_spans: Spans, sdk_spans: Spans
) -> None:
    content = {"traces": {"content_mode": "content"}}
    auth = _auth(bedrock_emulator)
    ours = AnthropicBedrock(base_url=bedrock_emulator.url, **auth,
                            open_telemetry=ours_spans.option(**content))  # fmt: skip
    sdk = anthropic.AnthropicBedrock(base_url=bedrock_emulator.url, **auth,
                                     open_telemetry=sdk_spans.option(**content))  # fmt: skip
    ask = [{"role": "user", "content": "What is the weather in Paris? Use get_weather."}]
    kwargs: dict[str, Any] = {"model": MODEL, "max_tokens": 128, "system": "Be brief.",
                              "tools": TOOLS, "stop_sequences": ["STOP"]}  # fmt: skip
    with ours, sdk:
        first = ours.messages.create(messages=ask, **kwargs)
        sdk.messages.create(messages=ask, **kwargs)
        tool_use = next(b for b in first.content if b.type == "tool_use")
        turn = [*ask, {"role": "assistant", "content": [b.model_dump() for b in first.content]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use.id,
                                              "content": "Sunny, 21 C"}]}]  # fmt: skip
        ours.messages.create(messages=turn, **kwargs)
        sdk.messages.create(messages=turn, **kwargs)
    names = ("gen_ai.system_instructions", "gen_ai.input.messages", "gen_ai.request.stop_sequences")
    for span, sdk_span in zip(ours_spans.take(), sdk_spans.take(), strict=True):
        mine, theirs = dict(span.attributes or {}), dict(sdk_span.attributes or {})
        for name in names:
            assert mine[name] == theirs[name], name
        out, sdk_out = (json.loads(str(a["gen_ai.output.messages"])) for a in (mine, theirs))
        assert [p["type"] for p in out[0]["parts"]] == [p["type"] for p in sdk_out[0]["parts"]]
    assert "Sunny, 21 C" in str(mine["gen_ai.input.messages"])


def test_metadata_only_by_default_and_no_secret(
    ours: AnthropicBedrock, bedrock_emulator: Emulator, ours_spans: Spans
) -> None:
    ours.messages.create(model=MODEL, max_tokens=64, messages=HELLO, system="Secret plan")
    text = repr(dict(ours_spans.one().attributes or {}))
    assert "Hello, world" not in text and "Secret plan" not in text
    assert bedrock_emulator.secret_key not in text and bedrock_emulator.access_key not in text


def test_disabled_clients_emit_nothing(
    bedrock_emulator: Emulator, ours_spans: Spans, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = _auth(bedrock_emulator)
    for option in (False, {"traces": False}, ours_spans.option(traces={"enabled": False})):
        with AnthropicBedrock(base_url=bedrock_emulator.url, **auth,
                              open_telemetry=option) as client:  # fmt: skip
            client.messages.create(model=MODEL, max_tokens=16, messages=HELLO)
            assert client.copy().open_telemetry["traces"]["enabled"] is False
    monkeypatch.setenv("ANTHROPIC_OPEN_TELEMETRY", "false")
    with AnthropicBedrock(base_url=bedrock_emulator.url, **auth) as client:
        assert client.open_telemetry["traces"]["enabled"] is False
    assert ours_spans.take() == []


def test_the_trace_context_goes_with_the_request(
    bedrock_emulator: Emulator, ours_spans: Spans
) -> None:
    seen: list[str | None] = []
    hooks = {"request": [lambda request: seen.append(request.headers.get("traceparent"))]}
    for propagation in (True, False):
        with AnthropicBedrock(
            base_url=bedrock_emulator.url, **_auth(bedrock_emulator),
            http_client=httpx.Client(event_hooks=hooks),
            open_telemetry=ours_spans.option(propagation=propagation),
        ) as client:  # fmt: skip
            client.messages.create(model=MODEL, max_tokens=16, messages=HELLO)
    span = ours_spans.take()[0]
    assert seen[0] is not None and f"{span.context.trace_id:032x}" in seen[0]
    assert seen[1] is None


_WITHOUT_OTEL = """
import sys
sys.modules["opentelemetry"] = None  # as if opentelemetry-api were not installed
from claude_bedrock import AnthropicBedrock, _tracing
client = AnthropicBedrock(base_url={url!r}, aws_access_key={ak!r}, aws_secret_key={sk!r},
                          aws_region="us-west-2")
client.messages.create(model={model!r}, max_tokens=16, messages=[{{"role": "user",
                       "content": "Hi"}}])
assert _tracing.tracer(client) is None and client.__dict__["_otel_tracer"] is None
assert not any(name.startswith("opentelemetry") for name in sys.modules if sys.modules[name])
print("ok")
"""

_NO_PROVIDER = """
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from claude_bedrock import AnthropicBedrock, _tracing
client = AnthropicBedrock(base_url={url!r}, aws_access_key={ak!r}, aws_secret_key={sk!r},
                          aws_region="us-west-2")
hello = [{{"role": "user", "content": "Hi"}}]
client.messages.create(model={model!r}, max_tokens=16, messages=hello)
assert _tracing.tracer(client) is None  # no provider set: no span, no per-call work
exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)  # the global provider, set after the client was made
client.messages.create(model={model!r}, max_tokens=16, messages=hello)
assert [s.name for s in exporter.get_finished_spans()] == ["anthropic.messages.create"]
print("ok")
"""


@pytest.mark.parametrize("script", [_WITHOUT_OTEL, _NO_PROVIDER], ids=["no-otel", "no-provider"])
def test_without_opentelemetry_or_a_provider(bedrock_emulator: Emulator, script: str) -> None:
    code = textwrap.dedent(script).format(
        url=bedrock_emulator.url, ak=bedrock_emulator.access_key,
        sk=bedrock_emulator.secret_key, model=MODEL,
    )  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "ANTHROPIC_OPEN"))}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_content_within_max_content_bytes_and_conversation_id(
    bedrock_emulator: Emulator, ours_spans: Spans
) -> None:
    """Over the limit, the oldest parts go first and the span says so; the conversation id
    set on a copy (the SDK's recipe) links its spans."""
    option = ours_spans.option(traces={"content_mode": "content", "max_content_bytes": 400})
    with AnthropicBedrock(base_url=bedrock_emulator.url, **_auth(bedrock_emulator),
                          open_telemetry=option) as client:  # fmt: skip
        talk = client.with_options(open_telemetry={**client.open_telemetry,
                                                   "conversation_id": "conv-1"})  # fmt: skip
        long = [{"role": "user", "content": "x" * 1000}, {"role": "assistant", "content": "ok"},
                {"role": "user", "content": "Short question?"}]  # fmt: skip
        talk.messages.create(model=MODEL, max_tokens=64, messages=long)
    attributes = dict(ours_spans.one().attributes or {})
    assert attributes["gen_ai.conversation.id"] == "conv-1"
    assert attributes["anthropic.content.truncated"] is True
    kept = json.loads(str(attributes["gen_ai.input.messages"]))
    assert [len(m["parts"]) for m in kept] == [0, 1, 1]  # the 1000-byte part was dropped
    assert json.loads(str(attributes["gen_ai.output.messages"]))[0]["parts"]
