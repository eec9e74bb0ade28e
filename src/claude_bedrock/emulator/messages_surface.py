"""Which Messages API surface a request reached, who sent it, and Bedrock's answers there.

Bedrock serves Anthropic's Messages API on two hosts, with the same path
(``/anthropic/v1/messages``): ``bedrock-mantle.{region}.api.aws`` (surface ``mantle``: bare
in-Region model IDs, SigV4 signing name ``bedrock-mantle``) and
``bedrock-runtime.{region}.amazonaws.com`` (surface ``runtime-messages``: inference-profile
IDs, SigV4 signing name ``bedrock``). The emulator listens on one address for both, so it
decides the surface of each request by this rule, first match wins:

1. the ``Host`` header, when it names a Bedrock host: ``bedrock-mantle.*`` is mantle,
   ``bedrock-runtime.*`` the runtime (a SigV4 scope must then carry that host's signing
   name, or the request fails as on AWS: "Credential should be scoped to correct service");
2. a SigV4 request: its credential scope's service (``bedrock-mantle`` or ``bedrock``);
3. a key (``Authorization: Bearer`` as the official SDK sends it, or ``x-api-key`` as the
   AWS documentation's examples do): the form of the body's ``model``. An
   inference-profile ID (``global.anthropic.claude-opus-4-8``: a scope before the provider)
   or an ARN is the runtime; a bare ID (``anthropic.claude-opus-5``) is mantle. A body
   without a readable ``model`` is taken as mantle; it fails validation either way.

Model IDs are checked by the catalogue (:meth:`~claude_bedrock.catalog.Catalog.check_invocation`
with the surface), and every :class:`~claude_bedrock.catalog.Verdict` has its answer in
:data:`ANSWERS` below. What mantle says for a model it does not serve is observed
("The model 'X' does not exist", 404 ``not_found_error``, also for profile IDs: posit-dev/
chatlas#411, obra/lace#355); the runtime words unknown IDs as InvokeModel does.

Errors come in Anthropic's envelope on both surfaces (:func:`render_error`). The runtime
keeps Bedrock's ``x-amzn-ErrorType`` header beside it (its AWS front door adds it to every
error) and answers the routes it lacks (``count_tokens``) with its front door's plain
``UnknownOperationException``; mantle sends the envelope alone. Every response carries
``x-amzn-RequestId`` (the server adds it).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Final, Literal

from ..catalog import Catalog, ModelInfo, Verdict
from ..wire import signing
from ..wire.messages_api import (
    MANTLE_SIGNING_NAME,
    RUNTIME_SIGNING_NAME,
    VERSION_HEADER,
    WORKSPACE_HEADER,
)
from ..wire.rules.model_id import model_id_violation
from .auth import Authenticator, Identity
from .errors import BedrockError, anthropic_response, not_found, validation_error
from .http_types import AnyResponse, Request
from .model_ids import END_OF_LIFE, INVALID_MODEL, InvocationModel, response_model_name

__all__ = [
    "ANSWERS",
    "ANTHROPIC_VERSIONS",
    "END_OF_LIFE",
    "MessagesAuthenticator",
    "SURFACE_KEY",
    "MessagesSurface",
    "check_version",
    "check_version_for_model",
    "check_workspace",
    "host_surface",
    "is_profile_form",
    "messages_model",
    "parsed_body",
    "render_error",
    "surface_of",
]

MessagesSurface = Literal["runtime-messages", "mantle"]
Answer = Literal["ok", "invalid", "on-demand", "end-of-life", "not-found"]

#: ``request.extras`` key holding the surface once authentication decided it.
SURFACE_KEY: Final = "messages_surface"

_BY_SERVICE: Final[dict[str, MessagesSurface]] = {
    MANTLE_SIGNING_NAME: "mantle",
    RUNTIME_SIGNING_NAME: "runtime-messages",
}
_SERVICE: Final[dict[MessagesSurface, str]] = {v: k for k, v in _BY_SERVICE.items()}
_BY_HOST: Final[tuple[tuple[str, MessagesSurface], ...]] = (
    ("bedrock-mantle.", "mantle"),
    ("bedrock-runtime.", "runtime-messages"),
)

#: Bedrock's answer to each catalogue verdict, per surface. ``invalid``: 400 "The provided
#: model identifier is invalid."; ``on-demand``: 400 "Invocation of model ID ... with
#: on-demand throughput isn't supported..."; ``end-of-life``: 404 "This model version has
#: reached the end of its life."; ``not-found``: 404 "The model 'X' does not exist".
ANSWERS: Final[dict[Verdict, dict[MessagesSurface, Answer]]] = {
    Verdict.OK: {"runtime-messages": "ok", "mantle": "ok"},
    Verdict.UNKNOWN_REGION: {"runtime-messages": "invalid", "mantle": "not-found"},
    Verdict.UNKNOWN_MODEL: {"runtime-messages": "invalid", "mantle": "not-found"},
    Verdict.NOT_A_MODEL_ARN: {"runtime-messages": "invalid", "mantle": "not-found"},
    Verdict.ARN_OTHER_REGION: {"runtime-messages": "invalid", "mantle": "not-found"},
    Verdict.NOT_OFFERED: {"runtime-messages": "invalid", "mantle": "not-found"},
    Verdict.OTHER_GEOGRAPHY: {"runtime-messages": "invalid", "mantle": "not-found"},
    Verdict.ON_DEMAND_NOT_SUPPORTED: {"runtime-messages": "on-demand", "mantle": "not-found"},
    Verdict.END_OF_LIFE: {"runtime-messages": "end-of-life", "mantle": "end-of-life"},
    Verdict.NOT_ON_SURFACE: {"runtime-messages": "not-found", "mantle": "not-found"},
    Verdict.PROFILE_ON_MANTLE: {"runtime-messages": "invalid", "mantle": "not-found"},
    Verdict.BARE_ID_ON_MESSAGES: {"runtime-messages": "on-demand", "mantle": "not-found"},
}

#: ``anthropic-version`` values the Messages API knows. AWS documents ``2023-06-01``;
#: ``2026-10-21`` (what the official SDK 2.x sends) is accepted for Claude 4.7 and later
#: (Anthropic "Versions"); Anthropic warns that older models on Bedrock may answer 400.
ANTHROPIC_VERSIONS: Final = ("2023-06-01", "2026-10-21")
_NEWEST_VERSION: Final = "2026-10-21"
#: Release of Claude Opus 4.7, the first model ``2026-10-21`` is documented for.
_NEWEST_VERSION_SINCE: Final = date(2026, 4, 16)
_MAX_ECHO: Final = 80


def _echo(value: str) -> str:
    """A request value as an error quotes it: short, never a body reflected at length."""
    return value if len(value) <= _MAX_ECHO else value[: _MAX_ECHO - 3] + "..."


# -- which surface -------------------------------------------------------------------------


def host_surface(request: Request) -> MessagesSurface | None:
    """The surface the ``Host`` header names, or None (loopback, a proxy...)."""
    host = (request.headers.get("host") or "").lower()
    return next((surface for prefix, surface in _BY_HOST if host.startswith(prefix)), None)


def is_profile_form(model_id: str) -> bool:
    """An inference-profile ID (``us.anthropic.x``: scope, provider, model) or an ARN."""
    return model_id.startswith("arn:") or model_id.partition(":")[0].count(".") >= 2


def parsed_body(request: Request) -> object:
    """The request body as JSON, parsed once per request (None when it is not JSON)."""
    if "messages_body" not in request.extras:
        try:
            request.extras["messages_body"] = request.json()
        except ValueError:
            request.extras["messages_body"] = None
    return request.extras["messages_body"]


def _model_surface(request: Request) -> MessagesSurface:
    body = parsed_body(request)
    model = body.get("model") if isinstance(body, dict) else None
    return "runtime-messages" if isinstance(model, str) and is_profile_form(model) else "mantle"


def _scope_surface(request: Request) -> MessagesSurface | None:
    header = request.headers.get("authorization") or ""
    if not header.startswith(signing.ALGORITHM):
        return None
    try:
        return _BY_SERVICE.get(signing.parse_authorization(header).service)
    except signing.SignatureError:
        return None


def surface_of(request: Request) -> MessagesSurface:
    """The request's surface: decided at authentication, else by the same rule (for the
    errors of requests that failed before, such as a refused signature)."""
    decided = request.extras.get(SURFACE_KEY)
    if decided is not None:
        return decided  # type: ignore[no-any-return]
    return host_surface(request) or _scope_surface(request) or _model_surface(request)


class MessagesAuthenticator:
    """The Messages routes' authentication: SigV4 for either signing name, or a key in
    either header; records the surface on the request (see the module docstring)."""

    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator

    def __call__(self, request: Request) -> Identity:
        host = host_surface(request)
        services = (_SERVICE[host],) if host else (MANTLE_SIGNING_NAME, RUNTIME_SIGNING_NAME)
        identity = self.authenticator.authenticate(request, services=services, api_key_header=True)
        if host is not None:
            surface = host
        elif identity.service is not None:
            surface = _BY_SERVICE[identity.service]
        else:
            surface = _model_surface(request)
        request.extras[SURFACE_KEY] = surface
        return identity


def render_error(request: Request, error: BedrockError) -> AnyResponse:
    """A Messages route's error, as the surface answers it (see the module docstring)."""
    runtime = surface_of(request) == "runtime-messages"
    if runtime and error.error_type == "UnknownOperationException":
        return error.to_response()
    return anthropic_response(error, error_type_header=runtime)


