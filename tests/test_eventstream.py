"""Tests for the AWS event-stream codec.

Ground truth comes from outside our code: AWS's published test vectors (aws-sdk-js-v3
eventstream-marshaller fixtures), botocore's reference decoder ``EventStreamBuffer``, and
botocore's real Bedrock parser driven by the bedrock-runtime service model. Frames used
to probe the decoder's error paths are built here by hand with struct + zlib, so a bug
shared by our encoder and decoder cannot hide itself.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import signal
import struct
import tracemalloc
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import botocore.session
import pytest
from botocore.eventstream import EventStream, EventStreamBuffer
from botocore.exceptions import EventStreamError as BotocoreEventStreamError
from botocore.parsers import EventStreamJSONParser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_bedrock.wire.eventstream import (
    MAX_HEADERS_LENGTH,
    MAX_PAYLOAD_LENGTH,
    Byte,
    ChecksumMismatch,
    Decoder,
    EventStreamError,
    HeaderValue,
    Integer,
    InvalidFrame,
    Long,
    Message,
    Short,
    TruncatedFrame,
    aiter_messages,
    encode_event,
    encode_exception,
    encode_message,
    iter_messages,
)


class _Hang(BaseException):
    """BaseException so hypothesis does not catch it and replay (and re-hang) the example."""


def _on_alarm(signum: int, frame: object) -> None:
    raise _Hang(f"no progress for {HANG_SECONDS} s: the decoder is stuck in a loop")


HANG_SECONDS = 120


@pytest.fixture(autouse=True)
def _hang_guard() -> Iterator[None]:
    """A hang must fail loudly (with the stuck stack), not block the suite forever."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(HANG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# ----------------------------------------------------------------------------- helpers


def raw_frame(
    header_block: bytes,
    payload: bytes,
    *,
    total: int | None = None,
    headers_length: int | None = None,
    message_crc: int | None = None,
) -> bytes:
    """A frame built independently of our encoder; lengths may lie, CRCs stay valid."""
    total = 16 + len(header_block) + len(payload) if total is None else total
    headers_length = len(header_block) if headers_length is None else headers_length
    head = struct.pack(">II", total, headers_length)
    head += struct.pack(">I", zlib.crc32(head))
    body = head + header_block + payload
    crc = zlib.crc32(body) if message_crc is None else message_crc
    return body + struct.pack(">I", crc)


def header(name: bytes, type_code: int, value: bytes) -> bytes:
    return bytes([len(name)]) + name + bytes([type_code]) + value


def decode_all(data: bytes, cuts: list[int] | None = None) -> list[Message]:
    """Feed ``data`` split at ``cuts`` (offsets), then close."""
    bounds = [0, *sorted(c % (len(data) + 1) for c in cuts or []), len(data)]
    return list(iter_messages(data[a:b] for a, b in zip(bounds, bounds[1:], strict=False)))


def expected_value(value: HeaderValue) -> HeaderValue:
    """What decoding returns for ``value``: a plain int comes back as Integer (int32)."""
    if type(value) is int:
        return Integer(value)
    return value


def botocore_view(value: HeaderValue) -> object:
    """Our decoded value in botocore's representation (ms ints, raw uuid bytes)."""
    if isinstance(value, datetime):
        return (value - EPOCH) // timedelta(milliseconds=1)
    if isinstance(value, uuid.UUID):
        return value.bytes
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    return value


def botocore_decode(data: bytes, chunk: int = 7) -> list[tuple[dict[str, object], bytes]]:
    buffer = EventStreamBuffer()
    out = []
    for i in range(0, len(data), chunk):
        buffer.add_data(data[i : i + chunk])
        out += [(m.headers, m.payload) for m in buffer]
    return out


# --------------------------------------------------------------------------- strategies


def ms_datetimes() -> st.SearchStrategy[datetime]:
    zones = st.sampled_from([UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=9))])
    return st.datetimes(timezones=zones).map(
        lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)
    )


