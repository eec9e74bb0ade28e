"""Bedrock's control plane for models: ListFoundationModels, GetFoundationModel,
ListInferenceProfiles and GetInferenceProfile, answered from the model catalogue.

The answers are the catalogue's (:meth:`~claude_bedrock.catalog.Catalog.foundation_models`
and friends), for the Region of the request's SigV4 scope and the caller's account, so that
what the control plane lists is exactly what the runtime accepts from that Region.

Input checks follow botocore's ``bedrock`` service model (enums, patterns, ranges), reported
the way AWS's front end reports constraint violations ("1 validation error detected: Value
'X' at 'byOutputModality' failed to satisfy constraint: ..."). The constraints are copied
here rather than read from botocore at start-up (loading that model costs more than the
whole emulator start); ``tests/emulator/test_control_plane.py`` checks they still match.

Two answers where AWS publishes no wording and we chose one:

* GetFoundationModel of a well-formed ID that no model in the Region has:
  ``ResourceNotFoundException`` "Could not resolve the foundation model from the provided
  model identifier." (Bedrock's message for that case at the runtime);
* GetInferenceProfile of an unknown profile: ``ResourceNotFoundException``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

from ..catalog import Catalog
from .errors import BedrockError, not_found, validation_error
from .http_types import Request, Response

if TYPE_CHECKING:
    from .app import EmulatorApp

__all__ = [
    "CUSTOMIZATION_TYPES",
    "FOUNDATION_MODEL_ID_PATTERN",
    "INFERENCE_PROFILE_ID_PATTERN",
    "INFERENCE_PROFILE_TYPES",
    "INFERENCE_TYPES",
    "MAX_RESULTS",
    "MODALITIES",
    "PROVIDER_PATTERN",
    "register",
]

# -- constraints from botocore's bedrock service model (service-2.json) ------------------------

#: ``ModelModality``
MODALITIES: Final = ("TEXT", "IMAGE", "EMBEDDING")
#: ``InferenceType``
INFERENCE_TYPES: Final = ("ON_DEMAND", "PROVISIONED")
#: ``ModelCustomization``
CUSTOMIZATION_TYPES: Final = ("FINE_TUNING", "CONTINUED_PRE_TRAINING", "DISTILLATION")
#: ``InferenceProfileType``
INFERENCE_PROFILE_TYPES: Final = ("SYSTEM_DEFINED", "APPLICATION")
#: ``Provider``
PROVIDER_PATTERN: Final = r"[A-Za-z0-9- ]{1,63}"
#: ``GetFoundationModelIdentifier``
FOUNDATION_MODEL_ID_PATTERN: Final = (
    r"(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}::foundation-model/[a-z0-9-]{1,63}[.]{1}"
    r"([a-z0-9-]{1,63}[.]){0,2}[a-z0-9-]{1,63}([:][a-z0-9-]{1,63}){0,2})|([a-z0-9-]{1,63}"
    r"[.]{1}[a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2})"
)
#: ``InferenceProfileIdentifier``
INFERENCE_PROFILE_ID_PATTERN: Final = (
    r"(arn:aws(|-us-gov|-cn|-iso|-iso-b):bedrock:(|[0-9a-z-]{0,20}):(|[0-9]{12}):"
    r"(inference-profile|application-inference-profile)/)?[a-zA-Z0-9-:.]+"
)
#: ``MaxResults`` (min, max)
MAX_RESULTS: Final = (1, 1000)
#: ``PaginationToken`` and the identifiers: maximum length
_MAX_TOKEN_LENGTH: Final = 2048
_MAX_IDENTIFIER_LENGTH: Final = 2048

_PROVIDER_RE = re.compile(PROVIDER_PATTERN)
_FOUNDATION_MODEL_ID_RE = re.compile(FOUNDATION_MODEL_ID_PATTERN)
_INFERENCE_PROFILE_ID_RE = re.compile(INFERENCE_PROFILE_ID_PATTERN)

_MODEL_NOT_FOUND = "Could not resolve the foundation model from the provided model identifier."
_BAD_TOKEN = "The pagination token is invalid. Use the nextToken of a previous response."


def register(app: EmulatorApp) -> None:
    """Install the four model-catalogue routes of Bedrock's control plane on ``app``."""
    routes = _ControlPlane(app)
    for pattern, handler, operation in (
        ("/foundation-models", routes.list_foundation_models, "ListFoundationModels"),
        ("/foundation-models/{modelIdentifier}", routes.get_foundation_model, "GetFoundationModel"),
        ("/inference-profiles", routes.list_inference_profiles, "ListInferenceProfiles"),
        (
            "/inference-profiles/{inferenceProfileIdentifier}",
            routes.get_inference_profile,
            "GetInferenceProfile",
        ),
    ):
        app.add_route("GET", pattern, handler, operation=operation)


@lru_cache(maxsize=1)
def _catalog() -> Catalog:
    return Catalog.default()


@dataclass
class _Violations:
    """Constraint violations, worded and counted as AWS's front end does."""

    found: list[str] = field(default_factory=list)

    def add(self, value: str, member: str, constraint: str) -> None:
        shown = value if len(value) <= 200 else value[:200] + "..."
        self.found.append(
            f"Value '{shown}' at '{member}' failed to satisfy constraint: {constraint}"
        )

    def enum(self, value: str | None, member: str, allowed: tuple[str, ...]) -> None:
        if value is not None and value not in allowed:
            self.add(value, member, f"Member must satisfy enum value set: [{', '.join(allowed)}]")

    def pattern(self, value: str | None, member: str, pattern: re.Pattern[str]) -> None:
        if value is not None and pattern.fullmatch(value) is None:
            self.add(
                value,
                member,
                f"Member must satisfy regular expression pattern: {pattern.pattern}",
            )

    def length(self, value: str | None, member: str, high: int) -> None:
        if value is not None and not 1 <= len(value) <= high:
            constraint = (
                "Member must have length greater than or equal to 1"
                if not value
                else f"Member must have length less than or equal to {high}"
            )
            self.add(value, member, constraint)

    def raise_if_any(self) -> None:
        if self.found:
            count = len(self.found)
            noun = "error" if count == 1 else "errors"
            raise validation_error(f"{count} validation {noun} detected: {'; '.join(self.found)}")


