"""Authentication failures and identities, as AWS reports them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from claude_bedrock.emulator import Emulator, EmulatorApp
from claude_bedrock.emulator.auth import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from claude_bedrock.emulator.http_types import Request, Response

from .conftest import MODEL, REGION, RawClient, body, error_of

INVOKE = f"/model/{MODEL}/invoke"
BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


def _client(emulator: Emulator, key: str, secret: str, token: str | None = None) -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=emulator.url,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        region_name=REGION,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def _error(client: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        client.invoke_model(modelId=MODEL, body=json.dumps(body()))
    response = caught.value.response
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    return status, response["Error"]["Code"], response["Error"]["Message"]


def test_wrong_secret_is_invalid_signature(emulator: Emulator) -> None:
    status, code, message = _error(_client(emulator, DEFAULT_ACCESS_KEY, "not-the-secret"))
    assert (status, code, message) == (403, "InvalidSignatureException", BAD_SIGNATURE)


def test_unknown_access_key_is_unrecognized_client(emulator: Emulator) -> None:
    status, code, message = _error(_client(emulator, "AKIAUNKNOWNKEY000000", DEFAULT_SECRET_KEY))
    assert (status, code) == (403, "UnrecognizedClientException")
    assert message == "The security token included in the request is invalid."


def test_unsigned_request_is_denied(emulator: Emulator) -> None:
    response = httpx.post(emulator.url + INVOKE, json=body())
    assert error_of(response) == (
        403,
        "AccessDeniedException",
        "Authorization header is missing",
    )


@pytest.mark.parametrize("minutes", [-6, 6])
def test_clock_skew_over_five_minutes_is_rejected(raw: RawClient, minutes: int) -> None:
    now = datetime.now(UTC) + timedelta(minutes=minutes)
    status, code, message = error_of(raw.post(INVOKE, body(), now=now))
    assert (status, code) == (403, "InvalidSignatureException")
    wording = "Signature expired:" if minutes < 0 else "Signature not yet current:"
    assert message.startswith(wording) and "5 min." in message


def test_small_clock_skew_is_accepted(raw: RawClient) -> None:
    now = datetime.now(UTC) - timedelta(minutes=4)
    assert raw.post(INVOKE, body(), now=now).status_code == 200


def test_tampered_body_fails_the_signature(raw: RawClient) -> None:
    content = json.dumps(body()).encode()
    headers = raw.signed("POST", INVOKE, content)
    tampered = content.replace(b"Hello", b"Howdy")
    response = raw.http.post(INVOKE, content=tampered, headers=headers)
    assert error_of(response)[:2] == (403, "InvalidSignatureException")


def test_wrong_signing_service_is_rejected(raw: RawClient) -> None:
    status, code, message = error_of(raw.post(INVOKE, body(), service="s3"))
    assert (status, code) == (403, "InvalidSignatureException")
    assert "correct service: 'bedrock'" in message


def test_malformed_authorization_is_incomplete_signature(emulator: Emulator) -> None:
    headers = {
        "authorization": "AWS4-HMAC-SHA256 Credential=AKIA/x",
        "x-amz-date": "20250101T000000Z",
    }
    response = httpx.post(emulator.url + INVOKE, json=body(), headers=headers)
    assert error_of(response)[:2] == (403, "IncompleteSignatureException")


def test_bearer_api_key(emulator: Emulator) -> None:
    ok = httpx.post(
        emulator.url + INVOKE, json=body(), headers={"authorization": f"Bearer {emulator.api_key}"}
    )
    assert ok.status_code == 200 and ok.json()["type"] == "message"
    bad = httpx.post(emulator.url + INVOKE, json=body(), headers={"authorization": "Bearer nope"})
    status, code, message = error_of(bad)
    assert (status, code) == (403, "AccessDeniedException")
    assert "API Key is valid" in message


def test_errors_never_echo_secrets(emulator: Emulator) -> None:
    secret = "SuperSecretValue123456789"
    client = _client(emulator, DEFAULT_ACCESS_KEY, secret)
    _, _, message = _error(client)
    assert secret not in message
    bad = httpx.post(
        emulator.url + INVOKE, json=body(), headers={"authorization": f"Bearer {secret}"}
    )
    assert secret not in bad.text


# -- credentials files, session tokens, identities ---------------------------------------


CREDENTIALS = """\
[default]
aws_access_key_id = AKIAFIRSTPROFILE0001
aws_secret_access_key = first-secret
account_id = 111111111111

