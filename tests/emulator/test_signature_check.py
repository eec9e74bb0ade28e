"""The wire's SigV4 request check, fed requests signed by botocore (the reference signer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from claude_bedrock.emulator.http_types import Headers
from claude_bedrock.wire.signature_check import Problem, SignatureCheck, check_signed_request

ACCESS, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
URL = "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/invoke"
BODY = b'{"max_tokens": 8}'


@dataclass(frozen=True)
class Key:
    # Out of the repr: a failing assertion on a check result prints the key it holds.
    secret_access_key: str = field(default=SECRET, repr=False)
    session_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None


def _signed(service: str = "bedrock", token: str | None = None) -> list[tuple[str, str]]:
    request = AWSRequest(method="POST", url=URL, data=BODY, headers={"host": urlsplit(URL).netloc})
    SigV4Auth(BotoCredentials(ACCESS, SECRET, token), service, "us-east-1").add_auth(request)
    return [(name.lower(), str(value)) for name, value in request.headers.items()]


def _check(
    pairs: list[tuple[str, str]], key: Key | None = None, body: bytes = BODY
) -> SignatureCheck[Key]:
    known = key or Key()
    return check_signed_request(
        method="POST",
        raw_path="/model/m/invoke",
        raw_query="",
        headers=Headers(pairs),
        body=body,
        service="bedrock",
        find_key=lambda access: known if access == ACCESS else None,
        region_known=lambda region: region == "us-east-1",
    )


def test_botocore_signature_verifies() -> None:
    check = _check(_signed())
    assert check.problem is None and check.key is not None
    assert check.parsed is not None and check.parsed.region == "us-east-1"


def test_each_problem_in_aws_order() -> None:
    assert _check(_signed(), body=b"{}").problem is Problem.SIGNATURE_MISMATCH
    assert _check(_signed(), Key(secret_access_key="other")).problem is Problem.SIGNATURE_MISMATCH
    assert _check(_signed("sts")).problem is Problem.WRONG_SERVICE
    bad_auth = [
        (n, "AWS4-HMAC-SHA256 nonsense" if n == "authorization" else v) for n, v in _signed()
    ]
    assert _check(bad_auth).problem is Problem.MALFORMED
    unknown = [(n, v.replace(ACCESS, "AKIDOTHER")) for n, v in _signed()]
    assert _check(unknown).problem is Problem.UNKNOWN_KEY


def test_session_tokens() -> None:
    temporary = Key(session_token="tok")
    assert _check(_signed(token="tok"), temporary).problem is None
    assert _check(_signed(token="other"), temporary).problem is Problem.BAD_SESSION_TOKEN
    assert _check(_signed(), temporary).problem is Problem.BAD_SESSION_TOKEN
    assert _check(_signed(token="tok")).problem is Problem.BAD_SESSION_TOKEN  # long-term key
    expired = Key(session_token="tok", expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert _check(_signed(token="tok"), expired).problem is Problem.EXPIRED_TOKEN
