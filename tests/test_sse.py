"""The Server-Sent Events codec (``wire/sse.py``): the WHATWG rules, bounded buffers,
round trips under any chunking, and the same events as an independent decoder (the
official ``anthropic`` SDK's ``SSEDecoder``) on the same bytes."""

from __future__ import annotations

import pytest
from anthropic._streaming import SSEDecoder
from hypothesis import given, settings
from hypothesis import strategies as st

from claude_bedrock.wire.sse import (
    BOM,
    Decoder,
    Event,
    EventTooLarge,
    LineTooLong,
    TruncatedEvent,
    encode,
    encode_comment,
)


def decode(data: bytes, *, split: int | None = None, **limits: int) -> list[Event]:
    """All the events of ``data`` fed in pieces of ``split`` bytes (one piece if None)."""
    decoder = Decoder(**limits)
    step = split or max(len(data), 1)
    events = []
    for i in range(0, len(data), step):
        events += decoder.feed(data[i : i + step])
    decoder.close()
    return events


# =========================================================================== WHATWG rules


def test_the_specifications_examples() -> None:
    """The examples of the WHATWG section 'Interpreting an event stream' / 'Examples'."""
    assert decode(b"data: YHOO\ndata: +2\ndata: 10\n\n") == [Event("YHOO\n+2\n10")]
    stream = (b": test stream\n\ndata: first event\nid: 1\n\n"
              b"data:second event\nid\n\ndata:  third event\n\n")  # fmt: skip
    assert decode(stream) == [
        Event("first event", id="1"),
        Event("second event", id=""),
        Event(" third event", id=""),
    ]
    decoder = Decoder()
    assert decoder.feed(b"data\n\ndata\ndata\n\ndata:") == [Event(""), Event("\n")]
    with pytest.raises(TruncatedEvent):  # the last, unfinished event is not dispatched
        decoder.close()
    assert decode(b"data:test\n\ndata: test\n\n") == [Event("test"), Event("test")]


@pytest.mark.parametrize("end", [b"\n", b"\r", b"\r\n"])
def test_every_line_ending(end: bytes) -> None:
    data = end.join([b"event: message_start", b"data: {", b"data: }", b"", b""])
    for split in range(1, len(data) + 1):
        assert decode(data, split=split) == [Event("{\n}", "message_start")]


def test_crlf_split_across_chunks_is_one_line_end() -> None:
    decoder = Decoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\n") == []  # the LF of the CRLF, not a blank line
    assert decoder.feed(b"\r\n") == [Event("a")]
    assert decoder.feed(b"data: b\r\r\n") == [Event("b")]  # CR, then a blank CRLF line


def test_byte_order_mark_is_dropped_once_at_the_start() -> None:
    data = BOM + b"data: x\n\n"
    for split in (1, 2, 3, 4, len(data)):
        assert decode(data, split=split) == [Event("x")]
    # A second mark is part of the line: the field name is no longer "data", it is ignored.
    assert decode(BOM + BOM + b"data: x\n\ndata: y\n\n") == [Event("y")]


def test_fields_comments_and_unknown_lines() -> None:
    data = (b": a comment\nevent: ping\nfoo: bar\nretry: 3000\nid: 7\ndata: {}\n\n"
            b"retry: 12x\nretry: -5\ndata: next\n\n"
            b"id: a\x00b\nevent\ndata\n\n")  # fmt: skip
    decoder = Decoder()
    events = decoder.feed(data)
    assert events == [Event("{}", "ping", "7", 3000), Event("next", id="7"), Event("", id="7")]
    assert decoder.retry == 3000 and decoder.last_event_id == "7"


def test_an_event_without_data_is_not_dispatched() -> None:
    assert decode(b"event: ping\n\nid: 3\n\n\n\ndata: x\n\n") == [Event("x", id="3")]


def test_invalid_utf8_is_replaced() -> None:
    assert decode(b"data: caf\xe9\n\n") == [Event("caf\ufffd")]


def test_close_after_a_complete_stream_and_after_a_cut() -> None:
    Decoder().close()
    decoder = Decoder()
    decoder.feed(b"data: x\n\n: trailing comment\n")
    decoder.close()
    for cut in (b"data: x", b"data: x\n", b"event: a\n", b"dat"):
        decoder = Decoder()
        assert decoder.feed(cut) == []
        with pytest.raises(TruncatedEvent):
            decoder.close()


def test_bounded_buffers() -> None:
    with pytest.raises(LineTooLong):
        Decoder(max_line=10).feed(b"data: 0123456789")  # no line end yet: still bounded
    with pytest.raises(LineTooLong):
        Decoder(max_line=10).feed(b"data: 0123456789\n")
    decoder = Decoder(max_line=100, max_event=20)
    decoder.feed(b"data: 0123456789\n")
    with pytest.raises(EventTooLarge):
        decoder.feed(b"data: 0123456789\n")
    events = decode(b"data: 0123456789\n\n" * 3, max_line=16, max_event=11)
    assert events == [Event("0123456789")] * 3


