"""What ``ask`` and ``chat`` share: the client options, attachments, one streamed turn.

Default model: ``sonnet``, the catalogue's alias for the newest Claude Sonnet (Sonnet 4.5
today), on the global endpoint where the model has one: the balance of quality, speed and
price the source document recommends for most work. ``CLAUDE_BEDROCK_MODEL`` or
``--model`` change it; any base ID, inference-profile ID, ARN or alias is accepted.
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

from ._output import ExitCode, Failure, err_console

if TYPE_CHECKING:
    from .._client import AnthropicBedrock
    from ..types.message import Message

__all__ = [
    "DEFAULT_MODEL",
    "ClientOptions",
    "FailureError",
    "Turn",
    "build_client",
    "describe_usage",
    "show_warnings",
    "stream_turn",
    "user_content",
]

DEFAULT_MODEL = "sonnet"


class Api(StrEnum):
    invoke = "invoke"
    converse = "converse"


class EndpointChoice(StrEnum):
    global_ = "global"
    regional = "regional"


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
    Api, typer.Option("--api", case_sensitive=False, help="Bedrock API: InvokeModel or Converse.")
]
EndpointOption = Annotated[
    EndpointChoice | None,
    typer.Option(
        "--endpoint",
        case_sensitive=False,
        help="global (recommended) or regional (cross-Region inference in your geography, "
        "+10% price for Sonnet 4.5 and later). Default: what the model ID says.",
    ),
]
Context1mOption = Annotated[
    bool,
    typer.Option(
        "--context-1m",
        help="Open the 1M-token context window (beta; Opus 4.6, Sonnet 4.5, Sonnet 4).",
    ),  # fmt: skip
]
RegionOption = Annotated[
    str | None,
    typer.Option("--region", help="AWS Region (default: AWS_REGION, the profile's, us-east-1)."),
]
ProfileOption = Annotated[
    str | None, typer.Option("--profile", help="AWS profile of ~/.aws (default: AWS_PROFILE).")
]
EndpointUrlOption = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        help="Send Bedrock calls here (default: AWS_ENDPOINT_URL, else AWS's endpoint).",
    ),
]


@dataclass
class ClientOptions:
    """The connection side of a command's options."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    endpoint: EndpointChoice | None = None
    context_1m: bool = False
    api: Api = Api.invoke

    @property
    def endpoint_value(self) -> Literal["global", "regional"] | None:
        if self.endpoint is None:
            return None
        return "global" if self.endpoint is EndpointChoice.global_ else "regional"


def build_client(options: ClientOptions) -> AnthropicBedrock:
    from .. import AnthropicBedrock

    return AnthropicBedrock(
        aws_region=options.region,
        aws_profile=options.profile,
        base_url=options.endpoint_url,
        control_plane_url=options.endpoint_url,
        context_1m=options.context_1m,
        endpoint=options.endpoint_value,
    )


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


def stream_turn(client: AnthropicBedrock, turn: Turn, api: Api, *, echo: bool) -> Message:
    """Send ``turn`` streamed; with ``echo`` the text goes to stdout as it arrives.

    Ctrl-C propagates as KeyboardInterrupt after the stream is closed (its connection is
    dropped, so the server stops generating).
    """
    kwargs: dict[str, Any] = {}
    if turn.system:
        kwargs["system"] = turn.system
    with client.messages.stream(
        model=turn.model,
        max_tokens=turn.max_tokens,
        messages=turn.messages,
        api=api.value,
        **kwargs,
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
