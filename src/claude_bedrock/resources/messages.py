"""``client.messages``: the Messages API over Bedrock's InvokeModel, Converse, or the
Messages API itself (bedrock-runtime's ``/anthropic`` path, or bedrock-mantle).

The parameters are the Anthropic SDK's (keyword-only, same names, same defaults) plus a
few Bedrock facts of our own: ``context_1m`` (the 1M-token beta), ``endpoint``
(``"global"`` or ``"regional"``, when the model ID does not say) and ``api`` (``"invoke"``,
``"converse"`` or ``"messages"``; the client's ``api=`` when omitted). They are declared
once, in :class:`MessageParams`, and shared by ``create``, ``stream`` and
``count_tokens``, sync and async; an unknown keyword is a ``TypeError`` as it would be
with the Anthropic SDK. ``AnthropicBedrockMantle`` uses the same resource (its calls all
take the bedrock-mantle surface).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator, Mapping
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Unpack, overload

import httpx

from .. import _tracing
from .._context import check_context_window
from .._parse import parse_message
from .._placeholders import NotGiven, Omit, drop_placeholders, given
from ..types.message import Cost, Message
from ._params import PreparedCall, encode_query, model_path, prepare
from ._raw import RawResponses
from ._surfaces import MESSAGES_SURFACES, header_params, move_user_profile, surface_for

if TYPE_CHECKING:
    from .._client import AnthropicBedrock, AsyncAnthropicBedrock
    from ..streaming import AsyncMessageStreamManager, AsyncStream, MessageStreamManager, Stream
    from ..types.batches import MessageBatchIndividualResponse
    from ..types.count_tokens import MessageTokensCount
    from ..types.parsed import ParsedMessage, ResponseFormatT
    from ..wire.messages_api import Surface
    from ._flow import Flow
    from .batches import AsyncBatches, Batches

__all__ = ["Messages", "AsyncMessages", "MessageParams"]

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


_KNOWN = frozenset(MessageParams.__annotations__)
#: Not input: left out of a count (``fallbacks``, ours or the SDK's, only chooses a model).
_COUNT_TOKENS_IGNORED = frozenset({"api", "service_tier", "metadata", "timeout", "fallbacks"})


def _prepare_call(
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
    unknown = options.keys() - _KNOWN
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


def _send(
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


def _manager(client: Any, call: PreparedCall, timeout: Any, *, sync: bool) -> Any:
    """What ``messages.stream(...)`` returns for the call's surface (nothing sent yet)."""
    from .. import streaming
    from . import _surface_send as surfaces

    if call.surface in MESSAGES_SURFACES:
        surfaced = surfaces.SurfaceStreamManager if sync else surfaces.AsyncSurfaceStreamManager
        return surfaced(client, call, timeout=timeout)
    manager = streaming.MessageStreamManager if sync else streaming.AsyncMessageStreamManager
    api: Literal["invoke", "converse"] = "converse" if call.surface == "converse" else "invoke"
    return manager(client, call, timeout=timeout, api=api)


