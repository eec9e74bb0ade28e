"""Bedrock control-plane answers built from the catalogue (for the emulator and the CLI).

The dicts follow botocore's ``bedrock`` service model: ``FoundationModelSummary`` /
``FoundationModelDetails`` and ``InferenceProfileSummary`` / ``GetInferenceProfileResponse``.
Two places where real Bedrock and that model differ, and where we follow Bedrock:

* ``inferenceTypesSupported`` holds ``INFERENCE_PROFILE`` for models that can only be
  called through a profile (every current Claude model, bar Opus 5.5's in-Region
  invocation in eu-west-2), a value missing from botocore's
  ``InferenceType`` enum (botocore does not validate answers, so boto3 reads it fine);
* a global profile's ``models`` holds the Region-less ARN
  ``arn:aws:bedrock:::foundation-model/...`` that IAM policies for global profiles name.

Models past end of life are absent, as on Bedrock; Legacy ones carry ``modelLifecycle``
``status: LEGACY`` with ``legacyTime``, ``publicExtendedAccessTime`` and ``endOfLifeTime``.
Timestamps are ISO 8601 strings (UTC), ready for JSON; botocore parses them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ._load import GLOBAL, CatalogData
from ._types import ModelInfo

DEFAULT_ACCOUNT_ID = "123456789012"
PROVIDER = "Anthropic"
# botocore: InferenceProfileModels has max 5 members.
_MAX_PROFILE_MODELS = 5


def foundation_model_arn(region: str, model_id: str) -> str:
    """Foundation-model ARNs carry the Region but no account ID."""
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


def inference_profile_arn(region: str, account_id: str, profile_id: str) -> str:
    return f"arn:aws:bedrock:{region}:{account_id}:inference-profile/{profile_id}"


def _reachable(data: CatalogData, region: str) -> tuple[str, ...]:
    """Scopes a caller in ``region`` can use: global (not from GovCloud), then geographies."""
    return data.reachable_scopes(region)


def _listed(data: CatalogData, info: ModelInfo, region: str) -> bool:
    """Whether Bedrock lists the model in ``region``: generally available (invitation-only
    models are not listed to an ordinary account), not past end of life, reachable there."""
    if info.end_of_life or not info.generally_available:
        return False
    return bool(info.scopes.intersection(_reachable(data, region))) or info.on_demand_in(region)


def _timestamp(info: ModelInfo) -> str:
    day = info.release_date.isoformat() if info.release_date else "2024-01-01"
    return f"{day}T00:00:00Z"


def model_summary(info: ModelInfo, region: str) -> dict[str, Any]:
    """One ``FoundationModelSummary`` (also the shape of ``FoundationModelDetails``)."""
    on_demand = info.on_demand_in(region)
    types = ["ON_DEMAND", "INFERENCE_PROFILE"] if on_demand else ["INFERENCE_PROFILE"]
    return {
        "modelArn": foundation_model_arn(region, info.id),
        "modelId": info.id,
        "modelName": info.bedrock_name,
        "providerName": PROVIDER,
        "inputModalities": ["TEXT", "IMAGE"],
        "outputModalities": ["TEXT"],
        "responseStreamingSupported": True,
        "customizationsSupported": [],
        "inferenceTypesSupported": types,
        "modelLifecycle": _lifecycle(info),
    }


def _lifecycle(info: ModelInfo) -> dict[str, str]:
    """``modelLifecycle``: ACTIVE or LEGACY, with the dates botocore's shape has."""
    out = {"status": "LEGACY" if info.lifecycle == "legacy" else "ACTIVE"}
    if info.release_date:
        out["startOfLifeTime"] = _day(info.release_date)
    if info.legacy_date:
        out["legacyTime"] = _day(info.legacy_date)
    if info.public_extended_access_date:
        out["publicExtendedAccessTime"] = _day(info.public_extended_access_date)
    if info.eol_date:
        out["endOfLifeTime"] = _day(info.eol_date)
    return out


def _day(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def foundation_models(
    data: CatalogData,
    region: str,
    *,
    by_provider: str | None = None,
    by_output_modality: str | None = None,
    by_inference_type: str | None = None,
    by_customization_type: str | None = None,
) -> list[dict[str, Any]]:
    """ListFoundationModels' ``modelSummaries`` for the models reachable from ``region``.

    The filters behave as Bedrock's query parameters do: ``byProvider`` is matched
    case-insensitively; ``byInferenceType`` takes ON_DEMAND or PROVISIONED (we list no
    provisioned throughput, so PROVISIONED yields nothing).
    """
    if by_provider is not None and by_provider.lower() != PROVIDER.lower():
        return []
    if by_customization_type is not None:
        return []
    if by_output_modality is not None and by_output_modality != "TEXT":
        return []
    out = []
    for info in data.models.values():
        if not _listed(data, info, region):
            continue
        summary = model_summary(info, region)
        if (
            by_inference_type is not None
            and by_inference_type not in summary["inferenceTypesSupported"]
        ):
            continue
        out.append(summary)
    return out


def _profile(
    data: CatalogData, info: ModelInfo, scope: str, region: str, account_id: str
) -> dict[str, Any]:
    profile_id = info.profile_id(scope)
    if scope == GLOBAL:
        label = "Global"
        arns = [foundation_model_arn(region, info.id), foundation_model_arn("", info.id)]
        where = "all commercial AWS Regions"
    else:
        geo = data.geographies[scope]
        label = geo.name
        destinations = geo.destination_regions or (region,)
        arns = [foundation_model_arn(r, info.id) for r in destinations]
        where = " ".join(destinations)
    return {
        "inferenceProfileName": f"{label} {PROVIDER} {info.bedrock_name}",
        "description": f"Routes requests to {PROVIDER} {info.bedrock_name} in {where}.",
        "createdAt": _timestamp(info),
        "updatedAt": _timestamp(info),
        "inferenceProfileArn": inference_profile_arn(region, account_id, profile_id),
        "models": [{"modelArn": arn} for arn in arns[:_MAX_PROFILE_MODELS]],
        "inferenceProfileId": profile_id,
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
    }


def inference_profiles(
    data: CatalogData, region: str, account_id: str = DEFAULT_ACCOUNT_ID
) -> list[dict[str, Any]]:
    """ListInferenceProfiles' ``inferenceProfileSummaries`` callable from ``region``."""
    scopes = _reachable(data, region)
    return [
        _profile(data, info, scope, region, account_id)
        for info in data.models.values()
        if info.generally_available and not info.end_of_life
        for scope in scopes
        if scope in info.scopes
    ]


def inference_profile(
    data: CatalogData, region: str, profile_id: str, account_id: str = DEFAULT_ACCOUNT_ID
) -> dict[str, Any] | None:
    """GetInferenceProfile for an ID or ARN; None when no such profile exists in ``region``."""
    wanted = profile_id.rsplit("inference-profile/", 1)[-1]
    for profile in inference_profiles(data, region, account_id):
        if profile["inferenceProfileId"] == wanted:
            return profile
    return None


def foundation_model(data: CatalogData, region: str, model_id: str) -> dict[str, Any] | None:
    """GetFoundationModel's ``modelDetails`` for an ID or ARN, or None if unknown here."""
    wanted = model_id.rsplit("foundation-model/", 1)[-1]
    info = data.models.get(wanted)
    if info is None or not _listed(data, info, region):
        return None
    return model_summary(info, region)
