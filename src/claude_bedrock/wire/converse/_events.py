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

:class:`ToAnthropic` is what ``messages.create(stream=True, api="converse")`` uses (the
client validates its dicts into typed events); it holds ``messageStop`` back until
``metadata`` arrives, because the Anthropic events put the usage in ``message_delta``.
:func:`anthropic_to_converse` is the emulator's side. Both work on JSON-shaped dicts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ._answers import STOP_FROM_CONVERSE, STOP_TO_CONVERSE, response_fields, usage_to_converse
from ._common import b64_text, citation_from_converse, citation_to_converse

__all__ = ["ToAnthropic", "anthropic_to_converse", "invocation_metrics"]

Event = dict[str, Any]

# --------------------------------------------------------------------------- Converse -> Anthropic


def invocation_metrics(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Bedrock's ``amazon-bedrock-invocationMetrics`` from a Converse ``metadata`` payload."""
    usage = metadata.get("usage") or {}
    metrics: dict[str, Any] = {
        "inputTokenCount": usage.get("inputTokens"),
        "outputTokenCount": usage.get("outputTokens"),
        "invocationLatency": (metadata.get("metrics") or {}).get("latencyMs"),
    }
    read, write = usage.get("cacheReadInputTokens"), usage.get("cacheWriteInputTokens")
    if read is not None or write is not None:
        metrics["cacheReadInputTokenCount"] = read or 0
        metrics["cacheWriteInputTokenCount"] = write or 0
    return metrics


class ToAnthropic:
    """Converse stream events (type, payload) in, the Anthropic stream events they make out,
    as the JSON InvokeModelWithResponseStream would carry them."""

    __slots__ = ("_id", "_model", "_started", "_stop", "done")

    def __init__(self, message_id: str, model: str) -> None:
        self._id = message_id
        self._model = model
        self._started: set[int] = set()
        self._stop: Mapping[str, Any] | None = None
        self.done = False

    def feed(self, kind: str | None, payload: Mapping[str, Any]) -> list[Event]:
        """The Anthropic events for one Converse event (unknown types give none)."""
        if kind == "contentBlockDelta":  # first: nearly every event is one
            return self._delta(payload)
        if kind == "messageStart":
            message: Event = {
                "id": self._id, "type": "message", "role": "assistant", "model": self._model,
                "content": [], "stop_reason": None, "stop_sequence": None,
                "usage": {"input_tokens": 0, "output_tokens": 0},
            }  # fmt: skip
            return [{"type": "message_start", "message": message}]
        if kind == "contentBlockStart":
            return self._block_start(payload)
        if kind == "contentBlockStop":
            index = payload["contentBlockIndex"]
            self._started.discard(index)
            return [{"type": "content_block_stop", "index": index}]
        if kind == "messageStop":
            self._stop = payload
            return []
        if kind == "metadata":
            return self._finish(payload)
        return []

    def _block_start(self, payload: Mapping[str, Any]) -> list[Event]:
        use = (payload.get("start") or {}).get("toolUse")
        if use is None:
            return []
        index = payload["contentBlockIndex"]
        self._started.add(index)
        kind = "server_tool_use" if use.get("type") == "server_tool_use" else "tool_use"
        block = {"type": kind, "id": use["toolUseId"], "name": use["name"], "input": {}}
        return [{"type": "content_block_start", "index": index, "content_block": block}]

    def _delta(self, payload: Mapping[str, Any]) -> list[Event]:
        index, delta = payload["contentBlockIndex"], payload["delta"]
        events: list[Event] = []
        if index not in self._started:
            self._started.add(index)
            events.append(
                {"type": "content_block_start", "index": index, "content_block": _first(delta)}
            )
        out = _delta_from_converse(delta)
        if out is not None:
            events.append({"type": "content_block_delta", "index": index, "delta": out})
        return events

    def _finish(self, metadata: Mapping[str, Any]) -> list[Event]:
        stop = self._stop
        fields = (stop.get("additionalModelResponseFields") if stop is not None else None) or {}
        reason = STOP_FROM_CONVERSE.get(stop["stopReason"]) if stop is not None else None
        usage = metadata.get("usage") or {}
        self.done = True
        return [
            {
                "type": "message_delta",
                "delta": {"stop_reason": reason, "stop_sequence": fields.get("stop_sequence")},
                "usage": {
                    "output_tokens": usage.get("outputTokens"),
                    "input_tokens": usage.get("inputTokens"),
                    "cache_creation_input_tokens": usage.get("cacheWriteInputTokens"),
                    "cache_read_input_tokens": usage.get("cacheReadInputTokens"),
                },
            },
            {
                "type": "message_stop",
                "amazon-bedrock-invocationMetrics": invocation_metrics(metadata),
            },
        ]


def _first(delta: Mapping[str, Any]) -> Event:
    """The block a Converse delta opens (text and reasoning blocks have no start event)."""
    reasoning = delta.get("reasoningContent")
    if reasoning is not None and reasoning.get("redactedContent") is not None:
        data = b64_text(reasoning["redactedContent"], "delta.reasoningContent.redactedContent")
        return {"type": "redacted_thinking", "data": data}
    if reasoning is not None:
        return {"type": "thinking", "thinking": "", "signature": ""}
    return {
        "type": "text",
        "text": "",
        "citations": [] if delta.get("citation") is not None else None,
    }


def _delta_from_converse(delta: Mapping[str, Any]) -> Event | None:
    text = delta.get("text")
    if text is not None:
        return {"type": "text_delta", "text": text}
    use = delta.get("toolUse")
    if use is not None:
        return {"type": "input_json_delta", "partial_json": use["input"]}
    reasoning = delta.get("reasoningContent")
    if reasoning is not None and reasoning.get("text") is not None:
        return {"type": "thinking_delta", "thinking": reasoning["text"]}
    if reasoning is not None and reasoning.get("signature") is not None:
        return {"type": "signature_delta", "signature": reasoning["signature"]}
    citation = delta.get("citation")
    if citation is not None:
        return {"type": "citations_delta",
                "citation": citation_from_converse(citation, "delta.citation")}  # fmt: skip
    return None


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
