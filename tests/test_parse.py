"""Structured outputs: ``messages.parse(output_format=...)`` and
``messages.stream(output_format=...)``, proved against the official SDK 2.16.

The same calls go through ``anthropic.AnthropicBedrock`` and ours: to a recording server
(what each puts on the wire: the strict JSON schema in ``output_config.format``, merged
with ``effort``) and to the emulator (whose engine answers JSON valid against the schema),
where the parsed outputs and the messages must be equal field by field (ids aside).
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import warnings
from collections.abc import Iterator
from typing import Any, Literal

import anthropic
import pydantic
import pytest
from anthropic.lib._parse._transform import transform_schema as sdk_transform
from typing_extensions import TypedDict

import claude_bedrock
from claude_bedrock import AnthropicBedrock, AsyncAnthropicBedrock
from claude_bedrock.emulator import Emulator
from claude_bedrock.resources._structured import transform_schema
from claude_bedrock.types.parsed import ParsedMessage, ParsedTextBlock
from clientenv import OPENED
from messagesserver import MessagesServer

pytestmark = pytest.mark.usefixtures("client_env")

MODEL = "global.anthropic.claude-opus-4-5-20251101-v1:0"
MANTLE_MODEL = "anthropic.claude-opus-4-7"
MESSAGES = [{"role": "user", "content": "What is the weather in Paris?"}]
KEY = "bedrock-api-key-parse-1"


class Sky(enum.Enum):
    CLEAR = "clear"
    CLOUDY = "cloudy"


class Reading(pydantic.BaseModel):
    """One reading."""

    hour: int = pydantic.Field(ge=0, le=23)
    sky: Sky


class Weather(pydantic.BaseModel):
    city: str = pydantic.Field(description="The city", min_length=2)
    temperature_c: float
    conditions: list[str] = pydantic.Field(min_length=1, max_length=4)
    readings: list[Reading]
    alert: str | None = None
    unit: Literal["metric", "imperial"] = "metric"


class Movie(TypedDict):
    title: str
    year: int


@dataclasses.dataclass
class Point:
    x: int
    y: int


FORMATS: dict[str, Any] = {"model": Weather, "typeddict": Movie, "dataclass": Point}


@pytest.fixture(scope="module")
def server() -> Iterator[MessagesServer]:
    recording = MessagesServer()
    yield recording
    recording.close()


def _pair(emulator: Emulator) -> tuple[AnthropicBedrock, anthropic.AnthropicBedrock]:
    keys = {"aws_access_key": emulator.access_key, "aws_secret_key": emulator.secret_key}
    ours = AnthropicBedrock(aws_region="us-west-2", base_url=emulator.url, **keys)
    sdk = anthropic.AnthropicBedrock(aws_region="us-west-2", base_url=emulator.url, **keys)
    OPENED.extend((ours, sdk))
    return ours, sdk


def _same_message(mine: Any, theirs: Any) -> None:
    """Field by field, the ids aside (each call gets its own)."""
    a, b = mine.to_dict(), theirs.to_dict()
    a.pop("id"), b.pop("id")
    assert a == b


# ------------------------------------------------------------------------- the wire


@pytest.mark.parametrize("name", list(FORMATS))
def test_parse_sends_what_the_official_client_sends(server: MessagesServer, name: str) -> None:
    """The strict schema, merged into the caller's ``output_config`` (``effort`` kept)."""
    kwargs: dict[str, Any] = {
        "model": MODEL, "max_tokens": 64, "messages": MESSAGES, "output_format": FORMATS[name],
        "output_config": {"effort": "high"},
    }  # fmt: skip
    ours = AnthropicBedrock(aws_region="us-west-2", base_url=f"{server.url}/ok", api_key=KEY)
    sdk = anthropic.AnthropicBedrock(
        aws_region="us-west-2", base_url=f"{server.url}/ok", api_key=KEY
    )
    OPENED.extend((ours, sdk))
    bodies = []
    for client, error in ((ours, pydantic.ValidationError), (sdk, pydantic.ValidationError)):
        server.clear()
        with pytest.raises(error):  # the recording server answers plain text, not JSON
            client.messages.parse(**kwargs)
        [record] = server.clear()
        bodies.append(record.body)
    mine, theirs = bodies
    assert mine["output_config"] == theirs["output_config"]
    assert mine["output_config"]["effort"] == "high"
    assert mine["output_config"]["format"]["type"] == "json_schema"
    mine.pop("anthropic_version"), theirs.pop("anthropic_version")
    assert mine == theirs


