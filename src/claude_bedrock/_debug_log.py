"""Debug logging without secrets (Python's `logging`, not Bedrock's invocation logging):
the ``claude_bedrock`` logger and its debug mode.

Everything goes through standard :mod:`logging` under the ``"claude_bedrock"`` logger, so
applications configure it as they configure anything else. ``CLAUDE_BEDROCK_LOG=debug``
(or ``info``) in the environment also attaches a stderr handler, for a quick look without
touching code. At debug level every HTTP exchange is logged: method, URL, status, request
id, attempt, timings and the request headers *redacted*: the ``Authorization`` header keeps
its scheme, the access key's first characters, the scope and the signed header names, but
never the signature or a bearer token; session tokens are never shown. A filter on that
handler also scrubs anything signature- or token-shaped from every record, in case a
message from elsewhere (botocore, httpx) carries one.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

__all__ = [
    "ENV_VAR",
    "SecretFilter",
    "log",
    "log_exchange",
    "log_failure",
    "log_retry",
    "redact_authorization",
    "redact_headers",
    "redact_url",
    "scrub",
    "setup_from_env",
]

ENV_VAR = "CLAUDE_BEDROCK_LOG"
log = logging.getLogger("claude_bedrock")

REDACTED = "<redacted>"
#: Headers whose whole value is secret (Authorization is redacted field by field instead).
_SECRET_HEADERS = frozenset(
    {"x-amz-security-token", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)
_SECRET_QUERY = frozenset({"x-amz-signature", "x-amz-security-token", "x-amz-credential"})
_SCRUB_PATTERNS = (
    (re.compile(r"(Signature=)[0-9a-fA-F]{16,}"), r"\1" + REDACTED),
    (re.compile(r"(?i)(Bearer\s+)[^\s,;\"']+"), r"\1" + REDACTED),
    (re.compile(r"(?i)((?:x-amz-security-token|x-amz-signature)[\"']?\s*[:=]\s*[\"']?)[^\s&,;\"']+"),
     r"\1" + REDACTED),
    (re.compile(r"(?i)(aws_secret_access_key|aws_session_token|secret_?key)(\s*[=:]\s*)\S+"),
     r"\1\2" + REDACTED),
)  # fmt: skip


def mask(value: str | None) -> str:
    """Enough of an identifier to recognise it, never enough to use it."""
    if not value:
        return "<none>"
    if len(value) <= 8:
        return "****"
    return f"{value[:4]}…{value[-4:]}"


def scrub(text: str) -> str:
    """``text`` with anything shaped like a signature, a bearer token or a secret redacted."""
    for pattern, replacement in _SCRUB_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_authorization(value: str) -> str:
    """``AWS4-HMAC-SHA256 Credential=AKIA…MPLE/20250101/us-east-1/bedrock/aws4_request,
    SignedHeaders=host;x-amz-date, Signature=<redacted>``, or ``Bearer <redacted>``."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "aws4-hmac-sha256":
        return f"{scheme} {REDACTED}" if rest else REDACTED
    parts = []
    for field in rest.split(","):
        name, _, content = field.strip().partition("=")
        if name == "Credential":
            key, _, scope = content.partition("/")
            parts.append(f"Credential={mask(key)}/{scope}")
        elif name == "SignedHeaders":
            parts.append(f"SignedHeaders={content}")
        else:
            parts.append(f"{name}={REDACTED}")
    return f"{scheme} {', '.join(parts)}"


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The headers as a dict that is safe to log."""
    safe: dict[str, str] = {}
    for name, value in headers:
        lowered = name.lower()
        if lowered == "authorization":
            safe[lowered] = redact_authorization(value)
        elif lowered in _SECRET_HEADERS:
            safe[lowered] = REDACTED
        else:
            safe[lowered] = value
    return safe


def redact_url(url: str) -> str:
    """The URL with presigning parameters (signature, token, credential) redacted."""
    base, sep, query = url.partition("?")
    if not sep:
        return url
    pairs = []
    for pair in query.split("&"):
        name, eq, _value = pair.partition("=")
        pairs.append(f"{name}={REDACTED}" if eq and name.lower() in _SECRET_QUERY else pair)
    return f"{base}?{'&'.join(pairs)}"


def log_exchange(request: httpx.Request, response: httpx.Response, started: float,
                 attempt: int) -> None:  # fmt: skip
    """One debug line per HTTP answer (called only when debug logging is on)."""
    log.debug(
        "%s %s -> %d %s in %.1f ms (request id %s, attempt %d) request headers %s",
        request.method,
        redact_url(str(request.url)),
        response.status_code,
        response.reason_phrase,
        (time.monotonic() - started) * 1000,
        response.headers.get("x-amzn-requestid"),
        attempt + 1,
        redact_headers(request.headers.items()),
    )


def log_failure(request: httpx.Request, error: BaseException, started: float,
                attempt: int) -> None:  # fmt: skip
    """A request that got no usable answer (connection error, timeout, broken stream)."""
    log.debug(
        "%s %s failed after %.1f ms (attempt %d): %s; request headers %s",
        request.method,
        redact_url(str(request.url)),
        (time.monotonic() - started) * 1000,
        attempt + 1,
        scrub(f"{type(error).__name__}: {error}"),
        redact_headers(request.headers.items()),
    )


def log_retry(request: httpx.Request, reason: str, delay: float, attempt: int) -> None:
    log.info(
        "retrying %s %s in %.2f s (%s; retry %d)",
        request.method, redact_url(str(request.url)), delay, reason, attempt + 1,
    )  # fmt: skip


class SecretFilter(logging.Filter):
    """Scrubs secrets from every record a handler emits (defence in depth)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
           "error": logging.ERROR}  # fmt: skip


def setup_from_env() -> None:
    """Honour ``CLAUDE_BEDROCK_LOG`` (``debug``, ``info``, ``warning``, ``error``) once."""
    level = _LEVELS.get(os.environ.get(ENV_VAR, "").strip().lower())
    if level is None:
        return
    if not any(isinstance(h, _EnvHandler) for h in log.handlers):
        handler = _EnvHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(SecretFilter())
        log.addHandler(handler)
    log.setLevel(level)


class _EnvHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler ``CLAUDE_BEDROCK_LOG`` adds (a class of its own, so it is added once)."""
