"""Stream events: Anthropic's (InvokeModelWithResponseStream) <-> Converse's (ConverseStream).

The two streams carry the same answer in different shapes:

=========================  ====================================================
Anthropic                  Converse
=========================  ====================================================
message_start              messageStart ``{role}`` (no id, model nor usage)
content_block_start        contentBlockStart, for tool use only (text and
                           reasoning blocks start with their first delta)
content_block_delta        contentBlockDelta: text, toolUse.input,
                           reasoningContent.text/signature/redactedContent,
                           citation
content_block_stop         contentBlockStop
message_delta              messageStop ``{stopReason}``
message_stop               metadata ``{usage, metrics}`` (usage only comes here)
=========================  ====================================================

:class:`ToAnthropic` is what ``messages.create(stream=True, api="converse")`` uses; it
holds ``messageStop`` back until ``metadata`` arrives, because the Anthropic events put
the usage in ``message_delta``. :func:`anthropic_to_converse` is the emulator's side.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..types import converse as c
from ..types.message import (
    Message,
    RedactedThinkingBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    Usage,
)
from ..types.message import ServerToolUseBlock as _ServerToolUse
from ..types.stream_events import (
    CitationsDelta,
    Delta,
    InputJSONDelta,
    MessageDeltaUsage,
    RawContentBlockDeltaEvent,
    RawContentBlockStartEvent,
    RawContentBlockStopEvent,
    RawMessageDeltaEvent,
    RawMessageStartEvent,
    RawMessageStopEvent,
    RawMessageStreamEvent,
    SignatureDelta,
    TextDelta,
    ThinkingDelta,
)
from ._answers import STOP_FROM_CONVERSE, STOP_TO_CONVERSE, response_fields, usage_to_converse
from ._common import citation_from_converse, citation_to_converse

__all__ = ["ToAnthropic", "anthropic_to_converse", "invocation_metrics"]


# --------------------------------------------------------------------------- Converse -> Anthropic


def invocation_metrics(metadata: c.MetadataEvent) -> dict[str, Any]:
    """Bedrock's ``amazon-bedrock-invocationMetrics`` from a Converse ``metadata`` event."""
    usage = metadata.usage
    metrics: dict[str, Any] = {
        "inputTokenCount": usage.inputTokens,
        "outputTokenCount": usage.outputTokens,
        "invocationLatency": metadata.metrics.latencyMs,
    }
    if usage.cacheReadInputTokens is not None or usage.cacheWriteInputTokens is not None:
        metrics["cacheReadInputTokenCount"] = usage.cacheReadInputTokens or 0
        metrics["cacheWriteInputTokenCount"] = usage.cacheWriteInputTokens or 0
    return metrics


class ToAnthropic:
    """Turns typed Converse stream events into the Anthropic SDK's raw stream events."""

    def __init__(self, message_id: str, model: str) -> None:
        self._id = message_id
        self._model = model
        self._started: set[int] = set()
        self._stop: c.MessageStopEvent | None = None
        self.done = False

    def feed(self, event: Any) -> Iterator[RawMessageStreamEvent]:
        kind = getattr(event, "type", None)
        if kind == "messageStart":
            yield RawMessageStartEvent(
                message=Message(id=self._id, model=self._model, content=[],
                                usage=Usage(input_tokens=0, output_tokens=0))
            )  # fmt: skip
        elif kind == "contentBlockStart":
            yield from self._block_start(event)
        elif kind == "contentBlockDelta":
            yield from self._delta(event)
        elif kind == "contentBlockStop":
            self._started.discard(event.contentBlockIndex)
            yield RawContentBlockStopEvent(index=event.contentBlockIndex)
        elif kind == "messageStop":
            self._stop = event
        elif kind == "metadata":
            yield from self._finish(event)

    def _block_start(self, event: c.ContentBlockStartEvent) -> Iterator[RawMessageStreamEvent]:
        use = event.start.toolUse
        if use is None:
            return
        cls = _ServerToolUse if use.type == "server_tool_use" else ToolUseBlock
        self._started.add(event.contentBlockIndex)
        block = cls(id=use.toolUseId, name=use.name, input={})
        yield RawContentBlockStartEvent(index=event.contentBlockIndex, content_block=block)

    def _delta(self, event: c.ContentBlockDeltaEvent) -> Iterator[RawMessageStreamEvent]:
        index, delta = event.contentBlockIndex, event.delta
        reasoning = delta.reasoningContent
        if index not in self._started:
            self._started.add(index)
            block: Any
            if reasoning is not None and reasoning.redactedContent is not None:
                data = base64.b64encode(reasoning.redactedContent).decode("ascii")
                block = RedactedThinkingBlock(data=data)
            elif reasoning is not None:
                block = ThinkingBlock(thinking="", signature="")
            else:
                block = TextBlock(text="", citations=[] if delta.citation is not None else None)
            yield RawContentBlockStartEvent(index=index, content_block=block)
        out: Any = None
        if delta.text is not None:
            out = TextDelta(text=delta.text)
        elif delta.toolUse is not None:
            out = InputJSONDelta(partial_json=delta.toolUse.input)
        elif reasoning is not None and reasoning.text is not None:
            out = ThinkingDelta(thinking=reasoning.text)
        elif reasoning is not None and reasoning.signature is not None:
            out = SignatureDelta(signature=reasoning.signature)
        elif delta.citation is not None:
            citation = citation_from_converse(delta.citation.to_dict(), "delta.citation")
            out = CitationsDelta(citation=citation)
        if out is not None:
            yield RawContentBlockDeltaEvent(index=index, delta=out)

    def _finish(self, metadata: c.MetadataEvent) -> Iterator[RawMessageStreamEvent]:
        stop = self._stop
        fields = (stop.additionalModelResponseFields if stop is not None else None) or {}
        reason = STOP_FROM_CONVERSE.get(stop.stopReason) if stop is not None else None
        usage = metadata.usage
        yield RawMessageDeltaEvent(
            delta=Delta(stop_reason=reason, stop_sequence=fields.get("stop_sequence")),
            usage=MessageDeltaUsage(
                output_tokens=usage.outputTokens,
                input_tokens=usage.inputTokens,
                cache_creation_input_tokens=usage.cacheWriteInputTokens,
                cache_read_input_tokens=usage.cacheReadInputTokens,
            ),
        )
        self.done = True
        metrics = invocation_metrics(metadata)
        yield RawMessageStopEvent.model_validate({"amazon-bedrock-invocationMetrics": metrics})


