"""Running one emulated Bedrock batch job: S3 JSONL in, the engine's answers, S3 JSONL out.

A job runs in a worker thread (botocore is blocking; the event loop keeps serving
requests, including GetModelInvocationJob polls and StopModelInvocationJob). It streams:
input lines are read chunk by chunk (``iter_lines``), answered in slices of
``_CHUNK`` records by a shared pool of threads (at most ``2 x workers`` slices in flight,
written back in input order), and appended to the output object through a
:class:`MultipartWriter`, so a job of any size uses a few MiB.

Each record is checked exactly as an InvokeModel body would be (schema, Anthropic's rules,
``max_tokens`` and context limits of the job's model); a record that fails, or whose line
is not JSON, becomes an ``error`` line (``errorCode`` = the HTTP status InvokeModel would
have returned) and the job ends ``PartiallyCompleted``. Job-level problems (input missing,
too many or too few records, S3 refusing or not answering) end it ``Failed`` with a message.

The counters say what S3 holds: a file's records are counted while it is written (so a
poll shows progress) and taken back if its output object could not be stored (the
multipart upload is then aborted: nothing of it is visible), so a job that failed on S3
never reports records that were not written.
"""

from __future__ import annotations

import json
import logging
import secrets
import string
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..wire.rules.context import context_window_violation
from ..wire.s3 import MultipartWriter, S3Error, iter_lines, list_objects, parse_s3_uri, put_object
from . import json_body, tokens
from .engine import Engine
from .errors import BedrockError, validation_error
from .model_ids import InvocationModel
from .validation import validate_invoke_body

__all__ = ["BatchJob", "JobLimits", "run_job", "timestamp"]

logger = logging.getLogger("claude_bedrock.emulator.batch")

_CHUNK = 128
_ID_CHARS = string.ascii_uppercase + string.digits
_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
ACTIVE = frozenset({"Submitted", "Validating", "Scheduled", "InProgress", "Stopping"})


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as Bedrock's control plane writes them."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class JobLimits:
    min_records: int
    max_records: int
    max_records_per_file: int
    max_file_bytes: int
    max_job_bytes: int


@dataclass
class BatchJob:
    """One job's request and live state (fields read by the routes, written by the worker)."""

    arn: str
    name: str
    account: str
    model_id: str
    model: InvocationModel
    role_arn: str
    input_uri: str
    output_uri: str
    submit_time: datetime
    expiration_time: datetime
    timeout_hours: int
    client_token: str | None = None
    invocation_type: str | None = None
    pace: float | None = None
    status: str = "Submitted"
    message: str | None = None
    last_modified: datetime | None = None
    end_time: datetime | None = None
    total: int | None = None
    processed: int = 0
    succeeded: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    stop: threading.Event = field(default_factory=threading.Event, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def job_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    def set_status(self, status: str, message: str | None = None) -> None:
        with self.lock:
            if status in ACTIVE and self.stop.is_set():
                status = "Stopping"  # a stop request outranks the worker's progress
            self.status = status
            if message is not None:
                self.message = message[:2048]
            self.last_modified = datetime.now(UTC)
            if status not in ACTIVE:
                self.end_time = self.last_modified

    def to_wire(self) -> dict[str, Any]:
        """GetModelInvocationJob's answer (also a ListModelInvocationJobs summary)."""
        with self.lock:
            data: dict[str, Any] = {
                "jobArn": self.arn,
                "jobName": self.name,
                "modelId": self.model_id,
                "roleArn": self.role_arn,
                "status": self.status,
                "submitTime": timestamp(self.submit_time),
                "lastModifiedTime": timestamp(self.last_modified or self.submit_time),
                "inputDataConfig": {
                    "s3InputDataConfig": {"s3Uri": self.input_uri, "s3InputFormat": "JSONL"}
                },
                "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": self.output_uri}},
                "timeoutDurationInHours": self.timeout_hours,
                "jobExpirationTime": timestamp(self.expiration_time),
                "processedRecordCount": self.processed,
                "successRecordCount": self.succeeded,
                "errorRecordCount": self.errors,
            }
            optional = {
                "clientRequestToken": self.client_token,
                "message": self.message,
                "endTime": timestamp(self.end_time) if self.end_time else None,
                "totalRecordCount": self.total,
                "modelInvocationType": self.invocation_type,
            }
            data.update({k: v for k, v in optional.items() if v is not None})
            return data


class _JobFailed(Exception):
    """A job-level failure; the message is what GetModelInvocationJob reports."""


# -- one record ---------------------------------------------------------------------------

_Answer = tuple[bytes, bool, int, int]  # output line, success, input tokens, output tokens


def _error_line(record_id: str, model_input: object, status: int, message: str) -> _Answer:
    record: dict[str, Any] = {"recordId": record_id}
    if model_input is not None:
        record["modelInput"] = model_input
    record["error"] = {"errorCode": status, "errorMessage": message}
    return _compact(record).encode() + b"\n", False, 0, 0


