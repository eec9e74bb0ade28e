"""Documents (PDF and plain text) for Claude on Bedrock: build the blocks, check the limits.

Building::

    from claude_bedrock import documents
    client.messages.create(..., messages=[{"role": "user", "content": [
        documents.pdf("report.pdf", title="Q3 report", citations=True),
        {"type": "text", "text": "Summarise the report."},
    ]}])

Checking: every limit is the catalogue's (``claude_bedrock.catalog.pdf_limits``, with
its sources), and a break raises :class:`~claude_bedrock.DocumentLimitError` naming the
limit, the figure and the excess, *before* anything is sent. Page counts come from pypdf.

* InvokeModel: :func:`check_invoke_documents` on the request body (Claude reads at most
  ``max_pages`` PDF pages per request; the body blob is at most ``invoke_max_body_bytes``).
  ``prepare()`` should call it so that every call path (create, stream, count_tokens,
  batches) is checked once.
* Converse: :func:`check_converse_documents` / :func:`check_converse_document_name` for the
  Converse request builder (documents per request, size per document, the name rules,
  duplicate names, the text block Bedrock requires beside a document). Converse reads a
  PDF *visually* only when citations are enabled; otherwise it extracts the text alone,
  so a PDF without citations gets a :class:`TextOnlyPdfWarning` (never a silent downgrade).
"""

from __future__ import annotations

import base64
import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, Final

from ._exceptions import ClientValidationError, DocumentLimitError
from .wire import pdf as _pdf
from .wire.rules import Rule, Violation
from .wire.rules.documents import (
    converse_document_violations,
    converse_documents,
    pdf_page_violations,
)

if TYPE_CHECKING:
    from .catalog import ModelInfo, PdfLimits

__all__ = [
    "PDF_MEDIA_TYPE",
    "TextOnlyPdfWarning",
    "check_converse_document_name",
    "check_converse_documents",
    "check_invoke_documents",
    "cached_page_count",
    "check_request_size",
    "converse_pdf",
    "page_count",
    "pdf",
    "text",
]

PDF_MEDIA_TYPE: Final = "application/pdf"
#: Bodies whose strings add up to less than this are not compared with the catalogue's
#: size limit (25 MB, botocore's ``Body`` max): it saves a lookup on every small call.
_SIZE_FLOOR: Final = 1_000_000

PdfSource = str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO


class TextOnlyPdfWarning(UserWarning):
    """A Converse PDF without citations: Bedrock will read its text only, not its pages."""


def _limits() -> PdfLimits:
    from .catalog import Catalog

    return Catalog.default().pdf_limits


# -- page counting: the wire layer's (pypdf, cached), its failures worded for the user ----


def _pdf_error(problem: str) -> ClientValidationError:
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


def page_count(data: bytes) -> int:
    """Pages of a PDF, read by pypdf; ClientValidationError if it is not a readable PDF."""
    try:
        return _pdf.page_count(data)
    except _pdf.PdfError as exc:
        raise _pdf_error(exc.problem) from None


def cached_page_count(data: str | bytes) -> int:
    """Pages of a PDF given as base64 text (``str``) or raw ``bytes``, parsed once."""
    try:
        return _pdf.cached_page_count(data)
    except _pdf.PdfError as exc:
        raise _pdf_error(exc.problem) from None


# -- building blocks ----------------------------------------------------------------------


def _read(source: PdfSource) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as handle:
            return handle.read()
    data = source.read()
    if not isinstance(data, bytes):
        raise TypeError("pdf() needs a path, bytes or a binary file object (opened with 'rb')")
    return data


def _decorate(
    block: dict[str, Any],
    title: str | None,
    context: str | None,
    citations: bool,
    cache_control: Mapping[str, Any] | bool | None,
) -> dict[str, Any]:
    if title is not None:
        block["title"] = title
    if context is not None:
        block["context"] = context
    if citations:
        block["citations"] = {"enabled": True}
    if cache_control is True:
        block["cache_control"] = {"type": "ephemeral"}
    elif isinstance(cache_control, Mapping):
        block["cache_control"] = dict(cache_control)
    return block


