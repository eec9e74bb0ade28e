"""What the client does under each injected fault: retry where it is safe, never replay a
stream that already delivered an event, give up with a typed error, honour Retry-After and
the retry deadline. Every case runs through the sync and the async client."""

from __future__ import annotations

import logging
import time

import httpx
import pytest
from faultkit import FULL, MODES, attempts, create, fault, stream

from claude_bedrock import (
    AnthropicBedrock,
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
from claude_bedrock._senders import Close, Flow, Prime, Read, Send, Sleep, send_flow
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
    # 3 s, not 1 s: the first attempt's time counts, and a 503 that took over half a second
    # to come back on a busy machine (plus up to 0.5 s of jitter) left no room for a retry.
    headers, key = fault("503")
    error = create(mode, faulty, headers, max_retries=10, retry_deadline=3.0)
    assert isinstance(error, ServiceUnavailableError)
    assert 2 <= attempts(faulty, key) <= 11  # retried while the deadline lasted, then gave up


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


# -- the flow itself, without I/O -------------------------------------------------------------


def _flow(stream: bool, max_retries: int = 2) -> Flow:
    core = AnthropicBedrock(aws_region="us-west-2", api_key="k", max_retries=max_retries)._core
    call = ("POST", core.url("runtime", "/model/m/invoke"), b"{}", None, None, "application/json")
    return send_flow(core, call, stream, prime=stream)


def test_the_send_flow_is_driven_by_hand() -> None:
    """The same generator both clients drive: fed answers and failures, it asks for sends,
    sleeps, primes and closes, and ends with the response or the error."""
    flow = _flow(stream=False)
    first = next(flow)
    assert type(first) is Send and not first.stream
    busy = httpx.Response(503, headers={"retry-after-ms": "250"}, request=first.request)
    assert flow.send(busy) == Sleep(0.25)  # Retry-After, in milliseconds
    second = flow.send(None)
    assert type(second) is Send and second.request is not first.request  # signed afresh
    wait = flow.throw(httpx.ReadTimeout("slow"))
    backoff = wait.seconds if type(wait) is Sleep else None  # what the flow asks to wait
    assert backoff is not None and 0 <= backoff <= 1.0  # back-off with jitter, not timed
    third = flow.send(None)
    ok = httpx.Response(200, json={}, request=third.request)
    with pytest.raises(StopIteration) as done:
        flow.send(ok)
    assert done.value.value == (ok, None)


def test_a_stream_that_fails_before_its_first_event_is_closed_then_retried() -> None:
    flow = _flow(stream=True, max_retries=1)
    send = next(flow)
    assert type(send) is Send and send.stream
    opened = httpx.Response(200, request=send.request)
    assert flow.send(opened) == Prime(opened)
    assert flow.throw(APIConnectionError("reset", send.request)) == Close(opened)
    assert type(flow.send(None)) is Sleep
    again = flow.send(None)
    reopened = httpx.Response(200, request=again.request)
    assert flow.send(reopened) == Prime(reopened)
    assert flow.throw(APIConnectionError("reset", again.request)) == Close(reopened)
    with pytest.raises(APIConnectionError):  # max_retries spent: the error, once closed
        flow.send(None)


def test_a_streamed_error_answer_is_read_and_closed_then_mapped() -> None:
    flow = _flow(stream=True, max_retries=0)
    send = next(flow)
    bad = httpx.Response(400, json={"message": "no"}, request=send.request,
                         headers={"x-amzn-ErrorType": "ValidationException"})  # fmt: skip
    assert flow.send(bad) == Read(bad)
    assert flow.send(b"") == Close(bad)
    with pytest.raises(BadRequestError, match="no"):
        flow.send(None)
