"""claude_bedrock._s3 against a real S3 server (SeaweedFS on loopback, see s3server.py)."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import socket
import threading
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from claude_bedrock import _s3
from claude_bedrock._exceptions import ClientValidationError
from s3server import S3Server, SeaweedS3, SeaweedStartError

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def s3(s3_server: S3Server) -> Any:
    """Our own botocore client (the code under test), signed with the server's identity."""
    return _s3.s3_client(
        region=s3_server.region,
        endpoint_url=s3_server.endpoint_url,
        credentials=s3_server.credentials,
    )


def jsonl_lines(total_bytes: int) -> Iterator[bytes]:
    """Deterministic JSONL records of varied length (no newline), about ``total_bytes`` in all."""
    written, i = 0, 0
    while written < total_bytes:
        line = json.dumps({"recordId": f"r{i:08d}", "text": "é" * (i % 700) + str(i)}).encode()
        written += len(line) + 1
        i += 1
        yield line


def write_lines(writer: _s3.MultipartWriter, lines: Iterator[bytes], batch: int) -> None:
    """Write lines in batches of ``batch`` lines, so writes straddle part boundaries."""
    pending: list[bytes] = []
    for line in lines:
        pending.append(line + b"\n")
        if len(pending) == batch:
            writer.write(b"".join(pending))
            pending.clear()
    writer.write(b"".join(pending))


# -- the server itself ------------------------------------------------------------------


def test_server_checks_signatures(s3_server: S3Server, s3_bucket: str) -> None:
    wrong = _s3.s3_client(
        region=s3_server.region,
        endpoint_url=s3_server.endpoint_url,
        credentials=(s3_server.access_key, "not-the-secret", None),
    )
    with pytest.raises(_s3.S3AccessDeniedError, match="rejected the AWS credentials") as info:
        _s3.put_object(wrong, s3_bucket, "k", b"x")
    assert info.value.code == "SignatureDoesNotMatch"
    assert "not-the-secret" not in str(info.value)
    assert s3_server.secret_key not in repr(s3_server)


def test_failed_start_reports_the_log_and_leaves_no_process() -> None:
    weed = SeaweedS3(startup_timeout=0.0)
    with pytest.raises(SeaweedStartError, match=r"not ready after 0 s(.|\n)*weed\.log"):
        weed.start()
    assert weed.pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(weed.pid, 0)  # killed and reaped: no orphan
    assert not weed.base_dir.exists()


def test_fresh_bucket_exists_and_is_empty(s3: Any, s3_bucket: str, s3_server: S3Server) -> None:
    _s3.check_bucket(s3, s3_bucket)
    assert list(_s3.list_keys(s3, s3_bucket)) == []
    assert s3_server.create_bucket() != s3_bucket


# -- writing ----------------------------------------------------------------------------


def test_small_object_is_a_single_put(s3: Any, s3_bucket: str) -> None:
    with _s3.MultipartWriter(s3, s3_bucket, "small.jsonl", content_type="application/jsonl") as w:
        w.write(b'{"a": 1}\n')
        w.write(b'{"b": 2}\n')
    assert w.parts_uploaded == 0
    assert w.etag is not None and "-" not in w.etag  # multipart ETags end in -<parts>
    assert _s3.get_object(s3, s3_bucket, "small.jsonl") == b'{"a": 1}\n{"b": 2}\n'
    assert list(_s3.iter_lines(s3, s3_bucket, "small.jsonl")) == [b'{"a": 1}', b'{"b": 2}']
    head = s3.head_object(Bucket=s3_bucket, Key="small.jsonl")
    assert head["ContentType"] == "application/jsonl"


def test_empty_writer_creates_an_empty_object(s3: Any, s3_bucket: str) -> None:
    with _s3.MultipartWriter(s3, s3_bucket, "empty.jsonl"):
        pass
    assert _s3.get_object(s3, s3_bucket, "empty.jsonl") == b""
    assert list(_s3.iter_lines(s3, s3_bucket, "empty.jsonl")) == []


