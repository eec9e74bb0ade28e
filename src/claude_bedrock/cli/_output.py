"""What every command shares about output: formats, exit codes, and how errors are told.

Exit codes (a contract for scripts; every command uses these and only these):

====  ===========================================================================
code  meaning
====  ===========================================================================
0     success (``doctor``: every check passed or was only a warning)
1     Bedrock answered with an error (throttled, validation, server fault...)
      or with a 200 that is not a valid Bedrock response (not JSON, a proxy's page)
      or, for ``doctor``, a check other than those below failed, or, for
      ``models --check``, the bundled catalogue and the live lists disagree
2     usage error: unknown option, bad value, unreadable file, a document over
      Bedrock's limits (nothing was sent)
3     credentials or configuration: none found, rejected by AWS (unknown key,
      wrong secret, expired token), unknown profile or region
4     model not available: unknown model ID, not offered in this region or
      geography, or access not granted to it
5     network: the endpoint could not be reached (DNS, refused, timeout)
130   interrupted (Ctrl-C)
====  ===========================================================================

Errors go to stderr as ``error: ...`` plus a ``fix: ...`` line; with ``--output json``
they go to stdout as ``{"error": {"code": ..., "type": ..., "message": ..., "fix": ...}}``
so a script reading stdout always gets JSON.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console, RenderableType

__all__ = [
    "BEDROCK_GUIDE",
    "age_text",
    "ExitCode",
    "Failure",
    "OutputFormat",
    "OutputOption",
    "classify",
    "err_console",
    "fail",
    "failing_on_errors",
    "is_library_error",
    "out_console",
    "print_fitting",
    "print_json",
    "tell",
]


#: Anthropic's guide to Claude on Amazon Bedrock (InvokeModel and Converse): the set-up
#: ``doctor`` checks and the logging advice come from it.
BEDROCK_GUIDE = (
    "https://platform.claude.com/docs/en/build-with-claude/claude-on-amazon-bedrock-legacy"
)


class ExitCode(IntEnum):
    """The documented exit codes (see the module docstring)."""

    OK = 0
    API_ERROR = 1
    USAGE = 2
    CREDENTIALS = 3
    MODEL = 4
    NETWORK = 5
    INTERRUPTED = 130


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


#: ``--output/-o text|json``; ``CLAUDE_BEDROCK_OUTPUT`` sets the default for a whole script.
OutputOption = Annotated[
    OutputFormat,
    typer.Option(
        "--output",
        "-o",
        envvar="CLAUDE_BEDROCK_OUTPUT",
        case_sensitive=False,
        help="text for people, json for scripts (errors too go to stdout as JSON).",
    ),
]

_consoles: dict[str, Console] = {}


def out_console() -> Console:
    """The stdout console (created on first use: importing rich costs ~30 ms)."""
    return _console("out", stderr=False)


def err_console() -> Console:
    """The stderr console, for progress, usage and errors."""
    return _console("err", stderr=True)


def _console(name: str, *, stderr: bool) -> Console:
    console = _consoles.get(name)
    if console is None:
        from rich.console import Console

        console = Console(stderr=stderr, highlight=False, soft_wrap=True)
        _consoles[name] = console
    return console


def print_fitting(
    console: Console, wide: RenderableType, narrow: Callable[[], RenderableType]
) -> None:
    """Print ``wide`` (a table whose cells do not wrap) if it fits the console whole, else
    ``narrow()``. A table squeezed below its minimum width is what collapses
    columns to nothing on an 80-column terminal or a pipe (rich gives a pipe 80 columns
    unless ``COLUMNS`` says otherwise); a record layout stays legible there."""
    from rich.measure import Measurement

    # Every cell is no_wrap: the widest rendering is the one that cuts nothing.
    needed = Measurement.get(console, console.options.update(width=10_000), wide).maximum
    console.print(wide if needed <= console.width else narrow(), soft_wrap=False)


def age_text(seconds: float) -> str:
    """``"3 min"``, ``"5 h"``, ``"2 days"``: how old something is, for people."""
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{int(seconds)} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} days"


def print_json(data: Any) -> None:
    """One JSON document on stdout (plain write: no rich markup or wrapping)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


