"""``claude-bedrock ask "prompt"``: one call, the answer streamed to the terminal.

stdout gets the answer only (so ``ask ... > answer.txt`` keeps just the text); usage and
cost go to stderr at the end (``--quiet`` hides them). ``--output json`` prints one JSON
document instead: the text, the message, usage, cost and request id.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ._options import Connection, option_groups
from ._output import (
    ExitCode,
    Failure,
    OutputFormat,
    OutputOption,
    err_console,
    fail,
    fail_usage,
    failing_on_errors,
    print_json,
)
from ._session import (
    FailureError,
    Turn,
    TurnOptions,
    describe_usage,
    show_warnings,
    stream_turn,
    user_content,
)

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command()(option_groups(ask))


def ask(
    prompt: Annotated[str, typer.Argument(help="The question; '-' reads it from stdin.")],
    turn: TurnOptions,
    pdf: Annotated[
        list[Path] | None,
        typer.Option("--pdf", exists=True, dir_okay=False, help="Attach a PDF (repeatable)."),
    ] = None,
    image: Annotated[
        list[Path] | None,
        typer.Option(
            "--image",
            exists=True,
            dir_okay=False,
            help="Attach a PNG/JPEG/GIF/WebP image (repeatable).",
        ),
    ] = None,
    *,
    where: Connection,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Do not print usage and cost on stderr.")
    ] = False,
    output: OutputOption = OutputFormat.text,
) -> None:
    """Ask Claude one question; the answer streams to stdout as it arrives.

    Examples:

      claude-bedrock ask "Explain SigV4 in two sentences"

      claude-bedrock ask --pdf report.pdf --model opus "Summarise this report"

      git diff | claude-bedrock ask - --system "Review this diff"
    """
    text = _prompt_text(prompt, output)
    try:
        with show_warnings(), failing_on_errors(output):
            content = user_content(text, pdf or [], image or [])
            client = turn.client(where)
            call = Turn(turn.model, turn.max_tokens, [{"role": "user", "content": content}],
                        turn.system)  # fmt: skip
            message = stream_turn(client, call, turn.api, echo=output is OutputFormat.text)
    except FailureError as exc:
        fail(exc.failure, output)
    except KeyboardInterrupt:
        sys.stdout.write("\n")
        fail(Failure(ExitCode.INTERRUPTED, "Interrupted", "interrupted: the answer was "
                     "cancelled"), output)  # fmt: skip
    if output is OutputFormat.json:
        print_json(_as_json(message))
    elif not quiet:
        err_console().print(f"[dim]{describe_usage(message)}[/]")


def _prompt_text(prompt: str, output: OutputFormat) -> str:
    text = sys.stdin.read() if prompt == "-" else prompt
    if not text.strip():
        where = "stdin was empty" if prompt == "-" else "the prompt is empty"
        fail_usage(output, "UsageError", f"nothing to ask: {where}",
                   "Pass the question as an argument, or pipe it with `ask -`.")  # fmt: skip
    return text


def _as_json(message: Any) -> dict[str, Any]:
    from .._stream_iter import final_text

    cost = message.cost
    try:
        text = final_text(message)
    except RuntimeError:
        text = ""
    return {
        "text": text,
        "model": message.model,
        "stop_reason": message.stop_reason,
        "usage": message.usage.model_dump(exclude_none=True),
        "cost": cost.model_dump() if cost is not None else None,
        "request_id": message.request_id,
        "message": message.model_dump(mode="json", exclude_none=True),
    }