# -- the model -------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def messages_model(model_id: str, region: str, surface: MessagesSurface) -> InvocationModel:
    """The model a Messages request for ``model_id`` runs, or Bedrock's refusal (raised).

    Cached: clients send the same few IDs over and over (errors are not cached).
    """
    check = None  # an ID that breaks botocore's pattern is unknown everywhere
    if model_id_violation(model_id) is None:
        check = Catalog.default().check_invocation(model_id, region, surface)
    verdict = check.verdict if check is not None else Verdict.UNKNOWN_MODEL
    answer = ANSWERS[verdict][surface]
    if answer == "ok" and check is not None and check.resolved is not None:
        info = check.resolved.info
        if info is not None:
            return InvocationModel(model_id, info, response_model_name(info.id))
        answer = ANSWERS[Verdict.UNKNOWN_MODEL][surface]  # application profiles: not emulated
    raise _refusal(answer, model_id, check.info if check is not None else None)


def _refusal(answer: Answer, model_id: str, info: ModelInfo | None) -> BedrockError:
    if answer == "end-of-life":
        return not_found(END_OF_LIFE)
    if answer == "not-found":
        return not_found(f"The model '{_echo(model_id)}' does not exist")
    if answer == "on-demand":
        return validation_error(
            f"Invocation of model ID {info.id if info else _echo(model_id)} with on-demand "
            "throughput isn\u2019t supported. Retry your request with the ID or ARN of an "
            "inference profile that contains this model."
        )
    return validation_error(INVALID_MODEL)


