"""`make demo`: the source document's example, end to end, on the embedded Bedrock emulator.

The emulator runs in its own process on a free loopback port; the example runs as a
separate program that knows nothing of it: it finds the emulator the way it would find
any Bedrock endpoint, through the standard AWS environment variables.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from claude_bedrock.emulator import Emulator

HERE = Path(__file__).resolve().parent
console = Console()


def run(title: str, argv: list[str], env: dict[str, str]) -> None:
    console.rule(f"[bold]{title}")
    console.print(f"[dim]$ {' '.join(argv)}[/dim]")
    result = subprocess.run(argv, env=env, check=False)
    if result.returncode != 0:
        console.print(f"[red]✗ {title} failed with exit code {result.returncode}[/red]")
        sys.exit(result.returncode)


def main() -> None:
    with Emulator(subprocess=True) as emu:
        console.print(
            f"[green]✓[/green] Bedrock emulator (deterministic engine, not Claude) "
            f"listening on {emu.url}"
        )
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL": emu.url,
            "AWS_ACCESS_KEY_ID": emu.access_key,
            "AWS_SECRET_ACCESS_KEY": emu.secret_key,
        }
        env.pop("AWS_SESSION_TOKEN", None)
        env.pop("AWS_BEARER_TOKEN_BEDROCK", None)
        env.pop("AWS_PROFILE", None)
        run("The source document's example (examples/hello.py)",
            [sys.executable, str(HERE / "hello.py")], env)  # fmt: skip
    console.print("[green]✓[/green] emulator stopped")


if __name__ == "__main__":
    main()
