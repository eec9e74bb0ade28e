"""A Converse request body checked against botocore's service model, as Bedrock's front end.

The shapes (required members, unions, enums, lengths, ranges, types) are read from
botocore's ``bedrock-runtime`` model, the ground truth for the wire format, so a new
member or enum value arrives with botocore. Unknown members are refused too: a misspelt
field (``inferenceConfig.max_tokens``) would otherwise be ignored and the call would run
with a default the caller did not choose.

Paths are Bedrock's (``messages.0.content.1.document.source``, zero-based). Union
messages quote Bedrock ("DocumentSource object at messages.0.content.1.document.source
must set one of the following keys: bytes, s3Location."). Enum, range and length
constraints are worded as AWS's Coral front end words them ("1 validation error detected:
Value '99.0' at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have
value less than or equal to 1"; member paths 1-based, with ``member``); the others follow
the union messages' style.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

__all__ = ["first_violation", "violations"]

_MAX_REPORTED = 10


@lru_cache(maxsize=1)
def _shapes() -> dict[str, Any]:
    from botocore.loaders import Loader

    model: dict[str, Any] = Loader().load_service_model("bedrock-runtime", "service-2")
    return model["shapes"]  # type: ignore[no-any-return]


@lru_cache(maxsize=256)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def violations(body: object, shape: str = "ConverseRequest") -> list[str]:
    """Every way ``body`` breaks ``shape`` (at most ten). Blobs may be base64 text (the
    wire JSON, parsed) or ``bytes`` (boto3's form, before it is encoded)."""
    out: list[str] = []
    _check(body, shape, "", out)
    return out[:_MAX_REPORTED]


def first_violation(body: object, shape: str = "ConverseRequest") -> str | None:
    found = violations(body, shape)
    return found[0] if found else None


def _at(path: str) -> str:
    return path or "the request body"


def _coral(path: str) -> str:
    """``toolConfig.tools.0.toolSpec.name`` -> ``toolConfig.tools.1.member.toolSpec.name``
    (the Coral front end's member path: list positions 1-based, followed by ``member``)."""
    parts = [f"{int(p) + 1}.member" if p.isdigit() else p for p in path.split(".")]
    return ".".join(parts)


def _check(value: object, name: str, path: str, out: list[str]) -> None:
    if len(out) < _MAX_REPORTED:
        checker, shape = _compiled(name)
        if checker is not None:
            checker(value, name, shape, path, out)


@lru_cache(maxsize=512)
def _compiled(name: str) -> tuple[Any, dict[str, Any]]:
    shape = _shapes()[name]
    return _CHECKERS.get(shape["type"]), shape


@lru_cache(maxsize=512)
def _members(name: str) -> dict[str, str]:
    """Body members of a structure (URI/header members left out) -> their shape names."""
    members = _shapes()[name].get("members", {})
    return {k: v["shape"] for k, v in members.items() if not v.get("location")}


def _structure(value: object, name: str, shape: dict[str, Any], path: str, out: list[str]) -> None:
    if shape.get("document"):
        return  # any JSON value
    if not isinstance(value, Mapping):
        out.append(f"The {name} object at {_at(path)} must be a JSON object.")
        return
    members = _members(name)
    present = []
    for key, item in value.items():
        if key not in members:
            out.append(
                f"The {name} object at {_at(path)} has an unknown field {key!r}. Valid "
                f"fields: {', '.join(members)}."
            )
        elif item is not None:
            present.append(key)
    if shape.get("union") and len(present) != 1:
        verb = "must set one" if not present else "can set only one"
        out.append(
            f"{name} object at {_at(path)} {verb} of the following keys: {', '.join(members)}."
        )
    for key in shape.get("required", ()):
        if key in members and value.get(key) is None:
            out.append(
                f"The {key} field in the {name} object at {_at(path)} is missing. Add it and "
                "try again."
            )
    for key in present:
        _check(value[key], members[key], f"{path}.{key}" if path else key, out)


def _outside(number: float, shape: dict[str, Any]) -> str | None:
    """``at least MIN`` or ``at most MAX`` when ``number`` breaks the shape's bound, else None
    (one comparison for lengths and numbers; the callers word the rest)."""
    if "min" in shape and number < shape["min"]:
        return f"at least {shape['min']}"
    if "max" in shape and number > shape["max"]:
        return f"at most {shape['max']}"
    return None


#: Coral's words for a broken bound: (kind, side) -> the constraint.
_CORAL_BOUNDS = {
    ("length", "min"): "Member must have length greater than or equal to {}",
    ("length", "max"): "Member must have length less than or equal to {}",
    ("value", "min"): "Member must have value greater than or equal to {}",
    ("value", "max"): "Member must have value less than or equal to {}",
}


def _coral_error(value: object, path: str, constraint: str) -> str:
    """Coral's one-violation message (``value`` echoed as Java prints it)."""
    shown = "[]" if value == [] else str(value)
    return (
        f"1 validation error detected: Value '{shown}' at '{_coral(path)}' failed to satisfy "
        f"constraint: {constraint}"
    )


def _bound(number: float, shape: dict[str, Any]) -> tuple[str, object] | None:
    if "min" in shape and number < shape["min"]:
        return "min", shape["min"]
    if "max" in shape and number > shape["max"]:
        return "max", shape["max"]
    return None


def _length(
    size: int, shape: dict[str, Any], path: str, out: list[str], value: object = None
) -> None:
    if bound := _bound(size, shape):
        side, limit = bound
        if isinstance(value, str | list):
            out.append(_coral_error(value, path, _CORAL_BOUNDS["length", side].format(limit)))
        elif bound_text := _outside(size, shape):
            out.append(f"The value at {_at(path)} must have a length of {bound_text}.")


def _list(value: object, name: str, shape: dict[str, Any], path: str, out: list[str]) -> None:
    if not isinstance(value, list):
        out.append(f"The value at {_at(path)} must be a list.")
        return
    _length(len(value), shape, path, out, value if not value else None)
    for index, item in enumerate(value):
        _check(item, shape["member"]["shape"], f"{path}.{index}", out)


def _map(value: object, name: str, shape: dict[str, Any], path: str, out: list[str]) -> None:
    if not isinstance(value, Mapping):
        out.append(f"The value at {_at(path)} must be a JSON object.")
        return
    _length(len(value), shape, path, out)
    for key, item in value.items():
        _check(key, shape["key"]["shape"], f"{path}.{key}", out)
        _check(item, shape["value"]["shape"], f"{path}.{key}", out)


def _string(value: object, name: str, shape: dict[str, Any], path: str, out: list[str]) -> None:
    if not isinstance(value, str):
        out.append(f"The value at {_at(path)} must be a string.")
        return
    enum = shape.get("enum")
    if enum and value not in enum:
        constraint = f"Member must satisfy enum value set: [{', '.join(enum)}]"
        out.append(_coral_error(value, path, constraint))
        return
    _length(len(value), shape, path, out, value)
    pattern = shape.get("pattern")
    if pattern and _pattern(pattern).fullmatch(value) is None:  # AWS patterns match whole values
        out.append(  # Coral's wording, seen from Bedrock (aws-samples/remote-swe-agents #457)
            f"1 validation error detected: Value '{value}' at '{_coral(path)}' failed to "
            f"satisfy constraint: Member must satisfy regular expression pattern: {pattern}"
        )


def _number(value: object, name: str, shape: dict[str, Any], path: str, out: list[str]) -> None:
    integral = shape["type"] in ("integer", "long")
    ok = isinstance(value, int) if integral else isinstance(value, int | float)
    if not ok or isinstance(value, bool):
        kind = "an integer" if integral else "a number"
        out.append(f"The value at {_at(path)} must be {kind}.")
        return
    assert isinstance(value, int | float)
    if bound := _bound(value, shape):
        side, limit = bound
        shown = float(value) if not integral else value  # Java echoes a float as 99.0
        out.append(_coral_error(shown, path, _CORAL_BOUNDS["value", side].format(limit)))


def _boolean(value: object, name: str, shape: dict[str, Any], path: str, out: list[str]) -> None:
    if not isinstance(value, bool):
        out.append(f"The value at {_at(path)} must be true or false.")


def _blob(value: object, name: str, shape: dict[str, Any], path: str, out: list[str]) -> None:
    if isinstance(value, bytes | bytearray | memoryview):  # boto3's form, before encoding
        _length(len(value), shape, path, out)
        return
    if not isinstance(value, str):
        out.append(f"The value at {_at(path)} must be base64 text.")
        return
    try:
        size = len(binascii.a2b_base64(value, strict_mode=True))
    except (binascii.Error, ValueError):
        out.append(f"The value at {_at(path)} is not valid base64.")
        return
    _length(size, shape, path, out)


_CHECKERS = {
    "structure": _structure,
    "list": _list,
    "map": _map,
    "string": _string,
    "integer": _number,
    "long": _number,
    "float": _number,
    "double": _number,
    "boolean": _boolean,
    "blob": _blob,
}
