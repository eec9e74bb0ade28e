"""The ``output_config`` field of an InvokeModel body: its shape, checked as Bedrock's schema
stage checks every other field (everit-style pointers, see :mod:`.validation`).

``effort`` is one of the documented values (:data:`~..wire.structured_outputs.EFFORTS`);
``format`` is ``{"type": "json_schema", "schema": {...}}``. Whether the schema itself
uses only the JSON Schema features Bedrock compiles is not checked: the emulator answers
any object schema (:mod:`.schema_values`). The pointer wording is the validator's style;
the exact text Bedrock gives for these fields is not documented.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from ..wire.structured_outputs import EFFORTS, FORMAT_TYPES, STRUCTURED_OUTPUTS
from .errors import validation_error

if TYPE_CHECKING:
    from ..wire.messages_api import Surface

__all__ = ["check_output_config", "refuse_format_on"]

_KEYS: Final = ("effort", "format")
_FORMAT_KEYS: Final = ("type", "schema")
#: Our wording (no Bedrock message is documented, only the 400): not verbatim.
_REFUSAL: Final = (
    "output_config.format: structured outputs are not supported on this endpoint; "
    "use InvokeModel or Converse on bedrock-runtime"
)


def check_output_config(c: Any, body: Mapping[str, Any]) -> None:
    """Add ``body["output_config"]``'s shape violations to the checker ``c``."""
    config = body.get("output_config")
    if "output_config" not in body or not c.type_is("#/output_config", config, "JSONObject"):
        return
    assert isinstance(config, Mapping)
    c.extraneous("#/output_config", config, _KEYS)
    if config.get("effort") is not None:
        c.enum("#/output_config/effort", config["effort"], EFFORTS)
    fmt = config.get("format")
    if fmt is None or not c.type_is("#/output_config/format", fmt, "JSONObject"):
        return
    c.keys("#/output_config/format", fmt, _FORMAT_KEYS)
    c.extraneous("#/output_config/format", fmt, _FORMAT_KEYS)
    if "type" in fmt:
        c.enum("#/output_config/format/type", fmt["type"], FORMAT_TYPES)
    if "schema" in fmt:
        c.type_is("#/output_config/format/schema", fmt["schema"], "JSONObject")


def refuse_format_on(surface: Surface, body: Mapping[str, Any]) -> None:
    """Raise the 400 a surface answers a JSON schema with, where the emulator refuses one
    (:data:`~..wire.structured_outputs.STRUCTURED_OUTPUTS`)."""
    row = STRUCTURED_OUTPUTS.get(surface)
    config = body.get("output_config")
    refused = row is not None and row.emulator_refuses
    if refused and isinstance(config, Mapping) and config.get("format") is not None:
        raise validation_error(_REFUSAL)
