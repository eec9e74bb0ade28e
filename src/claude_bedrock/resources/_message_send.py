"""Where a prepared ``client.messages`` call goes, and what its answer becomes.

One call, three surfaces: InvokeModel (one answer, or a stream), Converse (translated),
the Messages API (``_surface_send``); a token count to CountTokens or bedrock-mantle's
``count_tokens``. Sync and async share each function: the senders take the same arguments,
and ``sync=False`` returns the coroutine (or async manager) instead of the result.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

import httpx

from .. import _tracing
from .._parse import parse_message
from .._placeholders import given
from ..types.message import Cost, Message
from ._message_call import COUNT_TOKENS_IGNORED, prepare_call
from ._params import PreparedCall, model_path
from ._surfaces import MESSAGES_SURFACES

if TYPE_CHECKING:
    from .._client import AnthropicBedrock, AsyncAnthropicBedrock
    from ..types.count_tokens import MessageTokensCount
    from ..wire.messages_api import Surface
    from ._flow import Flow

__all__ = ["cost_of", "count_flow_for", "finish_message", "manager_for", "send"]


def finish_message(response: httpx.Response, call: PreparedCall) -> Message:
    """Parse an InvokeModel answer and attach what Bedrock says outside the body.

    The same tolerant parsing as stream events (:mod:`.._parse`): a reply from a newer API
    (a new block type, stop reason or usage field) is read, never refused after billing.
    """
    message = parse_message(response.content, response)
    message._request_id = response.headers.get("x-amzn-requestid")
    message._cost = cost_of(message, call)
    return message


def cost_of(message: Message, call: PreparedCall) -> Cost | None:
    """The call's cost from the catalogue (None for ARNs and models it does not know)."""
    return call.cost(message)


def _invoke_url(client: AnthropicBedrock | AsyncAnthropicBedrock, call: PreparedCall) -> str:
    return client._core.url("runtime", model_path(call.resolved.model_id, "invoke")) + call.query


def send(
    client: Any, call: PreparedCall, params: Mapping[str, Any], stream: bool, *, sync: bool
) -> Any:
    """:func:`_send_call`, in an OpenTelemetry span if the client has them (:mod:`.._tracing`)."""
    tracing = _tracing.tracer(client)
    if tracing is not None:
        sent = partial(_send_call, client, call, params, stream, sync=sync)
        return _tracing.send(tracing, client, call, stream, sent, sync=sync)
    return _send_call(client, call, params, stream, sync=sync)


def _send_call(
    client: Any, call: PreparedCall, params: Mapping[str, Any], stream: bool, *, sync: bool
) -> Any:
    """``create``: over Converse, as a stream, or one answer; for the async client, the
    same as a coroutine (the sync and async senders take the same arguments)."""
    timeout = given(params.get("timeout"))
    if call.surface in MESSAGES_SURFACES:
        from ._surface_send import send_message

        return send_message(client, call, stream, timeout, sync=sync)
    if call.surface == "converse":
        from .. import converse

        via = converse.messages_via_converse if sync else converse.amessages_via_converse
        return via(client, call, stream=stream, timeout=timeout)
    if stream:
        from ..streaming import aopen_stream, open_stream

        return (open_stream if sync else aopen_stream)(client, call, timeout=timeout)
    sent = client._sender.send(
        "POST", _invoke_url(client, call), call.encode(), extra_headers=call.headers,
        timeout=timeout,
    )  # fmt: skip
    return finish_message(sent, call) if sync else _finish_later(sent, call)


async def _finish_later(sent: Awaitable[httpx.Response], call: PreparedCall) -> Message:
    return finish_message(await sent, call)


def manager_for(client: Any, call: PreparedCall, timeout: Any, *, sync: bool) -> Any:
    """What ``messages.stream(...)`` returns for the call's surface (nothing sent yet)."""
    from .. import streaming
    from . import _surface_send as surfaces

    if call.surface in MESSAGES_SURFACES:
        surfaced = surfaces.SurfaceStreamManager if sync else surfaces.AsyncSurfaceStreamManager
        return surfaced(client, call, timeout=timeout)
    manager = streaming.MessageStreamManager if sync else streaming.AsyncMessageStreamManager
    api: Literal["invoke", "converse"] = "converse" if call.surface == "converse" else "invoke"
    return manager(client, call, timeout=timeout, api=api)


def count_flow_for(
    client: AnthropicBedrock | AsyncAnthropicBedrock,
    model: str,
    messages: Iterable[Mapping[str, Any]],
    params: Mapping[str, Any],
) -> Flow[MessageTokensCount]:
    """Where a token count goes. ``AnthropicBedrockMantle``: its own ``count_tokens``.
    ``AnthropicBedrock``: Bedrock's CountTokens, except for a model the catalogue says
    (from a certain source) CountTokens does not serve and bedrock-mantle does: AWS says to
    count those with bedrock-mantle's ``count_tokens``, so the call goes there, with the
    model's bedrock-mantle ID, signed for ``bedrock-mantle`` (or with the same API key).
    """
    from .count_tokens import count_flow, messages_count_flow

    options = {k: v for k, v in params.items() if k not in COUNT_TOKENS_IGNORED}
    timeout = given(params.get("timeout"))
    core = client._core
    if core.surface == "mantle":
        call = prepare_call(client, model, 1, messages, options, generate=False, surface="mantle")
        return messages_count_flow(call, timeout)
    info = core.catalog.identify(model)
    if info is not None and info.refuses("count-tokens") and "mantle" in info.surfaces:
        options.pop("endpoint", None)  # bedrock-mantle is in-Region only
        mantle_id = info.mantle_id or info.id
        call = prepare_call(
            client, mantle_id, 1, messages, options, generate=False, surface="mantle"
        )
        return messages_count_flow(call, timeout)
    surface: Surface = "count-tokens"
    call = prepare_call(client, model, 1, messages, options, generate=False, surface=surface)
    return count_flow(call, timeout)
