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
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

from .._exceptions import ClientValidationError
from ..catalog import Catalog, ModelInfo, PdfLimits
from ..documents import cached_page_count
from .errors import validation_error

if TYPE_CHECKING:  # engines import this module: no import of the app at run time
    from .app import EmulatorApp
    from .routing import Handler
    from .wire import AnyResponse, Request

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


def register(app: EmulatorApp) -> None:
    """Install the document checks (a middleware after authentication)."""
    app.add_middleware(_documents_middleware)


async def _documents_middleware(request: Request, call_next: Handler) -> AnyResponse:
    operation = request.operation
    if (
        operation in _INVOKE_OPERATIONS or operation in _CONVERSE_OPERATIONS
    ) and _MARKER in request.body:
        try:
            body = json.loads(request.body)
        except ValueError:
            body = None  # the handler reports malformed JSON in Bedrock's words
        if isinstance(body, dict):
            if operation in _INVOKE_OPERATIONS:
                check_invoke_documents(body)
            else:
                model = Catalog.default().identify(request.path_params.get("modelId", ""))
                check_converse_documents(body, model)
    return await call_next(request)


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


def check_invoke_documents(body: Mapping[str, Any]) -> None:
    """Raise Bedrock's ValidationException for an invalid PDF or too many PDF pages."""
    limit = _limits().max_pages
    total = 0
    for path, block in _invoke_documents(body):
        source = block.get("source")
        if not isinstance(source, Mapping) or source.get("type") != "base64":
            continue
        where = f"{path}.pdf.source.base64.data"
        data = source.get("data")
        if source.get("media_type") != "application/pdf" or not isinstance(data, str):
            raise validation_error(f"{where}: The PDF specified was not valid.")
        try:
            total += cached_page_count(data)
        except ClientValidationError:
            raise validation_error(f"{where}: The PDF specified was not valid.") from None
        if total > limit:
            raise validation_error(f"{where}: A maximum of {limit} PDF pages may be provided.")


# -- Converse -----------------------------------------------------------------------------


def _converse_documents(
    body: Mapping[str, Any],
) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any], list[Any]]]:
    messages = body.get("messages")
    if not isinstance(messages, list):
        return
    for message in messages:
        content = message.get("content") if isinstance(message, Mapping) else None
        if not isinstance(content, list):
            continue
        for item in content:
            if isinstance(item, Mapping) and isinstance(item.get("document"), Mapping):
                yield message, item["document"], content


def _decoded_size(data: object) -> int:
    if not isinstance(data, str):
        return 0
    return len(data) * 3 // 4 - data[-2:].count("=")


def _pdf_size_exempt(model: ModelInfo | None) -> bool:
    major = model.version.split(".", 1)[0] if model is not None else ""
    return major.isdigit() and int(major) >= 4  # AWS: "Claude 4 and subsequent versions"


def check_converse_documents(body: Mapping[str, Any], model: ModelInfo | None) -> None:
    """Raise Bedrock's ValidationException for a Converse document rule broken."""
    limits = _limits()
    seen: set[str] = set()
    pages = 0
    for count, (message, document, content) in enumerate(_converse_documents(body), 1):
        if count > limits.converse_max_documents:
            raise validation_error(
                f"You can't include more than {limits.converse_max_documents} documents in a "
                "request."
            )
        name = document.get("name")
        if not isinstance(name, str) or limits.document_name_problem(name) is not None:
            raise validation_error(_CONVERSE_NAME_MESSAGE)
        if name in seen:
            raise validation_error("Messages can't contain duplicate document names.")
        seen.add(name)
        if message.get("role") != "user":
            raise validation_error("Documents can only be included in user messages.")
        if not any(isinstance(c, Mapping) and "text" in c for c in content):
            raise validation_error(
                "If you include a document in a message, you must also include a text "
                "content block in that message."
            )
        source = document.get("source")
        data = source.get("bytes") if isinstance(source, Mapping) else None
        size = _decoded_size(data)
        is_pdf = document.get("format") == "pdf"
        if size > limits.converse_max_document_bytes and not (is_pdf and _pdf_size_exempt(model)):
            raise validation_error(
                f"The document {name} is {size} bytes; the maximum document size is "
                f"{limits.converse_max_document_bytes} bytes."
            )
        if is_pdf and isinstance(data, str):
            try:
                pages += cached_page_count(data)
            except ClientValidationError:
                raise validation_error(
                    "The model returned the following errors: The PDF specified was not valid."
                ) from None
            if pages > limits.max_pages:
                raise validation_error(
                    "The model returned the following errors: A maximum of "
                    f"{limits.max_pages} PDF pages may be provided."
                )


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
    reader = PdfReader(io.BytesIO(raw))
    text = "\n".join((page.extract_text() or "").strip() for page in reader.pages).strip()
    with _texts_lock:
        _texts[digest] = text
        while len(_texts) > _TEXT_CACHE_SIZE:
            _texts.popitem(last=False)
    return text


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
