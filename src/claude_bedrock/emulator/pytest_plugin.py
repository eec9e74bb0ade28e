"""pytest fixtures that start the local Bedrock emulator (registered as a ``pytest11`` plugin).

Imports stay inside the fixtures: pytest loads this module for every run of every project
that has claude-bedrock installed, so it must cost nothing until a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from claude_bedrock.emulator import Emulator


@pytest.fixture(scope="session")
def bedrock_emulator() -> Iterator[Emulator]:
    """One in-process emulator shared by the whole test session."""
    from claude_bedrock.emulator import Emulator

    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def bedrock_env(bedrock_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """Point the standard AWS environment variables at the session emulator for one test."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", bedrock_emulator.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", bedrock_emulator.secret_key)
    monkeypatch.setenv("AWS_REGION", bedrock_emulator.region)
    monkeypatch.setenv("AWS_DEFAULT_REGION", bedrock_emulator.region)
    monkeypatch.setenv("AWS_ENDPOINT_URL", bedrock_emulator.url)
    monkeypatch.setenv("ANTHROPIC_BEDROCK_BASE_URL", bedrock_emulator.url)
    return bedrock_emulator
