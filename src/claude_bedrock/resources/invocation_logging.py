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

import json
import re
from functools import partial
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from .._body import json_object, validated
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
from ._flow import Blocking, Flow, Request, arun, run
from ._raw import RawResponses

if TYPE_CHECKING:
    import httpx

    from .._client import AnthropicBedrock, AsyncAnthropicBedrock
    from .._request_core import RequestCore

__all__ = ["AsyncInvocationLogging", "InvocationLogging"]

_PATH = "/logging/modelinvocations"
#: The ``RoleArn`` pattern of botocore's ``bedrock`` model.
_ROLE_ARN_RE = re.compile(r"arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+")


class EnableOptions(TypedDict, total=False):
    """Keywords of ``invocation_logging.enable`` (sync and async alike); defaults in
    ``_DEFAULTS``."""

    s3_bucket: str | None
    s3_prefix: str | None
    cloudwatch_log_group: str | None
    role_arn: str | None
    large_data_s3_bucket: str | None
    large_data_s3_prefix: str | None
    text: bool
    image: bool
    embedding: bool
    video: bool
    audio: bool
    retention_days: int
    allow_short_retention: bool
    s3_endpoint_url: str | None
    cloudwatch_endpoint_url: str | None


_DEFAULTS: dict[str, Any] = dict.fromkeys(EnableOptions.__annotations__) | {
    "text": True, "image": False, "embedding": False, "video": False, "audio": False,
    "retention_days": keep.MIN_RETENTION_DAYS, "allow_short_retention": False,
}  # fmt: skip


def _with_defaults(options: EnableOptions) -> dict[str, Any]:
    """``options`` completed with the defaults; an unknown keyword is a TypeError, as for
    any function."""
    unknown = options.keys() - _DEFAULTS.keys()
    if unknown:
        raise TypeError(f"enable() got unexpected keyword argument(s): {sorted(unknown)}")
    return _DEFAULTS | dict(options)


def build_config(o: dict[str, Any]) -> LoggingConfig:
    """The ``loggingConfig`` to send (``o``: every option), checked before anything is
    sent."""
    s3_bucket, s3_prefix = o["s3_bucket"], o["s3_prefix"]
    cloudwatch_log_group, role_arn = o["cloudwatch_log_group"], o["role_arn"]
    large_data_s3_bucket = o["large_data_s3_bucket"]
    large_data_s3_prefix = o["large_data_s3_prefix"]
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
        text_data_delivery_enabled=o["text"],
        image_data_delivery_enabled=o["image"],
        embedding_data_delivery_enabled=o["embedding"],
        video_data_delivery_enabled=o["video"],
        audio_data_delivery_enabled=o["audio"],
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


def _parse_get(response: httpx.Response) -> LoggingConfig | None:
    """GetModelInvocationLoggingConfiguration's answer: no ``loggingConfig``, logging off."""
    operation = "GetModelInvocationLoggingConfiguration"
    raw = json_object(response, operation).get("loggingConfig")
    return validated(LoggingConfig, response, operation, raw) if raw else None


def _body(config: LoggingConfig) -> bytes:
    return json.dumps({"loggingConfig": config.to_wire()}, separators=(",", ":")).encode()


class InvocationLogging(RawResponses):
    """Synchronous ``client.invocation_logging``."""

    def __init__(self, client: AnthropicBedrock) -> None:
        self._client = client

    def enable(self, **options: Unpack[EnableOptions]) -> EnableReport:
        """Send logs to S3 and/or CloudWatch Logs, and keep them ``retention_days`` days
        (default 30; less only with ``allow_short_retention=True``).

        Destinations: ``s3_bucket`` (``s3_prefix``) and/or ``cloudwatch_log_group`` with
        ``role_arn`` (``large_data_s3_bucket``, ``large_data_s3_prefix``); what is logged:
        ``text`` (default True), ``image``, ``embedding``, ``video``, ``audio``;
        ``s3_endpoint_url`` / ``cloudwatch_endpoint_url`` say where to set the retention.
        The configuration is put first (it is what Bedrock acts on); the retention is set
        after, and its outcome per destination is in the report (``report.ok``).
        """
        return run(self._client, _enable(self._client._core, options))

    def get(self) -> LoggingConfig | None:
        """The current configuration, or None when logging is off."""
        return run(self._client, _get())

    def retention(
        self, config: LoggingConfig | None = None, *, s3_endpoint_url: str | None = None
    ) -> list[RetentionSetting]:
        """How long each destination keeps logs today (reads S3 lifecycle rules)."""
        return run(self._client, _retention(self._client._core, config, s3_endpoint_url))

    def disable(self) -> None:
        """Stop logging (logs already written stay, and still expire by their rules)."""
        run(self._client, _disable())


class AsyncInvocationLogging(RawResponses):
    """Asynchronous ``client.invocation_logging`` (S3 and CloudWatch calls run in a thread)."""

    def __init__(self, client: AsyncAnthropicBedrock) -> None:
        self._client = client

    async def enable(self, **options: Unpack[EnableOptions]) -> EnableReport:
        """See :meth:`InvocationLogging.enable`."""
        return await arun(self._client, _enable(self._client._core, options))

    async def get(self) -> LoggingConfig | None:
        """The current configuration, or None when logging is off."""
        return await arun(self._client, _get())

    async def retention(
        self, config: LoggingConfig | None = None, *, s3_endpoint_url: str | None = None
    ) -> list[RetentionSetting]:
        """How long each destination keeps logs today (reads S3 lifecycle rules)."""
        return await arun(self._client, _retention(self._client._core, config, s3_endpoint_url))

    async def disable(self) -> None:
        """Stop logging (logs already written stay, and still expire by their rules)."""
        await arun(self._client, _disable())


# -- the operations, once (:mod:`._flow`) -------------------------------------------------


def _enable(core: RequestCore, options: EnableOptions) -> Flow[EnableReport]:
    o = _with_defaults(options)
    days = o["retention_days"]
    keep.check_retention_days(days, allow_short=o["allow_short_retention"])
    config = build_config(o)
    yield Request("PUT", "control", _PATH, _body(config))
    plan = _Plan(core, o["s3_endpoint_url"], o["cloudwatch_endpoint_url"])
    settings = yield Blocking(partial(plan.apply, config, days))
    return EnableReport(config=config, retention=settings)


def _get() -> Flow[LoggingConfig | None]:
    response = yield Request("GET", "control", _PATH)
    return _parse_get(response)


def _retention(
    core: RequestCore, config: LoggingConfig | None, s3_endpoint_url: str | None
) -> Flow[list[RetentionSetting]]:
    if config is None:
        config = yield from _get()
    if config is None:
        return []
    plan = _Plan(core, s3_endpoint_url, None)
    settings: list[RetentionSetting] = yield Blocking(partial(plan.current, config))
    return settings


def _disable() -> Flow[None]:
    yield Request("DELETE", "control", _PATH)
