"""Whole requests: Anthropic Messages API <-> Bedrock Converse.

Requests: the Messages fields Converse has a slot for go there (``messages``, ``system``,
``inferenceConfig``, ``toolConfig``, ``serviceTier``); every other body field (``top_k``,
``thinking``, ``anthropic_beta``, ``metadata``, ...) goes in
``additionalModelRequestFields``, which Bedrock merges into the model's own request body,
so it reaches Claude exactly as InvokeModel would send it. ``anthropic_version`` and
``stream`` are dropped: Bedrock sets the first, the operation decides the second.
Values with no equivalent raise :class:`~._errors.ConverseTranslationError`.

Answers are translated by :mod:`._answers`, stream events by :mod:`._events`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final, NamedTuple

from ._blocks import Forward, cache_point, content_to_converse
from ._blocks_from import blocks_from_converse, cache_control, one_member, unknown_member
from ._common import DocumentNameLimits, fail, mapping, only

__all__ = ["ConverseRequest", "from_converse_request", "to_converse_request"]

_INFERENCE: Final = (
    ("max_tokens", "maxTokens"), ("temperature", "temperature"), ("top_p", "topP"),
    ("stop_sequences", "stopSequences"),
)  # fmt: skip
_NATIVE: Final = frozenset({"messages", "system", "tools", "tool_choice", *dict(_INFERENCE)})
_DROPPED: Final = frozenset({"anthropic_version", "stream"})
_SERVICE_TIERS: Final = frozenset({"priority", "default", "flex", "reserved"})
_CONVERSE_ONLY: Final = (
    "guardrailConfig", "performanceConfig", "promptVariables", "requestMetadata",
    "additionalModelResponseFieldPaths", "projectIdentifier",
)  # fmt: skip
# --------------------------------------------------------------------------- requests


class ConverseRequest(NamedTuple):
    """A translated request, and the PDFs in it that Claude will see as text only (no
    citations: Converse then passes their extracted text, not their pages)."""

    request: dict[str, Any]
    text_only_pdfs: list[str]


def to_converse_request(
    params: Mapping[str, Any],
    *,
    name_limits: DocumentNameLimits | None = None,
    wire: bool = False,
    enable_pdf_citations: bool = False,
) -> ConverseRequest:
    """A Messages API call (``messages.create`` keywords or an InvokeModel body) as a
    Converse request (``boto3.client("bedrock-runtime").converse(**request)`` keywords).

    ``wire=True`` gives blobs as base64 text (the HTTP body) instead of ``bytes``.
    ``name_limits`` is Converse's document-name rule (None: names are not checked).
    A PDF without citations gets them enabled (``enable_pdf_citations``) or is listed in
    ``text_only_pdfs``.
    """
    out = Forward(name_limits, wire=wire, enable_pdf_citations=enable_pdf_citations)
    request: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    betas: list[str] = []
    for key, value in params.items():
        if value is None or key in _DROPPED or key in _NATIVE:
            continue
        if key == "model":
            request["modelId"] = value
        elif key in ("betas", "anthropic_beta"):
            betas += [b for b in value if b not in betas]
        elif key == "service_tier":
            if value not in _SERVICE_TIERS:
                raise fail(
                    f"service tier {value!r} has no Bedrock equivalent (Bedrock's tiers: "
                    f"{', '.join(sorted(_SERVICE_TIERS))})",
                    "service_tier", "no_equivalent", value=value, limit=sorted(_SERVICE_TIERS),
                )  # fmt: skip
            request["serviceTier"] = {"type": value}
        else:
            extra[key] = value
    request["messages"] = _messages_to_converse(params.get("messages"), out)
    system = params.get("system")
    if system:
        request["system"] = _system_to_converse(system, out)
    inference = {name: params[key] for key, name in _INFERENCE if params.get(key) is not None}
    if inference:
        request["inferenceConfig"] = inference
    tool_config = _tools_to_converse(params.get("tools"), params.get("tool_choice"))
    if tool_config is not None:
        request["toolConfig"] = tool_config
    if betas:
        extra["anthropic_beta"] = betas
    if extra:
        request["additionalModelRequestFields"] = extra
    return ConverseRequest(request, out.text_only_pdfs)


def _messages_to_converse(messages: object, out: Forward) -> list[dict[str, Any]]:
    if not isinstance(messages, list | tuple):
        raise fail("expected a list of messages", "messages")
    converted = []
    for index, message in enumerate(messages):
        message = mapping(message, f"messages.{index}")
        only(message, frozenset({"role", "content"}), f"messages.{index}")
        content = content_to_converse(message.get("content"), f"messages.{index}.content", out)
        converted.append({"role": message.get("role"), "content": content})
    return converted


def _system_to_converse(system: object, out: Forward) -> list[dict[str, Any]]:
    if isinstance(system, str):
        return [{"text": system}]
    blocks = content_to_converse(system, "system", out)
    for index, block in enumerate(blocks):
        if not set(block) <= {"text", "cachePoint"}:
            raise fail(
                "only text blocks have a Converse equivalent in `system`", "system", "no_equivalent"
            )
        if "cachePoint" in block and index == 0:
            raise fail("a cache point needs a block before it", "system")
    return blocks


def _tools_to_converse(tools: object, choice: object) -> dict[str, Any] | None:
    converted: list[dict[str, Any]] = []
    if tools is not None and not isinstance(tools, list | tuple):
        raise fail("expected a list of tools", "tools")
    for index, item in enumerate(tools or ()):
        where = f"tools.{index}"
        tool = mapping(item, where)
        if tool.get("type") not in (None, "custom"):
            raise fail(
                f"server tools ({tool['type']!r}) have no toolConfig equivalent", f"{where}.type",
                "server_tool", value=tool["type"],
            )  # fmt: skip
        only(tool, frozenset({"type", "name", "description", "input_schema", "cache_control",
                              "strict"}), where)  # fmt: skip
        spec: dict[str, Any] = {"name": tool.get("name")}
        if tool.get("description") is not None:
            spec["description"] = tool["description"]
        spec["inputSchema"] = {"json": tool.get("input_schema")}
        if tool.get("strict") is not None:
            spec["strict"] = tool["strict"]
        converted.append({"toolSpec": spec})
        if tool.get("cache_control") is not None:
            converted.append(
                {"cachePoint": cache_point(tool["cache_control"], f"{where}.cache_control")}
            )
    tool_choice = _choice_to_converse(choice, bool(converted))
    if not converted:
        return None
    config: dict[str, Any] = {"tools": converted}
    if tool_choice is not None:
        config["toolChoice"] = tool_choice
    return config


def _choice_to_converse(choice: object, has_tools: bool) -> dict[str, Any] | None:
    if choice is None:
        return None
    choice = mapping(choice, "tool_choice")
    kind = choice.get("type")
    if choice.get("disable_parallel_tool_use"):
        raise fail(
            "disable_parallel_tool_use has no Converse equivalent",
            "tool_choice.disable_parallel_tool_use", "parallel_tool_use",
        )  # fmt: skip
    if kind == "none":
        raise fail(
            'tool_choice "none" has no Converse equivalent (Converse has auto, any and tool)',
            "tool_choice.type", "tool_choice_none", value=kind,
        )  # fmt: skip
    if kind not in ("auto", "any", "tool"):
        raise fail(f"unknown tool_choice type {kind!r}", "tool_choice.type")
    if not has_tools:
        if kind == "auto":
            return None  # auto without tools: nothing to choose from, same as no choice
        raise fail(f'tool_choice "{kind}" needs tools', "tool_choice")
    allowed = {"type", "disable_parallel_tool_use"} | ({"name"} if kind == "tool" else set())
    only(choice, frozenset(allowed), "tool_choice")
    return {"tool": {"name": choice.get("name")}} if kind == "tool" else {kind: {}}


def from_converse_request(request: Mapping[str, Any]) -> dict[str, Any]:
    """A Converse request (Python or wire form) as Messages API parameters.

    The inverse of :func:`to_converse`: ``additionalModelRequestFields`` are merged back at
    the top level (one that names a field the request already sets is refused, as Bedrock
    does). Converse-only settings (guardrails, prompt variables, ...) raise.
    """
    for key in _CONVERSE_ONLY:
        if request.get(key) is not None:
            raise fail("has no Messages API equivalent", key, "no_equivalent")
    params: dict[str, Any] = {}
    if request.get("modelId") is not None:
        params["model"] = request["modelId"]
    params["messages"] = _messages_from_converse(request.get("messages"))
    if request.get("system"):
        params["system"] = blocks_from_converse(request["system"], "system")
    for key, name in _INFERENCE:
        value = (request.get("inferenceConfig") or {}).get(name)
        if value is not None:
            params[key] = value
    _tools_from_converse(request.get("toolConfig"), params)
    if request.get("serviceTier") is not None:
        params["service_tier"] = request["serviceTier"].get("type")
    if request.get("outputConfig") is not None:
        params["output_config"] = _output_config_from(request["outputConfig"])
    for key, value in (request.get("additionalModelRequestFields") or {}).items():
        if key in params or key == "model":
            conflict = f"The additional field {key} conflicts with an existing field."
            raise fail(
                conflict, f"additionalModelRequestFields.{key}", "conflicting_field",
                value=key, bedrock_message=conflict,
            )  # fmt: skip
        params[key] = value
    return params


def _messages_from_converse(messages: object) -> list[dict[str, Any]]:
    if not isinstance(messages, list | tuple):
        raise fail("expected a list of messages", "messages")
    out = []
    for index, message in enumerate(messages):
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise fail(
                f"role {role!r} has no Messages API equivalent",
                f"messages.{index}.role",
                "no_equivalent",
                value=role,
            )
        content = blocks_from_converse(message.get("content"), f"messages.{index}.content")
        out.append({"role": role, "content": content})
    return out


def _tools_from_converse(config: Mapping[str, Any] | None, params: dict[str, Any]) -> None:
    if not config:
        return
    tools: list[dict[str, Any]] = []
    for index, tool in enumerate(config.get("tools") or []):
        where = f"toolConfig.tools.{index}"
        member, value = one_member(tool, where)
        if member == "cachePoint" and tools:
            tools[-1]["cache_control"] = cache_control(value, where)
            continue
        if member != "toolSpec":
            raise unknown_member(member, where)
        converted: dict[str, Any] = {"name": value.get("name")}
        if value.get("description") is not None:
            converted["description"] = value["description"]
        converted["input_schema"] = (value.get("inputSchema") or {}).get("json")
        if value.get("strict") is not None:
            converted["strict"] = value["strict"]
        tools.append(converted)
    params["tools"] = tools
    choice = config.get("toolChoice")
    if choice:
        kind, value = one_member(choice, "toolConfig.toolChoice")
        params["tool_choice"] = {
            "type": kind,
            **({"name": value.get("name")} if kind == "tool" else {}),
        }


def _output_config_from(config: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if config.get("effort") is not None:
        out["effort"] = config["effort"]
    text_format = config.get("textFormat")
    if text_format is not None:
        schema = ((text_format.get("structure") or {}).get("jsonSchema") or {}).get("schema")
        try:
            out["format"] = {"type": "json_schema", "schema": json.loads(schema or "null")}
        except ValueError:
            raise fail(
                "not valid JSON", "outputConfig.textFormat.structure.jsonSchema.schema"
            ) from None
    return out
