"""A response body read under a cap, without I/O: what a non-streamed answer may hold.

Why: a body is held whole in memory (then parsed twice, JSON and pydantic), so a server
that never ends its body, or a few kilobytes of gzip that inflate to gigabytes, used to cost
several times their size in memory. :class:`BoundedBody` is fed the raw bytes as the driver
reads them (h11's pattern) and refuses, with :class:`ResponseTooLargeError` naming the
option, as soon as they pass ``max_response_bytes``; a ``Content-Length`` over it is
refused before a byte is read.

Encodings: the client asks for ``identity`` unless the caller asked for more (an
``accept-encoding`` in ``default_headers`` or ``extra_headers``); an answer in a coding that
was not asked for is refused (:class:`~claude_bedrock.APIResponseValidationError`), one that
was is decoded as it streams in, each step of the decoder limited to what the cap still
allows (``zlib``'s ``max_length``), so no chunk can inflate past it.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import httpx

from .._exceptions import APIResponseValidationError, ResponseTooLargeError

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "BoundedBody",
    "accepted_codings",
    "bounded_body",
    "check_encoding",
    "max_response_bytes",
]

#: 64 MiB: Bedrock's largest answers (128K output tokens, JSON-escaped, or a long model
#: list) are a few megabytes; this leaves a wide margin and still bounds memory.
DEFAULT_MAX_RESPONSE_BYTES = 64 << 20
#: Codings this client can decode, each a fresh ``zlib`` decompressor.
_DECODERS: dict[str, Callable[[], zlib._Decompress]] = {
    "gzip": lambda: zlib.decompressobj(16 + zlib.MAX_WBITS),
    "x-gzip": lambda: zlib.decompressobj(16 + zlib.MAX_WBITS),
    "deflate": lambda: zlib.decompressobj(),
}


def max_response_bytes(value: int | None) -> int:
    """The cap a client was given (``None``: the default), checked."""
    if value is None:
        return DEFAULT_MAX_RESPONSE_BYTES
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_response_bytes must be a positive number of bytes, got {value!r}")
    return value


def accepted_codings(request: httpx.Request) -> frozenset[str]:
    """The content codings ``request`` asked for (``identity`` always), ``q=0`` left out."""
    codings = {"identity"}
    for item in request.headers.get("accept-encoding", "").split(","):
        name, _, params = item.partition(";")
        q = params.strip().replace(" ", "").lower()
        if name.strip() and q not in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            codings.add(name.strip().lower())
    return frozenset(codings)


def _codings(response: httpx.Response) -> list[str]:
    value = response.headers.get("content-encoding", "")
    return [
        c.strip().lower() for c in value.split(",") if c.strip().lower() not in ("", "identity")
    ]


def check_encoding(response: httpx.Response) -> None:
    """Refuse an answer in a content coding the request did not ask for, or cannot decode."""
    codings = _codings(response)
    if not codings:
        return
    asked = accepted_codings(response.request)
    for coding in codings:
        if coding not in asked:
            raise APIResponseValidationError(
                response,
                message=f"Bedrock answered with Content-Encoding: {coding}, which the client "
                f"did not ask for (Accept-Encoding: {', '.join(sorted(asked))}): refused unread",
            )
        if coding not in _DECODERS:
            raise APIResponseValidationError(
                response,
                message=f"Bedrock answered with Content-Encoding: {coding}, which this client "
                f"cannot decode (it can: identity, {', '.join(sorted(_DECODERS))})",
            )


class BoundedBody:
    """The body of one response, fed raw bytes, decoded and held under ``limit`` bytes."""

    __slots__ = ("_decoders", "_limit", "_parts", "_raw", "_response", "_size")

    def __init__(self, response: httpx.Response, limit: int) -> None:
        """Checks the encoding and the declared length at once (nothing read yet)."""
        check_encoding(response)
        self._response = response
        self._limit = limit
        self._decoders = [_DECODERS[c]() for c in reversed(_codings(response))]
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and not self._decoders and int(declared) > limit:
            raise self._too_large(f"declares Content-Length: {declared}")
        self._parts: list[bytes] = []
        self._size = 0
        self._raw = 0

    def feed(self, raw: bytes) -> None:
        """Take the next raw chunk (as received); raise once the body passes the cap."""
        self._raw += len(raw)
        if self._raw > self._limit:
            raise self._too_large("sent more")
        data = raw
        for decoder in self._decoders:
            data = decoder.decompress(data, self._limit - self._size + 1)
            if decoder.unconsumed_tail:  # stopped at the cap: more is coming out
                raise self._too_large("inflates to more")
        self._keep(data)

    def finish(self) -> bytes:
        """The whole body, once the raw bytes ended; stored on the response as it was read."""
        data = b""
        for decoder in self._decoders:
            data = decoder.decompress(data, self._limit - self._size + 1) + decoder.flush()
        self._keep(data)
        content = b"".join(self._parts)
        self._parts = []
        # What ``httpx.Response.read()`` stores: ``.content``, ``.json()``, ``.text`` read it.
        self._response._content = content
        return content

    def _keep(self, data: bytes) -> None:
        if data:
            self._size += len(data)
            if self._size > self._limit:
                raise self._too_large("sent more")
            self._parts.append(data)

    def _too_large(self, what: str) -> ResponseTooLargeError:
        self._parts = []
        return too_large(self._response, self._limit, what)


def too_large(response: httpx.Response, limit: int, what: str) -> ResponseTooLargeError:
    """The error of an answer over the cap, naming the option that sets it."""
    return ResponseTooLargeError(
        response,
        message=f"the response {what} than max_response_bytes={limit} allows: refused "
        "(raise the client's max_response_bytes= if such an answer is expected)",
    )


def bounded_body(response: httpx.Response, limit: int) -> BoundedBody | None:
    """A :class:`BoundedBody` for an unread response; None for one already read (an
    ``httpx.Response(content=...)`` from a mock), whose size is checked here instead."""
    if hasattr(response, "_content"):
        if len(response._content) > limit:
            raise too_large(response, limit, "holds more")
        return None
    return BoundedBody(response, limit)
