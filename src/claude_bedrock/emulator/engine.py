"""Engines produce the emulator's answers; :class:`DeterministicEngine` is the default.

**The engine interface** (:class:`Engine`; plug one in with ``Emulator(engine=...)`` or
``claude-bedrock serve --engine module:factory``; helpers in :mod:`.engine_kit`):

* *Input*: every answering surface hands the engine the same thing, the **validated
  InvokeModel body** (Anthropic's Messages shape with ``anthropic_version``, a Python
  dict), and the model name responses carry. The emulator has already refused what
  Bedrock refuses (schema, request rules, model ID, context window), so an engine never
  sees a bad request. Converse and ConverseStream requests are translated to that body
  first (:func:`claude_bedrock.wire.converse.from_converse_request`; ``max_tokens`` defaults
  as Bedrock's does); the Messages API (``/anthropic/v1/messages``) drops ``model`` and
  ``stream`` and moves the ``anthropic-beta`` header into ``anthropic_beta``; batch jobs
  pass each record's ``modelInput`` (an engine error becomes that record's error line).
  One engine thus answers InvokeModel, its stream, Converse, ConverseStream, the
  Messages API and batch jobs alike.
* *Output*: :meth:`Engine.respond` returns a complete Anthropic ``Message`` dict (``id``,
  ``type``, ``role``, ``model``, ``content``, ``stop_reason``, ``stop_sequence``,
  ``usage``); :meth:`Engine.stream_events` returns the Anthropic stream events
  (``message_start`` ... ``message_stop``) of one answer, normally
  ``message_to_events(self.respond(...))`` so a stream concatenates to the non-streamed
  answer. The emulator wraps them per surface: InvokeModel's JSON and token-count headers,
  event-stream ``chunk`` frames with ``amazon-bedrock-invocationMetrics``, Converse's
  shape, SSE. It does not check them: a malformed answer is the engine's bug.
* *Usage*: the engine fills ``usage``; the emulator copies it into headers, metrics and
  Converse's ``usage`` without recounting. :func:`.engine_kit.build_message` counts as
  the default engine does, with :mod:`.tokens` (the counter CountTokens and the context
  window check use too), so counts agree across routes.
* *Limits*: ``max_tokens`` and ``stop_sequences`` are the engine's to apply (the emulator
  has only checked that they are valid); :func:`.engine_kit.build_message` applies them
  (cut text, ``stop_reason`` ``max_tokens`` / ``stop_sequence``) as this engine does.
* *Errors*: raise :class:`~.errors.BedrockError` (e.g. ``BedrockError(
  "ModelErrorException", "...")``, or :func:`~.errors.throttled`) and the client gets
  Bedrock's error for that surface: status and ``x-amzn-ErrorType`` on the runtime
  routes, Anthropic's error envelope on the Messages API. Both methods run before the
  first byte, so a streaming call fails with an HTTP error, not a half stream. Any other
  exception is logged and answered ``500 InternalServerException``.
* *Threads*: engines are called synchronously on the server's event loop (keep them
  quick: a slow engine stalls every connection) and from the batch worker's thread pool
  (so they must be thread-safe). The event list is built whole before the first byte
  (the default engine's 100k-token answer: 25k events, about 12 MB); ``--pace`` then
  spaces its frames.

:class:`DeterministicEngine` is an emulator, not a model, and says so: every text it writes
starts with ``[emulator]``. It answers from the input alone (same request, same content):
it echoes the last user message with its token count and digest, honours ``max_tokens``,
``stop_sequences``, ``tool_choice`` (a schema-valid ``tool_use`` input), ``thinking`` (a
signed thinking block), ``cache_control`` (prompt-cache usage) and ``output_config.format``
(structured outputs: the text is JSON valid against the schema, from
:mod:`.schema_values`, not an answer to the prompt), and reports usage from :mod:`.tokens`.
Its work is bounded, since it runs on the event loop: a schema value is built within
:class:`.schema_values.Limits` (a schema whose smallest value is larger is a 400
``ValidationException`` that names the keyword and says the limit is the emulator's), and
document text comes from the budgeted, off-loop extraction of :mod:`.document_checks`.

Tools, with ``tool_choice`` ``auto`` (the default): the tools the prompt names are called
one per turn, in the ``tools`` list's order, each once; when each has its result the
answer is text echoing every result (a multi-step loop a tool runner can drive; a real
model decides otherwise). ``any`` calls the named tool (else the first) every turn and
``tool`` always the forced one, as a model forced to call a tool does (see
:mod:`.tool_loop`).

Including ``emulator:tokens=N`` in the last user message pads the answer to at least N
tokens, for streaming and load tests that need long outputs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from . import tokens
from .errors import validation_error
from .prompt_cache import PromptCache
from .schema_values import Limits, SchemaTooLarge, example_for
from .tool_loop import loop_results, mentioned_tools, next_in_loop, text_of, tool_results

__all__ = ["DeterministicEngine", "Engine", "message_to_events", "new_message_id"]

_PAD_RE = re.compile(r"\bemulator:tokens=(\d{1,7})\b")
_MAX_PAD = 1_000_000
_ECHO_PIECES = 200
_DELTA_PIECES = 4
_JSON_DELTA_CHARS = 24
_FILLER = (
    "The emulator keeps writing deterministic filler so that long answers can be tested "
    "without a model. Each sentence is counted with the same rules as every input. "
)
_SIGNATURE_KEY = b"claude-bedrock-emulator-thinking"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@runtime_checkable
class Engine(Protocol):
    """What every answering route needs from an answer generator (see the module doc).

    An optional ``name`` attribute is what ``GET /_emulator/health`` reports as the engine.
    """

    def respond(self, request: Mapping[str, Any], model: str) -> dict[str, Any]:
        """The complete Anthropic ``Message`` dict answering ``request`` (the validated
        InvokeModel body), ``usage`` filled in; ``model`` goes in its ``model`` field."""
        ...

    def stream_events(self, request: Mapping[str, Any], model: str) -> list[dict[str, Any]]:
        """The Anthropic stream events (``message_start`` to ``message_stop``) of one
        answer; :func:`message_to_events` derives them from :meth:`respond`'s."""
        ...


