"""Where a batch lives in S3, how its ID encodes that, and how its jobs add up to one batch.

A batch is a folder ``s3://{bucket}/{prefix}/{token}/``::

    batch.json              the manifest: jobs (ARN, model, input key, records), totals
    order.tsv               one line per request, in input order: "{group}\\t{custom_id}" (the
                            request's model group), or "!\\t{custom_id}\\t{error JSON}" for a
                            request refused before sending. Not gzipped: read back in 64 KiB
                            chunks it costs the same small memory at any size, which gzip's
                            1 MiB decompression pieces would not
    input/00001.jsonl       one Bedrock input file per job (recordId = custom_id)
    output/{jobId}/...      where Bedrock writes ``00001.jsonl.out`` and ``manifest.json.out``

The batch ID is ``msgbatch_`` + base64url(``bucket/prefix/token``): self-contained, so that
``retrieve``/``results`` work from any machine that can read the bucket, with no local state.
The S3 URI of the folder (or of ``batch.json``) is accepted wherever an ID is.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .._exceptions import ClientValidationError
from .._s3 import parse_s3_uri
from ..types.batches import (
    BATCH_ACTIVE_STATUSES,
    BedrockBatchJob,
    MessageBatch,
    MessageBatchRequestCounts,
)

__all__ = [
    "BatchManifest",
    "BatchRef",
    "JobEntry",
    "batch_from_jobs",
    "decode_batch_id",
    "encode_batch_id",
    "job_from_wire",
    "job_name",
    "new_token",
]

ID_PREFIX = "msgbatch_"
MANIFEST_NAME = "batch.json"
ORDER_NAME = "order.tsv"
FORMAT = "claude-bedrock-batch/1"
# botocore's S3Uri pattern: keys may only use these characters in batch job URIs.
_KEY_RE = re.compile(r"[-!_*'().a-zA-Z0-9/]*\Z")
_JOB_NAME_RE = re.compile(r"[^a-zA-Z0-9+.-]+")
_JOB_NAME_MAX = 63
_ARN_RE = re.compile(r"arn:aws(-[^:]+)?:bedrock:([a-z0-9-]{1,20}):[0-9]{12}:model-invocation-job/")


@dataclass(frozen=True, slots=True)
class BatchRef:
    """A batch's folder: ``bucket`` and ``folder`` (a key prefix ending in ``/``)."""

    bucket: str
    folder: str

    @property
    def id(self) -> str:
        return encode_batch_id(self)

    @property
    def manifest_key(self) -> str:
        return self.folder + MANIFEST_NAME

    @property
    def order_key(self) -> str:
        return self.folder + ORDER_NAME

    def input_key(self, index: int) -> str:
        return f"{self.folder}input/{index:05d}.jsonl"

    @property
    def output_uri(self) -> str:
        return f"s3://{self.bucket}/{self.folder}output/"

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"


