"""The Messages API routes on the wire: surfaces, credentials, headers, errors, SSE framing.

Raw HTTP (httpx), signed by botocore where SigV4 is needed, so each rule of
``messages_surface`` (which surface a request reached, who may call it, what each surface
answers) is checked byte for byte, including what no SDK sends.
"""

from __future__ import annotations

import json

import httpx
import pytest

from claude_bedrock.catalog import Verdict
from claude_bedrock.emulator import Emulator
from claude_bedrock.emulator.messages_surface import ANSWERS
from claude_bedrock.wire.messages_api import COUNT_TOKENS_PATH, MESSAGES_PATH

from .messages_support import (
    PROFILE_MODEL,
    envelope,
    payload,
    post_keyed,
    post_signed,
    sse_events,
)

MANTLE_HOST = "bedrock-mantle.us-east-1.api.aws"
RUNTIME_HOST = "bedrock-runtime.us-east-1.amazonaws.com"
WRONG_SERVICE = "Credential should be scoped to correct service: '{}'. "


def test_every_catalogue_verdict_has_an_answer_on_both_surfaces() -> None:
    assert set(ANSWERS) == set(Verdict)
    assert all(set(row) == {"runtime-messages", "mantle"} for row in ANSWERS.values())


def test_sse_stream_has_anthropic_event_names_and_a_ping(emulator: Emulator) -> None:
    response = post_keyed(emulator, MESSAGES_PATH, payload(stream=True))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    names = [name for name, _ in events]
    assert names[:2] == ["message_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]
    assert all(data["type"] == name for name, data in events)  # event name = data type
    text = "".join(data["delta"]["text"] for name, data in events if name == "content_block_delta")
    answer = post_keyed(emulator, MESSAGES_PATH, payload()).json()
    assert text == answer["content"][0]["text"]


@pytest.mark.parametrize(
    ("fault", "error_type"),
    [("overloaded_error@2", "overloaded_error"), ("throttlingException@0", "rate_limit_error")],
)
def test_a_fault_mid_stream_is_an_error_event(
    emulator: Emulator, fault: str, error_type: str
) -> None:
    headers = {"x-emulator-stream-fault": fault}
    response = post_keyed(emulator, MESSAGES_PATH, payload(stream=True), headers=headers)
    assert response.status_code == 200
    events = sse_events(response.text)
    name, data = events[-1]
    assert name == "error" and data["type"] == "error"
    assert data["error"]["type"] == error_type
    assert "message_stop" not in [n for n, _ in events]


def test_a_reset_mid_stream_cuts_the_connection(emulator: Emulator) -> None:
    headers = {"x-emulator-stream-fault": "reset@3"}
    with pytest.raises(httpx.TransportError):
        post_keyed(emulator, MESSAGES_PATH, payload(stream=True), headers=headers)


def test_sigv4_scope_decides_the_surface(emulator: Emulator) -> None:
    body = payload(max_tokens=None)
    mantle = post_signed(emulator, COUNT_TOKENS_PATH, body, service="bedrock-mantle")
    assert mantle.status_code == 200, mantle.text
    assert "x-amzn-errortype" not in mantle.headers
    runtime = post_signed(emulator, COUNT_TOKENS_PATH, body, service="bedrock")
    assert runtime.status_code == 404  # the runtime has no count_tokens route
    assert runtime.headers["x-amzn-errortype"] == "UnknownOperationException"
    answer = post_signed(emulator, MESSAGES_PATH, payload(PROFILE_MODEL), service="bedrock")
    assert answer.status_code == 200 and answer.json()["type"] == "message"


def test_another_signing_name_is_refused(emulator: Emulator) -> None:
    response = post_signed(emulator, MESSAGES_PATH, payload(), service="s3")
    status, error_type, message = envelope(response)
    assert (status, error_type) == (403, "authentication_error")
    assert message == WRONG_SERVICE.format("bedrock-mantle")


@pytest.mark.parametrize(
    ("host", "service", "expected"),
    [(MANTLE_HOST, "bedrock", "bedrock-mantle"), (RUNTIME_HOST, "bedrock-mantle", "bedrock")],
)
def test_a_bedrock_host_needs_its_own_signing_name(
    emulator: Emulator, host: str, service: str, expected: str
) -> None:
    response = post_signed(emulator, MESSAGES_PATH, payload(), service=service, host=host)
    status, _, message = envelope(response)
    assert (status, message) == (403, WRONG_SERVICE.format(expected))
    runtime = host == RUNTIME_HOST  # only the runtime's front door names the exception
    assert ("x-amzn-errortype" in response.headers) is runtime


def test_a_key_on_a_bedrock_host_follows_the_host(emulator: Emulator) -> None:
    body = payload(max_tokens=None)  # a bare ID: by its form, a mantle request
    counted = post_keyed(emulator, COUNT_TOKENS_PATH, body, headers={"host": RUNTIME_HOST})
    assert counted.status_code == 404  # the host says runtime, which has no count_tokens
    assert counted.headers["x-amzn-errortype"] == "UnknownOperationException"
    profile = payload(PROFILE_MODEL, max_tokens=None)  # by its form, a runtime request
    mantle = post_keyed(emulator, COUNT_TOKENS_PATH, profile, headers={"host": MANTLE_HOST})
    assert "x-amzn-errortype" not in mantle.headers  # the host says mantle
    by_form = post_keyed(emulator, COUNT_TOKENS_PATH, profile)
    assert by_form.headers["x-amzn-errortype"] == "UnknownOperationException"


@pytest.mark.parametrize("header", ["x-api-key", "bearer"])
def test_keys_in_either_header(emulator: Emulator, header: str) -> None:
    ok = post_keyed(emulator, MESSAGES_PATH, payload(), header=header)
    assert ok.status_code == 200 and ok.json()["type"] == "message"
    refused = post_keyed(emulator, MESSAGES_PATH, payload(), header=header, key="ABSK-wrong")
    status, error_type, message = envelope(refused)
    assert (status, error_type) == (403, "permission_error")
    assert message == "Authentication failed: Please make sure your API Key is valid."


def test_no_credentials_at_all(emulator: Emulator) -> None:
    response = httpx.post(
        emulator.url + MESSAGES_PATH, json=payload(), headers={"anthropic-version": "2023-06-01"}
    )
    assert envelope(response) == (403, "permission_error", "Authorization header is missing")


def test_count_tokens_on_mantle(emulator: Emulator) -> None:
    counted = post_keyed(emulator, COUNT_TOKENS_PATH, payload(max_tokens=None))
    assert counted.status_code == 200
    created = post_keyed(emulator, MESSAGES_PATH, payload()).json()
    assert counted.json() == {"input_tokens": created["usage"]["input_tokens"]}
    extra = post_keyed(emulator, COUNT_TOKENS_PATH, payload())
    assert envelope(extra) == (
        400,
        "invalid_request_error",
        "max_tokens: Extra inputs are not permitted",
    )


def test_runtime_routes_it_lacks_are_unknown_operations(emulator: Emulator) -> None:
    counted = post_keyed(emulator, COUNT_TOKENS_PATH, payload(PROFILE_MODEL, max_tokens=None))
    assert counted.status_code == 404
    unknown = "The requested operation is not recognized by the service."
    assert counted.json() == {"message": unknown}
    models = httpx.get(emulator.url + "/anthropic/v1/models", headers={"x-api-key": "k"})
    assert models.status_code == 404
    assert models.headers["x-amzn-errortype"] == "UnknownOperationException"


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (None, "anthropic-version: header is required"),
        ("2024-01-01", 'anthropic-version: "2024-01-01" is not a valid version'),
    ],
)
def test_anthropic_version_is_required_and_known(
    emulator: Emulator, version: str | None, message: str
) -> None:
    headers = {"x-api-key": emulator.api_key}
    if version is not None:
        headers["anthropic-version"] = version
    response = httpx.post(emulator.url + MESSAGES_PATH, json=payload(), headers=headers)
    assert envelope(response) == (400, "invalid_request_error", message)


