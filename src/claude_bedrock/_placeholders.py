"""``NOT_GIVEN`` / ``omit``: the official SDK's "this parameter was not given" markers.

Frameworks written for the ``anthropic`` SDK pass them for every parameter they do not
set (``temperature=NOT_GIVEN``, ``timeout=not_given``, ``tools=omit``), so a drop-in client
must take them and send nothing for them. Ours are exported from ``claude_bedrock``; the
official SDK's own objects are recognised too, without importing ``anthropic`` (a
test-only dependency here): structurally, by the class's name (``NotGiven`` or ``Omit``)
and its module (``anthropic`` or below, where the SDK defines them in ``anthropic._types``).
So ``anthropic.NOT_GIVEN``, ``anthropic.not_given`` and ``anthropic.omit`` are dropped
like ours, whatever the SDK's version, and a user's own class of the same name in another
module is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

__all__ = [
    "NOT_GIVEN", "NotGiven", "Omit", "drop_placeholders", "given", "is_placeholder",
    "not_given", "omit",
]  # fmt: skip


class NotGiven:
    """The type of :data:`NOT_GIVEN`: a parameter left unset (falsy, like the SDK's)."""

    __slots__ = ()

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


class Omit:
    """The type of :data:`omit`: leave this out of the request (falsy, like the SDK's)."""

    __slots__ = ()

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "omit"


NOT_GIVEN = NotGiven()
not_given = NOT_GIVEN
omit = Omit()

_NAMES = frozenset({"NotGiven", "Omit"})


def is_placeholder(value: object) -> bool:
    """True for ours and for the official SDK's ``NotGiven`` / ``Omit`` instances."""
    cls = type(value)
    if cls is NotGiven or cls is Omit:
        return True
    if cls.__name__ not in _NAMES:
        return False
    module = cls.__module__
    return module == "anthropic" or module.startswith("anthropic.")


def drop_placeholders(options: Mapping[str, Any]) -> Mapping[str, Any]:
    """``options`` without the keywords given a placeholder (the same dict if none is)."""
    for value in options.values():
        if type(value).__name__ in _NAMES and is_placeholder(value):
            break
    else:
        return options
    return {k: v for k, v in options.items() if not is_placeholder(v)}


def given(value: Any) -> Any:
    """``value``, or None for a placeholder (for a keyword read on its own: ``timeout``)."""
    return None if is_placeholder(value) else value
