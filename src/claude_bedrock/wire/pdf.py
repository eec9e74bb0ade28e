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
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Final

__all__ = [
    "ENCRYPTED",
    "NOT_BASE64",
    "PdfError",
    "cached_page_count",
    "counting_up_to",
    "page_count",
    "remember",
]

NOT_BASE64: Final = "not-base64"
ENCRYPTED: Final = "encrypted"
_PAGE_CACHE_SIZE: Final = 256


class PdfError(ValueError):
    """Not a PDF Claude can read: ``problem`` is :data:`NOT_BASE64`, :data:`ENCRYPTED` or
    ``"<pypdf error class>: <its text>"``."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class _AtLeast(int):
    """A cached count that is only a lower bound (counting stopped past a limit)."""


_pages: OrderedDict[tuple[int, int, bool], int | PdfError] = OrderedDict()
_pages_lock = threading.Lock()


def page_count(data: bytes, *, limit: int | None = None) -> int:
    """Pages of a PDF, read by pypdf; :class:`PdfError` if it is not a readable PDF.

    With a ``limit``, counting stops past it: a larger document gives ``limit + 1`` (a
    lower bound) without its whole page tree being read (100,000 pages would cost seconds
    and hundreds of MB; the answer, "over the limit", needs only ``limit + 1`` of them).
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise PdfError(ENCRYPTED)
        if limit is not None and _more_pages_than(reader, limit):
            return limit + 1
        return len(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        if isinstance(exc, PdfError):
            raise
        raise PdfError(f"{type(exc).__name__}: {exc}") from None


def _more_pages_than(reader: object, limit: int) -> bool:
    """Whether the page tree has more than ``limit`` pages (or more than a tree of that many
    pages needs nodes): walked in order, without recursion, resolving only the nodes it
    reaches before the answer is known."""
    root = reader.trailer["/Root"].get_object()  # type: ignore[attr-defined]
    stack: list[Iterator[Any]] = [iter([root["/Pages"]])]
    seen: set[int] = set()
    leaves = nodes = 0
    while stack:
        kid = next(stack[-1], None)
        if kid is None:
            stack.pop()
            continue
        number = getattr(kid, "idnum", None)
        if number is not None:
            if number in seen:
                continue  # a cycle or a shared node: pypdf's own count decides
            seen.add(number)
        node = kid.get_object()
        nodes += 1
        if nodes > 4 * limit + 64:
            return True
        kids = node.get("/Kids")
        if node.get("/Type") == "/Page" or kids is None:
            leaves += 1
            if leaves > limit:
                return True
            continue
        stack.append(iter(kids.get_object()))
    return False


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


_COUNT_LIMIT: ContextVar[int | None] = ContextVar("claude_bedrock_pdf_count_limit", default=None)


@contextmanager
def counting_up_to(limit: int) -> Iterator[None]:
    """Within the block, :func:`cached_page_count` stops counting past ``limit``: for a
    checker that only asks whether the limit is crossed and must not read a huge page tree
    to learn it (the emulator). The client counts exactly, to quote the count."""
    token = _COUNT_LIMIT.set(limit)
    try:
        yield
    finally:
        _COUNT_LIMIT.reset(token)


def cached_page_count(data: str | bytes, *, limit: int | None = None) -> int:
    """Pages of a PDF given as base64 text (``str``) or raw ``bytes``, parsed once; with a
    ``limit`` (or inside :func:`counting_up_to`), ``limit + 1`` for any larger document
    (see :func:`page_count`)."""
    if limit is None:
        limit = _COUNT_LIMIT.get()
    key = _cache_key(data)
    with _pages_lock:
        known = _pages.get(key)
    if isinstance(known, PdfError):
        raise PdfError(known.problem)
    usable = not isinstance(known, _AtLeast) or (limit is not None and known > limit)
    if known is not None and usable:
        return int(known)
    try:
        pages = page_count(_decode(data) if isinstance(data, str) else data, limit=limit)
    except PdfError as exc:
        remember(data, exc)
        raise
    remember(data, _AtLeast(pages) if limit is not None and pages > limit else pages)
    return pages