def _answer(line: bytes, model: InvocationModel, engine: Engine) -> _Answer:
    """The output line of one input line (never raises: failures are error lines)."""
    try:
        record = json_body.loads(line)
    except ValueError:
        return _error_line(_new_record_id(), None, 400, "Malformed input record: invalid JSON.")
    if not isinstance(record, dict):
        return _error_line(_new_record_id(), None, 400, "Malformed input record: not an object.")
    record_id = record.get("recordId")
    if not isinstance(record_id, str) or not record_id:
        record_id = _new_record_id()  # Bedrock adds one when the input has none
    model_input = record.get("modelInput")
    if not isinstance(model_input, dict):
        return _error_line(record_id, model_input, 400, "Missing or invalid modelInput.")
    try:
        raw = _compact(model_input).encode()
        body = validate_invoke_body(raw, max_output_tokens=model.output_limit)
        limit = model.context_limit(body.get("anthropic_beta") or [])
        if context_window_violation(tokens.count_input_tokens(body), body["max_tokens"], limit):
            raise validation_error("Input is too long for requested model.")
        output = engine.respond(body, model.response_name)
    except BedrockError as error:
        return _error_line(record_id, model_input, error.status, error.message)
    except Exception:
        logger.exception("batch record %s failed in the engine", record_id)
        return _error_line(record_id, model_input, 500, "Internal server error.")
    usage = output.get("usage") or {}
    used_in = sum(int(usage.get(k) or 0) for k in ("input_tokens", "cache_read_input_tokens",
                                                    "cache_creation_input_tokens"))  # fmt: skip
    out = {"recordId": record_id, "modelInput": model_input, "modelOutput": output}
    return _compact(out).encode() + b"\n", True, used_in, int(usage.get("output_tokens") or 0)


def _new_record_id() -> str:
    return "".join(secrets.choice(_ID_CHARS) for _ in range(11))


def _answer_chunk(lines: list[bytes], model: InvocationModel, engine: Engine) -> list[_Answer]:
    return [_answer(line, model, engine) for line in lines]


# -- the job ------------------------------------------------------------------------------


def _input_files(s3: Any, uri: str) -> list[tuple[str, str, int]]:
    """``(key, name relative to the input prefix, size)`` of each input ``.jsonl`` file."""
    bucket, key = parse_s3_uri(uri)
    if key.endswith(".jsonl"):
        objects = [o for o in list_objects(s3, bucket, key) if o.key == key]
        if not objects:
            raise _JobFailed(f"The input file {uri} does not exist.")
        return [(key, key.rsplit("/", 1)[-1], objects[0].size)]
    prefix = key if not key or key.endswith("/") else key + "/"
    found = [
        (o.key, o.key[len(prefix) :], o.size)
        for o in list_objects(s3, bucket, prefix)
        if o.key.endswith(".jsonl")
    ]
    if not found:
        raise _JobFailed(f"No .jsonl input file was found under {uri}.")
    return found


def _validate_input(job: BatchJob, s3: Any, limits: JobLimits) -> list[tuple[str, str]]:
    bucket, _ = parse_s3_uri(job.input_uri)
    files = _input_files(s3, job.input_uri)
    if sum(size for _, _, size in files) > limits.max_job_bytes:
        raise _JobFailed(f"The input exceeds the {limits.max_job_bytes}-byte job size quota.")
    total = 0
    for key, _, size in files:
        if size > limits.max_file_bytes:
            raise _JobFailed(f"s3://{bucket}/{key} exceeds the {limits.max_file_bytes}-byte "
                             "input file size quota.")  # fmt: skip
        count = sum(1 for line in iter_lines(s3, bucket, key) if line.strip())
        if count > limits.max_records_per_file:
            raise _JobFailed(f"s3://{bucket}/{key} has {count} records; the quota is "
                             f"{limits.max_records_per_file} records per input file.")  # fmt: skip
        total += count
    if total > limits.max_records:
        raise _JobFailed(f"The job has {total} records; the quota is {limits.max_records}.")
    if total < limits.min_records:
        raise _JobFailed(f"The job has {total} records; batch inference jobs need at least "
                         f"{limits.min_records} records.")  # fmt: skip
    job.total = total
    return [(key, name) for key, name, _ in files]


def _output_folder(job: BatchJob) -> tuple[str, str]:
    bucket, key = parse_s3_uri(job.output_uri)
    key = key if not key or key.endswith("/") else key + "/"
    return bucket, f"{key}{job.job_id}/"


