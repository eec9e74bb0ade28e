"""pytest fixtures that start the local Bedrock emulator (registered as a ``pytest11`` plugin).

Imports stay inside the fixtures: pytest loads this module for every run of every project
that has claude-bedrock installed, so it must cost nothing until a fixture is used.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
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
    _point_env_at(bedrock_emulator, monkeypatch)
    return bedrock_emulator


def _point_env_at(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", emulator.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", emulator.secret_key)
    monkeypatch.setenv("AWS_REGION", emulator.region)
    monkeypatch.setenv("AWS_DEFAULT_REGION", emulator.region)
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.url)
    monkeypatch.setenv("ANTHROPIC_BEDROCK_BASE_URL", emulator.url)


# -- record and replay -------------------------------------------------------------------------

#: Environment switches equivalent to the command-line options (for IDE runs and CI).
RECORD_ENV = "CLAUDE_BEDROCK_RECORD"
UPSTREAM_ENV = "CLAUDE_BEDROCK_UPSTREAM"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("claude-bedrock", "claude-bedrock emulator")
    group.addoption(
        "--bedrock-record",
        action="store_true",
        default=False,
        help=f"bedrock_cassette: record the cassettes that are missing (or {RECORD_ENV}=1).",
    )
    group.addoption(
        "--bedrock-upstream",
        default=None,
        help=f"Where recording sends requests: 'aws' (default) or a base URL ({UPSTREAM_ENV}).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "bedrock_cassette(path): the cassette file of this test (bedrock_cassette)"
    )


def _cassette_path(request: pytest.FixtureRequest) -> Path:
    marker = request.node.get_closest_marker("bedrock_cassette")
    base = request.path.parent
    if marker is not None and marker.args:
        return base / str(marker.args[0])
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    return base / "cassettes" / request.path.stem / f"{name}.jsonl"


@pytest.fixture
def bedrock_cassette(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Emulator]:
    """An emulator answering from this test's cassette, or recording it.

    The cassette is ``cassettes/<module>/<test>.jsonl`` next to the test file (or the path
    of ``@pytest.mark.bedrock_cassette("path")``, relative to it). When it is missing and
    ``--bedrock-record`` (or ``CLAUDE_BEDROCK_RECORD=1``) is given, the emulator proxies to
    Bedrock (``--bedrock-upstream``, default ``aws``) with your own AWS credentials and
    writes the cassette; otherwise it replays it, offline. A missing cassette without the
    switch fails the test, saying how to record it. The standard variables point boto3,
    the official SDK (``AnthropicBedrockMantle`` too) and claude-bedrock at the emulator
    for the test, as ``bedrock_env`` does. Delete a cassette to record it again.
    """
    from claude_bedrock.emulator import Emulator

    path = _cassette_path(request)
    record = request.config.getoption("--bedrock-record") or os.environ.get(RECORD_ENV, "") in (
        "1", "true", "yes",
    )  # fmt: skip
    if path.is_file():
        from claude_bedrock.emulator.replay import replayer

        extension = replayer(path)
    elif record:
        from claude_bedrock.emulator.proxy import recorder

        upstream = request.config.getoption("--bedrock-upstream") or os.environ.get(
            UPSTREAM_ENV, "aws"
        )
        extension = recorder(path, upstream)  # reads your credentials now, before the env moves
    else:
        pytest.fail(
            f"no cassette at {path}: record it once with --bedrock-record "
            f"(or {RECORD_ENV}=1), which calls Bedrock with your AWS credentials",
            pytrace=False,
        )
    with Emulator(extensions=[extension]) as emulator:
        _point_env_at(emulator, monkeypatch)
        monkeypatch.setenv("ANTHROPIC_BEDROCK_MANTLE_BASE_URL", emulator.url + "/anthropic")
        yield emulator
