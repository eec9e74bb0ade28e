"""Record and replay: one emulator in front of another, then the cassette alone.

The recording proxy forwards to an *upstream* emulator, re-signing with the credentials of
botocore's chain (here: the environment, holding the upstream's keys); the upstream is then
stopped and a replaying emulator must give every client the same bytes, streams included.
Clients are independent references: raw HTTP signed by botocore's ``SigV4Auth``, boto3,
the official ``anthropic`` SDK, and this package's client.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import boto3
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

import claude_bedrock
from claude_bedrock.emulator import Emulator
from claude_bedrock.emulator.proxy import recorder
from claude_bedrock.emulator.replay import replayer

MODEL = "global.anthropic.claude-opus-4-6-v1"
MANTLE_MODEL = "anthropic.claude-opus-5"
REGION = "us-east-1"
#: Keys the *client* signs the proxy requests with: never checked, never forwarded, never written.
CLIENT_KEY, CLIENT_SECRET = "AKIACLIENTSIDE000001", "client-side-secret-key-never-written-0001"
INVOKE = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "Hello, cassette"}],
}
CONVERSE = {"messages": [{"role": "user", "content": [{"text": "Hello, cassette"}]}]}
MESSAGES = {"model": MANTLE_MODEL, "max_tokens": 64, "messages": INVOKE["messages"]}
#: The Messages API on bedrock-runtime (signed for ``bedrock``, an inference-profile ID).
RUNTIME_MESSAGES = {**MESSAGES, "model": "global.anthropic.claude-opus-4-8"}


def _raw(url: str, path: str, body: dict[str, Any], service: str = "bedrock") -> httpx.Response:
    """A request signed by botocore with the client-side keys; the raw response bytes."""
    content = json.dumps(body).encode()
    headers = {"content-type": "application/json", "anthropic-version": "2023-06-01"}
    request = AWSRequest(method="POST", url=url + path, data=content, headers=headers)
    SigV4Auth(Credentials(CLIENT_KEY, CLIENT_SECRET), service, REGION).add_auth(request)
    return httpx.post(url + path, content=content, headers=dict(request.headers), timeout=30)


def _frames(response: httpx.Response) -> list[bytes]:
    """Event-stream frames as sent (cut by their own length prefix)."""
    data, frames = response.content, []
    while data:
        size = int.from_bytes(data[:4], "big")
        frames.append(data[:size])
        data = data[size:]
    return frames


def scenario(url: str) -> dict[str, Any]:
    """Every call the proof covers, through every client, as comparable values."""
    out: dict[str, Any] = {}
    model, mantle = f"/model/{MODEL}", "bedrock-mantle"
    streamed_messages = {**MESSAGES, "stream": True}
    for name, path, body, service in (
        ("invoke", f"{model}/invoke", INVOKE, "bedrock"),
        ("invoke-stream", f"{model}/invoke-with-response-stream", INVOKE, "bedrock"),
        ("converse", f"{model}/converse", CONVERSE, "bedrock"),
        ("converse-stream", f"{model}/converse-stream", CONVERSE, "bedrock"),
        ("messages", "/anthropic/v1/messages", MESSAGES, mantle),
        ("messages-stream", "/anthropic/v1/messages", streamed_messages, mantle),
        ("runtime-messages", "/anthropic/v1/messages", RUNTIME_MESSAGES, "bedrock"),
        ("runtime-messages-stream", "/anthropic/v1/messages",
         {**RUNTIME_MESSAGES, "stream": True}, "bedrock"),
    ):  # fmt: skip
        response = _raw(url, path, body, service)
        assert response.status_code == 200, (name, response.text)
        out[f"raw {name}"] = (response.headers["content-type"], response.content)
        if "stream" in name and "eventstream" in response.headers["content-type"]:
            out[f"frames {name}"] = _frames(response)
    runtime = boto3.client(
        "bedrock-runtime",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=CLIENT_KEY,
        aws_secret_access_key=CLIENT_SECRET,
        config=Config(retries={"max_attempts": 1}),
    )
    invoked = runtime.invoke_model(modelId=MODEL, body=json.dumps(INVOKE))
    out["boto3 invoke"] = invoked["body"].read()
    streamed = runtime.invoke_model_with_response_stream(modelId=MODEL, body=json.dumps(INVOKE))
    out["boto3 invoke-stream"] = [event["chunk"]["bytes"] for event in streamed["body"]]
    conversed = runtime.converse(modelId=MODEL, **CONVERSE)
    conversed.pop("ResponseMetadata")
    out["boto3 converse"] = conversed
    conversed_stream = runtime.converse_stream(modelId=MODEL, **CONVERSE)
    out["boto3 converse-stream"] = list(conversed_stream["stream"])
    keys = {"aws_access_key": CLIENT_KEY, "aws_secret_key": CLIENT_SECRET, "aws_region": REGION}
    with anthropic.AnthropicBedrock(base_url=url, **keys) as sdk:
        message = sdk.messages.create(model=MODEL, max_tokens=64, messages=INVOKE["messages"])
        out["sdk invoke"] = message.model_dump()
        with sdk.messages.stream(model=MODEL, max_tokens=64, messages=INVOKE["messages"]) as s:
            out["sdk invoke-stream"] = [event.model_dump() for event in s]
    mantle_base = url + "/anthropic"
    with anthropic.AnthropicBedrockMantle(base_url=mantle_base, **keys) as sdk_mantle:
        message = sdk_mantle.messages.create(**MESSAGES)
        out["sdk messages"] = message.model_dump()
    ours = claude_bedrock.AnthropicBedrock(base_url=url, max_retries=0, **keys)
    out["ours invoke"] = ours.messages.create(
        model=MODEL, max_tokens=64, messages=INVOKE["messages"]
    ).model_dump()
    with ours.messages.stream(model=MODEL, max_tokens=64, messages=INVOKE["messages"]) as s:
        out["ours invoke-stream"] = [event.model_dump() for event in s]
    ours_mantle = claude_bedrock.AnthropicBedrockMantle(base_url=mantle_base, max_retries=0, **keys)
    out["ours messages"] = ours_mantle.messages.create(**MESSAGES).model_dump()
    return out


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    """A cassette recorded through the proxy (the upstream is stopped before tests run)."""
    path = tmp_path_factory.mktemp("cassette") / "cassette.jsonl"
    with pytest.MonkeyPatch.context() as patch, Emulator() as upstream:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK"):
            patch.delenv(name, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", upstream.access_key)  # botocore's chain: the env
        patch.setenv("AWS_SECRET_ACCESS_KEY", upstream.secret_key)
        with Emulator(extensions=[recorder(path, upstream.url)]) as proxy:
            seen = scenario(proxy.url)
    yield path, seen


def test_replay_gives_the_same_bytes_with_the_upstream_stopped(
    recorded: tuple[Path, dict[str, Any]],
) -> None:
    path, seen = recorded
    with Emulator(extensions=[replayer(path)]) as replay:
        again = scenario(replay.url)
    assert again.keys() == seen.keys()
    for name, value in seen.items():
        assert again[name] == value, name
    # The streams really were streams, cut in their own units.
    assert len(seen["frames converse-stream"]) > 3
    assert seen["raw messages-stream"][0].startswith("text/event-stream")
    assert seen["raw runtime-messages-stream"][0].startswith("text/event-stream")


def test_streams_are_recorded_frame_by_frame_with_timing(
    recorded: tuple[Path, dict[str, Any]],
) -> None:
    path, seen = recorded
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    stream = next(line for line in lines if line["key"]["operation"] == "ConverseStream")
    stream = stream["response"]  # the first one: the raw request's
    frames = [base64.b64decode(chunk["b64"]) for chunk in stream["chunks"]]
    assert frames == seen["frames converse-stream"]
    assert [chunk["t"] for chunk in stream["chunks"]] == sorted(c["t"] for c in stream["chunks"])
    sse = next(
        line["response"]
        for line in lines
        if line["key"]["surface"] == "mantle" and line["response"].get("stream") == "sse"
    )
    assert (
        "".join(chunk["text"] for chunk in sse["chunks"]).encode()
        == (seen["raw messages-stream"][1])
    )
    assert all(chunk["text"].endswith("\n\n") for chunk in sse["chunks"])


def test_no_secret_is_written(recorded: tuple[Path, dict[str, Any]]) -> None:
    """The project's secret scan finds nothing in a cassette recorded with known secrets."""
    from _secret_scan import SecretScanner

    path, _ = recorded
    scan = SecretScanner()  # knows the emulator's default secret key (the upstream's)
    scan.add(CLIENT_SECRET)
    text = path.read_text()
    scan.scan(text, str(path))
    assert scan.findings == []
    for word in ("authorization", "x-amz-date", "x-amz-security-token", "x-api-key", CLIENT_KEY):
        assert word not in text.lower() if word.islower() else word not in text