def new_token(now: datetime | None = None) -> str:
    """A folder name that sorts by creation time and never collides."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"


def batch_folder(bucket: str | None, prefix: str | None) -> tuple[str, str]:
    """``(bucket, prefix/)`` from ``bucket="s3://b/p"`` or ``bucket="b", prefix="p"``."""
    if not bucket:
        raise ClientValidationError("A batch needs an S3 bucket: bucket='s3://bucket/prefix'.")
    if bucket.lower().startswith("s3://"):
        name, key = parse_s3_uri(bucket)
    else:
        name, key = parse_s3_uri(f"s3://{bucket}")
    if prefix:
        key = f"{key.rstrip('/')}/{prefix.strip('/')}" if key.strip("/") else prefix.strip("/")
    key = key.strip("/")
    if not _KEY_RE.match(key):
        raise ClientValidationError(
            f"Bedrock batch jobs only accept S3 prefixes made of letters, digits and "
            f"-!_*'(). (and /), got {key!r}."
        )
    return name, f"{key}/" if key else ""


def encode_batch_id(ref: BatchRef) -> str:
    raw = f"{ref.bucket}/{ref.folder.rstrip('/')}".encode()
    return ID_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_batch_id(batch_id: str) -> BatchRef:
    """The folder of a batch ID (or of an ``s3://`` URI of the folder or its manifest)."""
    if not isinstance(batch_id, str) or not batch_id:
        raise ClientValidationError(f"Expected a batch ID, got {batch_id!r}.")
    if batch_id.lower().startswith("s3://"):
        bucket, key = parse_s3_uri(batch_id)
        key = key.removesuffix(MANIFEST_NAME).rstrip("/")
        return BatchRef(bucket, f"{key}/" if key else "")
    if not batch_id.startswith(ID_PREFIX):
        raise ClientValidationError(
            f"{batch_id[:80]!r} is not a batch ID of this library (they start with "
            f"{ID_PREFIX!r}; an s3:// URI of the batch folder works too)."
        )
    body = batch_id[len(ID_PREFIX) :]
    try:
        text = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise ClientValidationError(f"{batch_id[:80]!r} is not a valid batch ID.") from None
    bucket, _, key = text.partition("/")
    parse_s3_uri(f"s3://{bucket}/")  # validates the bucket name
    return BatchRef(bucket, f"{key}/" if key else "")


def job_name(base: str | None, token: str, index: int) -> str:
    """``{base}-{token}-{index}``, fitted to Bedrock's job-name pattern and 63 characters."""
    suffix = f"-{token}-{index}"
    cleaned = _JOB_NAME_RE.sub("-", base or "claude-batch").strip("-+.") or "claude-batch"
    return cleaned[: _JOB_NAME_MAX - len(suffix)].rstrip("-+.") + suffix


def job_region(job_arn: str) -> str | None:
    match = _ARN_RE.match(job_arn)
    return match.group(2) if match else None


# -- manifest ------------------------------------------------------------------------------


@dataclass(slots=True)
class JobEntry:
    """One job as the manifest records it (``arn`` is set once Bedrock created it)."""

    index: int
    group: int
    model_id: str
    input_key: str
    records: int
    bytes: int
    arn: str = ""


@dataclass(slots=True)
class BatchManifest:
    """``batch.json``: everything ``retrieve`` and ``results`` need besides Bedrock's answers."""

    bucket: str
    folder: str
    created_at: str
    total: int
    local_errors: int
    role_arn: str
    timeout_hours: int | None = None
    name: str | None = None
    jobs: list[JobEntry] = field(default_factory=list)
    format: str = FORMAT

    @property
    def ref(self) -> BatchRef:
        return BatchRef(self.bucket, self.folder)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=1).encode()

    @classmethod
    def from_json(cls, raw: bytes, where: str) -> BatchManifest:
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise ValueError(f"unknown format {data.get('format')!r}")
            jobs = [JobEntry(**job) for job in data.pop("jobs")]
            return cls(**data, jobs=jobs)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ClientValidationError(f"{where} is not a batch manifest ({exc}).") from None


# -- Bedrock's answers -> our objects ----------------------------------------------------


def job_from_wire(data: Mapping[str, Any], entry: JobEntry | None = None) -> BedrockBatchJob:
    """A GetModelInvocationJob answer (or a ListModelInvocationJobs summary), typed."""
    s3_in = (data.get("inputDataConfig") or {}).get("s3InputDataConfig") or {}
    s3_out = (data.get("outputDataConfig") or {}).get("s3OutputDataConfig") or {}
    return BedrockBatchJob(
        job_arn=data["jobArn"],
        job_name=data.get("jobName"),
        model_id=data.get("modelId") or (entry.model_id if entry else ""),
        status=data.get("status") or "Submitted",
        message=data.get("message"),
        submit_time=data.get("submitTime"),
        last_modified_time=data.get("lastModifiedTime"),
        end_time=data.get("endTime"),
        job_expiration_time=data.get("jobExpirationTime"),
        input_s3_uri=s3_in.get("s3Uri"),
        output_s3_uri=s3_out.get("s3Uri"),
        records=entry.records if entry else None,
        total_record_count=data.get("totalRecordCount"),
        processed_record_count=data.get("processedRecordCount"),
        success_record_count=data.get("successRecordCount"),
        error_record_count=data.get("errorRecordCount"),
    )


