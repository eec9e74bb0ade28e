"""Bedrock's document rules (PDF and text documents), for InvokeModel and Converse.

The limits are the caller's (the catalogue's ``pdf_limits``, through
:class:`DocumentLimits`); the rules only compare. Violations come lazily, in the order
Bedrock's checks meet them, so a caller takes the first one it cares about.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final, Protocol

from ..pdf import PdfError, cached_page_count
from . import Rule, Violation

__all__ = [
    "PDF_SIZE_EXEMPT_FROM_MAJOR",
    "DocumentLimits",
    "DocumentNameLimits",
    "converse_document_violations",
    "converse_documents",
    "converse_size",
    "document_name_problem",
    "pdf_page_violations",
    "pdf_size_exempt",
]

#: "For Claude 4 and subsequent versions, the 4.5 MB document size restriction doesn't apply
#: to PDF format" (Amazon Bedrock user guide, Converse API restrictions:
#: https://docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference-call.html).
PDF_SIZE_EXEMPT_FROM_MAJOR: Final = 4


class DocumentNameLimits(Protocol):
    """Converse's rule for document names, as data (the catalogue's ``pdf_limits`` is one)."""

    @property
    def document_name_min_length(self) -> int: ...
    @property
    def document_name_max_length(self) -> int: ...
    @property
    def document_name_pattern(self) -> str: ...
    @property
    def document_name_rule(self) -> str: ...


def document_name_problem(name: object, limits: DocumentNameLimits) -> str | None:
    """Why Converse would refuse ``name`` as a document name under ``limits`` (None if fine).

    The one copy of the rule: the limits are data passed in (the catalogue's ``pdf_limits``),
    so the client, its document checks, the Converse translation and the emulator all apply
    it without this layer reading them.
    """
    if not isinstance(name, str):
        return "a document name must be a string"
    low, high = limits.document_name_min_length, limits.document_name_max_length
    if not low <= len(name) <= high:
        return f"a document name must have {low} to {high} characters (this one has {len(name)})"
    if re.fullmatch(limits.document_name_pattern, name) is None:
        return f"a document name may only contain {limits.document_name_rule}: got {name!r}"
    return None


class DocumentLimits(DocumentNameLimits, Protocol):
    """The document limits a rule needs (the catalogue's ``PdfLimits`` has them)."""

    @property
    def max_pages(self) -> int: ...
    @property
    def converse_max_documents(self) -> int: ...
    @property
    def converse_max_document_bytes(self) -> int: ...
    @property
    def converse_document_needs_text_block(self) -> bool: ...
    @property
    def document_formats(self) -> tuple[str, ...]: ...


def pdf_size_exempt(model_version: str | None) -> bool:
    """Whether a Converse PDF for this model version escapes the per-document size limit."""
    major = (model_version or "").split(".", 1)[0]
    return major.isdigit() and int(major) >= PDF_SIZE_EXEMPT_FROM_MAJOR


def pdf_page_violations(
    pdfs: Iterable[tuple[str, str | bytes]], max_pages: int, *, total: int = 0
) -> Iterator[Violation]:
    """Page rules over ``(where, data)`` PDFs in prompt order (base64 text or raw bytes).

    Yields :data:`Rule.PDF_INVALID` (``value`` is the :class:`~..pdf.PdfError` problem),
    :data:`Rule.PAGES_PER_DOCUMENT` and :data:`Rule.PAGES_PER_REQUEST` (all PDFs together,
    starting from ``total``).
    """
    for number, (where, data) in enumerate(pdfs, start=1):
        try:
            pages = cached_page_count(data)
        except PdfError as exc:
            yield Violation(Rule.PDF_INVALID, None, exc.problem, where, number)
            continue
        if pages > max_pages:
            yield Violation(Rule.PAGES_PER_DOCUMENT, max_pages, pages, where, number)
        total += pages
        if total > max_pages:
            yield Violation(Rule.PAGES_PER_REQUEST, max_pages, total, where, number)


# -- Converse -----------------------------------------------------------------------------


def converse_documents(
    messages: Sequence[Any],
) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any], list[Any]]]:
    """Every ``(message, document, message content)`` of Converse ``messages``, in order."""
    for message in messages:
        content = message.get("content") if isinstance(message, Mapping) else None
        if not isinstance(content, list):
            continue
        for item in content:
            if isinstance(item, Mapping) and isinstance(item.get("document"), Mapping):
                yield message, item["document"], content


def converse_size(source: object) -> int:
    """Bytes of a Converse document source: raw ``bytes``, base64 text (the wire form) or
    a ``text`` source."""
    if not isinstance(source, Mapping):
        return 0
    data = source.get("bytes")
    if isinstance(data, bytes | bytearray | memoryview):
        return len(data)
    if isinstance(data, str):
        return len(data) * 3 // 4 - data[-2:].count("=")
    text = source.get("text")
    return len(text.encode()) if isinstance(text, str) else 0


def _pdf_data(source: object) -> str | bytes | None:
    data = source.get("bytes") if isinstance(source, Mapping) else None
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    return data if isinstance(data, str | bytes) else None


def converse_document_violations(
    messages: Sequence[Any], limits: DocumentLimits, *, model_version: str | None = None
) -> Iterator[Violation]:
    """Converse's document rules, document by document: count, name, duplicate names,
    format, role, text block, size (PDFs exempt from Claude 4 on), pages."""
    names: set[str] = set()
    pages = 0
    for count, (message, document, content) in enumerate(converse_documents(messages), 1):
        if count > limits.converse_max_documents:
            yield Violation(Rule.DOCUMENTS_PER_REQUEST, limits.converse_max_documents, count)
        name = document.get("name")
        if not isinstance(name, str):
            yield Violation(Rule.DOCUMENT_NAME_MISSING, index=count)
            continue
        if document_name_problem(name, limits) is not None:
            yield Violation(Rule.DOCUMENT_NAME, limits.document_name_max_length, name, name)
        if name in names:
            yield Violation(Rule.DOCUMENT_NAMES_UNIQUE, 1, 2, name, count)
        names.add(name)
        yield from _placement(name, document, message.get("role"), content, limits)
        size = converse_size(document.get("source"))
        is_pdf = document.get("format") == "pdf"
        if size > limits.converse_max_document_bytes and not (
            is_pdf and pdf_size_exempt(model_version)
        ):
            yield Violation(Rule.DOCUMENT_SIZE, limits.converse_max_document_bytes, size, name)
        data = _pdf_data(document.get("source")) if is_pdf else None
        if data is not None:
            yield from pdf_page_violations([(name, data)], limits.max_pages, total=pages)
            pages += _pages_or_zero(data)


def _pages_or_zero(data: str | bytes) -> int:
    try:
        return cached_page_count(data)  # cached: counted just before
    except PdfError:
        return 0


def _placement(
    name: str, document: Mapping[str, Any], role: object, content: list[Any], limits: DocumentLimits
) -> Iterator[Violation]:
    fmt = document.get("format")
    if fmt is not None and fmt not in limits.document_formats:
        yield Violation(Rule.DOCUMENT_FORMAT, ", ".join(limits.document_formats), str(fmt), name)
    if role != "user":
        yield Violation(Rule.DOCUMENT_ROLE, "user", str(role), name)
    if limits.converse_document_needs_text_block and not any(
        isinstance(c, Mapping) and "text" in c for c in content
    ):
        yield Violation(Rule.DOCUMENT_TEXT_BLOCK, None, None, name)
