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

from ._document_errors import (
    converse_error,
    invoke_error,
    name_error,
    pages_error,
    pdf_error,
    size_error,
)
from .wire import pdf as _pdf
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


# -- page counting: the wire layer's (pypdf, cached), its failures worded for the user


def page_count(data: bytes) -> int:
    """Pages of a PDF, read by pypdf; ClientValidationError if it is not a readable PDF."""
    try:
        return _pdf.page_count(data)
    except _pdf.PdfError as exc:
        raise pdf_error(exc.problem) from None


def cached_page_count(data: str | bytes) -> int:
    """Pages of a PDF given as base64 text (``str``) or raw ``bytes``, parsed once."""
    try:
        return _pdf.cached_page_count(data)
    except _pdf.PdfError as exc:
        raise pdf_error(exc.problem) from None


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


def _check_pages(pages: int, limits: PdfLimits, *, where: str) -> None:
    if pages > limits.max_pages:
        raise pages_error(pages, limits.max_pages, where)


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


def check_request_size(raw: bytes) -> None:
    """The exact body-size check, for a caller that holds the encoded body."""
    limits = _limits()
    if len(raw) > limits.invoke_max_body_bytes:
        raise size_error(len(raw), limits, exact=True)


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
        raise size_error(size, limits, exact=False)
    numbered = ((f"PDF document {n}", data) for n, data in enumerate(pdfs, start=1))
    for violation in pdf_page_violations(numbered, limits.max_pages):
        raise invoke_error(violation)


# -- Converse checks ----------------------------------------------------------------------


def check_converse_document_name(name: str) -> None:
    """Raise DocumentLimitError if Converse would refuse ``name`` as a document name."""
    limits = _limits()
    if limits.document_name_problem(name) is not None:
        raise name_error(name, limits)


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
        raise converse_error(violation, limits)
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