class _ControlPlane:
    def __init__(self, app: EmulatorApp) -> None:
        self.app = app

    def _where(self, request: Request) -> tuple[str, str]:
        """(Region, account ID) of the caller, from its signature (or the default Region)."""
        identity = request.identity
        if identity is None:
            return self.app.config.region, "123456789012"
        return identity.region, identity.account_id

    async def list_foundation_models(self, request: Request) -> Response:
        region, _ = self._where(request)
        filters = {
            "by_provider": request.query_value("byProvider"),
            "by_output_modality": request.query_value("byOutputModality"),
            "by_inference_type": request.query_value("byInferenceType"),
            "by_customization_type": request.query_value("byCustomizationType"),
        }
        check = _Violations()
        check.pattern(filters["by_provider"], "byProvider", _PROVIDER_RE)
        check.enum(filters["by_output_modality"], "byOutputModality", MODALITIES)
        check.enum(filters["by_inference_type"], "byInferenceType", INFERENCE_TYPES)
        check.enum(filters["by_customization_type"], "byCustomizationType", CUSTOMIZATION_TYPES)
        check.raise_if_any()
        summaries = _catalog().foundation_models(region, **filters)
        return Response.json({"modelSummaries": summaries})

    async def get_foundation_model(self, request: Request) -> Response:
        region, _ = self._where(request)
        identifier = _identifier(request, "modelIdentifier", _FOUNDATION_MODEL_ID_RE)
        if identifier.startswith("arn:") and identifier.split(":")[3] != region:
            raise not_found(_MODEL_NOT_FOUND)
        details = _catalog().foundation_model(region, identifier)
        if details is None:
            raise not_found(_MODEL_NOT_FOUND)
        return Response.json({"modelDetails": details})

    async def list_inference_profiles(self, request: Request) -> Response:
        region, account = self._where(request)
        kind = request.query_value("type")
        raw_max = request.query_value("maxResults")
        token = request.query_value("nextToken")
        check = _Violations()
        check.enum(kind, "typeEquals", INFERENCE_PROFILE_TYPES)
        max_results = _max_results(raw_max, check)
        check.length(token, "nextToken", _MAX_TOKEN_LENGTH)
        check.raise_if_any()
        # Bedrock defines no APPLICATION profile for an account until the user creates one.
        profiles = [] if kind == "APPLICATION" else _catalog().inference_profiles(region, account)
        start = 0 if token is None else _decode_token(token, kind, region)
        page = profiles[start : start + max_results] if max_results else profiles[start:]
        body: dict[str, Any] = {"inferenceProfileSummaries": page}
        end = start + len(page)
        if end < len(profiles):
            body["nextToken"] = _encode_token(end, kind, region)
        return Response.json(body)

    async def get_inference_profile(self, request: Request) -> Response:
        region, account = self._where(request)
        identifier = _identifier(request, "inferenceProfileIdentifier", _INFERENCE_PROFILE_ID_RE)
        profile = None
        if _arn_matches(identifier, region, account):
            profile = _catalog().inference_profile(region, identifier, account)
        if profile is None:
            raise _profile_not_found(identifier)
        return Response.json(profile)


def _identifier(request: Request, member: str, pattern: re.Pattern[str]) -> str:
    """The path parameter ``member``, refused as AWS's front end does when its length or
    ``pattern`` does not fit (both violations reported together)."""
    identifier = request.path_params[member]
    check = _Violations()
    check.length(identifier, member, _MAX_IDENTIFIER_LENGTH)
    check.pattern(identifier, member, pattern)
    check.raise_if_any()
    return identifier


def _max_results(raw: str | None, check: _Violations) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BedrockError(
            "SerializationException", f"Value '{raw[:50]}' at 'maxResults' is not an integer."
        ) from None
    low, high = MAX_RESULTS
    if value < low:
        check.add(raw, "maxResults", f"Member must have value greater than or equal to {low}")
    elif value > high:
        check.add(raw, "maxResults", f"Member must have value less than or equal to {high}")
    return value


def _encode_token(offset: int, kind: str | None, region: str) -> str:
    """An opaque token; it remembers the filter and Region so it cannot be replayed elsewhere."""
    raw = json.dumps({"o": offset, "t": kind, "r": region}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_token(token: str, kind: str | None, region: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = data["o"]
        same_query = data["t"] == kind and data["r"] == region
    except (ValueError, binascii.Error, KeyError, TypeError):
        raise validation_error(_BAD_TOKEN) from None
    if not isinstance(offset, int) or offset < 0 or not same_query:
        raise validation_error(_BAD_TOKEN)
    return offset


def _arn_matches(identifier: str, region: str, account: str) -> bool:
    """A profile ARN names its Region and account: another's is not found here."""
    if not identifier.startswith("arn:"):
        return True
    parts = identifier.split(":", 5)
    if len(parts) != 6 or not parts[5].startswith("inference-profile/"):
        return False
    return parts[3] in ("", region) and parts[4] in ("", account)


def _profile_not_found(identifier: str) -> BedrockError:
    shown = identifier if len(identifier) <= 200 else identifier[:200] + "..."
    return not_found(f"The inference profile {shown} does not exist in this Region.")
