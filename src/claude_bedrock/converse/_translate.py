"""The client's face of the Converse translation: typed answers, warnings and advice.

The translation itself is :mod:`claude_bedrock.wire.converse` (plain dicts, shared with
the emulator). Here: document names are checked against the catalogue's limits, a PDF
without citations warns :class:`TextOnlyPdfWarning`, answers become a typed
:class:`~claude_bedrock.types.Message`, and the neutral errors become
:class:`ConverseTranslationError` (a ``ClientValidationError``) saying what to do.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

from ..types.message import Message
from ..wire import converse as _wire
from ..wire.converse import DEFAULT_RESPONSE_FIELD_PATHS
from ._errors import TextOnlyPdfWarning, translated

__all__ = [
    "DEFAULT_RESPONSE_FIELD_PATHS",
    "anthropic_to_converse",
    "document_name_problem",
    "from_converse",
    "from_converse_request",
    "to_converse",
    "to_converse_response",
]


def _pdf_limits() -> Any:
    from ..catalog import Catalog

    return Catalog.default().pdf_limits


def document_name_problem(name: object) -> str | None:
    """Why Converse would refuse ``name`` as a document name (None if it is fine).

    The rule is the catalogue's (``pdf_limits``), shared with :mod:`claude_bedrock.documents`
    and the emulator, so every part of the package agrees on it.
    """
    return _wire.document_name_problem(name, _pdf_limits())


def to_converse(
    params: Mapping[str, Any],
    *,
    wire: bool = False,
    pdf_citations: Literal["warn", "enable", "ignore"] = "warn",
    stacklevel: int = 2,
) -> dict[str, Any]:
    """A Messages API call (``messages.create`` keywords or an InvokeModel body) as a
    Converse request (``boto3.client("bedrock-runtime").converse(**request)`` keywords).

    ``wire=True`` gives blobs as base64 text (the HTTP body) instead of ``bytes``.
    A PDF without citations warns :class:`TextOnlyPdfWarning` (``pdf_citations="warn"``),
    gets citations enabled (``"enable"``) or goes as it is, silently (``"ignore"``).
    ``stacklevel`` is passed to :func:`warnings.warn` (2: the caller of this function).
    """
    with translated():
        request, text_only = _wire.to_converse_request(
            params, name_limits=_pdf_limits(), wire=wire,
            enable_pdf_citations=pdf_citations == "enable",
        )  # fmt: skip
    for name in text_only if pdf_citations == "warn" else ():
        warnings.warn(_pdf_warning(name), TextOnlyPdfWarning, stacklevel=stacklevel)
    return request


def _pdf_warning(name: str) -> str:
    return (
        f"PDF document {name!r} goes over Converse without citations, so Claude sees only "
        "its extracted text, not its pages as images. Set citations={'enabled': True} on "
        "the document (or pdf_citations='enable'), or use api='invoke'."
    )


def from_converse_request(request: Mapping[str, Any]) -> dict[str, Any]:
    """A Converse request (Python or wire form) as Messages API parameters.

    The inverse of :func:`to_converse`: ``additionalModelRequestFields`` are merged back at
    the top level (one that names a field the request already sets is refused, as Bedrock
    does). Converse-only settings (guardrails, prompt variables, ...) raise.
    """
    with translated():
        return _wire.from_converse_request(request)


def to_converse_response(
    message: Message | Mapping[str, Any],
    *,
    wire: bool = False,
    latency_ms: int = 0,
    response_field_paths: Iterable[str] = (),
) -> dict[str, Any]:
    """A Messages API answer as a Converse response (what Bedrock's Converse returns)."""
    data = message.model_dump() if isinstance(message, Message) else message
    with translated():
        return _wire.to_converse_response(
            data, wire=wire, latency_ms=latency_ms, response_field_paths=response_field_paths
        )


def from_converse(
    response: Any, *, model: str | None = None, request_id: str | None = None
) -> Message:
    """A Converse response (typed, boto3's dict, or the wire JSON) as a Messages ``Message``.

    A stop reason with no exact Messages equivalent (``guardrail_intervened`` ->
    ``refusal``; ``malformed_model_output`` / ``malformed_tool_use`` -> None) is also kept
    as ``message.converse_stop_reason``.
    """
    data = response.to_dict() if hasattr(response, "to_dict") else response
    with translated():
        values = _wire.message_from_converse(data, model=model, request_id=request_id)
    message = Message.model_validate(values)
    message._request_id = request_id
    return message


def anthropic_to_converse(
    events: Iterable[Mapping[str, Any]], *, response_field_paths: Iterable[str] = ()
) -> Iterator[tuple[str, dict[str, Any]]]:
    """:func:`claude_bedrock.wire.converse.anthropic_to_converse`, raising the client's
    :class:`ConverseTranslationError`."""
    with translated():
        yield from _wire.anthropic_to_converse(events, response_field_paths=response_field_paths)
