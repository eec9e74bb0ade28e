"""Adaptive throughput: how many calls a client keeps in flight per model, and how fast it
sends them.

Bedrock's on-demand quotas are token buckets per model and Region (tokens per minute, input
plus output with the output burndown rate; requests per minute on some models), admitted on
``input + max_tokens`` and refilled continuously. A client does not know them (they differ
per account and change with quota increases), so it learns them per key (a model or
profile on one endpoint), the way TCP learns a path:

* a **call window** (calls in flight): slow start (doubling per round of successes) until
  Bedrock first throttles, then additive increase, and a multiplicative cut on each
  congestion event (at most one per smoothed call duration, so the burst of 429s from calls
  already in flight counts once);
* once Bedrock has throttled, **pacing**: calls are spaced by ``1 / call_rate`` and by
  ``estimated tokens / token_rate``, each rate set to a little under what got through in
  the last ``horizon`` seconds when Bedrock says that quota ran out ("Too many requests" /
  "Too many tokens"), then probed upward additively. Pacing by tokens spaces a mix of big
  and small requests by their size: a 50,000-token call takes the room of fifty small ones.

Why pacing and not only a window: a throttled call comes back in milliseconds, so a window
alone keeps knocking on an empty bucket (hundreds of 429s a second, measured with the
emulator's quotas); a rate sends at the speed the bucket refills.

``Retry-After`` (when Bedrock sends one) pauses the whole key, not only the call that got it.

This module is I/O-free: :class:`ThroughputCore` holds the state and answers "go" or "wait
so long"; :class:`SyncGate` (threads) and :class:`AsyncGate` (tasks) do the waiting, so the
sync and async clients share every decision.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Final, Literal, NamedTuple

__all__ = [
    "ABSORB",
    "ADMITTED",
    "Admit",
    "AsyncGate",
    "SyncGate",
    "Ticket",
    "ThroughputCore",
    "ThroughputSettings",
]

#: Whether throttling is absorbed (retried up to the call's deadline) in this context: off
#: while a fallback chain tries a model that is not its last (the next model is tried after
#: the ordinary ``max_retries`` instead). A context variable: right per thread and per task.
ABSORB: contextvars.ContextVar[bool] = contextvars.ContextVar("absorb", default=True)
#: Where a caller (``messages.create_many``) wants the time its call was first admitted
#: (``time.perf_counter()``): the limiter's queue ends there, the call's own time begins.
ADMITTED: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar(
    "admitted", default=None
)

#: What throttled a call, as far as the answer tells: Bedrock's wording names tokens or
#: requests ("Too many tokens…", "Too many requests…"); "capacity" (503, 529) is not a
#: quota (fewer calls in flight, no pacing); anything else paces both.
Signal = Literal["tokens", "requests", "both", "capacity"]


class Admit(NamedTuple):
    """A send flow's step: wait for a ticket of ``gate`` (answered with it, or None if
    ``deadline`` passed first). Defined here, not with the other steps, so that the senders
    import it without importing the flow that yields it (:mod:`._gated`)."""

    gate: SyncGate | AsyncGate
    key: str
    tokens: int
    deadline: float
    #: A retry of a throttled attempt (goes before new calls).
    retry: bool = False


@dataclass(frozen=True, slots=True)
class ThroughputSettings:
    """The limiter's constants. The defaults start cautiously (4 calls in flight, no pacing
    until the first throttle), double the call window per round of successes until Bedrock
    first throttles (TCP's slow start), then grow it by about one call per round."""

    initial_calls: float = 4.0
    min_calls: float = 1.0
    max_calls: float = 1024.0
    #: Multiplicative decrease of the call window on a congestion event.
    decrease: float = 0.7
    #: Seconds of successes a rate is measured over (when Bedrock throttles, what got
    #: through in the last ``horizon`` seconds is what the quota lets through).
    horizon: float = 2.0
    #: A paced rate starts a little under the measured one, and grows by ``probe`` of
    #: itself per ``horizon`` of successes (additive increase, probing for more).
    margin: float = 0.9
    probe: float = 0.05


@dataclass(slots=True)
class _Window:
    """One key's state: the call window (concurrency) and, once Bedrock has throttled, the
    paced rates (calls and estimated tokens per second). Until then nothing is paced: a
    rate would be a guess."""

    calls: float
    #: Slow start's threshold (TCP's ``ssthresh``): below it the call window doubles per
    #: window of successes; above it, it grows by one. Unknown (inf) until the first cut.
    threshold: float = math.inf
    in_flight: int = 0
    #: Retries waiting for a ticket (they go before new calls).
    retries_waiting: int = 0
    #: Smoothed duration of a successful call (TCP's SRTT): one congestion event lasts one.
    srtt: float = 1.0
    last_cut: float = -math.inf
    paused_until: float = 0.0
    #: (time, estimated tokens) of the successes of the last ``horizon`` seconds.
    recent: deque[tuple[float, int]] = field(default_factory=deque)
    call_rate: float | None = None
    token_rate: float | None = None
    next_call: float = 0.0
    next_token: float = 0.0


@dataclass(frozen=True, slots=True)
class Ticket:
    """An admitted call: give it back with :meth:`ThroughputCore.release`."""

    key: str
    tokens: int
    admitted_at: float = 0.0


class ThroughputCore:
    """Admission decisions for every key of one client (the caller holds its lock)."""

    def __init__(
        self,
        settings: ThroughputSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or ThroughputSettings()
        self._clock = clock
        self._windows: dict[str, _Window] = {}

    def window(self, key: str) -> _Window:
        win = self._windows.get(key)
        if win is None:
            win = self._windows[key] = _Window(calls=self.settings.initial_calls)
        return win

    def admit(self, key: str, tokens: int, retry: bool = False) -> Ticket | float:
        """A ticket, or the seconds to wait before asking again (``inf``: until a release).

        A retry (a call Bedrock throttled) goes first: new calls wait while one waits, so
        a throttled call is not sent to the back of the queue each time (the tail latency).

        Pacing spaces calls by ``1 / call_rate`` and by ``tokens / token_rate``: a call is
        admitted once its turn has come, whatever its size, so a request bigger than a
        second's worth of tokens waits its turn and never for ever.
        """
        win = self.window(key)
        now = self._clock()
        if now < win.paused_until:
            return win.paused_until - now
        if not retry and win.retries_waiting:
            return math.inf
        if win.in_flight >= max(1, int(win.calls)):
            return math.inf
        wait = max(win.next_call - now, win.next_token - now)
        if wait > 0:
            return wait
        win.in_flight += 1
        if win.call_rate:
            win.next_call = max(now, win.next_call) + 1.0 / win.call_rate
        if win.token_rate:
            win.next_token = max(now, win.next_token) + tokens / win.token_rate
        return Ticket(key, tokens, now)

    def release(
        self,
        ticket: Ticket,
        outcome: Literal["ok", "throttled", "other"],
        *,
        signal: Signal = "both",
        retry_after: float | None = None,
    ) -> None:
        """Give a ticket back and learn from how its call went."""
        win = self.window(ticket.key)
        win.in_flight = max(0, win.in_flight - 1)
        now = self._clock()
        if retry_after is not None and retry_after > 0:
            win.paused_until = max(win.paused_until, now + retry_after)
        if outcome == "ok":
            self._grow(win, ticket, now)
        elif outcome == "throttled":
            self._cut(win, now, signal)

    def _grow(self, win: _Window, ticket: Ticket, now: float) -> None:
        """Slow start (one more call per success: the window doubles each round) until the
        first throttle, then additive increase; paced rates grow by ``probe`` per horizon."""
        s = self.settings
        win.srtt += 0.125 * (max(now - ticket.admitted_at, 0.0) - win.srtt)
        step = 1.0 if win.calls < win.threshold else 1.0 / max(win.calls, 1.0)
        win.calls = min(s.max_calls, win.calls + step)
        win.recent.append((now, ticket.tokens))
        self._forget(win, now)
        if win.call_rate is not None:
            win.call_rate += s.probe / s.horizon
        if win.token_rate is not None:
            win.token_rate += s.probe * ticket.tokens / s.horizon

    def _forget(self, win: _Window, now: float) -> None:
        while win.recent and win.recent[0][0] < now - self.settings.horizon:
            win.recent.popleft()

    def _cut(self, win: _Window, now: float, signal: Signal) -> None:
        """Multiplicative decrease of the window, once per congestion event (one smoothed
        call duration); the rate the signal names is paced at what got through lately."""
        s = self.settings
        if now - win.last_cut < max(0.05, win.srtt):
            return
        win.last_cut = now
        win.calls = max(s.min_calls, win.calls * s.decrease)
        win.threshold = win.calls  # slow start ends at the first congestion event
        if signal == "capacity":  # not a quota: fewer calls in flight, no pacing
            return
        self._forget(win, now)
        calls = len(win.recent) / s.horizon
        tokens = sum(t for _, t in win.recent) / s.horizon
        if signal in ("requests", "both"):
            win.call_rate = _paced(win.call_rate, calls, s.margin)
        if signal in ("tokens", "both"):
            win.token_rate = _paced(win.token_rate, tokens, s.margin)

    def snapshot(self, key: str) -> dict[str, float | int | None]:
        """The key's state, for progress displays and tests."""
        win = self.window(key)
        return {
            "calls": win.calls,
            "in_flight": win.in_flight,
            "call_rate": win.call_rate,
            "token_rate": win.token_rate,
            "srtt": win.srtt,
        }


def _paced(current: float | None, measured: float, margin: float) -> float | None:
    """The new rate after a throttle: a little under what got through in the horizon (and
    never above the rate already paced); nothing got through: half the old rate."""
    if measured > 0:
        target = measured * margin
        return target if current is None else min(current * margin, target)
    if current is None:  # nothing to measure yet: the call window alone limits
        return None
    return max(current * 0.5, 1e-3)


#: Longest single wait before asking again: a release normally wakes waiters sooner.
_MAX_NAP: Final = 1.0


def _admission(
    core: ThroughputCore, key: str, tokens: int, deadline: float | None, retry: bool
) -> Generator[float, None, Ticket | None]:
    """Ask ``core`` until it admits (the ticket is returned) or ``deadline`` passes (None),
    yielding how long to wait between two asks: the gates only do the waiting, each its
    own way (a condition for threads, an event for tasks). A waiting retry is counted so
    that new calls let it go first."""
    window = core.window(key)
    window.retries_waiting += retry
    try:
        while True:
            got = core.admit(key, tokens, retry)
            if isinstance(got, Ticket):
                return got
            nap = min(got, _MAX_NAP)
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                nap = min(nap, left)
            yield nap
    finally:
        window.retries_waiting -= retry


class SyncGate:
    """Blocking admission for threads sharing one sync client."""

    def __init__(self, core: ThroughputCore) -> None:
        self.core = core
        self._cond = threading.Condition()

    def acquire(
        self, key: str, tokens: int, deadline: float | None = None, retry: bool = False
    ) -> Ticket | None:
        """A ticket, or None if ``deadline`` (monotonic) passes first."""
        with self._cond:
            steps = _admission(self.core, key, tokens, deadline, retry)
            try:
                while True:
                    self._cond.wait(next(steps))
            except StopIteration as done:
                ticket: Ticket | None = done.value
                return ticket
            finally:
                if retry:  # new calls held back for this retry may go now
                    self._cond.notify_all()

    def release(
        self,
        ticket: Ticket,
        outcome: Literal["ok", "throttled", "other"],
        *,
        signal: Signal = "both",
        retry_after: float | None = None,
    ) -> None:
        with self._cond:
            self.core.release(ticket, outcome, signal=signal, retry_after=retry_after)
            self._cond.notify_all()


class AsyncGate:
    """Awaiting admission for tasks sharing one async client (one event loop).

    No lock is needed: admission and release run on the loop's thread between awaits. A
    release wakes every waiter through an event that is replaced on each release.
    """

    def __init__(self, core: ThroughputCore) -> None:
        self.core = core
        self._changed: asyncio.Event | None = None

    async def acquire(
        self, key: str, tokens: int, deadline: float | None = None, retry: bool = False
    ) -> Ticket | None:
        """Async twin of :meth:`SyncGate.acquire`."""
        steps = _admission(self.core, key, tokens, deadline, retry)
        try:
            while True:
                nap = next(steps)
                if self._changed is None:
                    self._changed = asyncio.Event()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), nap)
        except StopIteration as done:
            ticket: Ticket | None = done.value
            return ticket
        finally:
            if retry:
                self._wake()

    def release(
        self,
        ticket: Ticket,
        outcome: Literal["ok", "throttled", "other"],
        *,
        signal: Signal = "both",
        retry_after: float | None = None,
    ) -> None:
        """Give the ticket back (no await: callable from the shared I/O-free flow)."""
        self.core.release(ticket, outcome, signal=signal, retry_after=retry_after)
        self._wake()

    def _wake(self) -> None:
        changed, self._changed = self._changed, None
        if changed is not None:
            changed.set()
