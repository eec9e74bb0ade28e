"""agno through ``Claude(client=..., async_client=...)``, which uses the clients by duck
typing (``is_closed()``, ``messages.create``): an agent's chat and a tool round trip (the
agent calls our function with the model's arguments and sends the result back), sync and
async, through our clients against the emulator.

agno's streaming is not tested: it reads each event by ``isinstance`` against the official
SDK's event classes (``agno/models/anthropic/claude.py``, ``_parse_provider_response_delta``,
``isinstance(response, (ContentBlockStartEvent, ...))``), so with our events an agent's
stream runs without error and yields no content. The README says so.
"""

from __future__ import annotations

import asyncio

from agno.agent import Agent
from agno.models.anthropic import Claude

from claude_bedrock import AnthropicBedrock, AsyncAnthropicBedrock
from claude_bedrock.emulator import Emulator

from ._common import MODEL, REPLY, arguments, get_weather

WEATHER = "What is the weather in Paris? Use get_weather."


def _agent(sync: AnthropicBedrock | None, asynchronous: AsyncAnthropicBedrock | None,
           **more: object) -> Agent:  # fmt: skip
    model = Claude(id=MODEL, client=sync, async_client=asynchronous, max_tokens=256)  # type: ignore[arg-type]
    return Agent(model=model, telemetry=False, **more)  # type: ignore[arg-type]


def test_chat_and_tool_round_trip(bedrock_emulator: Emulator) -> None:
    with AnthropicBedrock(**arguments(bedrock_emulator)) as ours:
        answer = _agent(ours, None).run("Name three primary colours.")
        assert str(answer.content).startswith(REPLY)
        calls: list[str] = []

        def weather(city: str) -> str:
            """The weather in a city."""
            calls.append(city)
            return get_weather(city)

        answer = _agent(ours, None, tools=[weather]).run(WEATHER)
    assert len(calls) == 1  # the model asked, agno called, and sent the result back
    assert str(answer.content).startswith(f"{REPLY} Received 1 tool result")


def test_async_chat_and_tool_round_trip(bedrock_emulator: Emulator) -> None:
    async def main() -> None:
        async with AsyncAnthropicBedrock(**arguments(bedrock_emulator)) as ours:
            answer = await _agent(None, ours).arun("Name three primary colours.")
            assert str(answer.content).startswith(REPLY)
            answer = await _agent(None, ours, tools=[get_weather]).arun(WEATHER)
            assert str(answer.content).startswith(f"{REPLY} Received 1 tool result")

    asyncio.run(main())
