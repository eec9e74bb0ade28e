"""Bedrock's request rules as functions that answer facts, never messages.

A rule returns (or yields) a :class:`Violation`: which :class:`Rule` was broken, the limit,
the value found and where. The limits themselves are data, passed in by the caller (the
catalogue's ``limits.json``, botocore's service model). The client turns a violation into a
:class:`~claude_bedrock.ClientValidationError` that says what to do; the emulator into
Bedrock's error type and wording. So both sides apply the same rule, and each speaks its own
language.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Rule", "Violation"]


class Rule(enum.Enum):
    """The rules Bedrock enforces on a request (the value is a stable name)."""

    # model IDs (bedrock-runtime's ``modelId`` member)
    MODEL_ID_LENGTH = "model_id_length"
    MODEL_ID_PATTERN = "model_id_pattern"
    # documents
    DOCUMENTS_PER_REQUEST = "documents_per_request"
    DOCUMENT_NAME_MISSING = "document_name_missing"
    DOCUMENT_NAME = "document_name"
    DOCUMENT_NAMES_UNIQUE = "document_names_unique"
    DOCUMENT_FORMAT = "document_format"
    DOCUMENT_ROLE = "document_role"
    DOCUMENT_TEXT_BLOCK = "document_text_block"
    DOCUMENT_SIZE = "document_size"
    PDF_INVALID = "pdf_invalid"
    PAGES_PER_DOCUMENT = "pages_per_document"
    PAGES_PER_REQUEST = "pages_per_request"
    # context
    CONTEXT_WINDOW = "context_window"
    MAX_TOKENS = "max_tokens"
    # batch inference
    BATCH_TIMEOUT_HOURS = "batch_timeout_hours"


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: the limit, the value found and where (all facts, no wording).

    ``where`` locates it (a document's name, a JSON path, a parameter); ``index`` is the
    1-based position of the offending item where the rule counts items (documents).
    """

    rule: Rule
    limit: int | str | None = None
    value: int | str | None = None
    where: str | None = None
    index: int | None = None
