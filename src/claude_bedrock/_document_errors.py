"""What the user should do about a broken document rule: the client's wording of the wire
layer's neutral :class:`~claude_bedrock.wire.rules.Violation` values (see :mod:`..documents`).

Each error names the limit, the figure and the excess, and says what to change; a
:class:`~claude_bedrock.DocumentLimitError` carries them as attributes too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._exceptions import ClientValidationError, DocumentLimitError
from .wire import pdf as _pdf
from .wire.rules import Rule, Violation

if TYPE_CHECKING:
    from .catalog import PdfLimits

__all__ = [
    "converse_error",
    "invoke_error",
    "name_error",
    "pages_error",
    "pdf_error",
    "size_error",
]


def pdf_error(problem: str) -> ClientValidationError:
    if problem == _pdf.NOT_BASE64:
        return ClientValidationError(
            "A PDF document's base64 data is not valid base64; build the block with "
            "claude_bedrock.documents.pdf(...)."
        )
    if problem == _pdf.ENCRYPTED:
        return ClientValidationError(
            "This PDF is encrypted or password-protected; Claude reads standard PDFs "
            "only. Save an unprotected copy and send that."
        )
    return ClientValidationError(
        f"This is not a readable PDF ({problem}); Bedrock would "
        "answer 'The PDF specified was not valid.'"
    )


def _fail(limit: str, actual: float, maximum: float, message: str) -> DocumentLimitError:
    return DocumentLimitError(message, limit=limit, actual=actual, maximum=maximum)


def pages_error(pages: int, max_pages: int, where: str) -> DocumentLimitError:
    return _fail(
        "pages_per_document", pages, max_pages,
        f"{where} has {pages} pages; Bedrock allows {max_pages} PDF pages per "
        f"request ({pages - max_pages} too many): split it into parts of at most "
        f"{max_pages} pages and send them in separate requests.",
    )  # fmt: skip


def size_error(size: int, limits: PdfLimits, *, exact: bool) -> DocumentLimitError:
    over = size - limits.invoke_max_body_bytes
    amount = f"{size:,} bytes" if exact else f"at least {size:,} bytes"
    return _fail(
        "request_size", size, limits.invoke_max_body_bytes,
        f"The request body is {amount}; InvokeModel accepts at most "
        f"{limits.invoke_max_body_bytes:,} bytes ({over:,} over): send fewer or smaller "
        "documents, or split them across requests.",
    )  # fmt: skip


def invoke_error(violation: Violation) -> ClientValidationError:
    where, value, limit = violation.where, violation.value, violation.limit
    if violation.rule is Rule.PDF_INVALID:
        return pdf_error(str(value))
    if violation.rule is Rule.PAGES_PER_DOCUMENT:
        return pages_error(int(value or 0), int(limit or 0), str(where))
    return _fail(
        "pages_per_request", int(value or 0), int(limit or 0),
        f"The PDFs of this request have {value} pages up to document {violation.index}; "
        f"Bedrock allows {limit} PDF pages per request, all documents "
        f"together ({int(value or 0) - int(limit or 0)} too many): send them in separate "
        "requests.",
    )  # fmt: skip


def name_error(name: str, limits: PdfLimits) -> DocumentLimitError:
    return _fail(
        "document_name", len(name), limits.document_name_max_length,
        f"Converse document name {name!r} is refused: {limits.document_name_problem(name)}. "
        "Use a neutral name such as 'Quarterly report 3' (no file extension: the format "
        "goes in 'format').",
    )  # fmt: skip


def converse_error(v: Violation, limits: PdfLimits) -> ClientValidationError:
    """What the user should do about a broken Converse document rule."""
    name, value, limit = v.where, v.value, v.limit
    amount = value if isinstance(value, int) else 0
    maximum = limit if isinstance(limit, int) else 0
    if v.rule is Rule.DOCUMENTS_PER_REQUEST:
        return _fail(
            "documents_per_request", amount, maximum,
            f"Converse takes at most {maximum} documents per "
            f"request; this one has at least {amount}: send the rest in another request.",
        )  # fmt: skip
    if v.rule is Rule.DOCUMENT_NAME_MISSING:
        return ClientValidationError(f"Converse document {v.index} needs a 'name' (a string).")
    if v.rule is Rule.DOCUMENT_NAME:
        return name_error(str(value), limits)
    if v.rule is Rule.DOCUMENT_NAMES_UNIQUE:
        return _fail(
            "document_names_unique", 2, 1,
            f"Two Converse documents are named {name!r}; Bedrock refuses duplicate "
            "document names in a request: give each document its own name.",
        )  # fmt: skip
    if v.rule is Rule.DOCUMENT_FORMAT:
        return ClientValidationError(
            f"Converse document {name!r} has format {value!r}; Bedrock takes {limit}."
        )
    if v.rule is Rule.DOCUMENT_ROLE:
        return ClientValidationError(
            f"Converse document {name!r} is in a {value!r} message; documents may only be "
            "sent in 'user' messages."
        )
    if v.rule is Rule.DOCUMENT_TEXT_BLOCK:
        return ClientValidationError(
            f"The message holding Converse document {name!r} has no text block; Bedrock "
            "requires one beside every document: add your question as text."
        )
    return _converse_size_error(v, name, amount, maximum)


def _converse_size_error(
    v: Violation, name: str | None, amount: int, maximum: int
) -> ClientValidationError:
    if v.rule is Rule.DOCUMENT_SIZE:
        return _fail(
            "document_size", amount, maximum,
            f"Converse document {name!r} is {amount:,} bytes; Bedrock accepts at most "
            f"{maximum:,} bytes per document ({amount - maximum:,} over): split or compress it.",
        )  # fmt: skip
    if v.rule is Rule.PDF_INVALID:
        return pdf_error(str(v.value))
    if v.rule is Rule.PAGES_PER_DOCUMENT:
        return pages_error(amount, maximum, f"Converse document {name!r}")
    return _fail(
        "pages_per_request", amount, maximum,
        f"The PDFs of this request have {amount} pages up to {name!r}; Bedrock allows "
        f"{maximum} per request ({amount - maximum} too many): split "
        "the request.",
    )  # fmt: skip