def test_multipart_20_mib_round_trips_line_by_line(s3: Any, s3_bucket: str) -> None:
    with _s3.MultipartWriter(s3, s3_bucket, "in/big.jsonl") as w:
        write_lines(w, jsonl_lines(20 * MIB), batch=997)
    assert w.parts_uploaded == 3  # 8 + 8 + ~4 MiB
    assert w.etag is not None and w.etag.strip('"').endswith("-3")
    head = _s3.head_object(s3, s3_bucket, "in/big.jsonl")
    assert head is not None and head.size == w.bytes_written
    read = _s3.iter_lines(s3, s3_bucket, "in/big.jsonl", chunk_size=64 * 1024 + 7)
    count = 0
    for got, want in zip(read, jsonl_lines(20 * MIB), strict=True):
        assert got == want
        count += 1
    assert count > 5_000


def test_single_huge_write_is_split_into_parts(s3: Any, s3_bucket: str) -> None:
    data = os.urandom(17 * MIB + 5)
    with _s3.MultipartWriter(s3, s3_bucket, "blob.bin") as w:
        w.write(data)
    assert w.parts_uploaded == 3
    assert _s3.get_object(s3, s3_bucket, "blob.bin") == data


def test_error_in_block_aborts_and_creates_nothing(s3: Any, s3_bucket: str) -> None:
    with pytest.raises(RuntimeError, match="producer failed"):  # noqa: SIM117
        with _s3.MultipartWriter(s3, s3_bucket, "partial.jsonl") as w:
            w.write(b"x" * (9 * MIB))  # one part already uploaded
            assert w.parts_uploaded == 1
            raise RuntimeError("producer failed")
    assert _s3.head_object(s3, s3_bucket, "partial.jsonl") is None
    assert s3.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []
    with pytest.raises(ValueError, match="closed"):
        w.write(b"more")


def test_writer_rejects_parts_below_s3_minimum(s3: Any, s3_bucket: str) -> None:
    with pytest.raises(ValueError, match="5 MiB"):
        _s3.MultipartWriter(s3, s3_bucket, "k", part_size=MIB)


def test_writer_memory_stays_under_three_parts(s3: Any, s3_bucket: str) -> None:
    line = json.dumps({"recordId": "r", "modelInput": {"text": "y" * 4000}}).encode() + b"\n"
    tracemalloc.start()
    try:
        with _s3.MultipartWriter(s3, s3_bucket, "mem.jsonl") as w:
            while w.bytes_written < 50 * MIB:
                w.write(line)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert w.parts_uploaded == 7
    assert peak < 3 * _s3.MIN_PART_SIZE, f"peak {peak / MIB:.1f} MiB"


# -- reading ----------------------------------------------------------------------------


