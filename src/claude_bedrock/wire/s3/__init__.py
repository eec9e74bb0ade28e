"""S3 access shared by the client (batch input/output, reading invocation logs) and the
emulator (writing invocation logs and batch outputs).

Neutral like the rest of :mod:`claude_bedrock.wire`: failures are the plain exceptions of
:mod:`._errors`. The client wraps these functions (``claude_bedrock._s3``) so that its
callers see :class:`~claude_bedrock.AnthropicError` subclasses; the emulator uses them
directly.
"""

from __future__ import annotations

from ._errors import (
    S3AccessDeniedError,
    S3BucketNotFoundError,
    S3CredentialsError,
    S3Error,
    S3ObjectNotFoundError,
    S3ParameterError,
    S3URIError,
    s3_errors,
)
from ._objects import (
    S3Client,
    S3Object,
    check_bucket,
    expiration_days,
    format_s3_uri,
    get_lifecycle,
    get_object,
    head_object,
    list_keys,
    list_objects,
    parse_s3_uri,
    put_lifecycle_expiration,
    put_object,
    resolve_endpoint_url,
    s3_client,
)
from ._stream import (
    MAX_PARTS,
    MIN_PART_SIZE,
    GzipError,
    MultipartWriter,
    gunzip,
    iter_chunks,
    iter_lines,
)

__all__ = [
    "MAX_PARTS",
    "MIN_PART_SIZE",
    "GzipError",
    "MultipartWriter",
    "S3AccessDeniedError",
    "S3BucketNotFoundError",
    "S3Client",
    "S3CredentialsError",
    "S3Error",
    "S3Object",
    "S3ObjectNotFoundError",
    "S3ParameterError",
    "S3URIError",
    "check_bucket",
    "expiration_days",
    "format_s3_uri",
    "get_lifecycle",
    "get_object",
    "gunzip",
    "head_object",
    "iter_chunks",
    "iter_lines",
    "list_keys",
    "list_objects",
    "parse_s3_uri",
    "put_lifecycle_expiration",
    "put_object",
    "resolve_endpoint_url",
    "s3_client",
    "s3_errors",
]