header_values: st.SearchStrategy[HeaderValue] = st.one_of(
    st.booleans(),
    st.integers(-(2**7), 2**7 - 1).map(Byte),
    st.integers(-(2**15), 2**15 - 1).map(Short),
    st.integers(-(2**31), 2**31 - 1).map(Integer),
    st.integers(-(2**63), 2**63 - 1).map(Long),
    st.integers(-(2**31), 2**31 - 1),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.uuids(),
    ms_datetimes(),
)
header_maps = st.dictionaries(st.text(min_size=1, max_size=12), header_values, max_size=8)
messages = st.tuples(header_maps, st.binary(max_size=300))


# ------------------------------------------------------------------- round-trip properties


@FAST
@given(st.lists(messages, min_size=1, max_size=5), st.lists(st.integers(0, 10_000), max_size=12))
def test_round_trip_any_split(
    msgs: list[tuple[dict[str, HeaderValue], bytes]], cuts: list[int]
) -> None:
    stream = b"".join(encode_message(h, p) for h, p in msgs)
    decoded = decode_all(stream, cuts)
    assert len(decoded) == len(msgs)
    for got, (headers, payload) in zip(decoded, msgs, strict=True):
        assert got.payload == payload
        assert list(got.headers) == list(headers)
        for name, value in headers.items():
            want = expected_value(value)
            assert got.headers[name] == want
            assert type(got.headers[name]) is type(want)


@FAST
@given(messages)
def test_byte_at_a_time(msg: tuple[dict[str, HeaderValue], bytes]) -> None:
    frame = encode_message(*msg)
    decoder = Decoder()
    results = [decoder.feed(frame[i : i + 1]) for i in range(len(frame))]
    assert all(r == [] for r in results[:-1])
    assert [m.payload for m in results[-1]] == [msg[1]]
    decoder.close()


@FAST
@given(st.lists(messages, min_size=1, max_size=4), st.integers(1, 64))
def test_agrees_with_botocore(msgs: list[tuple[dict[str, HeaderValue], bytes]], chunk: int) -> None:
    stream = b"".join(encode_message(h, p) for h, p in msgs)
    ours = decode_all(stream, list(range(chunk, len(stream), chunk)))
    theirs = botocore_decode(stream, chunk)
    assert len(ours) == len(theirs) == len(msgs)
    for mine, (their_headers, their_payload) in zip(ours, theirs, strict=True):
        assert mine.payload == their_payload
        assert {k: botocore_view(v) for k, v in mine.headers.items()} == their_headers


header_parts = st.lists(
    st.tuples(st.binary(max_size=4), st.integers(0, 11), st.binary(max_size=18)), max_size=4
)


@FAST
@given(header_parts, st.binary(max_size=20))
def test_arbitrary_header_blocks_rejected_or_match_botocore(
    parts: list[tuple[bytes, int, bytes]], payload: bytes
) -> None:
    """Header blocks behind valid CRCs: whatever we accept, botocore reads identically."""
    frame = raw_frame(b"".join(header(n, t, v) for n, t, v in parts), payload)
    try:
        ours = decode_all(frame)
    except InvalidFrame:
        return
    (mine,) = ours
    [(their_headers, their_payload)] = botocore_decode(frame)
    assert mine.payload == their_payload
    assert {k: botocore_view(v) for k, v in mine.headers.items()} == their_headers


@FAST
@given(st.binary(max_size=600), st.lists(st.integers(0, 600), max_size=6))
def test_random_bytes_only_raise_eventstream_errors(data: bytes, cuts: list[int]) -> None:
    with contextlib.suppress(EventStreamError):
        decode_all(data, cuts)


@FAST
@given(
    st.integers(0, 700),
    st.integers(0, 700),
    st.binary(max_size=700),
    st.lists(st.integers(0, 800), max_size=6),
)
def test_valid_preludes_with_random_bodies_only_raise_eventstream_errors(
    total: int, headers_length: int, body: bytes, cuts: list[int]
) -> None:
    """Random bytes almost never pass the prelude CRC; these do, reaching the deeper checks."""
    head = struct.pack(">II", total, headers_length)
    data = head + struct.pack(">I", zlib.crc32(head)) + body
    try:
        messages = decode_all(data, cuts)
    except EventStreamError:
        return
    assert sum(16 + len(m.payload) for m in messages) <= len(data)


