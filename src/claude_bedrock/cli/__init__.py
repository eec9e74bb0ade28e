"""The ``claude-bedrock`` command line (also ``python -m claude_bedrock``).

Each command lives in its own module exposing ``register(app)``, listed once in
:data:`COMMAND_MODULES`. Command modules import only typer at load time; each command
imports what it needs when it runs, so ``claude-bedrock --help`` stays quick.

Exit codes are a contract for scripts, documented in :mod:`claude_bedrock.cli._output`:
0 ok, 1 Bedrock error (or a failed ``doctor`` check), 2 usage, 3 credentials or
configuration, 4 model not available, 5 network, 130 interrupted.
"""

from __future__ import annotations

from importlib import import_module
from typing import Annotated

import typer

from .._version import __version__

__all__ = ["COMMAND_MODULES", "app", "main"]

app = typer.Typer(
    name="claude-bedrock",
    help="Claude on Amazon Bedrock: client tools and a local Bedrock emulator.\n\n"
    "Exit codes: 0 ok, 1 Bedrock error or failed check, 2 usage, 3 credentials or "
    "configuration, 4 model not available, 5 network, 130 interrupted.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)

#: Command modules, each with ``register(app: typer.Typer) -> None`` (one line per module).
COMMAND_MODULES: tuple[str, ...] = (
    ".ask_cmd",
    ".batch_cmd",
    ".chat_cmd",
    ".doctor_cmd",
    ".logging_cmd",
    ".models_cmd",
    ".run_cmd",
    ".serve_cmd",
)


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


for _module in COMMAND_MODULES:
    import_module(_module, __name__).register(app)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="claude-bedrock")
