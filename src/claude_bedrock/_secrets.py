"""The client's own secrets, kept out of every message it builds.

Why: a server (a proxy, a misconfigured gateway) may echo the request into its error
message, headers and all, and that message becomes ``str(exc)``, a log line, a traceback in
a bug report. Patterns (:func:`~._debug_log.scrub`: ``Bearer ...``, ``Signature=...``,
``X-Amz-Security-Token: ...``) catch a secret shown with its name; the literal values catch
one shown bare. Each request core :func:`remember` s the secrets it signs with (the secret
key, the session token, the API key; refreshed credentials as they come), and
:class:`~claude_bedrock.APIError` passes its message through :func:`redact`.

The registry holds at most :data:`_MAX` values (the most recent): as many as the clients of
a process hold anyway, never written anywhere.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING

from ._debug_log import REDACTED, scrub

if TYPE_CHECKING:
    import httpx

__all__ = ["redact", "redact_body", "remember", "signature_of"]

_MAX = 256
#: A value shorter than this is not a secret worth matching (and would match too much).
_MIN_LENGTH = 8
_known: dict[str, None] = {}
_lock = threading.Lock()


def remember(*secrets: str | None) -> None:
    """Redact these values from every message from now on."""
    with _lock:
        for secret in secrets:
            if secret and len(secret) >= _MIN_LENGTH:
                _known.pop(secret, None)
                _known[secret] = None
        while len(_known) > _MAX:
            del _known[next(iter(_known))]


def redact(text: str, *also: str) -> str:
    """``text`` without any remembered secret (nor ``also``: a request's own signature),
    nor anything shaped like a signature, a bearer token or a session token header."""
    for secret in (*_known, *also):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return scrub(text)


def redact_body(body: object, *also: str) -> object:
    """A parsed error body with the same redaction applied to every string in it."""
    if isinstance(body, str):
        return redact(body, *also)
    if not isinstance(body, dict | list):
        return body
    try:
        dumped = json.dumps(body)
    except (TypeError, ValueError):
        return body
    cleaned = redact(dumped, *also)
    return body if cleaned == dumped else json.loads(cleaned)


def signature_of(request: httpx.Request | None) -> tuple[str, ...]:
    """The SigV4 signature ``request`` was sent with (to redact even when shown bare)."""
    if request is None:
        return ()
    _, found, signature = request.headers.get("authorization", "").rpartition("Signature=")
    signature = signature.strip()
    return (signature,) if found and len(signature) >= _MIN_LENGTH else ()