def _base62(number: int, length: int) -> str:
    chars = []
    for _ in range(length):
        number, rest = divmod(number, 62)
        chars.append(_BASE62[rest])
    return "".join(chars)


def new_message_id() -> str:
    """An id shaped like Bedrock's (``msg_bdrk_01...``)."""
    return "msg_bdrk_01" + _base62(uuid.uuid4().int, 22)


def _new_tool_use_id() -> str:
    return "toolu_bdrk_01" + _base62(uuid.uuid4().int, 22)


def _last_user(request: Mapping[str, Any]) -> Mapping[str, Any]:
    for message in reversed(request.get("messages") or []):
        if isinstance(message, Mapping) and message.get("role") == "user":
            return message
    return {}


class DeterministicEngine:
    """The default engine: deterministic, input-driven, clearly not Claude."""

    name = "deterministic"

    def __init__(self, *, min_cacheable_tokens: int = 0) -> None:
        self.cache = PromptCache(min_tokens=min_cacheable_tokens)

    def respond(self, request: Mapping[str, Any], model: str) -> dict[str, Any]:
        user = _last_user(request)
        user_text = text_of(user.get("content"))
        digest = hashlib.sha256(user_text.encode()).hexdigest()[:8]
        segments = list(tokens.input_segments(request))
        total_input = sum(segment.tokens for segment in segments)
        cache = self.cache.account(segments, model)
        planned = self._plan(request, user, user_text, digest, total_input)
        content, stop_reason, stop_sequence = _apply_limits(request, planned)
        return {
            "id": new_message_id(),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": stop_sequence,
            "usage": {
                "input_tokens": total_input - cache.read - cache.written,
                "cache_creation_input_tokens": cache.written,
                "cache_read_input_tokens": cache.read,
                "output_tokens": sum(tokens.count_block(block) for block in content),
            },
        }

    def stream_events(self, request: Mapping[str, Any], model: str) -> list[dict[str, Any]]:
        return message_to_events(self.respond(request, model))

    # -- planning: what to say, before limits --------------------------------------------

    def _plan(
        self,
        request: Mapping[str, Any],
        user: Mapping[str, Any],
        user_text: str,
        digest: str,
        total_input: int,
    ) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        thinking = request.get("thinking")
        if isinstance(thinking, Mapping) and thinking.get("type") in ("enabled", "adaptive"):
            blocks.append(_thinking_block(user_text, digest, total_input, thinking, request))
        tool = self._chosen_tool(request, user, user_text)
        if tool is not None:
            schema = tool.get("input_schema", {"type": "object"})
            where = f"tools.{_index_of(request, tool)}.input_schema"
            blocks.append(
                {
                    "type": "tool_use",
                    "id": _new_tool_use_id(),
                    "name": tool["name"],
                    "input": _bounded_example(schema, digest, where),
                }
            )
            return blocks
        schema = _output_schema(request)
        if schema is not None:
            value = _bounded_example(schema, digest, "output_config.format.schema: Invalid schema")
            text = json.dumps(value, ensure_ascii=False)
            blocks.append({"type": "text", "text": text})
            return blocks
        loop = loop_results(request)
        text, results = loop if loop is not None else (user_text, tool_results(user))
        blocks.append({"type": "text", "text": _reply_text(text, results, digest)})
        return blocks

    @staticmethod
    def _chosen_tool(
        request: Mapping[str, Any], user: Mapping[str, Any], user_text: str
    ) -> Mapping[str, Any] | None:
        tools = [
            t
            for t in request.get("tools") or []
            if isinstance(t, Mapping) and isinstance(t.get("name"), str) and "input_schema" in t
        ]
        if not tools:
            return None
        choice = request.get("tool_choice") or {"type": "auto"}
        kind = choice.get("type") if isinstance(choice, Mapping) else "auto"
        if kind == "tool":
            return next((t for t in tools if t["name"] == choice.get("name")), None)
        if kind == "any":
            mentioned = _mentioned_tool(tools, user_text)
            return mentioned if mentioned is not None else tools[0]
        if kind == "auto":
            if not tool_results(user):
                return _mentioned_tool(tools, user_text)
            return next_in_loop(tools, request)
        return None


