"""The control plane's answers to the batch calls, checked where the client reads them.

``messages.batches`` reads four answers of Bedrock's control plane (botocore's ``bedrock``
service model names their shapes): CreateModelInvocationJob (``jobArn``),
GetModelInvocationJob (the job), ListModelInvocationJobs (summaries, ``nextToken``) and
StopModelInvocationJob (nothing). A 200 whose body is not such an answer (an error document,
a proxy's page, ``[]``, a field of the wrong type) is an
:class:`~claude_bedrock.APIResponseValidationError` here, not a ``KeyError`` or a pydantic
error later in the batch flow. Fields the client does not read pass as sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._body import invalid, json_object, repeated_token
from .._shapes import COUNT_OR_NULL, LIST, TEXT, TEXT_OR_NULL, Check, Shape, problem

if TYPE_CHECKING:
    import httpx

__all__ = ["read_answer"]

#: Timestamps: ISO 8601 text, or epoch seconds (rest-json's default in bodies).
TIME: Check = (lambda v: v is None or isinstance(v, str | int | float), "a timestamp or null")


def _s3_config(member: str) -> Check:
    """``inputDataConfig`` / ``outputDataConfig``: the client reads ``{member}.s3Uri``."""

    def check(value: Any) -> bool:
        if value is None:
            return True
        inner = value.get(member) if isinstance(value, dict) else ()
        return inner is None or (
            isinstance(inner, dict) and isinstance(inner.get("s3Uri"), str | None)
        )

    return check, f"null or an object whose `{member}.s3Uri` is a string"


JOB: Shape = {
    "jobArn": (True, TEXT), "jobName": (False, TEXT_OR_NULL), "modelId": (False, TEXT_OR_NULL),
    "status": (False, TEXT_OR_NULL), "message": (False, TEXT_OR_NULL),
    "submitTime": (False, TIME), "lastModifiedTime": (False, TIME), "endTime": (False, TIME),
    "jobExpirationTime": (False, TIME),
    "inputDataConfig": (False, _s3_config("s3InputDataConfig")),
    "outputDataConfig": (False, _s3_config("s3OutputDataConfig")),
    "totalRecordCount": (False, COUNT_OR_NULL),
    "processedRecordCount": (False, COUNT_OR_NULL), "successRecordCount": (False, COUNT_OR_NULL),
    "errorRecordCount": (False, COUNT_OR_NULL),
}  # fmt: skip
LIST_PAGE: Shape = {"invocationJobSummaries": (False, LIST), "nextToken": (False, TEXT_OR_NULL)}
#: Operation -> (shape of the answer, shape of each item of its list, if it has one).
ANSWERS: dict[str, tuple[Shape, tuple[str, Shape] | None]] = {
    "CreateModelInvocationJob": ({"jobArn": (True, TEXT)}, None),
    "GetModelInvocationJob": (JOB, None),
    "ListModelInvocationJobs": (LIST_PAGE, ("invocationJobSummaries", JOB)),
    "StopModelInvocationJob": ({}, None),
}


def operation_of(method: str, path: str) -> str:
    """The control-plane operation a batch call's method and path name."""
    path = path.split("?", 1)[0]
    if path.startswith("/model-invocation-jobs"):
        return "ListModelInvocationJobs"
    if method == "POST":
        return "StopModelInvocationJob" if path.endswith("/stop") else "CreateModelInvocationJob"
    return "GetModelInvocationJob"


def read_answer(method: str, path: str, response: httpx.Response) -> dict[str, Any]:
    """The JSON object a batch call answered, with the fields the client reads checked."""
    operation = operation_of(method, path)
    data = json_object(response, operation)
    shape, items = ANSWERS[operation]
    found = problem(data, shape)
    if found is None and items is not None:
        key, item_shape = items
        for index, item in enumerate(data.get(key) or []):
            where = f"{key}[{index}]"
            found = (
                problem(item, item_shape, where + ".")
                if isinstance(item, dict)
                else f"`{where}` is not an object"
            )
            if found:
                break
    if found is None and repeated_token(path, data) is not None:
        found = "the nextToken it was sent (the same page again, for ever)"
    if found is not None:
        raise invalid(response, f"{operation} answered with {found}", data)
    return data
