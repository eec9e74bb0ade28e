"""The emulator's enforcement of the request-rule table (``wire/rules/bedrock_rules.json``).

One small check per rule ID, registered in :data:`CHECKS`; the facts (which models, the
status, type and wording) come from the table, so a check only answers "is this request
in breach, and with which concrete values". :func:`enforce` runs every check whose rule
lists the surface and the model, in table order, and raises the first breach as Bedrock
does (one error per request). With ``lenient`` only the rules marked certain (H) run.

Rules the emulator enforced before the table existed are checked where they always were
(the schema stage of :mod:`.validation`, the Converse shape and conversation checks);
:data:`EXISTING` names, per rule ID, the function that does it, so the table's tests and
coverage count them under the table's IDs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from ..catalog import Catalog, ModelInfo
from ..wire.rules.request_rules import RequestRule, load_rules
from .errors import BedrockError

__all__ = [
    "CHECKS",
    "EXISTING",
    "PRE_TABLE",
    "conversation_skips",
    "lenient_skips",
    "RequestView",
    "enforce",
    "model_facts",
]

Values = dict[str, object]
Check = Callable[["RequestView"], Values | None]


@dataclass(frozen=True)
class RequestView:
    """What a check sees: the surface, the catalogue model, the Anthropic-shaped body (the
    translated one for Converse) and, on Converse, the request as sent."""

    surface: str
    model: ModelInfo
    body: Mapping[str, Any]
    converse: Mapping[str, Any] | None = None

    @property
    def thinking_type(self) -> str | None:
        thinking = self.body.get("thinking")
        return thinking.get("type") if isinstance(thinking, Mapping) else None

    @property
    def tool_choice_type(self) -> str | None:
        choice = self.body.get("tool_choice")
        return choice.get("type") if isinstance(choice, Mapping) else None

    @property
    def messages(self) -> list[Any]:
        messages = self.body.get("messages")
        return messages if isinstance(messages, list) else []


def model_facts(info: ModelInfo) -> dict[str, object]:
    """The catalogue fields rule scopes test (``ModelScope.matches`` reads them)."""
    return {
        "thinking.refuses": info.thinking.refuses,
        "thinking.sampling": info.thinking.sampling,
        "thinking.forced_tool_choice": info.thinking.forced_tool_choice,
        "thinking.assistant_prefill": info.thinking.assistant_prefill,
        "thinking.budget_tokens": info.thinking.budget_tokens,
        "lifecycle": info.lifecycle,
        "surfaces": info.surfaces,
        "release_date": info.release_date.isoformat() if info.release_date else None,
    }


_FORCED: Final = ("any", "tool")
_THINKING_ON: Final = ("enabled", "adaptive")
_TOOL_NAME: Final = re.compile(r"[a-zA-Z0-9_-]+")


def _converse_blocks(view: RequestView) -> Iterator[Mapping[str, Any]]:
    for message in (view.converse or {}).get("messages") or []:
        for block in message.get("content") or [] if isinstance(message, Mapping) else []:
            if isinstance(block, Mapping):
                yield block


def _tool_blocks_need_tool_config(view: RequestView) -> Values | None:
    if view.converse is None or view.converse.get("toolConfig") is not None:
        return None
    tool_block = any("toolUse" in b or "toolResult" in b for b in _converse_blocks(view))
    return {} if tool_block else None


def _tool_name_pattern(view: RequestView) -> Values | None:
    tools = ((view.converse or {}).get("toolConfig") or {}).get("tools") or []
    for index, tool in enumerate(tools):
        name = (tool.get("toolSpec") or {}).get("name") if isinstance(tool, Mapping) else None
        if isinstance(name, str) and not _TOOL_NAME.fullmatch(name):
            return {"value": name, "index": index + 1}
    return None


def _temperature_and_top_p(view: RequestView) -> Values | None:
    both = view.body.get("temperature") is not None and view.body.get("top_p") is not None
    return {} if both else None


def _present(key: str) -> Check:
    def check(view: RequestView) -> Values | None:
        return {} if view.body.get(key) is not None else None

    return check


def _thinking_is(kind: str) -> Check:
    def check(view: RequestView) -> Values | None:
        return {} if view.thinking_type == kind else None

    return check


def _forced_with_thinking(view: RequestView) -> Values | None:
    forced = view.tool_choice_type in _FORCED
    return {} if forced and view.thinking_type in _THINKING_ON else None


def _forced_tool_choice(view: RequestView) -> Values | None:
    return {} if view.tool_choice_type in _FORCED else None


def _assistant_prefill(view: RequestView) -> Values | None:
    messages = view.messages
    if not messages or not isinstance(messages[-1], Mapping):
        return None
    last = messages[-1]
    if last.get("role") != "assistant":
        return None
    content = last.get("content")
    blocks = content if isinstance(content, list) else []
    if blocks and all(isinstance(b, Mapping) and b.get("type") == "tool_use" for b in blocks):
        return None  # a malformed tool turn, refused by its own rule
    return {}


def _whitespace_text(view: RequestView) -> Values | None:
    for message in view.messages:
        content = message.get("content") if isinstance(message, Mapping) else None
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        for block in blocks or []:
            text = block.get("text") if isinstance(block, Mapping) else None
            if block.get("type") == "text" and isinstance(text, str) and text and not text.strip():
                return {}
    return None


def _prefill_with_tools(view: RequestView) -> Values | None:
    return _assistant_prefill(view) if view.body.get("tools") else None


def _top_p_with_thinking(view: RequestView) -> Values | None:
    return {} if view.thinking_type == "enabled" and view.body.get("top_p") is not None else None


def _cache_breakpoints(view: RequestView) -> Values | None:
    found = 0
    groups: list[Any] = [view.body.get("tools"), view.body.get("system")]
    groups += [m.get("content") for m in view.messages if isinstance(m, Mapping)]
    for group in groups:
        if isinstance(group, list):
            found += sum(1 for b in group if isinstance(b, Mapping) and b.get("cache_control"))
    return {"found": found} if found > 4 else None


def _final_assistant_thinking(view: RequestView) -> Values | None:
    """Manual thinking in a tool loop: the last assistant turn must open with its thinking."""
    messages = view.messages
    if view.thinking_type != "enabled" or not messages or not isinstance(messages[-1], Mapping):
        return None
    last = messages[-1].get("content")
    in_loop = isinstance(last, list) and any(
        isinstance(b, Mapping) and b.get("type") == "tool_result" for b in last
    )
    index = next(
        (i for i in range(len(messages) - 1, -1, -1) if messages[i].get("role") == "assistant"),
        None,
    )
    if not in_loop or index is None:
        return None
    content = messages[index].get("content")
    first = content[0] if isinstance(content, list) and content else {"type": "text"}
    found = first.get("type") if isinstance(first, Mapping) else "text"
    if found in ("thinking", "redacted_thinking"):
        return None
    return {"index": index, "found": found}


#: Custom-tool fields the sources saw refused (others are left alone: not known either way).
_REFUSED_TOOL_KEYS: Final = ("defer_loading", "input_examples")


def _unknown_tool_fields(view: RequestView) -> Values | None:
    """A custom tool with a field Bedrock's validator does not know (``defer_loading`` is
    known only with the tool-search beta)."""
    betas = view.body.get("anthropic_beta") or []
    if any("tool-search" in str(beta) for beta in betas):
        return None
    for index, tool in enumerate(view.body.get("tools") or []):
        if isinstance(tool, Mapping) and tool.get("type", "custom") == "custom":
            extra = next((key for key in _REFUSED_TOOL_KEYS if key in tool), None)
            if extra is not None:
                return {"index": index, "field": extra}
    return None


def _cache_ttl_order(view: RequestView) -> Values | None:
    """Walking tools, system, messages: a 1h breakpoint after a 5m (default) one."""
    places: list[tuple[str, Any]] = []
    for group in ("tools", "system"):
        blocks = view.body.get(group)
        if isinstance(blocks, list):
            places += [(f"{group}.{i}", b) for i, b in enumerate(blocks)]
    for i, message in enumerate(view.messages):
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, list):
            places += [(f"messages.{i}.content.{j}", b) for j, b in enumerate(content)]
    seen_short = False
    for path, block in places:
        control = block.get("cache_control") if isinstance(block, Mapping) else None
        if not isinstance(control, Mapping):
            continue
        if control.get("ttl") == "1h" and seen_short:
            return {"path": path}
        seen_short = seen_short or control.get("ttl", "5m") == "5m"
    return None


def _base64_images(view: RequestView) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The base64 image sources of the body, with their paths (tool results included).
    Cheap on image-free bodies: one look at each block's type."""
    for i, message in enumerate(view.messages):
        content = message.get("content") if isinstance(message, Mapping) else None
        if not isinstance(content, list):
            continue
        for j, block in enumerate(content):
            kind = block.get("type") if isinstance(block, Mapping) else None
            if kind == "image":
                yield from _base64_source(f"messages.{i}.content.{j}", block)
            elif kind == "tool_result" and isinstance(block.get("content"), list):
                for k, part in enumerate(block["content"]):
                    if isinstance(part, Mapping) and part.get("type") == "image":
                        yield from _base64_source(f"messages.{i}.content.{j}.content.{k}", part)