@FAST
@given(messages, st.data())
def test_bit_flips_are_detected(
    msg: tuple[dict[str, HeaderValue], bytes], data: st.DataObject
) -> None:
    frame = bytearray(encode_message(*msg))
    bit = data.draw(st.integers(0, len(frame) * 8 - 1))
    frame[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(EventStreamError):
        decode_all(bytes(frame), data.draw(st.lists(st.integers(0, len(frame)), max_size=4)))


# ------------------------------------------------------------------ AWS published vectors

# From aws-sdk-js-v3 packages/eventstream-marshaller/src/TestVectors.fixture.ts.
AWS_PAYLOAD = b"{'foo':'bar'}"
AWS_VECTORS: list[tuple[str, dict[str, HeaderValue], bytes]] = [
    ("000000100000000005c248eb7d98c8ff", {}, b""),
    ("0000001d00000000fd528c5a7b27666f6f273a27626172277dc3653936", {}, AWS_PAYLOAD),
    (
        "0000002d0000001041c424b80a6576656e742d74797065040000a00c7b27666f6f273a27626172277d"
        "36f480a0",
        {"event-type": Integer(40972)},
        AWS_PAYLOAD,
    ),
    (
        "0000003d0000002007fd83960c636f6e74656e742d747970650700106170706c69636174696f6e2f"
        "6a736f6e7b27666f6f273a27626172277d8d9c08b1",
        {"content-type": "application/json"},
        AWS_PAYLOAD,
    ),
]


@pytest.mark.parametrize(("hex_frame", "headers", "payload"), AWS_VECTORS)
def test_aws_vectors(hex_frame: str, headers: dict[str, HeaderValue], payload: bytes) -> None:
    frame = bytes.fromhex(hex_frame)
    assert encode_message(headers, payload) == frame
    (message,) = decode_all(frame)
    assert message == Message(headers, payload)


@pytest.mark.parametrize(
    ("index", "value", "error"),
    [
        (0, 1, ChecksumMismatch),  # corrupted_length: first byte 0 -> 1
        (24, 141, ChecksumMismatch),  # corrupted_payload
    ],
)
def test_aws_failure_vectors(index: int, value: int, error: type[EventStreamError]) -> None:
    frame = bytearray(bytes.fromhex(AWS_VECTORS[1][0]))
    frame[index] = value
    with pytest.raises(error):
        decode_all(bytes(frame))


# --------------------------------------------------------------------- specific errors

GOOD = raw_frame(header(b":event-type", 7, b"\x00\x05chunk"), b'{"bytes":"e30="}')


def test_corrupt_prelude_crc_is_named() -> None:
    frame = bytearray(GOOD)
    frame[9] ^= 0xFF
    with pytest.raises(ChecksumMismatch, match=r"prelude CRC32 mismatch: expected 0x[0-9a-f]{8}"):
        Decoder().feed(bytes(frame))


def test_corrupt_message_crc_is_named() -> None:
    frame = GOOD[:-1] + bytes([GOOD[-1] ^ 1])
    with pytest.raises(ChecksumMismatch, match=r"message CRC32 mismatch: expected 0x[0-9a-f]{8}"):
        Decoder().feed(frame)


@pytest.mark.parametrize("cut", range(1, len(GOOD)))
def test_truncated_at_every_cut_point(cut: int) -> None:
    decoder = Decoder()
    assert decoder.feed(GOOD[:cut]) == []
    with pytest.raises(TruncatedFrame, match="stream ended inside a frame"):
        decoder.close()


def test_empty_stream_closes_cleanly() -> None:
    assert decode_all(b"") == []


def test_absurd_total_length_fails_on_the_prelude_without_allocating() -> None:
    prelude = raw_frame(b"", b"", total=0xFFFFFFFF)[:12]
    decoder = Decoder()
    tracemalloc.start()
    try:
        with pytest.raises(InvalidFrame, match="payload length 4294967279 exceeds max"):
            decoder.feed(prelude)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024


@pytest.mark.parametrize(
    ("total", "headers_length", "message"),
    [
        (15, 0, "below the minimum frame of 16"),
        (0, 0, "below the minimum frame"),
        (40, 30, "headers length 30 exceeds frame of total 40"),
        (16 + MAX_HEADERS_LENGTH + 1, MAX_HEADERS_LENGTH + 1, "exceeds max 131072"),
        (16 + MAX_PAYLOAD_LENGTH + 1, 0, f"payload length {MAX_PAYLOAD_LENGTH + 1} exceeds max"),
    ],
)
def test_inconsistent_or_oversized_lengths(total: int, headers_length: int, message: str) -> None:
    prelude = raw_frame(b"", b"", total=total, headers_length=headers_length)[:12]
    with pytest.raises(InvalidFrame, match=message):
        Decoder().feed(prelude)


def test_largest_legal_declared_frame_is_awaited_not_rejected() -> None:
    total = 16 + MAX_HEADERS_LENGTH + MAX_PAYLOAD_LENGTH
    decoder = Decoder()
    prelude = raw_frame(b"", b"", total=total, headers_length=MAX_HEADERS_LENGTH)[:12]
    assert decoder.feed(prelude) == []
    with pytest.raises(TruncatedFrame, match=f"{total} needed"):
        decoder.close()


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (header(b"x", 10, b""), "unknown value type 10"),
        (header(b"x", 0, b"") + header(b"x", 1, b""), "duplicate header 'x'"),
        (b"\x05ab", "runs past the header block"),
        (b"\x01x", "runs past the header block"),  # no type byte after the name
        (header(b"x", 7, b"\x00\x09abc"), "value runs past"),
        (header(b"x", 6, b"\x00"), "value runs past"),
        (header(b"x", 4, b"\x00\x01"), "value of type 4 truncated"),
        (header(b"x", 9, bytes(15)), "uuid value truncated"),
        (header(b"\xff\xfe", 0, b""), "invalid utf-8"),
        (header(b"x", 7, b"\x00\x01\xff"), "invalid utf-8"),
        (header(b"x", 8, struct.pack(">q", 2**62)), "timestamp .* out of range"),
    ],
)
def test_malformed_headers(block: bytes, message: str) -> None:
    with pytest.raises(InvalidFrame, match=message):
        Decoder().feed(raw_frame(block, b"payload"))


