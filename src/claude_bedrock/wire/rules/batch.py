"""Batch inference (CreateModelInvocationJob) rules; the limits are the catalogue's
``batch_limits`` (from ``limits.json``, sourced from botocore's ``bedrock`` service model)."""

from __future__ import annotations

from . import Rule, Violation

__all__ = ["timeout_violation"]


def timeout_violation(hours: object, minimum: int, maximum: int) -> Violation | None:
    """``timeoutDurationInHours`` outside ``minimum..maximum`` (or not a whole number).

    ``limit`` is ``"minimum..maximum"``; ``value`` the hours as given (or their repr).
    """
    if isinstance(hours, int) and not isinstance(hours, bool) and minimum <= hours <= maximum:
        return None
    value = hours if isinstance(hours, int) and not isinstance(hours, bool) else repr(hours)
    return Violation(
        Rule.BATCH_TIMEOUT_HOURS, f"{minimum}..{maximum}", value, "timeoutDurationInHours"
    )