def test_encode_refuses_what_cannot_be_decoded_back() -> None:
    for bad in ({"event": "a\nb"}, {"id": "a\rb"}, {"id": "a\0b"}, {"retry": -1}):
        with pytest.raises(ValueError):
            encode("x", **bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        encode_comment("a\nb")
    assert encode_comment("keep-alive") == b":keep-alive\n"
    assert encode("a\r\nb\rc\nd", event="e", id="1", retry=5) == (
        b"event: e\nid: 1\nretry: 5\ndata: a\ndata: b\ndata: c\ndata: d\n\n"
    )


# =========================================================================== properties

LINE_TEXT = st.text(st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]))
NAME = st.text(st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]), min_size=1)
ENDINGS = st.sampled_from([b"\n", b"\r", b"\r\n"])


@st.composite
def events(draw: st.DrawFn) -> tuple[str, str | None, str | None, int | None]:
    data = draw(st.text(st.characters(exclude_categories=["Cs"])))
    event = draw(st.none() | NAME.filter(lambda n: n != "message"))
    id_ = draw(st.none() | LINE_TEXT.filter(lambda t: "\0" not in t))
    retry = draw(st.none() | st.integers(0, 10**9))
    return data, event, id_, retry


def _chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in zip(points, points[1:], strict=False)]


@settings(max_examples=300, deadline=None)
@given(st.lists(events(), max_size=6), ENDINGS, st.lists(st.integers(0, 10**6), max_size=8),
       st.booleans())  # fmt: skip
def test_round_trip_under_any_chunking(
    sent: list[tuple[str, str | None, str | None, int | None]],
    ending: bytes,
    cuts: list[int],
    bom: bool,
) -> None:
    wire = (BOM if bom else b"") + b"".join(
        encode(d, event=e, id=i, retry=r) for d, e, i, r in sent
    ).replace(b"\n", ending)
    decoder = Decoder()
    got = [event for piece in _chunks(wire, cuts) for event in decoder.feed(piece)]
    decoder.close()
    expected, last_id = [], None
    for data, event, id_, retry in sent:
        last_id = id_ if id_ is not None else last_id
        text = data.replace("\r\n", "\n").replace("\r", "\n")
        expected.append(Event(text, event or "message", last_id, retry))
    assert got == expected


FIELD_LINES = st.one_of(
    st.builds(lambda v: "data:" + v, LINE_TEXT),
    st.builds(lambda v: "data: " + v, LINE_TEXT),
    st.just("data"),
    st.builds(lambda v: "event:" + v, LINE_TEXT),
    st.builds(lambda v: "event: " + v, LINE_TEXT),
    st.builds(lambda v: "id: " + v, LINE_TEXT),
    st.builds(lambda v: "retry: " + v, st.from_regex(r"[0-9]{1,6}|[a-z]{1,3}", fullmatch=True)),
    st.builds(lambda v: ":" + v, LINE_TEXT),
    st.builds(lambda k, v: k + ":" + v, st.sampled_from(["foo", "Data", "ev"]), LINE_TEXT),
)
BLOCKS = st.lists(st.lists(FIELD_LINES, max_size=5), max_size=6)


def _is_data(line: str) -> bool:
    return line.partition(":")[0] == "data"


@settings(max_examples=400, deadline=None)
@given(BLOCKS, st.lists(ENDINGS, min_size=1, max_size=4), st.lists(st.integers(0, 10**6), max_size=8))  # fmt: skip  # noqa: E501
def test_same_events_as_the_official_sdks_decoder(
    blocks: list[list[str]], endings: list[bytes], cuts: list[int]
) -> None:
    """Arbitrary field lines, line endings and chunking: the official SDK's decoder and ours
    agree on every event that has data (WHATWG dispatches only those; the SDK also emits
    data-less ones, and parses ``retry`` more loosely: the lines above avoid that)."""
    lines = [line for block in blocks for line in [*block, ""]]
    wire = b"".join(line.encode() + endings[i % len(endings)] for i, line in enumerate(lines))
    pieces = _chunks(wire, cuts)
    theirs = [
        Event(sse.data, sse.event or "message", sse.id, sse.retry)
        for sse in SSEDecoder().iter_bytes(iter(pieces))
        if any(_is_data(line) for line in sse._raw)
    ]
    decoder = Decoder()
    ours = [event for piece in pieces for event in decoder.feed(piece)]
    assert ours == theirs