def _count(
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

    options = {k: v for k, v in params.items() if k not in _COUNT_TOKENS_IGNORED}
    timeout = given(params.get("timeout"))
    core = client._core
    if core.surface == "mantle":
        call = _prepare_call(client, model, 1, messages, options, generate=False, surface="mantle")
        return messages_count_flow(call, timeout)
    info = core.catalog.identify(model)
    if info is not None and info.refuses("count-tokens") and "mantle" in info.surfaces:
        options.pop("endpoint", None)  # bedrock-mantle is in-Region only
        mantle_id = info.mantle_id or info.id
        call = _prepare_call(
            client, mantle_id, 1, messages, options, generate=False, surface="mantle"
        )
        return messages_count_flow(call, timeout)
    surface: Surface = "count-tokens"
    call = _prepare_call(client, model, 1, messages, options, generate=False, surface=surface)
    return count_flow(call, timeout)


class Messages(RawResponses):
    """Synchronous ``client.messages``."""

    def __init__(self, client: AnthropicBedrock) -> None:
        self._client = client

    @overload
    def create(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        stream: Literal[False] = False, **params: Unpack[MessageParams],
    ) -> Message: ...  # fmt: skip
    @overload
    def create(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        stream: Literal[True], **params: Unpack[MessageParams],
    ) -> Stream: ...  # fmt: skip
    @overload
    def create(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        stream: bool, **params: Unpack[MessageParams],
    ) -> Message | Stream: ...  # fmt: skip
    def create(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        stream: bool = False, **params: Unpack[MessageParams],
    ) -> Message | Stream:  # fmt: skip
        """Send one Messages API call; a :class:`Message`, or a :class:`Stream` of events."""
        if "fallbacks" in params or self._client._fallbacks:
            from ._fallbacks import create

            return create(self._client, model, max_tokens, messages, params, stream)  # type: ignore[no-any-return]
        call = _prepare_call(self._client, model, max_tokens, messages, params, stream=stream)
        return _send(self._client, call, params, stream, sync=True)  # type: ignore[no-any-return]

    def stream(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        output_format: Any = None, **params: Unpack[MessageParams],
    ) -> MessageStreamManager:  # fmt: skip
        """A context manager over a streamed call, with the Anthropic SDK's helpers.

        Nothing is sent until the ``with`` block is entered. ``output_format`` (a type):
        structured outputs, as :meth:`parse`; ``get_final_message()`` is then parsed.
        """
        if output_format is not None:
            from ._structured import parsed_stream

            kwargs = {"model": model, "max_tokens": max_tokens, "messages": messages, **params}
            return parsed_stream(self, output_format, kwargs, sync=True)  # type: ignore[no-any-return]
        if "fallbacks" in params or self._client._fallbacks:
            from ._fallbacks import stream_manager

            return stream_manager(self._client, model, max_tokens, messages, params, sync=True)  # type: ignore[no-any-return]
        call = _prepare_call(self._client, model, max_tokens, messages, params, stream=True)
        return _manager(self._client, call, given(params.get("timeout")), sync=True)  # type: ignore[no-any-return]

    def parse(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        output_format: type[ResponseFormatT] | None = None, **params: Unpack[MessageParams],
    ) -> ParsedMessage[ResponseFormatT]:  # fmt: skip
        """Structured outputs: ``create`` with ``output_format``'s JSON schema as
        ``output_config.format``; the answer's ``parsed_output`` is the validated instance
        (see :mod:`._structured`)."""
        from ._structured import parse

        kwargs = {"model": model, "max_tokens": max_tokens, "messages": messages, **params}
        return parse(self, output_format, kwargs)

    def create_many(
        self,
        requests: Iterable[Mapping[str, Any]],
        *,
        concurrency: int | None = None,
        ordered: bool = True,
    ) -> Iterator[MessageBatchIndividualResponse]:
        """Many calls under the model's quota (adaptive concurrency, or ``concurrency``
        fixed), one result per request, in input order unless ``ordered=False``; a
        request's error is kept in its result, never raised. See :mod:`._bulk`."""
        from ._bulk import create_many

        return create_many(self._client, requests, concurrency=concurrency, ordered=ordered)

    @cached_property
    def batches(self) -> Batches:
        """Message Batches over Bedrock batch inference (S3 JSONL in, S3 JSONL out)."""
        from .batches import Batches

        return Batches(self._client)

    def count_tokens(
        self, *, model: str, messages: Iterable[Mapping[str, Any]],
        output_format: Any = None, **params: Unpack[MessageParams],
    ) -> MessageTokensCount:  # fmt: skip
        """Count input tokens: Bedrock's CountTokens, or the Messages API's ``count_tokens``
        on bedrock-mantle for the models only it counts (see :func:`_count`)."""
        from ._flow import run

        if output_format is not None:  # the schema counts as input, as in the SDK
            from ._structured import with_output_format

            params = with_output_format(params, output_format)
        flow = _count(self._client, model, messages, params)
        return _tracing.count(self._client, model, partial(run, self._client, flow), sync=True)  # type: ignore[no-any-return]


class AsyncMessages(RawResponses):
    """Asynchronous ``client.messages``."""

    def __init__(self, client: AsyncAnthropicBedrock) -> None:
        self._client = client

    @overload
    async def create(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        stream: Literal[False] = False, **params: Unpack[MessageParams],
    ) -> Message: ...  # fmt: skip
    @overload
    async def create(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        stream: Literal[True], **params: Unpack[MessageParams],
    ) -> AsyncStream: ...  # fmt: skip
    @overload
    async def create(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        stream: bool, **params: Unpack[MessageParams],
    ) -> Message | AsyncStream: ...  # fmt: skip
    async def create(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        stream: bool = False, **params: Unpack[MessageParams],
    ) -> Message | AsyncStream:  # fmt: skip
        """Send one Messages API call; a :class:`Message`, or an :class:`AsyncStream`."""
        if "fallbacks" in params or self._client._fallbacks:
            from ._fallbacks import acreate

            return await acreate(self._client, model, max_tokens, messages, params, stream)  # type: ignore[no-any-return]
        call = _prepare_call(self._client, model, max_tokens, messages, params, stream=stream)
        return await _send(self._client, call, params, stream, sync=False)  # type: ignore[no-any-return]

    def stream(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        output_format: Any = None, **params: Unpack[MessageParams],
    ) -> AsyncMessageStreamManager:  # fmt: skip
        """An async context manager over a streamed call (``async with``); ``output_format``
        as in :meth:`Messages.stream`."""
        if output_format is not None:
            from ._structured import parsed_stream

            kwargs = {"model": model, "max_tokens": max_tokens, "messages": messages, **params}
            return parsed_stream(self, output_format, kwargs, sync=False)  # type: ignore[no-any-return]
        if "fallbacks" in params or self._client._fallbacks:
            from ._fallbacks import stream_manager

            return stream_manager(self._client, model, max_tokens, messages, params, sync=False)  # type: ignore[no-any-return]
        call = _prepare_call(self._client, model, max_tokens, messages, params, stream=True)
        return _manager(self._client, call, given(params.get("timeout")), sync=False)  # type: ignore[no-any-return]

    async def parse(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        output_format: type[ResponseFormatT] | None = None, **params: Unpack[MessageParams],
    ) -> ParsedMessage[ResponseFormatT]:  # fmt: skip
        """Async :meth:`Messages.parse`."""
        from ._structured import aparse

        kwargs = {"model": model, "max_tokens": max_tokens, "messages": messages, **params}
        return await aparse(self, output_format, kwargs)

    def create_many(
        self,
        requests: Iterable[Mapping[str, Any]],
        *,
        concurrency: int | None = None,
        ordered: bool = True,
    ) -> AsyncIterator[MessageBatchIndividualResponse]:
        """Async :meth:`Messages.create_many` (``async for result in ...``)."""
        from ._bulk import acreate_many

        return acreate_many(self._client, requests, concurrency=concurrency, ordered=ordered)

    @cached_property
    def batches(self) -> AsyncBatches:
        """Message Batches over Bedrock batch inference (S3 JSONL in, S3 JSONL out)."""
        from .batches import AsyncBatches

        return AsyncBatches(self._client)

    async def count_tokens(
        self, *, model: str, messages: Iterable[Mapping[str, Any]],
        output_format: Any = None, **params: Unpack[MessageParams],
    ) -> MessageTokensCount:  # fmt: skip
        """Async :meth:`Messages.count_tokens`."""
        from ._flow import arun

        if output_format is not None:
            from ._structured import with_output_format

            params = with_output_format(params, output_format)
        flow = _count(self._client, model, messages, params)
        counted = partial(arun, self._client, flow)
        return await _tracing.count(self._client, model, counted, sync=False)  # type: ignore[no-any-return]
