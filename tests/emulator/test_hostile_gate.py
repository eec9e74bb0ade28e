"""The emulator's front door under attack (issue 17, items 3 and 9): what the headers alone
condemn is refused before the body is read, the connection ends cleanly after such a
refusal, and a signed request cannot have its body swapped after signing.

Every test talks HTTP to a real emulator on 127.0.0.1 (raw sockets where a client library
would hide the timing: "the answer came before the body was sent" is only visible there).
Each call is bounded by its own socket or client timeout; nothing asserts on durations.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from claude_bedrock.emulator import Emulator, Limits
from claude_bedrock.emulator.auth import BAD_SIGNATURE
from claude_bedrock.wire.messages_api import BASE_PATH
from claude_bedrock.wire.signing import UNSIGNED_PAYLOAD

from .conftest import MODEL, REGION, RawClient, body, error_of

#: Under InvokeModel's 25,000,000-byte cap, as in the issue's attack.
BIG = 24_000_000
INVOKE = f"/model/{MODEL}/invoke"
MESSAGES = BASE_PATH + "/v1/messages"
_TIMEOUT = 10.0


@pytest.fixture(scope="module")
def gate() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


def _address(emulator: Emulator) -> tuple[str, int]:
    url = httpx.URL(emulator.url)
    return url.host, url.port or 80


def _amz_now(delta: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) + delta).strftime("%Y%m%dT%H%M%SZ")


def _sigv4(key: str, now: str, *, scope: str | None = None, service: str = "bedrock") -> str:
    scope = scope or f"{now[:8]}/{REGION}/{service}/aws4_request"
    return (
        f"AWS4-HMAC-SHA256 Credential={key}/{scope}, "
        f"SignedHeaders=content-type;host;x-amz-date, Signature={'0' * 64}"
    )


def _condemned(emulator: Emulator) -> dict[str, tuple[str, dict[str, str]]]:
    """Requests whose headers alone condemn them: (path, headers) by case name.

    One clock reading dates every scope and ``X-Amz-Date``: two readings could straddle
    midnight UTC and turn a case into a date mismatch."""
    known = emulator.access_key
    now = _amz_now()
    hour_ago = _amz_now(-timedelta(hours=1))
    old_scope = f"{hour_ago[:8]}/{REGION}/bedrock/aws4_request"
    cases: dict[str, tuple[str, dict[str, str]]] = {
        "no-credentials": (INVOKE, {}),
        "unknown-access-key": (INVOKE, {"authorization": _sigv4("AKIAUNKNOWNKEY000001", now)}),
        "malformed-scope": (
            INVOKE,
            {"authorization": _sigv4(known, now, scope=f"2026/{REGION}/bedrock/aws4_request")},
        ),
        "skewed-date": (
            INVOKE,
            {
                "authorization": _sigv4(known, now, scope=old_scope),
                "x-amz-date": hour_ago,
            },
        ),
        "wrong-service": (INVOKE, {"authorization": _sigv4(known, now, service="s3")}),
        "bad-bearer-key": (INVOKE, {"authorization": "Bearer ABSK-not-a-key"}),
        "messages-bad-api-key": (MESSAGES, {"x-api-key": "not-a-key"}),
        "messages-unknown-mantle-key": (
            MESSAGES,
            {"authorization": _sigv4("AKIAUNKNOWNKEY000001", now, service="bedrock-mantle")},
        ),
        "unknown-operation": ("/no/such/operation", {}),
    }
    for _, headers in cases.values():
        headers.setdefault("x-amz-date", now)
    return cases


def _head(path: str, headers: dict[str, str], length: int) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if "x-amz-date" not in headers:
        lines.append(f"X-Amz-Date: {_amz_now()}")
    lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response with a Content-Length (what the emulator's errors have)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response head: {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed inside a response body")
        rest += chunk
    return int(status_line.split()[1]), headers, rest[:length]


def _summary(status: int, headers: dict[str, str], content: bytes) -> tuple[int, str, str]:
    """Status, error type and the body without what changes per request (its id, the
    server's clock in a "Signature expired" message)."""
    data = json.loads(content)
    data.pop("request_id", None)
    text = re.sub(r"\d{8}T\d{6}Z", "<time>", json.dumps(data, sort_keys=True))
    return status, headers.get("x-amzn-errortype", ""), text


@pytest.mark.parametrize(
    "case",
    [
        "no-credentials",
        "unknown-access-key",
        "malformed-scope",
        "skewed-date",
        "wrong-service",
        "bad-bearer-key",
        "messages-bad-api-key",
        "messages-unknown-mantle-key",
        "unknown-operation",
    ],
)
def test_refused_from_the_headers_before_any_body_byte_is_sent(gate: Emulator, case: str) -> None:
    """The answer arrives while the client has sent the head only: the server read none of
    the 24 MB it announced (before the fix it waited for them, then said 403)."""
    path, headers = _condemned(gate)[case]
    with socket.create_connection(_address(gate), timeout=_TIMEOUT) as sock:
        sock.sendall(_head(path, headers, BIG))
        try:
            early = _summary(*_read_response(sock))
        except TimeoutError:
            pytest.fail(f"{case}: no answer before the body was sent (the body is awaited)")
    # The same words as for the same request sent whole with a small body.
    small = b'{"x": 1}'
    with socket.create_connection(_address(gate), timeout=_TIMEOUT) as sock:
        sock.sendall(_head(path, headers, len(small)) + small)
        whole = _summary(*_read_response(sock))
    assert early == whole
    assert early[0] in (400, 403, 404)


def test_after_an_early_refusal_the_rest_of_the_body_is_drained_then_the_connection_closes(
    gate: Emulator,
) -> None:
    """A client that sends its whole body anyway (most do: they write before they read)
    can finish writing and read the answer; the server then closes, without a reset."""
    with socket.create_connection(_address(gate), timeout=_TIMEOUT) as sock:
        sock.sendall(_head(INVOKE, {}, BIG))
        status, headers, _ = _read_response(sock)
        assert (status, headers["connection"]) == (403, "close")
        sock.sendall(b"x" * BIG)  # drained by the server, not a broken pipe
        assert sock.recv(1) == b""  # then an orderly end of stream


def test_httpx_sending_a_big_unsigned_body_gets_the_403(gate: Emulator) -> None:
    with httpx.Client(base_url=gate.url, timeout=_TIMEOUT * 3) as client:
        response = client.post(INVOKE, content=b"x" * BIG)
        after = client.get("/_emulator/health")
    assert error_of(response) == (403, "AccessDeniedException", "Authorization header is missing")
    assert after.json()["status"] == "ok"


def test_many_concurrent_unsigned_heads_are_all_answered_without_their_bodies(
    gate: Emulator,
) -> None:
    """50 connections announce 24 MB each (1.2 GB) and send none of it: every one is
    answered, so the server holds no body (before the fix each waited for its body)."""
    socks = [socket.create_connection(_address(gate), timeout=_TIMEOUT) for _ in range(50)]
    try:
        for sock in socks:
            sock.sendall(_head(INVOKE, {}, BIG))
        statuses = [_read_response(sock)[0] for sock in socks]
    finally:
        for sock in socks:
            sock.close()
    assert statuses == [403] * 50
    assert httpx.get(gate.url + "/_emulator/health", timeout=_TIMEOUT).json()["status"] == "ok"


def test_a_signed_request_still_works_with_a_large_body(gate: Emulator) -> None:
    """The payload hash is now taken while the body streams in: a signed body of a few MB
    still verifies (and is still validated: the padding makes it a 200 with a long text)."""
    raw = RawClient(gate.url, gate.access_key, gate.secret_key)
    with raw.http:
        payload = body(messages=[{"role": "user", "content": "y" * 3_000_000}])
        response = raw.post(INVOKE, payload)
    assert response.status_code == 200, response.text


# -- item 9: UNSIGNED-PAYLOAD --------------------------------------------------------------


def test_unsigned_payload_does_not_let_a_body_be_swapped_after_signing(gate: Emulator) -> None:
    """Signed with ``x-amz-content-sha256: UNSIGNED-PAYLOAD``, a request's body is not
    covered by the signature. Bedrock's operations carry no unsignedPayload trait and
    botocore always signs their body, so the payload line is the body's own hash: the
    signature no longer matches (before the fix the emulator ran the swapped body)."""
    raw = RawClient(gate.url, gate.access_key, gate.secret_key)
    signed_body = json.dumps(body()).encode()
    swapped = json.dumps(body(max_tokens=7)).encode()
    unsigned = {"x-amz-content-sha256": UNSIGNED_PAYLOAD}
    headers = raw.signed("POST", INVOKE, signed_body, headers=unsigned)
    with raw.http:
        response = raw.http.post(INVOKE, content=swapped, headers=headers)
        also_unswapped = raw.http.post(INVOKE, content=signed_body, headers=headers)
    assert error_of(response) == (403, "InvalidSignatureException", BAD_SIGNATURE)
    assert error_of(also_unswapped) == (403, "InvalidSignatureException", BAD_SIGNATURE)


def test_a_content_sha256_header_that_is_the_body_hash_is_accepted(gate: Emulator) -> None:
    import hashlib

    raw = RawClient(gate.url, gate.access_key, gate.secret_key)
    content = json.dumps(body()).encode()
    digest = hashlib.sha256(content).hexdigest()
    headers = raw.signed("POST", INVOKE, content, headers={"x-amz-content-sha256": digest})
    with raw.http:
        response = raw.http.post(INVOKE, content=content, headers=headers)
    assert response.status_code == 200, response.text


def test_shutdown_closes_a_connection_still_draining_a_refused_body() -> None:
    """A refused client that keeps its connection open (sending nothing more) does not hold
    a graceful shutdown up: the answered connection is closed at once. The shutdown budget
    and the drain's own limits are long (60 s), so only that closing can end it in time."""
    limits = Limits(linger_time=60.0, linger_timeout=60.0)
    emulator = Emulator(shutdown_timeout=60.0, limits=limits)
    emulator.start()
    try:
        with socket.create_connection(_address(emulator), timeout=_TIMEOUT) as sock:
            sock.sendall(_head(INVOKE, {}, BIG))
            assert _read_response(sock)[0] == 403
            stopper = threading.Thread(target=emulator.stop)
            stopper.start()
            assert sock.recv(1) == b""  # closed by the shutdown (else: our 10 s timeout)
            stopper.join(_TIMEOUT)
            assert not stopper.is_alive()
    finally:
        emulator.stop()


# -- item 9: a batch job's role ----------------------------------------------------------


def test_a_batch_job_cannot_be_given_a_role_of_another_account(gate: Emulator) -> None:
    """IAM passes a role only to a service of the role's own account, so Bedrock cannot run
    a job as another account's role (and read the buckets that role may read). Refused at
    creation, before any S3 is touched; the caller's own roles are unaffected."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    bedrock = boto3.client(
        "bedrock",
        endpoint_url=gate.url,
        aws_access_key_id=gate.access_key,
        aws_secret_access_key=gate.secret_key,
        region_name=REGION,
        config=Config(retries={"max_attempts": 1}),
    )
    with pytest.raises(ClientError) as refused:
        bedrock.create_model_invocation_job(
            jobName="other-account-role",
            roleArn="arn:aws:iam::999999999999:role/TheirBatchRole",
            modelId="anthropic.claude-3-haiku-20240307-v1:0",
            inputDataConfig={"s3InputDataConfig": {"s3Uri": "s3://their-bucket/in.jsonl"}},
            outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://my-bucket/out/"}},
        )
    error = refused.value.response["Error"]
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Code"] == "AccessDeniedException"
    assert "iam:PassRole" in error["Message"]