def test_errors_are_value_errors() -> None:
    assert issubclass(EventStreamError, ValueError)
    for cls in (ChecksumMismatch, TruncatedFrame, InvalidFrame):
        assert issubclass(cls, EventStreamError)


def test_messages_before_a_bad_frame_are_delivered_then_the_error_sticks() -> None:
    bad = bytearray(GOOD)
    bad[-1] ^= 1
    decoder = Decoder()
    assert len(decoder.feed(GOOD + GOOD + bytes(bad))) == 2
    with pytest.raises(ChecksumMismatch):
        decoder.feed(GOOD)
    with pytest.raises(ChecksumMismatch):
        decoder.close()


def test_iter_messages_raises_on_truncation_after_yielding() -> None:
    chunks = iter([GOOD, GOOD[:20]])
    seen = []
    with pytest.raises(TruncatedFrame):
        for message in iter_messages(chunks):
            seen.append(message)
    assert len(seen) == 1


def test_aiter_messages() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        stream = GOOD * 3
        for i in range(0, len(stream), 5):
            yield stream[i : i + 5]

    async def collect(source: AsyncIterator[bytes]) -> list[Message]:
        return [m async for m in aiter_messages(source)]

    got = asyncio.run(collect(chunks()))
    assert [m.event_type for m in got] == ["chunk"] * 3

    async def truncated() -> AsyncIterator[bytes]:
        yield GOOD[:-1]

    with pytest.raises(TruncatedFrame):
        asyncio.run(collect(truncated()))


# ---------------------------------------------------------------------------- encoder


def test_plain_int_is_int32_and_rejects_wider_values() -> None:
    (message,) = decode_all(encode_message({"n": 7}, b""))
    assert type(message.headers["n"]) is Integer
    with pytest.raises(InvalidFrame, match="use Long"):
        encode_message({"n": 2**31}, b"")
    (message,) = decode_all(encode_message({"n": Long(2**31)}, b""))
    assert message.headers["n"] == 2**31


