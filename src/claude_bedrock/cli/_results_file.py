"""The results file of ``claude-bedrock run``: its own checkpoint.

One JSON line per finished record (``{"custom_id": ..., "result": {...}}``, the Message
Batches results format). A record is finished exactly when its line is in the file, so a
rerun after Ctrl-C, a crash or ``kill -9`` reads the file, skips what is there and sends
the rest: nothing finished is sent again, nothing is lost.

Each line goes to the file in one ``write`` on a descriptor opened with ``O_APPEND``: a
killed process leaves whole lines, at worst a last line cut short by a full disk or a
power cut, which the next run drops (and redoes) before appending. The data is flushed to
disk (``fsync``) at most every :data:`SYNC_EVERY` seconds and on close: a process crash
loses nothing (the kernel has the lines), a machine crash at most that much work.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Final

__all__ = ["ResultsFile"]

SYNC_EVERY: Final = 1.0


class ResultsFile:
    """Append-only results, and the IDs already in them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: set[str] = set()
        self.dropped_partial = False
        self._read_existing()
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._synced = time.monotonic()

    def _read_existing(self) -> None:
        """The IDs of the lines already written; a last line without its newline (cut
        short) is removed, so the record is redone and the file stays one JSON per line."""
        if not self.path.exists():
            return
        keep = 0
        with self.path.open("rb") as handle:
            for raw in handle:
                if not raw.endswith(b"\n"):
                    self.dropped_partial = True
                    break
                keep += len(raw)
                try:
                    custom_id = json.loads(raw).get("custom_id")
                except (ValueError, AttributeError, RecursionError):
                    continue  # not ours: left alone, not counted as done
                if isinstance(custom_id, str):
                    self.done.add(custom_id)
        if self.dropped_partial:
            os.truncate(self.path, keep)

    def write(self, record: dict[str, Any]) -> None:
        """Append one finished record (one ``write``: whole, or not at all on a crash)."""
        # ASCII: a lone surrogate from the input (``"\ud800"``) is written escaped, as read.
        line = json.dumps(record, separators=(",", ":")) + "\n"
        data = line.encode("utf-8")
        written = os.write(self._fd, data)
        while written < len(data):  # a short write (a signal, a full pipe): finish the line
            written += os.write(self._fd, data[written:])
        custom_id = record.get("custom_id")
        if isinstance(custom_id, str):
            self.done.add(custom_id)
        if time.monotonic() - self._synced >= SYNC_EVERY:
            os.fsync(self._fd)
            self._synced = time.monotonic()

    def close(self) -> None:
        if self._fd < 0:
            return
        try:
            os.fsync(self._fd)
        finally:
            os.close(self._fd)
            self._fd = -1
