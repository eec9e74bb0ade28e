"""The delivery half of the emulator's invocation logging: spool, then S3.

:class:`LogDelivery` owns the :class:`~.log_spool.LogSpool` (every record on disk before
its call is answered) and the :class:`~.log_writer.LogWriter` (batched uploads), resumes
what an earlier process spooled (a startup hook) and drains on shutdown until the
emulator's deadline (a shutdown hook). :mod:`.invocation_logging` (configuration,
middleware, records) hands it each record; see that module for where S3 and the spool are.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from ._daemon import in_daemon_thread
from .log_spool import LogSpool, SpooledRecord
from .log_writer import Destination, LogWriter
from .s3_link import S3Timeouts, emulator_s3_client

__all__ = [
    "ENV_ACCESS_KEY",
    "ENV_ENDPOINT",
    "ENV_SECRET_KEY",
    "ENV_SESSION_TOKEN",
    "LogDelivery",
    "WriterOptions",
]

logger = logging.getLogger("claude_bedrock.emulator.invocation_logging")

ENV_ENDPOINT: Final = "CLAUDE_BEDROCK_EMULATOR_S3_ENDPOINT_URL"
ENV_ACCESS_KEY: Final = "CLAUDE_BEDROCK_EMULATOR_S3_ACCESS_KEY_ID"
ENV_SECRET_KEY: Final = "CLAUDE_BEDROCK_EMULATOR_S3_SECRET_ACCESS_KEY"  # noqa: S105 - a name
ENV_SESSION_TOKEN: Final = "CLAUDE_BEDROCK_EMULATOR_S3_SESSION_TOKEN"  # noqa: S105 - a name


@dataclass
class WriterOptions:
    """How the emulator reaches S3 and how it batches (see the module docstring)."""

    endpoint_url: str | None = None
    credentials: tuple[str, str, str | None] | None = field(default=None, repr=False)
    flush_interval: float = 0.2
    max_records: int = 500
    #: Where records are spooled before their call is answered (None: a temporary directory).
    spool_dir: Path | None = None
    s3_timeouts: S3Timeouts = field(default_factory=S3Timeouts)

    @classmethod
    def from_env(cls) -> WriterOptions:
        endpoint = os.environ.get(ENV_ENDPOINT) or os.environ.get("AWS_ENDPOINT_URL_S3")
        access, secret = os.environ.get(ENV_ACCESS_KEY), os.environ.get(ENV_SECRET_KEY)
        credentials = None
        if access and secret:
            credentials = (access, secret, os.environ.get(ENV_SESSION_TOKEN) or None)
        return cls(endpoint_url=endpoint or None, credentials=credentials)


class LogDelivery:
    """The spool and the S3 writer of one emulator app."""

    def __init__(self, region: str, options: WriterOptions, deadline: Callable[[], float]) -> None:
        self.region = region
        self.options = options
        self._deadline = deadline
        self._writer: LogWriter | None = None
        self._spool: LogSpool | None = None
        self._temporary_spool = False

    @property
    def writer(self) -> LogWriter | None:
        """The S3 writer, or None when no S3 endpoint is configured."""
        if self._writer is None and self.options.endpoint_url:
            options = self.options
            region = self.region

            def factory() -> Any:
                return emulator_s3_client(
                    region=region, endpoint_url=options.endpoint_url,
                    credentials=options.credentials, timeouts=options.s3_timeouts,
                )  # fmt: skip

            self._writer = LogWriter(
                factory, flush_interval=options.flush_interval, max_records=options.max_records,
                spool=self.spool, call_timeout=options.s3_timeouts.total,
            )  # fmt: skip
        return self._writer

    @property
    def spool(self) -> LogSpool:
        """The spool directory, opened on first use."""
        if self._spool is None:
            directory = self.options.spool_dir
            if directory is not None:
                try:
                    self._spool = LogSpool(directory)
                except OSError as exc:  # unwritable: a crash would lose records, say so
                    logger.error("the invocation log spool %s cannot be used (%s); spooling "
                                 "to a temporary directory instead", directory, exc)  # fmt: skip
            if self._spool is None:
                temporary = Path(tempfile.mkdtemp(prefix="claude-bedrock-log-spool-"))
                self._temporary_spool = True
                self._spool = LogSpool(temporary)
        return self._spool

    async def recover(self) -> None:
        """At start: hand what earlier processes spooled and did not deliver to the writer."""
        if self.options.spool_dir is None or not self.options.spool_dir.is_dir():
            return
        spool, writer = self.spool, self.writer
        found = await in_daemon_thread(spool.recover)
        if not found:
            return
        if writer is None:
            logger.warning("%d invocation log records wait in the spool %s: this emulator has "
                           "no S3 to deliver them to", len(found), spool.directory)  # fmt: skip
            return
        logger.warning("delivering %d invocation log records spooled by an earlier run (%s)",
                       len(found), spool.directory)  # fmt: skip
        for record, ref in found:
            destination = Destination(record.bucket, record.prefix, record.account, record.region)
            writer.submit(destination, record.line, request_id=record.request_id,
                          when=record.when, attachments=record.attachments, ref=ref)  # fmt: skip

    async def close(self) -> None:
        """Deliver what is pending until the shutdown deadline; report what stays spooled."""
        if self._writer is not None:
            await self._writer.close(max(0.0, self._deadline() - time.monotonic()))
        if self._spool is not None:
            left = self._spool.close()
            if left:
                later = ("a temporary spool: give the emulator a spool directory (serve "
                         "--state-dir, writer_options(spool_dir=...)) to have them delivered "
                         "at its next start") if self._temporary_spool else (
                         "delivered at the next start of an emulator using it")  # fmt: skip
                logger.error("%d invocation log records were not delivered; they are kept in "
                             "the spool %s (%s)", left, self._spool.directory, later)  # fmt: skip
            elif self._temporary_spool:
                shutil.rmtree(self._spool.directory, ignore_errors=True)

    async def deliver(
        self,
        dest: Destination,
        record: dict[str, Any],
        request_id: str,
        when: datetime,
        attachments: tuple[tuple[str, bytes], ...],
    ) -> None:
        """Spool ``record`` (on disk when this returns), then queue it for S3."""
        writer = self.writer
        if writer is None:  # the caller counts it as undelivered
            return
        line = json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        spooled = SpooledRecord(dest.bucket, dest.prefix, dest.account, dest.region, when,
                                request_id, line, attachments)  # fmt: skip
        try:
            ref = await self.spool.append(spooled)
        except OSError as exc:  # a full or broken disk must not fail the call itself
            logger.error("invocation log record %s not spooled (%s): kept in memory only",
                         request_id, exc)  # fmt: skip
            ref = None
        writer.submit(dest, line, request_id=request_id, when=when, attachments=attachments,
                      ref=ref)  # fmt: skip

    def stats(self) -> dict[str, Any]:
        """The writer's counters and the spool's (group commit at work: fsyncs <= records)."""
        stats = self._writer.stats.as_dict() if self._writer is not None else {}
        if self._spool is not None:
            spool = self._spool
            stats["spool"] = {
                "directory": str(spool.directory), "records": spool.appended,
                "fsyncs": spool.fsyncs,
            }  # fmt: skip
        return stats
