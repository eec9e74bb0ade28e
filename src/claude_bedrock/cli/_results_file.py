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

A record sent again (``run --retry-errors``) gets a second line, appended like any other:
**the last line of a record is its result**, the earlier one is superseded. Appending
rather than rewriting in place keeps the one-``write`` guarantee: killed at any point, the
file holds the old result, or the old and the new one (the new wins), never neither. When
the file holds superseded lines (at the end of a run that appended some, or when a run
opens a file that a killed run left so), it is *compacted*: the surviving lines are
written to ``<name>.compact``, flushed, and renamed over the file (``os.replace``, atomic),
so a kill during compaction leaves the old file whole and the next run compacts again.

One run at a time per file: the run holds an exclusive ``flock`` on the file for its whole
life (released by the kernel however the process ends), and a second run is refused
(:class:`ResultsBusy`) instead of sending the same records again or appending to a file
that compaction is about to replace. The compacted file is locked before it is renamed
into place, and a run that locked a file since replaced locks the new one instead (where
``fcntl`` does not exist, Windows, there is no lock).
"""

from __future__ import annotations

import bisect
import errno
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import KeysView

__all__ = ["ResultsBusy", "ResultsFile", "StoredError"]

SYNC_EVERY: Final = 1.0
#: ``flock`` errors that mean "this file system has no locks", not "locked".
_NO_LOCKS: Final = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL})


class ResultsBusy(OSError):
    """Another run holds the results file."""


@dataclass(frozen=True, slots=True)
class StoredError:
    """What the file says about a record that errored: the error's ``type`` (Bedrock's, or
    the exception's class when Bedrock did not answer) and HTTP status, when there was one."""

    type: str
    status: int | None


class ResultsFile:
    """Append-only results, and what they say about each record (the last line wins)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        #: The records whose (last) result is an error, and that error.
        self.errors: dict[str, StoredError] = {}
        self.dropped_partial = False
        #: Each record's last line (its number, from 0), the lines in the file, and the
        #: lines a later line of the same record supersedes (the compaction drops them):
        #: compaction copies lines by number, without parsing them again.
        self._last: dict[str, int] = {}
        self._lines = 0
        self._stale: set[int] = set()
        self._fd = _open_locked(path)
        try:
            self._scan()
            if self._stale:  # a run killed before compacting: compact before appending
                self.compact()
        except BaseException:
            os.close(self._fd)
            raise
        self._synced = time.monotonic()

    @property
    def done(self) -> KeysView[str]:
        """Every record with a result in the file."""
        return self._last.keys()

    @property
    def superseded(self) -> int:
        """Lines a later line of the same record supersedes (until compacted)."""
        return len(self._stale)

    def _scan(self) -> None:
        """Read the lines already written (``done``, ``errors``, the superseded lines); a
        last line without its newline (cut short) is removed, so the record is redone and
        the file stays one JSON per line."""
        if not self.path.exists():
            return
        keep = 0
        with self.path.open("rb") as handle:
            for raw in handle:
                if not raw.endswith(b"\n"):
                    self.dropped_partial = True
                    break
                keep += len(raw)
                custom_id, error = _parse(raw)
                if custom_id is not None:  # else not ours: left alone, not counted as done
                    self._note(custom_id, error)
                self._lines += 1
        if self.dropped_partial:
            os.truncate(self.path, keep)

    def _note(self, custom_id: str, error: StoredError | None) -> None:
        """Line ``self._lines`` is ``custom_id``'s result (the caller counts it after)."""
        earlier = self._last.get(custom_id)
        if earlier is not None:
            self._stale.add(earlier)
        self._last[custom_id] = self._lines
        if error is None:
            self.errors.pop(custom_id, None)
        else:
            self.errors[custom_id] = error

    def write(self, record: dict[str, Any]) -> None:
        """Append one finished record (one ``write``: whole, or not at all on a crash); a
        record already in the file is superseded by this line."""
        # ASCII: a lone surrogate from the input (``"\ud800"``) is written escaped, as read.
        line = json.dumps(record, separators=(",", ":")) + "\n"
        data = line.encode("utf-8")
        written = os.write(self._fd, data)
        while written < len(data):  # a short write (a signal, a full pipe): finish the line
            written += os.write(self._fd, data[written:])
        custom_id = record.get("custom_id")
        if isinstance(custom_id, str):
            self._note(custom_id, _error_of(record.get("result")))
        self._lines += 1
        if time.monotonic() - self._synced >= SYNC_EVERY:
            os.fsync(self._fd)
            self._synced = time.monotonic()

    def close(self) -> None:
        """Flush, and compact if this run superseded lines."""
        if self._fd < 0:
            return
        try:
            os.fsync(self._fd)
            if self._stale:
                self.compact()
        finally:
            os.close(self._fd)  # and with it the lock
            self._fd = -1

    def compact(self) -> None:
        """Rewrite the file keeping the last line of each record (and lines not ours), in
        file order: to a temporary file, flushed, then renamed over the file (atomic), the
        directory flushed after so the rename survives a machine crash."""
        temporary = self.path.with_name(self.path.name + ".compact")
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC
        fd = os.open(temporary, flags, 0o644)
        try:
            _lock(fd, self.path)  # locked before it becomes the file
            with self.path.open("rb") as source, open(fd, "wb", closefd=False) as target:
                for number, raw in enumerate(source):
                    if number not in self._stale:
                        target.write(raw)
            os.fsync(fd)
            os.replace(temporary, self.path)
        except BaseException:
            os.close(fd)
            raise
        _sync_directory(self.path.parent)
        os.close(self._fd)  # the old file's lock: a run waiting on it finds it replaced
        self._fd = fd
        dropped = sorted(self._stale)  # the lines after a dropped one move up
        for custom_id, number in self._last.items():
            self._last[custom_id] = number - bisect.bisect_left(dropped, number)
        self._lines -= len(dropped)
        self._stale.clear()


def _open_locked(path: Path) -> int:
    """The file, opened for appending and locked; a file replaced between the open and the
    lock (another run's compaction) is opened again."""
    while True:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            _lock(fd, path)
            held, now = os.fstat(fd), os.stat(path)
        except BaseException:
            os.close(fd)
            raise
        if (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino):
            return fd
        os.close(fd)


def _lock(fd: int, path: Path) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise ResultsBusy(
            f"another claude-bedrock run is writing {path}: wait for it to end "
            "(or stop it), then rerun"
        ) from None
    except OSError as exc:  # a file system without locks (some network mounts): run unlocked
        if exc.errno not in _NO_LOCKS:
            raise


def _parse(raw: bytes) -> tuple[str | None, StoredError | None]:
    """``(custom_id, error)`` of one line; ``custom_id`` None for a line not ours."""
    try:
        data = json.loads(raw)
        custom_id = data.get("custom_id")
    except (ValueError, AttributeError, RecursionError):
        return None, None
    if not isinstance(custom_id, str):
        return None, None
    return custom_id, _error_of(data.get("result"))


def _error_of(result: object) -> StoredError | None:
    """The stored error of an ``errored`` result (anything else: not an error)."""
    if not isinstance(result, dict) or result.get("type") != "errored":
        return None
    outer = result.get("error")
    inner = outer.get("error") if isinstance(outer, dict) else None
    if not isinstance(inner, dict):
        return StoredError("unknown", None)
    kind = inner.get("type")
    status = inner.get("bedrock_error_code")
    return StoredError(
        kind if isinstance(kind, str) else "unknown",
        status if isinstance(status, int) and not isinstance(status, bool) else None,
    )


def _sync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # a platform without directory descriptors: the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