def _chunks(lines: Iterator[bytes], size: int) -> Iterator[list[bytes]]:
    chunk: list[bytes] = []
    for line in lines:
        if not line.strip():
            continue
        chunk.append(line)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Run:
    """The processing of one job's files (in the job's thread)."""

    def __init__(self, job: BatchJob, s3: Any, engine: Engine, pool: ThreadPoolExecutor,
                 window: int) -> None:  # fmt: skip
        self.job, self.s3, self.engine, self.pool, self.window = job, s3, engine, pool, window
        self.halt: str | None = None  # "Stopped" or "Expired" once processing must end
        self._file_counts = [0, 0, 0, 0, 0]  # the current file's part of the job's counters

    def _should_halt(self) -> bool:
        if self.job.stop.is_set():
            self.halt = "Stopped"
        elif datetime.now(UTC) >= self.job.expiration_time:
            self.halt = "Expired"
        return self.halt is not None

    def file(self, in_bucket: str, key: str, out_bucket: str, out_key: str) -> None:
        job = self.job
        size = max(1, min(_CHUNK, int(job.pace // 10))) if job.pace else _CHUNK
        pending: deque[Future[list[_Answer]]] = deque()
        self._file_counts = [0, 0, 0, 0, 0]
        try:
            with MultipartWriter(self.s3, out_bucket, out_key,
                                 content_type="application/jsonl") as out:  # fmt: skip
                for chunk in _chunks(iter_lines(self.s3, in_bucket, key), size):
                    if self._should_halt():
                        break
                    pending.append(self.pool.submit(_answer_chunk, chunk, job.model, self.engine))
                    if len(pending) >= self.window:
                        self._write(out, pending.popleft().result())
                    if job.pace:
                        time.sleep(len(chunk) / job.pace)
                while pending:  # what was submitted is processed (and billed) even on a stop
                    self._write(out, pending.popleft().result())
        except BaseException:
            self._count([-n for n in self._file_counts])  # nothing of this file was stored
            raise

    def _write(self, out: MultipartWriter, answers: list[_Answer]) -> None:
        out.write(b"".join(answer[0] for answer in answers))
        ok = sum(1 for answer in answers if answer[1])
        counts = [len(answers), ok, len(answers) - ok, sum(answer[2] for answer in answers),
                  sum(answer[3] for answer in answers)]  # fmt: skip
        self._file_counts = [a + b for a, b in zip(self._file_counts, counts, strict=True)]
        self._count(counts)

    def _count(self, counts: list[int]) -> None:
        processed, ok, errors, tokens_in, tokens_out = counts
        job = self.job
        with job.lock:
            job.processed += processed
            job.succeeded += ok
            job.errors += errors
            job.input_tokens += tokens_in
            job.output_tokens += tokens_out


def run_job(
    job: BatchJob,
    s3_factory: Callable[[], Any],
    engine: Engine,
    pool: ThreadPoolExecutor,
    limits: JobLimits,
    window: int,
) -> None:
    """Take ``job`` from Submitted to its end state; never raises."""
    from botocore.exceptions import BotoCoreError  # botocore only once a job runs

    try:
        if job.stop.is_set():
            job.set_status("Stopped")
            return
        s3 = s3_factory()
        job.set_status("Validating")
        files = _validate_input(job, s3, limits)
        job.set_status("Scheduled")
        job.set_status("InProgress")
        run = _Run(job, s3, engine, pool, window)
        in_bucket, _ = parse_s3_uri(job.input_uri)
        out_bucket, folder = _output_folder(job)
        for key, name in files:
            if run.halt or run._should_halt():
                break
            run.file(in_bucket, key, out_bucket, f"{folder}{name}.out")
        _write_manifest(job, s3, out_bucket, folder)
        job.set_status(*_end_state(job, run.halt))
    except _JobFailed as exc:
        job.set_status("Failed", str(exc))
    except S3Error as exc:
        job.set_status("Failed", _s3_failure(exc))
    except BotoCoreError as exc:  # a connect timeout botocore does not wrap as S3's error
        job.set_status("Failed", f"Amazon S3 did not answer in time: {exc}")
    except Exception:
        logger.exception("batch job %s failed", job.arn)
        job.set_status("Failed", "Internal error while processing the job.")


def _s3_failure(exc: S3Error) -> str:
    """The job's message for a failed S3 call: refused (S3 answered with an error) or not
    answered (a connection or timeout failure, which has no S3 error code)."""
    if exc.code is None:
        return f"Amazon S3 did not answer in time: {exc.message}"
    return f"Amazon S3 refused the job's access: {exc.message}"


def _write_manifest(job: BatchJob, s3: Any, bucket: str, folder: str) -> None:
    with job.lock:
        manifest = {
            "totalRecordCount": job.total or 0,
            "processedRecordCount": job.processed,
            "successRecordCount": job.succeeded,
            "errorRecordCount": job.errors,
            "inputTokenCount": job.input_tokens,
            "outputTokenCount": job.output_tokens,
        }
    put_object(s3, bucket, f"{folder}manifest.json.out", json.dumps(manifest).encode(),
               content_type="application/json")  # fmt: skip


def _end_state(job: BatchJob, halt: str | None) -> tuple[str, str | None]:
    if halt == "Stopped":
        return "Stopped", None
    if halt == "Expired":
        return "Expired", "The job did not finish before its timeout."
    if job.errors == 0:
        return "Completed", None
    if job.succeeded == 0:
        return "Failed", "Every record failed; the output file gives each record's error."
    return "PartiallyCompleted", f"{job.errors} of {job.processed} records failed."
