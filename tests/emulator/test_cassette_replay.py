"""Replay's edges: misses explained, repeats in order, secrets kept out, and the CLI options."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from claude_bedrock.emulator import Emulator
from claude_bedrock.emulator.auth import DEFAULT_API_KEY
from claude_bedrock.emulator.cassette import Exchange
from claude_bedrock.emulator.proxy import recorder
from claude_bedrock.emulator.replay import replayer
from claude_bedrock.wire.signing import Credentials

MODEL = "global.anthropic.claude-opus-4-6-v1"
REGION = "us-east-1"
TOKEN = "FQoGZXIvYXdzEXAMPLESESSIONTOKENthatmustneverbewritten0123456789"


def _runtime(url: str) -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="AKIAANYTHING00000001",
        aws_secret_access_key="anything-at-all-0001",
        config=Config(retries={"max_attempts": 1}),
    )


def _converse(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": [{"text": text}]}]}


@pytest.fixture(scope="module")
def cassette(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two Converse calls and one Messages API call (keyed with an API key), recorded."""
    path = tmp_path_factory.mktemp("replay") / "cassette.jsonl"
    with Emulator() as upstream:
        keys = Credentials(upstream.access_key, upstream.secret_key)
        with Emulator(extensions=[recorder(path, upstream.url, credentials=lambda: keys)]) as p:
            runtime = _runtime(p.url)
            runtime.converse(modelId=MODEL, **_converse("first question"))
            runtime.converse(modelId=MODEL, **_converse("second question"))
            body = {"model": "anthropic.claude-opus-5", "max_tokens": 32,
                    "messages": [{"role": "user", "content": "hi"}]}  # fmt: skip
            sent = httpx.post(p.url + "/anthropic/v1/messages", json=body, timeout=30,
                              headers={"x-api-key": DEFAULT_API_KEY,
                                       "anthropic-version": "2023-06-01"})  # fmt: skip
            assert sent.status_code == 200, sent.text
    return path


def test_a_miss_names_the_closest_recording_and_what_differs(cassette: Path) -> None:
    with Emulator(extensions=[replayer(cassette)]) as replay:
        runtime = _runtime(replay.url)
        with pytest.raises(ClientError) as caught:
            runtime.converse(modelId=MODEL, **_converse("a third question"))
        error = caught.value.response
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert error["Error"]["Code"] == "ValidationException"
        message = error["Error"]["Message"]
        assert "has no recording of this Converse" in message
        assert "Closest: line 1, Converse" in message
        assert "body.messages[0].content[0].text" in message
        assert "question" not in message  # paths, never body values
        other = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
        with pytest.raises(ClientError) as caught:
            runtime.converse(modelId=other, **_converse("first question"))
        assert f"model {other!r} (recorded {MODEL!r})" in caught.value.response["Error"]["Message"]
        # The Messages API answers a miss in Anthropic's envelope.
        other_body = {"model": "anthropic.claude-opus-5", "max_tokens": 1,
                      "messages": [{"role": "user", "content": "other"}]}  # fmt: skip
        headers = {"x-api-key": "whatever", "anthropic-version": "2023-06-01"}
        miss = httpx.post(
            replay.url + "/anthropic/v1/messages", json=other_body, headers=headers, timeout=30
        )
        assert miss.status_code == 400
        assert miss.json()["type"] == "error"
        assert miss.json()["error"]["type"] == "invalid_request_error"
        assert "Closest: line 3, CreateMessage" in miss.json()["error"]["message"]


def test_recordings_of_one_key_are_served_in_order_then_the_last_repeats(tmp_path: Path) -> None:
    path = tmp_path / "hand.jsonl"
    with Emulator() as upstream:
        keys = Credentials(upstream.access_key, upstream.secret_key)
        with Emulator(extensions=[recorder(path, upstream.url, credentials=lambda: keys)]) as p:
            _runtime(p.url).converse(modelId=MODEL, **_converse("again"))
    line = json.loads(path.read_text())
    answers = []
    for number in (1, 2):  # the same key recorded twice, with different answers
        exchange = Exchange.from_json(line)
        exchange.body = json.dumps(
            {**json.loads(exchange.body), "stopReason": f"n{number}"}
        ).encode()
        answers.append(json.dumps(exchange.to_json()))
    path.write_text("\n".join(answers) + "\n")
    with Emulator(extensions=[replayer(path, timing=True)]) as replay:
        runtime = _runtime(replay.url)
        got = [runtime.converse(modelId=MODEL, **_converse("again"))["stopReason"] for _ in "abc"]
    assert got == ["n1", "n2", "n2"]


def test_no_credential_is_written(cassette: Path) -> None:
    """An API key sent by the client and a session token of the proxy's own credentials."""
    from _secret_scan import SecretScanner

    path = cassette.parent / "token.jsonl"
    with Emulator() as upstream:
        keys = Credentials(upstream.access_key, upstream.secret_key, TOKEN)
        with Emulator(extensions=[recorder(path, upstream.url, credentials=lambda: keys)]) as p:
            httpx.post(p.url + f"/model/{MODEL}/converse", json=_converse("x"), timeout=30,
                       headers={"authorization": f"Bearer {DEFAULT_API_KEY}"})  # fmt: skip
    scan = SecretScanner()
    scan.add(TOKEN)
    for written in (cassette, path):
        text = written.read_text()
        assert text.strip()
        scan.scan(text, str(written))
        assert DEFAULT_API_KEY not in text and TOKEN not in text
    assert scan.findings == []


