"""``sts:GetCallerIdentity`` on the emulator, so ``aws sts get-caller-identity`` and
``claude-bedrock doctor`` can check an identity against it offline.

STS speaks AWS's *query* protocol, not Bedrock's REST-JSON: ``POST /`` with a form body
(``Action=GetCallerIdentity&Version=2011-06-15``), SigV4 scoped to the ``sts`` service, and
XML answers and errors (botocore's ``sts/2011-06-15/service-2.json``: ``resultWrapper``
``GetCallerIdentityResult``, namespace ``https://sts.amazonaws.com/doc/2011-06-15/``).
That is why this route authenticates itself (``auth=False``) instead of going through the
emulator's Bedrock authenticator: the credentials are the same store, but failures must be
STS's XML ``ErrorResponse`` with STS's codes (``InvalidClientTokenId``,
``SignatureDoesNotMatch``...), which is what the AWS CLI and botocore parse.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from ..wire import signing
from ..wire.signature_check import Problem
from .auth import BAD_SIGNATURE, BAD_TOKEN, EXPIRED_TOKEN, AccessKey, check_sigv4
from .errors import BedrockError
from .http_types import AnyResponse, Request, Response

if TYPE_CHECKING:
    from .app import EmulatorApp

__all__ = ["STS_NAMESPACE", "StsError", "register"]

STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
_VERSION = "2011-06-15"
_SERVICE = "sts"
_XML = "text/xml"


class StsError(Exception):
    """An STS error answer (query protocol: XML ``ErrorResponse``)."""

    def __init__(self, code: str, message: str, status: int, *, sender: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.sender = sender

    def to_response(self, request_id: str) -> Response:
        kind = "Sender" if self.sender else "Receiver"
        body = (
            f'<ErrorResponse xmlns="{STS_NAMESPACE}">\n'
            f"  <Error>\n"
            f"    <Type>{kind}</Type>\n"
            f"    <Code>{escape(self.code)}</Code>\n"
            f"    <Message>{escape(self.message)}</Message>\n"
            f"  </Error>\n"
            f"  <RequestId>{request_id}</RequestId>\n"
            f"</ErrorResponse>\n"
        )
        return Response(status=self.status, body=body.encode(), content_type=_XML)


def register(app: EmulatorApp) -> None:
    """Serve STS's query protocol on ``POST /``."""

    async def handle(request: Request) -> AnyResponse:
        try:
            return _handle(app, request)
        except StsError as error:
            return error.to_response(request.request_id)

    def precheck(request: Request) -> AnyResponse | None:
        """What the head alone condemns, before a body bigger than one read is taken in: no
        signature, or one the head already refuses (unknown key, wrong scope, stale date...).

        Every such request fails whatever its body; the body would only choose the words (a
        missing or unserved ``Action`` is answered before the signature), so these bodies
        get the signature's verdict, and a refused 20 MB form is never read."""
        try:
            _authenticate(app, request)  # body_pending: the head-only SigV4 steps
        except StsError as error:
            return error.to_response(request.request_id)
        return None

    app.add_route("POST", "/", handle, operation="GetCallerIdentity", auth=False,
                  render_error=_render_error, precheck=precheck)  # fmt: skip


def _render_error(request: Request, error: BedrockError) -> AnyResponse:
    """An error raised around the handler (the front door's body cap) in STS's XML, with
    its type as the code (STS's own answer to an oversized form is unobserved)."""
    sts = StsError(error.error_type, error.message, error.status, sender=error.status < 500)
    return sts.to_response(request.request_id)


def _handle(app: EmulatorApp, request: Request) -> Response:
    params = _form(request)
    action = params.get("Action")
    if not action:
        raise StsError("MissingAction", "Missing Action", 400)
    if action != "GetCallerIdentity":
        raise StsError(
            "InvalidAction", f"Could not find operation {action} for version {_VERSION}", 400
        )
    key = _authenticate(app, request)
    return _caller_identity(key, request.request_id)


def _form(request: Request) -> dict[str, str]:
    """Query-protocol parameters: the form body, else the query string (GET style)."""
    source = request.body.decode("utf-8", "replace") if request.body else request.raw_query
    return {name: values[0] for name, values in parse_qs(source).items() if values}


def _authenticate(app: EmulatorApp, request: Request) -> AccessKey:
    header = request.headers.get("authorization")
    if header is None:
        raise StsError("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
    if not header.startswith(signing.ALGORITHM + " "):
        # A Bedrock API key ("Bearer ...") is Bedrock-only: STS wants SigV4.
        raise StsError(
            "IncompleteSignature",
            f"Authorization header requires '{signing.ALGORITHM}' scheme "
            "(Bedrock API keys are accepted by Bedrock only).",
            400,
        )
    check = check_sigv4(request, _SERVICE, app.config.credentials)
    if check.problem is not None:
        raise _sts_error(check.problem, check.detail)
    assert check.key is not None  # a check without problem has its key
    return check.key


def _sts_error(problem: Problem, detail: str) -> StsError:
    """STS's error code, status and words for a refused SigV4 request."""
    if problem is Problem.MALFORMED:
        return StsError("IncompleteSignature", f"{detail}.", 400)
    if problem in (Problem.UNKNOWN_KEY, Problem.BAD_SESSION_TOKEN):
        return StsError("InvalidClientTokenId", BAD_TOKEN, 403)
    if problem is Problem.EXPIRED_TOKEN:
        return StsError("ExpiredToken", EXPIRED_TOKEN, 403)
    if problem is Problem.WRONG_SERVICE:
        return StsError(
            "SignatureDoesNotMatch",
            f"Credential should be scoped to correct service: '{_SERVICE}'. ",
            403,
        )
    if problem is Problem.UNKNOWN_REGION:
        return StsError(
            "SignatureDoesNotMatch", "Credential should be scoped to a valid region. ", 403
        )
    if problem is Problem.REQUEST_EXPIRED:
        return StsError("SignatureDoesNotMatch", detail, 403)
    return StsError("SignatureDoesNotMatch", BAD_SIGNATURE, 403)


def _unique_id(prefix: str, access_key_id: str) -> str:
    """A stable IAM-style unique id (``AIDA...`` users, ``AROA...`` roles) for a key."""
    digest = hashlib.sha256(access_key_id.encode()).hexdigest().upper()
    return prefix + digest[:17]


def _caller_identity(key: AccessKey, request_id: str) -> Response:
    if key.session_token:
        user_id = f"{_unique_id('AROA', key.access_key_id)}:{key.profile}"
        arn = f"arn:aws:sts::{key.account_id}:assumed-role/emulator/{key.profile}"
    else:
        user_id = _unique_id("AIDA", key.access_key_id)
        arn = f"arn:aws:iam::{key.account_id}:user/{key.profile}"
    body = (
        f'<GetCallerIdentityResponse xmlns="{STS_NAMESPACE}">\n'
        f"  <GetCallerIdentityResult>\n"
        f"    <Arn>{escape(arn)}</Arn>\n"
        f"    <UserId>{escape(user_id)}</UserId>\n"
        f"    <Account>{escape(key.account_id)}</Account>\n"
        f"  </GetCallerIdentityResult>\n"
        f"  <ResponseMetadata>\n"
        f"    <RequestId>{request_id}</RequestId>\n"
        f"  </ResponseMetadata>\n"
        f"</GetCallerIdentityResponse>\n"
    )
    return Response(body=body.encode(), content_type=_XML)
