"""The client's S3 errors: the wire layer's neutral S3 failures as :class:`AnthropicError`\\ s.

:mod:`claude_bedrock.wire.s3` raises plain exceptions (it may not import the client). A user
of batches or invocation logs expects to catch every failure of this package as an
:class:`~claude_bedrock.AnthropicError` (and a malformed ``s3://`` URI as a
:class:`~claude_bedrock.ClientValidationError`), so the client's S3 wrappers
(:mod:`._s3`) re-raise each one as the same-named class defined here: same message, same
attributes, same cause. The wire classes are kept as the second base, so code written
against either hierarchy catches these.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ._exceptions import AnthropicError, ClientValidationError, CredentialsError
from .wire import s3 as _wire


class S3Error(AnthropicError, _wire.S3Error):
    """An S3 request failed; ``code`` is S3's error code when S3 answered."""


class S3BucketNotFoundError(S3Error, _wire.S3BucketNotFoundError):
    """The bucket does not exist (at this endpoint)."""


class S3ObjectNotFoundError(S3Error, _wire.S3ObjectNotFoundError):
    """The object does not exist."""


class S3AccessDeniedError(S3Error, _wire.S3AccessDeniedError):
    """S3 refused: the identity lacks a permission, or its credentials were rejected."""


class S3URIError(ClientValidationError, _wire.S3URIError):
    """A string that should be ``s3://bucket/key`` is not one."""


_S3_CLASSES: dict[type[_wire.S3Error], type[S3Error]] = {
    _wire.S3BucketNotFoundError: S3BucketNotFoundError,
    _wire.S3ObjectNotFoundError: S3ObjectNotFoundError,
    _wire.S3AccessDeniedError: S3AccessDeniedError,
}


_WIRE_ERRORS = (_wire.S3Error, _wire.S3URIError, _wire.S3ParameterError, _wire.S3CredentialsError)


def client_error(exc: Exception) -> AnthropicError | None:
    """The client's exception for a wire S3 failure (None: not one; leave it as it is)."""
    if isinstance(exc, AnthropicError):
        return None  # already the client's
    if isinstance(exc, _wire.S3Error):
        cls = _S3_CLASSES.get(type(exc), S3Error)
        return cls(
            exc.message,
            code=exc.code,
            operation=exc.operation,
            bucket=exc.bucket,
            key=exc.key,
            request_id=exc.request_id,
        )
    if isinstance(exc, _wire.S3URIError):
        return S3URIError(str(exc))
    if isinstance(exc, _wire.S3ParameterError):
        return ClientValidationError(str(exc))
    if isinstance(exc, _wire.S3CredentialsError):
        return CredentialsError(str(exc))
    return None


@contextmanager
def client_errors() -> Iterator[None]:
    """Re-raise the wire's S3 failures inside the block as the client's, cause kept."""
    try:
        yield
    except (
        _wire.S3Error,
        _wire.S3URIError,
        _wire.S3ParameterError,
        _wire.S3CredentialsError,
    ) as exc:
        mapped = client_error(exc)
        if mapped is None:
            raise
        raise mapped.with_traceback(exc.__traceback__) from exc.__cause__


@contextmanager
def s3_errors(operation: str, bucket: str, key: str | None = None) -> Iterator[None]:
    """botocore's errors inside the block as the client's S3 errors (see the wire's)."""
    with client_errors(), _wire.s3_errors(operation, bucket, key):
        yield
