"""Server-Sent Events (``text/event-stream``): an encoder and an incremental decoder.

The Messages API on Bedrock's ``bedrock-mantle`` host and on ``bedrock-runtime``'s
``/anthropic`` path streams its answer as Server-Sent Events (``event: message_start`` then
``data: {json}``); the client decodes them and the emulator encodes them, both with this
module, which does no I/O (h11's pattern): :meth:`Decoder.feed` takes bytes as they
arrive and returns the events they complete, :meth:`Decoder.close` says whether the body
ended cleanly. It follows the WHATWG rules
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):

* lines end with CRLF, LF or CR (a CRLF split across two chunks is one line end);
* a leading byte-order mark is dropped, once, at the start of the stream;
* ``data:`` lines accumulate, joined with LF; a blank line dispatches the event, but only
  if it had data; the type is ``message`` unless an ``event:`` line named it;
* ``id:`` sets the last event ID, which stays for the following events (an ID containing
  NUL is ignored); ``retry:`` is taken only if it is all ASCII digits;
* lines starting with ``:`` are comments; unknown fields are ignored; one space after
  the colon is dropped; text is UTF-8, invalid bytes replaced.

Buffers are bounded: a line or an event larger than the decoder's limits raises
:class:`LineTooLong` / :class:`EventTooLarge` instead of growing without end. WHATWG
discards an event cut by the end of the stream; :meth:`Decoder.close` raises
:class:`TruncatedEvent` for it, so a caller can tell a cut connection from a finished
stream.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "BOM",
    "MAX_EVENT",
    "MAX_LINE",
    "Decoder",
    "Event",
    "EventTooLarge",
    "LineTooLong",
    "SSEError",
    "TruncatedEvent",
    "encode",
    "encode_comment",
]

BOM = b"\xef\xbb\xbf"
#: Default limits: far above any Messages API event (a large tool result is a few MB).
MAX_LINE = 16 * 1024 * 1024
MAX_EVENT = 32 * 1024 * 1024
_NEWLINES = re.compile(r"\r\n|\r|\n")


class SSEError(ValueError):
    """The bytes are not a usable event stream."""


class LineTooLong(SSEError):
    """A line longer than the decoder's ``max_line``."""


class EventTooLarge(SSEError):
    """An event whose data is larger than the decoder's ``max_event``."""


class TruncatedEvent(SSEError):
    """The stream ended inside a line or an event (before the blank line ending it)."""


@dataclass(slots=True)
class Event:
    """One dispatched event: its type (``message`` by default), data, last ID, retry."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


# --------------------------------------------------------------------------- encoding


def _single_line(name: str, value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError(f"an SSE {name} cannot contain a line break: {value!r}")
    return value


def encode(
    data: str, *, event: str | None = None, id: str | None = None, retry: int | None = None
) -> bytes:
    """One event as bytes: ``event:``, ``id:``, ``retry:``, one ``data:`` line per line of
    ``data`` (CRLF, CR and LF all split it), then the blank line that dispatches it."""
    lines = []
    if event is not None:
        lines.append(f"event: {_single_line('event type', event)}")
    if id is not None:
        if "\0" in id:
            raise ValueError("an SSE id cannot contain NUL (decoders ignore it)")
        lines.append(f"id: {_single_line('id', id)}")
    if retry is not None:
        if retry < 0:
            raise ValueError(f"an SSE retry is a number of milliseconds >= 0, not {retry}")
        lines.append(f"retry: {retry}")
    lines.extend(f"data: {line}" for line in _NEWLINES.split(data))
    return ("\n".join(lines) + "\n\n").encode()


def encode_comment(text: str = "") -> bytes:
    """A comment line (ignored by decoders): keeps an idle connection alive."""
    return f":{_single_line('comment', text)}\n".encode()


# --------------------------------------------------------------------------- decoding


class Decoder:
    """Incremental: feed the body's bytes as they come, get the events they complete."""

    __slots__ = (
        "_partial", "_skip_lf", "_started", "_data", "_size", "_event", "_retry", "_open",
        "last_event_id", "retry", "max_line", "max_event",
    )  # fmt: skip

    def __init__(self, *, max_line: int = MAX_LINE, max_event: int = MAX_EVENT) -> None:
        self.max_line = max_line
        self.max_event = max_event
        self._partial = b""  # an unterminated line
        self._skip_lf = False  # the last byte was a CR: an LF next is the same line end
        self._started = False  # past the (optional) byte-order mark
        self._data: list[bytes] = []
        self._size = 0
        self._event = b""
        self._retry: int | None = None
        self._open = False  # a field line since the last dispatch
        #: The last event ID (kept across events, as WHATWG says).
        self.last_event_id: str | None = None
        #: The reconnection time the stream asked for, in milliseconds.
        self.retry: int | None = None

    def feed(self, data: bytes) -> list[Event]:
        """The events that ``data`` completes (none, one or several)."""
        if self._skip_lf and data:
            self._skip_lf = False
            if data[0] == 10:
                data = data[1:]
        buffer = self._partial + data if self._partial else data
        if not self._started:
            if len(buffer) < 3 and BOM.startswith(buffer):
                self._partial = buffer
                return []
            self._started = True
            if buffer.startswith(BOM):
                buffer = buffer[3:]
        lines = buffer.splitlines(keepends=True)
        self._partial = b""
        if lines:
            last = lines[-1]
            if last[-1] not in (10, 13):
                self._partial = lines.pop()
                if len(last) > self.max_line:
                    raise LineTooLong(f"an SSE line is over {self.max_line} bytes")
            elif last[-1] == 13:
                self._skip_lf = True
        out: list[Event] = []
        for line in lines:
            self._line(line.rstrip(b"\r\n"), out)
        return out

    def close(self) -> None:
        """The body ended: raise :class:`TruncatedEvent` if it ended inside an event."""
        if self._partial or self._open:
            raise TruncatedEvent("the event stream ended inside an event")

    def _line(self, line: bytes, out: list[Event]) -> None:
        if len(line) > self.max_line:
            raise LineTooLong(f"an SSE line is over {self.max_line} bytes")
        if not line:
            self._dispatch(out)
            return
        if line[0] == 58:  # ":" a comment
            return
        name, _, value = line.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        self._open = True
        if name == b"data":
            self._size += len(value) + 1
            if self._size > self.max_event:
                raise EventTooLarge(f"an SSE event is over {self.max_event} bytes")
            self._data.append(value)
        elif name == b"event":
            self._event = value
        elif name == b"id":
            if b"\0" not in value:
                self.last_event_id = value.decode("utf-8", "replace")
        elif name == b"retry" and value.isdigit():  # bytes.isdigit: ASCII digits only
            self._retry = self.retry = int(value)

    def _dispatch(self, out: list[Event]) -> None:
        data, event, retry = self._data, self._event, self._retry
        self._data, self._size, self._event, self._retry, self._open = [], 0, b"", None, False
        if data:
            text = (data[0] if len(data) == 1 else b"\n".join(data)).decode("utf-8", "replace")
            name = event.decode("utf-8", "replace") if event else "message"
            out.append(Event(text, name, self.last_event_id, retry))
