"""Cassettes: recorded Bedrock exchanges, one JSON object per line (shared by record and replay).

A line is ``{"version": 1, "key": {...}, "request": {...}, "response": {...}}``:

* ``key`` is what replay matches on, normalised so that two clients making the same call
  agree: surface, operation, model, Region, method, decoded path, sorted query (minus
  presigning parameters), the *semantic* headers (``x-amzn-bedrock-*``, ``anthropic-beta``)
  and the body as canonical JSON (sorted keys; non-JSON bodies as text, or a SHA-256 when
  binary). Never a signature, a date, a request id or a credential.
* ``response`` holds the status, the headers worth keeping (:data:`KEPT_RESPONSE_HEADERS`)
  and either ``body`` (text) / ``body_b64`` or, for streams, ``chunks``: one per
  event-stream frame (``b64``) or per Server-Sent Event (``text``), each with ``t``, the
  seconds since the response began. Replaying the chunks gives the recorded bytes exactly.

Secrets: request headers are stored only from an allow-list, and any header whose *name*
looks like a credential is dropped even then (:func:`is_secret_header`); the proxy also
replaces its own credentials' secrets wherever they would appear in a line (defence in
depth; see :func:`redact`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, unquote

from ..wire import signing
from .http_types import Request
from .messages_surface import surface_of

__all__ = [
    "KEPT_RESPONSE_HEADERS",
    "SURFACE_BY_OPERATION",
    "Chunk",
    "Exchange",
    "StreamSplitter",
    "describe_differences",
    "is_secret_header",
    "load",
    "redact",
    "request_key",
    "stream_kind",
]

VERSION: Final = 1

#: Bedrock surface of each operation the emulator routes (anything else: ``control``).
SURFACE_BY_OPERATION: Final[dict[str, str]] = {
    "InvokeModel": "runtime",
    "InvokeModelWithResponseStream": "runtime",
    "Converse": "runtime",
    "ConverseStream": "runtime",
    "CountTokens": "runtime",
    "ApplyGuardrail": "runtime",
    "GetCallerIdentity": "sts",
}
#: Operations served on both Messages API hosts (the surface is decided per request).
MESSAGES_OPERATIONS: Final = frozenset({"CreateMessage", "CountMessageTokens"})

#: Words that mark a header as carrying a credential: never stored, whatever the allow-list.
_SECRET_WORDS: Final = ("authorization", "token", "api-key", "signature", "credential",
                        "cookie", "secret", "password")  # fmt: skip
#: Request headers that change Bedrock's answer, so they belong to the key.
_KEY_HEADER_PREFIXES: Final = ("x-amzn-bedrock-", "anthropic-beta")
#: Query parameters of presigned URLs: signatures and dates, never part of a key.
_PRESIGN_PARAM: Final = re.compile(r"(?i)^x-amz-")
#: Response headers replayed (the rest, such as Date or Content-Length, are the server's).
#: (Not ``x-amzn-RequestId``: the serving emulator sends its own, one per request.)
KEPT_RESPONSE_HEADERS: Final = ("content-type", "x-amzn-errortype", "x-amzn-query-error",
                                "retry-after", "request-id")  # fmt: skip
_KEPT_RESPONSE_PREFIXES: Final = ("x-amzn-bedrock-", "anthropic-")
_EVENTSTREAM: Final = "application/vnd.amazon.eventstream"
_SSE: Final = "text/event-stream"


def is_secret_header(name: str) -> bool:
    """Whether a header's name says it may carry a credential (then it is never written)."""
    lowered = name.lower()
    return lowered.startswith("x-amz-") or any(word in lowered for word in _SECRET_WORDS)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every (non-trivial) secret replaced by ``<redacted>``."""
    for secret in secrets:
        if secret and len(secret) >= 8:
            text = text.replace(secret, "<redacted>")
    return text


def stream_kind(content_type: str | None) -> str | None:
    """``"eventstream"``, ``"sse"`` or None (a complete body) for a response content type."""
    value = (content_type or "").split(";")[0].strip().lower()
    return {_EVENTSTREAM: "eventstream", _SSE: "sse"}.get(value)


def kept_response_headers(pairs: Iterable[tuple[str, str]]) -> list[list[str]]:
    """The response headers worth replaying, secrets never included."""
    kept: list[list[str]] = []
    for name, value in pairs:
        lowered = name.lower()
        wanted = lowered in KEPT_RESPONSE_HEADERS or lowered.startswith(_KEPT_RESPONSE_PREFIXES)
        if wanted and not is_secret_header(lowered):
            kept.append([lowered, value])
    return kept


# -- the key -----------------------------------------------------------------------------------


def _region(request: Request, default_region: str) -> str:
    header = request.headers.get("authorization") or ""
    if header.startswith(signing.ALGORITHM):
        try:
            return signing.parse_authorization(header).region
        except signing.SignatureError:
            pass
    host = request.headers.get("host") or ""
    match = re.search(r"(?:bedrock[a-z-]*|sts)\.([a-z0-9-]+)\.(?:amazonaws\.com|api\.aws)", host)
    return match.group(1) if match else default_region


def _body(raw: bytes) -> Any:
    """The body as canonical JSON data, else text, else a digest (binary bodies)."""
    if not raw:
        return None
    try:
        return {"json": json.loads(raw)}
    except ValueError:
        pass
    try:
        return {"text": raw.decode()}
    except UnicodeDecodeError:
        return {"sha256": hashlib.sha256(raw).hexdigest()}


def request_key(request: Request, default_region: str) -> dict[str, Any]:
    """The normalised key of ``request`` (see the module docstring)."""
    operation = request.operation or "unrouted"
    surface: str
    if operation in MESSAGES_OPERATIONS:
        surface = surface_of(request)
    else:
        surface = SURFACE_BY_OPERATION.get(operation, "control")
    body = _body(request.body)
    model = unquote(request.path_params.get("modelId", "")) or None
    if model is None and body and isinstance(body.get("json"), dict):
        found = body["json"].get("model")
        model = found if isinstance(found, str) else None
    pairs = parse_qsl(request.raw_query, keep_blank_values=True)
    query = sorted((k, v) for k, v in pairs if not _PRESIGN_PARAM.match(k))
    headers = sorted(
        (name, value)
        for name, value in request.headers.items()
        if name.startswith(_KEY_HEADER_PREFIXES) and not is_secret_header(name)
    )
    return {
        "surface": surface,
        "operation": operation,
        "model": model,
        "region": _region(request, default_region),
        "method": request.method,
        "path": unquote(request.raw_path),
        "query": [list(pair) for pair in query],
        "headers": [list(pair) for pair in headers],
        "body": body,
    }


def canonical(key: Mapping[str, Any]) -> str:
    """One string per key: equal keys, equal strings (what replay looks up)."""
    return json.dumps(key, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# -- exchanges ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Chunk:
    """One recorded piece of a stream: a frame (bytes) or an SSE event (text), at ``t`` s."""

    data: bytes
    t: float

    def to_json(self, kind: str) -> dict[str, Any]:
        if kind == "sse":
            try:
                return {"t": round(self.t, 4), "text": self.data.decode()}
            except UnicodeDecodeError:
                pass
        return {"t": round(self.t, 4), "b64": base64.b64encode(self.data).decode()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Chunk:
        raw = data["text"].encode() if "text" in data else base64.b64decode(data["b64"])
        return cls(raw, float(data.get("t", 0.0)))


@dataclass(slots=True)
class Exchange:
    """A recorded request and its response."""

    key: dict[str, Any]
    status: int
    headers: list[list[str]]
    body: bytes = b""
    chunks: list[Chunk] | None = None
    request_headers: list[list[str]] = field(default_factory=list)
    recorded_at: str = ""

    @property
    def content_type(self) -> str | None:
        return next((value for name, value in self.headers if name == "content-type"), None)

    def to_json(self) -> dict[str, Any]:
        response: dict[str, Any] = {"status": self.status, "headers": self.headers}
        if self.chunks is not None:
            kind = stream_kind(self.content_type) or "bytes"
            response["stream"] = kind
            response["chunks"] = [chunk.to_json(kind) for chunk in self.chunks]
        else:
            try:
                response["body"] = self.body.decode()
            except UnicodeDecodeError:
                response["body_b64"] = base64.b64encode(self.body).decode()
        return {
            "version": VERSION,
            "recorded_at": self.recorded_at,
            "key": self.key,
            "request": {"headers": self.request_headers},
            "response": response,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Exchange:
        if data.get("version") != VERSION:
            raise ValueError(f"unsupported cassette version {data.get('version')!r}")
        response = data["response"]
        chunks = None
        if "chunks" in response:
            chunks = [Chunk.from_json(chunk) for chunk in response["chunks"]]
        if "body_b64" in response:
            body = base64.b64decode(response["body_b64"])
        else:
            body = str(response.get("body", "")).encode()
        return cls(
            key=dict(data["key"]),
            status=int(response["status"]),
            headers=[list(pair) for pair in response.get("headers", [])],
            body=body,
            chunks=chunks,
            request_headers=[list(p) for p in data.get("request", {}).get("headers", [])],
            recorded_at=str(data.get("recorded_at", "")),
        )


def load(path: str | Path) -> list[Exchange]:
    """Every exchange of a cassette file, in recording order (blank lines skipped)."""
    exchanges: list[Exchange] = []
    for number, line in enumerate(Path(path).read_text("utf-8").splitlines(), 1):
        if line.strip():
            try:
                exchanges.append(Exchange.from_json(json.loads(line)))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not a cassette line ({exc})") from None
    return exchanges


class StreamSplitter:
    """Cuts a response body into frames (event stream) or events (SSE) as bytes arrive, so a
    cassette holds the stream's own units whatever the network's chunking was."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._buffer = bytearray()

    def feed(self, data: bytes) -> Iterator[bytes]:
        self._buffer += data
        while True:
            end = self._next_end()
            if end is None:
                return
            unit = bytes(self._buffer[:end])
            del self._buffer[:end]
            yield unit

    def close(self) -> bytes:
        """What is left (a truncated last unit, normally nothing)."""
        rest = bytes(self._buffer)
        self._buffer.clear()
        return rest

    def _next_end(self) -> int | None:
        buffer = self._buffer
        if self.kind == "eventstream":
            if len(buffer) < 4:
                return None
            total = int.from_bytes(buffer[:4], "big")
            return total if 16 <= total <= len(buffer) else None
        at = buffer.find(b"\n\n")
        return at + 2 if at >= 0 else None


