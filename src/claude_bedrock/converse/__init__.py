"""Bedrock's Converse API, typed, and a faithful translation to and from the Messages API.

* ``client.converse.create(...)`` / ``client.converse.stream(...)`` (sync and async): the
  ``Converse`` and ``ConverseStream`` operations with boto3's keywords and typed answers
  (:class:`ConverseResponse`, typed stream events).
* ``client.messages.create(..., api="converse")`` (and ``messages.stream``): a Messages API
  call sent over Converse, answered with the same :class:`~claude_bedrock.types.Message`
  (and the same stream events) as over InvokeModel.
* :func:`to_converse` / :func:`from_converse_request` translate requests,
  :func:`to_converse_response` / :func:`from_converse` answers. Messages -> Converse ->
  Messages is the identity for every block type both formats have; a value with no
  equivalent raises :class:`ConverseTranslationError` naming it, never dropped.

The translation itself lives in :mod:`claude_bedrock.wire.converse` (plain dicts, shared
with the emulator); this package adds the typed answers, the warnings and the advice.

The PDF rule: over Converse, Claude sees a PDF's pages (charts, scans) only when the
document has citations enabled; otherwise it gets the extracted text. We warn
(:class:`TextOnlyPdfWarning`) instead of switching citations on behind your back.
"""

from ..resources._converse_messages import amessages_via_converse, messages_via_converse
from ..resources.converse import AsyncConverse, Converse
from ..types.converse import (
    ContentBlock,
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    ConverseResponse,
    ConverseStreamEvent,
    MessageStartEvent,
    MessageStopEvent,
    MetadataEvent,
    StreamEvent,
    TokenUsage,
    UnknownStreamEvent,
)
from ._errors import ConverseRequestError, ConverseTranslationError, TextOnlyPdfWarning
from ._events import ToAnthropic
from ._stream import AsyncConverseStream, ConverseStream
from ._translate import (
    anthropic_to_converse,
    document_name_problem,
    from_converse,
    from_converse_request,
    to_converse,
    to_converse_response,
)

__all__ = [
    "AsyncConverse",
    "AsyncConverseStream",
    "ContentBlock",
    "ContentBlockDeltaEvent",
    "ContentBlockStartEvent",
    "ContentBlockStopEvent",
    "Converse",
    "ConverseResponse",
    "ConverseStream",
    "ConverseRequestError",
    "ConverseStreamEvent",
    "ConverseTranslationError",
    "MessageStartEvent",
    "MessageStopEvent",
    "MetadataEvent",
    "StreamEvent",
    "TextOnlyPdfWarning",
    "ToAnthropic",
    "TokenUsage",
    "UnknownStreamEvent",
    "amessages_via_converse",
    "anthropic_to_converse",
    "document_name_problem",
    "from_converse",
    "from_converse_request",
    "messages_via_converse",
    "to_converse",
    "to_converse_response",
]