def pdf(
    source: PdfSource,
    *,
    title: str | None = None,
    context: str | None = None,
    citations: bool = False,
    cache_control: Mapping[str, Any] | bool | None = None,
) -> dict[str, Any]:
    """An InvokeModel ``document`` block holding a PDF (path, bytes or binary file object).

    The PDF is read and its pages counted now, so a PDF Bedrock would refuse fails here
    (DocumentLimitError, ClientValidationError) rather than after an upload.
    ``cache_control=True`` means ``{"type": "ephemeral"}``.
    """
    data = _read(source)
    pages = page_count(data)
    _check_pages(pages, _limits(), where="this PDF")
    encoded = base64.b64encode(data).decode("ascii")
    _pdf.remember(encoded, pages)
    block: dict[str, Any] = {
        "type": "document",
        "source": {"type": "base64", "media_type": PDF_MEDIA_TYPE, "data": encoded},
    }
    return _decorate(block, title, context, citations, cache_control)


def text(
    content: str,
    *,
    title: str | None = None,
    context: str | None = None,
    citations: bool = False,
    cache_control: Mapping[str, Any] | bool | None = None,
) -> dict[str, Any]:
    """An InvokeModel plain-text ``document`` block (citable like a PDF, no pages)."""
    if not isinstance(content, str):
        raise TypeError(f"text() takes a str, not {type(content).__name__}")
    block: dict[str, Any] = {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": content},
    }
    return _decorate(block, title, context, citations, cache_control)


def converse_pdf(
    source: PdfSource, *, name: str, citations: bool = True, context: str | None = None
) -> dict[str, Any]:
    """A Converse ``{"document": ...}`` content block (raw bytes, as boto3 takes them).

    Citations default to on: without them Converse reads the PDF's text only.
    """
    check_converse_document_name(name)
    data = _read(source)
    _check_pages(cached_page_count(data), _limits(), where="this PDF")
    document: dict[str, Any] = {"format": "pdf", "name": name, "source": {"bytes": data}}
    if context is not None:
        document["context"] = context
    if citations:
        document["citations"] = {"enabled": True}
    return {"document": document}


# -- InvokeModel checks -------------------------------------------------------------------


def _fail(limit: str, actual: float, maximum: float, message: str) -> DocumentLimitError:
    return DocumentLimitError(message, limit=limit, actual=actual, maximum=maximum)


def _check_pages(pages: int, limits: PdfLimits, *, where: str) -> None:
    if pages > limits.max_pages:
        raise _pages_error(pages, limits.max_pages, where)


def _pages_error(pages: int, max_pages: int, where: str) -> DocumentLimitError:
    return _fail(
        "pages_per_document", pages, max_pages,
        f"{where} has {pages} pages; Bedrock allows {max_pages} PDF pages per "
        f"request ({pages - max_pages} too many): split it into parts of at most "
        f"{max_pages} pages and send them in separate requests.",
    )  # fmt: skip


def _blocks(content: object) -> Iterator[Mapping[str, Any]]:
    """Content blocks of a message, including those nested in tool results."""
    if not isinstance(content, list):
        return
    for block in content:
        if isinstance(block, Mapping):
            yield block
            if block.get("type") == "tool_result":
                yield from _blocks(block.get("content"))


def _invoke_pdfs(body: Mapping[str, Any]) -> Iterator[str]:
    """The base64 data of every PDF document block, in prompt order."""
    for message in body.get("messages") or ():
        if not isinstance(message, Mapping):
            continue
        for block in _blocks(message.get("content")):
            source = block.get("source")
            if (
                block.get("type") == "document"
                and isinstance(source, Mapping)
                and source.get("type") == "base64"
                and isinstance(source.get("data"), str)
            ):
                yield source["data"]


def _size_lower_bound(value: object) -> int:
    """Bytes the JSON form of ``value`` needs at least: every string and key, once.

    A str of n characters encodes to at least n bytes; the punctuation is not counted, so
    the bound never exceeds the real size and the check never refuses what Bedrock takes.
    Exact-type tests first: this runs on every call and ABC checks cost more than the walk.
    """
    kind = type(value)
    if kind is str:
        return len(value)  # type: ignore[arg-type]
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        total = 0
        for key, item in value.items():  # type: ignore[attr-defined]
            total += len(key) + _size_lower_bound(item)
        return total
    if kind is list or kind is tuple:
        total = 0
        for item in value:  # type: ignore[attr-defined]
            total += _size_lower_bound(item)
        return total
    return len(value) if isinstance(value, str) else 1


def _size_error(size: int, limits: PdfLimits, *, exact: bool) -> DocumentLimitError:
    over = size - limits.invoke_max_body_bytes
    amount = f"{size:,} bytes" if exact else f"at least {size:,} bytes"
    return _fail(
        "request_size", size, limits.invoke_max_body_bytes,
        f"The request body is {amount}; InvokeModel accepts at most "
        f"{limits.invoke_max_body_bytes:,} bytes ({over:,} over): send fewer or smaller "
        "documents, or split them across requests.",
    )  # fmt: skip


