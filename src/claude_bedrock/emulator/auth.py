"""Authentication as AWS's front door does it: SigV4 or a Bedrock API key (bearer token).

The accepted identities come from a :class:`CredentialStore`: by default AWS's documented
example key pair (account 123456789012) and one Bedrock API key, or the profiles of an
INI file shaped like ``~/.aws/credentials``::

    [default]
    aws_access_key_id = AKIAIOSFODNN7EXAMPLE
    aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
    account_id = 123456789012                       ; optional (default 123456789012)

    [temporary]
    aws_access_key_id = ASIAEMULATOREXAMPLE1
    aws_secret_access_key = ...
    aws_session_token = ...                         ; requests must send it
    aws_session_expiration = 2030-01-01T00:00:00Z   ; optional; later -> ExpiredTokenException

    [api-key]
    bedrock_api_key = ABSK...                       ; accepted as "Authorization: Bearer ..."

The Messages API routes take more: SigV4 scoped to ``bedrock-mantle`` as well as
``bedrock`` (the scope then tells which surface was called), and a key sent as
``x-api-key`` as well as ``Authorization: Bearer`` (the AWS documentation's curl examples
use the former, the official SDK the latter). See :meth:`Authenticator.authenticate`.

Failures use AWS's error types and messages (see ``_fail``); none repeats a secret.
The SigV4 arithmetic itself is :mod:`claude_bedrock.wire.signing`, shared with our client.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..wire import signature_check, signing
from ..wire.signature_check import Problem
from .errors import BedrockError
from .http_types import Request
from .model_ids import known_region

__all__ = [
    "BAD_SIGNATURE",
    "BAD_TOKEN",
    "DEFAULT_ACCESS_KEY",
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_API_KEY",
    "DEFAULT_SECRET_KEY",
    "EXPIRED_TOKEN",
    "AccessKey",
    "ApiKey",
    "Authenticator",
    "CredentialStore",
    "Identity",
    "pass_role_refusal",
]

#: AWS's documented example credentials (never valid on real AWS).
DEFAULT_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
DEFAULT_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # noqa: S105 - public example
DEFAULT_ACCOUNT_ID = "123456789012"
#: The emulator's default Bedrock API key (``AWS_BEARER_TOKEN_BEDROCK``). Real long-term
#: keys start with ``ABSK``; this one says what it is.
DEFAULT_API_KEY = "ABSK-claude-bedrock-emulator-key"  # noqa: S105 - public, emulator only

_SIGNING_SERVICE = "bedrock"
_HOST_REGION_RE = re.compile(
    r"bedrock(?:-runtime)?(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com"
    r"|bedrock-mantle\.([a-z0-9-]+)\.api\.aws"
)
_API_KEY_HEADER = "x-api-key"

#: AWS's wording for a signature or security token it refuses (the STS route's too).
BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
BAD_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"


@dataclass(frozen=True, slots=True)
class AccessKey:
    """One accepted AWS key pair (with its session token for temporary credentials)."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    account_id: str = DEFAULT_ACCOUNT_ID
    profile: str = "default"
    session_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None

    @property
    def principal(self) -> str:
        kind = "assumed-role/emulator" if self.session_token else "user"
        return f"arn:aws:iam::{self.account_id}:{kind}/{self.profile}"


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One accepted Bedrock API key."""

    token: str = field(repr=False)
    account_id: str = DEFAULT_ACCOUNT_ID
    profile: str = "default"
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Identity:
    """Who made an authenticated request, and for which region.

    ``service`` is the signing name of a SigV4 request's credential scope (None for a key).
    """

    access_key: str
    account_id: str
    region: str
    principal: str
    method: str  # "sigv4" or "bearer"
    profile: str = "default"
    service: str | None = None


class CredentialStore:
    """The identities the emulator accepts."""

    def __init__(self, keys: Iterable[AccessKey] = (), api_keys: Iterable[ApiKey] = ()) -> None:
        self._keys = {key.access_key_id: key for key in keys}
        self._api_keys = {key.token: key for key in api_keys}

    @classmethod
    def default(cls) -> CredentialStore:
        return cls([AccessKey(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)], [ApiKey(DEFAULT_API_KEY)])

    @classmethod
    def from_file(cls, path: str | Path) -> CredentialStore:
        """Load every profile of an INI credentials file (the file replaces the defaults)."""
        parser = configparser.ConfigParser(interpolation=None)
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
        keys: list[AccessKey] = []
        api_keys: list[ApiKey] = []
        for profile in parser.sections():
            section = parser[profile]
            account = section.get("account_id", DEFAULT_ACCOUNT_ID).strip()
            expires = _parse_expiry(section.get("aws_session_expiration"), profile)
            key_id = section.get("aws_access_key_id")
            secret = section.get("aws_secret_access_key")
            if key_id and secret:
                token = section.get("aws_session_token") or None
                keys.append(
                    AccessKey(key_id.strip(), secret.strip(), account, profile, token, expires)
                )
            elif key_id or secret:
                raise ValueError(
                    f"profile [{profile}]: aws_access_key_id and aws_secret_access_key "
                    "must be given together"
                )
            api_key = section.get("bedrock_api_key") or section.get("aws_bearer_token_bedrock")
            if api_key:
                api_keys.append(ApiKey(api_key.strip(), account, profile, expires))
        if not keys and not api_keys:
            raise ValueError(f"{path}: no credentials found (expected INI profiles)")
        return cls(keys, api_keys)

    def access_key(self, access_key_id: str) -> AccessKey | None:
        return self._keys.get(access_key_id)

    def api_key(self, token: str) -> ApiKey | None:
        return self._api_keys.get(token)

    @property
    def access_keys(self) -> list[AccessKey]:
        return list(self._keys.values())

    @property
    def api_keys(self) -> list[ApiKey]:
        return list(self._api_keys.values())


def _parse_expiry(value: str | None, profile: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"profile [{profile}]: aws_session_expiration is not ISO 8601") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _fail(error_type: str, message: str, *, capital: bool = False) -> BedrockError:
    return BedrockError(error_type, message, message_key="Message" if capital else "message")


class Authenticator:
    """Checks a request's credentials and returns its :class:`Identity`."""

    def __init__(self, store: CredentialStore, *, default_region: str = "us-east-1") -> None:
        self.store = store
        self.default_region = default_region

    def authenticate(
        self,
        request: Request,
        *,
        services: Sequence[str] = (_SIGNING_SERVICE,),
        api_key_header: bool = False,
    ) -> Identity:
        """Raise :class:`BedrockError` (403) unless the request is properly authenticated.

        ``services``: the SigV4 signing names accepted (the first one is named when the
        scope has another). ``api_key_header``: a key may come as ``x-api-key`` when there
        is no ``Authorization`` header (the Messages API routes).
        """
        header = request.headers.get("authorization")
        if header is None:
            key = request.headers.get(_API_KEY_HEADER) if api_key_header else None
            if key is not None:
                return self._bearer(request, key.strip())
            # What Bedrock answers today to a request with no credentials at all.
            raise _fail("AccessDeniedException", "Authorization header is missing", capital=True)
        scheme, _, rest = header.strip().partition(" ")
        if scheme.lower() == "bearer":
            return self._bearer(request, rest.strip())
        if scheme == signing.ALGORITHM:
            return self._sigv4(request, services)
        raise _fail(
            "IncompleteSignatureException",
            f"Authorization header requires '{signing.ALGORITHM}' or 'Bearer' scheme.",
        )

    def _bearer(self, request: Request, token: str) -> Identity:
        key = self.store.api_key(token) if token else None
        if key is None:
            raise _fail(
                "AccessDeniedException",
                "Authentication failed: Please make sure your API Key is valid.",
                capital=True,
            )
        if key.expires_at is not None and key.expires_at <= datetime.now(UTC):
            raise _fail("ExpiredTokenException", EXPIRED_TOKEN)
        return Identity(
            access_key=f"api-key:{key.profile}",
            account_id=key.account_id,
            region=self._region_from_host(request),
            principal=f"arn:aws:iam::{key.account_id}:user/BedrockAPIKey-{key.profile}",
            method="bearer",
            profile=key.profile,
        )

    def _region_from_host(self, request: Request) -> str:
        match = _HOST_REGION_RE.match(request.headers.get("host", "") or "")
        if match is None:
            return self.default_region
        return match.group(1) or match.group(2)

    def _sigv4(self, request: Request, services: Sequence[str]) -> Identity:
        service = services[0]
        if len(services) > 1:  # the scope picks one of them (one parse more, for those only)
            scoped = _scope_service(request)
            if scoped is not None and scoped in services:
                service = scoped
        check = check_sigv4(request, service, self.store)
        if check.problem is not None:
            raise _sigv4_error(check, service)
        key, parsed = check.key, check.parsed
        assert key is not None and parsed is not None  # a check without problem has both
        return Identity(
            access_key=key.access_key_id,
            account_id=key.account_id,
            region=parsed.region,
            principal=key.principal,
            method="sigv4",
            profile=key.profile,
            service=parsed.service,
        )


