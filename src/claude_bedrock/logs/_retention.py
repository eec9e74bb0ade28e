"""How long invocation logs are kept: S3 lifecycle expiry and CloudWatch Logs retention.

Anthropic's Bedrock guide asks for "at least a rolling 30 days": old logs go, the last 30 days
stay. Bedrock itself never deletes logs, so this is set on the destinations: an S3
lifecycle rule on the log prefix, a retention policy on the log group. Each function
returns a :class:`RetentionSetting` saying what is now true, including when something
else (another lifecycle rule) deletes the logs sooner than asked.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from .._exceptions import ClientValidationError
from .._s3 import S3Client, expiration_days, get_lifecycle, put_lifecycle_expiration
from .._s3_errors import S3Error
from ..types.invocation_logging import RetentionSetting
from ..wire.log_layout import log_root

__all__ = [
    "CLOUDWATCH_RETENTION_DAYS",
    "MIN_RETENTION_DAYS",
    "check_retention_days",
    "cloudwatch_days",
    "cloudwatch_endpoint",
    "current_s3_retention",
    "logs_client",
    "set_cloudwatch_retention",
    "set_s3_retention",
]

#: The minimum Anthropic's Bedrock guide advises: "keep at least a rolling 30 days of activity".
MIN_RETENTION_DAYS = 30
#: The only values PutRetentionPolicy accepts (botocore ``logs`` model, shape ``Days``).
CLOUDWATCH_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip
_AWS_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")


def check_retention_days(days: int, *, allow_short: bool) -> None:
    """Refuse a retention Anthropic's Bedrock guide advises against, unless told otherwise."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ClientValidationError(f"retention_days must be a whole number >= 1, got {days!r}.")
    if days < MIN_RETENTION_DAYS and not allow_short:
        raise ClientValidationError(
            f"retention_days={days} keeps less than the recommended rolling "
            f"{MIN_RETENTION_DAYS} days of invocation logs; pass allow_short_retention=True "
            "(CLI: --allow-short-retention) if that is really what you want."
        )
    if days > CLOUDWATCH_RETENTION_DAYS[-1]:
        raise ClientValidationError(
            f"retention_days={days} is over {CLOUDWATCH_RETENTION_DAYS[-1]} days (10 years), "
            "the longest retention CloudWatch Logs offers."
        )


def cloudwatch_days(days: int) -> int:
    """The smallest retention CloudWatch accepts that keeps logs at least ``days`` days."""
    return next(value for value in CLOUDWATCH_RETENTION_DAYS if value >= days)


# -- S3 ------------------------------------------------------------------------------------


def set_s3_retention(
    client: S3Client, bucket: str, prefix: str | None, days: int
) -> RetentionSetting:
    """Expire the log objects under ``prefix`` after ``days`` days (one rule per prefix)."""
    root = log_root(prefix)
    target = f"s3://{bucket}/{root}"
    try:
        put_lifecycle_expiration(client, bucket, root, days)
        effective = expiration_days(get_lifecycle(client, bucket), root)
    except S3Error as exc:
        return RetentionSetting(
            destination="s3", target=target, days=days, status="failed", detail=str(exc)
        )
    if effective is None:
        return RetentionSetting(
            destination="s3", target=target, days=days, status="failed",
            detail="the bucket accepted the lifecycle rule but does not report it back",
        )  # fmt: skip
    if effective < days:
        return RetentionSetting(
            destination="s3", target=target, days=days, status="shorter",
            effective_days=effective,
            detail=f"another lifecycle rule of the bucket deletes these logs after {effective} "
            "days",
        )  # fmt: skip
    return RetentionSetting(
        destination="s3", target=target, days=days, status="set", effective_days=effective,
        detail=f"lifecycle rule: objects under {root} expire {days} days after creation",
    )  # fmt: skip


