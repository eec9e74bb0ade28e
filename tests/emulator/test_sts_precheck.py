"""The STS route is judged from its head before a big body is read, like the Bedrock routes.

Each test sends a request head that declares a body and never sends it: the answer can only
come from the head. The heads are signed by botocore's own ``SigV4Auth`` (an independent
signer), the answers parsed as STS's XML ``ErrorResponse``.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit
from xml.etree import ElementTree

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from claude_bedrock.emulator import Emulator
from claude_bedrock.emulator.sts import STS_NAMESPACE

FORM = "Action=GetCallerIdentity&Version=2011-06-15"
FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


def _signed(emulator: Emulator, key: str, secret: str) -> dict[str, str]:
    """botocore's SigV4 headers for an STS call (of a small form; only the head is sent)."""
    request = AWSRequest("POST", emulator.url + "/", data=FORM, headers={"Content-Type": FORM_TYPE})
    SigV4Auth(Credentials(key, secret), "sts", "us-east-1").add_auth(request)
    return {name: value for name, value in request.headers.items() if name != "Content-Length"}


def _head_only(emulator: Emulator, declared: int, headers: dict[str, str]) -> tuple[int, str]:
    """Send a head declaring ``declared`` body bytes, never the body; (status, STS code)."""
    address = urlsplit(emulator.url)
    lines = ["POST / HTTP/1.1", f"Host: {address.netloc}", f"Content-Length: {declared}"]
    lines += [f"{name}: {value}" for name, value in {"Content-Type": FORM_TYPE, **headers}.items()]
    answer = b""
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while chunk := sock.recv(65536):  # the server shuts its side after answering
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    ns = f"{{{STS_NAMESPACE}}}"
    code = ElementTree.fromstring(body).findtext(f"{ns}Error/{ns}Code") or ""
    return int(head.split(b" ")[1]), code


def test_an_unsigned_big_form_is_refused_unread(emulator: Emulator) -> None:
    assert _head_only(emulator, 1_000_000, {}) == (403, "MissingAuthenticationToken")


def test_an_unknown_key_is_refused_unread(emulator: Emulator) -> None:
    headers = _signed(emulator, "AKIAUNKNOWNKEY000000", "not-the-secret")
    assert _head_only(emulator, 1_000_000, headers) == (403, "InvalidClientTokenId")


def test_a_form_over_the_cap_is_refused_in_sts_xml(emulator: Emulator) -> None:
    headers = _signed(emulator, emulator.access_key, emulator.secret_key)
    assert _head_only(emulator, 25_000_001, headers) == (413, "RequestEntityTooLargeException")
