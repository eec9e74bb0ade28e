"""What the framework tests share: our clients on the emulator, the model, a tool."""

from __future__ import annotations

from typing import Any

from claude_bedrock.emulator import Emulator

MODEL = "global.anthropic.claude-opus-4-6-v1"
#: The emulator answers every prompt with a deterministic text that starts with this.
REPLY = "[emulator]"


def arguments(emulator: Emulator) -> dict[str, Any]:
    """Our clients' arguments: the emulator's keys and URL, no retries (a failure shows)."""
    return {
        "aws_access_key": emulator.access_key, "aws_secret_key": emulator.secret_key,
        "aws_region": "us-west-2", "base_url": emulator.url, "max_retries": 0,
    }  # fmt: skip


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}"
