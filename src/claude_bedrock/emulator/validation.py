"""Validation of InvokeModel bodies for Anthropic models, with Bedrock's wording.

Bedrock checks the body in two stages, and so do we:

1. a JSON-schema stage whose violations it reports in the style of the ``everit`` Java
   validator: ``Malformed input request: #: required key [max_tokens] not found, please
   reformat your input and try again.`` (pointers such as ``#/messages/0/role``, several
   violations joined with no separator, as everit concatenates them). A body with
   ``messages`` first fails the schema's other branch (the legacy text-completion one, ``not
   required messages``), which everit reports first: ``#: subject must not be valid against
   schema {"required":["messages"]}`` (public reports: pingcap/autoflow #574, koog #500);
2. Anthropic's semantic checks, reported as is: ``messages: roles must alternate between
   "user" and "assistant", but found multiple "user" roles in a row``, ``messages: first
   message must use the "user" role``, ``The maximum tokens you requested exceeds the model
   limit of N...``.

``anthropic_version`` may be Bedrock's documented ``bedrock-2023-05-31`` or a dated API
version such as ``2026-10-21`` (what the Anthropic SDK sends since 2.x).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Final

from ..wire.rules.context import max_tokens_violation
from ..wire.rules.request_rules import load_rules
from . import json_body
from .errors import validation_error
from .output_config import check_output_config

__all__ = ["ALLOWED_KEYS", "validate_invoke_body"]

ALLOWED_KEYS: Final = (
    "anthropic_version",
    "anthropic_beta",
    "max_tokens",
    "messages",
    "system",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "tools",
    "tool_choice",
    "thinking",
    "metadata",
    "output_config",
)
_REQUIRED: Final = ("anthropic_version", "max_tokens", "messages")
_VERSION_RE = re.compile(r"bedrock-2023-05-31\Z|\d{4}-\d{2}-\d{2}\Z")
_TOOL_NAME_RE = re.compile(r"[a-zA-Z0-9_-]{1,64}\Z")
_BLOCK_REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    "text": ("text",),
    "image": ("source",),
    "document": ("source",),
    "tool_use": ("id", "name", "input"),
    "tool_result": ("tool_use_id",),
    "thinking": ("thinking", "signature"),
    "redacted_thinking": ("data",),
    "search_result": ("source", "title", "content"),
}
_MAX_STOP_SEQUENCES: Final = 8191
_MIN_THINKING_BUDGET: Final = 1024


def _type_name(value: object) -> str:
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "BigDecimal"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "JSONArray"
    return "JSONObject"


_MAX_ECHO = 64


def _table_text(rule_id: str, **values: object) -> str:
    """The rule's wording from the request-rule table (the source's quote, with this request's
    concrete values), so the emulator says what Bedrock says rather than a paraphrase."""
    return (load_rules().get(rule_id).error.template or "").format(**values)


def _fmt(value: object) -> str:
    """A value as error messages quote it: short, so a body is never reflected at length."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= _MAX_ECHO else text[: _MAX_ECHO - 3] + "..."


