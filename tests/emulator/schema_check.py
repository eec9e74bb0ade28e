"""A small, independent JSON Schema checker for the subset tool schemas use.

Written for the tests (no jsonschema package in the environment): it checks a value
against type, enum, const, properties/required/additionalProperties, min/maxProperties,
items/prefixItems, min/maxItems, uniqueItems, numeric bounds (draft 4 and 6+ exclusives),
multipleOf, min/maxLength, pattern, $ref, allOf/anyOf/oneOf. Returns the list of errors.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (
        isinstance(v, int) and not isinstance(v, bool) or isinstance(v, float) and v.is_integer()
    ),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def errors(value: Any, schema: Any, root: Any = None, path: str = "$") -> list[str]:
    root = schema if root is None else root
    if schema is True or schema == {}:
        return []
    if schema is False:
        return [f"{path}: false schema"]
    out: list[str] = []
    if "$ref" in schema:
        target = root
        for part in schema["$ref"][2:].split("/"):
            target = target[part]
        out += errors(value, target, root, path)
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[k](value) for k in kinds):
            return [*out, f"{path}: {value!r} is not of type {kinds}"]
    if "const" in schema and value != schema["const"]:
        out.append(f"{path}: not const")
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: {value!r} not in enum")
    for sub in schema.get("allOf", []):
        out += errors(value, sub, root, path)
    if "anyOf" in schema and all(errors(value, s, root, path) for s in schema["anyOf"]):
        out.append(f"{path}: matches no anyOf branch")
    if "oneOf" in schema:
        matching = sum(not errors(value, s, root, path) for s in schema["oneOf"])
        if matching != 1:
            out.append(f"{path}: matches {matching} oneOf branches")
    if isinstance(value, dict):
        out += _object(value, schema, root, path)
    elif isinstance(value, list):
        out += _array(value, schema, root, path)
    elif isinstance(value, str):
        out += _string(value, schema, path)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out += _number(value, schema, path)
    return out


def _object(value: dict[str, Any], schema: Mapping[str, Any], root: Any, path: str) -> list[str]:
    out = []
    props = schema.get("properties", {})
    for key in schema.get("required", []):
        if key not in value:
            out.append(f"{path}: missing required {key!r}")
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in props:
            out += errors(item, props[key], root, f"{path}.{key}")
        elif extra is False:
            out.append(f"{path}: additional property {key!r}")
        elif isinstance(extra, dict):
            out += errors(item, extra, root, f"{path}.{key}")
    if len(value) < schema.get("minProperties", 0):
        out.append(f"{path}: too few properties")
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        out.append(f"{path}: too many properties")
    return out


def _array(value: list[Any], schema: Mapping[str, Any], root: Any, path: str) -> list[str]:
    out = []
    prefix = schema.get("prefixItems", [])
    for index, item in enumerate(value):
        sub = prefix[index] if index < len(prefix) else schema.get("items", True)
        out += errors(item, sub, root, f"{path}[{index}]")
    if len(value) < schema.get("minItems", 0):
        out.append(f"{path}: too few items")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        out.append(f"{path}: too many items")
    if schema.get("uniqueItems") and any(value[i] in value[:i] for i in range(len(value))):
        out.append(f"{path}: items not unique")
    return out


def _string(value: str, schema: Mapping[str, Any], path: str) -> list[str]:
    out = []
    if len(value) < schema.get("minLength", 0):
        out.append(f"{path}: too short")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        out.append(f"{path}: too long")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        out.append(f"{path}: {value!r} does not match {schema['pattern']!r}")
    return out


def _number(value: float, schema: Mapping[str, Any], path: str) -> list[str]:
    out = []
    if "minimum" in schema and value < schema["minimum"]:
        out.append(f"{path}: below minimum")
    if "maximum" in schema and value > schema["maximum"]:
        out.append(f"{path}: above maximum")
    ex_min, ex_max = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if ex_min is True and value <= schema.get("minimum", -math.inf):
        out.append(f"{path}: not above exclusive minimum")
    if ex_max is True and value >= schema.get("maximum", math.inf):
        out.append(f"{path}: not below exclusive maximum")
    if isinstance(ex_min, int | float) and not isinstance(ex_min, bool) and value <= ex_min:
        out.append(f"{path}: not above exclusiveMinimum")
    if isinstance(ex_max, int | float) and not isinstance(ex_max, bool) and value >= ex_max:
        out.append(f"{path}: not below exclusiveMaximum")
    step = schema.get("multipleOf")
    if step and not math.isclose(value / step, round(value / step), abs_tol=1e-9):
        out.append(f"{path}: not a multiple of {step}")
    return out
