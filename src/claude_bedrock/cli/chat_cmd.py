"""``claude-bedrock chat``: an interactive, multi-turn conversation with history.

Commands typed at the prompt: ``/model NAME``, ``/system TEXT`` (``/system off`` clears
it), ``/cost``, ``/save FILE`` (``.md``: a Markdown transcript; anything else: JSON that
``messages.create`` can take back), ``/clear``, ``/help``, ``/quit`` (or Ctrl-D).

Ctrl-C while an answer streams cancels that answer only: the stream is closed (Bedrock
stops generating), the question is dropped from the history so the conversation stays a
valid alternation of turns, and the prompt comes back. Ctrl-C at the prompt clears the line.
"""

from __future__ import annotations

import contextlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ._options import Connection, option_groups
from ._output import classify, err_console, failing_on_errors, is_library_error, tell
from ._session import Turn, TurnOptions, describe_usage, show_warnings, stream_turn

if TYPE_CHECKING:
    from .._client import AnthropicBedrock
    from .._mantle_client import AnthropicBedrockMantle
    from ..types.message import Message

__all__ = ["PROMPT", "register"]

#: What the user sees when it is their turn (tests wait for it).
PROMPT = "you> "
_HELP = """\
/model [NAME]    show or change the model (IDs and aliases: opus, sonnet, haiku, ...)
/system [TEXT]   show or set the system prompt (/system off clears it)
/cost            tokens and cost of this session so far
/save FILE       save the conversation (.md: Markdown; otherwise JSON)
/clear           forget the conversation (keeps model and system prompt)
/quit            leave (also /exit or Ctrl-D)
Ctrl-C cancels the answer being written, not the session."""


def register(app: typer.Typer) -> None:
    app.command()(option_groups(chat))


def chat(turn: TurnOptions, where: Connection) -> None:
    """Talk with Claude, turn after turn (/help lists the commands; /quit leaves)."""
    with show_warnings():
        with failing_on_errors():
            client = turn.client(where)
            session = ChatSession(client, turn, turn.model, turn.system)
            model_id = session.resolve(turn.model)
        err_console().print(
            f"[bold]claude-bedrock chat[/] · {model_id} · {client.aws_region}\n"
            "[dim]/help for commands · Ctrl-C cancels an answer · /quit or Ctrl-D leaves[/]"
        )
        session.run()


@dataclass
class _Totals:
    answers: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0
    unpriced: int = 0

    def add(self, message: Message) -> None:
        self.answers += 1
        self.input_tokens += message.usage.input_tokens
        self.output_tokens += message.usage.output_tokens
        if message.cost is None:
            self.unpriced += 1
        else:
            self.usd += message.cost.usd

    def describe(self) -> str:
        text = (
            f"{self.answers} answer{'s' if self.answers != 1 else ''} · "
            f"{self.input_tokens} in / {self.output_tokens} out tokens · ${self.usd:.6f}"
        )
        if self.unpriced:
            text += f" (+{self.unpriced} answers of models without a known price)"
        return text


