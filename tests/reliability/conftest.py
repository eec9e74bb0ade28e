"""Fixtures of the reliability tests: one emulator with fault injection enabled."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from claude_bedrock.emulator import Emulator


@pytest.fixture(scope="session")
def faulty() -> Iterator[Emulator]:
    """An in-process emulator that honours ``x-emulator-fault`` (no random faults)."""
    with Emulator(faults=True) as emulator:
        yield emulator
