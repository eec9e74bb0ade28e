"""Hostile requests to the emulator over raw sockets: replays outside the 5-minute window,
tampered bodies, signed headers, paths and queries, unsigned and mis-signed requests, bodies
and header sections over the caps. Each is refused with AWS's error, and no answer ever
carries a secret, a signature, a token or the request body."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from faultkit import MODEL, REGION

from _secret_scan import register_secret
from claude_bedrock.emulator import Emulator, Limits
from claude_bedrock.wire.signing import Credentials, SigV4Signer

SECRET = "security/SECRET/key/0123456789abcdefghijkl"
TOKEN = "security-session-TOKEN-" + "z" * 48
API_KEY = "ABSK-security-API-key-0123456789"
ACCESS = "ASIASECURITY00000001"
PROMPT = "PROMPT-CANARY " + "the user's private words " * 20  # what a body must never echo
for _secret in (SECRET, TOKEN, API_KEY):
    register_secret(_secret)
PATH = "/model/" + MODEL.replace(":", "%3A") + "/invoke"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    path = tmp_path_factory.mktemp("security") / "credentials.ini"
    path.write_text(
        f"[s]\naws_access_key_id = {ACCESS}\naws_secret_access_key = {SECRET}\n"
        f"aws_session_token = {TOKEN}\n\n[k]\nbedrock_api_key = {API_KEY}\n"
    )
    limits = Limits(max_body_bytes=4096, max_header_count=40, max_header_bytes=8192)
    with Emulator(credentials_file=path, limits=limits) as emulator:
        yield emulator


def body(prompt: str = PROMPT) -> bytes:
    return json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 32,
                       "messages": [{"role": "user", "content": prompt}]}).encode()  # fmt: skip


def signed(emulator: Emulator, content: bytes, *, path: str = PATH, query: str = "",
           extra: dict[str, str] | None = None, now: datetime | None = None,
           secret: str = SECRET) -> dict[str, str]:  # fmt: skip
    """The headers of a SigV4-signed POST (with the session token)."""
    host = emulator.url.removeprefix("http://")
    headers = {"host": host, "content-type": "application/json", **(extra or {})}
    url = emulator.url + path + (f"?{query}" if query else "")
    added = SigV4Signer(REGION, "bedrock").sign(
        "POST", url, headers, content, Credentials(ACCESS, secret, TOKEN), now=now
    )
    return {**headers, **added}


def raw(emulator: Emulator, head: dict[str, str] | list[tuple[str, str]], content: bytes,
        *, path: str = PATH, query: str = "") -> tuple[int, dict[str, str], bytes]:  # fmt: skip
    """One request on a fresh socket, exactly as given; (status, headers, body)."""
    host, port = emulator.url.removeprefix("http://").split(":")
    pairs = list(head.items()) if isinstance(head, dict) else head
    if not any(name.lower() == "content-length" for name, _ in pairs):
        pairs.append(("content-length", str(len(content))))
    target = path + (f"?{query}" if query else "")
    request = f"POST {target} HTTP/1.1\r\n" + "".join(f"{n}: {v}\r\n" for n, v in pairs)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request.encode("latin-1") + b"\r\n" + content)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
        head_raw, _, rest = answer.partition(b"\r\n\r\n")
        lines = head_raw.decode("latin-1").split("\r\n")
        headers = {n.lower(): v.strip() for n, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            data = sock.recv(65536)
            if not data:
                break
            rest += data
    return int(lines[0].split()[1]), headers, rest


def refused(answer: tuple[int, dict[str, str], bytes], status: int, error_type: str,
            *signatures: str) -> str:  # fmt: skip
    """Assert the refusal and that it reflects nothing; returns the message."""
    code, headers, payload = answer
    assert (code, headers.get("x-amzn-errortype")) == (status, error_type), payload[:300]
    text = payload.decode("utf-8", "replace") + json.dumps(headers)
    for secret in (SECRET, TOKEN, API_KEY, "PROMPT-CANARY", "private words", *signatures):
        assert secret not in text
    data = json.loads(payload)
    return str(data.get("message") or data.get("Message"))


def _signature(headers: dict[str, str]) -> str:
    return headers["Authorization"].rsplit("Signature=", 1)[1]


def test_a_properly_signed_request_is_accepted(guarded: Emulator) -> None:
    content = body("hello")
    status, _, payload = raw(guarded, signed(guarded, content), content)
    assert status == 200 and json.loads(payload)["type"] == "message"


@pytest.mark.parametrize("skew", [timedelta(minutes=-6), timedelta(minutes=6),
                                  timedelta(days=-1)])  # fmt: skip
def test_replays_outside_the_five_minute_window(guarded: Emulator, skew: timedelta) -> None:
    content = body()
    headers = signed(guarded, content, now=datetime.now(UTC) + skew)
    message = refused(raw(guarded, headers, content), 403, "InvalidSignatureException",
                      _signature(headers))  # fmt: skip
    assert "Signature expired" in message or "Signature not yet current" in message
    inside = signed(guarded, body("x"), now=datetime.now(UTC) - timedelta(minutes=4))
    assert raw(guarded, inside, body("x"))[0] == 200  # within the window: accepted


def test_tampered_body(guarded: Emulator) -> None:
    headers = signed(guarded, body("what was signed"))
    tampered = body("what was sent instead")
    refused(raw(guarded, headers, tampered), 403, "InvalidSignatureException",
            _signature(headers))  # fmt: skip


@pytest.mark.parametrize("header", ["content-type", "x-amz-date", "host", "x-custom-signed"])
def test_tampered_signed_header(guarded: Emulator, header: str) -> None:
    content = body()
    headers = signed(guarded, content, extra={"x-custom-signed": "original"})
    assert header in headers["Authorization"].split("SignedHeaders=")[1]
    key = next(k for k in headers if k.lower() == header)
    value = headers[key]
    if header == "x-amz-date":  # one second later: still well formed, no longer what was signed
        later = datetime.strptime(value, "%Y%m%dT%H%M%SZ") + timedelta(seconds=1)
        headers[key] = later.strftime("%Y%m%dT%H%M%SZ")
    else:
        headers[key] = value[:-1] + ("0" if value[-1] != "0" else "1")
    refused(raw(guarded, headers, content), 403, "InvalidSignatureException",
            _signature(headers))  # fmt: skip


def test_tampered_path_and_query(guarded: Emulator) -> None:
    content = body()
    headers = signed(guarded, content, query="a=1")
    other = "/model/" + "anthropic.claude-3-haiku-20240307-v1%3A0" + "/invoke"
    refused(raw(guarded, headers, content, query="a=1", path=other), 403,
            "InvalidSignatureException")  # fmt: skip
    refused(raw(guarded, headers, content, query="a=2"), 403, "InvalidSignatureException")


def test_an_added_unsigned_header_does_not_break_the_signature(guarded: Emulator) -> None:
    content = body("hi")
    headers = {**signed(guarded, content), "x-not-signed": "anything"}
    assert raw(guarded, headers, content)[0] == 200  # as AWS: only SignedHeaders count


@pytest.mark.parametrize(
    ("authorization", "error_type"),
    [(None, "AccessDeniedException"),
     ("AWS4-HMAC-SHA256 garbage", "IncompleteSignatureException"),
     ("Basic dXNlcjpwYXNz", "IncompleteSignatureException"),
     ("Bearer " + API_KEY + "-wrong", "AccessDeniedException"),
     ("Bearer ", "AccessDeniedException")],
)  # fmt: skip
def test_unsigned_and_malformed_credentials(
    guarded: Emulator, authorization: str | None, error_type: str
) -> None:
    content = body()
    headers = {"host": "x", "content-type": "application/json"}
    if authorization is not None:
        headers["authorization"] = authorization
    refused(raw(guarded, headers, content), 403, error_type)


def test_wrong_secret_and_token(guarded: Emulator) -> None:
    content = body()
    wrong = signed(guarded, content, secret=SECRET + "x")
    refused(raw(guarded, wrong, content), 403, "InvalidSignatureException", _signature(wrong))
    headers = signed(guarded, content)
    headers["X-Amz-Security-Token"] = TOKEN + "x"
    refused(raw(guarded, headers, content), 403, "UnrecognizedClientException")


def test_body_over_the_cap(guarded: Emulator) -> None:
    big = body("x" * 5000)
    refused(raw(guarded, signed(guarded, big), big), 400, "ValidationException")  # InvokeModel's
    head = [(k, v) for k, v in signed(guarded, big).items()] + [("transfer-encoding", "chunked")]
    chunked = b"".join(b"%x\r\n%b\r\n" % (len(big[i:i + 1000]), big[i:i + 1000])
                       for i in range(0, len(big), 1000)) + b"0\r\n\r\n"  # fmt: skip
    refused(_raw_chunked(guarded, head, chunked), 400, "ValidationException")


def _raw_chunked(emulator: Emulator, head: list[tuple[str, str]],
                 content: bytes) -> tuple[int, dict[str, str], bytes]:  # fmt: skip
    """Like :func:`raw` for a chunked body (which has no Content-Length); reads to EOF."""
    pairs = [(k, v) for k, v in head if k.lower() != "content-length"]
    host, port = emulator.url.removeprefix("http://").split(":")
    request = f"POST {PATH} HTTP/1.1\r\n" + "".join(f"{n}: {v}\r\n" for n, v in pairs)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request.encode() + b"\r\n" + content)
        answer = b""
        while True:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    head_raw, _, rest = answer.partition(b"\r\n\r\n")
    lines = head_raw.decode("latin-1").split("\r\n")
    headers = {n.lower(): v.strip() for n, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, rest


def test_header_caps(guarded: Emulator) -> None:
    content = body()
    many = [*signed(guarded, content).items()] + [(f"x-h{i}", "v") for i in range(40)]
    refused(raw(guarded, many, content), 431, "ValidationException")
    large = [*signed(guarded, content).items(), ("x-big", "v" * 9000)]
    refused(raw(guarded, large, content), 431, "ValidationException")


def test_validation_errors_do_not_echo_the_prompt(guarded: Emulator) -> None:
    bad = [
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": "many",
         "messages": [{"role": "user", "content": PROMPT}]},
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
         "messages": [{"role": "assistant", "content": PROMPT}]},
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10, "system": 5,
         "messages": [{"role": "user", "content": PROMPT}]},
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
         "messages": [{"role": "user", "content": PROMPT}, {"role": "user", "content": PROMPT}]},
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10, "temperature": 7,
         "messages": [{"role": "user", "content": PROMPT}]},
    ]  # fmt: skip
    for document in bad:
        content = json.dumps(document).encode()
        refused(raw(guarded, signed(guarded, content), content), 400, "ValidationException")
    for content in (b"{" + PROMPT.encode(), PROMPT.encode(), b'{"a": "' + PROMPT.encode()):
        refused(raw(guarded, signed(guarded, content), content), 400, "ValidationException")