def test_iter_lines_streams_without_loading_the_object(s3: Any, s3_bucket: str) -> None:
    with _s3.MultipartWriter(s3, s3_bucket, "stream.jsonl") as w:
        write_lines(w, jsonl_lines(16 * MIB), batch=500)
    tracemalloc.start()
    try:
        count = sum(1 for _ in _s3.iter_lines(s3, s3_bucket, "stream.jsonl"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == sum(1 for _ in jsonl_lines(16 * MIB))
    assert peak < 6 * MIB, f"peak {peak / MIB:.1f} MiB for a 16 MiB object"


def test_line_endings(s3: Any, s3_bucket: str) -> None:
    _s3.put_object(s3, s3_bucket, "crlf.txt", b"a\r\nb\n\nc")
    assert list(_s3.iter_lines(s3, s3_bucket, "crlf.txt", chunk_size=1)) == [b"a", b"b", b"", b"c"]


def test_gzip_lines_round_trip(s3: Any, s3_bucket: str) -> None:
    lines = [json.dumps({"i": i, "t": "z" * (i % 90)}).encode() for i in range(5000)]
    with _s3.MultipartWriter(s3, s3_bucket, "logs/a.json.gz", gzip=True) as w:
        for line in lines:
            w.write(line + b"\n")
    assert w.bytes_uploaded < w.bytes_written
    raw = _s3.get_object(s3, s3_bucket, "logs/a.json.gz")
    assert gzip.decompress(raw).splitlines() == lines  # standard gzip, readable by any tool
    assert list(_s3.iter_lines(s3, s3_bucket, "logs/a.json.gz", gzip=True)) == lines


def test_gzip_multipart_and_concatenated_members(s3: Any, s3_bucket: str) -> None:
    lines = [os.urandom(2000).hex().encode() for _ in range(3000)]  # 12 MiB, gzips to ~6.5
    with _s3.MultipartWriter(s3, s3_bucket, "big.jsonl.gz", gzip=True, part_size=5 * MIB) as w:
        for line in lines:
            w.write(line + b"\n")
    assert w.parts_uploaded == 2
    assert list(_s3.iter_lines(s3, s3_bucket, "big.jsonl.gz", gzip=True)) == lines
    two = gzip.compress(b"one\ntwo\n") + gzip.compress(b"three\n")
    _s3.put_object(s3, s3_bucket, "two.gz", two)
    assert list(_s3.iter_lines(s3, s3_bucket, "two.gz", gzip=True)) == [b"one", b"two", b"three"]


def test_gzip_read_memory_is_bounded_for_highly_compressible_data(s3: Any, s3_bucket: str) -> None:
    line = json.dumps({"schemaType": "ModelInvocationLog", "pad": "a" * 2000}).encode() + b"\n"
    with _s3.MultipartWriter(s3, s3_bucket, "zeros.json.gz", gzip=True) as w:
        for _ in range(20_000):  # 40 MiB of text, ~100 KiB compressed
            w.write(line)
    assert w.bytes_uploaded < MIB < w.bytes_written
    tracemalloc.start()
    try:
        count = sum(1 for _ in _s3.iter_lines(s3, s3_bucket, "zeros.json.gz", gzip=True))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert peak < 6 * MIB, f"peak {peak / MIB:.1f} MiB"


def test_truncated_gzip_is_an_error(s3: Any, s3_bucket: str) -> None:
    _s3.put_object(s3, s3_bucket, "cut.gz", gzip.compress(b"x\n" * 10_000)[:-20])
    with pytest.raises(_s3.S3Error, match="truncated"):
        list(_s3.iter_lines(s3, s3_bucket, "cut.gz", gzip=True))
    _s3.put_object(s3, s3_bucket, "plain.txt", b"not gzip at all\n")
    with pytest.raises(_s3.S3Error, match="not valid gzip"):
        list(_s3.iter_lines(s3, s3_bucket, "plain.txt", gzip=True))


class CuttingProxy:
    """A loopback TCP proxy that drops the connection once, after ``cut_after`` bytes back."""

    def __init__(self, upstream_port: int, cut_after: int) -> None:
        self.upstream_port = upstream_port
        self.cut_after = cut_after
        self.cuts = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, downstream: bool) -> None:
        sent = 0
        try:
            while data := src.recv(65536):
                if downstream and self.cuts == 0 and sent + len(data) > self.cut_after:
                    self.cuts += 1
                    dst.sendall(data[: self.cut_after - sent])
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for sock in (src, dst):  # shutdown first: close() alone does not wake the other pump
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self.listener.close()


def test_dropped_connection_resumes_where_it_stopped(
    s3_server: S3Server, s3: Any, s3_bucket: str
) -> None:
    with _s3.MultipartWriter(s3, s3_bucket, "resume.jsonl") as w:
        write_lines(w, jsonl_lines(10 * MIB), batch=300)
    port = int(s3_server.endpoint_url.rsplit(":", 1)[1])
    proxy = CuttingProxy(port, cut_after=3 * MIB + 123)
    try:
        via_proxy = _s3.s3_client(
            region=s3_server.region,
            endpoint_url=f"http://127.0.0.1:{proxy.port}",
            credentials=s3_server.credentials,
        )
        got = list(_s3.iter_lines(via_proxy, s3_bucket, "resume.jsonl"))
    finally:
        proxy.close()
    assert proxy.cuts == 1
    assert got == list(jsonl_lines(10 * MIB))


# -- listing ----------------------------------------------------------------------------


def test_listing_follows_pages(s3: Any, s3_bucket: str) -> None:
    keys = [f"logs/2025/{i:03d}.json.gz" for i in range(23)]
    for key in keys:
        _s3.put_object(s3, s3_bucket, key, key.encode())
    _s3.put_object(s3, s3_bucket, "other/x", b"x")
    calls: list[str] = []
    s3.meta.events.register("after-call.s3.ListObjectsV2", lambda **kw: calls.append("page"))
    try:
        assert list(_s3.list_keys(s3, s3_bucket, "logs/", page_size=5)) == keys
        assert len(calls) == 5  # 23 keys, 5 per page
        objects = list(_s3.list_objects(s3, s3_bucket, "logs/", page_size=5))
    finally:
        s3.meta.events.unregister("after-call.s3.ListObjectsV2")
    assert [o.size for o in objects] == [len(k) for k in keys]
    assert all(o.last_modified is not None for o in objects)
    assert len(list(_s3.list_keys(s3, s3_bucket))) == 24


# -- lifecycle --------------------------------------------------------------------------


def test_lifecycle_expiration_round_trip(s3: Any, s3_bucket: str) -> None:
    assert _s3.get_lifecycle(s3, s3_bucket) == []
    rule = _s3.put_lifecycle_expiration(s3, s3_bucket, "AWSLogs/", 30)
    rules = _s3.get_lifecycle(s3, s3_bucket)
    assert [(r["ID"], r["Expiration"]["Days"], r["Status"]) for r in rules] == [
        (rule["ID"], 30, "Enabled")
    ]
    assert _s3.expiration_days(rules, "AWSLogs/123/BedrockModelInvocationLogs/") == 30
    assert _s3.expiration_days(rules, "batch/") is None
    # Another prefix's rule is added beside it; the same prefix's rule is replaced, not doubled.
    _s3.put_lifecycle_expiration(s3, s3_bucket, "tmp/", 1)
    _s3.put_lifecycle_expiration(s3, s3_bucket, "AWSLogs/", 45)
    rules = _s3.get_lifecycle(s3, s3_bucket)
    assert sorted((r["Filter"]["Prefix"], r["Expiration"]["Days"]) for r in rules) == [
        ("AWSLogs/", 45),
        ("tmp/", 1),
    ]
    assert _s3.expiration_days(rules, "AWSLogs/x") == 45


def test_lifecycle_rejects_nonsense_days(s3: Any, s3_bucket: str) -> None:
    for days in (0, -3, True):
        with pytest.raises(ClientValidationError, match="days"):
            _s3.put_lifecycle_expiration(s3, s3_bucket, "p/", days)


# -- errors -----------------------------------------------------------------------------


def test_missing_bucket_errors_say_what_to_do(s3: Any) -> None:
    missing = "no-such-bucket-for-claude-bedrock"
    calls = [
        lambda: _s3.get_object(s3, missing, "k"),
        lambda: _s3.put_object(s3, missing, "k", b"x"),
        lambda: list(_s3.list_keys(s3, missing)),
        lambda: _s3.check_bucket(s3, missing),
        lambda: _s3.put_lifecycle_expiration(s3, missing, "p/", 30),
    ]
    for call in calls:
        with pytest.raises(_s3.S3BucketNotFoundError, match="aws s3 mb s3://no-such-bucket") as e:
            call()
        assert e.value.bucket == missing
    with pytest.raises(_s3.S3BucketNotFoundError):  # noqa: SIM117
        with _s3.MultipartWriter(s3, missing, "k") as w:
            w.write(b"x" * (9 * MIB))


def test_access_denied_names_the_missing_permission(
    s3_server: S3Server, s3: Any, s3_bucket: str
) -> None:
    reader = _s3.s3_client(
        region=s3_server.region,
        endpoint_url=s3_server.endpoint_url,
        credentials=s3_server.reader_credentials,
    )
    _s3.put_object(s3, s3_bucket, "readable.txt", b"ok")
    assert _s3.get_object(reader, s3_bucket, "readable.txt") == b"ok"
    with pytest.raises(_s3.S3AccessDeniedError, match="needs s3:PutObject") as e:
        _s3.put_object(reader, s3_bucket, "w.txt", b"x")
    assert e.value.code == "AccessDenied"
    with pytest.raises(_s3.S3AccessDeniedError, match="s3:PutObject"):  # noqa: SIM117
        with _s3.MultipartWriter(reader, s3_bucket, "w.jsonl") as w:
            w.write(b"x" * (9 * MIB))


def test_missing_key(s3: Any, s3_bucket: str) -> None:
    with pytest.raises(_s3.S3ObjectNotFoundError, match="does not exist") as e:
        list(_s3.iter_lines(s3, s3_bucket, "nope.jsonl"))
    assert e.value.code == "NoSuchKey"
    assert _s3.head_object(s3, s3_bucket, "nope.jsonl") is None


# -- URIs and endpoints -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("s3://my-bucket/prefix/key.jsonl", ("my-bucket", "prefix/key.jsonl")),
        ("s3://my-bucket/out/", ("my-bucket", "out/")),
        ("s3://my.bucket.1", ("my.bucket.1", "")),
        ("S3://abc/k", ("abc", "k")),
    ],
)
def test_parse_s3_uri(uri: str, expected: tuple[str, str]) -> None:
    assert _s3.parse_s3_uri(uri) == expected


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("my-bucket/key", "did you mean s3://my-bucket/key"),
        ("arn:aws:s3:::my-bucket/k", "write s3://my-bucket/k"),
        ("https://my-bucket.s3.amazonaws.com/k", "Expected an S3 URI"),
        ("s3:///key", "empty"),
        ("s3://ab/k", "3 to 63"),
        ("s3://My_Bucket/k", "lowercase"),
        ("s3://192.168.1.1/k", "IP address"),
        ("s3://abc/" + "k" * 1025, "1024-byte"),
    ],
)
def test_parse_s3_uri_errors(uri: str, message: str) -> None:
    with pytest.raises(_s3.S3URIError, match=message):
        _s3.parse_s3_uri(uri)


