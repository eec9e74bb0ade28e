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
import binascii
import io
import os
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, Final

from ._exceptions import ClientValidationError, DocumentLimitError

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
#: "For Claude 4 and subsequent versions, the 4.5 MB document size restriction doesn't apply
#: to PDF format" (Amazon Bedrock user guide, API restrictions: the catalogue's source
#: ``aws-api-restrictions``). Not in the catalogue data yet: the lead is told.
_PDF_SIZE_EXEMPT_FROM_MAJOR: Final = 4
_PAGE_CACHE_SIZE: Final = 256
#: Bodies whose strings add up to less than this are not compared with the catalogue's
#: size limit (25 MB, botocore's ``Body`` max): it saves a lookup on every small call.
_SIZE_FLOOR: Final = 1_000_000

PdfSource = str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO


class TextOnlyPdfWarning(UserWarning):
    """A Converse PDF without citations: Bedrock will read its text only, not its pages."""


def _limits() -> PdfLimits:
    from .catalog import Catalog

    return Catalog.default().pdf_limits


# -- page counting (pypdf), cached per base64 string -------------------------------------

_pages: OrderedDict[tuple[int, int, bool], int] = OrderedDict()
_pages_lock = threading.Lock()


def page_count(data: bytes) -> int:
    """Pages of a PDF, read by pypdf; ClientValidationError if it is not a readable PDF."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ClientValidationError(
                "This PDF is encrypted or password-protected; Claude reads standard PDFs "
                "only. Save an unprotected copy and send that."
            )
        return len(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ClientValidationError(
            f"This is not a readable PDF ({type(exc).__name__}: {exc}); Bedrock would "
            "answer 'The PDF specified was not valid.'"
        ) from None


def _cache_key(data: str | bytes) -> tuple[int, int, bool]:
    # str and bytes cache their hash: a document sent many times is hashed once, and no
    # reference to the (possibly large) data is kept.
    return (len(data), hash(data), isinstance(data, str))


def _remember(data: str | bytes, pages: int) -> None:
    with _pages_lock:
        _pages[_cache_key(data)] = pages
        while len(_pages) > _PAGE_CACHE_SIZE:
            _pages.popitem(last=False)


def _decode(encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ClientValidationError(
            "A PDF document's base64 data is not valid base64; build the block with "
            "claude_bedrock.documents.pdf(...)."
        ) from None


def cached_page_count(data: str | bytes) -> int:
    """Pages of a PDF given as base64 text (``str``) or raw ``bytes``, parsed once."""
    key = _cache_key(data)
    with _pages_lock:
        known = _pages.get(key)
    if known is not None:
        return known
    pages = page_count(_decode(data) if isinstance(data, str) else data)
    _remember(data, pages)
    return pages


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
    _remember(encoded, pages)
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
        raise _fail(
            "pages_per_document", pages, limits.max_pages,
            f"{where} has {pages} pages; Bedrock allows {limits.max_pages} PDF pages per "
            f"request ({pages - limits.max_pages} too many): split it into parts of at most "
            f"{limits.max_pages} pages and send them in separate requests.",
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
    total = 0
    for number, encoded in enumerate(pdfs, start=1):
        pages = cached_page_count(encoded)
        _check_pages(pages, limits, where=f"PDF document {number}")
        total += pages
        if total > limits.max_pages:
            raise _fail(
                "pages_per_request", total, limits.max_pages,
                f"The PDFs of this request have {total} pages up to document {number}; "
                f"Bedrock allows {limits.max_pages} PDF pages per request, all documents "
                f"together ({total - limits.max_pages} too many): send them in separate "
                "requests.",
            )  # fmt: skip


# -- Converse checks ----------------------------------------------------------------------


def check_converse_document_name(name: str) -> None:
    """Raise DocumentLimitError if Converse would refuse ``name`` as a document name."""
    limits = _limits()
    problem = limits.document_name_problem(name)
    if problem is not None:
        raise _fail(
            "document_name", len(name), limits.document_name_max_length,
            f"Converse document name {name!r} is refused: {problem}. Use a neutral name "
            "such as 'Quarterly report 3' (no file extension: the format goes in 'format').",
        )  # fmt: skip


def _converse_size(source: Mapping[str, Any]) -> int:
    data = source.get("bytes")
    if isinstance(data, bytes | bytearray | memoryview):
        return len(data)
    if isinstance(data, str):  # wire form: base64
        return len(data) * 3 // 4 - data[-2:].count("=")
    text_source = source.get("text")
    return len(text_source.encode()) if isinstance(text_source, str) else 0


def _converse_pdf_pages(source: Mapping[str, Any]) -> int:
    data = source.get("bytes")
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    return cached_page_count(data) if isinstance(data, str | bytes) else 0


def _pdf_size_exempt(model: ModelInfo | None) -> bool:
    if model is None:
        return False
    major = model.version.split(".", 1)[0]
    return major.isdigit() and int(major) >= _PDF_SIZE_EXEMPT_FROM_MAJOR


def _converse_documents(
    messages: Sequence[Mapping[str, Any]],
) -> Iterator[tuple[int, Mapping[str, Any], list[Any]]]:
    for index, message in enumerate(messages):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for item in content:
            if isinstance(item, Mapping) and isinstance(item.get("document"), Mapping):
                yield index, item["document"], content


def _check_converse_placement(
    name: str, document: Mapping[str, Any], role: object, content: list[Any], limits: PdfLimits
) -> None:
    fmt = document.get("format")
    if fmt is not None and fmt not in limits.document_formats:
        raise ClientValidationError(
            f"Converse document {name!r} has format {fmt!r}; Bedrock takes "
            f"{', '.join(limits.document_formats)}."
        )
    if role != "user":
        raise ClientValidationError(
            f"Converse document {name!r} is in a {role!r} message; documents may only be "
            "sent in 'user' messages."
        )
    if limits.converse_document_needs_text_block and not any(
        isinstance(c, Mapping) and "text" in c for c in content
    ):
        raise ClientValidationError(
            f"The message holding Converse document {name!r} has no text block; Bedrock "
            "requires one beside every document: add your question as text."
        )


def _check_converse_size(
    name: str, document: Mapping[str, Any], model: ModelInfo | None, limits: PdfLimits
) -> None:
    source = document.get("source")
    size = _converse_size(source if isinstance(source, Mapping) else {})
    exempt = document.get("format") == "pdf" and _pdf_size_exempt(model)
    if size > limits.converse_max_document_bytes and not exempt:
        raise _fail(
            "document_size", size, limits.converse_max_document_bytes,
            f"Converse document {name!r} is {size:,} bytes; Bedrock accepts at most "
            f"{limits.converse_max_document_bytes:,} bytes per document "
            f"({size - limits.converse_max_document_bytes:,} over): split or compress it.",
        )  # fmt: skip


def _converse_pdf_checked(
    name: str, document: Mapping[str, Any], total: int, limits: PdfLimits
) -> int:
    """Check one Converse PDF (pages, citations); the running page total after it."""
    source = document.get("source")
    pages = _converse_pdf_pages(source if isinstance(source, Mapping) else {})
    _check_pages(pages, limits, where=f"Converse document {name!r}")
    total += pages
    if total > limits.max_pages:
        raise _fail(
            "pages_per_request", total, limits.max_pages,
            f"The PDFs of this request have {total} pages up to {name!r}; Bedrock allows "
            f"{limits.max_pages} per request ({total - limits.max_pages} too many): split "
            "the request.",
        )  # fmt: skip
    citations = document.get("citations")
    enabled = isinstance(citations, Mapping) and citations.get("enabled") is True
    if limits.converse_visual_pdf_needs_citations and not enabled:
        warnings.warn(
            f"Converse PDF {name!r} has no citations: Bedrock will read its text only (no "
            "images, charts or layout). Set citations={'enabled': True} for full visual "
            "understanding.",
            TextOnlyPdfWarning,
            stacklevel=4,
        )
    return total


def check_converse_documents(
    messages: Sequence[Mapping[str, Any]], *, model: ModelInfo | None = None
) -> None:
    """Raise DocumentLimitError (or ClientValidationError) if Converse ``messages`` break a
    document rule: count, name, duplicates, format, role, text block, size, pages.

    ``model`` (the catalogue entry) lifts the per-document size limit for PDFs on Claude 4
    and later, as AWS documents. PDFs without citations warn (TextOnlyPdfWarning).
    """
    limits = _limits()
    names: set[str] = set()
    pages = 0
    for count, (index, document, content) in enumerate(_converse_documents(messages), 1):
        if count > limits.converse_max_documents:
            raise _fail(
                "documents_per_request", count, limits.converse_max_documents,
                f"Converse takes at most {limits.converse_max_documents} documents per "
                f"request; this one has at least {count}: send the rest in another request.",
            )  # fmt: skip
        name = document.get("name")
        if not isinstance(name, str):
            raise ClientValidationError(f"Converse document {count} needs a 'name' (a string).")
        check_converse_document_name(name)
        if name in names:
            raise _fail(
                "document_names_unique", 2, 1,
                f"Two Converse documents are named {name!r}; Bedrock refuses duplicate "
                "document names in a request: give each document its own name.",
            )  # fmt: skip
        names.add(name)
        _check_converse_placement(name, document, messages[index].get("role"), content, limits)
        _check_converse_size(name, document, model, limits)
        if document.get("format") == "pdf":
            pages = _converse_pdf_checked(name, document, pages, limits)
