"""A clean environment for tests that build clients (ours and the official SDK's).

What the AWS tools and both SDKs read from the environment would change what a client sends
(a Region, keys, a profile, an endpoint, extra headers): it is cleared once for the whole
session (:func:`clean_session_env`), again for each test that asks for :func:`client_env`,
and the AWS config and credentials files point at an empty temporary directory; each test
has cache and state directories of its own (:func:`own_dirs`). Clients a test
appends to :data:`OPENED` are closed after it, and dropped ones are collected, so their
sockets are released now (the load test counts open sockets).
"""

from __future__ import annotations

import atexit
import gc
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["CLIENT_ENV", "MACHINE_ENV", "OPENED", "clean_session_env", "client_env", "own_dirs"]

CLIENT_ENV = (
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK",
    "ANTHROPIC_AWS_API_KEY", "ANTHROPIC_BEDROCK_BASE_URL", "ANTHROPIC_BEDROCK_MANTLE_BASE_URL",
    "ANTHROPIC_CUSTOM_HEADERS", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
    "AWS_ENDPOINT_URL_BEDROCK",
)  # fmt: skip
#: What else of the machine's environment changes what a client, the CLI, boto3 or the
#: emulator does: cleared for the whole session by :func:`clean_session_env`.
MACHINE_ENV = CLIENT_ENV + (
    "AWS_SECURITY_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
    "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_S3", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_STS_REGIONAL_ENDPOINTS", "AWS_DEFAULT_OUTPUT", "AWS_PAGER",
    "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_LOG", "ANTHROPIC_VERSIONS",
    "ANTHROPIC_ERROR_STATUS", "ANTHROPIC_OPEN_TELEMETRY", "ANTHROPIC_OPEN_TELEMETRY_PROPAGATION",
    "ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE",
    "ANTHROPIC_OPEN_TELEMETRY_TRACES_MAX_CONTENT_BYTES",
    "CLAUDE_BEDROCK_MODEL", "CLAUDE_BEDROCK_OUTPUT", "CLAUDE_BEDROCK_LOG",
    "CLAUDE_BEDROCK_UPSTREAM", "CLAUDE_BEDROCK_RECORD", "CLAUDE_BEDROCK_CATALOG",
    "CLAUDE_BEDROCK_CACHE_DIR", "CLAUDE_BEDROCK_EMULATOR_STATE_DIR",
    # Replaced: by a session directory here, by each test's own in :func:`own_dirs`.
    "XDG_CACHE_HOME", "XDG_STATE_HOME",
)  # fmt: skip


def clean_session_env() -> None:
    """Run the session in a machine with no AWS or client set-up of its own.

    Called once as ``tests/conftest.py`` is imported, before any fixture: a session or
    module fixture (a boto3 client, an emulator, a subprocess) is built before a test's
    :func:`client_env` could clear anything. A developer's ``AWS_BEARER_TOKEN_BEDROCK``
    made boto3 sign with it (refused over plain HTTP) and our client refuse keys and a
    token together; ``~/.aws`` could give a Region or keys; an EC2 runner's instance
    role would answer where a test expects no credentials. The AWS files, cache and state
    directories point into a fresh directory removed at exit, so no test reads the user's.
    """
    for name in MACHINE_ENV:
        os.environ.pop(name, None)
    home = Path(tempfile.mkdtemp(prefix="claude-bedrock-tests-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    os.environ["AWS_CONFIG_FILE"] = str(home / "aws-config")
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(home / "aws-credentials")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ["XDG_CACHE_HOME"] = str(home / "cache")  # for session fixtures; each test
    os.environ["XDG_STATE_HOME"] = str(home / "state")  # gets its own (own_dirs)


@pytest.fixture(autouse=True)
def own_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's cache and state directories (``XDG_CACHE_HOME``, ``XDG_STATE_HOME``) are
    its own, for its clients and the CLI and ``serve`` processes it starts.

    Left to the defaults, the suite wrote the user's ``~/.cache/claude-bedrock/models`` (a
    live catalogue a later run, or another session on the machine, would read) and
    ``~/.local/state/claude-bedrock/emulator/log-spool`` (which a ``serve`` of another
    session delivers at its start). One directory for the whole session was shared by its
    tests instead (proved: with XDG_CACHE_HOME set, test_models_cmd.py's exit-code test
    read the catalogue an earlier test had cached and exited 0 instead of 3). A fresh
    directory beside ``tmp_path``, not inside it: tests list what they wrote there.
    """
    base = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "state"))


#: Clients to close after the current test.
OPENED: list[Any] = []


@pytest.fixture
def client_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in CLIENT_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    yield
    while OPENED:
        OPENED.pop().close()
    gc.collect()
