"""The syntax of a runtime ``modelId``, as bedrock-runtime's service model states it.

Bedrock checks it before looking the model up, and answers ``1 validation error detected:
Value '...' at 'modelId' failed to satisfy constraint: Member must satisfy regular
expression pattern: ...`` (as users quote it, e.g. aws/aws-sdk-js-v3#5665). The pattern
and length are botocore's (``bedrock-runtime`` 2023-09-30, shape
``InvokeModelIdentifier``); a test compares them with the installed service model.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from . import Rule, Violation

__all__ = ["MODEL_ID_MAX_LENGTH", "MODEL_ID_PATTERN", "model_id_violation"]

MODEL_ID_MAX_LENGTH: Final = 2048
MODEL_ID_PATTERN: Final = (
    r"(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:(([0-9]{12}:custom-model/[a-z0-9-]{1,63}[.]{1}"
    r"[a-z0-9-]{1,63}/[a-z0-9]{12})|(:foundation-model/[a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}"
    r"([.:]?[a-z0-9-]{1,63}))|([0-9]{12}:imported-model/[a-z0-9]{12})|([0-9]{12}:"
    r"provisioned-model/[a-z0-9]{12})|([0-9]{12}:custom-model-deployment/[a-z0-9]{12})|"
    r"([0-9]{12}:(inference-profile|application-inference-profile)/[a-zA-Z0-9-:.]+)))|"
    r"([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.:]?[a-z0-9-]{1,63}))|(([0-9a-zA-Z][_-]?)+)|"
    r"([a-zA-Z0-9-:.]+)$|(^(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:prompt/"
    r"[0-9a-zA-Z]{10}(?::[0-9]{1,5})?))$|(^arn:aws:sagemaker:[a-z0-9-]+:[0-9]{12}:endpoint/"
    r"[a-zA-Z0-9-]+$)|(^arn:aws(-[^:]+)?:bedrock:([0-9a-z-]{1,20}):([0-9]{12}):"
    r"(default-)?prompt-router/[a-zA-Z0-9-:.]+$)"
)


@lru_cache(maxsize=1)
def _model_id_re() -> re.Pattern[str]:
    return re.compile(MODEL_ID_PATTERN)  # compiled on first use: imports stay cheap


@lru_cache(maxsize=256)
def model_id_violation(model_id: str) -> Violation | None:
    """The broken ``modelId`` constraint (length first, as AWS lists them), or None.

    The pattern must match the whole ID (AWS's validators anchor it). Cached: callers send
    the same few IDs over and over.
    """
    if not 1 <= len(model_id) <= MODEL_ID_MAX_LENGTH:
        return Violation(Rule.MODEL_ID_LENGTH, MODEL_ID_MAX_LENGTH, len(model_id), "modelId")
    if _model_id_re().fullmatch(model_id) is None:
        return Violation(Rule.MODEL_ID_PATTERN, MODEL_ID_PATTERN, model_id, "modelId")
    return None
