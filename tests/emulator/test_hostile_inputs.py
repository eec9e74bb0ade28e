"""Hostile inputs (issue 17, items 1, 2 and 4): small requests that cost the emulator dearly.

The emulator runs in its own process (an attack that froze it must not freeze the test);
requests are signed by botocore's ``SigV4Auth`` and sent by httpx, each with its own
timeout. While an attack runs, a probe asks ``/_emulator/health`` over and over: every probe
must be answered (an emulator busy on one request still serves the others). Outcomes are
asserted (status, error type, wording, schema validity), never durations.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from claude_bedrock.emulator import Emulator

from . import hostile
from .hostile import MODEL
from .schema_check import errors

REGION = "us-west-2"
_COUNT_TOKENS = "/model/anthropic.claude-sonnet-4-5-20250929-v1:0/count-tokens"
#: Each attack gets this long; the emulator answers every one of them in well under it.
ATTACK_TIMEOUT = 30.0
PROBE_TIMEOUT = 5.0


@pytest.fixture(scope="module")
def separate() -> Iterator[Emulator]:
    with Emulator(subprocess=True) as emulator:
        yield emulator


def send(
    emulator: Emulator, method: str, path: str, content: bytes, *, timeout: float = ATTACK_TIMEOUT
) -> httpx.Response:
    """``content`` signed by botocore (service ``bedrock``, as boto3 signs the runtime)."""
    url = emulator.url + path
    request = AWSRequest(
        method=method, url=url, data=content, headers={"content-type": "application/json"}
    )
    credentials = Credentials(emulator.access_key, emulator.secret_key)
    SigV4Auth(credentials, "bedrock", REGION).add_auth(request)
    return httpx.request(
        method, url, content=content, headers=dict(request.headers.items()), timeout=timeout
    )


def keyed(emulator: Emulator, path: str, content: bytes) -> httpx.Response:
    """A Messages API request with the emulator's Bedrock API key."""
    headers = {"x-api-key": emulator.api_key, "anthropic-version": "2023-06-01"}
    return httpx.post(emulator.url + path, content=content, headers=headers, timeout=ATTACK_TIMEOUT)


@contextmanager
def health_probe(emulator: Emulator) -> Iterator[list[str]]:
    """Ask for the health check again and again while the block runs; the list holds each
    probe's outcome (``"ok"`` or the failure), checked by :func:`assert_all_answered`."""
    outcomes: list[str] = []
    done = threading.Event()

    def run() -> None:
        while True:
            try:
                response = httpx.get(emulator.url + "/_emulator/health", timeout=PROBE_TIMEOUT)
                outcomes.append("ok" if response.status_code == 200 else str(response.status_code))
            except httpx.HTTPError as exc:
                outcomes.append(type(exc).__name__)
            if done.wait(0.05):
                return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield outcomes
    finally:
        done.set()
        thread.join(PROBE_TIMEOUT + 1)


def assert_all_answered(outcomes: list[str]) -> None:
    assert outcomes, "no health probe completed"
    assert set(outcomes) == {"ok"}, outcomes


def invoke(emulator: Emulator, body: dict[str, Any] | bytes, *, stream: bool = False) -> Any:
    path = f"/model/{MODEL}/invoke" + ("-with-response-stream" if stream else "")
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return send(emulator, "POST", path, content)


def error_type(response: httpx.Response) -> str:
    return response.headers.get("x-amzn-errortype", "").split(":")[0]


# -- item 1: schemas whose value is huge -------------------------------------------------------


@pytest.mark.parametrize("name", list(hostile.huge_schemas()))
@pytest.mark.parametrize("where", ["tool", "output_config"])
def test_a_schema_asking_for_a_huge_value_is_bounded(
    separate: Emulator, name: str, where: str
) -> None:
    schema = hostile.huge_schemas()[name]
    body = hostile.forced_tool(schema) if where == "tool" else hostile.structured(schema)
    with health_probe(separate) as outcomes:
        response = invoke(separate, body)
    assert_all_answered(outcomes)
    if response.status_code == 200:  # buildable within the limits: complete and valid
        answer = response.json()
        content = answer["content"]
        if answer["stop_reason"] == "max_tokens":  # longer than max_tokens: cut, as a model's
            return
        value = content[-1]["input"] if where == "tool" else json.loads(content[-1]["text"])
        assert errors(value, schema) == []
    else:
        assert response.status_code == 400, response.text
        assert error_type(response) == "ValidationException"
        message = response.json()["message"]
        assert "the emulator's limit" in message  # the decoder's (too deep) or the engine's
        if not message.startswith("Malformed input request"):
            where_in_body = "tools.0.input_schema" if where == "tool" else "output_config"
            assert message.startswith(where_in_body)


