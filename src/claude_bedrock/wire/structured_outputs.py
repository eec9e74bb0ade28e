"""Structured outputs (``output_config.format``) on each Bedrock surface, as data.

The client reads this table to decide, before sending, whether a call that asks for a JSON
schema can succeed where it is going; the emulator reads it to answer as Bedrock does. A
surface's row is changed when a source changes, never the code that reads it.

``status``:

* ``supported``: a primary source says the surface takes the field (send it);
* ``refused``: a primary source says the surface answers 400, and no newer one disagrees
  (the client fails before sending, naming :data:`SUPPORTED_ON`);
* ``conflict``: primary sources disagree (the client sends, with a warning that names
  :data:`SUPPORTED_ON`; the emulator follows ``emulator_refuses``);
* ``undocumented``: no source says either way (sent silently).

Sources (AWS user guide; the keys are the fact sheet's, ``/work/shared/research``):

* ``aws-so`` (older copy): "You can use structured outputs with Claude Sonnet 4.5, Claude
  Haiku 4.5, Claude Opus 4.5, and Claude Opus 4.6 through the Converse API or the
  InvokeModel API on the bedrock-runtime endpoint. Structured outputs is not supported on
  the Anthropic Messages API path on the bedrock-mantle endpoint; the
  ``output_config.format`` parameter is rejected with a 400 error."
  https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-structured-outputs.html
* ``aws-so`` (newer copy, same URL, table not stored): "Claude models on Amazon Bedrock
  return schema-compliant JSON on both the bedrock-runtime and bedrock-mantle endpoints
  [...] Support varies by model and endpoint."
* ``aws-structured-output``: "For InvokeModel API with Anthropic Claude models, use the
  ``output_config.format`` request field [...] For Converse APIs, use the
  ``outputConfig.textFormat`` request field."
  https://docs.aws.amazon.com/bedrock/latest/userguide/structured-output.html
* ``aws-msg``: the Messages API on bedrock-runtime; structured outputs not documented there.
"""

from __future__ import annotations

from typing import Final, Literal, NamedTuple

from .messages_api import Surface

__all__ = [
    "EFFORTS",
    "FORMAT_TYPES",
    "STRUCTURED_OUTPUTS",
    "SUPPORTED_ON",
    "StructuredOutputs",
    "SurfaceSupport",
]

SurfaceSupport = Literal["supported", "refused", "conflict", "undocumented"]


class StructuredOutputs(NamedTuple):
    """One surface's row: what the sources say, and what the emulator answers."""

    status: SurfaceSupport
    #: Where the JSON schema goes on this surface's own request shape.
    field: str
    sources: tuple[str, ...]
    checked: str
    #: Whether the emulator answers a schema on this surface with a 400 (else with JSON
    #: valid against the schema).
    emulator_refuses: bool = False


STRUCTURED_OUTPUTS: Final[dict[Surface, StructuredOutputs]] = {
    "invoke": StructuredOutputs(
        "supported", "output_config.format", ("aws-so", "aws-structured-output"), "2026-12-03"
    ),
    # Our Converse translation carries ``output_config`` in additionalModelRequestFields
    # (Bedrock merges it into Claude's body); ``outputConfig.textFormat`` is the native slot.
    "converse": StructuredOutputs(
        "supported", "outputConfig.textFormat", ("aws-so", "aws-structured-output"), "2026-12-03"
    ),
    "runtime-messages": StructuredOutputs(
        "undocumented", "output_config.format", ("aws-msg",), "2026-12-03"
    ),
    # The older aws-so copy documents the 400; the newer one says both endpoints serve it,
    # varying by model (its table is not stored), so the client cannot be sure: it warns.
    # The emulator answers what was documented (a 400).
    "mantle": StructuredOutputs(
        "conflict", "output_config.format", ("aws-so",), "2026-12-03", emulator_refuses=True
    ),
}

#: The surface to name when another one cannot take a schema (the client's ``api=``).
SUPPORTED_ON: Final = "InvokeModel on bedrock-runtime (AnthropicBedrock, api='invoke')"

#: ``output_config.format.type`` values (Anthropic API; Bedrock's OutputFormat ``type``).
FORMAT_TYPES: Final = ("json_schema",)
#: ``output_config.effort`` values (the official SDK 2.16's ``OutputConfigParam``).
EFFORTS: Final = ("low", "medium", "high", "xhigh", "max")
