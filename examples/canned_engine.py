"""A canned-answer engine for the emulator: fixed answers for known prompts, for your tests.

Prompts it knows get their fixed answer; any other request goes to the default
deterministic engine, so tools, thinking and structured outputs keep working. The answer
is made a complete Bedrock message by ``build_message`` (``max_tokens`` and stop sequences
applied, usage counted by the emulator's tokenizer) and streamed by ``message_to_events``,
so it comes back the same on InvokeModel (and its stream), Converse, ConverseStream and
the Messages API.

Serve it to any client (boto3, the AWS CLI, the Anthropic SDK)::

    claude-bedrock serve --engine examples/canned_engine.py:CannedEngine

or use it in-process (``Emulator(engine=CannedEngine({...}))``). Run this file to see one
answer through this package's client.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from claude_bedrock.emulator import (
    DeterministicEngine,
    build_message,
    last_user_text,
    message_to_events,
)

ANSWERS = {
    "What is the capital of France?": "Paris.",
    "Say hello": "Hello! (a canned answer)",
}


class CannedEngine:
    """Answers a known prompt (the last user message's text, exactly) with its fixed text."""

    name = "canned"

    def __init__(self, answers: Mapping[str, str] | None = None) -> None:
        self.answers = dict(ANSWERS if answers is None else answers)
        self.fallback = DeterministicEngine()

    def respond(self, request: Mapping[str, Any], model: str) -> dict[str, Any]:
        answer = self.answers.get(last_user_text(request).strip())
        if answer is None:
            return self.fallback.respond(request, model)
        return build_message(request, model, [{"type": "text", "text": answer}])

    def stream_events(self, request: Mapping[str, Any], model: str) -> list[dict[str, Any]]:
        return message_to_events(self.respond(request, model))


def main() -> None:
    from claude_bedrock import AnthropicBedrock
    from claude_bedrock.emulator import Emulator

    with Emulator(engine=CannedEngine()) as emulator:
        client = AnthropicBedrock(
            aws_region=emulator.region,
            aws_access_key=emulator.access_key,
            aws_secret_key=emulator.secret_key,
            base_url=emulator.url,
        )
        for prompt in ("What is the capital of France?", "Something else"):
            message = client.messages.create(
                model="global.anthropic.claude-opus-4-6-v1",
                max_tokens=256,
                messages=[{"role": "user", "content": prompt}],
            )
            print(f"{prompt!r} -> {message.content[0].text!r}")  # type: ignore[union-attr]


if __name__ == "__main__":
    main()