def test_a_reasonable_forced_tool_still_gets_a_valid_value(separate: Emulator) -> None:
    schema = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "minItems": 500, "items": {"type": "integer"}},
            "code": {"type": "string", "pattern": "^[A-Z]{2}[0-9]{3}$", "minLength": 5},
            "slow": {"type": "string", "pattern": "^(a+)+$"},
        },
        "required": ["items", "code", "slow"],
    }
    response = invoke(separate, hostile.forced_tool(schema))
    assert response.status_code == 200, response.text
    value = response.json()["content"][-1]["input"]
    assert errors(value, schema) == []
    assert len(value["items"]) == 500


def test_many_tools_and_a_long_prompt_are_matched_in_one_pass(separate: Emulator) -> None:
    tools = [
        {"name": f"tool_{i}", "description": "d", "input_schema": {"type": "object"}}
        for i in range(500)
    ]
    prompt = "word " * 400_000 + "call tool_499 please"
    body = hostile.invoke_body(tools=tools, messages=[{"role": "user", "content": prompt}])
    with health_probe(separate) as outcomes:
        response = invoke(separate, body)
    assert_all_answered(outcomes)
    assert response.status_code == 200, response.text
    assert response.json()["content"][-1]["name"] == "tool_499"


# -- item 2: PDFs that are cheap to send and dear to read ---------------------------------------


def test_a_pdf_page_that_inflates_does_not_block_other_requests(separate: Emulator) -> None:
    body = hostile.pdf_body(hostile.inflating_pdf(1))
    with health_probe(separate) as outcomes:
        response = invoke(separate, body)
    assert_all_answered(outcomes)
    assert response.status_code == 200, response.text
    text = response.json()["content"][0]["text"]
    assert "not read: over the emulator's text-extraction budget" in text


def test_a_hundred_inflating_pages_are_read_within_the_budget(separate: Emulator) -> None:
    body = hostile.pdf_body(hostile.inflating_pdf(100, inflated=400_000))
    with health_probe(separate) as outcomes:
        response = invoke(separate, body)
    assert_all_answered(outcomes)
    assert response.status_code == 200, response.text
    assert "The emulator reads this line" in response.json()["content"][0]["text"]


def test_a_hundred_thousand_pages_are_refused_while_others_are_served(
    separate: Emulator,
) -> None:
    body = hostile.pdf_body(hostile.many_pages_pdf(100_000))
    with health_probe(separate) as outcomes:
        response = invoke(separate, body)
    assert_all_answered(outcomes)
    assert response.status_code == 400, response.text
    assert error_type(response) == "ValidationException"
    assert response.json()["message"] == "A maximum of 100 PDF pages may be provided."


def test_a_hundred_thousand_pages_in_count_tokens_are_refused_off_the_event_loop(
    separate: Emulator,
) -> None:
    """CountTokens carries its InvokeModel body in base64: the PDF is found and counted
    off the event loop all the same."""
    pdf = hostile.many_pages_pdf(99_999)  # not the other test's file: no cached count
    inner = json.dumps(hostile.pdf_body(pdf)).encode()
    content = json.dumps({"input": {"invokeModel": {"body": base64.b64encode(inner).decode()}}})
    with health_probe(separate) as outcomes:
        response = send(separate, "POST", _COUNT_TOKENS, content.encode())
    assert_all_answered(outcomes)
    assert response.status_code == 400, response.text
    assert error_type(response) == "ValidationException"
    assert response.json()["message"] == "A maximum of 100 PDF pages may be provided."


# -- item 4: bodies the JSON decoder must refuse with a 400 -------------------------------------

_RUNTIME_ROUTES = {
    "invoke": ("POST", f"/model/{MODEL}/invoke"),
    "invoke-stream": ("POST", f"/model/{MODEL}/invoke-with-response-stream"),
    "converse": ("POST", f"/model/{MODEL}/converse"),
    "converse-stream": ("POST", f"/model/{MODEL}/converse-stream"),
    "count-tokens": ("POST", _COUNT_TOKENS),
    "batch create": ("POST", "/model-invocation-job"),
    "logging put": ("PUT", "/logging/modelinvocations"),
}
_MESSAGES_ROUTES = ("/anthropic/v1/messages", "/anthropic/v1/messages/count_tokens")
_BAD_BODIES = (
    "nested 10,000 deep",
    "content nested 10,000 deep",
    "nested 300 deep",
    "lone surrogate",
)


