"""``middleware=[...]``: the same middleware, written once as for the official SDK 2.16, run
on our clients and on the SDK's against the same emulator (which checks SigV4 strictly),
sync and async. They see the same statuses and attempts, may add headers or rewrite the body
(re-signed before sending), retry on their own, short-circuit, and see connection failures
as the SDK's ``APIConnectionError``."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest

import claude_bedrock
from claude_bedrock import (
    AnthropicBedrock,
    AnthropicBedrockMantle,
    AsyncAnthropicBedrock,
    AsyncAnthropicBedrockMantle,
)
from claude_bedrock._senders import SyncSender
from claude_bedrock.emulator import Emulator
from refusing import refusing_url

pytestmark = pytest.mark.usefixtures("client_env")

RUNTIME_MODEL = "global.anthropic.claude-opus-4-6-v1"
MANTLE_MODEL = "anthropic.claude-opus-4-7"
HELLO = [{"role": "user", "content": "Hello, world"}]


FAMILIES = {
    "runtime": (AnthropicBedrock, anthropic.AnthropicBedrock, RUNTIME_MODEL),
    "mantle": (AnthropicBedrockMantle, anthropic.AnthropicBedrockMantle, MANTLE_MODEL),
}
ASYNC_FAMILIES = {
    "runtime": (AsyncAnthropicBedrock, anthropic.AsyncAnthropicBedrock, RUNTIME_MODEL),
    "mantle": (AsyncAnthropicBedrockMantle, anthropic.AsyncAnthropicBedrockMantle, MANTLE_MODEL),
}


def _arguments(emulator: Emulator, family: str) -> dict[str, Any]:
    mantle = family == "mantle"
    return {
        "aws_access_key": emulator.access_key, "aws_secret_key": emulator.secret_key,
        "aws_region": "us-east-1" if mantle else "us-west-2",
        "base_url": f"{emulator.url}/anthropic" if mantle else emulator.url,
    }  # fmt: skip


def _clients(families: dict[str, Any], emulator: Emulator, family: str, **extra: Any) -> Any:
    ours, sdk, model = families[family]
    arguments = {**_arguments(emulator, family), **extra}
    return ours(**arguments), sdk(**arguments), model


def _key() -> str:
    return uuid.uuid4().hex


def _attempts(emulator: Emulator, key: str) -> int:
    report = httpx.get(f"{emulator.url}/_emulator/faults", params={"key": key}).json()
    return int(report["key"]["requests"])


def _facts(message: Any) -> tuple[Any, ...]:
    return (
        message.model, message.stop_reason, [block.text for block in message.content],
        message.usage.input_tokens, message.usage.output_tokens,
    )  # fmt: skip


# -- the middleware, written once as for the SDK -----------------------------------------


def add_fault(kind: str, key: str) -> Any:
    """Adds two headers (the emulator's fault injection: so the emulator reports whether they
    arrived, signed, and how many attempts carried them)."""

    def middleware(request: Any, call_next: Any) -> Any:
        headers = {**request.headers, "x-emulator-fault": kind, "x-emulator-fault-key": key}
        return call_next(request.copy(headers=headers))

    return middleware


def log_statuses(seen: list[tuple[int, int]]) -> Any:
    def middleware(request: Any, call_next: Any) -> Any:
        assert (request.method, request.stream) == ("post", False)
        response = call_next(request)
        seen.append((request.retries_taken, response.status_code))
        return response

    return middleware


def shorten(request: Any, call_next: Any) -> Any:
    """Rewrites the body (so the signature must be computed over the new one)."""
    return call_next(request.copy(body={**request.json, "max_tokens": 3}))


def retry_once(request: Any, call_next: Any) -> Any:
    response = call_next(request)
    if response.status_code == 429 or response.status_code >= 500:
        response.close()
        response = call_next(request)
    return response


class Cache:
    """Short-circuits: answers a body it has seen with the earlier response."""

    def __init__(self) -> None:
        self.saved: dict[bytes, Any] = {}

    def __call__(self, request: Any, call_next: Any) -> Any:
        key = repr(request.json).encode()
        if key not in self.saved:
            self.saved[key] = call_next(request)
        return self.saved[key]


@pytest.mark.parametrize("family", list(FAMILIES))
def test_header_and_logging_middleware_behave_as_on_the_sdk(
    bedrock_emulator: Emulator, family: str
) -> None:
    results = []
    for client in _clients(FAMILIES, bedrock_emulator, family)[:2]:
        key, seen = _key(), []  # type: ignore[var-annotated]
        with client.with_options(middleware=[log_statuses(seen), add_fault("503*1", key)]) as mw:
            model = FAMILIES[family][2]
            message = mw.messages.create(model=model, max_tokens=16, messages=HELLO)
        results.append((seen, _attempts(bedrock_emulator, key), _facts(message)))
    assert results[0] == results[1]
    assert results[0][:2] == ([(0, 503), (1, 200)], 2)  # once per attempt, inside the retries


@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_rewritten_body_is_signed_and_accepted(bedrock_emulator: Emulator, family: str) -> None:
    ours, sdk, model = _clients(FAMILIES, bedrock_emulator, family, middleware=[shorten])
    with ours, sdk:
        mine, theirs = (
            c.messages.create(model=model, max_tokens=64, messages=HELLO) for c in (ours, sdk)
        )
        assert _facts(mine) == _facts(theirs)
        assert (mine.usage.output_tokens, mine.stop_reason) == (3, "max_tokens")


@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_middleware_may_retry_and_short_circuit(bedrock_emulator: Emulator, family: str) -> None:
    outcomes = []
    for client in _clients(FAMILIES, bedrock_emulator, family, max_retries=0)[:2]:
        key, cache = _key(), Cache()
        chain = [cache, retry_once, add_fault("throttle*1", key)]
        with client.with_options(middleware=chain) as mw:
            model = FAMILIES[family][2]
            first = mw.messages.create(model=model, max_tokens=16, messages=HELLO)
            again = mw.messages.create(model=model, max_tokens=16, messages=HELLO)
        outcomes.append((_facts(first), _facts(again), _attempts(bedrock_emulator, key)))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][2] == 2  # the throttled attempt and the middleware's retry; then cached


@pytest.mark.parametrize("family", list(FAMILIES))
def test_error_answers_reach_the_chain_then_raise(bedrock_emulator: Emulator, family: str) -> None:
    outcomes = []
    for client in _clients(FAMILIES, bedrock_emulator, family, max_retries=0)[:2]:
        seen: list[tuple[int, int]] = []
        with client.with_options(middleware=[log_statuses(seen)]) as mw:
            model = FAMILIES[family][2]
            with pytest.raises(Exception) as error:  # noqa: PT011 (the class is compared)
                mw.messages.create(model=model, max_tokens=0, messages=HELLO)
        outcomes.append((seen, type(error.value).__name__, error.value.status_code))
    assert outcomes[0] == outcomes[1] and outcomes[0][0] == [(0, 400)]


@pytest.fixture
def refused() -> Iterator[str]:
    with refusing_url() as url:  # held for the test: no other server can take the port
        yield url


def test_connection_failures_raise_through_the_chain(refused: str) -> None:
    url = refused
    raised = []
    arguments = {"aws_access_key": "AKIDEXAMPLE", "aws_secret_key": "s", "aws_region": "us-west-2"}

    for client_class, error_class in (
        (AnthropicBedrock, claude_bedrock.APIConnectionError),
        (anthropic.AnthropicBedrock, anthropic.APIConnectionError),
    ):
        names: list[str] = []

        def watch(request: Any, call_next: Any, names: list[str] = names) -> Any:
            try:
                return call_next(request)
            except Exception as exc:
                names.append(type(exc).__name__)
                raise

        client = client_class(**arguments, base_url=url, max_retries=1, middleware=[watch])
        with client, pytest.raises(error_class):
            client.messages.create(model=RUNTIME_MODEL, max_tokens=8, messages=HELLO)
        raised.append(names)
    assert raised[0] == raised[1] == ["APIConnectionError", "APIConnectionError"]


@pytest.mark.parametrize("family", list(FAMILIES))
def test_streams_reach_the_chain_before_their_body(bedrock_emulator: Emulator, family: str) -> None:
    observed = []
    for client in _clients(FAMILIES, bedrock_emulator, family)[:2]:
        seen: list[tuple[bool, bool, int]] = []

        def peek(request: Any, call_next: Any, seen: list[Any] = seen) -> Any:
            response = call_next(request)
            seen.append((request.stream, response.is_closed, response.status_code))
            return response

        with client.with_options(middleware=[peek]) as mw:
            model = FAMILIES[family][2]
            with mw.messages.stream(model=model, max_tokens=16, messages=HELLO) as stream:
                final = stream.get_final_message()
        observed.append((seen, _facts(final)))
    assert observed[0] == observed[1] and observed[0][0] == [(True, False, 200)]


def test_call_next_responses_parse_as_the_sdks(bedrock_emulator: Emulator) -> None:
    parsed = []
    for client in _clients(FAMILIES, bedrock_emulator, "runtime")[:2]:
        found: list[Any] = []

        def parse(request: Any, call_next: Any, found: list[Any] = found) -> Any:
            response = call_next(request)
            found.append((type(response.parse()).__name__, response.request_id is not None))
            return response

        with client.with_options(middleware=[parse]) as mw:
            mw.messages.create(model=RUNTIME_MODEL, max_tokens=8, messages=HELLO)
        parsed.append(found)
    assert parsed[0][0][0] == parsed[1][0][0] == "Message"


@pytest.mark.parametrize(
    "entry",
    ["not callable", "async function", "base without handle", "async handle", "sdk subclass"],
)
def test_construction_refuses_what_the_sdk_refuses(entry: str) -> None:
    async def async_function(request: Any, call_next: Any) -> Any:
        return await call_next(request)

    class Async(claude_bedrock.Middleware):
        async def handle(self, request: Any, call_next: Any) -> Any:  # type: ignore[override]
            return call_next(request)

    class SDKAsync(anthropic.Middleware):
        async def handle(self, request: Any, call_next: Any) -> Any:  # type: ignore[override]
            return call_next(request)

    class SDKAsyncOnly(anthropic.Middleware):
        def handle_async(self, request: Any, call_next: Any) -> Any:  # type: ignore[override]
            return call_next(request)

    entries: dict[str, tuple[Any, Any]] = {
        "not callable": (42, 42),
        "async function": (async_function, async_function),
        "base without handle": (claude_bedrock.Middleware(), anthropic.Middleware()),
        "async handle": (Async(), SDKAsync()),
        "sdk subclass": (SDKAsyncOnly(), SDKAsyncOnly()),
    }
    ours_entry, sdk_entry = entries[entry]
    arguments = {"aws_access_key": "AKIDEXAMPLE", "aws_secret_key": "s", "aws_region": "us-west-2"}
    with pytest.raises(TypeError) as theirs:
        anthropic.AnthropicBedrock(**arguments, middleware=[sdk_entry])
    with pytest.raises(TypeError) as mine:
        AnthropicBedrock(**arguments, middleware=[ours_entry])
    expected = str(theirs.value)
    if entry == "async handle":
        expected = expected.replace("SDKAsync", "Async")
    assert str(mine.value) == expected

    # ... and the asyncio client refuses the sync forms
    def sync_function(request: Any, call_next: Any) -> Any:
        return call_next(request)

    with pytest.raises(TypeError) as theirs:
        anthropic.AsyncAnthropicBedrock(**arguments, middleware=[sync_function])
    with pytest.raises(TypeError) as mine:
        AsyncAnthropicBedrock(**arguments, middleware=[sync_function])
    assert str(mine.value) == str(theirs.value)
    with pytest.raises(TypeError, match="does not implement `handle_async"):
        AsyncAnthropicBedrock(**arguments, middleware=[claude_bedrock.Middleware()])


def test_no_middleware_costs_nothing_and_the_attribute_is_the_sdks(
    bedrock_emulator: Emulator,
) -> None:
    ours, sdk, _ = _clients(FAMILIES, bedrock_emulator, "runtime")
    with ours, sdk:
        assert type(ours._sender) is SyncSender  # the plain sender: no chain to walk
        assert ours.middleware == sdk.middleware == ()
        chained = ours.with_options(middleware=[shorten])
        assert chained.middleware == (shorten,) and type(chained._sender) is not SyncSender
        assert ours.with_middleware(retry_once).middleware == (retry_once,)


class AsyncLog(claude_bedrock.Middleware):
    """A class-based async middleware (``handle_async``), as SDK users write them."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []

    async def handle_async(self, request: Any, call_next: Any) -> Any:
        response = await call_next(request)
        self.seen.append((request.retries_taken, response.status_code))
        return response


