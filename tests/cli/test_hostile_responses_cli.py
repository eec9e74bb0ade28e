"""The CLI on a 200 that is not Bedrock's answer: one clear line and exit 1, no traceback.

Before: ``models`` and ``logging status`` printed a ``JSONDecodeError`` traceback, and
``ask`` exited 5 ("network") on a 200 whose body was ``{}`` (the stream decoder took it for
a connection cut inside a frame). The answer came from the endpoint, so it is exit 1
(Bedrock/endpoint error), with the request id and a fix naming the endpoint setting.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import bare_env, run

from replyserver import ReplyServer

REQUEST_ID = "req-reply-server-1"


@pytest.fixture(scope="module")
def server() -> Iterator[ReplyServer]:
    s = ReplyServer({
        "/html/": ("text/html", [b"<html><body>502 Bad Gateway</body></html>"]),
        "/json/": ("application/json", [b"{}"]),
        "/array/": ("application/json", [b"[]"]),
    })  # fmt: skip
    yield s
    s.close()


def _env(server: ReplyServer, case: str, home: Path) -> dict[str, str]:
    return bare_env(
        home,
        AWS_ENDPOINT_URL=f"{server.url}/{case}",
        AWS_ACCESS_KEY_ID="AKIDHOSTILE000000001",
        AWS_SECRET_ACCESS_KEY="hostile/test/secret/key/0000000000000000",
        AWS_REGION="us-west-2",
    )


COMMANDS = {
    "models": ["models", "--refresh"],
    "logging status": ["logging", "status"],
    "ask": ["ask", "hello"],
}


#: ``{}`` is a valid (empty) answer to the control-plane reads, as botocore reads it; to
#: ``ask`` it is not a stream.
CASES = [(command, case) for command in COMMANDS for case in ("html", "array")]


@pytest.mark.parametrize(("command", "case"), [*CASES, ("ask", "json")])
def test_a_200_that_is_not_bedrocks_answer_is_exit_1(
    server: ReplyServer, tmp_path: Path, command: str, case: str
) -> None:
    result = run(COMMANDS[command], _env(server, case, tmp_path), timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and "not a valid Bedrock response" in lines[0]
    assert REQUEST_ID in lines[0]
    assert lines[1].startswith("fix: ") and "AWS_ENDPOINT_URL" in lines[1]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_json_output_names_the_error(server: ReplyServer, tmp_path: Path, command: str) -> None:
    result = run([*COMMANDS[command], "--output", "json"], _env(server, "html", tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    error = json.loads(result.stdout)["error"]
    assert error["code"] == 1 and error["type"] == "APIResponseValidationError"
    assert REQUEST_ID in error["message"]