_SCHEMA_LIMITS = Limits()


def _bounded_example(schema: object, digest: str, where: str) -> Any:
    """A value for ``schema`` built within the emulator's limits, or a 400 that says so."""
    try:
        return example_for(schema, seed=digest, limits=_SCHEMA_LIMITS)
    except SchemaTooLarge as exc:
        raise validation_error(
            f"{where}: the emulator cannot build a value this schema allows within its "
            f"limits ({_SCHEMA_LIMITS.describe()}): {exc}. These are the emulator's limits, "
            "not Bedrock's (a model would write until max_tokens); lower the sizes the "
            "schema requires (minItems, minLength, minProperties, pattern repetitions, "
            "required nesting) or answer such requests with a custom engine."
        ) from None


def _index_of(request: Mapping[str, Any], tool: Mapping[str, Any]) -> int:
    tools = request.get("tools") or []
    return next((i for i, t in enumerate(tools) if t is tool), 0)


def _mentioned_tool(tools: list[Mapping[str, Any]], text: str) -> Mapping[str, Any] | None:
    return next(iter(mentioned_tools(tools, text)), None)


def _output_schema(request: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``output_config.format``'s JSON schema (structured outputs), if the request has one."""
    config = request.get("output_config")
    fmt = config.get("format") if isinstance(config, Mapping) else None
    schema = fmt.get("schema") if isinstance(fmt, Mapping) else None
    return schema if isinstance(schema, Mapping) else None


def _reply_text(user_text: str, results: int, digest: str) -> str:
    count = tokens.count_text(user_text)
    if results:
        lead = f"[emulator] Received {results} tool result(s)"
    elif user_text.strip():
        lead = "[emulator] You said"
    else:
        lead = "[emulator] Received a message without text"
    echo = " ".join(user_text.split())
    if echo:
        cut = tokens.prefix_end(echo, _ECHO_PIECES)
        echo = echo[:cut] + ("..." if cut < len(echo) else "")
        lead = f'{lead}: "{echo}"'
    text = (
        f"{lead} ({count} tokens, digest {digest}). This is a deterministic reply from "
        "the claude-bedrock emulator, not Claude."
    )
    padding = _PAD_RE.search(user_text)
    if padding:
        wanted = min(int(padding.group(1)), _MAX_PAD)
        have = tokens.count_text(text)
        per = tokens.count_text(_FILLER)
        if have < wanted:
            text += " " + _FILLER * (-(-(wanted - have) // per))
            text = text[: tokens.prefix_end(text, wanted)]
    return text


def _thinking_block(
    user_text: str,
    digest: str,
    total_input: int,
    config: Mapping[str, Any],
    request: Mapping[str, Any],
) -> dict[str, Any]:
    words = tokens.count_text(user_text)
    text = (
        f"[emulator] Considering a request of {total_input} input tokens; the last user "
        f"message has {words} tokens and digest {digest}. A deterministic answer follows."
    )
    budget = config.get("budget_tokens")
    if not isinstance(budget, int):
        budget = max(1, int(request.get("max_tokens", 1)) // 2)
    text = text[: tokens.prefix_end(text, budget)]
    return {"type": "thinking", "thinking": text, "signature": thinking_signature(text)}


def thinking_signature(text: str) -> str:
    """The signature the emulator puts on (and could check for) its thinking blocks."""
    mac = hashlib.blake2b(text.encode(), key=_SIGNATURE_KEY, digest_size=48).digest()
    return base64.b64encode(b"EMU1" + mac).decode()


def _apply_limits(
    request: Mapping[str, Any], planned: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], str, str | None]:
    """Cut the planned blocks at ``max_tokens`` and at the first stop sequence."""
    budget = int(request.get("max_tokens", 0))
    stops = [s for s in request.get("stop_sequences") or [] if isinstance(s, str) and s]
    content: list[dict[str, Any]] = []
    for block in planned:
        cost = tokens.count_block(block)
        if block["type"] == "text":
            text, stop = _cut_at_stop(block["text"], stops)
            pieces = tokens.count_text(text)
            if pieces > budget:
                content.append({"type": "text", "text": text[: tokens.prefix_end(text, budget)]})
                return content, "max_tokens", None
            content.append({"type": "text", "text": text})
            if stop is not None:
                return content, "stop_sequence", stop
            budget -= pieces
        elif cost > budget:
            if block["type"] == "thinking":
                cut = block["thinking"][: tokens.prefix_end(block["thinking"], budget)]
                content.append({**block, "thinking": cut, "signature": thinking_signature(cut)})
            return content, "max_tokens", None
        else:
            content.append(block)
            budget -= cost
    stop_reason = "tool_use" if content and content[-1]["type"] == "tool_use" else "end_turn"
    return content, stop_reason, None


def _cut_at_stop(text: str, stops: list[str]) -> tuple[str, str | None]:
    best: tuple[int, str] | None = None
    for stop in stops:
        index = text.find(stop)
        if index >= 0 and (best is None or index < best[0]):
            best = (index, stop)
    return (text, None) if best is None else (text[: best[0]], best[1])


# -- streaming -----------------------------------------------------------------------------


def message_to_events(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The Anthropic stream events that rebuild ``message`` exactly."""
    usage = dict(message["usage"])
    start_usage = {**usage, "output_tokens": min(1, usage.get("output_tokens", 0))}
    events: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {
                **message,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": start_usage,
            },
        }
    ]
    for index, block in enumerate(message["content"]):
        events.extend(_block_events(index, block))
    events.append(
        {
            "type": "message_delta",
            "delta": {
                "stop_reason": message["stop_reason"],
                "stop_sequence": message["stop_sequence"],
            },
            "usage": {"output_tokens": usage.get("output_tokens", 0)},
        }
    )
    events.append({"type": "message_stop"})
    return events


def _block_events(index: int, block: Mapping[str, Any]) -> list[dict[str, Any]]:
    kind = block["type"]
    deltas: list[dict[str, Any]] = []
    if kind == "text":
        start: Mapping[str, Any] = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": part} for part in _text_parts(block["text"])]
    elif kind == "thinking":
        start = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [
            {"type": "thinking_delta", "thinking": part} for part in _text_parts(block["thinking"])
        ]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    elif kind == "tool_use":
        start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        raw = json.dumps(block["input"], ensure_ascii=False)
        deltas = [
            {"type": "input_json_delta", "partial_json": raw[i : i + _JSON_DELTA_CHARS]}
            for i in range(0, len(raw), _JSON_DELTA_CHARS)
        ]
    else:
        start = block
    events: list[dict[str, Any]] = [
        {"type": "content_block_start", "index": index, "content_block": dict(start)}
    ]
    events.extend({"type": "content_block_delta", "index": index, "delta": d} for d in deltas)
    events.append({"type": "content_block_stop", "index": index})
    return events


def _text_parts(text: str) -> list[str]:
    """``text`` split every few pieces; the parts concatenate back to ``text`` exactly."""
    ends = tokens.piece_ends(text)
    cuts = ends[_DELTA_PIECES - 1 :: _DELTA_PIECES]
    parts, previous = [], 0
    for cut in cuts:
        parts.append(text[previous:cut])
        previous = cut
    if previous < len(text) or not parts:
        parts.append(text[previous:])
    return [part for part in parts if part] or [""]