def _scope_service(request: Request) -> str | None:
    """The signing name in a SigV4 header's credential scope (None if it cannot be read:
    the full check then reports the malformed header in AWS's words)."""
    try:
        return signing.parse_authorization(request.headers.get("authorization") or "").service
    except signing.SignatureError:
        return None


def check_sigv4(
    request: Request, service: str, store: CredentialStore
) -> signature_check.SignatureCheck[AccessKey]:
    """The wire's SigV4 check of ``request`` for ``service``, with this emulator's keys and
    Regions (shared by the Bedrock and STS endpoints, which word the verdict each their way).

    While the body is still unread (``request.body_pending``: the server's pre-body check),
    only the steps that need no body run; the full check follows once the body is in, using
    the SHA-256 the server took while reading it. ``X-Amz-Content-SHA256: UNSIGNED-PAYLOAD``
    is refused as Bedrock refuses it (see :func:`~.signature_check.check_signed_request`).
    """
    if request.body_pending:
        return signature_check.check_signature_head(
            headers=request.headers,
            service=service,
            find_key=store.access_key,
            region_known=known_region,
        )
    return signature_check.check_signed_request(
        method=request.method,
        raw_path=request.raw_path,
        raw_query=request.raw_query,
        headers=request.headers,
        body=request.body,
        service=service,
        find_key=store.access_key,
        region_known=known_region,
        payload_sha256=request.body_sha256,
    )