# -- headers ---------------------------------------------------------------------------------


def check_version(request: Request) -> str:
    """The ``anthropic-version`` header, required and one the API knows (Anthropic's words)."""
    version = request.headers.get(VERSION_HEADER)
    if version is None or not version.strip():
        raise validation_error(f"{VERSION_HEADER}: header is required")
    if version not in ANTHROPIC_VERSIONS:
        raise validation_error(f'{VERSION_HEADER}: "{_echo(version)}" is not a valid version')
    return version


def check_version_for_model(version: str, model: InvocationModel) -> None:
    """Refuse ``2026-10-21`` for a model released before Claude Opus 4.7.

    Anthropic documents the version on Bedrock for Claude 4.7 and later and warns that the
    older models "may return 400" with it; the emulator takes the strict reading, so a
    client that sends it to them is caught here rather than in production. (Bedrock's
    exact wording is not published; this message is the emulator's.)
    """
    released = model.info.release_date
    if version == _NEWEST_VERSION and released is not None and released < _NEWEST_VERSION_SINCE:
        raise validation_error(
            f'{VERSION_HEADER}: "{version}" is not supported for this model on Amazon '
            f'Bedrock; send "{ANTHROPIC_VERSIONS[0]}".'
        )


def check_workspace(request: Request, surface: MessagesSurface) -> str | None:
    """The ``anthropic-workspace-id`` of a mantle request (``default`` or a project ID,
    ``proj_...``); the runtime has no workspaces and ignores the header, as it ignores
    every header it does not know."""
    workspace = request.headers.get(WORKSPACE_HEADER)
    if workspace is None or surface != "mantle":
        return None
    if workspace != "default" and not _is_project_id(workspace):
        raise not_found(f"The workspace '{_echo(workspace)}' does not exist")
    return workspace


def _is_project_id(value: str) -> bool:
    rest = value.removeprefix("proj_")
    return rest != value and 0 < len(rest) <= 64 and rest.replace("-", "").isalnum()
