"""``client.invocation_logging``: Bedrock's model invocation logging, switched on right.

Bedrock's own API (``PUT|GET|DELETE /logging/modelinvocations``) only says where logs go.
Anthropic's Bedrock guide also asks to keep "at least a rolling 30 days", which Bedrock leaves
to the destinations, so :meth:`InvocationLogging.enable` sets that too: an S3 lifecycle
rule on the log prefix and a CloudWatch Logs retention policy, 30 days unless told
otherwise, never less without ``allow_short_retention=True``. It returns an
:class:`EnableReport` saying what each destination now keeps, including what it could not
set and why (CloudWatch Logs is only called where one exists: AWS, or an endpoint you name).

``disable`` leaves the lifecycle rules in place on purpose: the logs already written must
still expire.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING, Any

from .._exceptions import ClientValidationError
from .._s3 import S3Client, parse_s3_uri, s3_client
from ..logs import _retention as keep
from ..types.invocation_logging import (
    CloudWatchConfig,
    EnableReport,
    LoggingConfig,
    RetentionSetting,
    S3Config,
)

if TYPE_CHECKING:
    from .._client import AnthropicBedrock, AsyncAnthropicBedrock
    from .._request_core import RequestCore

__all__ = ["AsyncInvocationLogging", "InvocationLogging"]

_PATH = "/logging/modelinvocations"
#: The ``RoleArn`` pattern of botocore's ``bedrock`` model.
_ROLE_ARN_RE = re.compile(r"arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+")


def build_config(
    *,
    s3_bucket: str | None,
    s3_prefix: str | None,
    cloudwatch_log_group: str | None,
    role_arn: str | None,
    large_data_s3_bucket: str | None,
    large_data_s3_prefix: str | None,
    text: bool,
    image: bool,
    embedding: bool,
    video: bool,
    audio: bool,
) -> LoggingConfig:
    """The ``loggingConfig`` to send, checked before anything is sent."""
    if not s3_bucket and not cloudwatch_log_group:
        raise ClientValidationError(
            "Invocation logging needs a destination: s3_bucket=..., cloudwatch_log_group=... "
            "(with role_arn=...), or both."
        )
    if cloudwatch_log_group and not role_arn:
        raise ClientValidationError(
            "cloudwatch_log_group needs role_arn: the IAM role Bedrock assumes to write to it."
        )
    if role_arn and not cloudwatch_log_group:
        raise ClientValidationError(
            "role_arn is only used for CloudWatch Logs delivery: pass cloudwatch_log_group too."
        )
    if role_arn and not _ROLE_ARN_RE.fullmatch(role_arn):
        raise ClientValidationError(
            f"role_arn {role_arn!r} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)."
        )
    if large_data_s3_bucket and not cloudwatch_log_group:
        raise ClientValidationError(
            "large_data_s3_bucket belongs to CloudWatch delivery: pass cloudwatch_log_group too."
        )
    for bucket in (s3_bucket, large_data_s3_bucket):
        if bucket:
            parse_s3_uri(f"s3://{bucket}/")  # bucket-name rules, with a clear message
    s3 = S3Config(bucket_name=s3_bucket, key_prefix=s3_prefix or None) if s3_bucket else None
    cloudwatch = None
    if cloudwatch_log_group and role_arn:
        large = (
            S3Config(bucket_name=large_data_s3_bucket, key_prefix=large_data_s3_prefix or None)
            if large_data_s3_bucket
            else None
        )
        cloudwatch = CloudWatchConfig(
            log_group_name=cloudwatch_log_group,
            role_arn=role_arn,
            large_data_delivery_s3_config=large,
        )
    return LoggingConfig(
        s3_config=s3,
        cloud_watch_config=cloudwatch,
        text_data_delivery_enabled=text,
        image_data_delivery_enabled=image,
        embedding_data_delivery_enabled=embedding,
        video_data_delivery_enabled=video,
        audio_data_delivery_enabled=audio,
    )


def _s3_destinations(config: LoggingConfig) -> list[S3Config]:
    """Every S3 place logs land in: the S3 destination and CloudWatch's large-body bucket."""
    cloudwatch = config.cloud_watch_config
    found = [config.s3_config, cloudwatch.large_data_delivery_s3_config if cloudwatch else None]
    unique: dict[tuple[str, str | None], S3Config] = {}
    for dest in found:
        if dest is not None:
            unique.setdefault((dest.bucket_name, dest.key_prefix), dest)
    return list(unique.values())


