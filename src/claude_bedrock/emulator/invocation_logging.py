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

Durability (:mod:`.log_spool`): each record is appended to the spool and fsync'd before
its call's answer is sent (a stream's final bytes follow the record), so a crash loses no
record; the spool is ``WriterOptions.spool_dir`` (``claude-bedrock serve``: ``--state-dir``,
default ``$XDG_STATE_HOME/claude-bedrock/emulator``, its ``log-spool/``; in-process
emulators: a temporary directory unless ``writer_options(spool_dir=...)``). At start,
records an earlier process spooled and did not deliver are uploaded to the S3 this
emulator uses, into the bucket each record names. Shutdown gives the last uploads until
the emulator's shutdown deadline (:data:`~.s3_link.SHUTDOWN_DEADLINE`); what S3 did not
take by then is reported with the spool's path and delivered at the next start.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from ..wire import eventstream
from ..wire.log_layout import data_key
from ..wire.log_records import StreamCapture, body_usage, build_record, offload_large_bodies
from ..wire.s3 import S3AccessDeniedError, S3BucketNotFoundError, S3Error, check_bucket
from . import json_body
from ._daemon import in_daemon_thread
from .app import EmulatorApp, Extension
from .auth import Identity
from .errors import BedrockError, validation_error
from .http_types import AbortConnection, AnyResponse, Request, Response, StreamingResponse
from .log_delivery import (
    ENV_ACCESS_KEY,
    ENV_ENDPOINT,
    ENV_SECRET_KEY,
    ENV_SESSION_TOKEN,
    LogDelivery,
    WriterOptions,
)
from .log_writer import Destination, LogWriter
from .logging_config import s3_configs, validate
from .routing import Handler
from .s3_link import STATE_KEY as S3_LINK_KEY
from .s3_link import (
    S3Link,
    S3Timeouts,
    SeaweedStartError,
    missing_s3_message,
    shutdown_deadline,
)

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

_PATH: Final = "/logging/modelinvocations"


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
    app.add_startup_hook(service.delivery.recover)
    app.add_shutdown_hook(service.delivery.close)


def writer_options(
    *,
    endpoint_url: str | None = None,
    credentials: tuple[str, str, str | None] | None = None,
    flush_interval: float | None = None,
    max_records: int | None = None,
    spool_dir: Path | None = None,
    s3_timeouts: S3Timeouts | None = None,
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
        if spool_dir is not None:
            options.spool_dir = spool_dir
        if s3_timeouts is not None:
            options.s3_timeouts = s3_timeouts

    return configure


@dataclass(frozen=True, slots=True)
class _Target:
    destination: Destination
    text: bool


class InvocationLoggingService:
    """The configuration store, the middleware and the writer of one emulator app."""

    def __init__(self, app: EmulatorApp, options: WriterOptions) -> None:
        self.app = app
        self.configs: dict[tuple[str, str], dict[str, Any]] = {}
        self.undelivered = 0
        self.delivery = LogDelivery(app.config.region, options, lambda: shutdown_deadline(app))

    @property
    def options(self) -> WriterOptions:
        return self.delivery.options

    @property
    def writer(self) -> LogWriter | None:
        return self.delivery.writer

    # -- control plane -----------------------------------------------------------------------

    async def put(self, request: Request) -> Response:
        config = validate(_json_body(request))
        buckets = [s3["bucketName"] for s3 in s3_configs(config)]
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
        return Response.json(
            {"s3Endpoint": self.options.endpoint_url is not None, "undelivered": self.undelivered,
             **self.delivery.stats()}
        )  # fmt: skip

    async def _check_buckets(self, buckets: list[str]) -> None:
        writer = self.writer
        if writer is None:
            raise validation_error(missing_s3_message("deliver invocation logs to"))
        link: S3Link | None = self.app.state.get(S3_LINK_KEY)
        for bucket in buckets:
            try:
                await in_daemon_thread(lambda b=bucket: _check_bucket(writer, b, link))  # type: ignore[misc]
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
            await self._log(target, request, when, error_code=error.error_type)
            raise
        except AbortConnection:
            raise
        except Exception:
            await self._log(target, request, when, error_code="InternalServerException")
            raise
        if isinstance(response, StreamingResponse) and response.status < 400:
            response.body = self._capture(target, request, when, response.body)
        elif isinstance(response, Response) and response.status >= 400:
            code = dict(response.headers).get("x-amzn-ErrorType", "InternalServerException")
            await self._log(target, request, when, error_code=code)
        elif isinstance(response, Response):
            output = _loads(response.body)
            await self._log(target, request, when, output=output, usage=body_usage(output))
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
                await self._log(
                    target, request, when, output=capture.output_body(), usage=capture.usage(),
                    error_code=capture.error_code,
                )  # fmt: skip
            else:
                aclose = getattr(body, "aclose", None)
                if aclose is not None:
                    await aclose()

    async def _log(
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
        await self.delivery.deliver(dest, record, request.request_id, when, attachments)


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