def bad_body(name: str, route: str) -> bytes:
    """The hostile body ``name``, shaped for ``route`` where the shape matters (the lone
    surrogate sits in a message's text, where a handler would otherwise accept it)."""
    if name == "nested 10,000 deep":
        return hostile.deep_json()
    if name == "content nested 10,000 deep":
        return hostile.deep_messages_body()
    if name == "nested 300 deep":  # under Python's own limit, over the emulator's
        return hostile.deep_json(300)
    if route.startswith("converse"):
        return hostile.lone_surrogate_body("converse")
    if route == "count-tokens":
        return b'{"input":{"converse":' + hostile.lone_surrogate_body("converse") + b"}}"
    if route.startswith("/anthropic"):
        return hostile.lone_surrogate_body("messages")
    return hostile.lone_surrogate_body()


@pytest.mark.parametrize("body", _BAD_BODIES)
@pytest.mark.parametrize("route", list(_RUNTIME_ROUTES))
def test_a_body_the_decoder_refuses_is_a_400_on_every_runtime_route(
    separate: Emulator, route: str, body: str
) -> None:
    method, path = _RUNTIME_ROUTES[route]
    response = send(separate, method, path, bad_body(body, route))
    assert response.status_code == 400, response.text
    assert error_type(response) == "ValidationException"
    message = response.json()["message"]
    if body == "lone surrogate":
        assert "no low surrogate in string: line 1 column" in message
    elif route.startswith("invoke") or route == "count-tokens":
        assert message.startswith("Malformed input request")
    else:
        assert message.startswith("The request body is not valid JSON")


@pytest.mark.parametrize("body", _BAD_BODIES)
@pytest.mark.parametrize("path", _MESSAGES_ROUTES)
def test_a_body_the_decoder_refuses_is_an_invalid_request_on_the_messages_api(
    separate: Emulator, path: str, body: str
) -> None:
    response = keyed(separate, path, bad_body(body, path))
    assert response.status_code == 400, response.text
    data = response.json()
    assert data["type"] == "error"
    assert data["error"]["type"] == "invalid_request_error"
    assert data["error"]["message"].startswith("The request body is not valid JSON: ")
    if body == "lone surrogate":
        assert "no low surrogate in string: line 1 column " in data["error"]["message"]


def test_a_surrogate_pair_is_still_accepted(separate: Emulator) -> None:
    content = hostile.lone_surrogate_body().replace(b"\\ud800", b"\\ud83d\\ude00")
    response = invoke(separate, content)
    assert response.status_code == 200, response.text
    assert "\U0001f600" in response.json()["content"][0]["text"]


def test_a_deep_but_allowed_body_is_never_a_500(separate: Emulator) -> None:
    """Nesting just under the decoder's limit reaches the recursive walkers (validation,
    token counting, schema values): they answer, never with a 500."""
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(120):
        schema = {"type": "object", "properties": {"a": schema}, "required": ["a"]}
    for body in (hostile.forced_tool(schema), hostile.structured(schema)):
        response = invoke(separate, body)
        assert response.status_code in (200, 400), response.text
        if response.status_code == 400:
            assert "levels deep" in response.json()["message"]
    converse = {
        "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        "toolConfig": {
            "tools": [{"toolSpec": {"name": "t", "inputSchema": {"json": schema}}}],
            "toolChoice": {"tool": {"name": "t"}},
        },
    }
    for route in ("converse", "converse-stream"):
        response = send(separate, "POST", f"/model/{MODEL}/{route}", json.dumps(converse).encode())
        assert response.status_code in (200, 400), response.text
    messages = {
        "model": "anthropic.claude-opus-5",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"name": "t", "input_schema": schema}],
        "tool_choice": {"type": "tool", "name": "t"},
    }
    for path in _MESSAGES_ROUTES:
        response = keyed(separate, path, json.dumps(messages).encode())
        assert response.status_code in (200, 400), response.text
    nested: Any = "deep"
    for _ in range(120):
        nested = [{"type": "tool_result", "tool_use_id": "toolu_1", "content": nested}]
    body = hostile.invoke_body(messages=[{"role": "user", "content": nested}])
    response = invoke(separate, body)
    assert response.status_code in (200, 400), response.text
