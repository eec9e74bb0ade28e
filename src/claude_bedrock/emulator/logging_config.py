"""The model invocation logging configuration: botocore's ``LoggingConfig`` shape, checked
as Bedrock checks it (members, lengths, patterns, at least one destination).

Kept apart from :mod:`.invocation_logging` (the routes, the middleware and the delivery),
which stores what :func:`validate` returns.
"""

from __future__ import annotations

import re
from typing import Any, Final

from .errors import BedrockError, validation_error

__all__ = ["s3_configs", "validate"]

_ROLE_ARN_RE: Final = re.compile(r"arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+")
_BUCKET_RE: Final = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_FLAGS: Final = (
    "textDataDeliveryEnabled",
    "imageDataDeliveryEnabled",
    "embeddingDataDeliveryEnabled",
    "videoDataDeliveryEnabled",
    "audioDataDeliveryEnabled",
)


def _invalid(value: Any, where: str, constraint: str) -> BedrockError:
    shown = "null" if value is None else str(value)[:100]
    return validation_error(
        f"1 validation error detected: Value '{shown}' at '{where}' failed to satisfy "
        f"constraint: {constraint}"
    )


def s3_configs(config: dict[str, Any]) -> list[dict[str, Any]]:
    found = [config["s3Config"]] if "s3Config" in config else []
    large = config.get("cloudWatchConfig", {}).get("largeDataDeliveryS3Config")
    return [*found, large] if large else found


def _check_s3(s3: Any, where: str) -> dict[str, Any]:
    if not isinstance(s3, dict):
        raise _invalid(s3, where, "Member must be a structure")
    bucket = s3.get("bucketName")
    if not isinstance(bucket, str) or not 3 <= len(bucket) <= 63:
        raise _invalid(bucket, f"{where}.bucketName", "Member must have length between 3 and 63")
    if not _BUCKET_RE.match(bucket):
        raise _invalid(bucket, f"{where}.bucketName", "Member must be a valid S3 bucket name")
    prefix = s3.get("keyPrefix")
    if prefix is not None and (not isinstance(prefix, str) or len(prefix) > 1024):
        raise _invalid(
            prefix, f"{where}.keyPrefix", "Member must have length less than or equal to 1024"
        )
    return {"bucketName": bucket, **({"keyPrefix": prefix} if prefix is not None else {})}


def _check_cloudwatch(cw: Any, where: str) -> dict[str, Any]:
    if not isinstance(cw, dict):
        raise _invalid(cw, where, "Member must be a structure")
    group, role = cw.get("logGroupName"), cw.get("roleArn")
    if not isinstance(group, str) or not 1 <= len(group) <= 512:
        raise _invalid(group, f"{where}.logGroupName", "Member must have length between 1 and 512")
    if not isinstance(role, str) or not _ROLE_ARN_RE.fullmatch(role):
        raise _invalid(
            role, f"{where}.roleArn",
            f"Member must satisfy regular expression pattern: {_ROLE_ARN_RE.pattern}",
        )  # fmt: skip
    checked: dict[str, Any] = {"logGroupName": group, "roleArn": role}
    if cw.get("largeDataDeliveryS3Config") is not None:
        checked["largeDataDeliveryS3Config"] = _check_s3(
            cw["largeDataDeliveryS3Config"], f"{where}.largeDataDeliveryS3Config"
        )
    return checked


def validate(body: Any) -> dict[str, Any]:
    """The stored configuration: the known members of ``loggingConfig``, checked."""
    raw = body.get("loggingConfig") if isinstance(body, dict) else None
    if not isinstance(raw, dict):
        raise _invalid(None, "loggingConfig", "Member must not be null")
    config: dict[str, Any] = {}
    if raw.get("cloudWatchConfig") is not None:
        config["cloudWatchConfig"] = _check_cloudwatch(
            raw["cloudWatchConfig"], "loggingConfig.cloudWatchConfig"
        )
    if raw.get("s3Config") is not None:
        config["s3Config"] = _check_s3(raw["s3Config"], "loggingConfig.s3Config")
    for flag in _FLAGS:
        value = raw.get(flag)
        if value is None:
            continue
        if not isinstance(value, bool):
            raise _invalid(value, f"loggingConfig.{flag}", "Member must be a boolean")
        config[flag] = value
    if "s3Config" not in config and "cloudWatchConfig" not in config:
        raise validation_error(
            "Logging configuration must specify at least one destination: s3Config or "
            "cloudWatchConfig."
        )
    return config
