"""A 200 that is not Bedrock's answer must end in one of our errors, with the request id.

A hostile (or merely misconfigured) server on 127.0.0.1 answers every call with status 200
and a body that is not what the operation returns: an error document, a proxy's HTML page,
``[]``, ``null``, a body cut short, fields of the wrong type; streams whose events carry a
wrong-typed ``index``, ``message``, ``usage`` or ``delta``. Every surface (InvokeModel,
Converse, the Messages API on bedrock-runtime and on bedrock-mantle, CountTokens, batches,
models, the logging configuration, ``client.get``), sync and async, must raise exactly
:class:`APIResponseValidationError` carrying the answer's ``x-amzn-RequestId``: never
pydantic's ``ValidationError``, ``JSONDecodeError``, ``TypeError``, ``ValueError`` or
``OverflowError``. A well-formed event of a type the client does not know is skipped.

The official SDK is the reference for the class (``anthropic.APIResponseValidationError``:
a subclass of ``APIError`` built as ``(response, body, *, message)``, with ``response`` and
``status_code``); ``test_the_class_is_the_sdks`` checks ours keeps that constructor.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import httpx
import pytest

import claude_bedrock
from claude_bedrock import (
    AnthropicBedrock,
    AnthropicBedrockMantle,
    APIError,
    APIResponseValidationError,
    AsyncAnthropicBedrock,
    AsyncAnthropicBedrockMantle,
)
from claude_bedrock.wire.eventstream import encode_event
from replyserver import ReplyServer

MODEL = "global.anthropic.claude-opus-4-6-v1"
MANTLE_MODEL = "anthropic.claude-opus-4-7"
REQUEST_ID = "req-reply-server-1"
KEYS = {"aws_access_key": "AKIDHOSTILE000000001", "aws_region": "us-west-2",
        "aws_secret_key": "hostile/test/secret/key/0000000000000000"}  # fmt: skip
ASK: dict[str, Any] = {"model": MODEL, "max_tokens": 50,
                       "messages": [{"role": "user", "content": "hi"}]}  # fmt: skip
CONVERSE: dict[str, Any] = {
    "modelId": MODEL, "messages": [{"role": "user", "content": [{"text": "hi"}]}],
}  # fmt: skip

# -- bodies -----------------------------------------------------------------------------------

#: Not JSON, or JSON that no operation answers: refused by every surface.
UNREADABLE: dict[str, bytes] = {
    "html": b"<html><body><h1>502 Bad Gateway</h1></body></html>",
    "array": b"[]",
    "null": b"null",
    "string": b'"ok"',
    "cut": b'{"id": "msg_1", "type": "message", "role": "assis',
    "deep": b"[" * 100_000 + b"]" * 100_000,
}
#: JSON objects that are not a message (an error document sent with a 200, ``{}``, wrong types).
NOT_A_MESSAGE: dict[str, bytes] = {
    "error-document": b'{"message": "Internal failure", "__type": "InternalServerException"}',
    "empty-object": b"{}",
    "content-string": json.dumps({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "m", "content": "hi",
        "stop_reason": "end_turn", "usage": {"input_tokens": 1, "output_tokens": 1}}).encode(),
    "usage-string": json.dumps({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "m", "content": [],
        "stop_reason": "end_turn", "usage": "lots"}).encode(),
    "tokens-string": json.dumps({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "m",
        "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn",
        "usage": {"input_tokens": "x", "output_tokens": 2}}).encode(),
    "text-number": json.dumps({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "m",
        "content": [{"type": "text", "text": 5}], "stop_reason": "end_turn",
        "usage": {"input_tokens": 1, "output_tokens": 2}}).encode(),
}  # fmt: skip
#: Control-plane answers whose members the client reads have the wrong type.
BAD_CONTROL: dict[str, bytes] = {
    name: json.dumps({key: value for key in ("modelSummaries", "inferenceProfileSummaries",
                                             "invocationJobSummaries", "loggingConfig")}
                     | extra).encode()
    for name, value, extra in (
        ("members-strings", "x", {}),
        ("members-numbers", [1], {}),
        ("token-number", [], {"nextToken": 5, "loggingConfig": {"textDataDeliveryEnabled": "?"}}),
    )
}  # fmt: skip


# -- streams ----------------------------------------------------------------------------------

START = {
    "type": "message_start",
    "message": {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 3, "output_tokens": 1},
    },
}
BLOCK = {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
DELTA = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}}
STOP = {"type": "content_block_stop", "index": 0}
END = {
    "type": "message_delta",
    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
    "usage": {"output_tokens": 2},
}
DONE = {"type": "message_stop"}
BAD_EVENTS: dict[str, list[Any]] = {
    "index-infinite": [START, BLOCK, {**DELTA, "index": 1e400}, STOP, END, DONE],
    "index-fraction": [START, BLOCK, {**DELTA, "index": 0.5}, STOP, END, DONE],
    "index-negative": [START, BLOCK, {**DELTA, "index": -1}, STOP, END, DONE],
    "index-string": [START, {**BLOCK, "index": "x"}, DELTA, STOP, END, DONE],
    "message-array": [{"type": "message_start", "message": []}, BLOCK, DELTA, STOP, END, DONE],
    "message-empty": [{"type": "message_start", "message": {}}, BLOCK, DELTA, STOP, END, DONE],
    "usage-string": [START, BLOCK, DELTA, STOP, {**END, "usage": "x"}, DONE],
    "tokens-string": [START, BLOCK, DELTA, STOP, {**END, "usage": {"output_tokens": "x"}}, DONE],
    "tokens-infinite": [START, BLOCK, DELTA, STOP, {**END, "usage": {"output_tokens": 1e400}},
                        DONE],
    "tokens-negative": [START, BLOCK, DELTA, STOP, {**END, "usage": {"output_tokens": -3}}, DONE],
    "delta-array": [START, BLOCK, DELTA, STOP, {**END, "delta": []}, DONE],
    "text-number": [START, BLOCK, {**DELTA, "delta": {"type": "text_delta", "text": 5}}, STOP,
                    END, DONE],
}  # fmt: skip
#: Well-formed events of types the client does not know: skipped, the answer still read.
UNKNOWN_EVENTS: list[Any] = [
    START, {"type": "hologram", "frames": [1, 2]}, BLOCK, DELTA,
    {"type": "aurora", "delta": {"type": "x"}}, STOP, END, DONE,
]  # fmt: skip


def _chunk(event: Any) -> bytes:
    payload = {"bytes": base64.b64encode(json.dumps(event).encode()).decode()}
    return encode_event("chunk", json.dumps(payload).encode())


def _sse(event: Any) -> bytes:
    return b"event: %s\ndata: %s\n\n" % (event["type"].encode(), json.dumps(event).encode())


def _converse(name: str, payload: Any) -> bytes:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return encode_event(name, raw)


CONVERSE_OK = [("messageStart", {"role": "assistant"}),
               ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}}),
               ("contentBlockStop", {"contentBlockIndex": 0}),
               ("messageStop", {"stopReason": "end_turn"}),
               ("metadata", {"usage": {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5},
                             "metrics": {"latencyMs": 1}})]  # fmt: skip
#: Unknown Converse events whose payload is not an object (no Converse event's is): skipped.
CONVERSE_UNKNOWN = [CONVERSE_OK[0], ("hologram", [1, 2]), ("aurora", "text"),
                    ("nebula", b"not json"), *CONVERSE_OK[1:]]  # fmt: skip
CONVERSE_BAD: dict[str, list[tuple[str, Any]]] = {
    "index-string": [CONVERSE_OK[0], ("contentBlockDelta", {"contentBlockIndex": "x",
                     "delta": {"text": "Hi"}}), *CONVERSE_OK[2:]],
    "usage-array": [*CONVERSE_OK[:4], ("metadata", {"usage": [], "metrics": {}})],
    "payload-array": [CONVERSE_OK[0], ("contentBlockDelta", [1]), *CONVERSE_OK[2:]],
    "tool-input-not-json": [CONVERSE_OK[0],
        ("contentBlockStart", {"contentBlockIndex": 0, "start": {"toolUse": {
            "toolUseId": "t1", "name": "f"}}}),
        ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"toolUse": {"input": "}{"}}}),
        *CONVERSE_OK[2:]],
}  # fmt: skip

EVENTSTREAM = "application/vnd.amazon.eventstream"


def _routes() -> dict[str, tuple[str, list[bytes]]]:
    routes: dict[str, tuple[str, list[bytes]]] = {}
    for name, body in {**UNREADABLE, **NOT_A_MESSAGE, **BAD_CONTROL}.items():
        routes[f"/{name}/"] = ("application/json", [body])
    routes["/html-page/"] = ("text/html", [UNREADABLE["html"]])
    for name, events in BAD_EVENTS.items():
        routes[f"/ev-{name}/"] = (EVENTSTREAM, [_chunk(e) for e in events])
        routes[f"/sse-{name}/"] = ("text/event-stream", [_sse(e) for e in events])
    routes["/ev-unknown/"] = (EVENTSTREAM, [_chunk(e) for e in UNKNOWN_EVENTS])
    routes["/sse-unknown/"] = ("text/event-stream", [_sse(e) for e in UNKNOWN_EVENTS])
    routes["/cv-unknown/"] = (EVENTSTREAM, [_converse(n, p) for n, p in CONVERSE_UNKNOWN])
    for name, frames in CONVERSE_BAD.items():
        routes[f"/cv-{name}/"] = (EVENTSTREAM, [_converse(n, p) for n, p in frames])
    routes["/json-for-stream/"] = ("application/json", [b"{}"])
    routes["/same-page/"] = ("application/json", [json.dumps({
        "modelSummaries": [], "inferenceProfileSummaries": [], "invocationJobSummaries": [],
        "nextToken": "again"}).encode()])  # fmt: skip
    return routes


@pytest.fixture(scope="module")
def server() -> Iterator[ReplyServer]:
    s = ReplyServer(_routes())
    yield s
    s.close()


# -- the calls, sync and async ------------------------------------------------------------------


def _sync(client_class: type, base: str, call: Callable[[Any], Any], **options: Any) -> Any:
    with client_class(base_url=base, max_retries=0, timeout=20, **KEYS, **options) as client:
        return call(client)


def _async(client_class: type, base: str, call: Callable[[Any], Any], **options: Any) -> Any:
    async def go() -> Any:
        async with client_class(base_url=base, max_retries=0, timeout=20, **KEYS,
                                **options) as client:  # fmt: skip
            return await call(client)

    return asyncio.run(go())


async def _adrain(stream_manager: Any) -> Any:
    async with stream_manager as stream:
        async for _ in stream:
            pass
        return await stream.get_final_message()


def _drain(stream_manager: Any) -> Any:
    with stream_manager as stream:
        for _ in stream:
            pass
        return stream.get_final_message()


async def _aconverse_stream(client: Any) -> Any:
    stream = await client.converse.stream(**CONVERSE)
    async for _ in stream:
        pass
    return await stream.get_final_response()


def _converse_stream(client: Any) -> Any:
    stream = client.converse.stream(**CONVERSE)
    for _ in stream:
        pass
    return stream.get_final_response()


#: surface -> (client classes sync/async, options, sync call, async call).
SURFACES: dict[str, tuple[tuple[type, type], dict[str, Any], Callable[[Any], Any],
                          Callable[[Any], Any]]] = {
    "invoke": ((AnthropicBedrock, AsyncAnthropicBedrock), {},
               lambda c: c.messages.create(**ASK), lambda c: c.messages.create(**ASK)),
    "converse": ((AnthropicBedrock, AsyncAnthropicBedrock), {},
                 lambda c: c.converse.create(**CONVERSE), lambda c: c.converse.create(**CONVERSE)),
    "messages-over-converse": ((AnthropicBedrock, AsyncAnthropicBedrock), {"api": "converse"},
                               lambda c: c.messages.create(**ASK),
                               lambda c: c.messages.create(**ASK)),
    "runtime-messages": ((AnthropicBedrock, AsyncAnthropicBedrock), {"api": "messages"},
                         lambda c: c.messages.create(**ASK), lambda c: c.messages.create(**ASK)),
    "mantle": ((AnthropicBedrockMantle, AsyncAnthropicBedrockMantle), {},
               lambda c: c.messages.create(**{**ASK, "model": MANTLE_MODEL}),
               lambda c: c.messages.create(**{**ASK, "model": MANTLE_MODEL})),
    "count-tokens": ((AnthropicBedrock, AsyncAnthropicBedrock), {},
                     lambda c: c.messages.count_tokens(model=MODEL, messages=ASK["messages"]),
                     lambda c: c.messages.count_tokens(model=MODEL, messages=ASK["messages"])),
}  # fmt: skip
CONTROL: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "batches.list": (lambda c: c.messages.batches.list(), lambda c: c.messages.batches.list()),
    "models.list": (lambda c: c.models.list(), lambda c: c.models.list()),
    "models.refresh": (lambda c: c.models.refresh(), lambda c: c.models.refresh()),
    "invocation_logging.get": (lambda c: c.invocation_logging.get(),
                               lambda c: c.invocation_logging.get()),
    "client.get": (lambda c: c.get("/anything", cast_to=dict),
                   lambda c: c.get("/anything", cast_to=dict)),
}  # fmt: skip


def _bounded(run: Callable[[], Any], seconds: float = 60) -> Any:
    """``run()``'s result, or the exception it raised, from a daemon thread: a client that
    loops for ever (a page that names itself as the next one) fails the test, not hangs it."""
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append(("returned", run()))
        except BaseException as exc:  # noqa: BLE001  (handed to the test as it is)
            outcome.append(("raised", exc))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"the call had not ended after {seconds} s"
    kind, value = outcome[0]
    if kind == "raised":
        raise value
    return value


def _refused(run: Callable[[], Any]) -> APIResponseValidationError:
    with pytest.raises(APIError) as caught:
        _bounded(run)
    error = caught.value
    assert type(error) is APIResponseValidationError, repr(error)
    assert error.request_id == REQUEST_ID
    assert error.status_code == 200 and error.response is not None
    assert "not a valid Bedrock response" in str(error) and REQUEST_ID in str(error)
    return error


MODES = ["sync", "async"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("surface", list(SURFACES))
@pytest.mark.parametrize("body", [*UNREADABLE, *NOT_A_MESSAGE])
def test_a_bad_answer_is_an_api_response_validation_error(
    server: ReplyServer, surface: str, body: str, mode: str
) -> None:
    classes, options, sync_call, async_call = SURFACES[surface]
    if surface == "count-tokens" and body == "error-document":
        pass  # no inputTokens: refused too
    base = f"{server.url}/{body}" + ("/anthropic" if surface == "mantle" else "")
    if mode == "sync":
        _refused(lambda: _sync(classes[0], base, sync_call, **options))
    else:
        _refused(lambda: _async(classes[1], base, async_call, **options))


def _read(call: str, body: str) -> bool:
    """Whether a control-plane call reads ``body`` (as botocore would) instead of refusing
    it: an object without the members the call reads (empty lists, logging off); and
    ``client.get(cast_to=dict)`` takes any JSON, unchecked as in the official SDK."""
    if call == "client.get":
        return body not in ("html", "cut", "deep")
    return body == "error-document"


CONTROL_BODIES = [*UNREADABLE, *BAD_CONTROL, "error-document"]
REFUSED = [(call, body) for call in CONTROL for body in CONTROL_BODIES if not _read(call, body)]
READ = [(call, body) for call in CONTROL for body in CONTROL_BODIES if _read(call, body)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("call", "body"), REFUSED)
def test_a_bad_control_plane_answer_is_refused_too(
    server: ReplyServer, call: str, body: str, mode: str
) -> None:
    sync_call, async_call = CONTROL[call]
    base = f"{server.url}/{body}"
    if mode == "sync":
        _refused(lambda: _sync(AnthropicBedrock, base, sync_call))
    else:
        _refused(lambda: _async(AsyncAnthropicBedrock, base, async_call))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("call", "body"), READ)
def test_what_botocore_would_read_is_still_read(
    server: ReplyServer, call: str, body: str, mode: str
) -> None:
    """Not a defect test (these passed before): the guard that refusing stops where it
    should, at what the client cannot read."""
    sync_call, async_call = CONTROL[call]
    base = f"{server.url}/{body}"
    run = _sync if mode == "sync" else _async
    client_class = AnthropicBedrock if mode == "sync" else AsyncAnthropicBedrock
    _bounded(lambda: run(client_class, base, sync_call if mode == "sync" else async_call))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framing", ["ev", "sse"])
@pytest.mark.parametrize("case", list(BAD_EVENTS))
def test_a_bad_stream_event_is_an_api_response_validation_error(
    server: ReplyServer, case: str, framing: str, mode: str
) -> None:
    base = f"{server.url}/{framing}-{case}"
    options = {"api": "messages"} if framing == "sse" else {}
    if mode == "sync":
        _refused(lambda: _sync(AnthropicBedrock, base, lambda c: _drain(c.messages.stream(**ASK)),
                               **options))  # fmt: skip
    else:
        call = lambda c: _adrain(c.messages.stream(**ASK))  # noqa: E731
        _refused(lambda: _async(AsyncAnthropicBedrock, base, call, **options))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framing", ["ev", "sse"])
def test_unknown_well_formed_events_are_skipped(
    server: ReplyServer, framing: str, mode: str
) -> None:
    """A guard, like the one above (this passed before): unknown events stay harmless."""
    base = f"{server.url}/{framing}-unknown"
    options = {"api": "messages"} if framing == "sse" else {}
    if mode == "sync":
        message = _sync(AnthropicBedrock, base, lambda c: _drain(c.messages.stream(**ASK)),
                        **options)  # fmt: skip
    else:
        message = _async(AsyncAnthropicBedrock, base,
                         lambda c: _adrain(c.messages.stream(**ASK)), **options)  # fmt: skip
    assert message.content[0].text == "Hi" and message.usage.output_tokens == 2


@pytest.mark.parametrize("mode", MODES)
def test_unknown_converse_events_with_any_payload_are_not_fatal(
    server: ReplyServer, mode: str
) -> None:
    base = f"{server.url}/cv-unknown"
    if mode == "sync":
        final = _sync(AnthropicBedrock, base, _converse_stream)
    else:
        final = _async(AsyncAnthropicBedrock, base, _aconverse_stream)
    assert final.output.message.content[0].text == "Hi"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", list(CONVERSE_BAD))
def test_a_bad_converse_stream_event_is_refused(server: ReplyServer, case: str, mode: str) -> None:
    base = f"{server.url}/cv-{case}"
    if mode == "sync":
        _refused(lambda: _sync(AnthropicBedrock, base, _converse_stream))
    else:
        _refused(lambda: _async(AsyncAnthropicBedrock, base, _aconverse_stream))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("surface", ["invoke", "sse", "converse"])
def test_a_json_body_where_a_stream_was_asked_is_not_a_network_error(
    server: ReplyServer, surface: str, mode: str
) -> None:
    """``{}`` (2 bytes) with ``application/json``: before, 'the stream was cut inside a
    frame', an APIConnectionError (exit 5 in the CLI) although the connection was fine."""
    base = f"{server.url}/json-for-stream"
    options = {"api": "messages"} if surface == "sse" else {}
    if surface == "converse":
        calls = (_converse_stream, _aconverse_stream)
    else:
        calls = (lambda c: _drain(c.messages.stream(**ASK)),
                 lambda c: _adrain(c.messages.stream(**ASK)))  # fmt: skip
    if mode == "sync":
        error = _refused(lambda: _sync(AnthropicBedrock, base, calls[0], **options))
    else:
        error = _refused(lambda: _async(AsyncAnthropicBedrock, base, calls[1], **options))
    assert "application/json" in str(error)


