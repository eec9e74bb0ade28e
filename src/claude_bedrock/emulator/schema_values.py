"""Build a value that satisfies a JSON Schema, deterministically (for forced tool calls).

When ``tool_choice`` forces a tool, the emulator must answer with a ``tool_use`` block whose
``input`` a real application can consume: it follows the tool's ``input_schema`` (types,
required properties, enums, bounds, lengths, formats, patterns, ``$ref``, ``allOf`` /
``anyOf`` / ``oneOf``). A ``seed`` (the prompt's digest) varies enum choices between
prompts; the same prompt always gets the same value. Best effort on contradictory schemas.

**Bounded work.** A schema can ask for a value of any size (``minItems: 1000000000``,
``minLength``, ``minProperties``, a pattern's repetition count, required nesting, ``$ref``
loops); building it would freeze the emulator. The generator keeps to :class:`Limits`
(the emulator's own, not Bedrock's: a model would write until ``max_tokens``) and raises
:class:`SchemaTooLarge` as soon as the smallest value the schema allows would exceed them,
before building it. Every value it does return is complete and schema-valid as before.
Patterns are checked against a candidate only when they have no nested repetition (a
regex such as ``(a+)+$`` can take exponential time); otherwise the candidate built from
the pattern's own parse tree is trusted.

What Bedrock and Anthropic say about such schemas: for structured outputs and strict tools
(constrained decoding) Anthropic documents a JSON Schema subset ("JSON Schema limitations"
on its structured-outputs page, as mirrored: ``minItems`` 0 or 1 only; no ``minLength``,
``maxLength``, numeric bounds or recursive schemas) and complexity limits (secondary
summaries give 20 strict tools, 24 optional and 16 union-typed parameters per request; the
primary page was not at hand), refusing what it cannot compile with a 400 such as
"output_config.format.schema: Invalid schema: The
compiled grammar is too large, which would cause performance issues. Simplify your tool
schemas or reduce the number of strict tools." (as quoted in anthropics/anthropic-sdk-python
#1185 and TanStack/ai#682). The emulator does not refuse those features (its tests and
users rely on richer schemas being answered); it refuses only what it cannot build, in
that error's ``output_config.format.schema: Invalid schema:`` form, and says the limit is
its own. Plain (non-strict) tools have no documented schema limit: a model would simply
write until ``max_tokens``.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any, Final

__all__ = ["Limits", "SchemaTooLarge", "example_for"]

_FORMATS: Final[dict[str, str]] = {
    "date-time": "2025-01-01T12:00:00Z",
    "date": "2025-01-01",
    "time": "12:00:00Z",
    "duration": "P1D",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com/",
    "iri": "https://example.com/",
    "uri-reference": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "regex": ".*",
    "json-pointer": "/example",
}
_MAX_DEPTH: Final = 12
_OPTIONAL_DEPTH: Final = 3


@dataclass(frozen=True, slots=True)
class Limits:
    """The most the emulator builds for one schema (its own limits, not Bedrock's)."""

    #: Items of one array, or properties of one object.
    items: int = 10_000
    #: Characters of all strings together.
    chars: int = 1_000_000
    #: Values (of any type, at any depth) in all.
    values: int = 100_000
    #: Levels of nesting of the value.
    depth: int = 64

    def describe(self) -> str:
        """The limits in words, for error messages."""
        return (
            f"at most {self.items:,} items per array or object, {self.chars:,} characters "
            f"of strings, {self.values:,} values in all, {self.depth} levels deep"
        )


class SchemaTooLarge(ValueError):
    """The smallest value a schema allows is larger than :class:`Limits` let the emulator
    build; the message says which keyword asked for what, and where."""


def example_for(schema: object, *, seed: str = "", limits: Limits | None = None) -> Any:
    """A value valid against ``schema`` (``seed`` picks among equally valid choices);
    :class:`SchemaTooLarge` if it cannot be built within ``limits``."""
    root = schema if isinstance(schema, Mapping) else {}
    return _Generator(root, seed, limits or Limits()).value(schema, 0, "value")


class _Generator:
    def __init__(self, root: Mapping[str, Any], seed: str, limits: Limits) -> None:
        self.root = root
        self.seed = seed
        self.limits = limits
        self.values = 0
        self.chars = 0
        self.steps = 0

    def spend(self, depth: int, name: str) -> None:
        """Count one value built at ``depth``; refuse before a limit is crossed."""
        self.values += 1
        if self.values > self.limits.values:
            raise SchemaTooLarge(f"the value needs more than {self.limits.values:,} values")
        if depth > self.limits.depth:
            raise SchemaTooLarge(
                f"{name!r} is nested more than {self.limits.depth} levels deep (required "
                "properties, array items or $ref cycles)"
            )

    def need(self, keyword: str, wanted: int, limit: int, name: str) -> None:
        if wanted > limit:
            raise SchemaTooLarge(f"{keyword} {wanted:,} at {name!r} exceeds {limit:,}")

    def spend_chars(self, text: str, name: str) -> str:
        self.chars += len(text)
        if self.chars > self.limits.chars:
            raise SchemaTooLarge(
                f"the strings need more than {self.limits.chars:,} characters (at {name!r})"
            )
        return text

    def pick(self, options: list[Any], salt: str) -> Any:
        digest = hashlib.blake2b(f"{self.seed}/{salt}".encode(), digest_size=4).digest()
        return options[int.from_bytes(digest, "big") % len(options)]

    def resolve(self, schema: Mapping[str, Any], depth: int) -> Mapping[str, Any]:
        self.steps += 1  # $ref and allOf can multiply: each resolution counts
        if self.steps > self.limits.values:
            raise SchemaTooLarge(
                f"resolving $ref and allOf takes more than {self.limits.values:,} steps"
            )
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#") and depth >= self.limits.depth:
            raise SchemaTooLarge(
                f"$ref {ref!r} is followed more than {self.limits.depth} levels deep (a cycle "
                "that every value must go round)"
            )
        if isinstance(ref, str) and ref.startswith("#"):
            target: Any = self.root
            for part in ref[1:].split("/")[1:] if ref != "#" else []:
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part) if isinstance(target, Mapping) else None
            if isinstance(target, Mapping):
                merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
                return self.resolve(merged, depth + 1)
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and all_of:
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in all_of:
                if isinstance(part, Mapping):
                    _merge_into(merged, self.resolve(part, depth + 1))
            return merged
        return schema

    def value(self, schema: object, depth: int, name: str) -> Any:
        self.spend(depth, name)
        if schema is True or not isinstance(schema, Mapping):
            return f"{name}-example" if schema is not False else None
        schema = self.resolve(schema, depth)
        if "const" in schema:
            return schema["const"]
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return self.pick(enum, name)
        for key in ("oneOf", "anyOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                branch = next((o for o in options if _type_of(o) != "null"), options[0])
                rest = {k: v for k, v in schema.items() if k != key}
                merged = (
                    dict(self.resolve(branch, depth + 1)) if isinstance(branch, Mapping) else {}
                )
                _merge_into(merged, rest)
                return self.value(merged, depth + 1, name)
        kind = _type_of(schema)
        if kind == "object":
            return self.object(schema, depth, name)
        if kind == "array":
            return self.array(schema, depth, name)
        if kind == "integer":
            return _integer(schema)
        if kind == "number":
            return _number(schema)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self.string(schema, name)

    def object(self, schema: Mapping[str, Any], depth: int, name: str) -> dict[str, Any]:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, Mapping) else {}
        required = [r for r in schema.get("required", []) if isinstance(r, str)]
        extra = schema.get("additionalProperties", True)
        result: dict[str, Any] = {}
        for key in required:
            sub = properties.get(key, extra if isinstance(extra, Mapping) else True)
            result[key] = self.value(sub, depth + 1, key)
        if depth < _OPTIONAL_DEPTH:
            for key, sub in properties.items():
                if key not in result:
                    result[key] = self.value(sub, depth + 1, key)
        maximum = schema.get("maxProperties")
        if isinstance(maximum, int) and len(result) > maximum:
            keep = set(required)
            for key in [k for k in result if k not in keep][: len(result) - maximum]:
                del result[key]
        minimum = schema.get("minProperties", 0)
        if isinstance(minimum, int) and extra is not False:
            self.need("minProperties", minimum, self.limits.items, name)
        index = 0
        while isinstance(minimum, int) and len(result) < minimum and extra is not False:
            index += 1
            key = f"extra_{index}"
            result[key] = self.value(extra if isinstance(extra, Mapping) else True, depth + 1, key)
        return result

    def array(self, schema: Mapping[str, Any], depth: int, name: str) -> list[Any]:
        prefix = schema.get("prefixItems")
        items = schema.get("items", True)
        if isinstance(items, list):  # draft 4 tuple form
            prefix, items = items, schema.get("additionalItems", True)
        prefix = prefix if isinstance(prefix, list) else []
        low = schema.get("minItems", 0)
        high = schema.get("maxItems")
        # one item shows the item schema; deep down (a recursive schema) none when allowed
        count = max(low if isinstance(low, int) else 0, len(prefix), int(depth < _MAX_DEPTH))
        if isinstance(high, int):
            count = min(count, high)
        self.need("minItems", count, self.limits.items, name)
        result = []
        for index in range(count):
            sub = prefix[index] if index < len(prefix) else items
            result.append(self.value(sub, depth + 1, f"{name}_{index + 1}"))
        if schema.get("uniqueItems"):
            result = _dedupe(result, lambda i: self.value(items, depth + 1, f"{name}_{i}"))
        return result

    def string(self, schema: Mapping[str, Any], name: str) -> str:
        low = schema.get("minLength", 0)
        high = schema.get("maxLength")
        low = low if isinstance(low, int) else 0
        high = high if isinstance(high, int) else None
        self.need("minLength", low, self.limits.chars - self.chars, name)
        pattern = schema.get("pattern")
        fmt = schema.get("format")
        candidates = []
        if isinstance(pattern, str):
            room = self.limits.chars - self.chars
            rendered = _from_pattern(pattern, low, room)
            if rendered is None:
                raise SchemaTooLarge(
                    f"pattern at {name!r} needs a string longer than {room:,} characters"
                )
            candidates.extend(rendered)
        if isinstance(fmt, str) and fmt in _FORMATS:
            candidates.append(_FORMATS[fmt])
        candidates.append(f"example {name}")
        for candidate in candidates:
            fitted = _fit_length(candidate, low, high)
            if not isinstance(pattern, str) or _search(pattern, fitted):
                return self.spend_chars(fitted, name)
        return self.spend_chars(_fit_length(candidates[0], low, high), name)


