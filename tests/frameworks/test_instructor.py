"""instructor through its ``patch(create=..., mode=...)`` route, which takes any
``messages.create`` and uses the client by duck typing: a structured answer (a forced tool
call that instructor validates), a plain chat, and a stream of partial objects, sync and
async, through our clients against the emulator.

``instructor.from_anthropic(client)`` is the other route: it checks the client's class
(``isinstance`` against the official SDK's, ``instructor/v2/providers/anthropic/client.py``
line 130), so it refuses ours; the last test pins that for the README.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import instructor
import pytest
from instructor.core.exceptions import ClientError
from pydantic import BaseModel

from claude_bedrock import AnthropicBedrock, AsyncAnthropicBedrock
from claude_bedrock.emulator import Emulator
from claude_bedrock.types import Message

from ._common import MODEL, REPLY, arguments

ASK = [{"role": "user", "content": "Which city is the capital of France, and where is it?"}]


class City(BaseModel):
    name: str
    country: str


@pytest.fixture
def client(bedrock_emulator: Emulator) -> Iterator[AnthropicBedrock]:
    with AnthropicBedrock(**arguments(bedrock_emulator)) as ours:
        yield ours


def _patched(create: object) -> object:
    return instructor.patch(
        create=create, mode=instructor.Mode.TOOLS, provider=instructor.Provider.ANTHROPIC
    )


def test_structured_answer_through_a_tool_call(client: AnthropicBedrock) -> None:
    create = _patched(client.messages.create)
    city = create(model=MODEL, max_tokens=256, messages=ASK, response_model=City)  # type: ignore[operator]
    assert isinstance(city, City) and city.name and city.country
    raw = city._raw_response  # instructor keeps the message it validated
    assert isinstance(raw, Message) and raw.stop_reason == "tool_use"


def test_plain_chat(client: AnthropicBedrock) -> None:
    create = _patched(client.messages.create)
    message = create(model=MODEL, max_tokens=64, messages=ASK, response_model=None)  # type: ignore[operator]
    assert isinstance(message, Message) and message.content[0].text.startswith(REPLY)  # type: ignore[union-attr]


def test_stream_of_partial_objects(client: AnthropicBedrock) -> None:
    create = _patched(client.messages.create)
    partials = list(
        create(
            model=MODEL,
            max_tokens=256,
            messages=ASK,
            stream=True,  # type: ignore[operator]
            response_model=instructor.Partial[City],
        )  # fmt: skip
    )
    assert len(partials) > 1
    assert partials[0].country is None  # the object grows as the tool input streams in
    final = partials[-1]
    assert final.name and final.country


def test_async_structured_answer_and_stream(bedrock_emulator: Emulator) -> None:
    async def main() -> None:
        async with AsyncAnthropicBedrock(**arguments(bedrock_emulator)) as ours:
            create = _patched(ours.messages.create)
            city = await create(model=MODEL, max_tokens=256, messages=ASK, response_model=City)  # type: ignore[operator]
            assert isinstance(city, City) and city.country
            stream = create(model=MODEL, max_tokens=256, messages=ASK, stream=True,  # type: ignore[operator]
                            response_model=instructor.Partial[City])  # fmt: skip
            partials = [p async for p in await stream]
            assert len(partials) > 1 and partials[-1].country

    asyncio.run(main())


def test_from_anthropic_checks_the_official_class(client: AnthropicBedrock) -> None:
    with pytest.raises(ClientError, match="Client must be an instance of one of"):
        instructor.from_anthropic(client)  # type: ignore[arg-type]