def _credentials(core: RequestCore) -> tuple[str, str, str | None] | None:
    """The client's own keys when they were given explicitly; else None (botocore's chain,
    which refreshes temporary credentials itself). A Bedrock API key opens nothing else."""
    source = core._credentials
    if source is None or source.method != "explicit":
        return None
    creds = source.get()
    return (creds.access_key, creds.secret_key, creds.session_token)


class _Plan:
    """The blocking part of enable/status (botocore calls), shared by sync and async."""

    def __init__(
        self, core: RequestCore, s3_endpoint_url: str | None, cloudwatch_endpoint_url: str | None
    ) -> None:
        self.core = core
        self.s3_endpoint_url = s3_endpoint_url
        self.cloudwatch_endpoint_url = cloudwatch_endpoint_url
        self._s3: S3Client | None = None

    def s3(self) -> S3Client:
        if self._s3 is None:
            self._s3 = s3_client(
                region=self.core.aws_region,
                endpoint_url=self.s3_endpoint_url,
                credentials=_credentials(self.core),
                profile=self.core.aws_profile,
            )
        return self._s3

    def apply(self, config: LoggingConfig, days: int) -> list[RetentionSetting]:
        settings = [
            keep.set_s3_retention(self.s3(), dest.bucket_name, dest.key_prefix, days)
            for dest in _s3_destinations(config)
        ]
        if config.cloud_watch_config is not None:
            settings.append(self._cloudwatch(config.cloud_watch_config.log_group_name, days))
        return settings

    def current(self, config: LoggingConfig) -> list[RetentionSetting]:
        settings = [
            keep.current_s3_retention(self.s3(), dest.bucket_name, dest.key_prefix)
            for dest in _s3_destinations(config)
        ]
        if config.cloud_watch_config is not None:
            group = config.cloud_watch_config.log_group_name
            settings.append(
                RetentionSetting(
                    destination="cloudwatch",
                    target=f"log group {group}",
                    days=keep.MIN_RETENTION_DAYS,
                    status="not_set",
                    detail="not read back (see `aws logs describe-log-groups`)",
                )  # fmt: skip
            )
        return settings

    def _cloudwatch(self, group: str, days: int) -> RetentionSetting:
        exists, endpoint = keep.cloudwatch_endpoint(
            self.cloudwatch_endpoint_url, self.core.endpoints.control
        )
        if not exists:
            return RetentionSetting(
                destination="cloudwatch", target=f"log group {group}", days=days,
                status="not_set",
                detail=f"no CloudWatch Logs service behind {self.core.endpoints.control} "
                "(not emulated); pass cloudwatch_endpoint_url=... to set it elsewhere",
            )  # fmt: skip
        client = keep.logs_client(
            self.core.aws_region, endpoint, _credentials(self.core), self.core.aws_profile
        )
        return keep.set_cloudwatch_retention(client, group, days)


def _parse_get(content: bytes) -> LoggingConfig | None:
    data: dict[str, Any] = json.loads(content or b"{}")
    raw = data.get("loggingConfig")
    return LoggingConfig.model_validate(raw) if raw else None


def _body(config: LoggingConfig) -> bytes:
    return json.dumps({"loggingConfig": config.to_wire()}, separators=(",", ":")).encode()


