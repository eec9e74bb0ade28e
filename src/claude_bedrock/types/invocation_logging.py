"""Shapes of Bedrock's model invocation logging: the configuration and the log records.

The configuration mirrors botocore's ``bedrock`` service model (``LoggingConfig``,
``S3Config``, ``CloudWatchConfig``); attribute names are snake_case and the wire names
(camelCase) are their aliases, so ``LoggingConfig.model_validate(boto3_answer)`` and
``config.to_wire()`` both work. Records follow what Bedrock writes to S3 and CloudWatch
Logs (``schemaType: "ModelInvocationLog"``, ``schemaVersion: "1.0"``); unknown fields are
kept, since Bedrock adds some over time (``inferenceRegion``, ``requestMetadata``...).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import pydantic
from pydantic.alias_generators import to_camel

from ._base import BaseModel

__all__ = [
    "CloudWatchConfig",
    "EnableReport",
    "InvocationLogInput",
    "InvocationLogOutput",
    "InvocationLogRecord",
    "LoggingConfig",
    "RetentionSetting",
    "S3Config",
]


class _Wire(BaseModel):
    """camelCase on the wire, snake_case in Python."""

    model_config = pydantic.ConfigDict(
        extra="allow", populate_by_name=True, alias_generator=to_camel
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON body Bedrock takes (camelCase, unset fields left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class S3Config(_Wire):
    bucket_name: str
    key_prefix: str | None = None


class CloudWatchConfig(_Wire):
    log_group_name: str
    role_arn: str
    large_data_delivery_s3_config: S3Config | None = None


class LoggingConfig(_Wire):
    """``loggingConfig`` of Put/GetModelInvocationLoggingConfiguration."""

    cloud_watch_config: CloudWatchConfig | None = None
    s3_config: S3Config | None = None
    text_data_delivery_enabled: bool | None = None
    image_data_delivery_enabled: bool | None = None
    embedding_data_delivery_enabled: bool | None = None
    video_data_delivery_enabled: bool | None = None
    audio_data_delivery_enabled: bool | None = None


RetentionStatus = Literal["set", "shorter", "not_set", "failed"]


class RetentionSetting(BaseModel):
    """How long one destination keeps logs: what ``enable`` set, or what ``retention()``
    found.

    ``status``: ``set`` (logs expire after ``effective_days``, at least ``days``),
    ``shorter`` (a rule deletes them sooner than ``days``: they will not last that long),
    ``not_set`` (nothing expires them, or nothing could be done: see ``detail``), ``failed``
    (the call failed, ``detail`` says why). ``effective_days`` is how long logs actually
    live there, when known.
    """

    destination: Literal["s3", "cloudwatch"]
    target: str
    days: int
    status: RetentionStatus
    effective_days: int | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "set"


class EnableReport(BaseModel):
    """The answer of ``client.invocation_logging.enable(...)``."""

    config: LoggingConfig
    retention: list[RetentionSetting] = pydantic.Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Logging is on and every destination keeps its logs as long as asked."""
        return all(item.ok for item in self.retention)


# -- records -------------------------------------------------------------------------------


class InvocationLogInput(_Wire):
    input_content_type: str | None = None
    input_body_json: Any = None
    input_body_s3_path: str | None = None
    input_token_count: int | None = None
    cache_read_input_token_count: int | None = None
    cache_write_input_token_count: int | None = None


class InvocationLogOutput(_Wire):
    output_content_type: str | None = None
    output_body_json: Any = None
    output_body_s3_path: str | None = None
    output_token_count: int | None = None


class InvocationLogRecord(_Wire):
    """One line of a Bedrock invocation log (one model invocation)."""

    schema_type: str = "ModelInvocationLog"
    schema_version: str = "1.0"
    timestamp: datetime
    account_id: str | None = None
    identity: dict[str, Any] | None = None
    region: str | None = None
    request_id: str
    operation: str | None = None
    model_id: str
    input: InvocationLogInput = pydantic.Field(default_factory=InvocationLogInput)
    output: InvocationLogOutput | None = None
    error_code: str | None = None
    inference_region: str | None = None

    @property
    def failed(self) -> bool:
        return self.error_code is not None

    def usage(self) -> dict[str, Any]:
        """The token counts in the Messages API's names, ready for ``catalog.cost``.

        The record's own counts come first; the body's ``usage`` adds what they lack
        (the 1-hour cache-write split, which changes the price).
        """
        usage: dict[str, Any] = {
            "input_tokens": self.input.input_token_count or 0,
            "output_tokens": (self.output.output_token_count if self.output else None) or 0,
            "cache_creation_input_tokens": self.input.cache_write_input_token_count or 0,
            "cache_read_input_tokens": self.input.cache_read_input_token_count or 0,
        }
        detail = _cache_creation(self.output.output_body_json if self.output else None)
        if detail is not None:
            usage["cache_creation"] = detail
        return usage


def _cache_creation(body: Any) -> dict[str, Any] | None:
    """``usage.cache_creation`` of a response body: the message's (InvokeModel), or the
    ``message_start`` event's (a list of stream events)."""
    if isinstance(body, list):
        start = next(
            (e for e in body if isinstance(e, dict) and e.get("type") == "message_start"), None
        )
        body = start.get("message") if start else None
    usage = body.get("usage") if isinstance(body, dict) else None
    detail = usage.get("cache_creation") if isinstance(usage, dict) else None
    return detail if isinstance(detail, dict) else None
