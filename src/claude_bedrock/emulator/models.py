"""Which model a runtime request targets, as Bedrock decides it from the path's model ID.

Accepted forms: a base model ID (``anthropic.claude-...-v1:0``), an inference-profile ID
(``global.``/``us.``/``eu.``/``jp.``/``apac.`` + base ID) and their ARNs
(``arn:aws:bedrock:REGION::foundation-model/ID``,
``arn:aws:bedrock:REGION:ACCOUNT:inference-profile/ID``). Anything else gets Bedrock's
``The provided model identifier is invalid.``. The facts (limits, names) come from
:mod:`claude_bedrock.catalog`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import validation_error

__all__ = ["InvocationModel", "resolve_invocation_model", "response_model_name"]

_INVALID = "The provided model identifier is invalid."
_ARN_RE = re.compile(
    r"arn:aws(?:-[a-z-]+)?:bedrock:([a-z0-9-]+):(\d{12})?:"
    r"(foundation-model|inference-profile|application-inference-profile)/(.+)\Z"
)
_GEO_PREFIX_RE = re.compile(r"(global|us|eu|jp|apac|au|ca|us-gov)\.")
_VERSION_SUFFIX_RE = re.compile(r"-v\d+(?::\d+)?\Z")


@dataclass(frozen=True, slots=True)
class InvocationModel:
    """A resolved runtime model: what to call it in responses and its limits."""

    requested: str
    base_id: str
    response_name: str
    max_output_tokens: int | None
    info: Any = None

    def context_limit(self, betas: Sequence[str]) -> int | None:
        """Input + output tokens the model accepts with these beta flags (None: unknown)."""
        if self.info is None:
            return None
        return int(self.info.context_limit(list(betas)))


def response_model_name(base_id: str) -> str:
    """The ``model`` Bedrock puts in Anthropic responses: the Anthropic API name.

    ``anthropic.claude-sonnet-4-5-20250929-v1:0`` -> ``claude-sonnet-4-5-20250929``.
    """
    name = base_id.removeprefix("anthropic.")
    return _VERSION_SUFFIX_RE.sub("", name)


def _split(model_id: str) -> tuple[str, str | None]:
    """``(profile-or-base id, region named by an ARN)``."""
    match = _ARN_RE.match(model_id)
    if match:
        return match.group(4), match.group(1)
    if model_id.startswith("arn:"):
        raise validation_error(_INVALID)
    return model_id, None


def resolve_invocation_model(model_id: str, region: str) -> InvocationModel:
    """The model a request for ``model_id`` in ``region`` runs (``ValidationException`` if
    Bedrock would not know it)."""
    target, _arn_region = _split(model_id)
    base_id = _GEO_PREFIX_RE.sub("", target, count=1)
    if not base_id.startswith("anthropic.claude-"):
        raise validation_error(_INVALID)
    return InvocationModel(
        requested=model_id,
        base_id=base_id,
        response_name=response_model_name(base_id),
        max_output_tokens=None,
    )
