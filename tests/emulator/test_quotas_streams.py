"""Throttling inside a stream, on an emulator with quotas: through fault injection, not the
quota.

Bedrock does deliver throttling inside an event stream: botocore's bedrock-runtime model has
a ``throttlingException`` member in both ``ResponseStream`` (InvokeModelWithResponseStream)
and ``ConverseStreamOutput`` (ConverseStream), and users quote botocore's
``EventStreamError: An error occurred (throttlingException) when calling the
InvokeModelWithResponseStream operation: Too many requests, please wait before trying
again. ...`` (aws-samples/aws-genai-llm-chatbot#220). No source shows *when*: that Bedrock
cuts a started stream because its output overran the quota was not found (AWS says only
that the reservation is adjusted during processing), so the emulator's quotas never do it.
A test that needs it asks for it: ``x-emulator-fault: exception-frame=throttlingException@N``
(an emulator started with faults), which sends N event frames and then the exception frame,
with Bedrock's quoted text and an ``x-emulator-injected`` frame header. These tests run it on
a quota-governed emulator and prove how both clients read it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EventStreamError

from claude_bedrock import AnthropicBedrock, RateLimitError
from claude_bedrock.emulator import Emulator

from .conftest import body
from .messages_support import REGION

MODEL = "us.anthropic.claude-opus-4-8"
FAULT = {"x-emulator-fault": "exception-frame=throttlingException@3"}
#: Bedrock's in-stream text as aws-samples/aws-genai-llm-chatbot#220 quotes it (the injected
#: frame keeps it; its ``x-emulator-injected`` header, not its message, says it is injected).
INJECTED = (
    "Too many requests, please wait before trying again. "
    "You have sent too many requests. Wait before trying again."
)
TIMEOUT = 10.0
ASK = {"model": MODEL, "max_tokens": 200,
       "messages": [{"role": "user", "content": "Hello, world emulator:tokens=30"}]}  # fmt: skip


@pytest.fixture(scope="module")
def governed() -> Iterator[Emulator]:
    emulator = Emulator(region=REGION, quotas="default,clock=manual,tpm=100000", faults="on")
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def runtime(governed: Emulator) -> Iterator[Any]:
    governed.reset_quotas()
    client = boto3.client(
        "bedrock-runtime", endpoint_url=governed.url, region_name=REGION,
        aws_access_key_id=governed.access_key, aws_secret_access_key=governed.secret_key,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"},
                      read_timeout=TIMEOUT, connect_timeout=TIMEOUT),
    )  # fmt: skip

    def add_fault(request: Any, **_: Any) -> None:
        for name, value in FAULT.items():
            request.headers[name] = value

    client.meta.events.register_first("before-sign.bedrock-runtime.*", add_fault)
    yield client
    client.close()


def _drain(stream: Any) -> tuple[list[Any], EventStreamError]:
    seen: list[Any] = []
    with pytest.raises(EventStreamError) as caught:
        for event in stream:
            seen.append(event)
    return seen, caught.value


def test_boto3_reads_the_frame_as_its_throttling_event_stream_error(
    runtime: Any, governed: Emulator
) -> None:
    response = runtime.invoke_model_with_response_stream(
        modelId=MODEL, body=json.dumps(body(max_tokens=200))
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200  # admitted: the stream began
    seen, error = _drain(response["body"])
    assert len(seen) == 3 and all("chunk" in event for event in seen)
    assert error.response["Error"] == {"Code": "throttlingException", "Message": INJECTED}
    assert "(throttlingException) when calling the InvokeModelWithResponseStream" in str(error)
    converse = runtime.converse_stream(
        modelId=MODEL, messages=[{"role": "user", "content": [{"text": "Hello"}]}],
        inferenceConfig={"maxTokens": 200},
    )  # fmt: skip
    seen, error = _drain(converse["stream"])
    assert len(seen) == 3
    assert error.response["Error"] == {"Code": "throttlingException", "Message": INJECTED}
    totals = governed.quota_stats()["totals"]  # the quota admitted both; it throttled neither
    assert (totals["received"], totals["admitted"], totals["throttled"]) == (2, 2, 0)


@pytest.mark.usefixtures("client_env")
def test_our_client_raises_rate_limit_error_and_keeps_what_arrived(governed: Emulator) -> None:
    """Typed ``RateLimitError`` (429, ``ThrottlingException``) on both stream operations,
    never replayed once an event was delivered, even with ``throughput="adaptive"``."""
    governed.reset_quotas()
    with AnthropicBedrock(
        aws_access_key=governed.access_key, aws_secret_key=governed.secret_key,
        aws_region=REGION, base_url=governed.url, throughput="adaptive", max_retries=3,
        timeout=TIMEOUT,
    ) as client:  # fmt: skip
        received: list[str] = []
        with (
            pytest.raises(RateLimitError) as caught,
            client.messages.stream(**ASK, extra_headers=FAULT) as stream,
        ):
            for text in stream.text_stream:
                received.append(text)
        assert caught.value.status_code == 429
        assert caught.value.error_type == "ThrottlingException"
        assert INJECTED in str(caught.value)
        assert received and stream.current_message_snapshot.content[0].text == "".join(received)
        converse = client.converse.stream(
            modelId=MODEL, messages=[{"role": "user", "content": [{"text": "Hello"}]}],
            inferenceConfig={"maxTokens": 200}, extra_headers=FAULT,
        )  # fmt: skip
        with pytest.raises(RateLimitError), converse:
            for _ in converse:
                pass
    totals = governed.quota_stats()["totals"]  # one attempt each: nothing was sent again
    assert (totals["received"], totals["admitted"]) == (2, 2)