def check_request_size(raw: bytes) -> None:
    """The exact body-size check, for a caller that holds the encoded body."""
    limits = _limits()
    if len(raw) > limits.invoke_max_body_bytes:
        raise _size_error(len(raw), limits, exact=True)


def check_invoke_documents(body: Mapping[str, Any]) -> None:
    """Raise DocumentLimitError if an InvokeModel body breaks a document limit.

    Checks the body size (a lower bound, see :func:`_size_lower_bound`), each PDF's pages
    and the pages of all PDFs together. Costs one walk of the body; PDFs already built by
    :func:`pdf` (or seen before) are not parsed again. Meant to be called by ``prepare()``.
    """
    size = _size_lower_bound(body)
    pdfs = list(_invoke_pdfs(body))
    if size <= _SIZE_FLOOR and not pdfs:
        return  # the common call: nothing to check, no catalogue lookup
    limits = _limits()
    if size > limits.invoke_max_body_bytes:
        raise _size_error(size, limits, exact=False)
    numbered = ((f"PDF document {n}", data) for n, data in enumerate(pdfs, start=1))
    for violation in pdf_page_violations(numbered, limits.max_pages):
        raise _invoke_error(violation)


def _invoke_error(violation: Violation) -> ClientValidationError:
    where, value, limit = violation.where, violation.value, violation.limit
    if violation.rule is Rule.PDF_INVALID:
        return _pdf_error(str(value))
    if violation.rule is Rule.PAGES_PER_DOCUMENT:
        return _pages_error(int(value or 0), int(limit or 0), str(where))
    return _fail(
        "pages_per_request", int(value or 0), int(limit or 0),
        f"The PDFs of this request have {value} pages up to document {violation.index}; "
        f"Bedrock allows {limit} PDF pages per request, all documents "
        f"together ({int(value or 0) - int(limit or 0)} too many): send them in separate "
        "requests.",
    )  # fmt: skip


# -- Converse checks ----------------------------------------------------------------------


def check_converse_document_name(name: str) -> None:
    """Raise DocumentLimitError if Converse would refuse ``name`` as a document name."""
    limits = _limits()
    if limits.document_name_problem(name) is not None:
        raise _name_error(name, limits)


def _name_error(name: str, limits: PdfLimits) -> DocumentLimitError:
    return _fail(
        "document_name", len(name), limits.document_name_max_length,
        f"Converse document name {name!r} is refused: {limits.document_name_problem(name)}. "
        "Use a neutral name such as 'Quarterly report 3' (no file extension: the format "
        "goes in 'format').",
    )  # fmt: skip


def check_converse_documents(
    messages: Sequence[Mapping[str, Any]], *, model: ModelInfo | None = None
) -> None:
    """Raise DocumentLimitError (or ClientValidationError) if Converse ``messages`` break a
    document rule: count, name, duplicates, format, role, text block, size, pages.

    ``model`` (the catalogue entry) lifts the per-document size limit for PDFs on Claude 4
    and later, as AWS documents. PDFs without citations warn (TextOnlyPdfWarning).
    """
    limits = _limits()
    version = model.version if model is not None else None
    for violation in converse_document_violations(messages, limits, model_version=version):
        raise _converse_error(violation, limits)
    if limits.converse_visual_pdf_needs_citations:
        for _message, document, _content in converse_documents(messages):
            _warn_text_only(document)


def _warn_text_only(document: Mapping[str, Any]) -> None:
    citations = document.get("citations")
    enabled = isinstance(citations, Mapping) and citations.get("enabled") is True
    if document.get("format") == "pdf" and not enabled:
        warnings.warn(
            f"Converse PDF {document.get('name')!r} has no citations: Bedrock will read its "
            "text only (no images, charts or layout). Set citations={'enabled': True} for "
            "full visual understanding.",
            TextOnlyPdfWarning,
            stacklevel=4,
        )


def _converse_error(v: Violation, limits: PdfLimits) -> ClientValidationError:
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
        return _name_error(str(value), limits)
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
        return _pdf_error(str(v.value))
    if v.rule is Rule.PAGES_PER_DOCUMENT:
        return _pages_error(amount, maximum, f"Converse document {name!r}")
    return _fail(
        "pages_per_request", amount, maximum,
        f"The PDFs of this request have {amount} pages up to {name!r}; Bedrock allows "
        f"{maximum} per request ({amount - maximum} too many): split "
        "the request.",
    )  # fmt: skip
