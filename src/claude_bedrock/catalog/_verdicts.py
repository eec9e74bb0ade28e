"""Bedrock's answer to a model ID, as neutral facts (no wording, no exception classes)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ._types import ModelInfo, ResolvedModel


class Verdict(enum.Enum):
    """Bedrock's answer to a runtime model ID, as a fact: no wording, no exception.

    The emulator turns it into Bedrock's error; :func:`validate_invocation` into a client
    error that says what to use instead.
    """

    OK = "ok"
    UNKNOWN_REGION = "unknown-region"
    UNKNOWN_MODEL = "unknown-model"
    NOT_A_MODEL_ARN = "not-a-model-arn"
    ARN_OTHER_REGION = "arn-other-region"
    NOT_OFFERED = "not-offered"
    OTHER_GEOGRAPHY = "other-geography"
    ON_DEMAND_NOT_SUPPORTED = "on-demand-not-supported"
    #: The model reached end of life ("This model version has reached the end of its life.").
    END_OF_LIFE = "end-of-life"
    #: The surface (``check_invocation``'s ``surface``) does not serve this model.
    NOT_ON_SURFACE = "not-on-surface"
    #: bedrock-mantle got an inference-profile ID: it serves bare in-Region IDs only.
    PROFILE_ON_MANTLE = "profile-on-mantle"
    #: The runtime's Messages API got a bare base ID: it takes inference-profile IDs only.
    BARE_ID_ON_MESSAGES = "bare-id-on-messages"


@dataclass(frozen=True, slots=True)
class InvocationCheck:
    """A :class:`Verdict` and what it is about.

    ``model_id`` is the ID the verdict concerns (for an ARN, the model or profile inside
    it); ``info`` the catalogue entry when known; ``scope`` the profile prefix the ID used;
    ``resolved`` the accepted model when the verdict is OK (``resolved.info`` is None for
    application inference profiles and custom models, which the catalogue does not know).
    """

    verdict: Verdict
    model_id: str
    info: ModelInfo | None = None
    scope: str | None = None
    resolved: ResolvedModel | None = None
