"""PDF page counting, shared by the client (checks before sending) and the emulator (checks
on arrival): pypdf reads the document once, and the count (or the reason it cannot be
read) is cached per base64 string, so a check repeated later (the emulator counts off its
event loop first, then again in the handler) costs a lookup.

Failures are a neutral :class:`PdfError` whose ``problem`` says what is wrong
(``"not-base64"``, ``"encrypted"`` or pypdf's own error); each side words it.
"""

from __future__ import annotations

import base64
import binascii
import io
import threading
from collections import OrderedDict
from typing import Final

__all__ = ["ENCRYPTED", "NOT_BASE64", "PdfError", "cached_page_count", "page_count", "remember"]

NOT_BASE64: Final = "not-base64"
ENCRYPTED: Final = "encrypted"
_PAGE_CACHE_SIZE: Final = 256


class PdfError(ValueError):
    """Not a PDF Claude can read: ``problem`` is :data:`NOT_BASE64`, :data:`ENCRYPTED` or
    ``"<pypdf error class>: <its text>"``."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


_pages: OrderedDict[tuple[int, int, bool], int | PdfError] = OrderedDict()
_pages_lock = threading.Lock()


def page_count(data: bytes) -> int:
    """Pages of a PDF, read by pypdf; :class:`PdfError` if it is not a readable PDF."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise PdfError(ENCRYPTED)
        return len(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        if isinstance(exc, PdfError):
            raise
        raise PdfError(f"{type(exc).__name__}: {exc}") from None


def _cache_key(data: str | bytes) -> tuple[int, int, bool]:
    # str and bytes cache their hash: a document sent many times is hashed once, and no
    # reference to the (possibly large) data is kept.
    return (len(data), hash(data), isinstance(data, str))


def remember(data: str | bytes, pages: int | PdfError) -> None:
    """Record the page count of ``data`` (e.g. a PDF just built and encoded), or why it
    cannot be read."""
    with _pages_lock:
        _pages[_cache_key(data)] = pages
        while len(_pages) > _PAGE_CACHE_SIZE:
            _pages.popitem(last=False)


def _decode(encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise PdfError(NOT_BASE64) from None


def cached_page_count(data: str | bytes) -> int:
    """Pages of a PDF given as base64 text (``str``) or raw ``bytes``, parsed once."""
    key = _cache_key(data)
    with _pages_lock:
        known = _pages.get(key)
    if isinstance(known, PdfError):
        raise PdfError(known.problem)
    if known is not None:
        return known
    try:
        pages = page_count(_decode(data) if isinstance(data, str) else data)
    except PdfError as exc:
        remember(data, exc)
        raise
    remember(data, pages)
    return pages