# -- explaining a miss -------------------------------------------------------------------------

_WEIGHTS: Final = {"operation": 16, "surface": 8, "model": 8, "path": 4, "region": 4,
                   "method": 4, "body": 2, "query": 1, "headers": 1}  # fmt: skip


def _json_differences(a: Any, b: Any, where: str, out: list[str], limit: int = 5) -> None:
    """Paths (never values) where two JSON values differ."""
    if len(out) >= limit:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for name in sorted(set(a) | set(b)):
            if a.get(name, ...) != b.get(name, ...):
                _json_differences(a.get(name), b.get(name), f"{where}.{name}", out, limit)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                _json_differences(x, y, f"{where}[{index}]", out, limit)
    elif a != b:
        out.append(where)


def describe_differences(key: Mapping[str, Any], recorded: Mapping[str, Any]) -> list[str]:
    """What differs between a request's key and a recorded one, in words (no body values)."""
    out: list[str] = []
    for name in ("operation", "surface", "model", "region", "method", "path"):
        if key.get(name) != recorded.get(name):
            out.append(f"{name} {key.get(name)!r} (recorded {recorded.get(name)!r})")
    for name in ("query", "headers"):
        if key.get(name) != recorded.get(name):
            out.append(name)
    if key.get("body") != recorded.get("body"):
        paths: list[str] = []
        _json_differences(key.get("body"), recorded.get("body"), "body", paths)
        out.append(", ".join(p.replace("body.json", "body", 1) for p in paths) or "body")
    return out


def closest(key: Mapping[str, Any], recorded: Iterable[Exchange]) -> tuple[int, Exchange] | None:
    """The recorded exchange (1-based line order) most like ``key``."""
    best: tuple[int, int, Exchange] | None = None
    for number, exchange in enumerate(recorded, 1):
        score = sum(w for name, w in _WEIGHTS.items() if key.get(name) == exchange.key.get(name))
        if best is None or score > best[0]:
            best = (score, number, exchange)
    return None if best is None else (best[1], best[2])
