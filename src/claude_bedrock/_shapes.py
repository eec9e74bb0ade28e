"""What a reply the strict types refused must still hold to be read leniently.

:mod:`._parse` reads a message or stream event leniently when the strict types refuse it,
so that a newer API's additions (a block type, a stop reason, a field of a new shape) do
not break a program after the call was billed. Leniency stops where the client's own code
relies on a field: a ``content`` it iterates, the token counts it prices, the ``index`` it
files deltas under, the text it appends. Those are listed here, as data; a reply that
breaks one is not a valid Bedrock response (an error document, ``{}``, a proxy's JSON),
and :mod:`._parse` raises :class:`~._exceptions.APIResponseValidationError` naming the
field, instead of a ``TypeError`` deep inside the accumulator or the pricing.

Fields not listed, and fields of types not listed, pass as sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["EVENTS", "MESSAGE", "event_problem", "message_problem"]

Check = tuple[Callable[[Any], bool], str]
#: field -> (required, (check, what the check expects, in words)).
Shape = dict[str, tuple[bool, Check]]

TEXT: Check = (lambda v: isinstance(v, str), "a string")
TEXT_OR_NULL: Check = (lambda v: v is None or isinstance(v, str), "a string or null")
COUNT: Check = (lambda v: type(v) is int and v >= 0, "a non-negative integer")
COUNT_OR_NULL: Check = (lambda v: v is None or (type(v) is int and v >= 0), COUNT[1] + " or null")
OBJECT: Check = (lambda v: isinstance(v, dict), "an object")
OBJECT_OR_NULL: Check = (lambda v: v is None or isinstance(v, dict), "an object or null")
LIST: Check = (lambda v: isinstance(v, list), "a list")
MESSAGE_TYPE: Check = (lambda v: v == "message", '"message"')

#: A message (``messages.create``'s answer, ``message_start``'s ``message``).
MESSAGE: Shape = {
    "type": (True, MESSAGE_TYPE), "id": (False, TEXT), "role": (False, TEXT),
    "model": (False, TEXT), "content": (True, LIST), "stop_reason": (False, TEXT_OR_NULL),
    "stop_sequence": (False, TEXT_OR_NULL), "usage": (True, OBJECT),
}  # fmt: skip
#: The counts the client prices (a message's ``usage``, ``message_delta``'s ``usage``).
USAGE: Shape = {
    name: (False, COUNT_OR_NULL)
    for name in ("input_tokens", "output_tokens", "cache_creation_input_tokens",
                 "cache_read_input_tokens")
}  # fmt: skip
#: Per known content block type, the fields the client reads (any other type passes).
BLOCKS: dict[str, Shape] = {
    "text": {"text": (True, TEXT)},
    "tool_use": {"id": (True, TEXT), "name": (True, TEXT)},
    "server_tool_use": {"id": (True, TEXT), "name": (True, TEXT)},
    "thinking": {"thinking": (True, TEXT)},
    "redacted_thinking": {"data": (True, TEXT)},
}
#: Per known delta type, the piece the accumulator appends.
DELTAS: dict[str, Shape] = {
    "text_delta": {"text": (True, TEXT)},
    "input_json_delta": {"partial_json": (True, TEXT)},
    "thinking_delta": {"thinking": (True, TEXT)},
    "signature_delta": {"signature": (True, TEXT)},
    "citations_delta": {"citation": (True, OBJECT)},
}
INDEX: tuple[bool, Check] = (True, COUNT)
#: Per stream event type, its own fields (the nested ones are checked by their shapes).
EVENTS: dict[str, Shape] = {
    "message_start": {"message": (True, OBJECT)},
    "content_block_start": {"index": INDEX, "content_block": (True, OBJECT)},
    "content_block_delta": {"index": INDEX, "delta": (True, OBJECT)},
    "content_block_stop": {"index": INDEX},
    "message_delta": {"delta": (False, OBJECT_OR_NULL), "usage": (False, OBJECT_OR_NULL)},
    "message_stop": {},
}
MESSAGE_DELTA: Shape = {
    "stop_reason": (False, TEXT_OR_NULL),
    "stop_sequence": (False, TEXT_OR_NULL),
}


def problem(data: dict[str, Any], shape: Shape, where: str = "") -> str | None:
    """The first field of ``data`` that breaks ``shape``, in words; None if none does."""
    for name, (required, (check, expected)) in shape.items():
        if name not in data:
            if required:
                return f"no `{where}{name}`"
            continue
        value = data[name]
        if not check(value):
            return f"`{where}{name}` is {_short(value)}, expected {expected}"
    return None


def message_problem(data: dict[str, Any], where: str = "") -> str | None:
    """What makes ``data`` unreadable as a message, if anything."""
    found = problem(data, MESSAGE, where) or problem(data["usage"], USAGE, f"{where}usage.")
    if found:
        return found
    for index, block in enumerate(data["content"]):
        found = block_problem(block, f"{where}content[{index}]")
        if found:
            return found
    return None


def block_problem(block: Any, where: str) -> str | None:
    """What makes ``block`` unreadable as a content block (of a known type), if anything."""
    return _typed_problem(block, where, BLOCKS)


def event_problem(kind: str, data: dict[str, Any]) -> str | None:
    """What makes ``data``, an event of known ``kind``, unreadable, if anything."""
    found = problem(data, EVENTS[kind])
    if found is not None:
        return found
    nested = _NESTED.get(kind)
    return None if nested is None else nested(data)


#: Per event type, the check of what it nests (the message, the block, the delta, usage).
_NESTED: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "message_start": lambda d: message_problem(d["message"], "message."),
    "content_block_start": lambda d: block_problem(d["content_block"], "content_block"),
    "content_block_delta": lambda d: _typed_problem(d["delta"], "delta", DELTAS),
    "message_delta": lambda d: (
        problem(d.get("delta") or {}, MESSAGE_DELTA, "delta.")
        or problem(d.get("usage") or {}, USAGE, "usage.")
    ),
}


def _typed_problem(value: Any, where: str, shapes: dict[str, Shape]) -> str | None:
    if not isinstance(value, dict):
        return f"`{where}` is {_short(value)}, expected an object"
    kind = value.get("type")
    if not isinstance(kind, str):
        return f"`{where}.type` is {_short(kind)}, expected a string"
    shape = shapes.get(kind)
    return None if shape is None else problem(value, shape, f"{where}.")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
