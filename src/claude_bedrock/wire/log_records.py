"""Building invocation log records the way Bedrock writes them.

One record per invocation (``schemaType: "ModelInvocationLog"``, ``schemaVersion: "1.0"``),
with the request body as sent, the response body (the message for InvokeModel and
Converse, the list of decoded stream events for InvokeModelWithResponseStream, the
assembled answer for ConverseStream: what Bedrock's own logs show), token counts at
``input``/``output`` level, and ``errorCode`` for a failed invocation. Headers are never
part of a record: signatures and tokens have no place to go.

Bodies over :data:`LARGE_BODY_BYTES` are moved to their own ``data/`` object and replaced
by ``inputBodyS3Path`` / ``outputBodyS3Path``, as Bedrock does for large payloads.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .eventstream import Message

__all__ = [
    "LARGE_BODY_BYTES",
    "StreamCapture",
    "build_record",
    "token_counts",
]

LARGE_BODY_BYTES = 100 * 1024

# Record field -> usage names (Anthropic's, then Converse's).
_COUNT_FIELDS: dict[str, tuple[str, ...]] = {
    "inputTokenCount": ("input_tokens", "inputTokens", "inputTokenCount"),
    "outputTokenCount": ("output_tokens", "outputTokens", "outputTokenCount"),
    "cacheReadInputTokenCount": (
        "cache_read_input_tokens", "cacheReadInputTokens", "cacheReadInputTokenCount",
    ),
    "cacheWriteInputTokenCount": (
        "cache_creation_input_tokens", "cacheWriteInputTokens", "cacheWriteInputTokenCount",
    ),
}  # fmt: skip


def token_counts(usage: Mapping[str, Any]) -> dict[str, int]:
    """The record's four counts from a usage block in any of Bedrock's spellings."""
    counts: dict[str, int] = {}
    for field, names in _COUNT_FIELDS.items():
        value = next((usage[n] for n in names if isinstance(usage.get(n), int)), 0)
        counts[field] = int(value)
    return counts


def body_usage(body: Any) -> dict[str, Any]:
    """The usage block of an InvokeModel or Converse response body ({} if none)."""
    usage = body.get("usage") if isinstance(body, dict) else None
    return usage if isinstance(usage, dict) else {}


class StreamCapture:
    """Follows a streamed answer frame by frame, to log it once it is complete."""

    def __init__(self, operation: str) -> None:
        self.converse = operation == "ConverseStream"
        self.events: list[dict[str, Any]] = []
        self.error_code: str | None = None
        self._usage: dict[str, Any] = {}
        self._metrics: dict[str, Any] = {}

    def feed(self, message: Message) -> None:
        if message.message_type in ("exception", "error"):
            name = message.exception_type or message.error_code or "InternalServerException"
            self.error_code = name[:1].upper() + name[1:]
            return
        try:
            payload = json.loads(message.payload or b"{}")
        except ValueError:
            return
        if self.converse:
            self.events.append({message.event_type or "event": payload})
            return
        raw = payload.get("bytes") if isinstance(payload, dict) else None
        if raw is None:
            return
        event = json.loads(base64.b64decode(raw))
        self.events.append(event)
        self._track(event)

    def _track(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "message_start":
            self._usage.update(event.get("message", {}).get("usage") or {})
        elif kind == "message_delta":
            self._usage.update(event.get("usage") or {})
        metrics = event.get("amazon-bedrock-invocationMetrics")
        if isinstance(metrics, dict):
            self._metrics = metrics

    def usage(self) -> dict[str, Any]:
        if self.converse:
            for event in self.events:
                meta = event.get("metadata")
                if isinstance(meta, dict) and isinstance(meta.get("usage"), dict):
                    return dict(meta["usage"])
            return {}
        return {**self._usage, **self._metrics}

    def output_body(self) -> Any:
        return _assemble_converse(self.events) if self.converse else self.events


def _assemble_converse(events: list[dict[str, Any]]) -> dict[str, Any]:
    """ConverseStream events -> the Converse answer they add up to (as Bedrock logs it)."""
    role = "assistant"
    blocks: dict[int, dict[str, Any]] = {}
    answer: dict[str, Any] = {}
    for event in events:
        ((kind, data),) = event.items()
        if kind == "messageStart":
            role = data.get("role", role)
        elif kind == "contentBlockStart":
            start = data.get("start") or {}
            if "toolUse" in start:
                blocks[data.get("contentBlockIndex", 0)] = {
                    "toolUse": {**start["toolUse"], "input": ""}
                }
        elif kind == "contentBlockDelta":
            _add_delta(
                blocks.setdefault(data.get("contentBlockIndex", 0), {}), data.get("delta") or {}
            )
        elif kind == "messageStop":
            answer["stopReason"] = data.get("stopReason")
        elif kind == "metadata":
            answer.update({k: v for k, v in data.items() if k in ("usage", "metrics")})
    content = [_finish_block(blocks[i]) for i in sorted(blocks)]
    return {"output": {"message": {"role": role, "content": content}}, **answer}


def _add_delta(block: dict[str, Any], delta: dict[str, Any]) -> None:
    if "text" in delta:
        block["text"] = block.get("text", "") + delta["text"]
    elif "toolUse" in delta:
        tool = block.setdefault("toolUse", {"input": ""})
        tool["input"] = tool.get("input", "") + (delta["toolUse"].get("input") or "")
    elif "reasoningContent" in delta:
        reasoning = block.setdefault("reasoningContent", {"reasoningText": {"text": ""}})
        part = delta["reasoningContent"]
        text = reasoning.setdefault("reasoningText", {"text": ""})
        if "text" in part:
            text["text"] = text.get("text", "") + part["text"]
        if "signature" in part:
            text["signature"] = part["signature"]


def _finish_block(block: dict[str, Any]) -> dict[str, Any]:
    tool = block.get("toolUse")
    if isinstance(tool, dict) and isinstance(tool.get("input"), str):
        with contextlib.suppress(ValueError):
            tool["input"] = json.loads(tool["input"] or "{}")
    return block


def timestamp(when: datetime) -> str:
    """Bedrock's record timestamp: UTC, whole seconds, ``Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_record(
    *,
    when: datetime,
    account: str,
    principal: str,
    region: str,
    request_id: str,
    operation: str,
    model_id: str,
    input_body: Any,
    content_type: str,
    output_body: Any,
    usage: Mapping[str, Any],
    error_code: str | None,
    text: bool,
) -> dict[str, Any]:
    """One record. ``text=False`` (textDataDeliveryEnabled off) keeps metadata only."""
    counts = token_counts(usage)
    record_input: dict[str, Any] = {"inputContentType": content_type}
    if text and input_body is not None:
        record_input["inputBodyJson"] = input_body
    record: dict[str, Any] = {
        "schemaType": "ModelInvocationLog",
        "schemaVersion": "1.0",
        "timestamp": timestamp(when),
        "accountId": account,
        "identity": {"arn": principal},
        "region": region,
        "requestId": request_id,
        "operation": operation,
        "modelId": model_id,
        "input": record_input,
    }
    if error_code is not None:
        record["errorCode"] = error_code
    else:
        record_input["inputTokenCount"] = counts["inputTokenCount"]
        record_input["cacheReadInputTokenCount"] = counts["cacheReadInputTokenCount"]
        record_input["cacheWriteInputTokenCount"] = counts["cacheWriteInputTokenCount"]
        output: dict[str, Any] = {"outputContentType": "application/json"}
        if text and output_body is not None:
            output["outputBodyJson"] = output_body
        output["outputTokenCount"] = counts["outputTokenCount"]
        record["output"] = output
    record["inferenceRegion"] = region
    return record


def offload_large_bodies(
    record: dict[str, Any], bucket: str, key_for: Any
) -> tuple[tuple[str, bytes], ...]:
    """Move bodies over :data:`LARGE_BODY_BYTES` to their own objects (Bedrock's ``data/``).

    ``key_for(part)`` names the object for ``"input"`` or ``"output"``. Returns the objects
    to upload; the record then points at them with ``inputBodyS3Path``/``outputBodyS3Path``.
    """
    moved: list[tuple[str, bytes]] = []
    for part, section in (("input", record.get("input")), ("output", record.get("output"))):
        field = f"{part}BodyJson"
        if not isinstance(section, dict) or field not in section:
            continue
        raw = json.dumps(section[field], separators=(",", ":"), ensure_ascii=False).encode()
        if len(raw) <= LARGE_BODY_BYTES:
            continue
        key = key_for(part)
        moved.append((key, gzip.compress(raw, mtime=0)))
        del section[field]
        section[f"{part}BodyS3Path"] = f"s3://{bucket}/{key}"
    return tuple(moved)