def test_endpoint_from_environment(
    s3_server: S3Server, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # e.g. the Bedrock emulator
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.endpoint_url)
    monkeypatch.delenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", raising=False)
    assert _s3.resolve_endpoint_url() == s3_server.endpoint_url
    assert _s3.resolve_endpoint_url("http://127.0.0.1:1") == "http://127.0.0.1:1"
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    client = _s3.s3_client(region=s3_server.region)  # keys from the default chain (env)
    assert client.meta.config.s3["addressing_style"] == "path"
    _s3.put_object(client, s3_bucket, "env.txt", b"via env")
    assert _s3.get_object(client, s3_bucket, "env.txt") == b"via env"
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    assert _s3.resolve_endpoint_url() is None


def test_aws_endpoints_keep_virtual_hosting() -> None:
    aws = _s3.s3_client(
        region="eu-west-3",
        endpoint_url="https://s3.eu-west-3.amazonaws.com",
        credentials=("AKIAEXAMPLE", "secret", None),
    )
    assert aws.meta.config.s3["addressing_style"] == "auto"
    assert aws.meta.region_name == "eu-west-3"


def test_wire_errors_are_neutral_and_the_client_wraps_them(
    s3_server: S3Server, s3_bucket: str
) -> None:
    """The wire layer raises plain exceptions; the client's wrappers re-raise them as
    AnthropicError subclasses with the same message, code and cause (S3 answered both)."""
    from claude_bedrock import AnthropicError, ClientValidationError
    from claude_bedrock.wire import s3 as wire_s3

    wire_client = wire_s3.s3_client(
        region=s3_server.region,
        endpoint_url=s3_server.endpoint_url,
        credentials=s3_server.credentials,
    )
    with pytest.raises(wire_s3.S3ObjectNotFoundError) as neutral:
        wire_s3.get_object(wire_client, s3_bucket, "missing.jsonl")
    assert not isinstance(neutral.value, AnthropicError)
    with pytest.raises(_s3.S3ObjectNotFoundError) as wrapped:
        _s3.get_object(wire_client, s3_bucket, "missing.jsonl")
    assert isinstance(wrapped.value, AnthropicError)
    assert isinstance(wrapped.value, wire_s3.S3ObjectNotFoundError)  # either hierarchy catches
    assert str(wrapped.value) == str(neutral.value)
    assert wrapped.value.code == neutral.value.code
    from botocore.exceptions import ClientError

    assert isinstance(wrapped.value.__cause__, ClientError)  # botocore's error, kept
    with pytest.raises(wire_s3.S3URIError) as bad_uri:
        wire_s3.parse_s3_uri("bucket/key")
    assert not isinstance(bad_uri.value, AnthropicError)
    with pytest.raises(ClientValidationError):
        _s3.parse_s3_uri("bucket/key")
    with pytest.raises(ClientValidationError, match="whole number of days"):
        _s3.put_lifecycle_expiration(wire_client, s3_bucket, "logs/", 0)