class _Checker:
    """Collects everit-style violations over one body."""

    def __init__(self) -> None:
        self.violations: list[str] = []

    def add(self, pointer: str, message: str) -> None:
        self.violations.append(f"{pointer}: {message}")

    def type_is(self, pointer: str, value: object, *expected: str) -> bool:
        actual = _type_name(value)
        ok = actual in expected or (actual == "Integer" and "Number" in expected)
        ok = ok or (actual == "BigDecimal" and "Number" in expected)
        if not ok:
            self.add(pointer, f"expected type: {' or '.join(expected)}, found: {actual}")
        return ok

    def keys(self, pointer: str, obj: Mapping[str, Any], required: tuple[str, ...]) -> None:
        for key in required:
            if key not in obj:
                self.add(pointer, f"required key [{key}] not found")

    def extraneous(self, pointer: str, obj: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        for key in obj:
            if key not in allowed:
                self.add(pointer, f"extraneous key [{_fmt(key)}] is not permitted")

    def number(
        self,
        pointer: str,
        value: object,
        *,
        kind: str = "Number",
        low: float | None = None,
        high: float | None = None,
    ) -> None:
        if not self.type_is(pointer, value, kind):
            return
        assert isinstance(value, int | float)
        if low is not None and value < low:
            self.add(pointer, f"{_fmt(value)} is not greater or equal to {_fmt(low)}")
        if high is not None and value > high:
            self.add(pointer, f"{_fmt(value)} is not less or equal to {_fmt(high)}")

    def enum(self, pointer: str, value: object, allowed: tuple[str, ...]) -> bool:
        if value not in allowed:
            self.add(pointer, f"{_fmt(value)} is not a valid enum value")
            return False
        return True


def _check_top_level(c: _Checker, body: Mapping[str, Any]) -> None:
    c.keys("#", body, _REQUIRED)
    c.extraneous("#", body, ALLOWED_KEYS)
    version = body.get("anthropic_version")
    if "anthropic_version" in body and c.type_is("#/anthropic_version", version, "String"):
        assert isinstance(version, str)
        if not _VERSION_RE.match(version):
            c.add("#/anthropic_version", f"{_fmt(version)} is not a valid enum value")
    if "anthropic_beta" in body and c.type_is(
        "#/anthropic_beta", body["anthropic_beta"], "JSONArray"
    ):
        for i, beta in enumerate(body["anthropic_beta"]):
            c.type_is(f"#/anthropic_beta/{i}", beta, "String")
    if "max_tokens" in body:
        c.number("#/max_tokens", body["max_tokens"], kind="Integer", low=1)
    for key in ("temperature", "top_p"):
        if key in body:
            c.number(f"#/{key}", body[key], low=0, high=1)
    if "top_k" in body:
        c.number("#/top_k", body["top_k"], kind="Integer", low=0, high=500)
    stops = body.get("stop_sequences")
    if "stop_sequences" in body and c.type_is("#/stop_sequences", stops, "JSONArray"):
        assert isinstance(stops, list)
        if len(stops) > _MAX_STOP_SEQUENCES:
            c.add("#/stop_sequences", f"expected maximum item count: {_MAX_STOP_SEQUENCES}")
        for i, stop in enumerate(stops):
            c.type_is(f"#/stop_sequences/{i}", stop, "String")
    if "metadata" in body and c.type_is("#/metadata", body["metadata"], "JSONObject"):
        c.extraneous("#/metadata", body["metadata"], ("user_id",))
        if "user_id" in body["metadata"] and body["metadata"]["user_id"] is not None:
            c.type_is("#/metadata/user_id", body["metadata"]["user_id"], "String")


def _check_block(c: _Checker, pointer: str, block: object) -> None:
    if not c.type_is(pointer, block, "JSONObject"):
        return
    assert isinstance(block, Mapping)
    if "type" not in block:
        c.add(pointer, "required key [type] not found")
        return
    kind = block["type"]
    if not c.enum(f"{pointer}/type", kind, tuple(_BLOCK_REQUIRED)):
        return
    c.keys(pointer, block, _BLOCK_REQUIRED[kind])
    if kind == "text" and "text" in block:
        c.type_is(f"{pointer}/text", block["text"], "String")
    elif kind == "tool_use" and "input" in block:
        c.type_is(f"{pointer}/input", block["input"], "JSONObject")
    elif kind == "tool_result" and "content" in block:
        content = block["content"]
        if c.type_is(f"{pointer}/content", content, "String", "JSONArray") and isinstance(
            content, list
        ):
            for i, sub in enumerate(content):
                _check_block(c, f"{pointer}/content/{i}", sub)


def _check_messages(c: _Checker, messages: object) -> None:
    if not c.type_is("#/messages", messages, "JSONArray"):
        return
    assert isinstance(messages, list)
    for i, message in enumerate(messages):
        pointer = f"#/messages/{i}"
        if not c.type_is(pointer, message, "JSONObject"):
            continue
        c.keys(pointer, message, ("role", "content"))
        c.extraneous(pointer, message, ("role", "content"))
        if "role" in message:
            c.enum(f"{pointer}/role", message["role"], ("user", "assistant"))
        content = message.get("content")
        if "content" in message and c.type_is(f"{pointer}/content", content, "String", "JSONArray"):
            for j, block in enumerate(content if isinstance(content, list) else []):
                _check_block(c, f"{pointer}/content/{j}", block)


def _check_system(c: _Checker, system: object) -> None:
    if c.type_is("#/system", system, "String", "JSONArray") and isinstance(system, list):
        for i, block in enumerate(system):
            pointer = f"#/system/{i}"
            if c.type_is(pointer, block, "JSONObject"):
                c.keys(pointer, block, ("type", "text"))
                if "type" in block:
                    c.enum(f"{pointer}/type", block["type"], ("text",))


def _check_tools(c: _Checker, body: Mapping[str, Any]) -> None:
    tools = body.get("tools")
    if "tools" in body and c.type_is("#/tools", tools, "JSONArray"):
        assert isinstance(tools, list)
        for i, tool in enumerate(tools):
            pointer = f"#/tools/{i}"
            if not c.type_is(pointer, tool, "JSONObject"):
                continue
            if "type" in tool and tool["type"] not in ("custom", None):
                c.keys(pointer, tool, ("name",))  # a server tool (bash, text editor...)
                continue
            c.keys(pointer, tool, ("name", "input_schema"))
            name = tool.get("name")
            if isinstance(name, str) and not _TOOL_NAME_RE.match(name):
                c.add(
                    f"{pointer}/name",
                    f"string [{_fmt(name)}] does not match pattern ^[a-zA-Z0-9_-]{{1,64}}$",
                )
            schema = tool.get("input_schema")
            if "input_schema" in tool and c.type_is(
                f"{pointer}/input_schema", schema, "JSONObject"
            ):
                c.keys(f"{pointer}/input_schema", schema, ("type",))
    choice = body.get("tool_choice")
    if "tool_choice" in body and c.type_is("#/tool_choice", choice, "JSONObject"):
        assert isinstance(choice, Mapping)
        c.keys("#/tool_choice", choice, ("type",))
        if (
            "type" in choice
            and c.enum("#/tool_choice/type", choice["type"], ("auto", "any", "tool", "none"))
            and choice["type"] == "tool"
        ):
            c.keys("#/tool_choice", choice, ("name",))


def _check_thinking(c: _Checker, body: Mapping[str, Any]) -> None:
    thinking = body.get("thinking")
    if "thinking" not in body or not c.type_is("#/thinking", thinking, "JSONObject"):
        return
    assert isinstance(thinking, Mapping)
    c.keys("#/thinking", thinking, ("type",))
    if (
        "type" in thinking
        and c.enum("#/thinking/type", thinking["type"], ("enabled", "disabled", "adaptive"))
        and thinking["type"] == "enabled"
    ):
        c.keys("#/thinking", thinking, ("budget_tokens",))
        if "budget_tokens" in thinking:
            c.number(
                "#/thinking/budget_tokens",
                thinking["budget_tokens"],
                kind="Integer",
            )


def _schema_stage(body: object) -> None:
    c = _Checker()
    if not c.type_is("#", body, "JSONObject"):
        _raise_malformed(c.violations, body)
    assert isinstance(body, Mapping)
    _check_top_level(c, body)
    if "messages" in body:
        _check_messages(c, body["messages"])
    if "system" in body:
        _check_system(c, body["system"])
    _check_tools(c, body)
    _check_thinking(c, body)
    check_output_config(c, body)
    if c.violations:
        _raise_malformed(c.violations, body)


#: The legacy (text-completion) branch's failure, reported first when ``messages`` is there.
_NOT_LEGACY: Final = '#: subject must not be valid against schema {"required":["messages"]}'


def _raise_malformed(violations: list[str], body: object) -> None:
    legacy = [_NOT_LEGACY] if isinstance(body, Mapping) and "messages" in body else []
    raise validation_error(
        f"Malformed input request: {''.join([*legacy, *violations])}, please reformat your "
        "input and try again."
    )


OutputLimit = int | Callable[[Sequence[str]], int] | None


def _semantic_stage(
    body: Mapping[str, Any], output_limit: OutputLimit, skip: Collection[str]
) -> None:
    messages: list[Mapping[str, Any]] = body["messages"]
    if not messages:
        raise validation_error("messages: at least one message is required")
    if messages[0]["role"] != "user" and "messages.first_message_user.invoke" not in skip:
        raise validation_error('messages: first message must use the "user" role')
    alternating = "messages.alternating_roles.invoke" not in skip
    for previous, current in zip(messages, messages[1:] if alternating else [], strict=False):
        if previous["role"] == current["role"]:
            role = current["role"]
            raise validation_error(
                f'messages: roles must alternate between "user" and "assistant", '
                f'but found multiple "{role}" roles in a row'
            )
    _check_contents(messages)
    if not {
        "tools.tool_result_without_tool_use.invoke",
        "tools.tool_use_without_tool_result.invoke",
    } <= set(skip):
        _check_tool_pairs(messages)
    max_tokens = body["max_tokens"]
    max_output_tokens = (
        output_limit(body.get("anthropic_beta") or []) if callable(output_limit) else output_limit
    )
    if max_output_tokens is not None and max_tokens_violation(max_tokens, max_output_tokens):
        raise validation_error(
            f"The maximum tokens you requested exceeds the model limit of {max_output_tokens}. "
            f"Try again with a maximum tokens value that is lower than {max_output_tokens}."
        )
    thinking = body.get("thinking")
    if isinstance(thinking, Mapping) and thinking.get("type") == "enabled":
        # The model refuses a small budget (a pydantic-style error), not the JSON schema.
        if thinking["budget_tokens"] < _MIN_THINKING_BUDGET:
            raise validation_error(_table_text("thinking.budget_minimum_1024"))
        if thinking["budget_tokens"] >= max_tokens:
            raise validation_error(_table_text("thinking.budget_not_below_max_tokens"))
        if body.get("temperature", 1) != 1:
            raise validation_error(_table_text("thinking.temperature_must_be_1"))
    if "tools.tool_choice_without_tools" not in skip:
        _check_tool_choice(body)


def _check_contents(messages: list[Mapping[str, Any]]) -> None:
    last = len(messages) - 1
    for i, message in enumerate(messages):
        content = message["content"]
        empty = content == "" or content == []
        if empty and not (i == last and message["role"] == "assistant"):
            raise validation_error(
                f"messages.{i}: all messages must have non-empty content except for the "
                "optional final assistant message"
            )
        for block in content if isinstance(content, list) else []:
            if block["type"] == "text" and not block["text"]:
                raise validation_error("messages: text content blocks must be non-empty")


def _ids(content: object, kind: str, key: str) -> list[str]:
    if not isinstance(content, list):
        return []
    return [str(b.get(key)) for b in content if b.get("type") == kind]


def _check_tool_pairs(messages: list[Mapping[str, Any]]) -> None:
    for i, message in enumerate(messages):
        if message["role"] != "user":
            continue
        results = _ids(message["content"], "tool_result", "tool_use_id")
        uses = _ids(messages[i - 1]["content"], "tool_use", "id") if i > 0 else []
        unknown = [r for r in results if r not in uses]
        if unknown:
            raise validation_error(
                _table_text(
                    "tools.tool_result_without_tool_use.invoke",
                    index=i,
                    block=_first_result_block(message["content"], unknown[0]),
                    ids=_fmt(", ".join(unknown)),
                )
            )
    for i, message in enumerate(messages[:-1]):
        if message["role"] != "assistant":
            continue
        missing = [
            u
            for u in _ids(message["content"], "tool_use", "id")
            if u not in _ids(messages[i + 1]["content"], "tool_result", "tool_use_id")
        ]
        if missing:
            raise validation_error(
                _table_text(
                    "tools.tool_use_without_tool_result.invoke",
                    index=i,
                    ids=_fmt(", ".join(missing)),
                )
            )


def _first_result_block(content: object, tool_use_id: str) -> int:
    """Index of the ``tool_result`` block answering ``tool_use_id`` (Bedrock names the block)."""
    blocks = content if isinstance(content, list) else []
    for j, block in enumerate(blocks):
        if block.get("type") == "tool_result" and str(block.get("tool_use_id")) == tool_use_id:
            return j
    return 0


def _check_tool_choice(body: Mapping[str, Any]) -> None:
    choice = body.get("tool_choice")
    if not isinstance(choice, Mapping):
        return
    tools = body.get("tools") or []
    if choice["type"] in ("any", "tool") and not tools:
        kind = choice["type"]  # the tagged form two public reports quote (rule table)
        raise validation_error(f"tool_choice.{kind} may only be specified while providing tools")
    if choice["type"] == "tool":
        names = [t.get("name") for t in tools]
        if choice["name"] not in names:
            raise validation_error(
                f"tool_choice: tool `{_fmt(choice['name'])}` was not found in the `tools` list"
            )


def validate_invoke_body(
    raw: bytes, *, max_output_tokens: OutputLimit = None, skip: Collection[str] = ()
) -> dict[str, Any]:
    """Parse and validate an InvokeModel body; raise a ``ValidationException`` if Bedrock would.

    ``max_output_tokens`` is the model's ``max_tokens`` ceiling, or a function of the
    body's ``anthropic_beta`` flags giving it (None: not checked). ``skip``: IDs of the
    rule table's uncertain rules checked here that ``--lenient`` turns off.
    """
    try:
        body = json_body.loads(raw)
    except json_body.MalformedJson as error:
        raise validation_error(json_body.malformed_message("InvokeModel", error)) from None
    _schema_stage(body)
    _semantic_stage(body, max_output_tokens, skip)
    return body  # type: ignore[no-any-return]
