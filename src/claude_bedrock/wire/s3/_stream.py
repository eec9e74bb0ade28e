"""Streaming S3 objects in and out with bounded memory, whatever their size.

Batch inputs and outputs run to millions of JSONL records, so neither direction may hold a
whole object: :class:`MultipartWriter` keeps at most one part in memory and uploads it as
soon as it is full; :func:`iter_lines` reads the body in chunks and yields one line at a
time, resuming with a ranged GET if the connection drops mid-object.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from types import TracebackType
from typing import Any

from ._errors import S3Error, s3_errors

__all__ = [
    "GzipError",
    "MultipartWriter",
    "gunzip",
    "iter_chunks",
    "iter_lines",
    "MIN_PART_SIZE",
    "MAX_PARTS",
]

MIB = 1024 * 1024
#: S3 refuses parts under 5 MiB (except the last); 8 MiB is what the AWS CLI uses.
MIN_PART_SIZE = 8 * MIB
#: S3's limit on parts per upload.
MAX_PARTS = 10_000
#: Every this many parts the part size doubles, so one upload can reach ~496 GiB
#: (2000 parts each of 8, 16, 32, 64 and 128 MiB) while small objects keep 8 MiB parts.
_PARTS_PER_SIZE = 2_000
_RESUME_ATTEMPTS = 5
_GUNZIP_PIECE = MIB


class MultipartWriter:
    """A write-only S3 object: bytes go in with :meth:`write`, the object appears on close.

    Objects smaller than one part are sent with a single PutObject (no multipart overhead);
    larger ones with a multipart upload whose parts are uploaded as they fill. If the ``with``
    block raises, or completing fails, the multipart upload is aborted so no orphan parts
    stay billed, and no object is created. ``gzip=True`` compresses on the fly.

    Memory: one part. Parts are 8 MiB for the first 2000 (objects up to ~16 GiB) and then
    double every 2000 parts, so S3's 10,000-part limit is reached only near 496 GiB.
    """

    def __init__(
        self,
        client: Any,
        bucket: str,
        key: str,
        *,
        part_size: int = MIN_PART_SIZE,
        content_type: str | None = None,
        gzip: bool = False,
    ) -> None:
        if part_size < 5 * MIB:
            raise ValueError(f"part_size must be at least 5 MiB (S3's minimum), got {part_size}")
        self.client = client
        self.bucket = bucket
        self.key = key
        self.bytes_written = 0  # bytes given to write() (before compression)
        self.bytes_uploaded = 0  # bytes sent to S3 (after compression)
        self.etag: str | None = None
        self.closed = False
        self._base_part_size = part_size
        self._extra = {"ContentType": content_type} if content_type else {}
        self._compressor = zlib.compressobj(6, zlib.DEFLATED, 31) if gzip else None
        self._buf = bytearray()
        self._fill = 0
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []

    @property
    def parts_uploaded(self) -> int:
        return len(self._parts)

    def __enter__(self) -> MultipartWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def writable(self) -> bool:
        return not self.closed

    def flush(self) -> None:
        """Nothing to do: data is sent part by part (present so file-like wrappers work)."""

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Append ``data``; uploads every part that fills up. Returns ``len(data)``."""
        if self.closed:
            raise ValueError(f"write to closed MultipartWriter for s3://{self.bucket}/{self.key}")
        size = len(data)
        self.bytes_written += size
        try:
            if self._compressor is not None:
                data = self._compressor.compress(data)
            self._append(memoryview(data).cast("B"))
        except BaseException:
            self.abort()  # a part may be lost: the object can no longer be completed
            raise
        return size

    def close(self) -> None:
        """Send what is buffered and make the object visible (PutObject or Complete)."""
        if self.closed:
            return
        try:
            if self._compressor is not None:
                self._append(memoryview(self._compressor.flush()))
            if self._upload_id is None:
                self._put_single()
            else:
                if self._fill:
                    self._upload_part()
                self._complete()
        except BaseException:
            self.abort()
            raise
        self.closed = True
        self._buf = bytearray()

    def abort(self) -> None:
        """Give up: abort the multipart upload (if any) and drop the buffer. Idempotent."""
        self.closed = True
        self._buf = bytearray()
        upload_id, self._upload_id = self._upload_id, None
        if upload_id is None:
            return
        try:
            with s3_errors("AbortMultipartUpload", self.bucket, self.key):
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=self.key, UploadId=upload_id
                )
        except Exception:  # noqa: S110 - the error that made us abort matters more
            pass  # the uploaded parts stay until a lifecycle rule (or the caller) reaps them

    # -- internals -------------------------------------------------------------------------

    def _part_size(self) -> int:
        return self._base_part_size << min(len(self._parts) // _PARTS_PER_SIZE, 4)

    def _append(self, view: memoryview) -> None:
        while view:
            target = self._part_size()
            if self._fill == 0 and len(self._buf) != target:
                self._buf = bytearray(target)  # allocated only once the previous part is sent
            take = min(target - self._fill, len(view))
            self._buf[self._fill : self._fill + take] = view[:take]
            self._fill += take
            view = view[take:]
            if self._fill == target:
                self._upload_part()

    def _upload_part(self) -> None:
        if self._upload_id is None:
            with s3_errors("CreateMultipartUpload", self.bucket, self.key):
                answer = self.client.create_multipart_upload(
                    Bucket=self.bucket, Key=self.key, **self._extra
                )
            self._upload_id = str(answer["UploadId"])
        number = len(self._parts) + 1
        if number > MAX_PARTS:
            raise S3Error(
                f"s3://{self.bucket}/{self.key} would need more than {MAX_PARTS} parts; "
                "write it as several objects.",
                bucket=self.bucket,
                key=self.key,
            )
        body = self._take_buffer()
        with s3_errors("UploadPart", self.bucket, self.key):
            answer = self.client.upload_part(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self._upload_id,
                PartNumber=number,
                Body=body,
            )
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        self.bytes_uploaded += len(body)

    def _take_buffer(self) -> bytearray:
        """Hand the buffer over without copying it; the next part's is allocated on demand."""
        body, fill = self._buf, self._fill
        self._buf, self._fill = bytearray(), 0
        del body[fill:]  # a short last part shrinks in place
        return body

    def _put_single(self) -> None:
        body = self._take_buffer()
        with s3_errors("PutObject", self.bucket, self.key):
            answer = self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=body, **self._extra
            )
        self.etag = answer.get("ETag")
        self.bytes_uploaded = len(body)

    def _complete(self) -> None:
        with s3_errors("CompleteMultipartUpload", self.bucket, self.key):
            answer = self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        self.etag = answer.get("ETag")
        self._upload_id = None


