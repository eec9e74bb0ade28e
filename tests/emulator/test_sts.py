"""sts:GetCallerIdentity on the emulator, through botocore's STS client and the AWS CLI."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import boto3
import botocore
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from claude_bedrock.emulator import Emulator
from claude_bedrock.emulator.sts import STS_NAMESPACE

from .conftest import RawClient

FORM = "Action=GetCallerIdentity&Version=2011-06-15"
FORM_TYPE = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
CREDENTIALS = """\
[default]
aws_access_key_id = AKIASTSDEFAULT000001
aws_secret_access_key = sts-default-secret
account_id = 444455556666

[temporary]
aws_access_key_id = ASIASTSTEMPORARY0002
aws_secret_access_key = sts-temp-secret
aws_session_token = sts-session-token
account_id = 444455556666

[expired]
aws_access_key_id = ASIASTSEXPIRED000003
aws_secret_access_key = sts-old-secret
aws_session_token = sts-old-token
aws_session_expiration = 2001-01-01T00:00:00Z
"""


def _sts(emulator: Emulator, key: str, secret: str, token: str | None = None) -> Any:
    return boto3.client(
        "sts",
        endpoint_url=emulator.url,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def _error(client: Any) -> tuple[int, str, str, str]:
    with pytest.raises(ClientError) as caught:
        client.get_caller_identity()
    response = caught.value.response
    error = response["Error"]
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        error["Type"],
        error["Code"],
        error["Message"],
    )


@pytest.fixture(scope="module")
def custom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    path: Path = tmp_path_factory.mktemp("sts") / "credentials"
    path.write_text(CREDENTIALS)
    with Emulator(credentials_file=path) as emulator:
        yield emulator


def _response_members() -> list[str]:
    """GetCallerIdentityResponse's members, from botocore's STS model (the ground truth)."""
    data = Path(botocore.__file__).parent / "data" / "sts" / "2011-06-15" / "service-2.json.gz"
    with gzip.open(data) as handle:
        model = json.load(handle)
    operation = model["operations"]["GetCallerIdentity"]
    assert operation["http"] == {"method": "POST", "requestUri": "/"}
    assert operation["output"]["resultWrapper"] == "GetCallerIdentityResult"
    assert model["metadata"]["xmlNamespace"] == STS_NAMESPACE
    return sorted(model["shapes"]["GetCallerIdentityResponse"]["members"])


def test_boto3_get_caller_identity(emulator: Emulator) -> None:
    response = _sts(emulator, emulator.access_key, emulator.secret_key).get_caller_identity()
    assert response["Account"] == "123456789012"
    assert response["Arn"] == "arn:aws:iam::123456789012:user/default"
    assert response["UserId"].startswith("AIDA") and len(response["UserId"]) == 21
    assert (
        response["ResponseMetadata"]["RequestId"]
        == (response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"])
    )


def test_answer_is_the_xml_botocore_models(raw: RawClient) -> None:
    headers = raw.signed("POST", "/", FORM.encode(), region="us-east-1", service="sts",
                         headers=FORM_TYPE)  # fmt: skip
    response = raw.http.post("/", content=FORM, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/xml"
    root = ElementTree.fromstring(response.content)
    ns = f"{{{STS_NAMESPACE}}}"
    assert root.tag == f"{ns}GetCallerIdentityResponse"
    result = root.find(f"{ns}GetCallerIdentityResult")
    assert result is not None
    assert sorted(child.tag.removeprefix(ns) for child in result) == _response_members()
    request_id = root.findtext(f"{ns}ResponseMetadata/{ns}RequestId")
    assert request_id == response.headers["x-amzn-requestid"]


def test_identity_follows_the_credentials_file(custom: Emulator) -> None:
    user = _sts(custom, "AKIASTSDEFAULT000001", "sts-default-secret").get_caller_identity()
    assert (user["Account"], user["Arn"]) == (
        "444455556666",
        "arn:aws:iam::444455556666:user/default",
    )
    role = _sts(
        custom, "ASIASTSTEMPORARY0002", "sts-temp-secret", "sts-session-token"
    ).get_caller_identity()
    assert role["Arn"] == "arn:aws:sts::444455556666:assumed-role/emulator/temporary"
    assert role["UserId"].startswith("AROA") and role["UserId"].endswith(":temporary")


def test_wrong_secret_is_signature_does_not_match(emulator: Emulator) -> None:
    client = _sts(emulator, emulator.access_key, "not-the-secret-key-at-all")
    assert _error(client) == (403, "Sender", "SignatureDoesNotMatch", BAD_SIGNATURE)


def test_unknown_key_is_invalid_client_token_id(emulator: Emulator) -> None:
    client = _sts(emulator, "AKIAUNKNOWNKEY999999", "whatever-secret")
    assert _error(client) == (
        403,
        "Sender",
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    )


def test_session_token_missing_or_expired(custom: Emulator) -> None:
    missing = _sts(custom, "ASIASTSTEMPORARY0002", "sts-temp-secret")
    assert _error(missing)[2] == "InvalidClientTokenId"
    expired = _sts(custom, "ASIASTSEXPIRED000003", "sts-old-secret", "sts-old-token")
    assert _error(expired) == (
        403,
        "Sender",
        "ExpiredToken",
        "The security token included in the request is expired",
    )


def test_signature_scoped_to_bedrock_is_refused(raw: RawClient) -> None:
    headers = raw.signed("POST", "/", FORM.encode(), service="bedrock", headers=FORM_TYPE)
    response = raw.http.post("/", content=FORM, headers=headers)
    assert response.status_code == 403
    root = ElementTree.fromstring(response.content)
    ns = f"{{{STS_NAMESPACE}}}"
    assert root.findtext(f"{ns}Error/{ns}Code") == "SignatureDoesNotMatch"
    assert root.findtext(f"{ns}Error/{ns}Message") == (
        "Credential should be scoped to correct service: 'sts'. "
    )


def test_unsigned_and_bearer_requests(emulator: Emulator) -> None:
    with httpx.Client(base_url=emulator.url) as http:
        unsigned = http.post("/", content=FORM, headers=FORM_TYPE)
        bearer = http.post(
            "/", content=FORM, headers={**FORM_TYPE, "authorization": f"Bearer {emulator.api_key}"}
        )
    assert unsigned.status_code == 403
    assert b"<Code>MissingAuthenticationToken</Code>" in unsigned.content
    assert bearer.status_code == 400
    assert b"<Code>IncompleteSignature</Code>" in bearer.content
    assert emulator.api_key.encode() not in bearer.content


def test_other_actions_are_invalid(raw: RawClient) -> None:
    form = b"Action=AssumeRole&Version=2011-06-15"
    headers = raw.signed("POST", "/", form, region="us-east-1", service="sts", headers=FORM_TYPE)
    response = raw.http.post("/", content=form, headers=headers)
    assert response.status_code == 400
    root = ElementTree.fromstring(response.content)
    ns = f"{{{STS_NAMESPACE}}}"
    assert root.findtext(f"{ns}Error/{ns}Code") == "InvalidAction"
    assert root.findtext(f"{ns}Error/{ns}Message") == (
        "Could not find operation AssumeRole for version 2011-06-15"
    )


def test_aws_cli_get_caller_identity(emulator: Emulator, tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": emulator.access_key,
        "AWS_SECRET_ACCESS_KEY": emulator.secret_key,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    done = subprocess.run(
        ["aws", "sts", "get-caller-identity", "--endpoint-url", emulator.url, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Arn"] == "arn:aws:iam::123456789012:user/default"
