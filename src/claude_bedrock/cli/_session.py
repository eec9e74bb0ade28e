"""What ``ask`` and ``chat`` share: the turn options, attachments, one streamed turn.

Default model: ``sonnet``, the catalogue's alias for the newest Claude Sonnet, on the
global endpoint where the model has one: Sonnet sits between Opus and Haiku in capability,
speed and price (Anthropic's guide to choosing a model:
https://platform.claude.com/docs/en/about-claude/models/choosing-a-model).
``CLAUDE_BEDROCK_MODEL`` or ``--model`` change it; any base ID, inference-profile ID, ARN
or alias is accepted.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from ._options import Connection, EndpointOption, build_client, build_mantle_client
from ._output import ExitCode, Failure, err_console

if TYPE_CHECKING:
    from .._client import AnthropicBedrock
    from .._mantle_client import AnthropicBedrockMantle
    from ..types.message import Message

__all__ = [
    "DEFAULT_MODEL",
    "FailureError",
    "Turn",
    "TurnOptions",
    "describe_usage",
    "show_warnings",
    "stream_turn",
    "user_content",
]

DEFAULT_MODEL = "sonnet"


class Api(StrEnum):
    """The Bedrock surface a turn goes through (``--surface``; ``--api`` is its old name)."""

    invoke = "invoke"
    converse = "converse"
    #: The Messages API on bedrock-runtime (``/anthropic/v1/messages``, inference profiles).
    messages = "messages"
    #: The Messages API on bedrock-mantle (``AnthropicBedrockMantle``, bare in-Region IDs).
    mantle = "mantle"


ModelOption = Annotated[
    str,
    typer.Option(
        "--model",
        "-m",
        envvar="CLAUDE_BEDROCK_MODEL",
        help="Model ID, inference profile, ARN or alias (opus, sonnet, haiku, sonnet-4.5...). "
        "The default, sonnet, is the newest Claude Sonnet.",
    ),
]
SystemOption = Annotated[str | None, typer.Option("--system", "-s", help="System prompt.")]
MaxTokensOption = Annotated[
    int, typer.Option("--max-tokens", min=1, help="Most tokens the answer may have.")
]
ApiOption = Annotated[
    Api,
    typer.Option(
        "--surface",
        "--api",
        case_sensitive=False,
        help="Bedrock surface: invoke (InvokeModel), converse, messages (the Messages API on "
        "bedrock-runtime) or mantle (the Messages API on bedrock-mantle).",
    ),
]
Context1mOption = Annotated[
    bool,
    typer.Option(
        "--context-1m",
        help="Open the 1M-token context window (beta; for the models `claude-bedrock models` "
        "marks with \u03b2).",
    ),
]


@dataclass(frozen=True)
class TurnOptions:
    """What ``ask`` and ``chat`` send besides the messages: model, system prompt, limits,
    and the API and endpoint they go through."""

    model: ModelOption = DEFAULT_MODEL
    system: SystemOption = None
    max_tokens: MaxTokensOption = 1024
    context_1m: Context1mOption = False
    api: ApiOption = Api.invoke
    endpoint: EndpointOption = None

    def client(self, connection: Connection) -> AnthropicBedrock | AnthropicBedrockMantle:
        """A client for these options (endpoint and 1M context as chosen); for ``mantle``,
        an ``AnthropicBedrockMantle`` (at ``{--endpoint-url}/anthropic`` when one is given)."""
        if self.api is Api.mantle:
            return build_mantle_client(connection)
        return build_client(connection, endpoint=self.endpoint, context_1m=self.context_1m)

    @property
    def endpoint_value(self) -> Literal["global", "regional"] | None:
        return self.endpoint.literal if self.endpoint is not None else None


class FailureError(Exception):
    """Carries a :class:`Failure` out of helpers to the command, which reports it."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


# -- attachments ----------------------------------------------------------------------------

_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9\-_()\[\] ]+")


