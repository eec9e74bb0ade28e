"""Model invocation logging in the emulator: the control plane and the log delivery.

Routes (bedrock control plane, shapes from botocore's ``bedrock`` model):
``PUT|GET|DELETE /logging/modelinvocations``. The configuration is kept per account and
Region, as Bedrock keeps it.

Once an S3 destination is configured, every invocation of the account in that Region
(InvokeModel, InvokeModelWithResponseStream, Converse, ConverseStream: the operations
Bedrock documents as logged; CountTokens is not one of them) produces one record in
Bedrock's schema (see :mod:`claude_bedrock.wire.log_records`), delivered as gzip NDJSON under
Bedrock's key layout by :class:`~.log_writer.LogWriter`. The hook is a
middleware keyed on ``request.operation``: it reads the request body and the response
(for streams, by wrapping the body iterator and decoding the frames as they go out), so
any route registered with one of those operation names is logged. A record is written for
every invocation whose response was produced completely (errors included, with
``errorCode``); a stream cut short by the client or the server is not logged. Pending
records are flushed by a shutdown hook after the server has let in-flight requests finish.

Where the emulator writes (it is the *service* here, with its own S3 identity):

* endpoint: the emulator's own S3 (:mod:`.s3_link`: embedded SeaweedFS, whose buckets are
  created when a configuration names them, or ``serve --s3-endpoint``), else
  ``writer_options(endpoint_url=...)``, else ``CLAUDE_BEDROCK_EMULATOR_S3_ENDPOINT_URL``,
  else ``AWS_ENDPOINT_URL_S3``. Never AWS by default, and never ``AWS_ENDPOINT_URL`` (which
  usually points clients at this emulator). Without an endpoint, a PUT with ``s3Config``
  is refused (ValidationException naming the extra to install) rather than accepted and
  silently dropped;
* credentials: ``writer_options(credentials=...)``, else
  ``CLAUDE_BEDROCK_EMULATOR_S3_ACCESS_KEY_ID`` / ``..._SECRET_ACCESS_KEY`` /
  ``..._SESSION_TOKEN``, else botocore's default chain.

CloudWatch Logs is not emulated: a ``cloudWatchConfig`` is stored and returned, and its
records are counted as ``undelivered`` on ``GET /_emulator/invocation-logging``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from ..wire import eventstream
from ..wire.log_layout import data_key
from ..wire.log_records import StreamCapture, body_usage, build_record, offload_large_bodies
from ..wire.s3 import S3AccessDeniedError, S3BucketNotFoundError, S3Error, check_bucket, s3_client
from . import json_body
from .app import EmulatorApp, Extension
from .auth import Identity
from .errors import BedrockError, validation_error
from .http_types import AbortConnection, AnyResponse, Request, Response, StreamingResponse
from .log_writer import Destination, LogWriter
from .routing import Handler
from .s3_link import STATE_KEY as S3_LINK_KEY
from .s3_link import S3Link, SeaweedStartError, missing_s3_message

__all__ = [
    "ENV_ACCESS_KEY",
    "ENV_ENDPOINT",
    "ENV_SECRET_KEY",
    "ENV_SESSION_TOKEN",
    "LOGGED_OPERATIONS",
    "STATE_KEY",
    "InvocationLoggingService",
    "WriterOptions",
    "register",
    "writer_options",
]

logger = logging.getLogger("claude_bedrock.emulator.invocation_logging")

LOGGED_OPERATIONS: Final = frozenset(
    {"InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream"}
)
STATE_KEY: Final = "invocation_logging"
ENV_ENDPOINT: Final = "CLAUDE_BEDROCK_EMULATOR_S3_ENDPOINT_URL"
ENV_ACCESS_KEY: Final = "CLAUDE_BEDROCK_EMULATOR_S3_ACCESS_KEY_ID"
ENV_SECRET_KEY: Final = "CLAUDE_BEDROCK_EMULATOR_S3_SECRET_ACCESS_KEY"  # noqa: S105 - a name
ENV_SESSION_TOKEN: Final = "CLAUDE_BEDROCK_EMULATOR_S3_SESSION_TOKEN"  # noqa: S105 - a name

_PATH: Final = "/logging/modelinvocations"
_ROLE_ARN_RE: Final = re.compile(r"arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+")
_BUCKET_RE: Final = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_FLAGS: Final = (
    "textDataDeliveryEnabled",
    "imageDataDeliveryEnabled",
    "embeddingDataDeliveryEnabled",
    "videoDataDeliveryEnabled",
    "audioDataDeliveryEnabled",
)


@dataclass
class WriterOptions:
    """How the emulator reaches S3 and how it batches (see the module docstring)."""

    endpoint_url: str | None = None
    credentials: tuple[str, str, str | None] | None = field(default=None, repr=False)
    flush_interval: float = 0.2
    max_records: int = 500
    close_timeout: float = 30.0

    @classmethod
    def from_env(cls) -> WriterOptions:
        endpoint = os.environ.get(ENV_ENDPOINT) or os.environ.get("AWS_ENDPOINT_URL_S3")
        access, secret = os.environ.get(ENV_ACCESS_KEY), os.environ.get(ENV_SECRET_KEY)
        credentials = None
        if access and secret:
            credentials = (access, secret, os.environ.get(ENV_SESSION_TOKEN) or None)
        return cls(endpoint_url=endpoint or None, credentials=credentials)


def register(app: EmulatorApp) -> None:
    """Install the logging routes, the logging middleware and the flush-on-shutdown hook."""
    service = InvocationLoggingService(app, WriterOptions.from_env())
    app.state[STATE_KEY] = service
    app.add_route("PUT", _PATH, service.put, operation="PutModelInvocationLoggingConfiguration")
    app.add_route("GET", _PATH, service.get, operation="GetModelInvocationLoggingConfiguration")
    app.add_route(
        "DELETE", _PATH, service.delete, operation="DeleteModelInvocationLoggingConfiguration"
    )
    app.add_route("GET", "/_emulator/invocation-logging", service.status, auth=False)
    app.add_middleware(service.middleware)
    app.add_shutdown_hook(service.close)


def writer_options(
    *,
    endpoint_url: str | None = None,
    credentials: tuple[str, str, str | None] | None = None,
    flush_interval: float | None = None,
    max_records: int | None = None,
) -> Extension:
    """An extension that sets the log writer's S3 endpoint, credentials and batching
    (``Emulator(extensions=[writer_options(...)])``; in-process emulators only)."""

    def configure(app: EmulatorApp) -> None:
        service: InvocationLoggingService = app.state[STATE_KEY]
        options = service.options
        if endpoint_url is not None:
            options.endpoint_url = endpoint_url
        if credentials is not None:
            options.credentials = credentials
        if flush_interval is not None:
            options.flush_interval = flush_interval
        if max_records is not None:
            options.max_records = max_records

    return configure


@dataclass(frozen=True, slots=True)
class _Target:
    destination: Destination
    text: bool


class InvocationLoggingService:
    """The configuration store, the middleware and the writer of one emulator app."""

    def __init__(self, app: EmulatorApp, options: WriterOptions) -> None:
        self.app = app
        self.options = options
        self.configs: dict[tuple[str, str], dict[str, Any]] = {}
        self.undelivered = 0
        self._writer: LogWriter | None = None

    # -- writer ----------------------------------------------------------------------------

    @property
    def writer(self) -> LogWriter | None:
        """The S3 writer, or None when no S3 endpoint is configured."""
        if self._writer is None and self.options.endpoint_url:
            options = self.options
            region = self.app.config.region

            def factory() -> Any:
                return s3_client(
                    region=region, endpoint_url=options.endpoint_url,
                    credentials=options.credentials, max_pool_connections=8,
                )  # fmt: skip

            self._writer = LogWriter(
                factory, flush_interval=options.flush_interval, max_records=options.max_records
            )
        return self._writer

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer.close(self.options.close_timeout)

    # -- control plane -----------------------------------------------------------------------

    async def put(self, request: Request) -> Response:
        config = _validate(_json_body(request))
        buckets = [s3["bucketName"] for s3 in _s3_configs(config)]
        if buckets:
            await self._check_buckets(buckets)
        self.configs[_key(request)] = config
        if "cloudWatchConfig" in config:
            logger.warning("CloudWatch Logs delivery is not emulated; its records are counted only")
        return Response.json({})

    async def get(self, request: Request) -> Response:
        config = self.configs.get(_key(request))
        return Response.json({"loggingConfig": config} if config else {})

    async def delete(self, request: Request) -> Response:
        self.configs.pop(_key(request), None)
        return Response.json({})

    async def status(self, request: Request) -> Response:
        writer = self._writer
        stats = writer.stats.as_dict() if writer is not None else {}
        return Response.json(
            {"s3Endpoint": self.options.endpoint_url is not None, "undelivered": self.undelivered,
             **stats}
        )  # fmt: skip

    async def _check_buckets(self, buckets: list[str]) -> None:
        writer = self.writer
        if writer is None:
            raise validation_error(missing_s3_message("deliver invocation logs to"))
        link: S3Link | None = self.app.state.get(S3_LINK_KEY)
        for bucket in buckets:
            try:
                await asyncio.to_thread(_check_bucket, writer, bucket, link)
            except S3BucketNotFoundError:
                raise validation_error(
                    f"Failed to validate the S3 bucket {bucket}: it does not exist."
                ) from None
            except S3AccessDeniedError:
                raise validation_error(
                    f"Failed to validate permissions for the S3 bucket {bucket}: access denied."
                ) from None
            except S3Error as exc:
                raise validation_error(
                    f"Failed to validate the S3 bucket {bucket}: {exc.code or 'unreachable'}."
                ) from None
            except SeaweedStartError:
                raise validation_error(
                    f"Failed to validate the S3 bucket {bucket}: the emulator's embedded S3 "
                    "is not running (see the emulator's log)."
                ) from None

    # -- logging -----------------------------------------------------------------------------

    async def middleware(self, request: Request, call_next: Handler) -> AnyResponse:
        if request.operation not in LOGGED_OPERATIONS or request.identity is None:
            return await call_next(request)
        target = self._target(request.identity)
        if target is None:
            return await call_next(request)
        when = datetime.now(UTC)
        try:
            response = await call_next(request)
        except BedrockError as error:
            self._log(target, request, when, error_code=error.error_type)
            raise
        except AbortConnection:
            raise
        except Exception:
            self._log(target, request, when, error_code="InternalServerException")
            raise
        if isinstance(response, StreamingResponse) and response.status < 400:
            response.body = self._capture(target, request, when, response.body)
        elif isinstance(response, Response) and response.status >= 400:
            code = dict(response.headers).get("x-amzn-ErrorType", "InternalServerException")
            self._log(target, request, when, error_code=code)
        elif isinstance(response, Response):
            output = _loads(response.body)
            self._log(target, request, when, output=output, usage=body_usage(output))
        return response

    def _target(self, identity: Identity) -> _Target | None:
        config = self.configs.get((identity.account_id, identity.region))
        if config is None:
            return None
        s3 = config.get("s3Config")
        if s3 is None:
            self.undelivered += 1
            return None
        destination = Destination(
            bucket=s3["bucketName"], prefix=s3.get("keyPrefix"),
            account=identity.account_id, region=identity.region,
        )  # fmt: skip
        return _Target(destination, text=config.get("textDataDeliveryEnabled") is True)

    async def _capture(
        self, target: _Target, request: Request, when: datetime, body: AsyncIterator[bytes]
    ) -> AsyncIterator[bytes]:
        capture = StreamCapture(request.operation or "")
        decoder: eventstream.Decoder | None = eventstream.Decoder()
        completed = False
        try:
            async for chunk in body:
                if decoder is not None:
                    try:
                        for message in decoder.feed(chunk):
                            capture.feed(message)
                    except (eventstream.EventStreamError, ValueError):
                        decoder = None  # not ours to judge: pass the bytes on, log what we had
                yield chunk
            completed = True
        finally:
            if completed:
                self._log(
                    target, request, when, output=capture.output_body(), usage=capture.usage(),
                    error_code=capture.error_code,
                )  # fmt: skip
            else:
                aclose = getattr(body, "aclose", None)
                if aclose is not None:
                    await aclose()

    def _log(
        self,
        target: _Target,
        request: Request,
        when: datetime,
        *,
        output: Any = None,
        usage: dict[str, Any] | None = None,
        error_code: str | None = None,
    ) -> None:
        writer = self.writer
        identity = request.identity
        if writer is None or identity is None:
            self.undelivered += 1
            return
        dest = target.destination
        record = build_record(
            when=when, account=dest.account, principal=identity.principal, region=dest.region,
            request_id=request.request_id, operation=request.operation or "",
            model_id=request.path_params.get("modelId", ""), input_body=_loads(request.body),
            content_type=request.headers.get("content-type") or "application/json",
            output_body=output, usage=usage or {}, error_code=error_code, text=target.text,
        )  # fmt: skip

        def key_for(part: str) -> str:
            return data_key(dest.prefix, dest.account, dest.region, when, request.request_id, part)

        attachments = offload_large_bodies(record, dest.bucket, key_for)
        writer.submit(
            dest, record, request_id=request.request_id, when=when, attachments=attachments
        )


# -- configuration checks (botocore's LoggingConfig shape) -----------------------------------


def _check_bucket(writer: LogWriter, bucket: str, link: S3Link | None) -> None:
    """Bedrock's check that the bucket exists; the embedded S3 first creates it (no console
    here to create it with, see :mod:`.s3_link`)."""
    if link is not None:
        link.wait_ready()
        link.ensure_bucket(writer.client(), bucket)
    check_bucket(writer.client(), bucket)


def _key(request: Request) -> tuple[str, str]:
    identity = request.identity
    assert identity is not None  # control-plane routes are authenticated
    return identity.account_id, identity.region


def _loads(raw: bytes) -> Any:
    try:
        return json_body.loads(raw) if raw else None
    except ValueError:
        return None


def _json_body(request: Request) -> Any:
    try:
        return request.json()
    except ValueError:
        raise validation_error("The request body is not valid JSON.") from None


def _invalid(value: Any, where: str, constraint: str) -> BedrockError:
    shown = "null" if value is None else str(value)[:100]
    return validation_error(
        f"1 validation error detected: Value '{shown}' at '{where}' failed to satisfy "
        f"constraint: {constraint}"
    )


def _s3_configs(config: dict[str, Any]) -> list[dict[str, Any]]:
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


def _validate(body: Any) -> dict[str, Any]:
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
