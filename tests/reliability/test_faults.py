"""The emulator's fault injection, seen from the wire: each fault, the switch, the rate."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import botocore
import httpx
import pytest
from faultkit import FAULT, KEY, MODEL, fault, fault_report

from claude_bedrock.emulator import Emulator
from claude_bedrock.emulator.faults import parse_config, parse_fault
from claude_bedrock.wire import eventstream

BODY = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64,
                   "messages": [{"role": "user", "content": "Hi emulator:tokens=20"}]})  # fmt: skip
INVOKE = f"/model/{MODEL}/invoke"
STREAM = f"/model/{MODEL}/invoke-with-response-stream"


def _headers(emulator: Emulator, **extra: str) -> dict[str, str]:
    return {"authorization": f"Bearer {emulator.api_key}", "content-type": "application/json",
            **extra}  # fmt: skip


@pytest.fixture
def http(faulty: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=faulty.url, timeout=10) as client:
        yield client


def _frames(response: httpx.Response) -> list[eventstream.Message]:
    decoder = eventstream.Decoder()
    frames: list[eventstream.Message] = []
    try:
        for chunk in response.iter_bytes():
            frames += decoder.feed(chunk)
    except httpx.TransportError:
        frames.append(eventstream.Message({":message-type": "reset"}, b""))
    return frames


def _service_status() -> dict[str, int]:
    path = next(Path(botocore.__file__).parent.glob("data/bedrock-runtime/*/service-2.json.gz"))
    shapes = json.loads(gzip.decompress(path.read_bytes()))["shapes"]
    return {name: s["error"]["httpStatusCode"] for name, s in shapes.items() if "error" in s}


# -- off unless enabled ---------------------------------------------------------------------


def test_the_header_is_ignored_without_the_flag() -> None:
    with Emulator() as plain, httpx.Client(base_url=plain.url, timeout=10) as client:
        for spec in ("throttle", "503", "reset-before", "exception-frame@0"):
            headers = _headers(plain, **{FAULT: spec})
            assert client.post(INVOKE, content=BODY, headers=headers).status_code == 200
            with client.stream("POST", STREAM, content=BODY, headers=headers) as response:
                kinds = [f.headers[":message-type"] for f in _frames(response)]
            assert response.status_code == 200 and set(kinds) == {"event"}
        assert client.get("/_emulator/faults").status_code == 404


def test_faults_apply_only_to_authenticated_requests(faulty: Emulator, http: httpx.Client) -> None:
    response = http.post(INVOKE, content=BODY, headers={FAULT: "503"})
    assert response.status_code == 403  # authentication comes first, as at AWS's front door


def test_bad_settings_fail_early() -> None:
    for spec in ("rate=2", "rate=x", "seed=1,rate=0.1,kinds=nope", "colour=red", "kinds="):
        with pytest.raises(ValueError):
            Emulator(faults=spec)
    for spec in ("bogus", "throttle=3", "503@2", "exception-frame=noSuchException",
                 "slow-first-byte=-1", "stall-stream=abc@1"):  # fmt: skip
        with pytest.raises(ValueError):
            parse_fault(spec)


# -- each fault -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "status", "error_type"),
    [("throttle", 429, "ThrottlingException"), ("503", 503, "ServiceUnavailableException"),
     ("500", 500, "InternalServerException"), ("408", 408, "ModelTimeoutException")],
)  # fmt: skip
def test_error_answers(
    faulty: Emulator, http: httpx.Client, spec: str, status: int, error_type: str
) -> None:
    assert _service_status()[error_type] == status  # the service model's status for the type
    for path in (INVOKE, STREAM):
        response = http.post(path, content=BODY, headers=_headers(faulty, **{FAULT: spec}))
        assert response.status_code == status
        assert response.headers["x-amzn-errortype"] == error_type
        assert response.json()["message"] and "retry-after" not in response.headers


def test_throttle_with_retry_after(faulty: Emulator, http: httpx.Client) -> None:
    headers = _headers(faulty, **{FAULT: "throttle-retry-after=2"})
    response = http.post(INVOKE, content=BODY, headers=headers)
    assert response.status_code == 429 and response.headers["retry-after"] == "2"


def test_reset_before_the_response(faulty: Emulator, http: httpx.Client) -> None:
    headers = _headers(faulty, **{FAULT: "reset-before"})
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        http.post(INVOKE, content=BODY, headers=headers)


def test_slow_first_byte_still_answers(faulty: Emulator) -> None:
    before = fault_report(faulty.url)["by_kind"].get("slow-first-byte", 0)
    # The silence that must time out lasts 8 s against a 0.1 s read timeout: with 0.5 s, a
    # client starved for half a second got the answer instead.
    with httpx.Client(base_url=faulty.url, timeout=httpx.Timeout(10, read=0.1)) as client:
        headers = _headers(faulty, **{FAULT: "slow-first-byte=8"})
        with pytest.raises(httpx.ReadTimeout):  # nothing at all for 8 seconds
            client.post(INVOKE, content=BODY, headers=headers)
    with httpx.Client(base_url=faulty.url, timeout=10) as client:
        headers = _headers(faulty, **{FAULT: "slow-first-byte=0.5"})
        assert client.post(INVOKE, content=BODY, headers=headers).status_code == 200
    assert fault_report(faulty.url)["by_kind"]["slow-first-byte"] == before + 2


def _kinds(frames: list[eventstream.Message]) -> list[str]:
    return [f.headers[":message-type"] for f in frames]


def test_reset_mid_stream(faulty: Emulator, http: httpx.Client) -> None:
    headers = _headers(faulty, **{FAULT: "reset-mid-stream@2"})
    with http.stream("POST", STREAM, content=BODY, headers=headers) as response:
        frames = _frames(response)
    assert response.status_code == 200
    assert _kinds(frames) == ["event", "event", "reset"]


def test_exception_frame(faulty: Emulator, http: httpx.Client) -> None:
    headers = _headers(faulty, **{FAULT: "exception-frame=ModelTimeoutException@1"})
    with http.stream("POST", STREAM, content=BODY, headers=headers) as response:
        frames = _frames(response)
    assert _kinds(frames) == ["event", "exception"]
    assert frames[1].headers[":exception-type"] == "modelTimeoutException"
    assert frames[1].headers["x-emulator-injected"] == "true"  # the label, outside the message
    first = json.loads(base64.b64decode(json.loads(frames[0].payload)["bytes"]))
    assert first["type"] == "message_start"


def test_stalled_stream(faulty: Emulator) -> None:
    # The three frames before the silence are a healthy exchange: a 0.1 s read timeout cut
    # them short on a busy machine, and a 0.5 s silence let a starved client see the reset.
    headers = _headers(faulty, **{FAULT: "stall-stream=8@3"})
    timeout = httpx.Timeout(10, read=2.0)
    with (
        httpx.Client(base_url=faulty.url, timeout=timeout) as client,
        client.stream("POST", STREAM, content=BODY, headers=headers) as response,
    ):
        decoder, frames = eventstream.Decoder(), []
        with pytest.raises(httpx.ReadTimeout):
            for chunk in response.iter_bytes():
                frames += decoder.feed(chunk)
    assert _kinds(frames) == ["event"] * 3  # three frames, then silence


def test_stream_faults_need_a_stream(faulty: Emulator, http: httpx.Client) -> None:
    for spec in ("reset-mid-stream", "bogus", "throttle*x"):
        response = http.post(INVOKE, content=BODY, headers=_headers(faulty, **{FAULT: spec}))
        assert response.status_code == 400
        assert response.headers["x-amzn-errortype"] == "ValidationException"


def test_fail_n_times_then_succeed(faulty: Emulator, http: httpx.Client) -> None:
    headers, key = fault("503*2")
    statuses = [http.post(INVOKE, content=BODY, headers=_headers(faulty, **headers)).status_code
                for _ in range(4)]  # fmt: skip
    assert statuses == [503, 503, 200, 200]
    report = http.get("/_emulator/faults", params={"key": key}).json()
    assert report["key"] == {"name": key, "requests": 4}
    other = _headers(faulty, **{FAULT: "503*2", KEY: key + "-other"})
    assert http.post(INVOKE, content=BODY, headers=other).status_code == 503  # its own count


# -- the global rate ------------------------------------------------------------------------------


def _run(spec: str, paths: list[str]) -> tuple[list[int], dict[str, object]]:
    """The statuses of ``paths`` on a fresh emulator with ``faults=spec`` (resets included)."""
    with Emulator(faults=spec) as emulator, httpx.Client(base_url=emulator.url) as client:
        statuses = []
        for path in paths:
            try:
                response = client.post(path, content=BODY, headers=_headers(emulator))
                statuses.append(response.status_code)
            except httpx.TransportError:
                statuses.append(0)
        return statuses, fault_report(emulator.url)


def test_rate_is_seeded_and_reproducible() -> None:
    spec = "rate=0.3,seed=11,kinds=throttle|503|500|408|reset-before"
    first, report = _run(spec, [INVOKE] * 60)
    again, _ = _run(spec, [INVOKE] * 60)
    assert first == again  # same seed, same requests: same faults
    failed = [s for s in first if s != 200]
    assert 0 < len(failed) < 60 and set(failed) <= {429, 503, 500, 408, 0}
    assert report["requests"] == 60 and report["injected"] == len(failed)
    other, _ = _run(spec.replace("seed=11", "seed=12"), [INVOKE] * 60)
    assert other != first


def test_rate_one_with_one_kind_and_runtime_operations_only() -> None:
    statuses, report = _run("rate=1,kinds=503", [INVOKE] * 5)
    assert statuses == [503] * 5 and report["by_kind"] == {"503": 5}
    with Emulator(faults="rate=1,kinds=503") as emulator:
        listing = httpx.get(f"{emulator.url}/foundation-models", headers=_headers(emulator))
        assert listing.status_code == 200  # the control plane is not drawn from
        assert fault_report(emulator.url)["requests"] == 0


def test_parse_config() -> None:
    assert parse_config("on").rate == 0
    config = parse_config("rate=0.05,seed=7,kinds=throttle+exception-frame=validationException")
    assert (config.rate, config.seed) == (0.05, 7)
    assert [k.kind for k in config.kinds] == ["throttle", "exception-frame"]
    assert config.kinds[1].exception == "validationException"
    assert {k.kind for k in parse_config("rate=0.1").kinds} >= {"throttle", "stall-stream"}
