"""The Messages API surfaces: Anthropic's request shape on bedrock-mantle and bedrock-runtime.

Bedrock serves Claude's Messages API in two places besides InvokeModel (see
:mod:`claude_bedrock.wire.messages_api`): ``bedrock-mantle`` (what ``AnthropicBedrockMantle``
calls; bare model IDs, signing name ``bedrock-mantle``) and ``bedrock-runtime``'s
``/anthropic/v1/messages`` (``AnthropicBedrock(api="messages")``; inference-profile IDs,
signing name ``bedrock``). Both take the Anthropic API's body as is, with ``model`` and
``stream`` in it, the ``anthropic-version`` header the AWS documentation asks for
(``2023-06-01``), betas in the ``anthropic-beta`` header, and answer JSON, Server-Sent
Events and Anthropic's error envelope.

So this surface is a thin layer, like the official SDK's platform clients: the body and
headers here, the URL and signing name from :meth:`RequestCore.route`, the sending in
:mod:`._surface_send`, and everything else shared with InvokeModel: the senders and their
retries, the stream pipeline (:func:`~.._stream_sse.sse_pipeline`), message parsing and
the cost on the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from .._exceptions import ClientValidationError
from .._placeholders import is_placeholder
from ..wire.messages_api import BETA_HEADER, VERSION_HEADER, WORKSPACE_HEADER, Surface
from ._params import BODY_FIELDS, PreparedCall

if TYPE_CHECKING:
    from .._request_core import RequestCore
    from ..catalog import ResolvedModel

__all__ = [
    "MESSAGES_SURFACES",
    "count_body",
    "header_params",
    "messages_call",
    "move_user_profile",
    "surface_for",
]

MessagesSurface = Literal["runtime-messages", "mantle"]
MESSAGES_SURFACES: frozenset[Surface] = frozenset({"runtime-messages", "mantle"})
#: ``api=`` of ``messages.create`` / ``stream`` -> the surface it names on ``AnthropicBedrock``.
_SURFACE_OF_API: dict[str, Surface] = {
    "invoke": "invoke",
    "converse": "converse",
    "messages": "runtime-messages",
}
#: Body fields of the Messages API that only a call that generates takes: the Anthropic
#: API's ``count_tokens`` refuses them, and they do not change the input tokens.
_GENERATION_ONLY = frozenset({
    "max_tokens", "stop_sequences", "temperature", "top_p", "top_k", "metadata",
    "service_tier", "stream", "container", "diagnostics", "inference_geo", "billing_policy",
    "fallbacks", "fallback_credit_token", "thread",
})  # fmt: skip
#: The header the official SDK's ``user_profile_id=`` becomes (then moved into the body).
USER_PROFILE_HEADER = "anthropic-user-profile-id"


def surface_for(core: RequestCore, api: str | None) -> Surface:
    """The surface a call takes: the client's own (``AnthropicBedrockMantle``: always
    bedrock-mantle), or the one ``api=`` names (``"messages"``: bedrock-runtime's)."""
    if core.surface == "mantle":
        if api not in (None, "messages"):
            raise ClientValidationError(
                f"AnthropicBedrockMantle speaks only the Messages API, not api={api!r}: "
                "use AnthropicBedrock for InvokeModel and Converse."
            )
        return "mantle"
    if api is None:
        return core.surface
    surface = _SURFACE_OF_API.get(api)
    if surface is None:
        raise ClientValidationError(
            f"api={api!r} is not one of 'invoke' (InvokeModel), 'converse' (Converse) or "
            "'messages' (the Messages API on bedrock-runtime)."
        )
    return surface


def header_params(
    extra_headers: Mapping[str, str] | None,
    workspace_id: str | None,
    user_profile_id: str | None,
) -> dict[str, str] | None:
    """``workspace_id=`` / ``user_profile_id=`` as the official SDK sends them (headers), with
    ``extra_headers`` over them; a header given ``omit`` / ``NOT_GIVEN`` (ours or the SDK's)
    is left out, as the SDK leaves it out."""
    if workspace_id is None and user_profile_id is None:
        return _given_headers(extra_headers) if extra_headers else None
    headers: dict[str, str] = {}
    if user_profile_id is not None:
        headers[USER_PROFILE_HEADER] = user_profile_id
    if workspace_id is not None:
        headers[WORKSPACE_HEADER] = workspace_id
    if extra_headers:
        for key, value in extra_headers.items():
            if is_placeholder(value):
                headers.pop(key, None)
            else:
                headers[key] = value
    return headers


def _given_headers(extra_headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in extra_headers.items() if not is_placeholder(v)}


def move_user_profile(
    extra_headers: dict[str, str] | None, extra_body: Mapping[str, Any] | None
) -> tuple[dict[str, str] | None, Mapping[str, Any] | None]:
    """The user profile goes in the body (``user_profile_id``), as the official SDK moves it
    for ``/v1/messages`` and ``count_tokens`` ("Mantle reads the user profile ID from the
    body of these requests"), and for InvokeModel."""
    if not extra_headers:
        return extra_headers, extra_body
    for key in list(extra_headers):
        if key.lower() == USER_PROFILE_HEADER:
            value = extra_headers.pop(key)
            extra_body = {"user_profile_id": value, **(extra_body or {})}
    return extra_headers, extra_body


def messages_call(
    core: RequestCore,
    resolved: ResolvedModel,
    surface: Surface,
    params: Mapping[str, Any],
    betas: list[str],
    extra_headers: Mapping[str, str] | None,
    extra_body: Mapping[str, Any] | None,
) -> PreparedCall:
    """The Messages API request: ``model`` and the body fields as given (``stream`` when
    streaming, ``service_tier`` as the Anthropic API's field), ``extra_body`` last; headers
    ``anthropic-version`` and ``anthropic-beta``, with ``extra_headers`` over them."""
    assert surface in MESSAGES_SURFACES
    route = core.route(surface)  # type: ignore[arg-type]
    body: dict[str, Any] = {"model": resolved.model_id}
    for name in BODY_FIELDS:
        value = params.get(name)
        if value is not None:
            body[name] = value
    for name in ("service_tier", "stream"):
        value = params.get(name)
        if value is not None:
            body[name] = value
    if extra_body:
        body.update(extra_body)
    headers = {VERSION_HEADER: route.version}
    if betas:
        headers[BETA_HEADER] = ",".join(betas)
    for key, value in (extra_headers or {}).items():
        lower = key.lower()
        if lower != BETA_HEADER:
            headers[lower] = value
    return PreparedCall(resolved=resolved, body=body, headers=headers, surface=surface)


def count_body(call: PreparedCall) -> bytes:
    """The Messages API ``count_tokens`` body of a prepared call: its input, nothing that
    only generation takes (``max_tokens``, sampling, ``metadata``...)."""
    import pydantic_core

    body = {k: v for k, v in call.body.items() if k not in _GENERATION_ONLY}
    return pydantic_core.to_json(body)