# --------------------------------------------------------------------------- Anthropic -> Converse


def anthropic_to_converse(
    events: Iterable[Mapping[str, Any]], *, response_field_paths: Iterable[str] = ()
) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(event type, wire payload)`` pairs of the Converse stream for Anthropic events.

    The ``metadata`` payload comes last with ``metrics.latencyMs`` = 0: the sender sets
    the real latency when it writes it.
    """
    message: dict[str, Any] = {}
    usage: dict[str, Any] = {}
    for event in events:
        kind = event["type"]
        if kind == "message_start":
            message = dict(event["message"])
            usage = dict(message.get("usage") or {})
            yield "messageStart", {"role": "assistant"}
        elif kind == "content_block_start":
            yield from _start_to_converse(event["index"], event["content_block"])
        elif kind == "content_block_delta":
            delta = _delta_to_converse(event["delta"])
            if delta is not None:
                yield "contentBlockDelta", {"delta": delta, "contentBlockIndex": event["index"]}
        elif kind == "content_block_stop":
            yield "contentBlockStop", {"contentBlockIndex": event["index"]}
        elif kind == "message_delta":
            message.update({k: v for k, v in event["delta"].items()})
            usage.update({k: v for k, v in (event.get("usage") or {}).items() if v is not None})
        elif kind == "message_stop":
            message["usage"] = usage
            stop: dict[str, Any] = {"stopReason": STOP_TO_CONVERSE[message["stop_reason"]]}
            fields = response_fields(message, response_field_paths)
            if fields:
                stop["additionalModelResponseFields"] = fields
            yield "messageStop", stop
            yield "metadata", {"usage": usage_to_converse(usage), "metrics": {"latencyMs": 0}}


def _start_to_converse(
    index: int, block: Mapping[str, Any]
) -> Iterator[tuple[str, dict[str, Any]]]:
    kind = block["type"]
    if kind in ("tool_use", "server_tool_use"):
        start: dict[str, Any] = {"toolUseId": block["id"], "name": block["name"]}
        if kind == "server_tool_use":
            start["type"] = "server_tool_use"
        yield "contentBlockStart", {"start": {"toolUse": start}, "contentBlockIndex": index}
        if block.get("input"):  # a start that carries the whole input (no deltas follow)
            delta = {"toolUse": {"input": json.dumps(block["input"], ensure_ascii=False)}}
            yield "contentBlockDelta", {"delta": delta, "contentBlockIndex": index}
    elif kind == "redacted_thinking":
        delta = {"reasoningContent": {"redactedContent": block["data"]}}
        yield "contentBlockDelta", {"delta": delta, "contentBlockIndex": index}


def _delta_to_converse(delta: Mapping[str, Any]) -> dict[str, Any] | None:
    kind = delta["type"]
    if kind == "text_delta":
        return {"text": delta["text"]}
    if kind == "input_json_delta":
        return {"toolUse": {"input": delta["partial_json"]}}
    if kind == "thinking_delta":
        return {"reasoningContent": {"text": delta["thinking"]}}
    if kind == "signature_delta":
        return {"reasoningContent": {"signature": delta["signature"]}}
    if kind == "citations_delta":
        return {"citation": citation_to_converse(delta["citation"], "delta.citation")}
    return None
