"""A recording Messages API server on 127.0.0.1, for comparing our clients with the official SDK.

Both clients are pointed at the same server (``base_url``) and make the same calls; the
server keeps every request as received (method, path, headers, JSON body) and checks every
SigV4 signature with botocore's ``SigV4Auth`` (not with our own signing code), so a test
can compare what each client put on the wire.

What it answers depends on the first path segment, so one server serves every scenario
(``{url}/{scenario}/anthropic/v1/messages``):

* ``ok``: a message (JSON), an SSE stream when the body says ``"stream": true``,
  ``{"input_tokens": 11}`` on ``/count_tokens`` (and bedrock-runtime's CountTokens answer,
  ``{"inputTokens": 13}``, on ``/count-tokens``);
* ``e{status}-{error type}``: that status with Anthropic's error envelope (a
  ``retry-after: 0`` header on 429, 503 and 529);
* ``flaky{status}``: that status (overloaded) once per request body and client, then ``ok``;
* ``cut``: a stream that sends ``error`` (``overloaded_error``) after its first text delta.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCESS = "AKIDMESSAGESSURFACE1"
SECRET = "messages/surface/secret+key/for/tests00"
MODEL_REPLY = {
    "id": "msg_01Recorded", "type": "message", "role": "assistant", "model": "claude",
    "content": [{"type": "text", "text": "Hello there"}], "stop_reason": "end_turn",
    "stop_sequence": None, "usage": {"input_tokens": 12, "output_tokens": 3},
}  # fmt: skip


def _sse(event: dict[str, Any]) -> bytes:
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()


START = _sse(
    {
        "type": "message_start",
        "message": {
            **MODEL_REPLY,
            "content": [],
            "stop_reason": None,
            "usage": {"input_tokens": 12, "output_tokens": 1},
        },
    }
)
TEXT = [
    _sse({"type": "content_block_start", "index": 0,
          "content_block": {"type": "text", "text": ""}}),
    _sse({"type": "content_block_delta", "index": 0,
          "delta": {"type": "text_delta", "text": "Hello"}}),
    _sse({"type": "ping"}),
    _sse({"type": "content_block_delta", "index": 0,
          "delta": {"type": "text_delta", "text": " there"}}),
    _sse({"type": "content_block_stop", "index": 0}),
]  # fmt: skip
END = [
    _sse({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
          "usage": {"output_tokens": 3}}),
    _sse({"type": "message_stop"}),
]  # fmt: skip
STREAM = [START, *TEXT, *END]
CUT = [
    START,
    *TEXT[:2],
    _sse({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
]


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    #: None: not SigV4; else whether botocore computes the same signature.
    signature_ok: bool | None = None
    #: The credential scope's ``region/service`` (SigV4 only).
    scope: str | None = None


def _check_sigv4(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[bool, str]:
    auth = handler.headers["Authorization"]
    fields = dict(part.strip().split("=", 1) for part in auth.split(" ", 1)[1].split(","))
    _, _date, region, service, _ = fields["Credential"].split("/")
    signed = fields["SignedHeaders"].split(";")
    request = AWSRequest(
        method=handler.command,
        url=f"http://{handler.headers['Host']}{handler.path}",
        data=body,
        headers={name: handler.headers[name] for name in signed},
    )
    request.context["timestamp"] = handler.headers["X-Amz-Date"]
    token = handler.headers.get("X-Amz-Security-Token")
    signer = SigV4Auth(Credentials(ACCESS, SECRET, token), service, region)
    expected = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    return expected == fields["Signature"], f"{region}/{service}"


@dataclass
class MessagesServer:
    requests: list[Recorded] = field(default_factory=list)
    _seen: set[bytes] = field(default_factory=set)

    def __post_init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", "0")))
                owner._answer(self, raw)

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def clear(self) -> list[Recorded]:
        taken, self.requests = self.requests, []
        return taken

    # -- answers -------------------------------------------------------------------------

    def _answer(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        record = Recorded(
            handler.command, handler.path, {k.lower(): v for k, v in handler.headers.items()}, body
        )
        if (handler.headers.get("Authorization") or "").startswith("AWS4-HMAC-SHA256"):
            record.signature_ok, record.scope = _check_sigv4(handler, raw)
        self.requests.append(record)
        scenario = handler.path.lstrip("/").split("/", 1)[0]
        if scenario.startswith("e") and "-" in scenario:
            status, kind = scenario[1:].split("-", 1)
            return self._error(handler, int(status), kind)
        key = f"{handler.path} {handler.headers.get('user-agent')}".encode() + raw
        if scenario.startswith("flaky") and key not in self._seen:
            self._seen.add(key)
            return self._error(handler, int(scenario[5:]), "overloaded_error")
        if handler.path.split("?")[0].endswith("/count_tokens"):
            return self._json(handler, 200, {"input_tokens": 11})
        if handler.path.split("?")[0].endswith("/count-tokens"):  # bedrock-runtime's CountTokens
            return self._json(handler, 200, {"inputTokens": 13})
        if isinstance(body, dict) and body.get("stream"):
            return self._stream(handler, CUT if scenario == "cut" else STREAM)
        return self._json(handler, 200, MODEL_REPLY)

    def _error(self, handler: BaseHTTPRequestHandler, status: int, kind: str) -> None:
        extra = {"retry-after": "0"} if status in (429, 503, 529) else {}
        envelope = {"type": "error", "error": {"type": kind, "message": f"{kind} from the server"}}
        self._json(handler, status, envelope, extra)

    def _json(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        payload: Any,
        extra: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("request-id", "req_recorded_1")
        for name, value in (extra or {}).items():
            handler.send_header(name, value)
        handler.send_header("content-length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _stream(self, handler: BaseHTTPRequestHandler, parts: list[bytes]) -> None:
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.send_header("request-id", "req_recorded_1")
        handler.send_header("transfer-encoding", "chunked")
        handler.end_headers()
        for part in parts:
            handler.wfile.write(b"%x\r\n%b\r\n" % (len(part), part))
        handler.wfile.write(b"0\r\n\r\n")