def test_the_error_keeps_what_was_sent(server: ReplyServer) -> None:
    error = _refused(lambda: _sync(AnthropicBedrock, f"{server.url}/html-page",
                                   lambda c: c.messages.create(**ASK)))  # fmt: skip
    assert error.body == UNREADABLE["html"] and "text/html" in str(error)
    error = _refused(lambda: _sync(AnthropicBedrock, f"{server.url}/error-document",
                                   lambda c: c.messages.create(**ASK)))  # fmt: skip
    assert error.body == json.loads(NOT_A_MESSAGE["error-document"])
    assert "no `id`" in str(error) or "`type`" in str(error)


def test_the_class_is_the_sdks() -> None:
    """Same place in the tree, same constructor and attributes as the official SDK's."""
    assert claude_bedrock.APIResponseValidationError is APIResponseValidationError
    assert issubclass(APIResponseValidationError, claude_bedrock.APIError)
    assert issubclass(anthropic.APIResponseValidationError, anthropic.APIError)
    request = httpx.Request("POST", "https://bedrock-runtime.us-west-2.amazonaws.com/x")
    response = httpx.Response(200, request=request, headers={"x-amzn-RequestId": "r-1"})
    ours = APIResponseValidationError(response, {"a": 1}, message="bad")
    assert (ours.response, ours.status_code, ours.body) == (response, 200, {"a": 1})
    assert ours.message == "bad"
    assert ours.request is request and ours.request_id == "r-1"
    default = APIResponseValidationError(response, None)
    assert "not a valid Bedrock response" in default.message
    mantle = httpx.Response(200, request=request, headers={"request-id": "req_011"})
    assert APIResponseValidationError(mantle, None).request_id == "req_011"


