"""What the client does under each injected fault: retry where it is safe, never replay a
stream that already delivered an event, give up with a typed error, honour Retry-After and
the retry deadline. Every case runs through the sync and the async client."""

from __future__ import annotations

import logging
import time

import pytest
from faultkit import FULL, MODES, attempts, create, fault, stream

from claude_bedrock import (
    APIConnectionError,
    APIError,
    BadRequestError,
    InternalServerError,
    ModelTimeoutError,
    RateLimitError,
    ServiceUnavailableError,
    StreamError,
)
from claude_bedrock._retry import MAX_RETRY_DELAY, RetryPolicy
from claude_bedrock.emulator import Emulator

# -- answers that are errors ------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("spec", ["throttle", "503", "500", "408", "reset-before"])
def test_failed_attempts_are_retried(faulty: Emulator, mode: str, spec: str) -> None:
    headers, key = fault(f"{spec}*1")
    message = create(mode, faulty, headers, max_retries=2)
    assert not isinstance(message, Exception), message
    assert message.content[0].text.startswith(FULL)
    assert attempts(faulty, key) == 2
    outcome = stream(mode, faulty, fault(f"{spec}*1")[0], max_retries=1)
    assert outcome.error is None and outcome.text and outcome.text.startswith(FULL)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("spec", "cls"),
    [("throttle", RateLimitError), ("503", ServiceUnavailableError),
     ("500", InternalServerError), ("408", ModelTimeoutError),
     ("reset-before", APIConnectionError)],
)  # fmt: skip
def test_retries_exhausted_give_a_typed_error(
    faulty: Emulator, mode: str, spec: str, cls: type[APIError]
) -> None:
    headers, key = fault(spec)
    error = create(mode, faulty, headers, max_retries=1)
    assert type(error) is cls  # exactly: a reset is not reported as a timeout
    assert attempts(faulty, key) == 2
    outcome = stream(mode, faulty, headers, max_retries=0)
    assert type(outcome.error) is cls and not outcome.opened  # raised when opening


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_is_honoured(
    faulty: Emulator, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    headers, key = fault("throttle-retry-after=0.4*1")
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="claude_bedrock"):
        message = create(mode, faulty, headers)
    assert not isinstance(message, Exception) and attempts(faulty, key) == 2
    assert time.monotonic() - started >= 0.4  # it did wait that long (a lower bound only)
    retries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retrying")]
    assert len(retries) == 1 and " in 0.40 s (HTTP 429 ThrottlingException; retry 1)" in retries[0]


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_past_the_deadline_is_not_waited_for(faulty: Emulator, mode: str) -> None:
    headers, key = fault("throttle-retry-after=30")
    started = time.monotonic()
    error = create(mode, faulty, headers, max_retries=5, retry_deadline=5)
    assert isinstance(error, RateLimitError) and attempts(faulty, key) == 1
    assert time.monotonic() - started < 30  # raised instead of sleeping 30 s
    headers, key = fault("throttle-retry-after=90")  # longer than any wait worth making
    error = create(mode, faulty, headers, max_retries=5, retry_deadline=600)
    assert isinstance(error, RateLimitError) and attempts(faulty, key) == 1


@pytest.mark.parametrize("mode", MODES)
def test_no_retry_starts_after_the_deadline(faulty: Emulator, mode: str) -> None:
    headers, key = fault("503")
    error = create(mode, faulty, headers, max_retries=10, retry_deadline=0)
    assert isinstance(error, ServiceUnavailableError) and attempts(faulty, key) == 1
    headers, key = fault("503")
    error = create(mode, faulty, headers, max_retries=10, retry_deadline=1.0)
    assert isinstance(error, ServiceUnavailableError)
    assert 2 <= attempts(faulty, key) <= 11  # retried while the second lasted, then gave up


def test_backoff_is_exponential_with_full_jitter() -> None:
    policy = RetryPolicy(max_retries=10, deadline=1e9)
    now = time.monotonic()
    for attempt in range(6):
        cap = min(MAX_RETRY_DELAY, 0.5 * 2**attempt)
        delays = [policy.delay(attempt, now) for _ in range(400)]
        assert all(d is not None and 0 <= d <= cap for d in delays)
        # full jitter: spread over the whole range, not clustered near the cap
        assert min(delays) < 0.1 * cap and max(delays) > 0.9 * cap  # type: ignore[type-var]
    assert policy.delay(10, now) is None  # max_retries reached
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1, deadline=None)


# -- streams: retried before the first event, never after -----------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("spec", ["exception-frame@0", "reset-mid-stream@0", "503"])
def test_stream_failing_before_its_first_event_is_retried(
    faulty: Emulator, mode: str, spec: str
) -> None:
    headers, key = fault(f"{spec}*2")
    outcome = stream(mode, faulty, headers, max_retries=2)
    assert outcome.error is None and outcome.text and outcome.text.startswith(FULL)
    assert "".join(outcome.received) == outcome.text  # delivered once, in order
    assert attempts(faulty, key) == 3
    headers, key = fault(spec)
    outcome = stream(mode, faulty, headers, max_retries=1)  # fails every time: typed error
    assert outcome.error is not None and not outcome.opened and attempts(faulty, key) == 2


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("spec", "cls"),
    [("exception-frame@4", RateLimitError),
     ("exception-frame=internalServerException@4", InternalServerError),
     ("reset-mid-stream@4", APIConnectionError)],
)  # fmt: skip
def test_stream_that_delivered_content_is_never_replayed(
    faulty: Emulator, mode: str, spec: str, cls: type[APIError]
) -> None:
    headers, key = fault(f"{spec}*1")  # a replay would succeed: it must not happen
    outcome = stream(mode, faulty, headers, max_retries=3)
    assert type(outcome.error) is cls and outcome.opened
    assert attempts(faulty, key) == 1
    assert outcome.received and FULL.startswith("".join(outcome.received))
    assert outcome.snapshot == "".join(outcome.received)  # what arrived is kept


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("spec", "cls"),
    [("exception-frame=validationException@0", BadRequestError),
     ("exception-frame=modelStreamErrorException@0", StreamError)],
)  # fmt: skip
def test_non_retryable_stream_errors_are_raised_at_once(
    faulty: Emulator, mode: str, spec: str, cls: type[APIError]
) -> None:
    headers, key = fault(spec)
    outcome = stream(mode, faulty, headers, max_retries=3)
    assert type(outcome.error) is cls and not outcome.opened
    assert attempts(faulty, key) == 1
