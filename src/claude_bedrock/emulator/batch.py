"""Bedrock batch inference in the emulator: the four model-invocation-job operations.

Routes (bedrock control plane; shapes, patterns and errors from botocore's ``bedrock``
model): ``POST /model-invocation-job`` (CreateModelInvocationJob), ``GET
/model-invocation-job/{jobIdentifier}`` (Get), ``GET /model-invocation-jobs`` (List, with
its filters, sorting and ``nextToken`` pages) and ``POST
/model-invocation-job/{jobIdentifier}/stop`` (Stop). Jobs belong to the caller's account.

A created job is ``Submitted`` and runs in a worker thread (see :mod:`._batch_worker`):
``Validating`` (input found, records counted against the catalogue's batch quotas) ->
``Scheduled`` -> ``InProgress`` -> ``Completed``, ``PartiallyCompleted`` (some records
failed), ``Failed`` (job-level problem, see ``message``), ``Stopped`` (after a Stop:
``Stopping`` until the records in flight are written) or ``Expired`` (past
``timeoutDurationInHours``). Output follows Bedrock: ``{output s3Uri}/{jobId}/{input
name}.out`` (one line per input line, in input order: ``recordId``, ``modelInput``, and
``modelOutput`` or ``error``) and ``{jobId}/manifest.json.out`` (record and token counts).
The role is not assumed: the emulator reads and writes S3 with its own identity.

A failing S3 ends a job ``Failed`` with the reason, and the job's counters then count only
the records whose output object S3 actually stored (a file whose write failed counts for
nothing: its multipart upload is aborted, so no part of it is visible). Every S3 call has a
deadline (:class:`~.s3_link.S3Timeouts`, ``options(s3_timeouts=...)``), so an S3 that
accepts connections and never answers fails the job after at most ``S3Timeouts.total``
instead of leaving it ``InProgress``. Jobs run on daemon threads: on shutdown, running jobs
are stopped and waited for until the emulator's shutdown deadline, then abandoned.

Where the emulator reaches S3 (the conventions of the invocation-logging extension): its
own S3 (:mod:`.s3_link`: the embedded SeaweedFS, whose buckets a job's creation creates,
or ``serve --s3-endpoint``), else :func:`options`
(``Emulator(extensions=[batch.options(...)])``), else
``CLAUDE_BEDROCK_EMULATOR_S3_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_S3`` and
``CLAUDE_BEDROCK_EMULATOR_S3_ACCESS_KEY_ID`` / ``..._SECRET_ACCESS_KEY`` / ``..._SESSION_TOKEN``,
else botocore's default chain; read when a job starts. With no endpoint at all, a job is
refused with the command that installs the embedded S3 (never sent to AWS's S3).

Test hook (emulator only): the job tag ``emulator:records-per-second`` (``tags=[{"key":
..., "value": "50"}]``) paces processing, so a test can stop a job in the middle.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import string
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from ..catalog import Catalog
from ..wire.rules.batch import timeout_violation
from ..wire.s3 import parse_s3_uri
from ._batch_worker import ACTIVE, BatchJob, JobLimits, run_job
from ._daemon import in_daemon_thread, start_daemon
from .app import EmulatorApp, Extension
from .auth import DEFAULT_ACCOUNT_ID, pass_role_refusal
from .errors import BedrockError, not_found, validation_error
from .http_types import Request, Response
from .model_ids import resolve_invocation_model
from .s3_link import STATE_KEY as S3_LINK_KEY
from .s3_link import (
    S3Link,
    S3Timeouts,
    SeaweedStartError,
    emulator_s3_client,
    missing_s3_message,
    shutdown_deadline,
)

__all__ = ["PACE_TAG", "STATE_KEY", "BatchOptions", "BatchService", "options", "register"]

logger = logging.getLogger("claude_bedrock.emulator.batch")

STATE_KEY: Final = "batch"
PACE_TAG: Final = "emulator:records-per-second"
_ENV_PREFIX = "CLAUDE_BEDROCK_EMULATOR_S3_"
_JOB_NAME_RE = re.compile(r"[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\+\-\.]){0,63}\Z")
_ROLE_ARN_RE = re.compile(r"arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+\Z")
_S3_URI_RE = re.compile(
    r"s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?\Z"
)
_TOKEN_RE = re.compile(r"[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}\Z")
_ID_RE = re.compile(
    r"((arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-invocation-job/)?[a-z0-9]{12})\Z"
)
_STATUSES = ("Submitted", "InProgress", "Completed", "Failed", "Stopping", "Stopped",
             "PartiallyCompleted", "Expired", "Validating", "Scheduled")  # fmt: skip


@dataclass
class BatchOptions:
    """How the batch service reaches S3 and how much it runs at once."""

    endpoint_url: str | None = None
    credentials: tuple[str, str, str | None] | None = field(default=None, repr=False)
    region: str | None = None
    workers: int = 4
    concurrent_jobs: int = 4
    min_records: int | None = None
    s3_timeouts: S3Timeouts = field(default_factory=S3Timeouts)


def options(
    *,
    endpoint_url: str | None = None,
    credentials: tuple[str, str, str | None] | None = None,
    region: str | None = None,
    workers: int | None = None,
    concurrent_jobs: int | None = None,
    min_records: int | None = None,
    s3_timeouts: S3Timeouts | None = None,
) -> Extension:
    """An extension setting the batch service's options (in-process emulators only)."""

    def configure(app: EmulatorApp) -> None:
        service: BatchService = app.state[STATE_KEY]
        given = {"endpoint_url": endpoint_url, "credentials": credentials, "region": region,
                 "workers": workers, "concurrent_jobs": concurrent_jobs,
                 "min_records": min_records, "s3_timeouts": s3_timeouts}  # fmt: skip
        for name, value in given.items():
            if value is not None:
                setattr(service.options, name, value)

    return configure