def test_malformed_json_and_missing_model(emulator: Emulator) -> None:
    malformed = post_keyed(emulator, MESSAGES_PATH, b'{"model": ')
    assert envelope(malformed)[:2] == (400, "invalid_request_error")
    missing = post_keyed(emulator, MESSAGES_PATH, payload(model=None))
    assert envelope(missing) == (400, "invalid_request_error", "model: Field required")
    not_bool = post_keyed(emulator, MESSAGES_PATH, payload(stream="yes"))
    assert envelope(not_bool)[2] == "stream: Input should be a valid boolean"


def test_body_rules_are_invoke_models(emulator: Emulator) -> None:
    too_many = post_keyed(emulator, MESSAGES_PATH, payload(max_tokens=10_000_000))
    status, error_type, message = envelope(too_many)
    assert (status, error_type) == (400, "invalid_request_error")
    assert message.startswith("The maximum tokens you requested exceeds the model limit")
    roles = [{"role": "assistant", "content": "hi"}]
    wrong = post_keyed(emulator, MESSAGES_PATH, payload(messages=roles))
    assert envelope(wrong)[2] == 'messages: first message must use the "user" role'


def test_beta_header_reaches_the_body_rules(emulator: Emulator) -> None:
    beta = {"anthropic-beta": "interleaved-thinking-2025-05-14, other-beta"}
    response = post_keyed(emulator, MESSAGES_PATH, payload(), headers=beta)
    assert response.status_code == 200


