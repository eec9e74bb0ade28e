"""Typed Message Batches objects, shaped like the Anthropic SDK's, over Bedrock batch jobs.

A :class:`MessageBatch` is one batch of ours: one or more Bedrock model invocation jobs
(Bedrock takes one model per job and caps records per job, so a large or multi-model batch
becomes several jobs). Its Anthropic fields (``processing_status``, ``request_counts``...)
are derived from the jobs; ``bedrock_status`` and ``jobs`` keep what Bedrock said.

Unlike Anthropic's, ``request_counts`` fills in while the batch runs (Bedrock reports
succeeded and errored records live), and ``processed`` / ``total`` give the progress.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import pydantic

from ._base import BaseModel
from .message import Message

__all__ = [
    "BATCH_ACTIVE_STATUSES",
    "BATCH_ENDED_STATUSES",
    "BatchCostEstimate",
    "BedrockBatchJob",
    "BedrockJobStatus",
    "ErrorObject",
    "ErrorResponse",
    "MessageBatch",
    "MessageBatchCanceledResult",
    "MessageBatchErroredResult",
    "MessageBatchExpiredResult",
    "MessageBatchIndividualResponse",
    "MessageBatchRequestCounts",
    "MessageBatchResult",
    "MessageBatchSucceededResult",
]

#: Bedrock's ``ModelInvocationJobStatus`` values (botocore's ``bedrock`` service model).
BedrockJobStatus = Literal[
    "Submitted", "Validating", "Scheduled", "InProgress", "Stopping",
    "Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired",
]  # fmt: skip
BATCH_ACTIVE_STATUSES: frozenset[str] = frozenset(
    {"Submitted", "Validating", "Scheduled", "InProgress", "Stopping"}
)
BATCH_ENDED_STATUSES: frozenset[str] = frozenset(
    {"Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"}
)


class MessageBatchRequestCounts(BaseModel):
    """Requests by state; the sum is always the batch's number of requests."""

    processing: int = 0
    succeeded: int = 0
    errored: int = 0
    canceled: int = 0
    expired: int = 0


class BedrockBatchJob(BaseModel):
    """One Bedrock model invocation job of a batch, as GetModelInvocationJob describes it."""

    job_arn: str
    job_name: str | None = None
    model_id: str
    status: str
    message: str | None = None
    submit_time: datetime | None = None
    last_modified_time: datetime | None = None
    end_time: datetime | None = None
    job_expiration_time: datetime | None = None
    input_s3_uri: str | None = None
    output_s3_uri: str | None = None
    #: Records this client wrote to the job's input (known without asking Bedrock).
    records: int | None = None
    total_record_count: int | None = None
    processed_record_count: int | None = None
    success_record_count: int | None = None
    error_record_count: int | None = None

    @property
    def job_id(self) -> str:
        """The last part of the ARN: Bedrock names the job's output folder after it."""
        return self.job_arn.rsplit("/", 1)[-1]


class MessageBatch(BaseModel):
    """A batch of Messages requests running as Bedrock batch inference."""

    id: str
    type: Literal["message_batch"] = "message_batch"
    processing_status: Literal["in_progress", "canceling", "ended"]
    request_counts: MessageBatchRequestCounts
    created_at: datetime
    ended_at: datetime | None = None
    expires_at: datetime | None = None
    cancel_initiated_at: datetime | None = None
    archived_at: datetime | None = None
    #: Where the outputs are (an ``s3://`` folder), once processing has ended.
    results_url: str | None = None
    #: Bedrock's status, summed up over the jobs (the least advanced active one, else the
    #: worst ending: Failed, Stopped, Expired, PartiallyCompleted, Completed).
    bedrock_status: str
    total: int = 0
    processed: int = 0
    name: str | None = None
    jobs: list[BedrockBatchJob] = pydantic.Field(default_factory=list)


class ErrorObject(BaseModel):
    """Anthropic's error object; ``bedrock_error_code`` is the batch output's ``errorCode``."""

    type: str
    message: str
    bedrock_error_code: int | None = None


class ErrorResponse(BaseModel):
    type: Literal["error"] = "error"
    error: ErrorObject
    request_id: str | None = None


class MessageBatchSucceededResult(BaseModel):
    type: Literal["succeeded"] = "succeeded"
    message: Message


class MessageBatchErroredResult(BaseModel):
    type: Literal["errored"] = "errored"
    error: ErrorResponse


class MessageBatchCanceledResult(BaseModel):
    type: Literal["canceled"] = "canceled"


class MessageBatchExpiredResult(BaseModel):
    type: Literal["expired"] = "expired"


MessageBatchResult = Annotated[
    MessageBatchSucceededResult
    | MessageBatchErroredResult
    | MessageBatchCanceledResult
    | MessageBatchExpiredResult,
    pydantic.Field(discriminator="type"),
]


class MessageBatchIndividualResponse(BaseModel):
    """One request's result: one per input request, in input order."""

    custom_id: str
    result: MessageBatchResult
    # Not serialised: ``messages.create_many``'s timing of the call (None from a batch).
    _elapsed: float | None = pydantic.PrivateAttr(default=None)
    _queued: float | None = pydantic.PrivateAttr(default=None)

    @property
    def elapsed(self) -> float | None:
        """Seconds from the call's first attempt to its result, retries and their waits
        included (``messages.create_many``; None for a batch's results)."""
        return self._elapsed

    @property
    def queued(self) -> float | None:
        """Seconds the call waited for the adaptive limiter before its first attempt."""
        return self._queued


class BatchCostEstimate(BaseModel):
    """What a batch would cost at batch prices (half the on-demand price), before sending.

    ``input_tokens`` is estimated from the text (about 3.5 characters a token, images at
    ~1,600 tokens); ``output_tokens`` is the sum of ``max_tokens``, so ``usd`` is an upper
    bound on output and an estimate on input. Requests of unknown models are not priced.
    """

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0
    unpriced: int = 0
    by_model: dict[str, float] = pydantic.Field(default_factory=dict)