def register(app: EmulatorApp) -> None:
    """Install the batch routes and the stop-on-shutdown hook."""
    service = BatchService(app, BatchOptions())
    app.state[STATE_KEY] = service
    add = app.add_route
    add("POST", "/model-invocation-job", service.create, operation="CreateModelInvocationJob")
    add("GET", "/model-invocation-job/{jobIdentifier}", service.get,
        operation="GetModelInvocationJob")  # fmt: skip
    add("GET", "/model-invocation-jobs", service.list, operation="ListModelInvocationJobs")
    add("POST", "/model-invocation-job/{jobIdentifier}/stop", service.stop,
        operation="StopModelInvocationJob")  # fmt: skip
    app.add_shutdown_hook(service.close)


def _invalid(field_name: str, value: object, constraint: str) -> BedrockError:
    shown = "null" if value is None else f"'{str(value)[:64]}'"
    return validation_error(
        f"1 validation error detected: Value {shown} at '{field_name}' failed to satisfy "
        f"constraint: {constraint}"
    )


def _text(body: dict[str, Any], name: str, pattern: re.Pattern[str], maximum: int) -> str:
    value = body.get(name)
    if value is None:
        raise _invalid(name, None, "Member must not be null")
    if not isinstance(value, str) or len(value) > maximum or not pattern.match(value):
        raise _invalid(name, value, f"Member must satisfy regular expression pattern: "
                       f"{pattern.pattern.removesuffix(chr(92) + 'Z')}")  # fmt: skip
    return value


def _s3_uri(body: dict[str, Any], config: str, member: str) -> str:
    inner = (body.get(config) or {}).get(member)
    if not isinstance(inner, dict):
        raise _invalid(f"{config}.{member}", None, "Member must not be null")
    return _text(inner, "s3Uri", _S3_URI_RE, 1024)


def _pace(tags: object) -> float | None:
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, dict) and tag.get("key") == PACE_TAG:
            try:
                return max(float(tag.get("value", "")), 0.1)
            except ValueError:
                raise validation_error(f"Tag {PACE_TAG} must be a number.") from None
    return None