def current_s3_retention(client: S3Client, bucket: str, prefix: str | None) -> RetentionSetting:
    """What the bucket's lifecycle rules do to the logs today (``days`` = the minimum)."""
    root = log_root(prefix)
    target = f"s3://{bucket}/{root}"
    try:
        effective = expiration_days(get_lifecycle(client, bucket), root)
    except S3Error as exc:
        return RetentionSetting(
            destination="s3", target=target, days=MIN_RETENTION_DAYS, status="failed",
            detail=str(exc),
        )  # fmt: skip
    if effective is None:
        return RetentionSetting(
            destination="s3", target=target, days=MIN_RETENTION_DAYS, status="not_set",
            detail="no lifecycle rule: logs are kept forever (and billed forever)",
        )  # fmt: skip
    status = "set" if effective >= MIN_RETENTION_DAYS else "shorter"
    return RetentionSetting(
        destination="s3", target=target, days=MIN_RETENTION_DAYS, status=status,
        effective_days=effective, detail=f"objects expire after {effective} days",
    )  # fmt: skip


# -- CloudWatch Logs -----------------------------------------------------------------------


def cloudwatch_endpoint(explicit: str | None, control_plane_url: str) -> tuple[bool, str | None]:
    """Whether there is a CloudWatch Logs service to call, and its endpoint (None: AWS's).

    An explicit endpoint (argument or ``AWS_ENDPOINT_URL_CLOUDWATCH_LOGS``) is always used.
    Otherwise only AWS itself is: when Bedrock is reached somewhere else (our emulator, a
    proxy) there is no CloudWatch Logs behind it, and the generic ``AWS_ENDPOINT_URL``
    names that Bedrock stand-in, not a log service.
    """
    endpoint = explicit or os.environ.get("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "").strip()
    if endpoint:
        return True, endpoint
    if os.environ.get("AWS_ENDPOINT_URL", "").strip():
        return False, None
    host = (urlsplit(control_plane_url).hostname or "").lower()
    return host.endswith(_AWS_SUFFIXES), None


def logs_client(
    region: str,
    endpoint_url: str | None,
    credentials: tuple[str, str, str | None] | None,
    profile: str | None,
) -> Any:
    """A botocore CloudWatch Logs client (botocore does the JSON 1.1 protocol and signing)."""
    import botocore.session
    from botocore.config import Config

    session = botocore.session.Session(profile=profile)
    keys: dict[str, Any] = {}
    if credentials is not None:
        keys = {
            "aws_access_key_id": credentials[0],
            "aws_secret_access_key": credentials[1],
            "aws_session_token": credentials[2],
        }
    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=10)
    return session.create_client(
        "logs", region_name=region, endpoint_url=endpoint_url, config=config, **keys
    )


def set_cloudwatch_retention(client: Any, log_group: str, days: int) -> RetentionSetting:
    """Put a retention policy of at least ``days`` days on ``log_group``."""
    import botocore.exceptions

    value = cloudwatch_days(days)
    target = f"log group {log_group}"
    try:
        client.put_retention_policy(logGroupName=log_group, retentionInDays=value)
    except botocore.exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Error"))
        detail = f"{code}: {error.get('Message', '')}".rstrip(": ")
        if code == "ResourceNotFoundException":
            detail = (
                f"the log group does not exist; Bedrock does not create it: "
                f"`aws logs create-log-group --log-group-name {log_group}`, then enable again"
            )
        return RetentionSetting(
            destination="cloudwatch", target=target, days=days, status="failed", detail=detail
        )
    except botocore.exceptions.BotoCoreError as exc:
        return RetentionSetting(
            destination="cloudwatch", target=target, days=days, status="failed",
            detail=f"{type(exc).__name__}: {exc}",
        )  # fmt: skip
    rounded = "" if value == days else f" ({days} rounded up: CloudWatch only accepts set values)"
    return RetentionSetting(
        destination="cloudwatch", target=target, days=days, status="set", effective_days=value,
        detail=f"retention policy: {value} days{rounded}",
    )  # fmt: skip
