"""When to try a request again, and how long to wait first.

The rules, shared by the sync and async clients:

* Retried: no HTTP answer at all (refused, reset, timed out), statuses 408, 429, 500, 502,
  503, 504 and 529, and a stream that failed *before its first event* (a reset, a timeout
  or a retryable exception frame such as ``throttlingException``): nothing has reached the
  caller yet, so sending again cannot duplicate or reorder anything they saw. A stream that
  already delivered an event is never replayed; its error goes to the caller with the
  partial message kept (``current_message_snapshot``).
* ``max_retries`` retries at most (default 2, as the Anthropic SDK).
* The wait: ``Retry-After`` / ``retry-after-ms`` when Bedrock sends one (a wait longer than
  :data:`MAX_RETRY_AFTER` is not worth holding the caller for: the error is raised);
  otherwise exponential back-off with *full jitter*, ``uniform(0, min(8, 0.5 * 2**n))``
  seconds, so that many clients throttled together do not come back together.
* ``throughput="adaptive"`` retries 429, 503 and 529 past ``max_retries`` (the limiter paces
  them), except a 429 that says a *day's* quota is spent ("Too many tokens per day, ..."):
  that one does not come back within a deadline of minutes, so it gets the ordinary
  ``max_retries`` and is raised.
* ``retry_deadline`` (default :data:`DEFAULT_RETRY_DEADLINE` seconds) bounds the time spent
  retrying: counted from the start of the call, no back-off may end after it, so a call
  gives up at the latest ``retry_deadline`` seconds plus one attempt's ``timeout`` after it
  began (an attempt's timeout bounds the whole attempt, up to a stream's first real event:
  :mod:`._transports._deadline`; a stream that has started may then run on while events
  keep coming, ``read`` seconds apart at most).
"""

from __future__ import annotations

import email.utils
import random
import time

import httpx

from ._exceptions import APIConnectionError, APIError, APIStatusError
from ._throughput import ABSORB

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_RETRY_DEADLINE",
    "RETRYABLE_STATUS",
    "RetryPolicy",
    "retry_after_seconds",
    "retryable_error",
]

DEFAULT_MAX_RETRIES = 2
#: Seconds after the start of a call past which no retry is started.
DEFAULT_RETRY_DEADLINE = 60.0
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
#: A ``Retry-After`` longer than this is not waited for: the error goes to the caller.
MAX_RETRY_AFTER = 60.0
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504, 529})
#: Throttling and capacity: what ``throughput="adaptive"`` retries past ``max_retries``.
ABSORBED_STATUS = frozenset({429, 503, 529})
#: Longest wait before an absorbed retry (seconds): the limiter, not the back-off, paces.
ABSORBED_JITTER = 0.25
#: Words of a 429 that are not absorbed: Bedrock's "Too many tokens per day, please wait
#: before trying again." (a daily quota; seen in the first 2 KiB of the body).
_DAILY_QUOTA = b"per day"


class RetryPolicy:
    """``max_retries`` and ``retry_deadline`` of one client, and the decisions they imply."""

    __slots__ = ("absorb", "deadline", "max_retries")

    def __init__(self, max_retries: int, deadline: float | None) -> None:
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
        deadline = DEFAULT_RETRY_DEADLINE if deadline is None else float(deadline)
        if deadline < 0:
            raise ValueError(f"retry_deadline must be 0 or more seconds, got {deadline}")
        self.max_retries = max_retries
        self.deadline = deadline
        #: ``throughput="adaptive"``: throttling and capacity answers are retried past
        #: ``max_retries``, up to the deadline (the limiter paces them, see _throughput).
        self.absorb = False

    def delay(
        self, attempt: int, started: float, response: httpx.Response | None = None
    ) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or None to give up.

        ``response`` is the error answer, if there was one (None: no answer, or a stream
        that failed before its first event, which the caller has already judged retryable).
        """
        absorbed = self._absorbed(response)
        if attempt >= self.max_retries and not absorbed:
            return None
        if response is not None and response.status_code not in RETRYABLE_STATUS:
            return None
        after = retry_after_seconds(response.headers) if response is not None else None
        if after is None and absorbed:  # the limiter's windows pace the retry; a short jitter
            wait = random.uniform(0.0, ABSORBED_JITTER)
        elif after is None:
            wait = random.uniform(0.0, min(MAX_RETRY_DELAY, INITIAL_RETRY_DELAY * 2**attempt))
        elif after <= MAX_RETRY_AFTER:
            wait = after
        else:
            return None
        if time.monotonic() - started + wait > self.deadline:
            return None
        return wait

    def _absorbed(self, response: httpx.Response | None) -> bool:
        """Whether this error answer is absorbed (see :attr:`absorb`): retried past
        ``max_retries``, after a short jitter rather than an exponential back-off."""
        return (
            self.absorb
            and response is not None
            and response.status_code in ABSORBED_STATUS
            and ABSORB.get()
            and not _daily_quota(response)
        )


def _daily_quota(response: httpx.Response) -> bool:
    """Whether a 429 says a daily quota is spent (its body read; unread: not known)."""
    if response.status_code != 429:
        return False
    try:
        content = response.content
    except httpx.ResponseNotRead:
        return False
    return _DAILY_QUOTA in content[:2048].lower()


def retryable_error(error: APIError) -> bool:
    """Whether a stream that failed with ``error`` before its first event may be sent again."""
    if isinstance(error, APIConnectionError):
        return True
    return isinstance(error, APIStatusError) and error.status_code in RETRYABLE_STATUS


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """``retry-after-ms`` (milliseconds), or ``Retry-After`` as seconds or an HTTP date."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, parsed.timestamp() - time.time())