class SDKAsyncLog(anthropic.Middleware):
    """The same, subclassing the SDK's base (ours accepts it unchanged)."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []

    async def handle_async(self, request: Any, call_next: Any) -> Any:
        response = await call_next(request)
        self.seen.append((request.retries_taken, response.status_code))
        return response


@pytest.mark.parametrize("family", list(ASYNC_FAMILIES))
def test_async_middleware_behave_as_on_the_sdk(bedrock_emulator: Emulator, family: str) -> None:
    async def add(request: Any, call_next: Any, key: str) -> Any:
        headers = {**request.headers, "x-emulator-fault": "503*1", "x-emulator-fault-key": key}
        return await call_next(
            request.copy(headers=headers, body={**request.json, "max_tokens": 3})
        )

    async def scenario() -> list[Any]:
        results = []
        ours, sdk, model = _clients(ASYNC_FAMILIES, bedrock_emulator, family)
        for client, log in ((ours, AsyncLog()), (sdk, SDKAsyncLog()), (ours, SDKAsyncLog())):
            key = _key()

            async def keyed(request: Any, call_next: Any, key: str = key) -> Any:
                return await add(request, call_next, key)

            async with client.with_options(middleware=[log, keyed]) as mw:
                message = await mw.messages.create(model=model, max_tokens=16, messages=HELLO)
                async with mw.messages.stream(model=model, max_tokens=16, messages=HELLO) as s:
                    streamed = await s.get_final_message()
            results.append(
                (log.seen, _attempts(bedrock_emulator, key), _facts(message), _facts(streamed))
            )
        await ours.close()
        await sdk.close()
        return results

    results = asyncio.run(scenario())
    assert results[0] == results[1] == results[2]
    assert results[0][0][:2] == [(0, 503), (1, 200)]
    assert results[0][2][-1] == 3  # the rewritten max_tokens, signed and accepted


def test_raw_responses_go_through_the_chain(bedrock_emulator: Emulator) -> None:
    """A raw call on a client with middleware: the chain runs for each attempt, and the raw
    response reports the retries the client's policy took."""
    ours, sdk, model = _clients(FAMILIES, bedrock_emulator, "runtime")
    outcomes = []
    for client in (ours, sdk):
        key, seen = _key(), []  # type: ignore[var-annotated]
        with client.with_options(middleware=[log_statuses(seen), add_fault("503*1", key)]) as mw:
            raw = mw.messages.with_raw_response.create(model=model, max_tokens=8, messages=HELLO)
            with mw.messages.with_streaming_response.create(
                model=model, max_tokens=8, messages=HELLO
            ) as streamed:
                lines = list(streamed.iter_lines())
        outcomes.append((seen, raw.retries_taken, raw.status_code, _facts(raw.parse()), len(lines)))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][:3] == ([(0, 503), (1, 200), (0, 200)], 1, 200)
