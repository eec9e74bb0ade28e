"""Adaptive throughput: how many calls, and how many tokens, a client keeps in flight per model.

Bedrock's on-demand quotas are token buckets per model and Region (tokens per minute, input
plus output with the output burndown rate; requests per minute on some models), admitted on
``input + max_tokens`` and refilled continuously. A client does not know them (they differ
per account and change with quota increases), so it learns them the way TCP learns a path's
capacity: two congestion windows per key (model or profile, on one endpoint), one counting
calls and one counting *estimated tokens*, each grown additively while calls succeed and cut
multiplicatively when Bedrock throttles (AIMD). Counting tokens, not only calls, paces a mix
of big and small requests: a 50,000-token request takes the room of fifty 1,000-token ones.

Why AIMD converges near the quota rather than at 75% of it (the sawtooth's mean): the quota's
bucket holds a window's worth of tokens, so the time spent under the rate after a cut refills
the bucket instead of wasting capacity, and the time spent over it drains the bucket again.
A cut happens at most once per *congestion event* (one cool-down, a few call latencies), so
a burst of 429s from calls already in flight does not collapse the window.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Literal, NamedTuple

__all__ = [
    "ABSORB",
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

#: What throttled a call, as far as the answer tells: Bedrock's wording names tokens or
#: requests ("Too many tokens…", "Too many requests…"); anything else cuts both windows.
Signal = Literal["tokens", "requests", "both"]


class Admit(NamedTuple):
    """A send flow's step: wait for a ticket of ``gate`` (answered with it, or None if
    ``deadline`` passed first). Defined here, not with the other steps, so that the senders
    import it without importing the flow that yields it (:mod:`._gated`)."""

    gate: SyncGate | AsyncGate
    key: str
    tokens: int
    deadline: float


@dataclass(frozen=True, slots=True)
class ThroughputSettings:
    """The limiter's constants. The defaults start cautiously (4 calls in flight, no token
    cap until the first throttle), double the call window per round of successes until
    Bedrock first throttles (TCP's slow start), then grow it by about one call per round."""

    initial_calls: float = 4.0
    min_calls: float = 1.0
    max_calls: float = 1024.0
    #: Multiplicative decrease on a congestion event (0.7: CUBIC's beta; 0.5 halves).
    decrease: float = 0.7
    #: A second throttle within this many seconds of a cut is the same congestion event.
    cooldown: float = 0.5


@dataclass(slots=True)
class _Window:
    """One key's state. ``tokens_cap`` is None until the first throttle: before Bedrock has
    said no, only the call window limits (a token window would be a guess)."""

    calls: float
    #: Slow start's threshold (TCP's ``ssthresh``): below it the call window doubles per
    #: window of successes; above it, it grows by one. Unknown (inf) until the first cut.
    threshold: float = math.inf
    in_flight: int = 0
    tokens_cap: float | None = None
    tokens_in_flight: int = 0
    paused_until: float = 0.0
    last_cut: float = -math.inf
    #: Estimated tokens of calls that succeeded since the last cut (to seed the token cap).
    recent_tokens: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Ticket:
    """An admitted call: give it back with :meth:`ThroughputCore.release`."""

    key: str
    tokens: int


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

    def admit(self, key: str, tokens: int) -> Ticket | float:
        """A ticket, or the seconds to wait before asking again (``inf``: until a release).

        A call bigger than the whole token window is admitted alone (nothing else in
        flight), so one large request can never wait for ever.
        """
        win = self.window(key)
        now = self._clock()
        if now < win.paused_until:
            return win.paused_until - now
        if win.in_flight >= max(1, int(win.calls)):
            return math.inf
        cap = win.tokens_cap
        if cap is not None and win.in_flight and win.tokens_in_flight + tokens > cap:
            return math.inf
        win.in_flight += 1
        win.tokens_in_flight += tokens
        return Ticket(key, tokens)

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
        win.tokens_in_flight = max(0, win.tokens_in_flight - ticket.tokens)
        now = self._clock()
        if retry_after is not None and retry_after > 0:
            win.paused_until = max(win.paused_until, now + retry_after)
        if outcome == "ok":
            self._grow(win, ticket.tokens)
        elif outcome == "throttled":
            self._cut(win, now, signal)

    def _grow(self, win: _Window, tokens: int) -> None:
        """Slow start (one more call per success: the window doubles each round) until the
        first throttle, then additive increase (one call per window of successes)."""
        s = self.settings
        step = 1.0 if win.calls < win.threshold else 1.0 / max(win.calls, 1.0)
        win.calls = min(s.max_calls, win.calls + step)
        if win.tokens_cap is not None:
            win.tokens_cap += tokens * tokens / max(win.tokens_cap, 1.0)
        else:
            win.recent_tokens.append(tokens)
            if len(win.recent_tokens) > 4096:  # bounded memory: the sum is what matters
                del win.recent_tokens[:2048]

    def _cut(self, win: _Window, now: float, signal: Signal) -> None:
        """Multiplicative decrease, once per congestion event."""
        s = self.settings
        if now - win.last_cut < s.cooldown:
            return
        win.last_cut = now
        if signal in ("requests", "both"):
            win.calls = max(s.min_calls, win.calls * s.decrease)
        win.threshold = win.calls  # slow start ends at the first congestion event
        if signal in ("tokens", "both"):
            # The first throttle seeds the token window with what was in flight (tokens the
            # quota was absorbing when it ran out), cut as the call window is.
            seen = win.tokens_in_flight + (win.recent_tokens[-1] if win.recent_tokens else 0)
            base = win.tokens_cap if win.tokens_cap is not None else float(max(seen, 1))
            win.tokens_cap = max(1.0, base * s.decrease)
            win.recent_tokens.clear()

    def snapshot(self, key: str) -> dict[str, float | int | None]:
        """The key's windows, for progress displays and tests."""
        win = self.window(key)
        return {
            "calls": win.calls,
            "in_flight": win.in_flight,
            "tokens_cap": win.tokens_cap,
            "tokens_in_flight": win.tokens_in_flight,
        }


#: Longest single wait before asking again: a release normally wakes waiters sooner.
_MAX_NAP: Final = 1.0


class SyncGate:
    """Blocking admission for threads sharing one sync client."""

    def __init__(self, core: ThroughputCore) -> None:
        self.core = core
        self._cond = threading.Condition()

    def acquire(self, key: str, tokens: int, deadline: float | None = None) -> Ticket | None:
        """A ticket, or None if ``deadline`` (monotonic) passes first."""
        with self._cond:
            while True:
                got = self.core.admit(key, tokens)
                if isinstance(got, Ticket):
                    return got
                nap = min(got, _MAX_NAP)
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return None
                    nap = min(nap, left)
                self._cond.wait(nap)

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

    async def acquire(self, key: str, tokens: int, deadline: float | None = None) -> Ticket | None:
        """Async twin of :meth:`SyncGate.acquire`."""
        while True:
            got = self.core.admit(key, tokens)
            if isinstance(got, Ticket):
                return got
            nap = min(got, _MAX_NAP)
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                nap = min(nap, left)
            if self._changed is None:
                self._changed = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), nap)

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
        changed, self._changed = self._changed, None
        if changed is not None:
            changed.set()