# -- the CLI -------------------------------------------------------------------------------------

_ENTRY = [sys.executable, "-m", "claude_bedrock"]


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANTHROPIC_"))}
    env.update(HOME=str(home), AWS_CONFIG_FILE=str(home / "none"),
               AWS_SHARED_CREDENTIALS_FILE=str(home / "none"), **extra)  # fmt: skip
    return env


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    started: list[subprocess.Popen[str]] = []

    def start(*args: str, **env: str) -> str:
        process = subprocess.Popen([*_ENTRY, "serve", "--port", "0", *args],
                                   env=_env(tmp_path, **env), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)  # fmt: skip
        started.append(process)
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"listening on (http://\S+)", first)
        assert match is not None, first + (process.stderr.read() if process.stderr else "")
        return match[1]

    def stop() -> None:
        while started:
            process = started.pop()
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                process.communicate(timeout=30)

    start.stop = stop  # type: ignore[attr-defined]
    yield start
    stop()


def test_serve_record_then_replay_streams_the_same_events(serve: Any, tmp_path: Path) -> None:
    path = tmp_path / "cli.jsonl"
    with Emulator() as upstream:
        proxy = serve("--record", str(path), "--upstream", upstream.url,
                      AWS_ACCESS_KEY_ID=upstream.access_key,
                      AWS_SECRET_ACCESS_KEY=upstream.secret_key)  # fmt: skip
        stream = _runtime(proxy).converse_stream(modelId=MODEL, **_converse("via the CLI"))
        recorded = list(stream["stream"])
        serve.stop()
    for timing in ((), ("--replay-timing",)):
        replay = serve("--replay", str(path), *timing)
        stream = _runtime(replay).converse_stream(modelId=MODEL, **_converse("via the CLI"))
        assert list(stream["stream"]) == recorded
        serve.stop()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--record", "x.jsonl"], "--record needs --upstream"),
        (["--record", "x.jsonl", "--upstream", "ftp://h"], "must be 'aws' or an http(s) URL"),
        (["--upstream", "aws"], "--upstream needs --record"),
        (["--replay-timing"], "--replay-timing needs --replay"),
        (["--replay", "bad.jsonl"], "not a cassette line"),
    ],
)
def test_serve_refuses_inconsistent_options(tmp_path: Path, args: list[str], says: str) -> None:
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    command = [*_ENTRY, "serve", "--port", "0", *args]
    result = subprocess.run(
        command, cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    assert says in result.stderr


def test_control_plane_and_count_tokens_replay(tmp_path: Path) -> None:
    path = tmp_path / "control.jsonl"
    count_input = {"converse": _converse("how many tokens?")}

    def calls(url: str) -> list[Any]:
        control = boto3.client(
            "bedrock", endpoint_url=url, region_name=REGION, aws_access_key_id="AKIAANY",
            aws_secret_access_key="any", config=Config(retries={"max_attempts": 1}),
        )  # fmt: skip
        results = [
            control.list_foundation_models(byProvider="Anthropic"),
            control.get_foundation_model(modelIdentifier="anthropic.claude-opus-4-6-v1"),
            control.list_inference_profiles(),
            _runtime(url).count_tokens(modelId="anthropic.claude-opus-4-6-v1", input=count_input),
        ]
        for result in results:
            result.pop("ResponseMetadata")
        return results

    with Emulator() as upstream:
        keys = Credentials(upstream.access_key, upstream.secret_key)
        with Emulator(extensions=[recorder(path, upstream.url, credentials=lambda: keys)]) as p:
            recorded = calls(p.url)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(line["key"]["surface"], line["key"]["operation"]) for line in lines] == [
        ("control", "ListFoundationModels"),
        ("control", "GetFoundationModel"),
        ("control", "ListInferenceProfiles"),
        ("runtime", "CountTokens"),
    ]
    assert lines[0]["key"]["query"] == [["byProvider", "Anthropic"]]
    with Emulator(extensions=[replayer(path)]) as replay:
        assert calls(replay.url) == recorded


def test_an_unreachable_upstream_is_a_503_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "none.jsonl"
    with Emulator() as gone:
        url = gone.url  # a loopback port nobody listens on once this emulator stops
    keys = Credentials("AKIAANY", "any-secret-0001")
    proxy = Emulator(extensions=[recorder(path, url, credentials=lambda: keys)])
    with proxy, pytest.raises(ClientError) as caught:
        _runtime(proxy.url).converse(modelId=MODEL, **_converse("anyone?"))
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert error["Error"]["Code"] == "ServiceUnavailableException"
    assert "could not reach 127.0.0.1 (ConnectError)" in error["Error"]["Message"]
    assert not path.exists() or not path.read_text()


_BOTOCORE_SERVICES = [("runtime", "bedrock-runtime"), ("control", "bedrock"), ("sts", "sts")]


@pytest.mark.parametrize(("surface", "service"), _BOTOCORE_SERVICES)
def test_aws_hosts_are_the_ones_botocore_calls(surface: str, service: str) -> None:
    """``--upstream aws`` sends each surface where botocore would, signed as botocore signs
    (the reference, read offline from botocore's endpoint data and service models)."""
    from claude_bedrock.emulator.proxy import AWS_HOSTS

    client = boto3.client(service, region_name="eu-west-3", aws_access_key_id="x",
                          aws_secret_access_key="y")  # fmt: skip
    host, signing_name = AWS_HOSTS[surface]
    assert client.meta.endpoint_url == "https://" + host.format(region="eu-west-3")
    assert client.meta.service_model.signing_name == signing_name
