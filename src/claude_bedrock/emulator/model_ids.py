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
  with the ID or ARN of an inference profile that contains this model.";
* a model past end of life (base ID or profile): ``ResourceNotFoundException`` (404) "This
  model version has reached the end of its life. Please refer to the AWS documentation for
  more details." (an adapter's retired-model test; third-party probes of Claude 3 Haiku and
  3.5 Haiku, 2026-10);
* an ID Bedrock does not know, ``anthropic.claude-opus-4-6-v1:0`` included (its ID has no
  ``:0``): ``ValidationException`` "The provided model identifier is invalid.";
* a model the runtime does not serve (Claude Mythos 5, bedrock-mantle only): the same
  "invalid" answer (our choice: Bedrock's wording for this case is not published).

The Messages-API verdicts (``PROFILE_ON_MANTLE``, ``BARE_ID_ON_MESSAGES``) are mapped by the
emulator's Messages routes; :func:`runtime_error` answers them as Bedrock's runtime would.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..catalog import Catalog, ModelInfo, Verdict
from ..wire.messages_api import Surface
from ..wire.rules import Rule, Violation
from ..wire.rules.model_id import model_id_violation
from ..wire.rules.request_rules import load_rules
from .errors import BedrockError, not_found, validation_error

__all__ = [
    "END_OF_LIFE",
    "INVALID_MODEL",
    "InvocationModel",
    "known_region",
    "resolve_invocation_model",
    "runtime_error",
    "response_model_name",
]

INVALID_MODEL = "The provided model identifier is invalid."
#: Worded as the request-rule table quotes Bedrock (``lifecycle.end_of_life``).
END_OF_LIFE = load_rules().get("lifecycle.end_of_life").error.template or ""
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
def resolve_invocation_model(
    model_id: str, region: str, surface: Surface = "invoke"
) -> InvocationModel:
    """The model a request for ``model_id`` arriving in ``region`` runs.

    Raises a ``ValidationException`` :class:`~.errors.BedrockError` where Bedrock would.
    Cached: clients send the same few IDs over and over.
    """
    syntax = model_id_violation(model_id)
    if syntax is not None:
        raise _syntax_error(model_id, syntax)
    check = _catalog().check_invocation(model_id, region, surface)
    resolved = check.resolved
    if resolved is None or resolved.info is None:  # application profiles: not emulated
        raise runtime_error(check.verdict, check.info)
    return InvocationModel(model_id, resolved.info, response_model_name(resolved.info.id))


def runtime_error(verdict: Verdict, info: ModelInfo | None = None) -> BedrockError:
    """What bedrock-runtime answers for a refused model ID (every verdict but OK)."""
    if verdict is Verdict.END_OF_LIFE:
        return not_found(END_OF_LIFE)
    if verdict is Verdict.ON_DEMAND_NOT_SUPPORTED and info is not None:
        return validation_error(
            f"Invocation of model ID {info.id} with on-demand throughput isn\u2019t "
            "supported. Retry your request with the ID or ARN of an inference profile "
            "that contains this model."
        )
    return validation_error(INVALID_MODEL)


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
