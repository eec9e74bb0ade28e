"""PDFs and text documents in the emulator: accept them, enforce the limits, read them.

A middleware checks the documents of InvokeModel, InvokeModelWithResponseStream, Converse
and ConverseStream requests before their handlers run, and rejects what Bedrock rejects
with Bedrock's wording:

* InvokeModel (Claude's own checks, passed through by Bedrock as a ValidationException):
  ``messages.{i}.content.{j}.pdf.source.base64.data: The PDF specified was not valid.`` and
  ``...: A maximum of 100 PDF pages may be provided.`` (the page limit is the catalogue's,
  per request, all PDFs together);
* Converse (Bedrock's own checks): "You can't include more than 5 documents in a
  request.", "Messages can't contain duplicate document names." and the document-name rule
  message, as reported by users of the real service; the size and text-block rules
  have no published wording, so theirs is ours, built from the service model's text.

:func:`document_text` extracts a document's text (pypdf for PDFs, cached) so an engine can
quote it: the proof, in tests, that a PDF arrived intact. The body is parsed here only
when it mentions ``"document"``, so other requests pay one substring search.

**Off the event loop, within budgets.** Reading a PDF is CPU work that a few KB can make
long (a page whose content stream inflates to megabytes; a file of 100,000 pages). The
middleware runs the checks and the text extraction in a worker thread, so other requests
are answered meanwhile, and warms the caches the handlers and the engine then read (the
Messages API routes and CountTokens, whose InvokeModel body is base64, check their
documents themselves, from the warmed page counts). The
page count is taken before any text is extracted, so a file over the page limit is refused
without extraction. Extraction reads pages in order until :data:`EXTRACT_BYTES` of
decoded page content or :data:`EXTRACT_SECONDS` are spent (the emulator's budgets, not
Bedrock's); the text of the pages not read is replaced by a marker that says so.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import io
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

from ..catalog import Catalog, ModelInfo, PdfLimits
from ..wire.pdf import cached_page_count, counting_up_to
from ..wire.rules import Rule, Violation
from ..wire.rules.documents import converse_document_violations, pdf_page_violations
from ..wire.rules.request_rules import load_rules
from . import json_body
from .errors import BedrockError, validation_error

if TYPE_CHECKING:  # engines import this module: no import of the app at run time
    from .app import EmulatorApp
    from .http_types import AnyResponse, Request
    from .routing import Handler

__all__ = ["check_invoke_documents", "check_converse_documents", "document_text", "register"]

_INVOKE_OPERATIONS: Final = frozenset({"InvokeModel", "InvokeModelWithResponseStream"})
_CONVERSE_OPERATIONS: Final = frozenset({"Converse", "ConverseStream"})
_MARKER: Final = b'"document"'
_CONVERSE_NAME_MESSAGE: Final = (
    "The document file name can only contain alphanumeric characters, whitespace characters, "
    "hyphens, parentheses, and square brackets. The name can't contain more than one "
    "consecutive whitespace character. Check that the file name conforms to these "
    "restrictions and retry your request."
)
_TEXT_CACHE_SIZE: Final = 64
_MESSAGES_OPERATIONS: Final = frozenset({"CreateMessage", "CountMessageTokens"})
_INVOKE_MEMBER: Final = b'"invokeModel"'
#: Decoded page content (bytes of content streams) text extraction reads per PDF.
EXTRACT_BYTES: Final = 512_000
#: Seconds text extraction may take per PDF (checked between pages).
EXTRACT_SECONDS: Final = 2.0


def register(app: EmulatorApp) -> None:
    """Install the document checks (a middleware after authentication)."""
    app.add_middleware(_documents_middleware)


async def _documents_middleware(request: Request, call_next: Handler) -> AnyResponse:
    operation = request.operation
    if operation == "CountTokens" and (_MARKER in request.body or _INVOKE_MEMBER in request.body):
        try:
            body = request.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            model_id = request.path_params.get("modelId", "")
            await asyncio.to_thread(_warm_count_tokens, body, model_id)
    elif (
        operation in _INVOKE_OPERATIONS
        or operation in _CONVERSE_OPERATIONS
        or operation in _MESSAGES_OPERATIONS
    ) and _MARKER in request.body:
        try:
            body = request.json()
        except ValueError:
            body = None  # the handler reports malformed JSON in Bedrock's words
        if isinstance(body, dict):
            model_id = request.path_params.get("modelId", "")
            await asyncio.to_thread(_check_and_read, operation or "", body, model_id)
    return await call_next(request)


def _check_and_read(operation: str, body: Mapping[str, Any], model_id: str) -> None:
    """The document checks of ``operation``, then every document's text into the cache (in
    a worker thread: see the module docstring)."""
    if operation in _CONVERSE_OPERATIONS:
        check_converse_documents(body, Catalog.default().identify(model_id))
        blocks = list(_converse_blocks(body))
    else:
        try:
            check_invoke_documents(body)
        except BedrockError:
            if operation in _INVOKE_OPERATIONS:
                raise
            return  # the Messages API handler words its own refusal (from the warm cache)
        blocks = [block for _, block in _invoke_documents(body)]
    for block in blocks:
        document_text(block)


def _warm_count_tokens(body: Mapping[str, Any], model_id: str) -> None:
    """Count the pages of a CountTokens request's PDFs (its InvokeModel body is base64, so
    the marker is not visible outside) into the cache the handler's own checks then read;
    the handler words any refusal."""
    member = body.get("input")
    if not isinstance(member, Mapping):
        return
    invoke, converse = member.get("invokeModel"), member.get("converse")
    try:
        if isinstance(invoke, Mapping) and isinstance(invoke.get("body"), str):
            raw = base64.b64decode(invoke["body"], validate=True)
            inner = json_body.loads(raw) if _MARKER in raw else None
            if isinstance(inner, dict):
                check_invoke_documents(inner)
        elif isinstance(converse, Mapping):
            check_converse_documents(converse, Catalog.default().identify(model_id))
    except (BedrockError, ValueError):  # binascii.Error and MalformedJson are ValueErrors
        return


def _converse_blocks(body: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, Mapping) else None
        for item in content if isinstance(content, list) else []:
            if isinstance(item, Mapping) and isinstance(item.get("document"), Mapping):
                yield item["document"]


def _limits() -> PdfLimits:
    return Catalog.default().pdf_limits


# -- InvokeModel --------------------------------------------------------------------------


def _invoke_documents(body: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """``(path, block)`` of every document block, ``path`` in Anthropic's error style."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return
    for i, message in enumerate(messages):
        content = message.get("content") if isinstance(message, Mapping) else None
        yield from _documents_in(content, f"messages.{i}.content")


