"""Which model a runtime request targets, decided by Bedrock's rules.

The facts and the rules (which IDs exist, which profiles belong to which Region's
geography, which models accept a bare base ID for on-demand throughput) are the
catalogue's (:meth:`claude_bedrock.catalog.Catalog.check_invocation`, a neutral
:class:`~claude_bedrock.catalog.Verdict`); this module only turns verdicts into what
Bedrock answers:

* unknown model, or a profile of another geography: ``ValidationException`` "The provided
  model identifier is invalid.";
* a base ID of a model only reachable through inference profiles: ``ValidationException``
  "Invocation of model ID ... with on-demand throughput isn't supported. Retry your request
  with the ID or ARN of an inference profile that contains this model."
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..catalog import Catalog, ModelInfo, Verdict
from ..wire.rules import Rule, Violation
from ..wire.rules.model_id import model_id_violation
from .errors import BedrockError, validation_error

__all__ = [
    "INVALID_MODEL",
    "InvocationModel",
    "known_region",
    "resolve_invocation_model",
    "response_model_name",
]

INVALID_MODEL = "The provided model identifier is invalid."
_VERSION_SUFFIX_RE = re.compile(r"-v\d+(?::\d+)?\Z")


@dataclass(frozen=True, slots=True)
class InvocationModel:
    """A resolved runtime model: its catalogue entry and the name responses carry."""

    requested: str
    info: ModelInfo
    response_name: str

    def output_limit(self, betas: Sequence[str]) -> int:
        """The largest ``max_tokens`` accepted with these beta flags."""
        return self.info.output_limit(list(betas))

    def context_limit(self, betas: Sequence[str]) -> int:
        """Input + output tokens the model accepts with these beta flags."""
        return self.info.context_limit(list(betas))


@lru_cache(maxsize=1)
def _catalog() -> Catalog:
    return Catalog.default()


def known_region(region: str) -> bool:
    """Whether the catalogue knows ``region`` (i.e. the emulator serves it)."""
    return region in _catalog().regions()


def response_model_name(base_id: str) -> str:
    """The ``model`` Bedrock puts in Anthropic responses: the Anthropic API name.

    ``anthropic.claude-sonnet-4-5-20250929-v1:0`` -> ``claude-sonnet-4-5-20250929``.
    """
    return _VERSION_SUFFIX_RE.sub("", base_id.removeprefix("anthropic."))


@lru_cache(maxsize=1024)
def resolve_invocation_model(model_id: str, region: str) -> InvocationModel:
    """The model a request for ``model_id`` arriving in ``region`` runs.

    Raises a ``ValidationException`` :class:`~.errors.BedrockError` where Bedrock would.
    Cached: clients send the same few IDs over and over.
    """
    syntax = model_id_violation(model_id)
    if syntax is not None:
        raise _syntax_error(model_id, syntax)
    check = _catalog().check_invocation(model_id, region)
    if check.verdict is Verdict.ON_DEMAND_NOT_SUPPORTED and check.info is not None:
        raise validation_error(
            f"Invocation of model ID {check.info.id} with on-demand throughput isn\u2019t "
            "supported. Retry your request with the ID or ARN of an inference profile "
            "that contains this model."
        )
    resolved = check.resolved
    if resolved is None or resolved.info is None:  # application profiles: not emulated
        raise validation_error(INVALID_MODEL)
    return InvocationModel(model_id, resolved.info, response_model_name(resolved.info.id))


def _syntax_error(model_id: str, violation: Violation) -> BedrockError:
    """Bedrock's words for a ``modelId`` that breaks the service model's constraints."""
    if violation.rule is Rule.MODEL_ID_LENGTH:
        bound = (
            "greater than or equal to 1"
            if not model_id
            else (f"less than or equal to {violation.limit}")
        )
        constraint = f"Member must have length {bound}"
    else:
        constraint = f"Member must satisfy regular expression pattern: {violation.limit}"
    return validation_error(
        f"1 validation error detected: Value '{model_id}' at 'modelId' failed to satisfy "
        f"constraint: {constraint}"
    )
