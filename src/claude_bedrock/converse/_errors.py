"""What the Converse translation raises or warns about, before anything is sent.

The neutral layer (:mod:`claude_bedrock.wire.converse`) says which rule a value breaks
and where; here that becomes a :class:`ClientValidationError` that also says what to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from .._exceptions import ClientValidationError

# One class for the whole package: the document helpers warn with it too.
from ..documents import TextOnlyPdfWarning
from ..wire import converse as wire
from ..wire.converse import Violation

__all__ = ["ConverseRequestError", "ConverseTranslationError", "TextOnlyPdfWarning", "translated"]

_INVOKE: Final = '; send this call with api="invoke"'
#: What to do, by rule broken, appended to the neutral description.
ADVICE: Final[dict[str, str]] = {
    "unsupported_field": _INVOKE,
    "unsupported_block": _INVOKE,
    "server_tool": _INVOKE
    + ', or pass them to converse.create in additionalModelRequestFields={"tools": [...]}',
    "parallel_tool_use": '; use api="invoke"',
    "tool_choice_none": '; leave the tools out of this call, or use api="invoke"',
    "image_source": "; send the bytes as base64",
    "cache_in_tool_result": "; put it on the tool_result block itself",
}


class ConverseTranslationError(ClientValidationError):
    """A field has no equivalent on the other side, so translating it would change the call.

    ``field`` is the path of the offending value (``messages.0.content.2.source.type``),
    so a program can tell which part of its request to change; the message says what to
    do instead (often: send it with ``api="invoke"``). ``violation`` is the neutral
    :class:`~claude_bedrock.wire.converse.Violation` (rule, field, value, limit) when the
    translation found it.
    """

    def __init__(self, message: str, *, field: str, violation: Violation | None = None) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.violation = violation

    @classmethod
    def from_wire(cls, error: wire.ConverseTranslationError) -> ConverseTranslationError:
        """The client's error for a neutral one: its description plus the advice."""
        advice = ADVICE.get(error.violation.rule, "")
        return cls(error.detail + advice, field=error.field, violation=error.violation)


@contextmanager
def translated() -> Iterator[None]:
    """Re-raise the neutral layer's translation errors as :class:`ConverseTranslationError`."""
    try:
        yield
    except wire.ConverseTranslationError as exc:
        raise ConverseTranslationError.from_wire(exc) from None


class ConverseRequestError(ClientValidationError):
    """A Converse request does not fit botocore's shapes for it (unknown or missing field,
    bad value), so Bedrock would refuse it, or worse, ignore a misspelt field.

    ``problems`` lists every problem found (up to ten), in Bedrock's wording.
    """

    def __init__(self, problems: list[str]) -> None:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")
        self.problems = problems
