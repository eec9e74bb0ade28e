"""``claude-bedrock models``: which Claude models this Region reaches, with which ID, at what
price.

Like ``aws bedrock list-foundation-models --by-provider anthropic``, but answering the
questions users actually have: the ID to put in a call from here, where each model is
offered (global, us, eu, jp, apac), its context window, its price on the global and the
regional endpoint, and whether it is deprecated. The catalogue is merged with what
Bedrock's control plane reports for this account and Region; ``--offline`` shows the
catalogue alone and sends nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._options import Connection, EndpointOption, build_client, option_groups
from ._output import OutputFormat, OutputOption, classify, fail, out_console, print_json

if TYPE_CHECKING:
    from rich.table import Table

    from ..types.models import ModelEntry, Prices

__all__ = ["register"]

#: The scope columns: the global endpoint, then the geographies' inference profiles.
SCOPE_COLUMNS = ("global", "us", "eu", "jp", "apac")
_YES, _NO = "\u2713", "\u2717"


def register(app: typer.Typer) -> None:
    app.command("models")(option_groups(models))


def models(
    where: Connection,
    endpoint: EndpointOption = None,
    offline: Annotated[
        bool,
        typer.Option("--offline", help="The built-in catalogue only: no request, no credentials."),
    ] = False,
    output: OutputOption = OutputFormat.text,
) -> None:
    """List Claude models: the ID to use from your Region, scopes, context, prices.

    ✓ offered, ✗ not offered; ✓* offered but not listed by Bedrock for your account in
    this Region (model access not granted, or not there yet).

    Examples:

      claude-bedrock models

      claude-bedrock models --region eu-west-1 --output json

      claude-bedrock models --offline
    """
    from .._exceptions import AnthropicError
    from ..catalog import Catalog

    try:
        client = build_client(where, endpoint=endpoint)
        with client:
            Catalog.default().geographies(client.aws_region)  # unknown Region: say so now
            entries = client.models.list(offline=offline)
    except AnthropicError as exc:
        fail(classify(exc), output)
    region_name = client.aws_region
    if output is OutputFormat.json:
        print_json(as_json(entries, region_name, online=not offline))
        return
    console = out_console()
    console.print(_table(entries, region_name, online=not offline))
    for note in _notes(entries, online=not offline):
        console.print(f"[dim]{note}[/]")


def as_json(entries: list[ModelEntry], region: str, *, online: bool) -> dict[str, Any]:
    """The ``--output json`` document: every field of every entry, plus where it came from."""
    return {
        "region": region,
        "source": "catalogue+bedrock" if online else "catalogue",
        "models": [e.to_dict(mode="json", exclude_unset=False) for e in entries],
    }


def _table(entries: list[ModelEntry], region: str, *, online: bool) -> Table:
    from rich.table import Table

    source = "catalogue + Bedrock control plane" if online else "catalogue only (--offline)"
    table = Table(title=f"Claude on Bedrock from {region} \u2014 {source}", title_justify="left")
    table.add_column("Model", no_wrap=True)
    table.add_column("ID to use", no_wrap=True, min_width=44)
    for scope in SCOPE_COLUMNS:
        table.add_column(scope, justify="center")
    table.add_column("Context", justify="right")
    table.add_column("Global $/MTok\nin / out", justify="right")
    table.add_column("Regional $/MTok\nin / out", justify="right")
    table.add_column("Status")
    for entry in entries:
        table.add_row(
            _name(entry),
            _id_to_use(entry),
            *(_scope_cell(entry, scope, online) for scope in SCOPE_COLUMNS),
            _context(entry),
            _prices(entry.pricing_global),
            _prices(entry.pricing_regional),
            _status(entry, online, {e.id: e.name for e in entries}),
        )
    return table


def _name(entry: ModelEntry) -> str:
    return entry.name if entry.in_catalog else f"{entry.name} [yellow](?)[/]"


def _id_to_use(entry: ModelEntry) -> str:
    if entry.recommended_id is not None:
        return entry.recommended_id
    where = ", ".join(entry.offered_scopes) or "nowhere"
    return f"[dim]\u2014 not from {entry.region} (offered in: {where})[/]"


def _scope_cell(entry: ModelEntry, scope: str, online: bool) -> str:
    status = entry.scope(scope)
    if status is None or not (status.offered or status.reported):
        return f"[red]{_NO}[/]"
    if online and status.offered and status.reported is False:
        return f"[yellow]{_YES}*[/]"
    return f"[green]{_YES}[/]"


def _context(entry: ModelEntry) -> str:
    if entry.context_window is None:
        return "?"
    text = _tokens(entry.context_window)
    if entry.context_1m_tokens:
        text += f" ({_tokens(entry.context_1m_tokens)} \u03b2)"
    return text


def _tokens(count: int) -> str:
    if count >= 1_000_000 and count % 1_000_000 == 0:
        return f"{count // 1_000_000}M"
    return f"{count // 1000}K" if count % 1000 == 0 else str(count)


def _prices(prices: Prices | None) -> str:
    if prices is None:
        return "[dim]\u2014[/]"
    return f"${prices.input:g} / ${prices.output:g}"


def _status(entry: ModelEntry, online: bool, names: dict[str, str]) -> str:
    parts: list[str] = []
    if entry.deprecated:
        successor = names.get(entry.successor or "", entry.successor)
        parts.append(f"[yellow]deprecated[/] \u2192 {successor}" if successor else "deprecated")
    if not entry.in_catalog:
        parts.append("not in the catalogue")
    if online and entry.in_catalog and entry.listed is False and entry.recommended_id:
        parts.append("[yellow]not listed by Bedrock here[/]")
    return ", ".join(parts) or "[green]active[/]"


def _notes(entries: list[ModelEntry], *, online: bool) -> list[str]:
    notes = [_price_note(entries)]
    betas = sorted(
        {e.context_1m_beta for e in entries if e.context_1m_tokens and e.context_1m_beta}
    )
    if betas:
        notes.append(f"\u03b2: with the beta flag {' or '.join(betas)} (--context-1m).")
    if online and any(_scope_cell(e, s, online).endswith("*[/]") for e in entries
                      for s in SCOPE_COLUMNS):  # fmt: skip
        notes.append(
            "\u2713*: offered, but Bedrock does not list this profile for your account here "
            "(request model access in the Bedrock console)."
        )
    if any(not e.in_catalog for e in entries):
        notes.append("(?): listed by Bedrock, unknown to the catalogue: no prices or limits.")
    return notes


def _price_note(entries: list[ModelEntry]) -> str:
    """Which models cost more on regional endpoints, and by how much, from the prices shown."""
    dearer = [e for e in entries if _premium(e)]
    if not dearer:
        return "Regional endpoints (geography profiles) cost the same as global here."
    shares = sorted({_premium(e) for e in dearer})
    rate = " or ".join(f"{share}%" for share in shares)
    names = ", ".join(e.name for e in dearer)
    return (
        f"Regional endpoints (geography profiles) cost {rate} more than global for {names}; "
        "other models keep one price."
    )


def _premium(entry: ModelEntry) -> int:
    """The regional premium in whole percent (0 when the prices are equal or unknown)."""
    low, high = entry.pricing_global, entry.pricing_regional
    if low is None or high is None or not low.input or high.input <= low.input:
        return 0
    return round((high.input / low.input - 1) * 100)
