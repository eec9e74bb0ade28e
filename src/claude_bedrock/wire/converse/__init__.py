"""Bedrock's Converse API on the wire: its shapes, its rules and a faithful translation to
and from the Anthropic Messages API, on plain JSON-shaped dicts.

Both the client (:mod:`claude_bedrock.converse`, which adds typed answers, warnings and
advice) and the emulator (which answers in Bedrock's wording) use this package; it
imports nothing else from ``claude_bedrock``. Limits are passed in as data (the
catalogue's ``pdf_limits`` fits :class:`DocumentNameLimits` and :class:`ImageLimits`).

* Requests: :func:`to_converse_request` (Messages -> Converse) and
  :func:`from_converse_request` (Converse -> Messages); Messages -> Converse -> Messages is
  the identity for every block type both formats have.
* Answers: :func:`to_converse_response` and :func:`message_from_converse`.
* Streams: :class:`ToAnthropic` (Converse events -> Anthropic events) and
  :func:`anthropic_to_converse` (the other way).
* Checks: :func:`violations` / :func:`first_violation` (botocore's shapes, in Bedrock's
  wording), :func:`conversation_violation` (roles, blank text, tool results, images) and
  :func:`document_name_problem`.

A value with no equivalent raises :class:`ConverseTranslationError` carrying a
:class:`Violation` (which rule, where, the value, the limit), never silently dropped.
"""

from ._answers import (
    DEFAULT_RESPONSE_FIELD_PATHS,
    STOP_FROM_CONVERSE,
    STOP_TO_CONVERSE,
    message_from_converse,
    to_converse_response,
)
from ._common import DocumentNameLimits, document_name_problem
from ._errors import ConverseTranslationError, Rule, Violation
from ._events import ToAnthropic, anthropic_to_converse, invocation_metrics
from ._requests import ConverseRequest, from_converse_request, to_converse_request
from ._rules import ImageLimits, conversation_violation
from ._shapes import first_violation, violations

__all__ = [
    "DEFAULT_RESPONSE_FIELD_PATHS",
    "STOP_FROM_CONVERSE",
    "STOP_TO_CONVERSE",
    "ConverseRequest",
    "ConverseTranslationError",
    "DocumentNameLimits",
    "ImageLimits",
    "Rule",
    "ToAnthropic",
    "Violation",
    "anthropic_to_converse",
    "conversation_violation",
    "document_name_problem",
    "first_violation",
    "from_converse_request",
    "invocation_metrics",
    "message_from_converse",
    "to_converse_request",
    "to_converse_response",
    "violations",
]