SCHEMAS: list[dict[str, Any]] = [
    Weather.model_json_schema(),
    pydantic.TypeAdapter(Movie).json_schema(),
    pydantic.TypeAdapter(list[Point]).json_schema(),
    {"type": "string", "format": "email", "pattern": "^a"},
    {"type": "string", "format": "color"},
    {"type": "array", "items": {"type": "integer", "minimum": 3}, "minItems": 2},
    {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 9},
    {"oneOf": [{"type": "integer"}, {"type": "null"}], "description": "maybe"},
    {"allOf": [{"$ref": "#/$defs/A"}], "$defs": {"A": {"type": "object"}}},
    {"enum": ["a", 1, None], "type": "string"},
    {"const": "fixed", "title": "Fixed"},
    {"$ref": "#/$defs/Node", "$defs": {"Node": {"type": "object", "properties": {
        "next": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}}}}},
]  # fmt: skip


@pytest.mark.parametrize("schema", SCHEMAS)
def test_strict_schemas_match_the_official_transform(schema: dict[str, Any]) -> None:
    assert transform_schema(schema) == sdk_transform(schema)


def test_a_schema_without_a_type_is_refused_like_the_official_transform() -> None:
    with pytest.raises(ValueError) as theirs:
        sdk_transform({"description": "nothing"})
    with pytest.raises(ValueError) as mine:
        transform_schema({"description": "nothing"})
    assert str(mine.value) == str(theirs.value)


@pytest.mark.parametrize("bad", ["Weather", {"type": "object"}])
def test_output_format_must_be_a_type(bedrock_emulator: Emulator, bad: Any) -> None:
    ours, sdk = _pair(bedrock_emulator)
    kwargs = {"model": MODEL, "max_tokens": 64, "messages": MESSAGES, "output_format": bad}
    with pytest.raises(TypeError) as theirs:
        sdk.messages.parse(**kwargs)
    with pytest.raises(TypeError) as mine:
        ours.messages.parse(**kwargs)
    assert str(mine.value) == str(theirs.value)


# ------------------------------------------------------------------------- end to end


@pytest.mark.parametrize("name", list(FORMATS))
def test_parse_through_the_emulator_matches_the_official_client(
    bedrock_emulator: Emulator, name: str
) -> None:
    ours, sdk = _pair(bedrock_emulator)
    kwargs = {"model": MODEL, "max_tokens": 400, "messages": MESSAGES}
    mine = ours.messages.parse(output_format=FORMATS[name], **kwargs)
    theirs = sdk.messages.parse(output_format=FORMATS[name], **kwargs)
    assert isinstance(mine, ParsedMessage) and isinstance(mine.content[0], ParsedTextBlock)
    assert mine.parsed_output == theirs.parsed_output is not None
    assert mine.content[0].parsed_output == theirs.content[0].parsed_output
    _same_message(mine, theirs)  # parsed_output is excluded from dumps in both
    assert mine.cost is not None and mine.request_id


def test_weather_is_valid_against_its_constraints(bedrock_emulator: Emulator) -> None:
    ours, _ = _pair(bedrock_emulator)
    message = ours.messages.parse(
        model=MODEL, max_tokens=400, messages=MESSAGES, output_format=Weather
    )
    weather = message.parsed_output
    assert isinstance(weather, Weather) and len(weather.city) >= 2
    assert 1 <= len(weather.conditions) <= 4
    assert all(isinstance(r.sky, Sky) and 0 <= r.hour <= 23 for r in weather.readings)


def test_parse_without_output_format_parses_nothing_like_the_official_client(
    bedrock_emulator: Emulator,
) -> None:
    ours, sdk = _pair(bedrock_emulator)
    mine = ours.messages.parse(model=MODEL, max_tokens=64, messages=MESSAGES)
    theirs = sdk.messages.parse(model=MODEL, max_tokens=64, messages=MESSAGES)
    assert mine.parsed_output is None and theirs.parsed_output is None
    _same_message(mine, theirs)


@pytest.mark.parametrize("api", ["invoke", "converse", "messages"])
def test_stream_with_output_format_matches_the_official_client(
    bedrock_emulator: Emulator, api: str
) -> None:
    """``stream(output_format=...)`` on every ``AnthropicBedrock`` surface: the final
    message is parsed; text and events as without it."""
    ours, sdk = _pair(bedrock_emulator)
    kwargs = {"model": MODEL, "max_tokens": 400, "messages": MESSAGES, "output_format": Weather}
    with sdk.messages.stream(**kwargs) as stream:
        theirs = stream.get_final_message()
    with ours.messages.stream(api=api, **kwargs) as mine_stream:  # type: ignore[arg-type]
        texts = "".join(mine_stream.text_stream)
        mine = mine_stream.get_final_message()
    assert isinstance(mine, ParsedMessage)
    assert mine.parsed_output == theirs.parsed_output is not None
    assert texts == mine.content[0].text
    assert [(b.type, b.text) for b in mine.content] == [(b.type, b.text) for b in theirs.content]
    assert mine.stop_reason == theirs.stop_reason and mine.usage.output_tokens == (
        theirs.usage.output_tokens
    )


