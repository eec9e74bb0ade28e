"""The client's S3 access: :mod:`claude_bedrock.wire.s3`, failures re-raised as its own.

The wire layer does the work (botocore clients, URIs, streaming, lifecycle rules) for the
client and the emulator alike; these wrappers only turn its neutral exceptions into the
client's (:mod:`._s3_errors`), so batch and log callers catch
:class:`~claude_bedrock.AnthropicError` as before. Generators are wrapped lazily: an error
raised while iterating is translated too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import ParamSpec, TypeVar

from ._s3_errors import (
    S3AccessDeniedError,
    S3BucketNotFoundError,
    S3Error,
    S3ObjectNotFoundError,
    S3URIError,
    client_errors,
)
from .wire import s3 as _wire
from .wire.s3 import (
    MAX_PARTS,
    MIN_PART_SIZE,
    S3Client,
    S3Object,
    expiration_days,
    format_s3_uri,
    resolve_endpoint_url,
)

__all__ = [
    "MAX_PARTS",
    "MIN_PART_SIZE",
    "MultipartWriter",
    "S3AccessDeniedError",
    "S3BucketNotFoundError",
    "S3Client",
    "S3Error",
    "S3Object",
    "S3ObjectNotFoundError",
    "S3URIError",
    "check_bucket",
    "expiration_days",
    "format_s3_uri",
    "get_lifecycle",
    "get_object",
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
]

_P = ParamSpec("_P")
_T = TypeVar("_T")


def _call(fn: Callable[_P, _T]) -> Callable[_P, _T]:
    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        with client_errors():
            return fn(*args, **kwargs)

    return wrapper


def _iterate(fn: Callable[_P, Iterator[_T]]) -> Callable[_P, Iterator[_T]]:
    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Iterator[_T]:
        with client_errors():
            yield from fn(*args, **kwargs)

    return wrapper


s3_client = _call(_wire.s3_client)
parse_s3_uri = _call(_wire.parse_s3_uri)
check_bucket = _call(_wire.check_bucket)
put_object = _call(_wire.put_object)
get_object = _call(_wire.get_object)
head_object = _call(_wire.head_object)
get_lifecycle = _call(_wire.get_lifecycle)
put_lifecycle_expiration = _call(_wire.put_lifecycle_expiration)
list_objects = _iterate(_wire.list_objects)
list_keys = _iterate(_wire.list_keys)
iter_chunks = _iterate(_wire.iter_chunks)
iter_lines = _iterate(_wire.iter_lines)


class MultipartWriter(_wire.MultipartWriter):
    """:class:`claude_bedrock.wire.s3.MultipartWriter` raising the client's S3 errors."""

    def __enter__(self) -> MultipartWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with client_errors():
            super().__exit__(exc_type, exc, tb)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        with client_errors():
            return super().write(data)

    def close(self) -> None:
        with client_errors():
            super().close()

    def abort(self) -> None:
        with client_errors():
            super().abort()
