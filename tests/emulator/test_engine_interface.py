"""The engine interface, proved with the README's canned-answer engine (``examples/
canned_engine.py``, loaded from its file as ``serve --engine`` loads it) through real
clients: ours, boto3 (InvokeModel, Converse, ConverseStream, CountTokens) and the official
SDK (InvokeModel and its stream, the Messages API). An engine error reaches each client as
the Bedrock error its surface defines (status from botocore's service model)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import anthropic
import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import claude_bedrock
from claude_bedrock.emulator import (
    BedrockError,
    DeterministicEngine,
    Emulator,
    Engine,
    load_engine,
)

from .conftest import MODEL, REGION, body
from .messages_support import MANTLE_MODEL, close_clients, kept

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "canned_engine.py"
CANNED = f"{EXAMPLE}:CannedEngine"
QUESTION = "What is the capital of France?"
ANSWER = "Paris."

_close_clients = pytest.fixture(autouse=True)(close_clients)


@pytest.fixture(scope="module")
def canned() -> Iterator[Emulator]:
    with Emulator(engine=CANNED) as emulator:
        yield emulator


def _boto(emulator: Emulator) -> Any:
    return boto3.client(
        "bedrock-runtime", endpoint_url=emulator.url, region_name=REGION,
        aws_access_key_id=emulator.access_key, aws_secret_access_key=emulator.secret_key,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )  # fmt: skip


def _auth(emulator: Emulator) -> dict[str, Any]:
    return {"aws_access_key": emulator.access_key, "aws_secret_key": emulator.secret_key,
            "aws_region": REGION, "max_retries": 0}  # fmt: skip


def _ask(text: str = QUESTION) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def _converse_ask(text: str = QUESTION) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


def test_the_example_file_loads_as_an_engine() -> None:
    engine = load_engine(CANNED)
    assert isinstance(engine, Engine)
    assert getattr(engine, "name", None) == "canned"


def test_our_client_gets_the_canned_answer_plain_and_streamed(canned: Emulator) -> None:
    with claude_bedrock.AnthropicBedrock(base_url=canned.url, **_auth(canned)) as client:
        message = client.messages.create(model=MODEL, max_tokens=64, messages=_ask())
        with client.messages.stream(model=MODEL, max_tokens=64, messages=_ask()) as stream:
            streamed = stream.get_final_message()
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == ANSWER  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn"
    assert streamed.content[0].text == ANSWER  # type: ignore[union-attr]
    assert streamed.usage.output_tokens == message.usage.output_tokens


def test_boto3_converse_and_converse_stream_get_the_canned_answer(canned: Emulator) -> None:
    runtime = _boto(canned)
    answer = runtime.converse(modelId=MODEL, messages=_converse_ask())
    assert answer["output"]["message"]["content"] == [{"text": ANSWER}]
    assert answer["stopReason"] == "end_turn"
    events = list(runtime.converse_stream(modelId=MODEL, messages=_converse_ask())["stream"])
    text = "".join(
        e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e
    )
    assert text == ANSWER
    usage = next(e["metadata"]["usage"] for e in events if "metadata" in e)
    assert usage["outputTokens"] == answer["usage"]["outputTokens"]


def test_usage_is_the_emulator_count_count_tokens_reports(canned: Emulator) -> None:
    runtime = _boto(canned)
    payload = body(messages=_ask())
    response = runtime.invoke_model(modelId=MODEL, body=json.dumps(payload))
    message = json.loads(response["body"].read())
    counted = runtime.count_tokens(
        modelId="anthropic.claude-opus-4-6-v1",
        input={"invokeModel": {"body": json.dumps(payload)}},
    )
    assert message["content"] == [{"type": "text", "text": ANSWER}]
    assert message["usage"]["input_tokens"] == counted["inputTokens"]
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-bedrock-input-token-count"] == str(counted["inputTokens"])
    assert headers["x-amzn-bedrock-output-token-count"] == str(message["usage"]["output_tokens"])


def test_the_official_sdk_invoke_stream_and_messages_api(canned: Emulator) -> None:
    sdk = kept(anthropic.AnthropicBedrock(base_url=canned.url, **_auth(canned)))
    message = sdk.messages.create(model=MODEL, max_tokens=64, messages=_ask())  # type: ignore[arg-type]
    assert message.content[0].text == ANSWER  # type: ignore[union-attr]
    with sdk.messages.stream(model=MODEL, max_tokens=64, messages=_ask()) as stream:  # type: ignore[arg-type]
        assert stream.get_final_text() == ANSWER
    mantle = kept(
        anthropic.AnthropicBedrockMantle(base_url=canned.url + "/anthropic", **_auth(canned))
    )
    answer = mantle.messages.create(model=MANTLE_MODEL, max_tokens=64, messages=_ask())  # type: ignore[arg-type]
    assert answer.content[0].text == ANSWER  # type: ignore[union-attr]


def test_limits_apply_to_canned_answers(canned: Emulator) -> None:
    runtime = _boto(canned)
    cut = runtime.converse(
        modelId=MODEL, messages=_converse_ask(), inferenceConfig={"maxTokens": 1}
    )
    assert cut["stopReason"] == "max_tokens"
    assert cut["output"]["message"]["content"] == [{"text": "Paris"}]
    stopped = runtime.converse(
        modelId=MODEL, messages=_converse_ask(), inferenceConfig={"stopSequences": ["is"]}
    )
    assert stopped["stopReason"] == "stop_sequence"
    assert stopped["output"]["message"]["content"] == [{"text": "Par"}]


def test_unknown_prompts_fall_back_to_the_deterministic_engine(canned: Emulator) -> None:
    runtime = _boto(canned)
    answer = runtime.converse(modelId=MODEL, messages=_converse_ask("Something else"))
    assert answer["output"]["message"]["content"][0]["text"].startswith("[emulator]")


class _Refusing:
    """An engine that fails as a model does: Bedrock's ModelErrorException (424)."""

    name = "refusing"

    def respond(self, request: Mapping[str, Any], model: str) -> dict[str, Any]:
        raise BedrockError("ModelErrorException", "The canned engine has no answer.")

    def stream_events(self, request: Mapping[str, Any], model: str) -> list[dict[str, Any]]:
        return [self.respond(request, model)]


