"""Fixtures shared by the whole test suite. Keep this file a list of registrations:
the logic lives in helper modules beside it (``s3server.py`` for the S3 server,
``clientenv.py`` for a clean environment for clients)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from claude_bedrock.emulator import Emulator
from clientenv import (
    clean_session_env,
    client_env,  # noqa: F401  (registered here, used by name)
    own_dirs,  # noqa: F401  (registered here, autouse)
)
from s3server import S3Server, iter_server

# No AWS or client set-up of the machine's reaches a test (see clientenv.py).
clean_session_env()

# The tools the dev dependencies install beside the interpreter (the `aws` CLI) are found
# however pytest was started, so the AWS CLI tests run wherever `make test` runs.
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])

# Every log record, report and captured output of the session is scanned for test secrets.
pytest_plugins = ["_secret_scan"]


@pytest.fixture(scope="session")
def bedrock_emulator() -> Iterator[Emulator]:
    """The package's fixture, with fault injection allowed (header-driven only: no random
    faults), so tests can ask for a stream fault; users' emulators have it off."""
    with Emulator(faults=True) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A real S3 server (SeaweedFS) on loopback, started once per session; see s3server.py."""
    yield from iter_server()


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> Iterator[str]:
    """A fresh, empty bucket on ``s3_server`` for one test; deleted with its contents after."""
    name = s3_server.create_bucket()
    yield name
    s3_server.delete_bucket(name)