PAGED = ["batches.list", "models.list", "models.refresh"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("call", PAGED)
def test_a_page_that_names_itself_as_the_next_is_refused(
    server: ReplyServer, call: str, mode: str
) -> None:
    """Before: ``nextToken`` "again" on every page, and the listing asked for ever (botocore's
    paginators refuse it: "The same next token was received twice")."""
    sync_call, async_call = CONTROL[call]
    base = f"{server.url}/same-page"
    if mode == "sync":
        error = _refused(lambda: _sync(AnthropicBedrock, base, sync_call))
    else:
        error = _refused(lambda: _async(AsyncAnthropicBedrock, base, async_call))
    assert "nextToken" in str(error)


SDK_OUTCOMES = {
    # what anthropic 2.16's AnthropicBedrock does with the same answer (measured here)
    "html-page": lambda outcome: outcome == ("returned", str),
    "html": lambda outcome: outcome[0] == "raised" and outcome[1].__name__ == "JSONDecodeError",
    "array": lambda outcome: outcome == ("returned", list),
    "error-document": lambda outcome: outcome[0] == "returned",
}


@pytest.mark.parametrize("body", list(SDK_OUTCOMES))
def test_where_the_sdk_hands_back_anything_ours_refuses(server: ReplyServer, body: str) -> None:
    """The official SDK, on the same 200: the HTML as a ``str``, ``[]`` as a list, an error
    document as an empty ``Message``, or ``JSONDecodeError``: what issue 17 item 10 asks us
    not to do. Ours: its own error class, with the request id, for each."""
    base = f"{server.url}/{body}"
    sdk = anthropic.AnthropicBedrock(base_url=base, max_retries=0, timeout=20, **KEYS)
    try:
        outcome: tuple[str, type] = ("returned", type(_bounded(lambda: sdk.messages.create(**ASK))))
    except Exception as exc:  # noqa: BLE001  (the SDK's outcome, whatever it is)
        outcome = ("raised", type(exc))
    assert SDK_OUTCOMES[body](outcome), outcome
    _refused(lambda: _sync(AnthropicBedrock, base, lambda c: c.messages.create(**ASK)))