def iter_chunks(client: Any, bucket: str, key: str, *, chunk_size: int = MIB) -> Iterator[bytes]:
    """The object's bytes in chunks; a dropped connection resumes where it stopped.

    The resumed GET carries ``If-Match`` with the first response's ETag, so an object
    replaced in the meantime fails loudly instead of splicing two versions together.
    """
    import botocore.exceptions as bce

    offset, etag, attempts = 0, None, 0
    while True:
        extra: dict[str, str] = {}
        if etag is not None:
            extra = {"Range": f"bytes={offset}-", "IfMatch": etag}
        with s3_errors("GetObject", bucket, key):
            answer = client.get_object(Bucket=bucket, Key=key, **extra)
        etag = etag or answer.get("ETag")
        body = answer["Body"]
        try:
            for chunk in body.iter_chunks(chunk_size):
                offset += len(chunk)
                yield chunk
            return
        except (bce.ResponseStreamingError, bce.ReadTimeoutError, bce.IncompleteReadError) as exc:
            attempts += 1
            if attempts > _RESUME_ATTEMPTS or etag is None:
                raise S3Error(
                    f"Reading s3://{bucket}/{key} kept failing at byte {offset}: {exc}",
                    operation="GetObject",
                    bucket=bucket,
                    key=key,
                ) from exc
        finally:
            body.close()


def iter_lines(
    client: Any, bucket: str, key: str, *, gzip: bool = False, chunk_size: int = MIB
) -> Iterator[bytes]:
    """The object's lines, without their ``\\n`` (or ``\\r\\n``), streamed chunk by chunk.

    ``gzip=True`` decompresses first (concatenated gzip members included). A final line
    without a newline is still yielded; a trailing newline does not add an empty line.
    """
    chunks = iter_chunks(client, bucket, key, chunk_size=chunk_size)
    if gzip:
        chunks = gunzip(chunks, f"s3://{bucket}/{key}")
    pending: list[bytes] = []
    for chunk in chunks:
        if b"\n" not in chunk:
            pending.append(chunk)
            continue
        lines = chunk.split(b"\n")
        if pending:
            pending.append(lines[0])
            lines[0] = b"".join(pending)
        last = lines.pop()
        pending = [last] if last else []
        for line in lines:
            yield line[:-1] if line.endswith(b"\r") else line
    tail = b"".join(pending)
    if tail:
        yield tail[:-1] if tail.endswith(b"\r") else tail


class GzipError(S3Error):
    """An object that is not valid gzip (``truncated``: it ends mid-stream); ``detail`` is
    zlib's reason, so a caller can word its own report (``logs report`` skips the object)."""

    def __init__(self, message: str, *, truncated: bool, detail: str = "") -> None:
        super().__init__(message)
        self.truncated = truncated
        self.detail = detail


def gunzip(chunks: Iterator[bytes], where: str) -> Iterator[bytes]:
    """Decompress a gzip stream of one or more members (``cat a.gz b.gz`` is valid gzip).

    Output comes in pieces of at most ``_GUNZIP_PIECE`` bytes: JSONL compresses 10-50x, so
    one unbounded ``decompress`` of a 1 MiB chunk could otherwise allocate 50 MiB at once.
    """
    decoder, fed = zlib.decompressobj(31), False
    for chunk in chunks:
        data = chunk
        while True:
            try:
                out = decoder.decompress(data, _GUNZIP_PIECE)
            except zlib.error as exc:
                message = f"{where} is not valid gzip ({exc})."
                raise GzipError(message, truncated=False, detail=str(exc)) from None
            fed = fed or bool(data)
            if out:
                yield out
            if decoder.eof:  # another member may follow in the same object
                data, decoder, fed = decoder.unused_data, zlib.decompressobj(31), False
                if not data:
                    break
                continue
            data = decoder.unconsumed_tail
            if not data and len(out) < _GUNZIP_PIECE:
                break  # input used up and no output held back: fetch the next chunk
    if fed and not decoder.eof:
        message = f"{where} ends in the middle of its gzip stream (truncated object?)."
        raise GzipError(message, truncated=True)
