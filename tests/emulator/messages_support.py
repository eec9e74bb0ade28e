"""What the Messages API tests share: the models they call, signed and keyed raw requests.

Requests are signed with botocore's own ``SigV4Auth`` (the signer the official SDK uses
for ``AnthropicBedrockMantle``), never with our signer, so the emulator's check is proved
against an independent reference.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Final, TypeVar

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from claude_bedrock.emulator import Emulator

#: A model bedrock-mantle serves in us-east-1 (bare in-Region ID).
MANTLE_MODEL: Final = "anthropic.claude-opus-5"
#: An inference-profile ID the runtime's Messages API serves from us-east-1.
PROFILE_MODEL: Final = "global.anthropic.claude-opus-4-8"
#: Headers the official SDK's clients add in these tests (none: its own ``anthropic-version``,
#: ``2026-10-21``, is accepted for these models, Claude 4.7 and later).
SDK_VERSION_HEADER: Final[dict[str, str]] = {}
REGION: Final = "us-east-1"
VERSION: Final = "2023-06-01"
PROMPT: Final = "Hello from the Messages API"
MESSAGES: Final = [{"role": "user", "content": PROMPT}]


_Client = TypeVar("_Client")
_OPEN: list[Any] = []


def kept(client: _Client) -> _Client:
    """``client``, closed by :func:`close_clients` after the test (an SDK client holds a
    connection pool; left to the garbage collector, its sockets close at a random later
    time, in another test that counts file descriptors)."""
    _OPEN.append(client)
    return client


def close_clients() -> Iterator[None]:
    """Body of each SDK test module's autouse fixture: close the clients :func:`kept`."""
    yield
    while _OPEN:
        _OPEN.pop().close()


def payload(model: str = MANTLE_MODEL, **extra: Any) -> dict[str, Any]:
    """A Messages API body (``None`` values delete a key)."""
    body: dict[str, Any] = {"model": model, "max_tokens": 64, "messages": MESSAGES, **extra}
    return {k: v for k, v in body.items() if v is not None}


def signed_headers(
    emulator: Emulator,
    path: str,
    content: bytes,
    *,
    service: str,
    host: str | None = None,
    secret: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, str]:
    """Headers of a request signed by botocore for ``service`` (``host``: the Host header
    the request claims, as if sent to a real Bedrock host through a proxy)."""
    url = f"http://{host}{path}" if host else emulator.url + path
    base = {"content-type": "application/json", "anthropic-version": VERSION, **(headers or {})}
    if host:
        base["host"] = host  # botocore signs the URL's host; the request must send it
    request = AWSRequest(method="POST", url=url, data=content, headers=base)
    credentials = Credentials(emulator.access_key, secret or emulator.secret_key)
    SigV4Auth(credentials, service, REGION).add_auth(request)
    return dict(request.headers.items())


def post_signed(
    emulator: Emulator, path: str, body: object, *, service: str, **kwargs: Any
) -> httpx.Response:
    content = json.dumps(body).encode()
    headers = signed_headers(emulator, path, content, service=service, **kwargs)
    return httpx.post(emulator.url + path, content=content, headers=headers, timeout=30)


def post_keyed(
    emulator: Emulator,
    path: str,
    body: object,
    *,
    key: str | None = None,
    header: str = "x-api-key",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A request with a Bedrock API key, as ``x-api-key`` or ``Authorization: Bearer``."""
    token = key if key is not None else emulator.api_key
    auth = {"authorization": f"Bearer {token}"} if header == "bearer" else {header: token}
    sent = {"anthropic-version": VERSION, **auth, **(headers or {})}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(emulator.url + path, content=content, headers=sent, timeout=30)


def envelope(response: httpx.Response) -> tuple[int, str, str]:
    """``(status, error type, message)`` of an Anthropic error envelope."""
    data = response.json()
    assert data["type"] == "error", data
    return response.status_code, data["error"]["type"], data["error"]["message"]


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    """``(event name, data)`` pairs of an SSE body, read line by line as the WHATWG rules
    say (independently of the codec the emulator encodes with)."""
    events: list[tuple[str, dict[str, Any]]] = []
    name, data = "message", []
    for line in text.split("\n"):
        if not line:
            if data:
                events.append((name, json.loads("\n".join(data))))
            name, data = "message", []
        elif line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            data.append(line[len("data: ") :])
    return events
