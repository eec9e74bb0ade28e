"""The input file of ``claude-bedrock batch submit``: lines to requests, every line checked.

A batch is paid for and runs for hours, so a file with a bad line is refused whole before
anything is uploaded, with every bad line named by its number (up to :data:`SHOWN`; the
count is always complete) rather than stopping at the first or ending in a traceback.
A line is bad when:

* it is not UTF-8, or holds a lone surrogate escape (``"\\ud800"``: JSON allows the
  escape, but it is no character and cannot be sent as UTF-8);
* it looks like JSON (starts with ``{`` or ``"``) but does not parse, or is nested deeper
  than the parser allows: such a line is never taken as a bare prompt of its own text;
* ``max_tokens`` is not a whole number >= 1, or a field has the wrong type;
* its ``custom_id`` is malformed or repeats an earlier line's: the Message Batches API
  requires it unique within a batch (results are matched to requests by it; Bedrock's
  ``recordId`` is set from it);
* the client refuses its parameters (unknown parameter, model or the like).

A UTF-8 byte-order mark at the start of the file (Windows editors add one) is removed
before line 1 is read; one anywhere else is an error, since it would otherwise make a JSON
line look like a bare prompt.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["SHOWN", "BadLines", "InputError", "checked_requests", "read_requests"]

#: Bad lines listed in the error (all are counted).
SHOWN = 50
_BOM = "\ufeff"
_PROMPT_KEYS = frozenset({"custom_id", "prompt", "system", "max_tokens", "temperature", "model"})
#: Types a ``prompt`` object's fields must have (``max_tokens`` is checked on its own).
_PROMPT_TYPES: dict[str, tuple[type, ...]] = {
    "custom_id": (str,),
    "prompt": (str,),
    "system": (str, list),
    "temperature": (int, float),
    "model": (str,),
}


class InputError(ValueError):
    """A line of the input file is not a request; the message names the line."""


@dataclass
class BadLines:
    """The bad lines found so far: the first :data:`SHOWN` with their reasons, and how
    many in all; ``bom`` says a byte-order mark was removed from the file's start."""

    shown: list[str] = field(default_factory=list)
    count: int = 0
    bom: bool = False

    def add(self, number: int, reason: str) -> None:
        self.count += 1
        if len(self.shown) < SHOWN:
            self.shown.append(f"line {number}: {reason}")

    def message(self, path: Path) -> str:
        more = f"\n... and {self.count - SHOWN:,} more" if self.count > SHOWN else ""
        head = f"{path}: {self.count:,} bad line{'s' if self.count != 1 else ''}"
        return f"{head} (nothing was submitted):\n" + "\n".join(self.shown) + more


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise InputError(f"{what} nested too deeply") from None
    except ValueError as exc:
        raise InputError(f"not valid {what} ({exc})") from None


def _prompt_params(data: Mapping[str, Any], max_tokens: int, system: str | None) -> dict[str, Any]:
    extra = sorted(set(data) - _PROMPT_KEYS)
    if extra or not isinstance(data.get("prompt"), str):
        raise InputError(
            f"expected {{'custom_id', 'params'}}, {{'prompt', ...}} (keys "
            f"{', '.join(sorted(_PROMPT_KEYS))}) or a bare prompt"
            + (f"; unknown key(s) {', '.join(extra)}" if extra else "")
        )
    for key, types in _PROMPT_TYPES.items():
        value = data.get(key)
        if value is not None and (not isinstance(value, types) or isinstance(value, bool)):
            names = " or ".join("number" if t in (int, float) else t.__name__ for t in types)
            raise InputError(f"{key} must be a {names}, got {json.dumps(value)[:40]}")
    params: dict[str, Any] = {
        "max_tokens": data.get("max_tokens", max_tokens),
        "messages": [{"role": "user", "content": data["prompt"]}],
    }
    for key in ("system", "temperature", "model"):
        if data.get(key) is not None:
            params[key] = data[key]
    if system is not None:
        params.setdefault("system", system)
    return params


