"""Request bodies as JSON: one decoder for every route, with a parser's limits.

Every JSON body the emulator reads (a route's body, the base64 body CountTokens carries, a
batch record) goes through :func:`loads`, which refuses what the rest of the emulator could
not process safely, as a :class:`MalformedJson` (a ``ValueError``):

* syntax errors and bytes that are not UTF-8 (as ``json.loads`` does);
* nesting deeper than :data:`MAX_DEPTH` arrays and objects. The emulator's limit, not a
  documented Bedrock one: Bedrock's parser (Jackson) refuses documents nested over 1,000
  levels by default; the emulator walks bodies recursively (token counts, validation,
  schema values), so it stops well before Python's stack would;
* an unpaired UTF-16 surrogate escape (``"\\ud800"``): not a character, so no text can
  carry it on. The Anthropic API refuses it with "The request body is not valid JSON: no
  low surrogate in string: line 1 column N (char N-1)" (as its users quote it); the same
  detail is given here.

:func:`register` installs the middleware that decodes the body of every JSON operation
(:data:`WORDING`) once, after authentication, and answers an undecodable one with a 400
in the route's own words (a ``ValidationException``; Anthropic's envelope on the Messages
API routes). Handlers then read :meth:`.http_types.Request.json`, which returns the
decoded body without parsing it again.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Final

from .errors import validation_error

if TYPE_CHECKING:
    from .app import EmulatorApp
    from .http_types import AnyResponse, Request
    from .routing import Handler

__all__ = ["MAX_DEPTH", "WORDING", "MalformedJson", "loads", "malformed_message", "register"]

#: Deepest nesting of arrays and objects the emulator decodes (its own limit).
MAX_DEPTH: Final = 256
_SURROGATE_ESCAPE: Final = re.compile(rb"\\u[dD][89a-fA-F]")
#: A surrogate escape preceded by an even number of backslashes (so a real escape), and
#: whether a low-surrogate escape follows it.
_ESCAPE_AT: Final = re.compile(
    rb"(?<!\\)(?:\\\\)*\\u([dD][89a-fA-F][0-9a-fA-F]{2})(\\u[dD][c-fC-F][0-9a-fA-F]{2})?"
)
_LONE: Final = re.compile("[\ud800-\udfff]")

#: An undecodable body's refusal per operation: (wording without detail, with detail).
#: The first is each route's existing wording for malformed JSON (InvokeModel's is
#: Bedrock's; its ``Malformed input request: <detail>, please reformat...`` form is the one
#: Bedrock uses for schema problems).
_INVOKE: Final = (
    "Malformed input request, please reformat your input and try again.",
    "Malformed input request: {detail}, please reformat your input and try again.",
)
_PLAIN: Final = (
    "The request body is not valid JSON.",
    "The request body is not valid JSON: {detail}.",
)
_MESSAGES: Final = (_INVOKE[0], "The request body is not valid JSON: {detail}")
WORDING: Final[dict[str, tuple[str, str]]] = {
    "InvokeModel": _INVOKE,
    "InvokeModelWithResponseStream": _INVOKE,
    "CountTokens": _INVOKE,
    "Converse": _PLAIN,
    "ConverseStream": _PLAIN,
    "CreateModelInvocationJob": _PLAIN,
    "StopModelInvocationJob": _PLAIN,
    "PutModelInvocationLoggingConfiguration": _PLAIN,
    "CreateMessage": _MESSAGES,
    "CountMessageTokens": _MESSAGES,
}
_DECODED: Final = "json_body"


class MalformedJson(ValueError):
    """A body :func:`loads` refuses; ``detail`` says why (None: a plain syntax error)."""

    def __init__(self, detail: str | None) -> None:
        super().__init__(detail or "malformed JSON")
        self.detail = detail


def loads(raw: bytes | str) -> Any:
    """``raw`` decoded as JSON, or :class:`MalformedJson` (see the module docstring)."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise MalformedJson(_too_deep()) from None
    except ValueError:  # JSONDecodeError, UnicodeDecodeError
        raise MalformedJson(None) from None
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if data.count(b"[") + data.count(b"{") > MAX_DEPTH and _depth(value) > MAX_DEPTH:
        raise MalformedJson(_too_deep())
    if _SURROGATE_ESCAPE.search(data) and _has_lone_surrogate(value):
        raise MalformedJson(_surrogate_detail(data))
    return value


def malformed_message(operation: str | None, error: MalformedJson) -> str:
    """The refusal ``operation`` answers ``error`` with (InvokeModel's by default)."""
    plain, detailed = WORDING.get(operation or "", _INVOKE)
    return plain if error.detail is None else detailed.format(detail=error.detail)


def register(app: EmulatorApp) -> None:
    """Decode the body of every JSON operation once, before its other middlewares."""
    app.add_middleware(_decode_middleware)


async def _decode_middleware(request: Request, call_next: Handler) -> AnyResponse:
    if request.operation in WORDING and request.body:
        try:
            request.extras[_DECODED] = loads(request.body)
        except MalformedJson as error:
            raise validation_error(malformed_message(request.operation, error)) from None
    return await call_next(request)


def decoded(request: Request) -> Any:
    """The request's body as JSON, decoded once (:class:`MalformedJson` if it is not)."""
    if _DECODED not in request.extras:
        request.extras[_DECODED] = loads(request.body)
    return request.extras[_DECODED]


def _too_deep() -> str:
    return f"arrays and objects nested deeper than {MAX_DEPTH} levels (the emulator's limit)"


def _depth(value: Any) -> int:
    """How deep arrays and objects nest in ``value`` (iterative: no recursion to exhaust)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        if level > deepest:
            deepest = level
            if deepest > MAX_DEPTH:
                return deepest
        stack.extend((c, level + 1) for c in children if isinstance(c, dict | list))
    return deepest if isinstance(value, dict | list) else 0


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if _LONE.search(node):
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _surrogate_detail(data: bytes) -> str:
    """Anthropic's words for the first unpaired surrogate escape, with its position."""
    for match in _ESCAPE_AT.finditer(data):
        high = match.group(1)[1:2].lower() in b"89ab"
        if high and match.group(2) is None:
            return f"no low surrogate in string: {_position(data, match.end(0) - 6)}"
        if not high:  # a low surrogate that no high one precedes (pairs are matched whole)
            return f"unexpected low surrogate in string: {_position(data, match.end(0) - 6)}"
    return "unpaired surrogate in string"


def _position(data: bytes, offset: int) -> str:
    text = data[:offset].decode("utf-8", "replace")
    line = text.count("\n") + 1
    column = len(text) - (text.rfind("\n") + 1) + 1
    return f"line {line} column {column} (char {len(text)})"
