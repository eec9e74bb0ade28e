"""The CountTokens route: ``POST /model/{modelId}/count-tokens``.

The count comes from :mod:`.tokens`, the counter the engine reports usage with, so for the
same input ``inputTokens`` here equals ``usage.input_tokens`` of an InvokeModel call
(without prompt caching, which splits usage into cache reads and writes).

Input, as botocore's ``CountTokensInput`` union: ``{"invokeModel": {"body": base64}}`` (the
InvokeModel body, validated as InvokeModel validates it, documents included) or
``{"converse": {...}}`` (converted to the equivalent Messages body first).

Model IDs: Bedrock counts tokens for foundation models only; inference-profile IDs and
ARNs of profiles get "The provided model doesn't support counting tokens." (the answer
users report from the real service), unknown IDs "The provided model identifier is invalid."
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any, Final

from ..catalog import Catalog, ModelInfo
from . import tokens
from .app import EmulatorApp
from .documents import check_converse_documents, check_invoke_documents
from .errors import validation_error
from .models import INVALID_MODEL
from .validation import validate_invoke_body
from .wire import Request, Response

__all__ = ["NOT_SUPPORTED", "converse_to_invoke_body", "register"]

NOT_SUPPORTED: Final = "The provided model doesn't support counting tokens."
_FOUNDATION_ARN_MARK: Final = ":foundation-model/"


def register(app: EmulatorApp) -> None:
    """Install the CountTokens route."""
    app.add_route("POST", "/model/{modelId}/count-tokens", _count_tokens, operation="CountTokens")


def _model(model_id: str) -> ModelInfo:
    catalog = Catalog.default()
    base = model_id
    if model_id.startswith("arn:"):
        if _FOUNDATION_ARN_MARK not in model_id:
            info = catalog.identify(model_id)
            raise validation_error(NOT_SUPPORTED if info is not None else INVALID_MODEL)
        base = model_id.split(_FOUNDATION_ARN_MARK, 1)[1]
    info = catalog.identify(base)
    if info is None:
        raise validation_error(INVALID_MODEL)
    if info.id != base:  # a profile ID (global./us./...) or an alias
        raise validation_error(NOT_SUPPORTED)
    return info


def _input(payload: object) -> tuple[str, Mapping[str, Any]]:
    if not isinstance(payload, Mapping) or not isinstance(payload.get("input"), Mapping):
        raise validation_error(
            "1 validation error detected: Value at 'input' failed to satisfy constraint: "
            "Member must not be null"
        )
    members = {k: v for k, v in payload["input"].items() if v is not None}
    if len(members) != 1 or not isinstance(next(iter(members.values())), Mapping):
        raise validation_error("Exactly one of invokeModel or converse must be set in input.")
    kind, value = next(iter(members.items()))
    if kind not in ("invokeModel", "converse"):
        raise validation_error(f"Unknown input member {kind!r}.")
    return kind, value


def _invoke_body(member: Mapping[str, Any], info: ModelInfo) -> dict[str, Any]:
    encoded = member.get("body")
    if not isinstance(encoded, str):
        raise validation_error(
            "1 validation error detected: Value at 'input.invokeModel.body' failed to satisfy "
            "constraint: Member must not be null"
        )
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise validation_error("input.invokeModel.body must be base64-encoded.") from None
    if b'"max_tokens"' not in raw:  # counting needs no output budget: supply one to validate
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            raw = json.dumps({**parsed, "max_tokens": 1}).encode()
    body = validate_invoke_body(raw, max_output_tokens=lambda betas: info.output_limit(list(betas)))
    check_invoke_documents(body)
    return body


async def _count_tokens(request: Request) -> Response:
    info = _model(request.path_params["modelId"])
    try:
        payload = json.loads(request.body)
    except ValueError:
        raise validation_error(
            "Malformed input request, please reformat your input and try again."
        ) from None
    kind, member = _input(payload)
    if kind == "invokeModel":
        body = _invoke_body(member, info)
    else:
        check_converse_documents(member, info)
        body = converse_to_invoke_body(member)
    return Response.json({"inputTokens": tokens.count_input_tokens(body)})


# -- Converse -> Messages body (for counting) ---------------------------------------------

_IMAGE_TYPES: Final = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif",
                       "webp": "image/webp"}  # fmt: skip


def _converse_block(item: Mapping[str, Any]) -> dict[str, Any] | None:
    if "text" in item:
        return {"type": "text", "text": item["text"]}
    if isinstance(item.get("image"), Mapping):
        image = item["image"]
        data = (image.get("source") or {}).get("bytes", "")
        media = _IMAGE_TYPES.get(str(image.get("format")), "image/png")
        return {"type": "image", "source": {"type": "base64", "media_type": media, "data": data}}
    if isinstance(item.get("document"), Mapping):
        return _converse_document(item["document"])
    if isinstance(item.get("toolUse"), Mapping):
        use = item["toolUse"]
        return {"type": "tool_use", "id": use.get("toolUseId", ""), "name": use.get("name", ""),
                "input": use.get("input", {})}  # fmt: skip
    if isinstance(item.get("toolResult"), Mapping):
        result = item["toolResult"]
        parts = [_converse_result_part(p) for p in result.get("content") or []]
        return {"type": "tool_result", "tool_use_id": result.get("toolUseId", ""),
                "content": [p for p in parts if p is not None]}  # fmt: skip
    if isinstance(item.get("reasoningContent"), Mapping):
        text = (item["reasoningContent"].get("reasoningText") or {}).get("text", "")
        return {"type": "thinking", "thinking": text, "signature": ""}
    return None  # cachePoint, guardContent...: no input tokens of their own


def _converse_result_part(part: object) -> dict[str, Any] | None:
    if not isinstance(part, Mapping):
        return None
    if "json" in part:
        return {"type": "text", "text": json.dumps(part["json"], ensure_ascii=False)}
    return _converse_block(part)


def _converse_document(document: Mapping[str, Any]) -> dict[str, Any]:
    source = document.get("source") or {}
    block: dict[str, Any] = {"type": "document"}
    if isinstance(source.get("text"), str):
        block["source"] = {"type": "text", "media_type": "text/plain", "data": source["text"]}
    elif isinstance(source.get("content"), list):
        block["source"] = {"type": "content", "content": [
            {"type": "text", "text": c.get("text", "")} for c in source["content"]
            if isinstance(c, Mapping)
        ]}  # fmt: skip
    else:
        block["source"] = {"type": "base64", "media_type": "application/pdf",
                           "data": source.get("bytes", "")}  # fmt: skip
    if isinstance(document.get("context"), str):
        block["context"] = document["context"]
    return block


def converse_to_invoke_body(converse: Mapping[str, Any]) -> dict[str, Any]:
    """The Messages API body equivalent to a Converse input, for token counting.

    A Converse emulator that converts requests the same way reports the same usage; the
    Converse route should reuse this function (or share its converter with it).
    """
    body: dict[str, Any] = {"messages": []}
    system = [{"type": "text", "text": s["text"]} for s in converse.get("system") or []
              if isinstance(s, Mapping) and isinstance(s.get("text"), str)]  # fmt: skip
    if system:
        body["system"] = system
    for message in converse.get("messages") or []:
        if not isinstance(message, Mapping):
            continue
        blocks = [
            _converse_block(i) for i in message.get("content") or [] if isinstance(i, Mapping)
        ]
        body["messages"].append(
            {"role": message.get("role"), "content": [b for b in blocks if b is not None]}
        )
    tools = []
    for tool in (converse.get("toolConfig") or {}).get("tools") or []:
        spec = tool.get("toolSpec") if isinstance(tool, Mapping) else None
        if isinstance(spec, Mapping):
            schema = (spec.get("inputSchema") or {}).get("json", {"type": "object"})
            entry = {"name": spec.get("name", ""), "input_schema": schema}
            if isinstance(spec.get("description"), str):
                entry["description"] = spec["description"]
            tools.append(entry)
    if tools:
        body["tools"] = tools
    return body
