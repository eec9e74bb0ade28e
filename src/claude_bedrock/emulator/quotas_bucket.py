"""Token buckets and the clocks they read, without I/O (so tests drive them by hand).

A quota of ``limit`` per window is a bucket of ``limit`` tokens that refills continuously
at ``limit / window`` per second of its clock, never above ``limit``: a client that waits
gets back what it is owed to the token, with no minute boundary for a burst to straddle.
:meth:`TokenBucket.take` admits a request only when the bucket holds its whole cost;
:meth:`TokenBucket.adjust` reconciles afterwards (a refund when the answer was shorter than
reserved, a debt when output burned more: the level may then go below zero, and later
requests wait until it has refilled). A cost larger than ``limit`` is never admitted, as a
request larger than a per-minute quota is not.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["Clock", "ManualClock", "SystemClock", "TokenBucket"]


class Clock(Protocol):
    """Seconds from an arbitrary origin that never go backwards."""

    def now(self) -> float: ...


class SystemClock:
    """``time.monotonic``: the clock of a running emulator."""

    def now(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told (``clock=manual``; ``POST /_emulator/clock``)."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds`` (>= 0); the new time."""
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        self._now += seconds
        return self._now


@dataclass(slots=True)
class TokenBucket:
    """``limit`` tokens per ``window`` seconds of ``clock``; starts full."""

    limit: float
    window: float
    clock: Clock
    level: float = field(init=False)
    _at: float = field(init=False)
    #: When the bucket was created or last reset (the start of :meth:`ceiling`'s count).
    since: float = field(init=False)

    def __post_init__(self) -> None:
        self.level = self.limit
        self._at = self.since = self.clock.now()

    def _refill(self) -> None:
        now = self.clock.now()
        if now > self._at:
            self.level = min(self.limit, self.level + (now - self._at) * self.limit / self.window)
        self._at = now

    def available(self) -> float:
        """Tokens in the bucket now (negative while a debt is being paid back)."""
        self._refill()
        return self.level

    def can_take(self, cost: float) -> bool:
        """Whether :meth:`take` would admit ``cost`` now (nothing is taken)."""
        return self.available() >= cost

    def take(self, cost: float) -> bool:
        """Take ``cost`` tokens if the bucket holds them all; whether it did."""
        if not self.can_take(cost):
            return False
        self.level -= cost
        return True

    def adjust(self, delta: float) -> None:
        """Give back (``delta`` > 0) or charge (< 0) tokens after the fact."""
        self._refill()
        self.level = min(self.limit, self.level + delta)

    def seconds_until(self, cost: float) -> float:
        """How long until ``cost`` fits (0 if it does now; ``inf`` if it never will)."""
        if cost > self.limit:
            return float("inf")
        missing = cost - self.available()
        return max(0.0, missing * self.window / self.limit)

    def ceiling(self) -> float:
        """The most a client could have taken since :attr:`since`: the full bucket it started
        with plus every refill (a benchmark's "theoretical maximum")."""
        return self.limit * (1 + (self.clock.now() - self.since) / self.window)

    def reset(self) -> None:
        """Full again, as at start."""
        self.level = self.limit
        self._at = self.since = self.clock.now()