@pytest.mark.parametrize(("cls", "bits"), [(Byte, 8), (Short, 16), (Integer, 32), (Long, 64)])
def test_sized_int_ranges(cls: type[int], bits: int) -> None:
    assert cls(2 ** (bits - 1) - 1) == 2 ** (bits - 1) - 1
    assert repr(cls(-1)) == f"{cls.__name__}(-1)"
    with pytest.raises(ValueError, match=f"int{bits}"):
        cls(2 ** (bits - 1))


def test_timestamps_keep_milliseconds_and_floor_the_rest() -> None:
    stamp = datetime(1969, 12, 31, 23, 59, 59, 999_500, tzinfo=UTC)
    (message,) = decode_all(encode_message({"t": stamp}, b""))
    assert message.headers["t"] == datetime(1969, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC)
    assert message.headers["t"].tzinfo is UTC  # type: ignore[union-attr]
    with pytest.raises(InvalidFrame, match="timezone-aware"):
        encode_message({"t": datetime(2024, 1, 1)}, b"")


@pytest.mark.parametrize(
    ("headers", "payload", "error", "message"),
    [
        ({"": True}, b"", InvalidFrame, "must be 1-255 utf-8 bytes"),
        ({"é" * 128: True}, b"", InvalidFrame, "must be 1-255 utf-8 bytes"),
        ({"s": "x" * 65536}, b"", InvalidFrame, "max 65535"),
        ({f"b{i}": bytes(60_000) for i in range(3)}, b"", InvalidFrame, "max 131072"),
        ({}, bytes(MAX_PAYLOAD_LENGTH + 1), InvalidFrame, "max 25165824"),
        ({"x": 1.5}, b"", TypeError, "unsupported value type float"),
    ],
)
def test_encoder_refuses_what_decoders_would_reject(
    headers: dict[str, Any], payload: bytes, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        encode_message(headers, payload)


def test_mutating_decoded_headers_does_not_leak_into_later_messages() -> None:
    """Parsed header blocks are memoised; each message must still own its dict."""
    decoder = Decoder()
    for _ in range(3):
        (message,) = decoder.feed(GOOD)
        assert message.headers == {":event-type": "chunk"}
        message.headers[":event-type"] = "changed"


# ----------------------------------------------------------------------- Bedrock shapes


class _RawStream:
    """The one method botocore's EventStream reads from an HTTP body."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self) -> Iterator[bytes]:
        for i in range(0, len(self._data), 10):
            yield self._data[i : i + 10]

    def close(self) -> None:
        pass


def _botocore_bedrock_stream(data: bytes) -> EventStream:
    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    shape = model.operation_model("InvokeModelWithResponseStream").output_shape.members["body"]
    return EventStream(_RawStream(data), shape, EventStreamJSONParser(), "InvokeModel")


def test_chunk_event_matches_the_bedrock_service_model() -> None:
    event = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta"}}
    inner = json.dumps(event).encode()
    frame = encode_event("chunk", json.dumps({"bytes": base64.b64encode(inner).decode()}).encode())
    (message,) = decode_all(frame)
    assert (message.message_type, message.event_type) == ("event", "chunk")
    assert message.content_type == "application/json"
    assert json.loads(base64.b64decode(json.loads(message.payload)["bytes"])) == event
    assert list(_botocore_bedrock_stream(frame)) == [{"chunk": {"bytes": inner}}]


def test_exception_frame_matches_the_bedrock_service_model() -> None:
    frame = encode_exception("throttlingException", b'{"message":"Too many requests"}')
    (message,) = decode_all(frame)
    assert (message.message_type, message.exception_type) == ("exception", "throttlingException")
    assert message.event_type is None and message.error_code is None
    with pytest.raises(BotocoreEventStreamError) as info:
        list(_botocore_bedrock_stream(frame))
    assert info.value.response["Error"] == {
        "Code": "throttlingException",
        "Message": "Too many requests",
    }


def test_error_frame_properties() -> None:
    frame = encode_message(
        {":message-type": "error", ":error-code": "Boom", ":error-message": "it broke"}, b""
    )
    (message,) = decode_all(frame)
    assert (message.message_type, message.error_code, message.error_message) == (
        "error",
        "Boom",
        "it broke",
    )