def _base64_source(path: str, block: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    source = block.get("source")
    if isinstance(source, Mapping) and source.get("type") == "base64":
        yield f"{path}.image.source.base64", source


#: The image types the model takes (Anthropic's API; botocore's ImageFormat for Converse).
_IMAGE_TYPES: Final = ("image/jpeg", "image/png", "image/gif", "image/webp")


@lru_cache(maxsize=1)
def _image_base64_max() -> int:
    """The model's limit on an image's base64 text: the catalogue's 3.75 MiB of bytes once
    encoded (5,242,880 characters, Converse's limit too)."""
    return 4 * -(-Catalog.default().pdf_limits.converse_max_image_bytes // 3)


def _image_media_type(view: RequestView) -> Values | None:
    for path, source in _base64_images(view):
        if source.get("media_type") not in _IMAGE_TYPES:
            return {"path": f"{path}.media_type"}
    return None


def _image_size(view: RequestView) -> Values | None:
    for path, source in _base64_images(view):
        data = source.get("data")
        if isinstance(data, str) and len(data) > _image_base64_max():
            return {"path": path, "size": len(data)}
    return None


#: Rule ID -> its check (the table's facts decide where and with what wording it answers).
CHECKS: Final[dict[str, Check]] = {
    "converse.tool_blocks_need_tool_config": _tool_blocks_need_tool_config,
    "converse.tool_name_pattern": _tool_name_pattern,
    "thinking.enabled_refused_adaptive_only": _thinking_is("enabled"),
    "thinking.enabled_refused_opus5": _thinking_is("enabled"),
    "thinking.disabled_refused_always_on": _thinking_is("disabled"),
    "thinking.adaptive_refused_pre_46": _thinking_is("adaptive"),
    "thinking.forced_tool_choice_with_thinking": _forced_with_thinking,
    "tool_choice.forced_refused": _forced_tool_choice,
    "sampling.temperature_deprecated": _present("temperature"),
    "sampling.top_p_deprecated": _present("top_p"),
    "sampling.top_k_deprecated": _present("top_k"),
    "sampling.temperature_and_top_p_exclusive": _temperature_and_top_p,
    "messages.assistant_prefill_refused": _assistant_prefill,
    "messages.text_block_whitespace.invoke": _whitespace_text,
    "tools.prefill_with_tools": _prefill_with_tools,
    "thinking.top_p_unset": _top_p_with_thinking,
    "cache.max_four_breakpoints": _cache_breakpoints,
    "thinking.final_assistant_must_start_with_thinking": _final_assistant_thinking,
    "tools.unknown_tool_fields": _unknown_tool_fields,
    "cache.ttl_ordering": _cache_ttl_order,
    "images.media_type_enum": _image_media_type,
    "images.max_size_5mb": _image_size,
}

_CONVERSATION: Final = "wire.converse.conversation_violation (emulator.converse)"
_SCHEMA: Final = "emulator.validation.validate_invoke_body"
_SHAPES: Final = "wire.converse.first_violation (botocore shapes)"
_MODEL_IDS: Final = "emulator.model_ids.resolve_invocation_model"
_DOCUMENTS: Final = "emulator.document_checks"
_MESSAGES: Final = "emulator.messages_surface"

#: Rule ID -> where the emulator already enforced it before the table (checked in place;
#: wording as those modules have it, which the table's tests compare with the quotes).
EXISTING: Final[dict[str, str]] = {
    "invoke.body_too_large": "emulator.body_limit (the server's cap, the route's answer)",
    "output_config.format_refused": "emulator.output_config.refuse_format_on (mantle)",
    "messages.first_message_user.invoke": _SCHEMA,
    "messages.alternating_roles.invoke": _SCHEMA,
    "messages.text_block_empty.invoke": _SCHEMA,
    "sampling.top_k_range": _SCHEMA,
    "messages.empty": _SCHEMA,
    "tools.tool_choice_without_tools": _SCHEMA,
    "converse.media_only_in_user_messages": _CONVERSATION,
    "invoke.schema.anthropic_version": _SCHEMA,
    "converse.first_message_user": _CONVERSATION,
    "converse.alternating_roles": _CONVERSATION,
    "converse.blank_text": _CONVERSATION,
    "converse.tool_results_exceed_tool_uses": _CONVERSATION,
    "converse.document_name_charset": _DOCUMENTS,
    "converse.document_names_unique": _DOCUMENTS,
    "converse.document_needs_text_block": _DOCUMENTS,
    "model_id.invalid_identifier": _MODEL_IDS,
    "tools.tool_result_without_tool_use.invoke": _SCHEMA,
    "tools.tool_use_without_tool_result.invoke": _SCHEMA,
    "thinking.budget_not_below_max_tokens": _SCHEMA,
    "thinking.temperature_must_be_1": _SCHEMA,
    "lifecycle.end_of_life": _MODEL_IDS,
    "thinking.budget_minimum_1024": _SCHEMA,
    "documents.pdf_max_pages": _DOCUMENTS,
    "documents.pdf_invalid": _DOCUMENTS,
    "sampling.temperature_top_p_range": f"{_SHAPES}; {_SCHEMA}",
    "converse.missing_tool_results": _CONVERSATION,
    "converse.documents_max_five": _DOCUMENTS,
    "converse.inference_config_bounds": _SHAPES,
    "converse.shape_constraints_misc": _SHAPES,
    "count_tokens.model_not_supported": "emulator.count_tokens",
    "mantle.model_not_found": _MESSAGES,
    "runtime_messages.bare_model_id": _MESSAGES,
    "messages_api.anthropic_version_header_required": _MESSAGES,
    "runtime_messages.count_tokens_unknown_operation": "emulator.messages_api",
    "model_id.on_demand_not_supported": _MODEL_IDS,
    "model_id.pattern": _MODEL_IDS,
    "surface.model_not_on_runtime": _MODEL_IDS,
    "max_tokens.above_model_limit": _SCHEMA,
    "converse.union_must_set_one_member": _SHAPES,
    "invoke.schema.extraneous_key": _SCHEMA,
    "invoke.schema.type_mismatch": _SCHEMA,
    "invoke.schema.required_keys": _SCHEMA,
    "converse.system_role_in_messages": _CONVERSATION,
    "count_tokens.input_union": "emulator.count_tokens",
    "images.too_many": _CONVERSATION,
    "version.2026_10_21_on_older_models": _MESSAGES,
    "context.prompt_too_long": "emulator.runtime (context window)",
}


@lru_cache(maxsize=1024)
def _applicable(
    surface: str, model: ModelInfo, lenient: bool
) -> tuple[tuple[RequestRule, Check], ...]:
    """The rules (with their checks) that apply on ``surface`` to ``model``, in table order:
    the same for every request to that model, so worked out once, not per request."""
    facts = model_facts(model)
    applicable = []
    for rule in load_rules():
        check = CHECKS.get(rule.id)
        if check is None or rule.enforcement != "enforced" or surface not in rule.surfaces:
            continue
        if lenient and not rule.certain:
            continue
        if rule.models.matches(model.id, facts):
            applicable.append((rule, check))
    return tuple(applicable)


def enforce(view: RequestView, *, lenient: bool = False) -> None:
    """Raise the first rule the request breaks, worded for ``view.surface``."""
    for rule, check in _applicable(view.surface, view.model, lenient):
        values = check(view)
        if values is not None:
            raise BedrockError(rule.error.type, rule.error.render(view.surface, values))


#: Rules enforced (or partly: condition, wording or model scope differs from the sources) by a
#: check older than the table, not table-tested yet (table ``pre-table``; each rule's notes
#: say why). None left: the last one, structured outputs refused, was narrowed to mantle,
#: where AWS documented the 400, and is table-tested under :data:`EXISTING`.
PRE_TABLE: Final[dict[str, str]] = {}


def lenient_skips(lenient: bool) -> frozenset[str]:
    """IDs of the pre-table checks ``--lenient`` turns off: those whose rule is not H."""
    if not lenient:
        return frozenset()
    table = load_rules()
    ids = set(EXISTING) | set(PRE_TABLE)
    return frozenset(i for i in ids if not table.get(i).certain)


#: Table rules checked by the wire layer's Converse conversation rules that a lenient emulator
#: can turn off, by their names there (the others are certain, or, like a mid-conversation
#: system message, could not be run by the emulator anyway).
_CONVERSATION_NAMES: Final = {"images.too_many": "too_many_images"}


@lru_cache(maxsize=2)
def conversation_skips(lenient: bool) -> frozenset[str]:
    """Names of the Converse conversation rules ``--lenient`` turns off (rule not H)."""
    skipped = lenient_skips(lenient)
    return frozenset(name for rule, name in _CONVERSATION_NAMES.items() if rule in skipped)