@dataclass(frozen=True)
class Failure:
    """An error as the CLI tells it: what went wrong, what to do, and the exit code."""

    code: ExitCode
    kind: str
    message: str
    fix: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"code": int(self.code), "type": self.kind, "message": self.message,
                "fix": self.fix}  # fmt: skip


def fail(failure: Failure, output: OutputFormat = OutputFormat.text) -> NoReturn:
    """Tell ``failure`` (stderr, or stdout as JSON) and exit with its code."""
    if output is OutputFormat.json:
        print_json({"error": failure.as_dict()})
    else:
        tell(failure)
    raise typer.Exit(int(failure.code))


def fail_usage(output: OutputFormat, kind: str, message: str, fix: str | None = None) -> NoReturn:
    """Refuse what the command was given (exit code 2): every command says it the same way."""
    fail(Failure(ExitCode.USAGE, kind, message, fix), output)


def tell(failure: Failure) -> None:
    """``error: ...`` and ``fix: ...`` on stderr, without exiting (``chat`` goes on)."""
    console = err_console()
    console.print(f"[bold red]error:[/] {_escape(failure.message)}")
    if failure.fix:
        console.print(f"[bold]fix:[/] {_escape(failure.fix)}")


@contextmanager
def failing_on_errors(output: OutputFormat = OutputFormat.text) -> Iterator[None]:
    """Turn an error this package raises into its :class:`Failure` and exit; let any other
    exception (a bug) surface with its traceback."""
    try:
        yield
    except Exception as exc:
        if not is_library_error(exc):
            raise
        fail(classify(exc), output)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


# -- exception -> Failure -------------------------------------------------------------------


def is_library_error(exc: BaseException) -> bool:
    """Errors this package raises on purpose (anything else is a bug: let it surface)."""
    from .._exceptions import AnthropicError

    return isinstance(exc, AnthropicError)


_DOCTOR = "Run `claude-bedrock doctor` to check the whole set-up."
#: The fix for a 200 that is not Bedrock's answer (exit 1: the endpoint answered, wrongly).
_NOT_BEDROCK = (
    "The endpoint answered, but not as Bedrock does: check --endpoint-url / AWS_ENDPOINT_URL "
    "(a proxy or another service may be answering); retry if it was a passing fault."
)
_BAD_KEY_TYPES = {
    "UnrecognizedClientException": (
        "AWS does not know this access key ID. Check AWS_ACCESS_KEY_ID or the profile in "
        "~/.aws/credentials (`aws configure list`), or create a new key in IAM."
    ),
    "InvalidSignatureException": (
        "The secret key does not match the access key ID (or the clock is off by more than "
        "5 minutes). Check AWS_SECRET_ACCESS_KEY or the profile's aws_secret_access_key."
    ),
    "ExpiredTokenException": (
        "The temporary credentials have expired. Renew them (`aws sso login`, or assume "
        "the role again) and retry."
    ),
    "IncompleteSignatureException": (
        "The request was not signed correctly. Check that AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY are both set."
    ),
    "MissingAuthenticationTokenException": "Set AWS credentials. " + _DOCTOR,
}


def classify(exc: BaseException) -> Failure:
    """The exit code, message and fix for any error this package raises."""
    from .. import _exceptions as errors
    from .._s3_errors import S3Error
    from ..catalog import RegionError

    if isinstance(exc, errors.CredentialsError):
        return Failure(ExitCode.CREDENTIALS, "CredentialsError", str(exc), _DOCTOR)
    if isinstance(exc, RegionError):
        return Failure(
            ExitCode.CREDENTIALS,
            "RegionError",
            str(exc),
            "Pass --region (or set AWS_REGION) to a Region Bedrock serves Claude in.",
        )
    if isinstance(exc, errors.InvalidModelError | errors.ModelNotAvailableError):
        return _model_failure(exc)
    if isinstance(exc, errors.ContextWindowError):
        return Failure(
            ExitCode.USAGE,
            "ContextWindowError",
            str(exc),
            "Shorten the input or --max-tokens, or use a model with a native 1M-token window: "
            f"{_context_1m_models()}.",
        )
    if isinstance(exc, S3Error):
        return _s3_failure(exc)
    if isinstance(exc, errors.ClientValidationError):
        return Failure(ExitCode.USAGE, type(exc).__name__, str(exc))
    if isinstance(exc, errors.APIConnectionError):
        return _connection_failure(exc)
    if isinstance(exc, errors.APIStatusError):
        return _status_failure(exc)
    if isinstance(exc, errors.APIResponseValidationError):
        return Failure(ExitCode.API_ERROR, "APIResponseValidationError", str(exc), _NOT_BEDROCK)
    if isinstance(exc, errors.APIError):
        return Failure(ExitCode.API_ERROR, type(exc).__name__, str(exc))
    return Failure(ExitCode.API_ERROR, type(exc).__name__, str(exc) or type(exc).__name__)