[second]
aws_access_key_id = AKIASECONDPROFILE002
aws_secret_access_key = second-secret
account_id = 222222222222

[temporary]
aws_access_key_id = ASIATEMPORARYKEY0003
aws_secret_access_key = temp-secret
aws_session_token = session-token-value
aws_session_expiration = 2099-01-01T00:00:00Z

[expired]
aws_access_key_id = ASIAEXPIREDKEY000004
aws_secret_access_key = old-secret
aws_session_token = old-token
aws_session_expiration = 2001-01-01T00:00:00Z

[api]
bedrock_api_key = ABSK-file-key
account_id = 333333333333
"""


def _whoami(app: EmulatorApp) -> None:
    """A test-only route that reports the authenticated identity (extension API)."""

    async def handler(request: Request) -> Response:
        identity = request.identity
        assert identity is not None
        return Response.json(
            {
                "access_key": identity.access_key,
                "account": identity.account_id,
                "region": identity.region,
                "method": identity.method,
                "profile": identity.profile,
            }
        )

    app.add_route("GET", "/_test/whoami", handler, operation="WhoAmI")


@pytest.fixture(scope="module")
def custom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    path: Path = tmp_path_factory.mktemp("creds") / "credentials"
    path.write_text(CREDENTIALS)
    with Emulator(credentials_file=path, extensions=[_whoami], region="eu-west-1") as emulator:
        yield emulator


def _whoami_as(
    emulator: Emulator, key: str, secret: str, token: str | None = None, region: str = REGION
) -> httpx.Response:
    raw = RawClient(emulator.url, key, secret, token)
    headers = raw.signed("GET", "/_test/whoami", region=region)
    return raw.http.get("/_test/whoami", headers=headers)


def test_every_profile_of_the_credentials_file_is_accepted(custom: Emulator) -> None:
    first = _whoami_as(custom, "AKIAFIRSTPROFILE0001", "first-secret", region="ap-northeast-1")
    second = _whoami_as(custom, "AKIASECONDPROFILE002", "second-secret")
    assert first.json() == {
        "access_key": "AKIAFIRSTPROFILE0001",
        "account": "111111111111",
        "region": "ap-northeast-1",
        "method": "sigv4",
        "profile": "default",
    }
    assert second.json()["account"] == "222222222222"
    assert custom.access_key == "AKIAFIRSTPROFILE0001"


def test_a_credentials_file_replaces_the_default_keys(custom: Emulator) -> None:
    status, code, _ = error_of(_whoami_as(custom, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY))
    assert (status, code) == (403, "UnrecognizedClientException")


def test_session_token_must_be_sent_and_match(custom: Emulator) -> None:
    key, secret = "ASIATEMPORARYKEY0003", "temp-secret"
    assert _whoami_as(custom, key, secret, "session-token-value").status_code == 200
    for token in (None, "another-token"):
        status, code, _ = error_of(_whoami_as(custom, key, secret, token))
        assert (status, code) == (403, "UnrecognizedClientException")


def test_expired_session_token(custom: Emulator) -> None:
    response = _whoami_as(custom, "ASIAEXPIREDKEY000004", "old-secret", "old-token")
    assert error_of(response) == (
        403,
        "ExpiredTokenException",
        "The security token included in the request is expired",
    )


def test_boto3_with_temporary_credentials(custom: Emulator) -> None:
    client = _client(custom, "ASIATEMPORARYKEY0003", "temp-secret", "session-token-value")
    response = client.invoke_model(modelId=MODEL, body=json.dumps(body()))
    assert json.loads(response["body"].read())["type"] == "message"


def test_bearer_region_comes_from_host_or_default(custom: Emulator) -> None:
    auth = {"authorization": "Bearer ABSK-file-key"}
    plain = httpx.get(custom.url + "/_test/whoami", headers=auth).json()
    assert (plain["method"], plain["region"], plain["account"]) == (
        "bearer",
        "eu-west-1",
        "333333333333",
    )
    hosted = httpx.get(
        custom.url + "/_test/whoami",
        headers={**auth, "host": "bedrock-runtime.ca-central-1.amazonaws.com"},
    ).json()
    assert hosted["region"] == "ca-central-1"


def test_invalid_credentials_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text("[broken]\naws_access_key_id = AKIAONLYKEY\n")
    with pytest.raises(ValueError, match="must be given together"):
        Emulator(credentials_file=path)
