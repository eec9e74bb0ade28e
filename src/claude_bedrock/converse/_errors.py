"""What the Converse translation raises or warns about, before anything is sent."""

from __future__ import annotations

from .._exceptions import ClientValidationError

# One class for the whole package: the document helpers warn with it too.
from ..documents import TextOnlyPdfWarning

__all__ = ["ConverseRequestError", "ConverseTranslationError", "TextOnlyPdfWarning"]


class ConverseTranslationError(ClientValidationError):
    """A field has no equivalent on the other side, so translating it would change the call.

    ``field`` is the path of the offending value (``messages.0.content.2.source.type``),
    so a program can tell which part of its request to change; the message says what to
    do instead (often: send it with ``api="invoke"``).
    """

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class ConverseRequestError(ClientValidationError):
    """A Converse request does not fit botocore's shapes for it (unknown or missing field,
    bad value), so Bedrock would refuse it, or worse, ignore a misspelt field.

    ``problems`` lists every problem found (up to ten), in Bedrock's wording.
    """

    def __init__(self, problems: list[str]) -> None:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")
        self.problems = problems