@dataclass
class ChatSession:
    """The conversation and its settings; one :meth:`run` loop per terminal session."""

    client: AnthropicBedrock | AnthropicBedrockMantle
    options: TurnOptions
    model: str  # /model and /system change these two
    system: str | None
    messages: list[dict[str, Any]] = field(default_factory=list)
    totals: _Totals = field(default_factory=_Totals)

    def resolve(self, model: str) -> str:
        """The model ID calls will use (raises the catalogue's errors for a bad name)."""
        from ..catalog import Catalog

        region = self.client.aws_region
        return Catalog.default().resolve(model, region, self.options.endpoint_value).model_id

    def run(self) -> None:
        _enable_line_editing()
        while True:
            try:
                line = input(PROMPT)
            except EOFError:
                sys.stdout.write("\n")
                break
            except KeyboardInterrupt:
                sys.stdout.write("\n")
                err_console().print("[dim](Ctrl-C cancels an answer; /quit or Ctrl-D leaves)[/]")
                continue
            line = line.strip()
            if not line:
                continue
            if line.startswith("/"):
                if not self.command(line):
                    break
                continue
            self.ask(line)
        err_console().print(f"[dim]session: {self.totals.describe()}[/]")

    def ask(self, text: str) -> None:
        self.messages.append({"role": "user", "content": text})
        turn = Turn(self.model, self.options.max_tokens, self.messages, self.system)
        try:
            message = stream_turn(self.client, turn, self.options.api, echo=True)
        except KeyboardInterrupt:
            self.messages.pop()
            sys.stdout.write("\n")
            err_console().print("[yellow]\\[answer cancelled][/] [dim](not kept in history)[/]")
            return
        except Exception as exc:
            self.messages.pop()
            if not is_library_error(exc):
                raise
            tell(classify(exc))
            return
        content = [block.model_dump(mode="json", exclude_none=True) for block in message.content]
        self.messages.append({"role": "assistant", "content": content})
        self.totals.add(message)
        err_console().print(f"[dim]{describe_usage(message)}[/]")

    # -- slash commands --------------------------------------------------------------------

    def command(self, line: str) -> bool:
        """Run one ``/command``; False means leave."""
        name, _, arg = line.partition(" ")
        arg = arg.strip()
        console = err_console()
        if name in ("/quit", "/exit", "/q"):
            return False
        if name == "/help":
            console.print(_HELP, markup=False)
        elif name == "/model":
            self._model(arg)
        elif name == "/system":
            self._system(arg)
        elif name == "/cost":
            console.print(self.totals.describe(), markup=False)
        elif name == "/save":
            self._save(arg)
        elif name == "/clear":
            self.messages.clear()
            console.print("conversation cleared", markup=False)
        else:
            console.print(f"unknown command {name} (/help lists them)", markup=False)
        return True

    def _model(self, name: str) -> None:
        console = err_console()
        if not name:
            console.print(f"model: {self.model} ({self.resolve(self.model)})", markup=False)
            return
        try:
            model_id = self.resolve(name)
        except Exception as exc:
            if not is_library_error(exc):
                raise
            tell(classify(exc))
            return
        self.model = name
        console.print(f"model: {name} ({model_id})", markup=False)

    def _system(self, text: str) -> None:
        console = err_console()
        if not text:
            shown = self.system if self.system else "(none)"
            console.print(f"system prompt: {shown}  [/system off clears it]", markup=False)
        elif text == "off":
            self.system = None
            console.print("system prompt cleared", markup=False)
        else:
            self.system = text
            console.print("system prompt set", markup=False)

    def _save(self, name: str) -> None:
        console = err_console()
        if not name:
            console.print("usage: /save FILE (.md for Markdown, otherwise JSON)", markup=False)
            return
        path = Path(name).expanduser()
        document = self._markdown() if path.suffix.lower() == ".md" else self._json()
        try:
            path.write_text(document, encoding="utf-8")
        except OSError as exc:
            console.print(f"cannot write {path}: {exc.strerror or exc}", markup=False)
            return
        console.print(f"saved {len(self.messages)} messages to {path}", markup=False)

    def _json(self) -> str:
        data: dict[str, Any] = {"model": self.model}
        if self.system:
            data["system"] = self.system
        data["messages"] = self.messages
        data["usage"] = {"input_tokens": self.totals.input_tokens,
                         "output_tokens": self.totals.output_tokens}  # fmt: skip
        data["cost_usd"] = round(self.totals.usd, 6)
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    def _markdown(self) -> str:
        lines = [f"# Chat with {self.model}", ""]
        if self.system:
            lines += [f"_System:_ {self.system}", ""]
        for message in self.messages:
            who = "You" if message["role"] == "user" else "Claude"
            lines += [f"**{who}:**", "", _text_of(message["content"]), ""]
        lines.append(f"_{self.totals.describe()}_")
        return "\n".join(lines) + "\n"


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(block.get("text", "") for block in content if block.get("type") == "text")


def _enable_line_editing() -> None:
    """Arrow keys and history at the prompt, where the platform has readline."""
    if sys.stdin.isatty():
        with contextlib.suppress(ImportError):  # Windows without pyreadline
            import readline  # noqa: F401