def parse_line(text: str, number: int, max_tokens: int, system: str | None) -> dict[str, Any]:
    """One non-blank line as ``{"custom_id", "params"}``; raises :class:`InputError`."""
    if text.startswith(_BOM):
        raise InputError("starts with a byte-order mark (U+FEFF): only the file may start so")
    if text.startswith("{"):
        data = _json(text, "JSON")
    elif text.startswith('"'):
        data = {"prompt": _json(text, "JSON string")}
    else:
        data = {"prompt": text}
    custom_id = data.get("custom_id")
    if custom_id is not None and not isinstance(custom_id, str):
        raise InputError(f"custom_id must be a string, got {json.dumps(custom_id)[:40]}")
    if "params" in data:
        if not isinstance(data["params"], dict) or set(data) - {"custom_id", "params"}:
            raise InputError("a 'params' line has only 'custom_id' and 'params' (an object)")
        params = dict(data["params"])
        params.setdefault("max_tokens", max_tokens)
    else:
        params = _prompt_params(data, max_tokens, system)
    return {"custom_id": custom_id or f"line-{number}", "params": params}


def check_max_tokens(request: Mapping[str, Any]) -> None:
    """``max_tokens`` is what the estimate counts output by: a whole number >= 1."""
    value = request["params"]["max_tokens"]
    if not _whole(value):
        raise InputError(f"max_tokens must be a whole number >= 1, got {json.dumps(value)[:40]}")


def _lines(path: Path, bad: BadLines) -> Iterator[tuple[int, str]]:
    """``(number, text)`` of the non-blank lines; undecodable ones go to ``bad``."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw, bad.bom = raw[3:], True
            try:
                text = raw.decode("utf-8").strip()
            except UnicodeDecodeError as exc:
                bad.add(number, f"not UTF-8 (byte {exc.start + 1} of the line)")
                continue
            if text:
                yield number, text


def read_requests(
    path: Path, *, max_tokens: int = 1024, system: str | None = None
) -> Iterator[dict[str, Any]]:
    """The file's requests, one line at a time (the file is never loaded whole); the first
    bad line raises :class:`InputError` (use :func:`checked_requests` to see them all)."""
    bad = BadLines()
    for number, text in _lines(path, bad):
        if bad.count:
            break
        try:
            request = parse_line(text, number, max_tokens, system)
            check_max_tokens(request)
        except InputError as exc:
            raise InputError(f"line {number}: {exc}") from None
        yield request
    if bad.count:
        raise InputError(bad.shown[0])


def checked_requests(
    path: Path,
    bad: BadLines,
    check: Callable[[dict[str, Any]], None],
    *,
    max_tokens: int = 1024,
    system: str | None = None,
) -> Iterator[dict[str, Any]]:
    """The file's good requests; every bad line is recorded in ``bad`` instead.

    ``check(request)`` is the client's own refusal (it raises ``ValueError`` or
    ``TypeError``, e.g. ``ClientValidationError``, with the reason); the ``custom_id`` of
    each line is remembered (memory: one short string per line) to find repeats.
    """
    first_seen: dict[str, int] = {}
    for number, text in _lines(path, bad):
        try:
            request = parse_line(text, number, max_tokens, system)
        except InputError as exc:
            bad.add(number, str(exc))
            continue
        custom_id = request["custom_id"]
        earlier = first_seen.setdefault(custom_id, number)
        if earlier != number:
            bad.add(number, f"custom_id {custom_id!r} repeats line {earlier}'s (must be unique)")
            continue
        try:
            check_max_tokens(request)
            check(request)
        except UnicodeEncodeError:
            bad.add(number, "holds a lone surrogate (an escape such as \\ud800 that is no "
                    "character): it cannot be sent as UTF-8")  # fmt: skip
            continue
        except RecursionError:
            bad.add(number, "nested too deeply")
            continue
        except (ValueError, TypeError) as exc:
            bad.add(number, str(exc))
            continue
        yield request
