"""Reading one log object's lines with bounded memory and work, whatever the object holds.

A log bucket is written by Bedrock, but anything can end up under its prefix: a plain
(not gzipped) copy, an upload cut short, a gzip bomb (a 1 MB object that expands to
2 GiB), a line of one gigabyte. A report must survive all of them, so every object is
read under :class:`ReadLimits`:

* the gzip stream is inflated piece by piece (at most 1 MiB per step), and the
  object is given up (:class:`ObjectSkipped`) once it has inflated to ``max_object_bytes``
  or has more than ``max_bad_lines`` lines that are not records: the work per object is
  bounded whatever its compression ratio;
* a line is held only up to ``max_line_bytes``: past that, the rest of it is scanned for
  the next newline and dropped, and the line counts as skipped (:data:`LONG_LINE`);
* an object that is not gzip, or ends inside its gzip stream, is skipped with that reason
  rather than ending the whole report.

Sizes are decompressed bytes. Why per object and not per report: a report reads thousands
of objects; one bad one must cost a bounded amount and be named, not stop the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..wire.s3 import GzipError, gunzip

__all__ = ["LONG_LINE", "ObjectSkipped", "ReadLimits", "bounded_lines", "parse_size"]

_MIB = 1024 * 1024
#: Inflate at most this much per step (JSONL compresses 10-50x, a bomb ~1000x).
#: Stand-in yielded for a line longer than the limit (its bytes were never held).
LONG_LINE = b""


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on one object's reading (decompressed bytes).

    Defaults: a record line is a few KB (Bedrock moves bodies over 100 KB to ``data/``
    objects), so 4 MiB leaves room for inline images while keeping ``workers`` lines in
    memory cheap. 64 MiB of JSONL is far more than one delivered log object usually holds
    (bodies over 100 KB are not inline) and costs at most ~25 s of parsing if it is all
    valid records (measured: ~100 us a record); objects beyond it are named, not guessed.
    """

    max_line_bytes: int = 4 * _MIB
    max_object_bytes: int = 64 * _MIB
    max_bad_lines: int = 1000


class ObjectSkipped(Exception):  # noqa: N818 - an outcome, not an error of ours
    """The object is not read to the end; ``reason`` says why (shown in the report)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _inflate(chunks: Iterator[bytes], limit: int) -> Iterator[bytes]:
    """Gunzip ``chunks`` (the wire layer's streaming gunzip, pieces of at most 1 MiB), at
    most ``limit`` bytes out; what is wrong with the object becomes its skip reason."""
    total = 0
    try:
        for out in gunzip(chunks, "the object"):
            total += len(out)
            if total > limit:
                raise ObjectSkipped(
                    f"inflates to more than {format_size(limit)} (--max-object-bytes)"
                )
            yield out
    except GzipError as exc:
        if exc.truncated:
            raise ObjectSkipped("truncated (ends in the middle of its gzip stream)") from None
        raise ObjectSkipped(f"not gzip ({exc.detail})") from None


def bounded_lines(chunks: Iterator[bytes], limits: ReadLimits) -> Iterator[bytes]:
    """The non-blank lines of the gzip stream ``chunks``, without their ``\\n`` (or
    ``\\r\\n``); a line over ``limits.max_line_bytes`` comes out as :data:`LONG_LINE`
    (its bytes past the cap are scanned for the newline, never held). Raises
    :class:`ObjectSkipped`."""
    cap = limits.max_line_bytes
    pending: list[bytes] = []
    held = 0
    overlong = False  # inside a line already over the cap: drop it up to its newline
    for piece in _inflate(chunks, limits.max_object_bytes):
        if not pending and not overlong and not piece.strip():
            continue  # whitespace only: nothing to split (a bomb of blank lines)
        parts = piece.split(b"\n")
        tail = parts.pop()
        if parts:  # parts[0] ends the line begun in earlier pieces
            first_long = overlong or held + len(parts[0]) > cap
            if pending and not first_long:
                parts[0] = b"".join([*pending, parts[0]])
            pending, held, overlong = [], 0, False
            for index, line in enumerate(parts):
                if len(line) > cap or (index == 0 and first_long):
                    yield LONG_LINE
                elif line.strip():
                    yield line[:-1] if line.endswith(b"\r") else line
        if overlong:
            continue
        if held + len(tail) > cap:
            pending, held, overlong = [], 0, True
        elif tail:
            pending.append(tail)
            held += len(tail)
    if overlong:
        yield LONG_LINE
    elif pending:
        line = b"".join(pending)
        if line.strip():
            yield line[:-1] if line.endswith(b"\r") else line


_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1000, "kib": 1024, "m": _MIB, "mb": 10**6,
          "mib": _MIB, "g": 1024 * _MIB, "gb": 10**9, "gib": 1024 * _MIB}  # fmt: skip
_SIZE = re.compile(r"\s*(\d+)\s*([a-zA-Z]*)\s*\Z")


def parse_size(text: str) -> int:
    """``"4MiB"``, ``"512k"``, ``"1G"``, ``"1000"`` (bytes) as a number of bytes (>= 1)."""
    match = _SIZE.match(text)
    unit = _UNITS.get(match.group(2).lower()) if match else None
    if match is None or unit is None or int(match.group(1)) < 1:
        raise ValueError(f"{text!r} is not a size (examples: 4MiB, 512KiB, 1GiB, 1000)")
    return int(match.group(1)) * unit


def format_size(size: int) -> str:
    """``4 MiB``, ``1 GiB``, ``1000 bytes``: a limit as people read it."""
    for unit, name in ((1024 * _MIB, "GiB"), (_MIB, "MiB"), (1024, "KiB")):
        if size % unit == 0:
            return f"{size // unit} {name}"
    return f"{size} bytes"