def _sigv4_error(
    check: signature_check.SignatureCheck[AccessKey], service: str = _SIGNING_SERVICE
) -> BedrockError:
    """Bedrock's error type and words for a refused SigV4 request."""
    problem, parsed = check.problem, check.parsed
    if problem is Problem.MALFORMED:
        return _fail("IncompleteSignatureException", f"{check.detail}.")
    if problem in (Problem.UNKNOWN_KEY, Problem.BAD_SESSION_TOKEN):
        return _fail("UnrecognizedClientException", BAD_TOKEN)
    if problem is Problem.EXPIRED_TOKEN:
        return _fail("ExpiredTokenException", EXPIRED_TOKEN)
    if problem is Problem.WRONG_SERVICE:
        return _fail(
            "InvalidSignatureException",
            f"Credential should be scoped to correct service: '{service}'. ",
        )
    if problem is Problem.UNKNOWN_REGION:
        region = parsed.region if parsed is not None else ""
        return _fail(
            "InvalidSignatureException",
            f"Credential should be scoped to a valid region, not '{region}'. ",
        )
    if problem is Problem.REQUEST_EXPIRED:
        return _fail("InvalidSignatureException", check.detail)
    return _fail("InvalidSignatureException", BAD_SIGNATURE)


def pass_role_refusal(role_arn: str, account_id: str) -> BedrockError | None:
    """The refusal of a role handed to Bedrock (a batch job's ``roleArn``) that the caller
    cannot pass, else None.

    The emulator has no IAM policies: it cannot tell what a role may read, and a job reads
    its buckets with the emulator's own S3 identity. What it can check is the one rule that
    needs no policy: IAM passes a role only to a service of the role's own account ("You
    can only use the PassRole permission to pass an IAM role to a service that shares the
    same AWS account", IAM User Guide, id_roles_use_passrole). The words are the emulator's,
    after IAM's "not authorized to perform: iam:PassRole" errors.
    """
    parts = role_arn.split(":")
    role_account = parts[4] if len(parts) > 5 else ""
    if role_account == account_id:
        return None
    return _fail(
        "AccessDeniedException",
        f"Not authorized to perform: iam:PassRole on resource: {role_arn} (a role can be "
        f"passed only to a service of its own account; the caller's is {account_id}).",
    )