def _documents_in(content: object, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if not isinstance(content, list):
        return
    for j, block in enumerate(content):
        if not isinstance(block, Mapping):
            continue
        if block.get("type") == "document":
            yield f"{path}.{j}", block
        elif block.get("type") == "tool_result":
            yield from _documents_in(block.get("content"), f"{path}.{j}.content")


def _invoke_pdfs(body: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """``(where, base64 data)`` of every base64 document; a non-PDF one is refused here."""
    for path, block in _invoke_documents(body):
        source = block.get("source")
        if not isinstance(source, Mapping) or source.get("type") != "base64":
            continue
        where = f"{path}.pdf.source.base64.data"
        data = source.get("data")
        if source.get("media_type") != "application/pdf" or not isinstance(data, str):
            raise validation_error(f"{where}: The PDF specified was not valid.")
        yield where, data


def check_invoke_documents(body: Mapping[str, Any]) -> None:
    """Raise Bedrock's ValidationException for an invalid PDF or too many PDF pages."""
    limit = _limits().max_pages
    with counting_up_to(limit):  # "over the limit" needs limit + 1 pages, not all of them
        for violation in pdf_page_violations(_invoke_pdfs(body), limit):
            if violation.rule is Rule.PDF_INVALID:
                raise validation_error(f"{violation.where}: The PDF specified was not valid.")
            raise validation_error(_page_limit_text(violation.limit))


# -- Converse -----------------------------------------------------------------------------

#: Rules Bedrock's Converse checks before the model sees the request (the document format
#: is an enum of the service model, refused by the shape check instead).
_CONVERSE_WORDING: Final = frozenset(Rule) - {Rule.DOCUMENT_FORMAT}


def check_converse_documents(body: Mapping[str, Any], model: ModelInfo | None) -> None:
    """Raise Bedrock's ValidationException for a Converse document rule broken."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return
    version = model.version if model is not None else None
    limits = _limits()
    with counting_up_to(limits.max_pages):
        for violation in converse_document_violations(messages, limits, model_version=version):
            if violation.rule in _CONVERSE_WORDING:
                raise _converse_error(violation)


def _converse_error(v: Violation) -> BedrockError:
    """Bedrock's words for a Converse document rule (as users of the service quote them)."""
    if v.rule is Rule.DOCUMENTS_PER_REQUEST:
        return validation_error(f"You can't include more than {v.limit} documents in a request.")
    if v.rule in (Rule.DOCUMENT_NAME, Rule.DOCUMENT_NAME_MISSING):
        return validation_error(_CONVERSE_NAME_MESSAGE)
    if v.rule is Rule.DOCUMENT_NAMES_UNIQUE:
        return validation_error("Messages can't contain duplicate document names.")
    if v.rule is Rule.DOCUMENT_ROLE:
        return validation_error("Documents can only be included in user messages.")
    if v.rule is Rule.DOCUMENT_TEXT_BLOCK:
        return validation_error(
            "If you include a document in a message, you must also include a text "
            "content block in that message."
        )
    if v.rule is Rule.DOCUMENT_SIZE:
        return validation_error(
            f"The document {v.where} is {v.value} bytes; the maximum document size is "
            f"{v.limit} bytes."
        )
    if v.rule is Rule.PDF_INVALID:
        return validation_error(
            "The model returned the following errors: The PDF specified was not valid."
        )
    return validation_error("The model returned the following errors: " + _page_limit_text(v.limit))


def _page_limit_text(limit: object) -> str:
    """The page-limit refusal as the rule table quotes Bedrock: the bare sentence (the public
    quotes carry no ``messages.i.content.j...`` location, unlike the invalid-PDF one)."""
    template = load_rules().get("documents.pdf_max_pages").error.template or ""
    return template.format(limit=limit)


# -- text extraction (for engines) --------------------------------------------------------

_texts: OrderedDict[bytes, str] = OrderedDict()
_texts_lock = threading.Lock()


def _pdf_text(raw: bytes) -> str:
    from pypdf import PdfReader

    digest = hashlib.sha256(raw).digest()
    with _texts_lock:
        known = _texts.get(digest)
    if known is not None:
        return known
    limit = _limits().max_pages
    if cached_page_count(raw, limit=limit) > limit:  # refused anyway: never read it all
        text = f"[emulator: not read: more than {limit} pages]"
    else:
        text = _budgeted_text(PdfReader(io.BytesIO(raw)))
    with _texts_lock:
        _texts[digest] = text
        while len(_texts) > _TEXT_CACHE_SIZE:
            _texts.popitem(last=False)
    return text


def _budgeted_text(reader: Any) -> str:
    """The text of the pages read within :data:`EXTRACT_BYTES` and :data:`EXTRACT_SECONDS`
    (never more pages than the page limit), then a marker for the rest."""
    budget = EXTRACT_BYTES
    deadline = time.monotonic() + EXTRACT_SECONDS
    pages = reader.pages
    total = len(pages)
    parts = []
    for number in range(1, min(total, _limits().max_pages) + 1):
        page = pages[number - 1]
        contents = page.get_contents()
        size = len(contents.get_data()) if contents is not None else 0
        if size > budget or time.monotonic() > deadline:
            parts.append(
                f"[emulator: pages {number}-{total} not read: over the emulator's "
                f"text-extraction budget of {EXTRACT_BYTES:,} content bytes and "
                f"{EXTRACT_SECONDS:g} s per PDF]"
            )
            break
        budget -= size
        parts.append((page.extract_text() or "").strip())
    return "\n".join(parts).strip()


def _raw_pdf(source: Mapping[str, Any]) -> bytes | None:
    data = source.get("data") if source.get("type") == "base64" else source.get("bytes")
    if isinstance(data, bytes):
        return data
    if not isinstance(data, str):
        return None
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def document_text(block: Mapping[str, Any]) -> str:
    """The text of a document block, InvokeModel (``{"type": "document", ...}``) or Converse
    (``{"format": ..., "source": {"bytes"|"text"|"content"}}``); "" if it has none."""
    source = block.get("source")
    if not isinstance(source, Mapping):
        return ""
    kind = source.get("type")
    if kind == "text" or (kind is None and isinstance(source.get("text"), str)):
        data = source.get("data") if kind == "text" else source.get("text")
        return data if isinstance(data, str) else ""
    if kind == "content" or (kind is None and isinstance(source.get("content"), list)):
        items = source.get("content") or []
        return "\n".join(
            str(item.get("text")) for item in items if isinstance(item, Mapping) and "text" in item
        )
    raw = _raw_pdf(source)
    if raw is None or not raw.startswith(b"%PDF"):
        return raw.decode("utf-8", "replace") if raw is not None else ""
    try:
        return _pdf_text(raw)
    except Exception:  # a damaged PDF has no text to quote; validation reports it
        return ""
