"""The tool helpers against the official SDK 2.16: ``beta_tool`` definitions, and the tool
runner's loop through the emulator (whose engine calls each tool the prompt names, one per
turn, then answers from every result), message by message, ids aside.

Both runners are reached the same way, ``client.beta.messages.tool_runner(**params)``
(ours builds ``ToolRunner(client.beta.messages, params)``); a few tests drive ours directly
on ``client.messages``. Both against the same emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import Callable, Iterator
from typing import Any, Literal

import anthropic
import pydantic
import pytest
from anthropic.lib.tools import ToolError as SdkToolError

import claude_bedrock
from claude_bedrock import AnthropicBedrock, AsyncAnthropicBedrock
from claude_bedrock.emulator import Emulator
from claude_bedrock.tools import AsyncToolRunner, ToolError, ToolRunner
from clientenv import OPENED

pytestmark = pytest.mark.usefixtures("client_env")

MODEL = "global.anthropic.claude-opus-4-5-20251101-v1:0"
PROMPT = [{"role": "user", "content": "Use get_weather for Paris, then get_time."}]


def get_weather(city: str, unit: Literal["c", "f"] = "c") -> str:
    """Get the current weather in a city.

    Reads the emulator's idea of the sky.

    Args:
        city: The city, e.g. Paris.
        unit: Degrees Celsius or Fahrenheit.
    """
    return f"Sunny in {city}, 21{unit.upper()}"


def get_time(zone: str = "UTC") -> str:
    """The current time.

    :param zone: An IANA time zone.
    """
    return f"12:00 {zone}"


class Query(pydantic.BaseModel):
    terms: list[str]
    limit: int = 5


def search(query: Query, exact: bool = False) -> list[dict[str, Any]]:
    """Search the notes."""
    return [{"type": "text", "text": f"{len(query.terms)} terms, exact={exact}"}]


def broken(city: str) -> str:
    """A tool that fails."""
    raise RuntimeError(f"no data for {city}")


def _refusing(error: type[Exception]) -> Callable[[str], str]:
    def refusing(city: str) -> str:
        """A tool that refuses with its own content (each client's ``ToolError``)."""
        raise error([{"type": "text", "text": f"{city} is not served"}])

    return refusing


def no_doc(a: int, b: float = 1.5, *, tags: list[str] | None = None) -> str:
    return f"{a}{b}{tags}"


def long_doc(path: str, depth: int = 2) -> str:
    """Walk a tree
    and list what it holds.

    The listing is sorted.

    Args:
        path (str): Where to start; a path
            relative to the root.
        depth: How deep to go.

    Returns:
        The listing.
    """
    return path * depth


async def aget_weather(city: str) -> str:
    """Get the current weather in a city (async)."""
    return f"Sunny in {city}"


def _pair(emulator: Emulator) -> tuple[AnthropicBedrock, anthropic.AnthropicBedrock]:
    keys = {"aws_access_key": emulator.access_key, "aws_secret_key": emulator.secret_key}
    ours = AnthropicBedrock(aws_region="us-west-2", base_url=emulator.url, **keys)
    sdk = anthropic.AnthropicBedrock(aws_region="us-west-2", base_url=emulator.url, **keys)
    OPENED.extend((ours, sdk))
    return ours, sdk


def _shape(message: Any) -> dict[str, Any]:
    """A reply, field by field, without the ids each call makes anew."""
    data = message.to_dict()
    data.pop("id")
    data.pop("stop_details", None)  # the SDK's stream accumulator adds it (None)
    for block in data["content"]:
        block.pop("id", None)
        if block.get("citations") is None:
            block.pop("citations", None)
    return data


def _tools(*functions: Callable[..., Any]) -> tuple[list[Any], list[Any]]:
    ours = [claude_bedrock.beta_tool(f) for f in functions]
    theirs = [anthropic.beta_tool(f) for f in functions]
    return ours, theirs


# ------------------------------------------------------------------------- definitions


@pytest.mark.parametrize("function", [get_weather, get_time, search, broken, no_doc, long_doc])
def test_tool_definitions_match_the_official_decorator(function: Callable[..., Any]) -> None:
    [mine], [theirs] = _tools(function)
    assert mine.to_dict() == theirs.to_dict()
    assert mine.name == theirs.name and mine.description == theirs.description


def test_decorator_options_match_the_official_decorator() -> None:
    options = {"name": "weather_now", "description": "Weather.", "strict": True,
               "cache_control": {"type": "ephemeral"},
               "input_examples": [{"city": "Oslo"}]}  # fmt: skip
    mine = claude_bedrock.beta_tool(**options)(get_weather)
    theirs = anthropic.beta_tool(**options)(get_weather)
    assert mine.to_dict() == theirs.to_dict()
    assert mine("Oslo") == get_weather("Oslo")  # still the function


def test_calling_validates_the_input_like_the_official_tool() -> None:
    [mine], [theirs] = _tools(get_weather)
    assert mine.call({"city": "Rome"}) == theirs.call({"city": "Rome"})
    for bad in ({"city": 3, "unit": "k"}, {}):
        with pytest.raises(ValueError) as caught_theirs:
            theirs.call(bad)
        with pytest.raises(ValueError) as caught_mine:
            mine.call(bad)
        assert str(caught_mine.value) == str(caught_theirs.value)
    with pytest.raises(TypeError):
        mine.call(["Rome"])


def test_async_tool_definitions_match() -> None:
    mine = claude_bedrock.beta_async_tool(aget_weather)
    theirs = anthropic.beta_async_tool(aget_weather)
    assert mine.to_dict() == theirs.to_dict()
    assert asyncio.run(mine.call({"city": "Oslo"})) == "Sunny in Oslo"


# ------------------------------------------------------------------------- the loop


def _both(
    emulator: Emulator, functions: tuple[Callable[..., Any], ...], **params: Any
) -> tuple[list[Any], list[Any]]:
    ours_client, sdk = _pair(emulator)
    ours_tools, sdk_tools = _tools(*functions)
    base = {"model": MODEL, "max_tokens": 400, "messages": PROMPT, **params}
    theirs = list(sdk.beta.messages.tool_runner(tools=sdk_tools, **base))
    mine = list(ours_client.beta.messages.tool_runner(tools=ours_tools, **base))
    return mine, theirs


def test_a_two_round_loop_matches_the_official_runner(bedrock_emulator: Emulator) -> None:
    mine, theirs = _both(bedrock_emulator, (get_time, get_weather))
    assert [m.stop_reason for m in mine] == ["tool_use", "tool_use", "end_turn"]
    assert [_shape(m) for m in mine] == [_shape(m) for m in theirs]
    final = mine[-1].content[0].text
    assert "Received 2 tool result(s)" in final and "12:00 example zone" in final


def test_tool_errors_go_back_as_is_error_results_like_the_official_runner(
    bedrock_emulator: Emulator,
) -> None:
    """A raising tool: its ``repr``; a ``ToolError``: its own content; an unknown tool
    (a raw definition): the SDK's error text, with the same warning."""
    prompt = [{"role": "user", "content": "Try broken, refusing and get_news for Oslo."}]
    news = {"name": "get_news", "input_schema": {"type": "object", "properties": {}}}
    ours_client, sdk = _pair(bedrock_emulator)
    ours_tools = [claude_bedrock.beta_tool(broken), claude_bedrock.beta_tool(_refusing(ToolError))]
    sdk_tools = [anthropic.beta_tool(broken), anthropic.beta_tool(_refusing(SdkToolError))]
    base = {"model": MODEL, "max_tokens": 600, "messages": prompt}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        theirs = list(sdk.beta.messages.tool_runner(tools=[*sdk_tools, news], **base))
        mine = list(ToolRunner(ours_client.messages, {"tools": [*ours_tools, news], **base}))
    assert [_shape(m) for m in mine] == [_shape(m) for m in theirs]
    final = mine[-1].content[0].text
    assert "RuntimeError" in final and "is not served" in final and "not found" in final
    texts = [str(w.message) for w in caught if "not found in tool runner" in str(w.message)]
    assert len(texts) == 2 and texts[0] == texts[1]


def test_max_iterations_until_done_and_the_tool_call_response(bedrock_emulator: Emulator) -> None:
    ours_client, sdk = _pair(bedrock_emulator)
    ours_tools, sdk_tools = _tools(get_time, get_weather)
    base = {"model": MODEL, "max_tokens": 400, "messages": PROMPT, "max_iterations": 1}
    runner = ToolRunner(ours_client.messages, {"tools": ours_tools, **base})
    official = sdk.beta.messages.tool_runner(tools=sdk_tools, **base)
    mine, theirs = runner.until_done(), official.until_done()
    assert _shape(mine) == _shape(theirs) and mine.stop_reason == "tool_use"
    assert runner.max_iterations == 1
    response = runner.generate_tool_call_response()
    assert response is runner.generate_tool_call_response()  # run once, then cached
    expected = official.generate_tool_call_response()
    assert response is not None and expected is not None
    assert [{k: v for k, v in r.items() if k != "tool_use_id"} for r in response["content"]] == [
        {k: v for k, v in r.items() if k != "tool_use_id"} for r in expected["content"]
    ]
    assert list(runner) == []  # the limit is reached: nothing more is sent


def test_append_messages_in_the_loop_body_takes_over_the_history(
    bedrock_emulator: Emulator,
) -> None:
    """The caller answers the tool call itself: the runner then adds neither the reply
    nor tool results of its own, as the SDK's runner."""
    ours_client, _ = _pair(bedrock_emulator)
    [tool] = [claude_bedrock.beta_tool(get_time)]
    prompt = [{"role": "user", "content": "What does get_time say?"}]
    runner = ToolRunner(ours_client.messages, {"model": MODEL, "max_tokens": 400,
                                                "messages": prompt, "tools": [tool]})  # fmt: skip
    replies = []
    for message in runner:
        replies.append(message)
        if message.stop_reason == "tool_use":
            [use] = [b for b in message.content if b.type == "tool_use"]
            runner.append_messages(message, {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": use.id, "content": "teatime"}]})  # fmt: skip
    assert [m.stop_reason for m in replies] == ["tool_use", "end_turn"]
    assert "teatime" in replies[-1].content[0].text


def test_the_streaming_runner_matches_the_official_one(bedrock_emulator: Emulator) -> None:
    ours_client, sdk = _pair(bedrock_emulator)
    ours_tools, sdk_tools = _tools(get_time, get_weather)
    base = {"model": MODEL, "max_tokens": 400, "messages": PROMPT, "stream": True}
    theirs = [s.get_final_message() for s in sdk.beta.messages.tool_runner(tools=sdk_tools, **base)]
    mine, texts = [], []
    for stream in ToolRunner(ours_client.messages, {"tools": ours_tools, **base}):
        texts.append("".join(stream.text_stream))
        mine.append(stream.get_final_message())
    assert [_shape(m) for m in mine] == [_shape(m) for m in theirs]
    assert texts[-1] == mine[-1].content[0].text and texts[0] == ""


def test_the_async_runner_matches_the_official_one(bedrock_emulator: Emulator) -> None:
    keys = {"aws_region": "us-west-2", "base_url": bedrock_emulator.url,
            "aws_access_key": bedrock_emulator.access_key,
            "aws_secret_key": bedrock_emulator.secret_key}  # fmt: skip
    base = {"model": MODEL, "max_tokens": 400, "messages": PROMPT}

    async def run() -> tuple[list[Any], list[Any]]:
        weather_sdk = anthropic.beta_async_tool(aget_weather, name="get_weather")
        time_sdk = anthropic.beta_async_tool(_async(get_time))
        sdk = anthropic.AsyncAnthropicBedrock(**keys)
        theirs = [m async for m in sdk.beta.messages.tool_runner(
            tools=[time_sdk, weather_sdk], **base)]  # fmt: skip
        await sdk.close()
        tools = [claude_bedrock.beta_async_tool(_async(get_time)),
                 claude_bedrock.beta_async_tool(aget_weather, name="get_weather")]  # fmt: skip
        async with AsyncAnthropicBedrock(**keys) as ours:
            runner = ours.beta.messages.tool_runner(tools=tools, **base)
            assert isinstance(runner, AsyncToolRunner)
            mine = [m async for m in runner]
            assert await runner.until_done() is mine[-1]
        return mine, theirs

    mine, theirs = asyncio.run(run())
    assert len(mine) == 3 and [_shape(m) for m in mine] == [_shape(m) for m in theirs]


def _async(function: Callable[..., str]) -> Callable[..., Any]:
    async def wrapper(zone: str = "UTC") -> str:
        return function(zone)

    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    return wrapper


class Answer(pydantic.BaseModel):
    summary: str
    sources: list[str]


def test_output_format_parses_the_final_reply_like_the_official_runner(
    bedrock_emulator: Emulator,
) -> None:
    mine, theirs = _both(bedrock_emulator, (get_time,), output_format=Answer)
    assert [m.stop_reason for m in mine] == ["tool_use", "end_turn"]
    assert isinstance(mine[-1].parsed_output, Answer)
    assert mine[-1].parsed_output == theirs[-1].parsed_output
    assert [_shape(m) for m in mine] == [_shape(m) for m in theirs]


def test_set_messages_params_and_close(bedrock_emulator: Emulator) -> None:
    ours_client, _ = _pair(bedrock_emulator)
    [tool] = [claude_bedrock.beta_tool(get_time)]
    runner = ToolRunner(
        ours_client.messages,
        {"model": MODEL, "max_tokens": 400, "messages": PROMPT, "tools": [tool],
         "betas": ["token-efficient-tools-2025-02-19"]},
    )  # fmt: skip
    first = next(runner)
    assert first.stop_reason == "tool_use"
    runner.set_messages_params(lambda p: {**p, "max_tokens": 300})
    assert runner._loop.params["betas"] == ["token-efficient-tools-2025-02-19"]  # kept
    second = next(runner)
    assert second.stop_reason == "end_turn"
    runner.close()
    assert list(runner) == []
    with pytest.raises(ValueError, match="mutually exclusive"):
        ToolRunner(ours_client.messages, {"model": MODEL, "run_tools_eagerly": True})


def test_a_tool_of_the_wrong_flavour_is_refused_like_the_official_runner(
    bedrock_emulator: Emulator,
) -> None:
    ours_client, sdk = _pair(bedrock_emulator)
    base = {"model": MODEL, "max_tokens": 64, "messages": PROMPT}
    with pytest.raises(TypeError) as theirs:
        sdk.beta.messages.tool_runner(tools=[anthropic.beta_async_tool(aget_weather)], **base)
    with pytest.raises(TypeError) as mine:
        ToolRunner(
            ours_client.messages, {"tools": [claude_bedrock.beta_async_tool(aget_weather)], **base}
        )
    assert str(mine.value) == str(theirs.value)
    with pytest.raises(TypeError, match="synchronous tool or toolset"):
        AsyncToolRunner(
            ours_client.messages, {"tools": [claude_bedrock.beta_tool(get_time)], **base}
        )


def test_a_context_manager_tool_is_entered_like_the_official_decorator() -> None:
    """``@beta_tool`` on a ``@contextmanager`` that yields the tool function: entered at
    decoration, the yielded function is the tool (same definition as the SDK's)."""
    entered: list[str] = []

    @contextlib.contextmanager
    def connection() -> Iterator[Callable[..., str]]:
        entered.append("in")

        def lookup(key: str) -> str:
            """Look a key up."""
            return key.upper()

        yield lookup

    mine = claude_bedrock.beta_tool(connection)
    theirs = anthropic.beta_tool(connection)
    assert entered == ["in", "in"] and mine.to_dict() == theirs.to_dict()
    assert mine.call({"key": "a"}) == "A" and mine._context_manager is not None


def test_the_async_streaming_runner_runs_the_same_loop(bedrock_emulator: Emulator) -> None:
    keys = {"aws_region": "us-west-2", "base_url": bedrock_emulator.url,
            "aws_access_key": bedrock_emulator.access_key,
            "aws_secret_key": bedrock_emulator.secret_key}  # fmt: skip
    base = {"model": MODEL, "max_tokens": 400, "messages": PROMPT, "stream": True}

    async def run() -> list[Any]:
        tools = [claude_bedrock.beta_async_tool(_async(get_time)),
                 claude_bedrock.beta_async_tool(aget_weather, name="get_weather")]  # fmt: skip
        async with AsyncAnthropicBedrock(**keys) as ours:
            finals = []
            async for stream in AsyncToolRunner(ours.messages, {"tools": tools, **base}):
                finals.append(await stream.get_final_message())
            return finals

    finals = asyncio.run(run())
    assert [m.stop_reason for m in finals] == ["tool_use", "tool_use", "end_turn"]
    assert "Received 2 tool result(s)" in finals[-1].content[0].text
