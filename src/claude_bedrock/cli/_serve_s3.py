"""The S3 options of ``claude-bedrock serve``: the embedded SeaweedFS or a given S3.

``--embedded-s3`` is on by default when the ``emulator`` extra is installed (its ``weed``
binary is found); ``--s3-endpoint URL`` uses an existing S3 instead; ``--s3-data DIR``
keeps the embedded S3's data (default: a temporary directory removed on stop);
``--s3-port`` fixes its port (default: the emulator's port + 1, so that ``serve --env``,
which starts nothing, can name it). ``CLAUDE_BEDROCK_EMULATOR_S3_ENDPOINT_URL`` in the
environment counts as ``--s3-endpoint`` (the way to give the emulator an S3 before this
option existed); ``AWS_ENDPOINT_URL_S3`` does not, since ``serve --env`` sets it to the
embedded S3 in the user's shell. See :mod:`claude_bedrock.emulator.s3_link`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from ..emulator.auth import CredentialStore
    from ..emulator.s3_link import S3Link

__all__ = ["S3Choice", "S3Data", "S3Endpoint", "S3Port", "EmbeddedS3", "resolve_s3"]

S3Endpoint = Annotated[
    str | None,
    typer.Option(
        "--s3-endpoint",
        help="Use this S3 (http://HOST:PORT) for invocation logs and batch jobs instead of "
        "starting one.",
    ),
]
S3Data = Annotated[
    Path | None,
    typer.Option(
        "--s3-data",
        file_okay=False,
        help="Keep the embedded S3's data in this directory (default: a temporary one).",
    ),
]
S3Port = Annotated[
    int | None,
    typer.Option("--s3-port", min=0, help="Port of the embedded S3 (default: --port + 1)."),
]
EmbeddedS3 = Annotated[
    bool | None,
    typer.Option(
        "--embedded-s3/--no-embedded-s3",
        help="Start the emulator's own S3 (SeaweedFS) on loopback; default: on when "
        "installed (pip install 'claude-bedrock[emulator]').",
        show_default=False,
    ),
]


@dataclass(frozen=True)
class S3Choice:
    """What ``serve`` does for S3: the endpoint to export (None: none, or an embedded S3 on
    a port chosen at start), and whether to start it."""

    endpoint_url: str | None
    embedded: bool
    port: int
    data: Path | None

    def link(self, store: CredentialStore) -> S3Link | None:
        """The emulator's S3 link (not started), or None without S3."""
        from ..emulator.s3_link import S3Link

        if not self.embedded:
            return S3Link(endpoint_url=self.endpoint_url) if self.endpoint_url else None
        keys = [(k.access_key_id, k.secret_access_key) for k in store.access_keys]
        if not keys:  # API keys only: nothing to sign S3 requests with
            return None
        return S3Link(data_dir=self.data, port=self.port, keys=keys)


def resolve_s3(
    endpoint: str | None, data: Path | None, s3_port: int | None, embedded: bool | None, port: int
) -> S3Choice:
    """Check the options together; exit 2 with the fix when they cannot work."""
    from ..emulator.invocation_logging import ENV_ENDPOINT
    from ..emulator.s3_store import INSTALL_HINT, weed_available

    if endpoint is None and embedded is None and os.environ.get(ENV_ENDPOINT):
        endpoint = os.environ[ENV_ENDPOINT]  # the emulator's S3 set the older way: kept
    if endpoint is not None:
        if embedded or data is not None:
            _usage("--s3-endpoint uses an existing S3: drop --embedded-s3 and --s3-data")
        if not endpoint.startswith(("http://", "https://")):
            _usage(f"--s3-endpoint takes an http(s) URL, not {endpoint!r}")
        return S3Choice(endpoint, embedded=False, port=0, data=None)
    if embedded is False:
        return S3Choice(None, embedded=False, port=0, data=None)
    if not weed_available():
        if embedded or data is not None:
            _usage(f"the embedded S3 is not installed: `{INSTALL_HINT}`, or pass --s3-endpoint")
        return S3Choice(None, embedded=False, port=0, data=None)
    chosen = s3_port if s3_port is not None else (port + 1 if port else 0)
    url = f"http://127.0.0.1:{chosen}" if chosen else None  # port 0: known once started
    return S3Choice(url, embedded=True, port=chosen, data=data)


def _usage(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