def _type_of(schema: object) -> str | None:
    if not isinstance(schema, Mapping):
        return None
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if isinstance(k, str)]
        kind = next((k for k in kinds if k != "null"), kinds[0] if kinds else None)
    if isinstance(kind, str):
        return kind
    if "properties" in schema or "required" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema or "minItems" in schema:
        return "array"
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "multipleOf")):
        return "number"
    return None


def _merge_into(target: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if key == "properties" and isinstance(target.get(key), Mapping):
            target[key] = {**target[key], **value}
        elif key == "required" and isinstance(target.get(key), list):
            target[key] = [*target[key], *[v for v in value if v not in target[key]]]
        else:
            target.setdefault(key, value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bounds(schema: Mapping[str, Any]) -> tuple[float | None, bool, float | None, bool]:
    """``(low, low_exclusive, high, high_exclusive)`` in draft 4 or draft 6+ style."""
    low, high = schema.get("minimum"), schema.get("maximum")
    low_ex = high_ex = False
    ex_min, ex_max = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if ex_min is True:
        low_ex = True
    elif _is_number(ex_min) and (low is None or ex_min >= low):
        low, low_ex = ex_min, True
    if ex_max is True:
        high_ex = True
    elif _is_number(ex_max) and (high is None or ex_max <= high):
        high, high_ex = ex_max, True
    return low, low_ex, high, high_ex


def _integer(schema: Mapping[str, Any]) -> int:
    low, low_ex, high, high_ex = _bounds(schema)
    lo = None if low is None else (math.floor(low) + 1 if low_ex else math.ceil(low))
    hi = None if high is None else (math.ceil(high) - 1 if high_ex else math.floor(high))
    step = schema.get("multipleOf")
    step = int(step) if isinstance(step, int | float) and step >= 1 and step == int(step) else 1
    start = lo if lo is not None else (min(1, hi) if hi is not None else 1)
    value = -(-start // step) * step
    if hi is not None and value > hi:
        value = (hi // step) * step
    return int(value)


def _number(schema: Mapping[str, Any]) -> float | int:
    low, low_ex, high, high_ex = _bounds(schema)
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and step > 0:
        start = low if low is not None else 0
        k = math.floor(start / step) + 1 if low_ex else math.ceil(start / step)
        if low is None and high is not None:
            k = min(1, math.floor(high / step) - (1 if high_ex else 0))
        value = k * step
        return int(value) if float(value).is_integer() else value
    if low is not None and high is not None:
        return (low + high) / 2 if (low_ex or high_ex) else low
    if low is not None:
        return low + 1 if low_ex else low
    if high is not None:
        return high - 1 if high_ex else min(high, 1)
    return 1.5


def _fit_length(text: str, low: int, high: int | None) -> str:
    if len(text) < low:
        text = text + "x" * (low - len(text))
    if high is not None and len(text) > high:
        text = text[:high]
    return text


def _search(pattern: str, text: str) -> bool:
    """Whether ``text`` matches; True (trust the candidate) when the pattern is invalid or
    has nested repetition (matching could backtrack for exponential time)."""
    try:
        tree = sre_parse.parse(pattern)
    except (re.error, RecursionError, ValueError, OverflowError):
        return True
    try:
        if _nested_repeat(tree, False):
            return True
    except RecursionError:
        return True
    return re.search(pattern, text) is not None


_REPEATS: Final = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


def _nested_repeat(tree: Any, inside: bool) -> bool:
    """Whether a repetition holds another repetition or alternation (the shapes that make
    a backtracking matcher exponential)."""
    for op, arg in tree:
        name = str(op)
        if name in _REPEATS:
            if inside and arg[1] > 1:
                return True
            if _nested_repeat(arg[2], inside or arg[1] > 1):
                return True
        elif name == "SUBPATTERN":
            if _nested_repeat(arg[-1], inside):
                return True
        elif name == "BRANCH":
            if inside or any(_nested_repeat(b, inside) for b in arg[1]):
                return True
        elif name in ("ASSERT", "ASSERT_NOT") and _nested_repeat(arg[1], inside):
            return True
    return False


def _dedupe(values: list[Any], make: Any) -> list[Any]:
    seen: list[Any] = []
    for index, value in enumerate(values):
        candidate, attempt = value, 0
        while candidate in seen and attempt < 8:
            attempt += 1
            candidate = make(index * 10 + attempt)
        seen.append(candidate)
    return seen


class _TooLong(Exception):
    """A rendering would exceed the characters left."""


def _from_pattern(pattern: str, min_length: int, room: int) -> list[str] | None:
    """Strings the regex matches, built from its parse tree (shortest, then longer); None
    when even the shortest is longer than ``room`` characters."""
    try:
        tree = sre_parse.parse(pattern)
    except (re.error, RecursionError, ValueError, OverflowError):
        return []
    try:
        shortest = _render(tree, 0, room)
    except _TooLong:
        return None
    except RecursionError:
        return []
    try:
        longer = _render(tree, max(1, min_length), room)
    except (_TooLong, RecursionError):
        longer = None
    return [s for s in (longer, shortest) if s is not None]


def _render(tree: Any, extra: int, room: int) -> str | None:
    out: list[str] = []
    for op, arg in tree:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if chr(arg) != "a" else "b")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_from_set(arg))
        elif name == "CATEGORY":
            out.append(_from_category(str(arg)))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            times = low if extra <= 0 else min(max(low, extra), high if high < 65535 else extra)
            part = _render(sub, 0, room)
            if part is None:
                return None
            if len(part) * times > room:
                raise _TooLong
            out.append(part * times)
            room -= len(part) * times
        elif name == "SUBPATTERN":
            part = _render(arg[-1], extra, room)
            if part is None:
                return None
            out.append(part)
        elif name == "BRANCH":
            part = _render(arg[1][0], extra, room)
            if part is None:
                return None
            out.append(part)
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        else:  # back-references, conditionals: give up on this candidate
            return None
    return "".join(out)


def _from_set(items: Any) -> str:
    negate = False
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif not negate and name == "LITERAL":
            return chr(arg)
        elif not negate and name == "RANGE":
            return chr(arg[0])
        elif not negate and name == "CATEGORY":
            return _from_category(str(arg))
    if negate:
        excluded = {chr(a) for o, a in items if str(o) == "LITERAL"}
        return next(c for c in "aZ0_-x" if c not in excluded)
    return "a"


def _from_category(category: str) -> str:
    if "NOT_DIGIT" in category:
        return "a"
    if "DIGIT" in category:
        return "0"
    if "NOT_SPACE" in category or "NOT_WORD" in category:
        return "a" if "NOT_SPACE" in category else "-"
    if "SPACE" in category:
        return " "
    return "a"