def test_async_parse_and_stream_match_the_official_client(bedrock_emulator: Emulator) -> None:
    keys = {
        "aws_region": "us-west-2", "base_url": bedrock_emulator.url,
        "aws_access_key": bedrock_emulator.access_key,
        "aws_secret_key": bedrock_emulator.secret_key,
    }  # fmt: skip
    kwargs = {"model": MODEL, "max_tokens": 400, "messages": MESSAGES, "output_format": Movie}

    async def run() -> None:
        async with AsyncAnthropicBedrock(**keys) as ours:
            sdk = anthropic.AsyncAnthropicBedrock(**keys)
            mine = await ours.messages.parse(**kwargs)
            theirs = await sdk.messages.parse(**kwargs)
            assert mine.parsed_output == theirs.parsed_output is not None
            _same_message(mine, theirs)
            async with ours.messages.stream(**kwargs) as stream:
                streamed = await stream.get_final_message()
            assert isinstance(streamed, ParsedMessage)
            assert streamed.parsed_output == mine.parsed_output
            await sdk.close()

    asyncio.run(run())


def test_mantle_warns_and_the_emulator_answers_the_documented_400(
    bedrock_emulator: Emulator,
) -> None:
    """bedrock-mantle: AWS documents a 400 for ``output_config.format`` on one page and
    support varying by model on a newer one, so ours warns and sends; the emulator answers
    the documented 400, to both clients alike."""
    options = {"aws_region": "us-east-1", "base_url": f"{bedrock_emulator.url}/anthropic",
               "api_key": bedrock_emulator.api_key, "max_retries": 0}  # fmt: skip
    ours = claude_bedrock.AnthropicBedrockMantle(**options)
    sdk = anthropic.AnthropicBedrockMantle(**options)
    OPENED.extend((ours, sdk))
    kwargs = {"model": MANTLE_MODEL, "max_tokens": 64, "messages": MESSAGES, "output_format": Movie}
    with pytest.raises(anthropic.BadRequestError) as theirs:
        sdk.messages.parse(**kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(claude_bedrock.BadRequestError) as mine:
            ours.messages.parse(**kwargs)
    [warning] = [w for w in caught if "Structured outputs" in str(w.message)]
    assert "InvokeModel" in str(warning.message) and warning.filename == __file__
    assert mine.value.status_code == theirs.value.status_code == 400
    assert "output_config.format" in str(mine.value) and "output_config.format" in str(theirs.value)
    # effort alone is no schema: accepted there
    plain = {k: v for k, v in kwargs.items() if k != "output_format"}
    assert ours.messages.create(output_config={"effort": "low"}, **plain).content


def test_count_tokens_takes_output_format_like_the_official_mantle_client(
    server: MessagesServer,
) -> None:
    """``count_tokens(output_format=...)``: the schema is sent as ``output_config.format``
    (it is part of the input), as the official client sends it."""
    base = f"{server.url}/ok/anthropic"
    ours = claude_bedrock.AnthropicBedrockMantle(aws_region="us-east-1", base_url=base, api_key=KEY)
    sdk = anthropic.AnthropicBedrockMantle(aws_region="us-east-1", base_url=base, api_key=KEY)
    OPENED.extend((ours, sdk))
    bodies = []
    for client in (ours, sdk):
        server.clear()
        client.messages.count_tokens(
            model=MANTLE_MODEL, messages=MESSAGES, output_format=Weather,
            output_config={"effort": "low"},
        )  # fmt: skip
        [record] = server.clear()
        bodies.append(record.body)
    assert bodies[0] == bodies[1] and bodies[0]["output_config"]["effort"] == "low"
    assert bodies[0]["output_config"]["format"]["type"] == "json_schema"


def test_stream_events_carry_the_parsed_output_like_the_official_stream(
    bedrock_emulator: Emulator,
) -> None:
    """``content_block_stop`` (its text block) and ``message_stop`` (its message) carry
    ``parsed_output``, as the SDK's ``ParsedContentBlockStopEvent`` / ``ParsedMessageStopEvent``."""
    ours, sdk = _pair(bedrock_emulator)
    kwargs = {"model": MODEL, "max_tokens": 400, "messages": MESSAGES, "output_format": Point}

    def stops(client: Any) -> tuple[Any, Any]:
        with client.messages.stream(**kwargs) as stream:
            events = list(stream)
        block = next(e for e in events if e.type == "content_block_stop").content_block
        last = next(e for e in events if e.type == "message_stop")
        return block.parsed_output, getattr(last, "message", None)

    (mine_block, mine_message), (theirs_block, _) = stops(ours), stops(sdk)
    assert mine_block == theirs_block and isinstance(mine_block, Point)
    assert mine_message.parsed_output == mine_block