class BatchService:
    """The job store and the workers of one emulator app."""

    def __init__(self, app: EmulatorApp, options: BatchOptions) -> None:
        self.app = app
        self.options = options
        self.jobs: dict[str, BatchJob] = {}  # by ARN, in creation order
        self._job_slots = threading.BoundedSemaphore(options.concurrent_jobs)
        self._job_threads: list[threading.Thread] = []
        self._record_pool: ThreadPoolExecutor | None = None
        self._s3_clients: dict[tuple[Any, ...], Any] = {}

    # -- S3 and workers -------------------------------------------------------------------

    def _endpoint(self) -> str | None:
        env = os.environ
        return (self.options.endpoint_url or env.get(_ENV_PREFIX + "ENDPOINT_URL")
                or env.get("AWS_ENDPOINT_URL_S3") or None)  # fmt: skip

    def _s3(self) -> Any:
        env = os.environ
        endpoint = self._endpoint()
        credentials = self.options.credentials
        access, secret = (
            env.get(_ENV_PREFIX + "ACCESS_KEY_ID"),
            env.get(_ENV_PREFIX + "SECRET_ACCESS_KEY"),
        )
        if credentials is None and access and secret:
            credentials = (access, secret, env.get(_ENV_PREFIX + "SESSION_TOKEN") or None)
        region = self.options.region or self.app.config.region
        key = (endpoint, credentials, region)
        if key not in self._s3_clients:
            self._s3_clients[key] = emulator_s3_client(
                region=region, endpoint_url=endpoint, credentials=credentials,
                timeouts=self.options.s3_timeouts, max_pool_connections=16,
            )  # fmt: skip
        return self._s3_clients[key]

    def _limits(self) -> JobLimits:
        batch = Catalog.default().batch_limits
        least = self.options.min_records
        return JobLimits(
            min_records=batch.min_records_per_job if least is None else least,
            max_records=batch.max_records_per_job,
            max_records_per_file=batch.max_records_per_file,
            max_file_bytes=batch.max_input_file_bytes,
            max_job_bytes=batch.max_job_bytes,
        )

    def _start(self, job: BatchJob) -> None:
        """Run ``job`` on a daemon thread (at most ``concurrent_jobs`` at once): a job stuck
        on S3 must not hold the process at exit (see :mod:`._daemon`)."""
        if self._record_pool is None:
            self._record_pool = ThreadPoolExecutor(self.options.workers, "emulator-batch-record")
        pool, limits, engine = self._record_pool, self._limits(), self.app.config.engine

        def run() -> None:
            with self._job_slots:
                run_job(job, self._s3, engine, pool, limits, 2 * self.options.workers)

        self._job_threads = [t for t in self._job_threads if t.is_alive()]
        self._job_threads.append(start_daemon(run, f"emulator-batch-job-{job.job_id}"))

    async def close(self) -> None:
        """On shutdown: stop running jobs and wait for their threads (outputs are written)
        until the emulator's shutdown deadline; a job still running then is abandoned."""
        for job in self.jobs.values():
            if job.status in ACTIVE:
                job.stop.set()
        deadline = shutdown_deadline(self.app)
        for thread in self._job_threads:
            await asyncio.to_thread(thread.join, max(0.0, deadline - time.monotonic()))
        late = [job.name for job in self.jobs.values() if job.status in ACTIVE]
        if late:
            logger.error("batch jobs still running at the shutdown deadline, abandoned: %s",
                         ", ".join(late))  # fmt: skip
        if self._record_pool is not None:
            self._record_pool.shutdown(wait=False, cancel_futures=True)

    # -- routes ---------------------------------------------------------------------------

    def _caller(self, request: Request) -> tuple[str, str]:
        identity = request.identity
        if identity is None:
            return DEFAULT_ACCOUNT_ID, self.app.config.region
        return identity.account_id, identity.region

    def _find(self, request: Request) -> BatchJob:
        identifier = request.path_params["jobIdentifier"]
        if not _ID_RE.match(identifier):
            raise _invalid("jobIdentifier", identifier, "Member must satisfy regular "
                           "expression pattern: " + _ID_RE.pattern.removesuffix("\\Z"))  # fmt: skip
        account, _ = self._caller(request)
        for job in self.jobs.values():
            if job.account == account and identifier in (job.arn, job.job_id):
                return job
        raise not_found(f"The specified model invocation job {identifier} was not found.")

    async def create(self, request: Request) -> Response:
        try:
            body = request.json()
        except ValueError:
            raise validation_error("The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise validation_error("The request body must be a JSON object.")
        account, region = self._caller(request)
        token = body.get("clientRequestToken")
        if token is not None:
            _text(body, "clientRequestToken", _TOKEN_RE, 256)
            for job in self.jobs.values():
                if job.account == account and job.client_token == token:
                    return Response.json({"jobArn": job.arn})  # an idempotent retry
        job = self._new_job(body, account, region)
        await self._prepare_s3(job)
        self.jobs[job.arn] = job
        self._start(job)
        return Response.json({"jobArn": job.arn})

    def _new_job(self, body: dict[str, Any], account: str, region: str) -> BatchJob:
        name = _text(body, "jobName", _JOB_NAME_RE, 63)
        role = _text(body, "roleArn", _ROLE_ARN_RE, 2048)
        if (refusal := pass_role_refusal(role, account)) is not None:  # gate17: see auth
            raise refusal
        model_id = body.get("modelId")
        if not isinstance(model_id, str) or not model_id:
            raise _invalid("modelId", model_id, "Member must not be null")
        input_uri = _s3_uri(body, "inputDataConfig", "s3InputDataConfig")
        output_uri = _s3_uri(body, "outputDataConfig", "s3OutputDataConfig")
        limits = Catalog.default().batch_limits
        hours = body.get("timeoutDurationInHours", limits.timeout_hours_default)
        low, high = limits.timeout_hours_min, limits.timeout_hours_max
        if timeout_violation(hours, low, high) is not None:
            raise _invalid("timeoutDurationInHours", hours,
                           f"Member must have value between {low} and {high}")  # fmt: skip
        kind = body.get("modelInvocationType")
        if kind not in (None, "InvokeModel"):
            raise validation_error(f"modelInvocationType {kind!r} is not supported by the "
                                   "emulator (only InvokeModel).")  # fmt: skip
        if any(j.account == account and j.name == name for j in self.jobs.values()):
            raise BedrockError("ConflictException", f"A job named {name} already exists.")
        model = resolve_invocation_model(model_id, region)
        job_id = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(12))
        now = datetime.now(UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # as reported: in ms
        return BatchJob(
            arn=f"arn:aws:bedrock:{region}:{account}:model-invocation-job/{job_id}",
            name=name, account=account, model_id=model_id, model=model, role_arn=role,
            input_uri=input_uri, output_uri=output_uri, submit_time=now,
            expiration_time=now + timedelta(hours=hours), timeout_hours=hours,
            client_token=body.get("clientRequestToken"), invocation_type=kind,
            pace=_pace(body.get("tags")),
        )  # fmt: skip

    async def _prepare_s3(self, job: BatchJob) -> None:
        """Refuse a job the emulator has no S3 for; with the embedded S3, wait for it and
        create the job's buckets (no console here to create them, see :mod:`.s3_link`)."""
        if self._endpoint() is None:
            raise validation_error(missing_s3_message("read batch inputs from"))
        link: S3Link | None = self.app.state.get(S3_LINK_KEY)
        if link is None or not link.embedded:
            return
        buckets = dict.fromkeys(parse_s3_uri(uri)[0] for uri in (job.input_uri, job.output_uri))

        def prepare() -> None:
            link.wait_ready()
            for bucket in buckets:
                link.ensure_bucket(self._s3(), bucket)

        try:
            await in_daemon_thread(prepare)
        except SeaweedStartError:
            raise validation_error(
                "The emulator's embedded S3 is not running (see the emulator's log)."
            ) from None

    async def get(self, request: Request) -> Response:
        return Response.json(self._find(request).to_wire())

    async def stop(self, request: Request) -> Response:
        job = self._find(request)
        if job.status not in ACTIVE:
            raise BedrockError(
                "ConflictException", f"The job cannot be stopped: its status is {job.status}."
            )
        job.stop.set()
        job.set_status("Stopping")
        return Response(body=b"")

    async def list(self, request: Request) -> Response:
        account, _ = self._caller(request)
        jobs = [job for job in self.jobs.values() if job.account == account]
        jobs = _filter(jobs, request)
        if (request.query_value("sortOrder") or "Descending") == "Descending":
            jobs.reverse()
        maximum = _int_query(request, "maxResults", 1, 1000, 1000)
        start = _int_query(request, "nextToken", 0, len(jobs), 0)
        page = jobs[start : start + maximum]
        answer: dict[str, Any] = {"invocationJobSummaries": [job.to_wire() for job in page]}
        if start + maximum < len(jobs):
            answer["nextToken"] = str(start + maximum)
        return Response.json(answer)


def _filter(jobs: list[BatchJob], request: Request) -> list[BatchJob]:
    status = request.query_value("statusEquals")
    if status is not None and status not in _STATUSES:
        raise _invalid("statusEquals", status, f"Member must satisfy enum value set: {_STATUSES}")
    name = request.query_value("nameContains")
    after = _time_query(request, "submitTimeAfter")
    before = _time_query(request, "submitTimeBefore")
    return [
        job
        for job in jobs
        if (status is None or job.status == status)
        and (name is None or name in job.name)
        and (after is None or job.submit_time > after)
        and (before is None or job.submit_time < before)
    ]


def _time_query(request: Request, name: str) -> datetime | None:
    value = request.query_value(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(name, value, "Member must be an ISO 8601 timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _int_query(request: Request, name: str, low: int, high: int, default: int) -> int:
    value = request.query_value(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise _invalid(name, value, "Member must be an integer") from None
    if not low <= number <= high:
        raise _invalid(name, value, f"Member must have value between {low} and {high}")
    return number
