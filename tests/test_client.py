"""Our client against the real emulator over HTTP: calls, credentials, errors, reprs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from claude_bedrock import (
    AnthropicBedrock,
    APIConnectionError,
    AsyncAnthropicBedrock,
    BadRequestError,
    CredentialsError,
    InvalidModelError,
    MockTransport,
    ModelNotAvailableError,
    PermissionDeniedError,
    RateLimitError,
)
from claude_bedrock._exceptions import UnknownModelWarning
from claude_bedrock.emulator import Emulator

MODEL = "global.anthropic.claude-opus-4-6-v1"
HELLO = [{"role": "user", "content": "Hello, world"}]


@pytest.fixture
def client(bedrock_emulator: Emulator) -> Iterator[AnthropicBedrock]:
    with AnthropicBedrock(
        aws_region="us-west-2", base_url=bedrock_emulator.url,
        aws_access_key=bedrock_emulator.access_key, aws_secret_key=bedrock_emulator.secret_key,
    ) as c:  # fmt: skip
        yield c


def test_seed_example_shape(client: AnthropicBedrock) -> None:
    message = client.messages.create(model=MODEL, max_tokens=256, messages=HELLO)
    assert message.type == "message" and message.role == "assistant"
    assert "Hello, world" in message.content[0].text
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
    assert message.request_id
    dumped = message.model_dump()
    assert dumped["content"][0]["type"] == "text"
    assert json.loads(message.to_json())["id"] == message.id


def test_cost_is_attached(client: AnthropicBedrock) -> None:
    message = client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    assert message.cost is not None
    assert message.cost.endpoint_type == "global"
    expected = (message.usage.input_tokens * 5 + message.usage.output_tokens * 25) / 1e6
    assert message.cost.usd == pytest.approx(expected)


def test_usage_grows_with_input(client: AnthropicBedrock) -> None:
    short = client.messages.create(model=MODEL, max_tokens=32, messages=HELLO)
    long = client.messages.create(
        model=MODEL, max_tokens=32,
        messages=[{"role": "user", "content": "Hello, world " * 200}],
    )  # fmt: skip
    assert long.usage.input_tokens > short.usage.input_tokens


def test_max_tokens_and_stop_sequences(client: AnthropicBedrock) -> None:
    cut = client.messages.create(model=MODEL, max_tokens=3, messages=HELLO)
    assert cut.stop_reason == "max_tokens"
    assert cut.usage.output_tokens <= 3
    full = client.messages.create(model=MODEL, max_tokens=256, messages=HELLO)
    word = full.content[0].text.split()[3]
    stopped = client.messages.create(
        model=MODEL, max_tokens=256, messages=HELLO, stop_sequences=[word]
    )
    assert stopped.stop_reason == "stop_sequence"
    assert stopped.stop_sequence == word
    assert word not in stopped.content[0].text


def test_forced_tool(client: AnthropicBedrock) -> None:
    tool = {
        "name": "get_weather",
        "description": "Weather for a city",
        "input_schema": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
        },
    }
    message = client.messages.create(
        model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[tool], tool_choice={"type": "tool", "name": "get_weather"},
    )  # fmt: skip
    assert message.stop_reason == "tool_use"
    block = next(b for b in message.content if b.type == "tool_use")
    assert block.name == "get_weather"
    assert isinstance(block.input["city"], str)
    assert block.input["unit"] in ("celsius", "fahrenheit")


def test_validation_error_from_bedrock(client: AnthropicBedrock) -> None:
    with pytest.raises(BadRequestError) as info:
        client.messages.create(
            model=MODEL, max_tokens=16, messages=[{"role": "assistant", "content": "hi"}]
        )
    assert info.value.status_code == 400
    assert info.value.error_type == "ValidationException"
    assert info.value.request_id


def test_unknown_model_is_sent_with_a_warning_and_bedrock_decides(
    client: AnthropicBedrock,
) -> None:
    """Open world: a well-formed ID the catalogue does not know goes to Bedrock (which
    refuses this one); only an ID that cannot be a model ID fails before sending."""
    with (
        pytest.warns(UnknownModelWarning, match="claude-bedrock models --refresh"),
        pytest.raises(BadRequestError, match="model identifier is invalid"),
    ):
        client.messages.create(model="anthropic.claude-opus-4-7-v1:0", max_tokens=8,
                               messages=HELLO)  # fmt: skip
    with pytest.raises(InvalidModelError):
        client.messages.create(model="opus-4.7!", max_tokens=8, messages=HELLO)


def test_model_not_in_geography_fails_before_sending(bedrock_emulator: Emulator) -> None:
    client = AnthropicBedrock(
        aws_region="eu-west-1", base_url=bedrock_emulator.url,
        aws_access_key=bedrock_emulator.access_key, aws_secret_key=bedrock_emulator.secret_key,
    )  # fmt: skip
    with pytest.raises(ModelNotAvailableError) as info:
        client.messages.create(model="anthropic.claude-opus-4-1-20250805-v1:0", max_tokens=8,
                               messages=HELLO)  # fmt: skip
    assert "us" in info.value.offered_in
    assert "us.anthropic.claude-opus-4-1-20250805-v1:0" in str(info.value)


def test_regional_endpoint_from_base_id(client: AnthropicBedrock) -> None:
    message = client.messages.create(model="anthropic.claude-opus-4-6-v1", max_tokens=32,
                                     messages=HELLO)  # fmt: skip
    assert message.cost is not None and message.cost.endpoint_type == "regional"


def test_credentials_from_environment(
    bedrock_env: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    client = AnthropicBedrock()  # everything from the environment
    assert client.base_url == bedrock_env.url
    assert client.messages.create(model=MODEL, max_tokens=16, messages=HELLO).content


def test_credentials_from_profile_file(
    bedrock_emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_BEARER_TOKEN_BEDROCK",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ):
        monkeypatch.delenv(name, raising=False)  # fmt: skip
    (tmp_path / "credentials").write_text(
        f"[work]\naws_access_key_id = {bedrock_emulator.access_key}\n"
        f"aws_secret_access_key = {bedrock_emulator.secret_key}\n"
    )
    (tmp_path / "config").write_text("[profile work]\nregion = eu-central-1\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    client = AnthropicBedrock(aws_profile="work", base_url=bedrock_emulator.url)
    assert client.aws_region == "eu-central-1"
    message = client.messages.create(model=MODEL, max_tokens=16, messages=HELLO)
    assert message.content
    assert "shared-credentials-file" in repr(client)


def test_no_credentials_is_a_clear_error(
    bedrock_emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_BEARER_TOKEN_BEDROCK",
        "AWS_PROFILE",
    ):
        monkeypatch.delenv(name, raising=False)  # fmt: skip
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    client = AnthropicBedrock(aws_region="us-west-2", base_url=bedrock_emulator.url)
    with pytest.raises(CredentialsError, match="No AWS credentials found"):
        client.messages.create(model=MODEL, max_tokens=16, messages=HELLO)


def test_wrong_secret_is_invalid_signature(bedrock_emulator: Emulator) -> None:
    client = AnthropicBedrock(
        aws_region="us-west-2", base_url=bedrock_emulator.url, max_retries=0,
        aws_access_key=bedrock_emulator.access_key, aws_secret_key="wrong-secret-value",
    )  # fmt: skip
    with pytest.raises(PermissionDeniedError) as info:
        client.messages.create(model=MODEL, max_tokens=16, messages=HELLO)
    assert info.value.error_type == "InvalidSignatureException"
    assert "wrong-secret-value" not in str(info.value)


def test_api_key_bearer(bedrock_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", bedrock_emulator.api_key)
    client = AnthropicBedrock(aws_region="us-west-2", base_url=bedrock_emulator.url)
    assert client.messages.create(model=MODEL, max_tokens=16, messages=HELLO).content
    assert bedrock_emulator.api_key not in repr(client)
    with pytest.raises(CredentialsError, match="Cannot use both"):
        AnthropicBedrock(aws_access_key="AKIA", aws_secret_key="x", aws_region="us-west-2")


def test_repr_hides_secrets(bedrock_emulator: Emulator) -> None:
    client = AnthropicBedrock(
        aws_region="us-west-2", base_url=bedrock_emulator.url,
        aws_access_key="AKIAREPRTEST00000000", aws_secret_key="super/secret/value/0000",
        aws_session_token="session-token-secret-0000",
    )  # fmt: skip
    text = repr(client) + repr(client._core._credentials)
    assert "super/secret" not in text and "session-token-secret" not in text


class _Flaky(BaseHTTPRequestHandler):
    """Answers 429 (or drops the connection) a set number of times, then succeeds."""

    plan: list[str] = []
    seen = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        _Flaky.seen += 1
        step = _Flaky.plan.pop(0) if _Flaky.plan else "ok"
        if step == "drop":
            self.connection.close()
            return
        if step == "429":
            payload = b'{"message":"Too many requests, please wait before trying again."}'
            self.send_response(429)
            self.send_header("x-amzn-ErrorType", "ThrottlingException")
            self.send_header("Retry-After", "0")
        else:
            payload = json.dumps({
                "id": "msg_1", "type": "message", "role": "assistant", "model": MODEL,
                "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn",
                "usage": {"input_tokens": 1, "output_tokens": 1},
            }).encode()  # fmt: skip
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Flaky.seen = 0
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _flaky_client(url: str, retries: int) -> AnthropicBedrock:
    return AnthropicBedrock(aws_region="us-west-2", base_url=url, max_retries=retries,
                            aws_access_key="AKIDFLAKY", aws_secret_key="flaky")  # fmt: skip


def test_retries_throttling_then_succeeds(flaky_url: str) -> None:
    _Flaky.plan = ["429", "429"]
    message = _flaky_client(flaky_url, 2).messages.create(model=MODEL, max_tokens=8,
                                                           messages=HELLO)  # fmt: skip
    assert message.content[0].text == "ok"
    assert _Flaky.seen == 3


def test_retries_exhausted_raises_rate_limit(flaky_url: str) -> None:
    _Flaky.plan = ["429", "429", "429"]
    with pytest.raises(RateLimitError) as info:
        _flaky_client(flaky_url, 1).messages.create(model=MODEL, max_tokens=8, messages=HELLO)
    assert info.value.error_type == "ThrottlingException"
    assert _Flaky.seen == 2


def test_connection_drop_retried_then_typed(flaky_url: str) -> None:
    _Flaky.plan = ["drop"]
    assert _flaky_client(flaky_url, 1).messages.create(model=MODEL, max_tokens=8, messages=HELLO)
    _Flaky.plan = ["drop", "drop"]
    with pytest.raises(APIConnectionError):
        _flaky_client(flaky_url, 1).messages.create(model=MODEL, max_tokens=8, messages=HELLO)


def test_async_client(bedrock_emulator: Emulator) -> None:
    async def main() -> list[str]:
        async with AsyncAnthropicBedrock(
            aws_region="us-west-2", base_url=bedrock_emulator.url,
            aws_access_key=bedrock_emulator.access_key,
            aws_secret_key=bedrock_emulator.secret_key,
        ) as client:  # fmt: skip
            results: list[str] = []

            async def one(i: int) -> None:
                m = await client.messages.create(
                    model=MODEL, max_tokens=64,
                    messages=[{"role": "user", "content": f"question {i}"}],
                )  # fmt: skip
                results.append(m.content[0].text)

            async with anyio.create_task_group() as tg:
                for i in range(20):
                    tg.start_soon(one, i)
            return results

    texts = anyio.run(main)
    assert len(texts) == 20 and len(set(texts)) == 20


# --------------------------------------------------------------------------- MockTransport


def _forward(emulator: Emulator) -> MockTransport:
    """A MockTransport whose handler asks the real emulator: the client must not notice."""

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "127.0.0.1"
        with httpx.Client() as http:
            answer = http.send(request)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    return MockTransport(handler)


def test_mock_transport_stands_in_for_the_network(bedrock_emulator: Emulator) -> None:
    transport = _forward(bedrock_emulator)
    options: dict[str, Any] = {
        "aws_region": "us-west-2", "base_url": bedrock_emulator.url,
        "aws_access_key": bedrock_emulator.access_key,
        "aws_secret_key": bedrock_emulator.secret_key,
    }  # fmt: skip
    direct = AnthropicBedrock(**options)
    mocked = AnthropicBedrock(**options, transport=transport)
    with direct, mocked:
        for client in (direct, mocked):
            message = client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
            with client.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
                streamed = stream.get_final_text()
            assert streamed == message.content[0].text and "Hello, world" in streamed
    assert [r.url.path.rsplit("/", 1)[1] for r in transport.requests] == [
        "invoke", "invoke-with-response-stream"
    ]  # fmt: skip
    assert transport.requests[0].headers["authorization"].startswith("AWS4-HMAC-SHA256 ")
    assert json.loads(transport.requests[0].content)["anthropic_version"] == "bedrock-2023-05-31"

    async def run() -> str:
        async def handler(request: httpx.Request) -> httpx.Response:
            async with httpx.AsyncClient() as http:
                answer = await http.send(request)
            return httpx.Response(answer.status_code, headers=answer.headers,
                                  content=answer.content)  # fmt: skip

        client = AsyncAnthropicBedrock(**options, transport=MockTransport(handler))
        async with (
            client,
            client.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as s,
        ):
            return await s.get_final_text()

    assert "Hello, world" in anyio.run(run)


def _canned(plan: list[str]) -> MockTransport:
    """Answers from ``plan``: ``429`` (throttled), ``drop`` (no connection), else a message."""

    def handler(request: httpx.Request) -> httpx.Response:
        step = plan.pop(0) if plan else "ok"
        if step == "drop":
            raise httpx.ConnectError("connection refused")
        if step == "429":
            return httpx.Response(429, json={"message": "Too many requests"}, headers={
                "x-amzn-ErrorType": "ThrottlingException", "retry-after-ms": "0"})  # fmt: skip
        return httpx.Response(200, json={
            "id": "msg_1", "type": "message", "role": "assistant", "model": MODEL,
            "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn",
            "usage": {"input_tokens": 1, "output_tokens": 1},
        })  # fmt: skip

    return MockTransport(handler)


def test_mock_transport_answers_are_retried_and_mapped_like_bedrocks() -> None:
    transport = _canned(["429", "drop"])
    client = AnthropicBedrock(aws_region="us-west-2", aws_access_key="AKIDMOCK",
                              aws_secret_key="mock", transport=transport)  # fmt: skip
    assert client.messages.create(model=MODEL, max_tokens=8, messages=HELLO).content[0].text == "ok"
    hosts = {r.url.host for r in transport.requests}
    assert len(transport.requests) == 3 and hosts == {"bedrock-runtime.us-west-2.amazonaws.com"}
    assert all(r.headers["x-amz-date"] for r in transport.requests)  # each attempt signed
    transport = _canned(["429", "429"])
    client = AnthropicBedrock(aws_region="us-west-2", api_key="k", transport=transport,
                              max_retries=1)  # fmt: skip
    with pytest.raises(RateLimitError) as info:
        client.messages.create(model=MODEL, max_tokens=8, messages=HELLO)
    assert info.value.error_type == "ThrottlingException" and len(transport.requests) == 2
    assert transport.requests[0].headers["authorization"] == "Bearer k"

    async def run() -> None:
        transport = _canned(["drop", "drop"])
        client = AsyncAnthropicBedrock(
            aws_region="us-west-2", api_key="k", max_retries=1, transport=transport
        )
        async with client:
            await client.messages.create(model=MODEL, max_tokens=8, messages=HELLO)

    with pytest.raises(APIConnectionError):
        anyio.run(run)


def test_transport_arguments_are_checked() -> None:
    transport = _canned([])
    with pytest.raises(ValueError, match="not both"):
        AnthropicBedrock(api_key="k", transport=transport, http_client=httpx.Client())
    with pytest.raises(ValueError, match="verify="):
        AnthropicBedrock(api_key="k", transport=transport, verify=False)
    with pytest.raises(TypeError, match="httpx.BaseTransport"):
        AnthropicBedrock(api_key="k", transport=object())  # type: ignore[arg-type]

    async def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("never awaited")

    client = AnthropicBedrock(api_key="k", aws_region="us-west-2", max_retries=0,
                              transport=MockTransport(handler))  # fmt: skip
    with pytest.raises(TypeError, match="AsyncAnthropicBedrock"):
        client.messages.create(model=MODEL, max_tokens=8, messages=HELLO)
