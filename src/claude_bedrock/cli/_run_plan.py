"""What ``claude-bedrock run`` sends: the input read line by line, the plan (counts and
cost estimate) made before sending, and the records to send, retries included.

Split from :mod:`.run_cmd` (which drives the run and reports it) so each stays small; the
functions here are pure but for reading the input and writing malformed lines' results.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._client import AnthropicBedrock
    from ._results_file import ResultsFile

__all__ = ["Plan", "Tally", "make_plan", "read_lines", "records_to_retry", "to_send"]


@dataclass
class Plan:
    """What the first reading of the input found."""

    requests: int = 0
    bad_lines: int = 0
    already_done: int = 0
    duplicates: int = 0
    #: Records whose stored error is sent again (counted in ``requests`` too).
    retries: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0
    batch_usd: float = 0.0
    models: set[str] = field(default_factory=set)


@dataclass
class Tally:
    succeeded: int = 0
    errored: int = 0
    #: Records Bedrock did not answer (connection failures, throttling past the deadline):
    #: not written, so that a rerun sends them.
    unfinished: int = 0
    bad_lines: int = 0
    #: Records sent again for ``--retry-errors``, and those of them that did not succeed.
    retried: int = 0
    still_failed: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0


def read_lines(path: Path, max_tokens: int, system: str | None, model: str | None) -> Iterator[Any]:
    """``(number, request or error text)`` per non-blank line of the input, checked as
    ``batch submit`` checks them (:mod:`.batch_input`), a bad line an error, not a stop.
    A byte-order mark that starts the file is dropped, as ``batch submit`` does."""
    from .batch_input import InputError, check_max_tokens, parse_line

    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8").strip()
            except UnicodeDecodeError as exc:
                yield number, f"line {number}: not UTF-8 (byte {exc.start + 1} of the line)"
                continue
            if not text:
                continue
            try:
                request = parse_line(text, number, max_tokens, system)
                check_max_tokens(request)
            except InputError as exc:
                yield number, f"line {number}: {exc}"
                continue
            if model is not None:
                request["params"].setdefault("model", model)
            yield number, request


def _bad_line(number: int, message: str) -> dict[str, Any]:
    error = {"type": "invalid_input", "message": message}
    return {
        "custom_id": f"line-{number}", "line": number,
        "result": {"type": "errored", "error": {"type": "error", "error": error}},
    }  # fmt: skip


def make_plan(
    client: AnthropicBedrock, lines: Iterator[Any], done: Collection[str], retry: set[str]
) -> Plan:
    plan = Plan()
    seen: set[str] = set()
    todo: list[dict[str, Any]] = []
    for number, item in lines:
        if isinstance(item, str):
            plan.bad_lines += 0 if f"line-{number}" in done else 1
            continue
        custom_id = item["custom_id"]
        if custom_id in seen:
            plan.duplicates += 1
            continue
        seen.add(custom_id)
        if custom_id in retry:
            plan.retries += 1
        elif custom_id in done:
            plan.already_done += 1
            continue
        plan.requests += 1
        model = item["params"].get("model")
        if isinstance(model, str):
            plan.models.add(model)
        todo.append(item)
        if len(todo) >= 1000:
            _price(client, plan, todo)
    _price(client, plan, todo)
    return plan


def _price(client: AnthropicBedrock, plan: Plan, todo: list[dict[str, Any]]) -> None:
    from ..resources._batch_cost import estimate_cost

    if not todo:
        return
    batch = estimate_cost(client._core, todo, None)
    plan.input_tokens += batch.input_tokens
    plan.output_tokens += batch.output_tokens
    plan.batch_usd += batch.usd
    plan.usd += estimate_cost(client._core, todo, None, batch=False).usd
    todo.clear()


#: Stored errors without a status that ``--retry-errors`` sends again: no answer at all
#: (the client's retry policy retries these, as it does :data:`RETRYABLE_STATUS`).
_NO_ANSWER_TYPES = frozenset({"APIConnectionError", "APITimeoutError"})


def records_to_retry(sink: ResultsFile, retryable: bool, every: bool) -> set[str]:
    """The records whose stored error is sent again: with ``--retry-all-errors`` every
    errored one, with ``--retry-errors`` those the client's retry policy would retry (never
    a validation, access or not-found error: sending it again gets the same answer)."""
    from .._retry import RETRYABLE_STATUS

    if every:
        return set(sink.errors)
    if not retryable:
        return set()
    return {
        custom_id
        for custom_id, error in sink.errors.items()
        if error.status in RETRYABLE_STATUS
        or (error.status is None and error.type in _NO_ANSWER_TYPES)
    }


def to_send(
    file: Path,
    how: tuple[int, str | None, str | None],
    sink: ResultsFile,
    tally: Tally,
    retry: set[str],
) -> Iterator[dict[str, Any]]:
    """The requests not yet in the results, and those to retry; malformed lines written as
    errored results (a line still malformed is not written twice)."""
    seen: set[str] = set()
    for number, item in read_lines(file, *how):
        if isinstance(item, str):
            if f"line-{number}" not in sink.done:
                sink.write(_bad_line(number, item))
                tally.bad_lines += 1
            continue
        custom_id = item["custom_id"]
        if custom_id in seen or (custom_id in sink.done and custom_id not in retry):
            continue
        seen.add(custom_id)
        yield item
