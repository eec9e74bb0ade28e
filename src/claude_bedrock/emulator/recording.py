"""The extensions ``serve --record/--upstream/--replay/--replay-timing`` ask for, checked.

Kept out of the CLI so that the command stays a thin layer: any inconsistency is a
``ValueError`` whose message the CLI prints as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .app import Extension

__all__ = ["cassette_extensions"]


def cassette_extensions(
    record: Path | None, upstream: str | None, replay: Path | None, timing: bool = False
) -> list[Extension]:
    """The record or the replay extension (none without either option)."""
    if record is None and replay is None:
        if upstream is not None:
            raise ValueError("--upstream needs --record")
        if timing:
            raise ValueError("--replay-timing needs --replay")
        return []
    if record is not None and replay is not None:
        raise ValueError("--record and --replay exclude each other")
    if replay is not None:
        from .replay import replayer

        try:
            return [replayer(replay, timing=timing)]
        except (OSError, ValueError) as exc:
            raise ValueError(f"--replay: {exc}") from None
    if upstream is None or record is None:
        raise ValueError("--record needs --upstream (aws, or a base URL)")
    from .proxy import recorder

    try:
        return [recorder(record, upstream)]
    except ValueError as exc:
        raise ValueError(f"--upstream: {exc}") from None
