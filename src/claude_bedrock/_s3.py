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
from typing import ParamSpec, TypeVar

from ._s3_errors import S3AccessDeniedError as S3AccessDeniedError
from ._s3_errors import S3BucketNotFoundError as S3BucketNotFoundError
from ._s3_errors import S3Error as S3Error
from ._s3_errors import S3ObjectNotFoundError as S3ObjectNotFoundError
from ._s3_errors import S3URIError as S3URIError
from ._s3_errors import client_errors
from .wire import s3 as _wire
from .wire.s3 import MAX_PARTS as MAX_PARTS
from .wire.s3 import MIN_PART_SIZE as MIN_PART_SIZE
from .wire.s3 import S3Client as S3Client
from .wire.s3 import S3Object as S3Object
from .wire.s3 import expiration_days as expiration_days
from .wire.s3 import format_s3_uri as format_s3_uri
from .wire.s3 import resolve_endpoint_url as resolve_endpoint_url

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
    """:class:`claude_bedrock.wire.s3.MultipartWriter` raising the client's S3 errors.

    ``__exit__`` needs no wrapper: it calls :meth:`close` or :meth:`abort`, wrapped here.
    """

    def write(self, data: bytes | bytearray | memoryview) -> int:
        with client_errors():
            return super().write(data)

    def close(self) -> None:
        with client_errors():
            super().close()

    def abort(self) -> None:
        with client_errors():
            super().abort()
