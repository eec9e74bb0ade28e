"""``claude-bedrock doctor``: walk the set-up path of Anthropic's guide to Claude on Amazon
Bedrock (``BEDROCK_GUIDE`` in :mod:`._output`), check by check.

Order: credentials (and where they come from) → identity (sts:GetCallerIdentity) → region
and geography → endpoint reachability → each Anthropic model's access in the Region →
each surface (CountTokens on both hosts always, as it is free; InvokeModel, Converse and
both Messages APIs with ``--probe``) → invocation logging and its retention → AWS CLI
version. A check that depends on a failed one is skipped, so the first ✗ is the one to fix first.

Statuses: ✓ ok, ✗ failed (with the fix), ! warning (with advice; not a failure), – skipped.
Exit code: 0 when nothing failed; otherwise the code of the first failed check (3
credentials/identity/region, 5 network, 4 model access, 1 anything else), as documented in
:mod:`claude_bedrock.cli._output`.

The STS call honours ``AWS_ENDPOINT_URL_STS``, then ``--endpoint-url``, then
``AWS_ENDPOINT_URL``, so the whole doctor runs against the local emulator too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from ._output import ExitCode, OutputFormat, OutputOption, print_json

if TYPE_CHECKING:
    from ._doctor_checks import Check, Setup

__all__ = ["register", "run_checks"]

_MARKS = {"ok": "[green]✓[/]", "fail": "[bold red]✗[/]", "warn": "[yellow]![/]",
          "skip": "[dim]–[/]"}  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command()(doctor)


def doctor(
    region: Annotated[
        str | None, typer.Option("--region", help="Region to check (default: as the client).")
    ] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="AWS profile to check.")] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option(
            "--endpoint-url",
            help="Bedrock (and STS) endpoint to check instead of "
            "AWS's (default: AWS_ENDPOINT_URL).",
        ),  # fmt: skip
    ] = None,
    probe: Annotated[
        bool,
        typer.Option(
            "--probe",
            help="Also send a 1-token call to each model (a few tokens "
            "billed per model): proves access beyond the control plane's view.",
        ),
    ] = False,
    output: OutputOption = OutputFormat.text,
) -> None:
    """Check credentials, identity, region, endpoint, model access, logging and AWS CLI.

    Every ✗ comes with what to do. Exit code 0 when nothing failed, else the code of the
    first failure (3 credentials, 4 model access, 5 network, 1 other).
    """
    from ._doctor_checks import Setup

    setup = Setup(region, profile, endpoint_url, probe)
    checks = run_checks(setup)
    code = _exit_code(checks)
    if output is OutputFormat.json:
        print_json({
            "ok": code == ExitCode.OK,
            "exit_code": int(code),
            "region": setup.region,
            "checks": [check.as_dict() for check in checks],
        })  # fmt: skip
    else:
        _render(checks, code)
    raise typer.Exit(int(code))


def run_checks(setup: Setup) -> list[Check]:
    """Every check, in order (each may read what the previous ones found)."""
    from . import _doctor_bedrock as bedrock
    from . import _doctor_checks as basic
    from ._doctor_surfaces import surfaces

    steps: list[Callable[[Setup], list[Check]]] = [
        basic.credentials,
        basic.region,  # before identity: STS is signed for the Region
        basic.identity,
        basic.endpoint,
        bedrock.models,
        surfaces,
        bedrock.invocation_logging,
        basic.aws_cli,
    ]
    checks: list[Check] = []
    for step in steps:
        checks.extend(step(setup))
    # Shown in the documented order: the identity right after the credentials it proves.
    order = {"credentials": 0, "identity (sts:GetCallerIdentity)": 1}
    checks.sort(key=lambda c: order.get(c.name, 2))
    return checks


def _exit_code(checks: list[Check]) -> ExitCode:
    for check in checks:
        if check.status == "fail":
            return check.code
    return ExitCode.OK


def _render(checks: list[Check], code: ExitCode) -> None:
    from rich.markup import escape
    from rich.table import Table

    from ._output import out_console

    table = Table(title="claude-bedrock doctor", title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("check", style="bold", overflow="fold")
    table.add_column("result (→ what to do)", overflow="fold")
    for check in checks:
        result = escape(check.detail)
        if check.fix and check.status in ("fail", "warn"):
            colour = "red" if check.status == "fail" else "yellow"
            result += f"\n[{colour}]→ {escape(check.fix)}[/]"
        table.add_row(_MARKS[check.status], escape(check.name), result)
    console = out_console()
    console.print(table)
    failed = [c for c in checks if c.status == "fail"]
    if not failed:
        console.print("[green]✓ no problem found[/]" + _warned(checks))
        return
    first = failed[0]
    console.print(
        f"[bold red]✗ {len(failed)} check{'s' if len(failed) > 1 else ''} failed[/] "
        f"(exit code {int(code)}). Fix this first: [bold]{escape(first.name)}[/]: "
        f"{escape(first.fix or first.detail)}"
    )


def _warned(checks: list[Check]) -> str:
    count = sum(1 for c in checks if c.status == "warn")
    return f" ({count} warning{'s' if count > 1 else ''} above)" if count else ""
