"""What the Converse translation raises or warns about, before anything is sent."""

from __future__ import annotations

from .._exceptions import ClientValidationError

__all__ = ["ConverseTranslationError", "TextOnlyPdfWarning"]


class ConverseTranslationError(ClientValidationError):
    """A field has no equivalent on the other side, so translating it would change the call.

    ``field`` is the path of the offending value (``messages.0.content.2.source.type``),
    so a program can tell which part of its request to change; the message says what to
    do instead (often: send it with ``api="invoke"``).
    """

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class TextOnlyPdfWarning(UserWarning):
    """A PDF goes over Converse without citations: Claude only gets its extracted text.

    Bedrock's Converse API gives Claude the page images of a PDF (charts, tables, scans)
    only when the document has ``citations: {"enabled": true}``; otherwise it passes the
    text layer alone. InvokeModel always sends the full PDF. We warn rather than turn
    citations on ourselves, because citations change the shape of the answer (text split
    into cited blocks); pass ``pdf_citations="enable"`` to ``to_converse`` to opt in.
    """
