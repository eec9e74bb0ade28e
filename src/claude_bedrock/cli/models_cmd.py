"""``claude-bedrock models``: which Claude models this Region reaches, on which surface, with
which ID, in which lifecycle state, at what price.

Like ``aws bedrock list-foundation-models --by-provider anthropic``, but answering the
questions users have: the ID to send from here (the runtime's inference profile, and the
bare ID on bedrock-mantle's Messages API), where each model is offered, its lifecycle
with dates, its context window and prices. The bundled catalogue is merged with the
account's live lists for the Region:

* by default the lists cached by an earlier run of the same identity are used when they
  are less than a day old (the header says how old); otherwise they are fetched and cached;
* ``--refresh`` always fetches (and caches) them;
* ``--offline`` shows the bundled catalogue alone and sends nothing;
* ``--check`` prints where the bundled catalogue and the live lists disagree, and exits
  with 1 when they do (0 when they agree), so a script or CI job can watch for drift.

The table fits the terminal: one row per model when it is wide enough, otherwise (80
columns, or a pipe, which rich treats as 80 columns unless ``COLUMNS`` says otherwise)
one block per model, every ID on a line of its own and never cut.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._options import Connection, EndpointOption, build_client, option_groups
from ._output import (
    ExitCode,
    OutputFormat,
    OutputOption,
    age_text,
    classify,
    fail,
    fail_usage,
    out_console,
    print_fitting,
    print_json,
)

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table

    from ..types.models import Disagreement, LiveModels, ModelEntry, Prices

__all__ = ["register"]

_YES, _NO, _DASH = "\u2713", "\u2717", "\u2014"


def register(app: typer.Typer) -> None:
    app.command("models")(option_groups(models))


def models(
    where: Connection,
    endpoint: EndpointOption = None,
    offline: Annotated[
        bool,
        typer.Option("--offline", help="The built-in catalogue only: no request, no credentials."),
    ] = False,
    refresh: Annotated[
        bool,
        typer.Option("--refresh", help="Fetch the account's model lists now (and cache them)."),
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Print where the built-in catalogue and the live lists disagree "
            "(exit code 1 when they do).",
        ),
    ] = False,
    output: OutputOption = OutputFormat.text,
) -> None:
    """List Claude models: lifecycle, the ID per surface from your Region, context, prices.

    The account's lists (ListFoundationModels, ListInferenceProfiles) decide what is
    offered and its lifecycle; the built-in catalogue gives prices and limits. The lists
    are cached per account and Region (CLAUDE_BEDROCK_CACHE_DIR, else
    ~/.cache/claude-bedrock) and reused for a day: the header says how old they are;
    --refresh fetches them anew.

    Profiles: ✓ offered; ✓* offered by the catalogue but not listed by Bedrock for your
    account here; (?) listed by Bedrock, unknown to the catalogue (no prices or limits).

    Examples:

      claude-bedrock models

      claude-bedrock models --refresh --region eu-west-1 --output json

      claude-bedrock models --check

      claude-bedrock models --offline
    """
    if offline and (refresh or check):
        fail_usage(output, "UsageError", "--offline cannot be combined with --refresh or --check",
                   "Drop --offline: the live lists need a request (or a cached one).")  # fmt: skip
    entries, live, diffs = _gather(where, endpoint, output, offline, refresh, check)
    region = entries[0].region if entries else (live.region if live else "")
    if output is OutputFormat.json:
        print_json(as_json(entries, region, live, diffs if check else None))
    else:
        _print_text(entries, region, live, diffs if check else None)
    if check and diffs:
        raise typer.Exit(int(ExitCode.API_ERROR))


def _gather(
    where: Connection,
    endpoint: Any,
    output: OutputFormat,
    offline: bool,
    refresh: bool,
    check: bool,
) -> tuple[list[ModelEntry], LiveModels | None, list[Disagreement]]:
    """The entries to show, the live lists behind them (None offline) and, for --check,
    where the bundle and the lists disagree."""
    from .._exceptions import AnthropicError
    from ..catalog import Catalog

    try:
        client = build_client(where, endpoint=endpoint)
        with client:
            if offline:
                Catalog.default().geographies(client.aws_region)  # unknown Region: say so now
                return client.models.list(offline=True), None, []
            live = None if refresh else client.models.use_cached()
            if live is None:
                live = client.models.refresh()
            diffs = client.models.differences() if check else []
            return client.models.entries(), live, diffs
    except AnthropicError as exc:
        fail(classify(exc), output)


def as_json(
    entries: list[ModelEntry],
    region: str,
    live: LiveModels | None,
    diffs: list[Disagreement] | None = None,
) -> dict[str, Any]:
    """The ``--output json`` document: every field of every entry, plus where it came from."""
    doc: dict[str, Any] = {
        "region": region,
        "source": "catalogue+bedrock" if live is not None else "catalogue",
        "live": None
        if live is None
        else {
            **live.to_dict(mode="json", exclude_unset=False),
            "age_seconds": round(live.age_seconds()),
        },  # fmt: skip
        "models": [e.to_dict(mode="json", exclude_unset=False) for e in entries],
    }
    if diffs is not None:
        doc["differences"] = [d.to_dict(mode="json", exclude_unset=False) for d in diffs]
    return doc


# -- text -----------------------------------------------------------------------------------


def _print_text(
    entries: list[ModelEntry],
    region: str,
    live: LiveModels | None,
    diffs: list[Disagreement] | None,
) -> None:
    console = out_console()
    console.print(_title(region, live), soft_wrap=False)
    online = live is not None
    names = {e.id: e.name for e in entries}
    print_fitting(console, _table(entries, online, names), lambda: _blocks(entries, online, names))
    for note in _notes(entries, live):
        console.print(f"[dim]{note}[/]", soft_wrap=False)
    if diffs is not None:
        _print_differences(console, diffs, region)


def _title(region: str, live: LiveModels | None) -> str:
    if live is None:
        return f"[bold]Claude on Bedrock from {region}[/] \u2014 catalogue only (--offline)"
    when = live.fetched_at.strftime("%Y-%m-%d %H:%M UTC")
    how = "from the cache" if live.source == "cache" else "fetched now"
    account = f"account {live.account}" if live.account else "account unknown"
    return (
        f"[bold]Claude on Bedrock from {region}[/] \u2014 catalogue + Bedrock control plane "
        f"({account}; lists of {when}, {age_text(live.age_seconds())} old, {how})"
    )


def _table(entries: list[ModelEntry], online: bool, names: dict[str, str]) -> Table:
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("Model", no_wrap=True)
    table.add_column("Lifecycle", no_wrap=True)
    table.add_column("Runtime ID (Invoke, Converse, Messages)", no_wrap=True)
    table.add_column("Mantle ID", no_wrap=True)
    table.add_column("Profiles", no_wrap=True)
    table.add_column("Context", justify="right", no_wrap=True)
    table.add_column("$/MTok in / out", justify="right", no_wrap=True)
    for entry in entries:
        table.add_row(
            _name(entry),
            _lifecycle(entry, names),
            _runtime_id(entry),
            _mantle_id(entry),
            _profiles(entry, online),
            _context(entry),
            _prices(entry),
        )
    return table


def _blocks(entries: list[ModelEntry], online: bool, names: dict[str, str]) -> RenderableType:
    """The narrow layout: one block per model, each ID on its own line."""
    from rich.console import Group
    from rich.text import Text

    lines: list[Text] = []
    for entry in entries:
        head = " \u00b7 ".join(
            part for part in (_lifecycle(entry, names), _context(entry), _prices(entry)) if part
        )
        lines.append(Text.from_markup(f"[bold]{_name(entry)}[/]  {head}"))
        for label, value in (
            ("runtime ", _runtime_id(entry)),
            ("mantle  ", _mantle_id(entry)),
            ("profiles", _profiles(entry, online)),
        ):
            lines.append(Text.from_markup(f"  [dim]{label}[/] {value}", overflow="fold"))
    return Group(*lines)


def _name(entry: ModelEntry) -> str:
    return entry.name if entry.priced else f"{entry.name} [yellow](?)[/]"


def _lifecycle(entry: ModelEntry, names: dict[str, str]) -> str:
    if entry.lifecycle == "eol":
        when = f" {entry.eol_date}" if entry.eol_date else ""
        return f"[red]end of life{when}[/]"
    if entry.lifecycle == "legacy" or entry.deprecated:
        until = f", EOL {entry.eol_date}" if entry.eol_date else ""
        successor = names.get(entry.successor or "", entry.successor)
        then = f" \u2192 {successor.removeprefix('Claude ')}" if successor else ""
        return f"[yellow]legacy{until}[/]{then}"
    return "[green]active[/]"


def _runtime_id(entry: ModelEntry) -> str:
    if entry.recommended_id is not None:
        return entry.recommended_id
    if entry.lifecycle == "eol":
        return f"[dim]{_DASH} refused by Bedrock since end of life[/]"
    where = ", ".join(entry.offered_scopes) or "nowhere"
    return f"[dim]{_DASH} not from {entry.region} (offered in: {where})[/]"


def _mantle_id(entry: ModelEntry) -> str:
    return entry.mantle_id or f"[dim]{_DASH}[/]"


def _profiles(entry: ModelEntry, online: bool) -> str:
    """The scopes reachable from the Region that offer the model, marked as Bedrock sees them."""
    cells = []
    for status in entry.scopes:
        if not status.reachable or not (status.offered or status.reported):
            continue
        if online and status.offered and status.reported is False:
            cells.append(f"[yellow]{status.scope}{_YES}*[/]")
        else:
            cells.append(f"{status.scope}{_YES}")
    return " ".join(cells) or f"[red]{_NO}[/]"


def _context(entry: ModelEntry) -> str:
    if entry.context_window is None:
        return "?"
    text = _tokens(entry.context_window)
    if entry.context_1m_tokens and entry.context_1m_tokens != entry.context_window:
        text += f" ({_tokens(entry.context_1m_tokens)} \u03b2)"
    return text


def _tokens(count: int) -> str:
    if count >= 1_000_000 and count % 1_000_000 == 0:
        return f"{count // 1_000_000}M"
    return f"{count // 1000}K" if count % 1000 == 0 else str(count)


def _prices(entry: ModelEntry) -> str:
    prices: Prices | None = entry.pricing_global or entry.pricing_regional
    if prices is None:
        return f"[dim]{_DASH}[/]" if not entry.priced else ""
    return f"${prices.input:g} / ${prices.output:g}"


def _notes(entries: list[ModelEntry], live: LiveModels | None) -> list[str]:
    notes = [_price_note(entries)]
    betas = sorted(
        {e.context_1m_beta for e in entries if e.context_1m_tokens and e.context_1m_beta
         and e.context_1m_tokens != e.context_window}
    )  # fmt: skip
    if betas:
        notes.append(f"\u03b2: with the beta flag {' or '.join(betas)} (--context-1m).")
    if live is not None and any(
        s.offered and s.reachable and s.reported is False for e in entries for s in e.scopes
    ):
        notes.append(
            f"{_YES}*: offered, but Bedrock does not list this profile for your account here "
            "(request model access in the Bedrock console)."
        )
    if any(not e.priced for e in entries):
        notes.append("(?): listed by Bedrock, unknown to the catalogue: no prices or limits.")
    if live is not None:
        notes.extend(live.notes)
        if live.cache_path:
            notes.append(f"Live lists cached in {live.cache_path} (--refresh to fetch again).")
    return notes


def _price_note(entries: list[ModelEntry]) -> str:
    """Which models cost more on regional endpoints, and by how much, from the prices shown."""
    dearer = [e for e in entries if _premium(e)]
    if not dearer:
        return "Prices: global endpoint; regional endpoints (geography profiles) cost the same."
    shares = sorted({_premium(e) for e in dearer})
    rate = " or ".join(f"{share}%" for share in shares)
    return (
        f"Prices: global endpoint; regional endpoints (geography profiles) cost {rate} more "
        f"for {len(dearer)} of these models."
    )


def _premium(entry: ModelEntry) -> int:
    """The regional premium in whole percent (0 when the prices are equal or unknown)."""
    low, high = entry.pricing_global, entry.pricing_regional
    if low is None or high is None or not low.input or high.input <= low.input:
        return 0
    return round((high.input / low.input - 1) * 100)


def _print_differences(console: Any, diffs: list[Disagreement], region: str) -> None:
    if not diffs:
        console.print(f"[green]{_YES}[/] The catalogue and the live lists for {region} agree.")
        return
    console.print(
        f"[bold]{len(diffs)} difference(s) between the catalogue and the live lists "
        f"for {region}:[/]",
        soft_wrap=False,
    )
    for diff in diffs:
        what = diff.profile or diff.model
        console.print(f"  [yellow]{diff.kind}[/] {what}: {diff.detail}", soft_wrap=False)