class InvocationLogging:
    """Synchronous ``client.invocation_logging``."""

    def __init__(self, client: AnthropicBedrock) -> None:
        self._client = client

    def enable(
        self,
        *,
        s3_bucket: str | None = None,
        s3_prefix: str | None = None,
        cloudwatch_log_group: str | None = None,
        role_arn: str | None = None,
        large_data_s3_bucket: str | None = None,
        large_data_s3_prefix: str | None = None,
        text: bool = True,
        image: bool = False,
        embedding: bool = False,
        video: bool = False,
        audio: bool = False,
        retention_days: int = keep.MIN_RETENTION_DAYS,
        allow_short_retention: bool = False,
        s3_endpoint_url: str | None = None,
        cloudwatch_endpoint_url: str | None = None,
    ) -> EnableReport:
        """Send logs to S3 and/or CloudWatch Logs, and keep them ``retention_days`` days.

        The configuration is put first (it is what Bedrock acts on); the retention is set
        after, and its outcome per destination is in the report (``report.ok``).
        """
        keep.check_retention_days(retention_days, allow_short=allow_short_retention)
        config = build_config(
            s3_bucket=s3_bucket, s3_prefix=s3_prefix, cloudwatch_log_group=cloudwatch_log_group,
            role_arn=role_arn, large_data_s3_bucket=large_data_s3_bucket,
            large_data_s3_prefix=large_data_s3_prefix, text=text, image=image,
            embedding=embedding, video=video, audio=audio,
        )  # fmt: skip
        client = self._client
        client._sender.send("PUT", client._core.url("control", _PATH), _body(config))
        plan = _Plan(client._core, s3_endpoint_url, cloudwatch_endpoint_url)
        return EnableReport(config=config, retention=plan.apply(config, retention_days))

    def get(self) -> LoggingConfig | None:
        """The current configuration, or None when logging is off."""
        client = self._client
        response = client._sender.send("GET", client._core.url("control", _PATH), None)
        return _parse_get(response.content)

    def retention(
        self, config: LoggingConfig | None = None, *, s3_endpoint_url: str | None = None
    ) -> list[RetentionSetting]:
        """How long each destination keeps logs today (reads S3 lifecycle rules)."""
        config = config if config is not None else self.get()
        if config is None:
            return []
        return _Plan(self._client._core, s3_endpoint_url, None).current(config)

    def disable(self) -> None:
        """Stop logging (logs already written stay, and still expire by their rules)."""
        client = self._client
        client._sender.send("DELETE", client._core.url("control", _PATH), None)


class AsyncInvocationLogging:
    """Asynchronous ``client.invocation_logging`` (S3 and CloudWatch calls run in a thread)."""

    def __init__(self, client: AsyncAnthropicBedrock) -> None:
        self._client = client

    async def enable(
        self,
        *,
        s3_bucket: str | None = None,
        s3_prefix: str | None = None,
        cloudwatch_log_group: str | None = None,
        role_arn: str | None = None,
        large_data_s3_bucket: str | None = None,
        large_data_s3_prefix: str | None = None,
        text: bool = True,
        image: bool = False,
        embedding: bool = False,
        video: bool = False,
        audio: bool = False,
        retention_days: int = keep.MIN_RETENTION_DAYS,
        allow_short_retention: bool = False,
        s3_endpoint_url: str | None = None,
        cloudwatch_endpoint_url: str | None = None,
    ) -> EnableReport:
        """See :meth:`InvocationLogging.enable`."""
        keep.check_retention_days(retention_days, allow_short=allow_short_retention)
        config = build_config(
            s3_bucket=s3_bucket, s3_prefix=s3_prefix, cloudwatch_log_group=cloudwatch_log_group,
            role_arn=role_arn, large_data_s3_bucket=large_data_s3_bucket,
            large_data_s3_prefix=large_data_s3_prefix, text=text, image=image,
            embedding=embedding, video=video, audio=audio,
        )  # fmt: skip
        client = self._client
        await client._sender.send("PUT", client._core.url("control", _PATH), _body(config))
        plan = _Plan(client._core, s3_endpoint_url, cloudwatch_endpoint_url)
        settings = await asyncio.to_thread(plan.apply, config, retention_days)
        return EnableReport(config=config, retention=settings)

    async def get(self) -> LoggingConfig | None:
        """The current configuration, or None when logging is off."""
        client = self._client
        response = await client._sender.send("GET", client._core.url("control", _PATH), None)
        return _parse_get(response.content)

    async def retention(
        self, config: LoggingConfig | None = None, *, s3_endpoint_url: str | None = None
    ) -> list[RetentionSetting]:
        """How long each destination keeps logs today (reads S3 lifecycle rules)."""
        config = config if config is not None else await self.get()
        if config is None:
            return []
        plan = _Plan(self._client._core, s3_endpoint_url, None)
        return await asyncio.to_thread(plan.current, config)

    async def disable(self) -> None:
        """Stop logging (logs already written stay, and still expire by their rules)."""
        client = self._client
        await client._sender.send("DELETE", client._core.url("control", _PATH), None)
