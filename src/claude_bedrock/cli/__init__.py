"""The ``claude-bedrock`` command line.

Only typer is imported at module load; each command imports what it needs when it runs,
so ``claude-bedrock --help`` stays quick.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .._version import __version__

__all__ = ["app", "main"]

app = typer.Typer(
    name="claude-bedrock",
    help="Claude on Amazon Bedrock: client tools and a local Bedrock emulator.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DEFAULT_PORT = 8765


def _version(value: bool) -> None:
    if value:
        typer.echo(f"claude-bedrock {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Claude on Amazon Bedrock: client tools and a local Bedrock emulator."""


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (keep it on loopback).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on; 0 picks a free one.")] = (
        DEFAULT_PORT
    ),
    credentials_file: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="INI file of accepted credentials (format of ~/.aws/credentials).",
        ),
    ] = None,
    pace: Annotated[
        float | None,
        typer.Option(min=0.001, help="Stream at most this many tokens per second."),
    ] = None,
    region: Annotated[str, typer.Option(help="Region assumed when a request names none.")] = (
        "us-east-1"
    ),
    extension: Annotated[
        list[str] | None,
        typer.Option(help="Extra route module as 'module:function' (repeatable)."),
    ] = None,
    log_level: Annotated[
        str, typer.Option(help="Logging level (info logs one line per request).")
    ] = "warning",
) -> None:
    """Run the local Bedrock emulator until interrupted (SIGINT/SIGTERM stop it gracefully).

    The first line printed is "claude-bedrock emulator listening on http://HOST:PORT".
    """
    import logging

    from ..emulator import EmulatorConfig
    from ..emulator.auth import CredentialStore
    from ..emulator.runner import serve_forever

    logging.basicConfig(
        level=log_level.upper(), stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    try:
        store = (
            CredentialStore.from_file(credentials_file)
            if credentials_file
            else CredentialStore.default()
        )
    except (OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    config = EmulatorConfig(region=region, pace=pace, credentials=store)

    def ready(bound_host: str, bound_port: int) -> None:
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        print(f"claude-bedrock emulator listening on http://{shown}:{bound_port}", flush=True)

    serve_forever(config, host=host, port=port, extensions=extension or (), on_ready=ready)


def main() -> None:
    """Console-script entry point."""
    app()
