"""Checking a SigV4-signed request, step by step, as AWS services do: one verdict, no wording.

Every AWS service checks a signed request in the same order: the Authorization header's
syntax, the access key, the session token (and its expiry), the credential scope's service
and Region, the clock, then the signature itself. They differ only in the error codes and
words they answer with (Bedrock's ``InvalidSignatureException`` is STS's
``SignatureDoesNotMatch``). So the order lives here once, and each caller (the emulator's
Bedrock and STS endpoints) maps a :class:`Problem` to its own error.
"""

from __future__ import annotations

import enum
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

from . import signing

__all__ = [
    "Headers",
    "Problem",
    "SignatureCheck",
    "SigningKey",
    "check_signature_head",
    "check_signed_request",
]


class Problem(enum.Enum):
    """Why a signed request is refused (None on :class:`SignatureCheck` means it is not)."""

    MALFORMED = "malformed"  # the header or date headers break SigV4's syntax
    UNKNOWN_KEY = "unknown-key"
    BAD_SESSION_TOKEN = "bad-session-token"
    EXPIRED_TOKEN = "expired-token"
    WRONG_SERVICE = "wrong-service"
    UNKNOWN_REGION = "unknown-region"
    REQUEST_EXPIRED = "request-expired"  # signed more than 5 minutes from now
    SIGNATURE_MISMATCH = "signature-mismatch"


class SigningKey(Protocol):
    """What the check needs to know about an accepted access key."""

    @property
    def secret_access_key(self) -> str: ...
    @property
    def session_token(self) -> str | None: ...
    @property
    def expires_at(self) -> datetime | None: ...


class Headers(Protocol):
    """Request headers: a case-insensitive lookup and the pairs as received."""

    def get(self, name: str, default: str | None = None) -> str | None: ...
    def items(self) -> Iterable[tuple[str, str]]: ...


K = TypeVar("K", bound=SigningKey)

_SCOPE_DATE_MISMATCH = "Date in Credential scope does not match YYYYMMDD from the request's date"


@dataclass(frozen=True, slots=True)
class SignatureCheck(Generic[K]):
    """The verdict: ``problem`` is None when the request is authentic.

    ``detail`` is the codec's own description of a :data:`Problem.MALFORMED` or
    :data:`Problem.REQUEST_EXPIRED` request (no secret in it); ``key`` and ``parsed`` are
    filled as far as the check got.
    """

    problem: Problem | None
    parsed: signing.ParsedAuthorization | None = None
    key: K | None = None
    detail: str = ""


def check_signature_head(
    *,
    headers: Headers,
    service: str,
    find_key: Callable[[str], K | None],
    region_known: Callable[[str], bool],
) -> SignatureCheck[K]:
    """Every step of the check that needs no body, in AWS's order (see module): the header's
    syntax, key, session token, scope, clock and the scope's date. A server runs it before
    reading a body, so a request its headers already condemn costs no body read."""
    try:
        parsed = signing.parse_authorization(headers.get("authorization") or "")
    except signing.SignatureError as exc:
        return SignatureCheck(Problem.MALFORMED, detail=str(exc))
    key = find_key(parsed.access_key)
    if key is None:
        return SignatureCheck(Problem.UNKNOWN_KEY, parsed)
    token_problem = _session_token_problem(headers.get("x-amz-security-token"), key)
    if token_problem is not None:
        return SignatureCheck(token_problem, parsed, key)
    if parsed.service != service:
        return SignatureCheck(Problem.WRONG_SERVICE, parsed, key)
    if not region_known(parsed.region):
        return SignatureCheck(Problem.UNKNOWN_REGION, parsed, key)
    try:
        signed_at = signing.request_timestamp(headers.items())
        signing.check_clock_skew(signed_at)
    except signing.RequestExpired as exc:
        return SignatureCheck(Problem.REQUEST_EXPIRED, parsed, key, str(exc))
    except signing.SignatureError as exc:
        return SignatureCheck(Problem.MALFORMED, parsed, key, str(exc))
    if signed_at[:8] != parsed.date:  # what verify() says too, with the same words
        return SignatureCheck(Problem.MALFORMED, parsed, key, _SCOPE_DATE_MISMATCH)
    return SignatureCheck(None, parsed, key)


def check_signed_request(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Headers,
    body: bytes,
    service: str,
    find_key: Callable[[str], K | None],
    region_known: Callable[[str], bool],
    payload_sha256: str | None = None,
    unsigned_payload: bool = False,
) -> SignatureCheck[K]:
    """Check the SigV4 ``Authorization`` header of a request in AWS's order (see module).

    ``payload_sha256``: the body's SHA-256 if the caller hashed it while reading it.
    ``unsigned_payload``: whether ``X-Amz-Content-SHA256: UNSIGNED-PAYLOAD`` may leave the
    body out of the signature. Only services whose operations allow it (S3) do; for the
    others the payload line is always the body's own hash, so a request signed "unsigned"
    does not verify (Bedrock: no operation has the unsignedPayload trait, and botocore
    always signs its bodies).
    """
    head = check_signature_head(
        headers=headers, service=service, find_key=find_key, region_known=region_known
    )
    if head.problem is not None:
        return head
    parsed, key = head.parsed, head.key
    assert parsed is not None and key is not None  # a head without problem has both
    claimed = headers.get("x-amz-content-sha256")
    if not unsigned_payload and claimed is not None and claimed.strip() == signing.UNSIGNED_PAYLOAD:
        return SignatureCheck(Problem.SIGNATURE_MISMATCH, parsed, key)
    try:
        valid = signing.verify(
            method,
            raw_path,
            raw_query,
            headers.items(),
            body,
            key.secret_access_key,
            parsed,
            payload_sha256=payload_sha256,
        )
    except signing.SignatureError as exc:
        return SignatureCheck(Problem.MALFORMED, parsed, key, str(exc))
    return SignatureCheck(None if valid else Problem.SIGNATURE_MISMATCH, parsed, key)


def _session_token_problem(sent: str | None, key: SigningKey) -> Problem | None:
    """Temporary keys need their token (compared in constant time) and must not be expired;
    a long-term key must come without one."""
    if key.session_token is None:
        return None if sent is None else Problem.BAD_SESSION_TOKEN
    if sent is None or not hmac.compare_digest(sent, key.session_token):
        return Problem.BAD_SESSION_TOKEN
    if key.expires_at is not None and key.expires_at <= datetime.now(UTC):
        return Problem.EXPIRED_TOKEN
    return None
