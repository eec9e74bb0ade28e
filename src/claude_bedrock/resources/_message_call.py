"""The keywords of ``client.messages`` and the call they describe.

:class:`MessageParams` declares them once (the Anthropic SDK's, plus ``context_1m``,
``endpoint`` and ``api``), for ``create``, ``stream`` and ``count_tokens``, sync and async;
:func:`prepare_call` checks them (an unknown keyword is a ``TypeError``, as with the
Anthropic SDK), resolves the model for the call's surface and builds the body: everything
before a byte is sent, so the fallbacks can prepare a call per model up front.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypedDict

import httpx

from .._context import check_context_window
from .._placeholders import NotGiven, Omit, drop_placeholders
from ._params import PreparedCall, encode_query, prepare
from ._surfaces import MESSAGES_SURFACES, header_params, move_user_profile, surface_for

if TYPE_CHECKING:
    from .._client import AnthropicBedrock, AsyncAnthropicBedrock
    from ..wire.messages_api import Surface

__all__ = ["COUNT_TOKENS_IGNORED", "Api", "Endpoint", "MessageParams", "prepare_call"]

Endpoint = Literal["global", "regional"]
Api = Literal["invoke", "converse", "messages"]
#: A placeholder for an unset keyword (the official SDK's are recognised at run time too).
_Unset = NotGiven | Omit


class MessageParams(TypedDict, total=False):
    """Optional keywords of ``messages.create`` / ``stream`` (all may be omitted, or given
    ``NOT_GIVEN`` / ``omit``, ours or the official SDK's: see :mod:`.._placeholders`)."""

    system: str | Iterable[Mapping[str, Any]] | _Unset
    stop_sequences: list[str] | _Unset
    temperature: float | _Unset
    top_p: float | _Unset
    top_k: int | _Unset
    tools: Iterable[Mapping[str, Any]] | _Unset
    tool_choice: Mapping[str, Any] | _Unset
    metadata: Mapping[str, Any] | _Unset
    thinking: Mapping[str, Any] | _Unset
    service_tier: str | _Unset
    # The official SDK 2.16's other body fields (``messages`` and ``beta.messages``), sent
    # in the body on every surface, as the SDK sends them (see ``_params.BODY_FIELDS``).
    cache_control: Mapping[str, Any] | None | _Unset
    container: str | Mapping[str, Any] | None | _Unset
    context_management: Mapping[str, Any] | None | _Unset
    diagnostics: Mapping[str, Any] | None | _Unset
    inference_geo: str | None | _Unset
    mcp_servers: Iterable[Mapping[str, Any]] | _Unset
    output_config: Mapping[str, Any] | _Unset
    speed: Literal["standard", "fast"] | None | _Unset
    billing_policy: Mapping[str, Any] | None | _Unset
    compaction: Mapping[str, Any] | None | _Unset
    fallbacks: Any
    fallback_credit_token: Any
    thread: Any
    betas: Iterable[str] | _Unset
    context_1m: bool | _Unset
    endpoint: Endpoint | _Unset
    api: Api | _Unset
    #: The official SDK's: the ``anthropic-workspace-id`` header (bedrock-mantle's Workspaces).
    workspace_id: str | _Unset
    #: The official SDK's: whom the call acts for, sent as the body's ``user_profile_id``.
    user_profile_id: str | _Unset
    extra_headers: Mapping[str, str] | None
    #: Query parameters added to the request's URL (the official SDK's ``extra_query``).
    extra_query: Mapping[str, object] | None
    extra_body: Mapping[str, Any] | None
    timeout: float | httpx.Timeout | None | _Unset


KNOWN = frozenset(MessageParams.__annotations__)
#: Not input: left out of a count (``fallbacks``, ours or the SDK's, only chooses a model).
COUNT_TOKENS_IGNORED = frozenset({"api", "service_tier", "metadata", "timeout", "fallbacks"})


def prepare_call(
    client: AnthropicBedrock | AsyncAnthropicBedrock,
    model: str,
    max_tokens: int,
    messages: Iterable[Mapping[str, Any]],
    options: Mapping[str, Any],
    *,
    generate: bool = True,
    stream: bool = False,
    surface: Surface | None = None,
) -> PreparedCall:
    """Check the keywords, resolve the model for the call's surface and build the body
    (and, for a call that generates, refuse early an input that clearly cannot fit the
    context window)."""
    unknown = options.keys() - KNOWN
    if unknown:
        raise TypeError(f"messages: unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    options = drop_placeholders(options)
    if surface is None:
        surface = surface_for(client._core, options.get("api"))
    params: dict[str, Any] = dict(options)
    params["model"] = model
    params["max_tokens"] = max_tokens
    params["messages"] = messages if isinstance(messages, list) else list(messages)
    tools = params.get("tools")
    if tools is not None and not isinstance(tools, list):
        params["tools"] = list(tools)
    if stream and surface in MESSAGES_SURFACES:
        params["stream"] = True
    extra_headers = header_params(
        options.get("extra_headers"), options.get("workspace_id"), options.get("user_profile_id")
    )
    extra_body = options.get("extra_body")
    if surface != "converse":
        extra_headers, extra_body = move_user_profile(extra_headers, extra_body)
    call = prepare(
        client._core,
        params,
        betas=options.get("betas"),
        extra_headers=extra_headers,
        extra_body=extra_body,
        context_1m=options.get("context_1m"),
        endpoint=options.get("endpoint"),
        surface=surface,
    )
    extra_query = options.get("extra_query")
    if extra_query:
        call.query = encode_query(extra_query)
    call.requested_model = model
    if generate:
        check_context_window(call)
    return call