_ENDING_RANK = {"Failed": 0, "Stopped": 1, "Expired": 2, "PartiallyCompleted": 3, "Completed": 4}
_ACTIVE_RANK = {"Stopping": 0, "Submitted": 1, "Validating": 2, "Scheduled": 3, "InProgress": 4}


def overall_status(statuses: Iterable[str], local_errors: int = 0) -> str:
    """One Bedrock-style status for several jobs (see ``MessageBatch.bedrock_status``)."""
    seen = list(statuses)
    active = [s for s in seen if s in BATCH_ACTIVE_STATUSES]
    if active:
        return min(active, key=lambda s: _ACTIVE_RANK.get(s, 9))
    if not seen:
        return "Failed"
    worst = min(seen, key=lambda s: _ENDING_RANK.get(s, -1))
    if worst == "Completed" and local_errors:
        return "PartiallyCompleted"
    return worst


def _counts(job: BedrockBatchJob) -> MessageBatchRequestCounts:
    """Counts of one job: unprocessed records of an ended job are canceled/expired/errored."""
    total = job.records if job.records is not None else job.total_record_count or 0
    ok = job.success_record_count or 0
    bad = job.error_record_count or 0
    rest = max(total - ok - bad, 0)
    if job.status in BATCH_ACTIVE_STATUSES:
        return MessageBatchRequestCounts(processing=rest, succeeded=ok, errored=bad)
    if job.status == "Stopped":
        return MessageBatchRequestCounts(succeeded=ok, errored=bad, canceled=rest)
    if job.status == "Expired":
        return MessageBatchRequestCounts(succeeded=ok, errored=bad, expired=rest)
    return MessageBatchRequestCounts(succeeded=ok, errored=bad + rest)


def _parse_time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


def batch_from_jobs(manifest: BatchManifest, jobs: list[BedrockBatchJob]) -> MessageBatch:
    """The Anthropic-shaped view of a batch from its manifest and its jobs' states."""
    counts = MessageBatchRequestCounts(errored=manifest.local_errors)
    for job in jobs:
        part = _counts(job)
        for name in ("processing", "succeeded", "errored", "canceled", "expired"):
            setattr(counts, name, getattr(counts, name) + getattr(part, name))
    status = overall_status((j.status for j in jobs), manifest.local_errors)
    active = any(j.status in BATCH_ACTIVE_STATUSES for j in jobs)
    stopping = [j for j in jobs if j.status in ("Stopping", "Stopped")]
    created = _parse_time(manifest.created_at) or datetime.now(UTC)
    ends = [j.end_time or j.last_modified_time for j in jobs]
    ended_at = None if active else max((e for e in ends if e is not None), default=created)
    expiries = [j.job_expiration_time for j in jobs if j.job_expiration_time]
    hours = manifest.timeout_hours or 24
    # Bedrock's processedRecordCount may run ahead of its success and error counts.
    processed = manifest.local_errors + sum(
        max(
            j.processed_record_count or 0,
            (j.success_record_count or 0) + (j.error_record_count or 0),
        )
        for j in jobs
    )
    return MessageBatch(
        id=manifest.ref.id,
        type="message_batch",
        processing_status="ended" if not active else "canceling" if stopping else "in_progress",
        request_counts=counts,
        created_at=created,
        ended_at=ended_at,
        expires_at=max(expiries) if expiries else created + timedelta(hours=hours),
        cancel_initiated_at=min(
            (j.last_modified_time for j in stopping if j.last_modified_time), default=None
        ),
        results_url=None if active else manifest.ref.output_uri,
        bedrock_status=status,
        total=manifest.total,
        processed=processed,
        name=manifest.name,
        jobs=jobs,
    )
