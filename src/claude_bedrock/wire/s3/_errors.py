"""S3 failures as exceptions that say what went wrong *and what to do about it*.

Neutral: these subclass :class:`Exception` only, so the wire layer stays free of the
client. The client re-raises them as its own :class:`~claude_bedrock.AnthropicError`
subclasses (``claude_bedrock._s3_errors``) where it calls S3; the emulator catches them as
they are.

botocore reports S3 errors as one ``ClientError`` class carrying a code string; callers of
batch inference or invocation logging should not have to know S3's code vocabulary to
tell "the bucket does not exist" from "your role may not write there". Only the code and
S3's message are kept: S3's ``SignatureDoesNotMatch`` body echoes the string-to-sign and the
signature, so the raw error response is never copied into a message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = [
    "S3Error",
    "S3BucketNotFoundError",
    "S3ObjectNotFoundError",
    "S3AccessDeniedError",
    "S3URIError",
    "S3CredentialsError",
    "S3ParameterError",
    "s3_errors",
]


class S3Error(Exception):
    """An S3 request failed; ``code`` is S3's error code when S3 answered."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        operation: str | None = None,
        bucket: str | None = None,
        key: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.request_id = request_id


class S3BucketNotFoundError(S3Error):
    """The bucket does not exist (at this endpoint)."""


class S3ObjectNotFoundError(S3Error):
    """The object does not exist."""


class S3AccessDeniedError(S3Error):
    """S3 refused: the identity lacks a permission, or its credentials were rejected."""


class S3URIError(ValueError):
    """A string that should be ``s3://bucket/key`` is not one."""


class S3ParameterError(ValueError):
    """An argument S3 would refuse (e.g. a lifecycle expiration under one day)."""


class S3CredentialsError(Exception):
    """No AWS credentials were found for an S3 call."""


# The IAM action each operation needs, to name it in AccessDenied messages.
_ACTIONS = {
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "ListObjectsV2": "s3:ListBucket",
    "HeadBucket": "s3:ListBucket",
    "DeleteObject": "s3:DeleteObject",
    "DeleteObjects": "s3:DeleteObject",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
}
_BAD_CREDENTIALS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
}
_WRONG_REGION = {"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraint"}


def _where(bucket: str, key: str | None) -> str:
    return f"s3://{bucket}/{key}" if key else f"s3://{bucket}"


@contextmanager
def s3_errors(operation: str, bucket: str, key: str | None = None) -> Iterator[None]:
    """Turn botocore's errors raised inside the block into :class:`S3Error` subclasses."""
    import botocore.exceptions as bce

    try:
        yield
    except bce.ClientError as exc:
        raise _from_client_error(exc, operation, bucket, key) from exc
    except bce.NoCredentialsError:
        raise S3CredentialsError(
            f"No AWS credentials for S3 ({operation} on {_where(bucket, key)}). Set "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, configure a profile "
            "(`aws configure`), or pass credentials explicitly."
        ) from None
    except (bce.EndpointConnectionError, bce.HTTPClientError) as exc:
        raise S3Error(
            f"The connection to S3 failed during {operation} on {_where(bucket, key)}: {exc}. "
            "Check the network and, if you use a custom endpoint, AWS_ENDPOINT_URL_S3.",
            operation=operation,
            bucket=bucket,
            key=key,
        ) from exc


def _from_client_error(exc: object, operation: str, bucket: str, key: str | None) -> S3Error:
    response = getattr(exc, "response", {}) or {}
    error = response.get("Error", {}) or {}
    code = str(error.get("Code") or "Unknown")
    s3_message = str(error.get("Message") or "").strip()
    request_id = (response.get("ResponseMetadata") or {}).get("RequestId")
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    where = _where(bucket, key)
    kwargs = {
        "code": code,
        "operation": operation,
        "bucket": bucket,
        "key": key,
        "request_id": request_id,
    }
    if code == "NoSuchBucket" or (code == "404" and operation == "HeadBucket"):
        return S3BucketNotFoundError(
            f"S3 bucket {bucket!r} does not exist ({operation}). Create it first "
            f"(`aws s3 mb s3://{bucket}`), or check the bucket name, region and endpoint.",
            **kwargs,
        )
    if code in {"NoSuchKey", "NotFound"} or (code == "404" and key is not None):
        return S3ObjectNotFoundError(
            f"{where} does not exist (or its bucket does not). Check the key "
            f"(`aws s3 ls s3://{bucket}/`).",
            **kwargs,
        )
    if code in _BAD_CREDENTIALS:
        return S3AccessDeniedError(
            f"S3 rejected the AWS credentials ({code}) for {operation} on {where}. Check the "
            "access key and secret, or renew temporary credentials (`aws sso login`).",
            **kwargs,
        )
    if code in {"AccessDenied", "AllAccessDisabled", "403"} or status == 403:
        action = _ACTIONS.get(operation, f"the permission for {operation}")
        return S3AccessDeniedError(
            f"Access denied: {operation} on {where}. The identity in use needs {action} on "
            f"arn:aws:s3:::{bucket}{'/*' if key is not None else ''}; check its IAM policy "
            "and the bucket policy (and the KMS key policy if the bucket uses SSE-KMS).",
            **kwargs,
        )
    if code in _WRONG_REGION or status == 301:
        return S3Error(
            f"S3 bucket {bucket!r} is in another region than the client's ({code}). Pass the "
            "bucket's region (`aws s3api get-bucket-location --bucket "
            f"{bucket}`).",
            **kwargs,
        )
    if code == "PreconditionFailed":
        return S3Error(
            f"{where} changed while it was being read (its ETag no longer matches); "
            "read it again from the start.",
            **kwargs,
        )
    detail = f": {s3_message}" if s3_message else ""
    return S3Error(f"S3 {operation} on {where} failed ({code}){detail}", **kwargs)
