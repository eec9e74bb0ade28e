"""outlines through ``outlines.from_anthropic(client, model)``, which uses the client by
duck typing (``client.messages.create``, with ``stream=True`` for a stream): a chat and a
stream through our client against the emulator. outlines offers no tool calls for
Anthropic models, and refuses a typed output for them itself (``NotImplementedError``
from ``outlines/models/anthropic.py``, whatever the client), so neither is tested here.
"""

from __future__ import annotations

from collections.abc import Iterator

import outlines
import pytest

from claude_bedrock import AnthropicBedrock
from claude_bedrock.emulator import Emulator

from ._common import MODEL, REPLY, arguments


@pytest.fixture
def model(bedrock_emulator: Emulator) -> Iterator[object]:
    with AnthropicBedrock(**arguments(bedrock_emulator)) as ours:
        yield outlines.from_anthropic(ours, MODEL)  # type: ignore[arg-type]


def test_chat(model: object) -> None:
    text = model("Name three primary colours.", max_tokens=64)  # type: ignore[operator]
    assert isinstance(text, str) and text.startswith(REPLY)


def test_stream(model: object) -> None:
    chunks = list(model.stream("Name three primary colours.", max_tokens=64))  # type: ignore[attr-defined]
    assert len(chunks) > 1 and all(isinstance(chunk, str) for chunk in chunks)
    assert "".join(chunks) == model("Name three primary colours.", max_tokens=64)  # type: ignore[operator]