def _usage_error(message: str, fix: str | None = None) -> Failure:
    return Failure(ExitCode.USAGE, "UsageError", message, fix)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FailureError(_usage_error(f"cannot read {path}: {exc.strerror or exc}")) from None


def _image_type(data: bytes, path: Path) -> str:
    for magic, media_type in _IMAGE_MAGIC:
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise FailureError(
        _usage_error(f"{path} is not a PNG, JPEG, GIF or WebP image", "Convert it to PNG.")
    )


def document_title(path: Path, taken: set[str]) -> str:
    """A title Converse also accepts as a document name (it refuses dots, for one)."""
    base = " ".join(_NAME_UNSAFE.sub("-", path.stem).split())[:180] or "document"
    title, n = base, 2
    while title in taken:
        title, n = f"{base} ({n})", n + 1
    taken.add(title)
    return title


def user_content(text: str, pdfs: list[Path], images: list[Path]) -> str | list[dict[str, Any]]:
    """The user turn: the text alone, or the attachments followed by the text."""
    if not pdfs and not images:
        return text
    import base64

    from .. import documents

    blocks: list[dict[str, Any]] = []
    taken: set[str] = set()
    for path in pdfs:
        blocks.append(documents.pdf(_read(path), title=document_title(path, taken)))
    for path in images:
        data = _read(path)
        source = {"type": "base64", "media_type": _image_type(data, path),
                  "data": base64.b64encode(data).decode("ascii")}  # fmt: skip
        blocks.append({"type": "image", "source": source})
    blocks.append({"type": "text", "text": text})
    return blocks


# -- one streamed turn ----------------------------------------------------------------------


@dataclass
class Turn:
    """The request side of one call."""

    model: str
    max_tokens: int
    messages: list[dict[str, Any]]
    system: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def stream_turn(
    client: AnthropicBedrock | AnthropicBedrockMantle, turn: Turn, api: Api, *, echo: bool
) -> Message:
    """Send ``turn`` streamed; with ``echo`` the text goes to stdout as it arrives.

    Ctrl-C propagates as KeyboardInterrupt after the stream is closed (its connection is
    dropped, so the server stops generating).
    """
    kwargs: dict[str, Any] = {}
    if turn.system:
        kwargs["system"] = turn.system
    if api is not Api.mantle:  # the Mantle client has one surface
        kwargs["api"] = api.value
    with client.messages.stream(
        model=turn.model, max_tokens=turn.max_tokens, messages=turn.messages, **kwargs
    ) as stream:
        if echo:
            ended_with_newline = True
            for text in stream.text_stream:
                sys.stdout.write(text)
                sys.stdout.flush()
                if text:
                    ended_with_newline = text.endswith("\n")
            if not ended_with_newline:
                sys.stdout.write("\n")
                sys.stdout.flush()
        return stream.get_final_message()


def describe_usage(message: Message) -> str:
    """``claude-sonnet-4-5 · 12 in / 34 out tokens · $0.000546 (global endpoint)``."""
    usage = message.usage
    parts = [message.model, f"{usage.input_tokens} in / {usage.output_tokens} out tokens"]
    if usage.cache_read_input_tokens:
        parts.append(f"{usage.cache_read_input_tokens} cache read")
    if usage.cache_creation_input_tokens:
        parts.append(f"{usage.cache_creation_input_tokens} cache write")
    cost = message.cost
    if cost is not None:
        parts.append(f"${cost.usd:.6f} ({cost.endpoint_type} endpoint)")
    else:
        parts.append("cost unknown (model not in the catalogue)")
    if message.stop_reason == "max_tokens":
        parts.append("stopped at --max-tokens")
    return " · ".join(parts)


@contextmanager
def show_warnings() -> Iterator[None]:
    """Library warnings (deprecated model, text-only PDF) as ``warning:`` lines on stderr."""

    def show(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        from rich.markup import escape

        err_console().print(f"[yellow]warning:[/] {escape(str(message))}")

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show
        yield
