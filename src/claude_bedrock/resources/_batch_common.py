"""What the sync and async ``messages.batches`` share: S3 access, request bodies, helpers.

Everything here is I/O-free or blocking S3 work; the control-plane calls themselves are
yielded by the flows of :mod:`._batch_flow` and made by :mod:`.batches`' drivers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from .._exceptions import ClientValidationError
from .._s3 import get_object, s3_client
from ..types.batches import MessageBatch
from ._batch_layout import (
    BatchManifest,
    BatchRef,
    JobEntry,
    batch_folder,
    job_name,
    new_token,
)
from ._batch_write import BatchWriter, Limits

__all__ = [
    "BatchNotEndedError",
    "S3Options",
    "batch_limits",
    "check_ended",
    "create_body",
    "finish_manifest",
    "folders",
    "job_path",
    "list_path",
    "read_manifest",
    "start_writer",
]

LIST_PAGE = 1000


class BatchNotEndedError(ClientValidationError):
    """Results were asked for while the batch is still running."""


class S3Options:
    """How to reach S3; the botocore client is built on first use and then shared."""

    def __init__(self, core: Any, **options: Any) -> None:
        self._core = core
        self._options = options
        self._client: Any = options.pop("client", None)

    def client(self) -> Any:
        if self._client is None:
            core = self._core
            credentials = self._options.get("credentials")
            profile = self._options.get("profile")
            if credentials is None and profile is None and core.api_key is None:
                source = core._credentials
                if source is not None and source.method == "explicit":
                    credentials = source.get()  # the client's own keys sign S3 too
                profile = core.aws_profile
            self._client = s3_client(
                region=self._options.get("region") or core.aws_region,
                endpoint_url=self._options.get("endpoint_url"),
                credentials=credentials,
                profile=profile,
            )
        return self._client


# -- wire helpers shared by both clients ----------------------------------------------------


def job_path(arn: str, suffix: str = "") -> str:
    return f"/model-invocation-job/{quote(arn, safe='')}{suffix}"


def create_body(
    manifest: BatchManifest, entry: JobEntry, token: str, tags: Mapping[str, str] | None
) -> bytes:
    ref = manifest.ref
    body: dict[str, Any] = {
        "jobName": job_name(manifest.name, token, entry.index),
        "roleArn": manifest.role_arn,
        "clientRequestToken": f"{token}-{entry.index}",  # retried creates stay one job
        "modelId": entry.model_id,
        "inputDataConfig": {
            "s3InputDataConfig": {"s3Uri": ref.uri(entry.input_key), "s3InputFormat": "JSONL"}
        },
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": ref.output_uri}},
    }
    if manifest.timeout_hours is not None:
        body["timeoutDurationInHours"] = manifest.timeout_hours
    if tags:
        body["tags"] = [{"key": key, "value": value} for key, value in tags.items()]
    return json.dumps(body).encode()


def check_role(role_arn: str) -> None:
    if not isinstance(role_arn, str) or ":role/" not in role_arn:
        raise ClientValidationError(
            "role_arn must be the ARN of an IAM role Bedrock may assume to read and write the "
            f"bucket (arn:aws:iam::123456789012:role/NAME), got {role_arn!r}."
        )


def read_manifest(s3: Any, ref: BatchRef) -> BatchManifest:
    raw = get_object(s3, ref.bucket, ref.manifest_key)
    return BatchManifest.from_json(raw, ref.uri(ref.manifest_key))


def list_path(token: str | None) -> str:
    query = {"maxResults": str(LIST_PAGE), "sortOrder": "Descending"}
    if token:
        query["nextToken"] = token
    return f"/model-invocation-jobs?{urlencode(query)}"


def folders(summaries: Iterable[Mapping[str, Any]]) -> list[BatchRef]:
    """Batch folders of listed jobs, newest first, each once (jobs of other tools skipped)."""
    seen: dict[BatchRef, None] = {}
    for job in summaries:
        uri = ((job.get("inputDataConfig") or {}).get("s3InputDataConfig") or {}).get("s3Uri")
        if not isinstance(uri, str) or "/input/" not in uri or not uri.startswith("s3://"):
            continue
        bucket, _, key = uri[5:].partition("/")
        folder = key[: key.rfind("input/")]
        seen.setdefault(BatchRef(bucket, folder), None)
    return list(seen)


def start_writer(
    core: Any,
    s3: Any,
    bucket: str,
    prefix: str | None,
    role_arn: str,
    limits: Limits,
    model: str | None,
) -> tuple[BatchWriter, str]:
    """A writer for a new batch folder (arguments checked before anything is written)."""
    check_role(role_arn)
    bucket_name, folder = batch_folder(bucket, prefix)
    token = new_token()
    ref = BatchRef(bucket_name, f"{folder}{token}/")
    return BatchWriter(core, s3, ref, limits, model), token


def finish_manifest(
    writer: BatchWriter, role_arn: str, name: str | None, hours: int | None
) -> BatchManifest:
    """Close the writer's files; the manifest of the jobs to create (refused if none)."""
    from datetime import UTC, datetime

    jobs = writer.finish()
    if not jobs:
        raise ClientValidationError(
            f"None of the {writer.total} requests could be sent (every one was refused "
            "before sending); nothing was submitted."
        )
    return BatchManifest(
        bucket=writer.ref.bucket,
        folder=writer.ref.folder,
        created_at=datetime.now(UTC).isoformat(),
        total=writer.total,
        local_errors=writer.local_errors,
        role_arn=role_arn,
        timeout_hours=hours,
        name=name,
        jobs=jobs,
    )


def batch_limits(records_per_job: int | None, min_records_per_job: int | None) -> Limits:
    from ..catalog import Catalog

    return Limits.from_catalog(Catalog.default().batch_limits, records_per_job, min_records_per_job)


def check_ended(batch: MessageBatch) -> None:
    if batch.processing_status != "ended":
        raise BatchNotEndedError(
            f"Batch {batch.id} is still {batch.processing_status} ({batch.processed} of "
            f"{batch.total} requests processed); results are available once it has ended."
        )
