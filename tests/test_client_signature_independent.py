"""Our client against a server that checks SigV4 with botocore, not with our own code.

The emulator verifies signatures with ``claude_bedrock.wire.signing``; if that module and the
client's signer shared a mistake, emulator tests could not see it. This server recomputes
every signature with botocore's ``SigV4Auth`` from the request exactly as received.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from claude_bedrock import AnthropicBedrock, PermissionDeniedError

ACCESS = "AKIDINDEPENDENT0001"
SECRET = "independent/secret+key/for/tests0000000"
TOKEN = "session-token-for-independent-test"


def _expected_signature(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[str, str]:
    auth = handler.headers["Authorization"]
    fields = dict(part.strip().split("=", 1) for part in auth.split(" ", 1)[1].split(","))
    scope = fields["Credential"].split("/")
    _, date, region, service, _ = scope
    signed = fields["SignedHeaders"].split(";")
    host = handler.headers["Host"]
    request = AWSRequest(
        method=handler.command,
        url=f"http://{host}{handler.path}",
        data=body,
        headers={name: handler.headers[name] for name in signed},
    )
    request.context["timestamp"] = handler.headers["X-Amz-Date"]
    token = handler.headers.get("X-Amz-Security-Token")
    signer = SigV4Auth(BotoCredentials(ACCESS, SECRET, token), service, region)
    creq = signer.canonical_request(request)
    sts = signer.string_to_sign(request, creq)
    return fields["Signature"], signer.signature(sts, request)


class _Handler(BaseHTTPRequestHandler):
    seen: list[dict[str, object]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        given, expected = _expected_signature(self, body)
        _Handler.seen.append({"path": self.path, "ok": given == expected,
                              "token": self.headers.get("X-Amz-Security-Token")})  # fmt: skip
        if given != expected:
            self.send_response(403)
            self.send_header("x-amzn-ErrorType", "InvalidSignatureException")
            payload = b'{"message":"signature mismatch"}'
        else:
            self.send_response(200)
            payload = json.dumps({
                "id": "msg_independent", "type": "message", "role": "assistant",
                "model": "claude", "content": [{"type": "text", "text": "verified"}],
                "stop_reason": "end_turn", "stop_sequence": None,
                "usage": {"input_tokens": 3, "output_tokens": 1},
            }).encode()  # fmt: skip
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("token", [None, TOKEN])
@pytest.mark.parametrize(
    "model",
    ["global.anthropic.claude-opus-4-6-v1", "us.anthropic.claude-haiku-4-5-20251001-v1:0"],
)
def test_botocore_accepts_our_signature(server_url: str, token: str | None, model: str) -> None:
    _Handler.seen.clear()
    client = AnthropicBedrock(
        aws_access_key=ACCESS, aws_secret_key=SECRET, aws_session_token=token,
        aws_region="us-west-2", base_url=server_url, max_retries=0,
    )  # fmt: skip
    message = client.messages.create(
        model=model, max_tokens=16, messages=[{"role": "user", "content": "héllo ✓ wörld"}],
        system="be brief", temperature=0.5,
    )  # fmt: skip
    assert message.content[0].text == "verified"
    assert _Handler.seen == [
        {"path": f"/model/{model.replace(':', '%3A')}/invoke", "ok": True, "token": token}
    ]


def test_wrong_secret_is_refused_by_botocore_check(server_url: str) -> None:
    client = AnthropicBedrock(
        aws_access_key=ACCESS, aws_secret_key="not-the-secret", aws_region="us-west-2",
        base_url=server_url, max_retries=0,
    )  # fmt: skip
    with pytest.raises(PermissionDeniedError) as info:
        client.messages.create(
            model="global.anthropic.claude-opus-4-6-v1", max_tokens=8,
            messages=[{"role": "user", "content": "hi"}],
        )  # fmt: skip
    assert info.value.error_type == "InvalidSignatureException"
    assert "not-the-secret" not in str(info.value)