class _Broken(DeterministicEngine):
    def respond(self, request: Mapping[str, Any], model: str) -> dict[str, Any]:
        raise RuntimeError("a bug in the engine")


def test_an_engine_error_is_bedrocks_error_on_every_surface() -> None:
    with Emulator(engine=_Refusing()) as emulator:
        runtime = _boto(emulator)
        for call in (
            lambda: runtime.invoke_model(modelId=MODEL, body=json.dumps(body())),
            lambda: runtime.invoke_model_with_response_stream(
                modelId=MODEL, body=json.dumps(body())
            ),
            lambda: runtime.converse(modelId=MODEL, messages=_converse_ask()),
            lambda: runtime.converse_stream(modelId=MODEL, messages=_converse_ask()),
        ):
            with pytest.raises(ClientError) as caught:
                call()
            error = caught.value.response
            assert error["Error"]["Code"] == "ModelErrorException"
            assert error["ResponseMetadata"]["HTTPStatusCode"] == 424
            assert error["Error"]["Message"] == "The canned engine has no answer."
        mantle = kept(
            anthropic.AnthropicBedrockMantle(
                base_url=emulator.url + "/anthropic", **_auth(emulator)
            )
        )
        with pytest.raises(anthropic.APIStatusError) as sdk_error:
            mantle.messages.create(model=MANTLE_MODEL, max_tokens=64, messages=_ask())  # type: ignore[arg-type]
        assert sdk_error.value.status_code == 424
        assert "The canned engine has no answer." in str(sdk_error.value)


def test_an_engine_bug_is_an_internal_server_error() -> None:
    with Emulator(engine=_Broken()) as emulator, pytest.raises(ClientError) as caught:
        _boto(emulator).converse(modelId=MODEL, messages=_converse_ask())
    assert caught.value.response["Error"]["Code"] == "InternalServerException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_serve_engine_option_in_its_own_process() -> None:
    with Emulator(engine=CANNED, subprocess=True) as emulator:
        answer = _boto(emulator).converse(modelId=MODEL, messages=_converse_ask())
        health = httpx.get(emulator.url + "/_emulator/health").json()
    assert answer["output"]["message"]["content"] == [{"text": ANSWER}]
    assert health["engine"] == "canned"


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("no_such_module_here:make", "cannot be imported"),
        (f"{EXAMPLE}:NoSuchFactory", "has no attribute 'NoSuchFactory'"),
        (f"{EXAMPLE}:ANSWERS", "has no respond() and stream_events() methods"),
    ],
)
def test_serve_refuses_a_bad_engine_spec(spec: str, says: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "claude_bedrock", "serve", "--port", "0", "--engine", spec],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--engine" in done.stderr and says in done.stderr


def test_load_engine_takes_an_instance_a_class_or_a_factory() -> None:
    instance = DeterministicEngine()
    assert load_engine(instance) is instance
    assert isinstance(load_engine("claude_bedrock.emulator:DeterministicEngine"),
                      DeterministicEngine)  # fmt: skip
    with pytest.raises(TypeError, match="no respond"):
        load_engine("json:JSONDecoder")