def test_workspaces_on_mantle(emulator: Emulator) -> None:
    for workspace in ("default", "proj_0123abcd"):
        headers = {"anthropic-workspace-id": workspace}
        assert post_keyed(emulator, MESSAGES_PATH, payload(), headers=headers).status_code == 200
    bogus = post_keyed(
        emulator, MESSAGES_PATH, payload(), headers={"anthropic-workspace-id": "wrkspc_x"}
    )
    assert envelope(bogus) == (404, "not_found_error", "The workspace 'wrkspc_x' does not exist")
    runtime = post_keyed(
        emulator,
        MESSAGES_PATH,
        payload(PROFILE_MODEL),
        headers={"anthropic-workspace-id": "wrkspc_x"},
    )
    assert runtime.status_code == 200  # the runtime has no workspaces: header not read


def test_injected_faults_keep_their_status_and_retry_after(emulator: Emulator) -> None:
    headers = {"x-emulator-fault": "throttle-retry-after=7"}
    throttled = post_keyed(emulator, MESSAGES_PATH, payload(PROFILE_MODEL), headers=headers)
    assert envelope(throttled)[:2] == (429, "rate_limit_error")
    assert throttled.headers["retry-after"] == "7"
    assert throttled.headers["x-amzn-errortype"] == "ThrottlingException"  # runtime
    headers = {"x-emulator-fault": "503"}
    unavailable = post_keyed(emulator, MESSAGES_PATH, payload(), headers=headers)
    assert envelope(unavailable)[:2] == (503, "overloaded_error")
    assert "x-amzn-errortype" not in unavailable.headers  # mantle


def test_error_bodies_are_json_envelopes_only(emulator: Emulator) -> None:
    response = post_keyed(emulator, MESSAGES_PATH, payload(model="anthropic.claude-nope"))
    message = "The model 'anthropic.claude-nope' does not exist"
    assert json.loads(response.content) == {
        "type": "error",
        "error": {"type": "not_found_error", "message": message},
    }
    assert response.headers["x-amzn-requestid"]


def test_the_global_fault_rate_covers_the_messages_routes() -> None:
    with Emulator(faults="rate=1,seed=3,kinds=throttle") as faulty:
        response = post_keyed(faulty, MESSAGES_PATH, payload())
        assert envelope(response)[:2] == (429, "rate_limit_error")
        report = httpx.get(faulty.url + "/_emulator/faults").json()
    assert report["by_kind"] == {"throttle": 1}