def _context_1m_models() -> str:
    """The catalogue's current models with a 1M-token window: "A, B or C"."""
    from ..catalog import Catalog

    names = [m.name for m in Catalog.default().context_1m_models()]
    if not names:
        return "a model that offers it (see `claude-bedrock models`)"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _s3_failure(exc: Any) -> Failure:
    """S3 errors (batches, logs): refused is credentials, no bucket is usage, else the
    network (no answer) or an API error."""
    from .._s3_errors import S3AccessDeniedError, S3BucketNotFoundError

    kind = type(exc).__name__
    if isinstance(exc, S3AccessDeniedError):
        return Failure(ExitCode.CREDENTIALS, kind, str(exc))
    if isinstance(exc, S3BucketNotFoundError):
        return Failure(ExitCode.USAGE, kind, str(exc))
    return Failure(ExitCode.NETWORK if exc.code is None else ExitCode.API_ERROR, kind, str(exc))


def _model_failure(exc: Exception) -> Failure:
    suggestion = getattr(exc, "suggestion", None)
    suggestions = getattr(exc, "suggestions", None) or []
    if suggestion:
        fix = f"Use --model {suggestion}."
    elif suggestions:
        fix = "Did you mean: " + ", ".join(suggestions[:3]) + "?"
    else:
        fix = "See the models offered in your Region with `claude-bedrock models`."
    return Failure(ExitCode.MODEL, type(exc).__name__, str(exc), fix)


def _connection_failure(exc: Exception) -> Failure:
    url = ""
    request = getattr(exc, "request", None)
    if request is not None:
        url = f" ({request.url.scheme}://{request.url.netloc.decode()})"
    return Failure(
        ExitCode.NETWORK,
        type(exc).__name__,
        f"{exc}{url}",
        "Check the endpoint (--endpoint-url, AWS_ENDPOINT_URL) and your network; for the "
        "local emulator, start it with `claude-bedrock serve`.",
    )


def _status_failure(exc: Any) -> Failure:
    error_type = exc.error_type or type(exc).__name__
    message = str(exc)
    lowered = exc.message.lower()
    if error_type in _BAD_KEY_TYPES:
        return Failure(ExitCode.CREDENTIALS, error_type, message, _BAD_KEY_TYPES[error_type])
    if error_type == "AccessDeniedException":
        if "model" in lowered:
            return Failure(
                ExitCode.MODEL,
                error_type,
                message,
                "Request access to this model: AWS Console > Bedrock > Model access "
                "(availability varies by Region).",
            )
        return Failure(
            ExitCode.CREDENTIALS,
            error_type,
            message,
            "Your identity is not allowed to call Bedrock here: check its IAM policy "
            "(bedrock:InvokeModel*) or the API key. " + _DOCTOR,
        )
    if error_type == "ResourceNotFoundException" or (
        error_type == "ValidationException" and "model identifier" in lowered
    ):
        return _model_failure(exc)
    if error_type in ("ThrottlingException", "ServiceQuotaExceededException"):
        return Failure(
            ExitCode.API_ERROR, error_type, message, "Wait a little and retry, or ask AWS "
            "for a higher quota (Service Quotas > Amazon Bedrock)."
        )  # fmt: skip
    return Failure(ExitCode.API_ERROR, error_type, message)
